// PlotFrame: shared layout for Synfire plots — linear scales, "nice" ticks, axes with tick
// labels, axis titles, plot titles, legends and colour maps.
//
// API
//   LinearScale(domain: 0...100, range: 80...860).map(42) -> pixel
//   NiceTicks.make(lower:upper:targetCount:) -> (values: [Double], step: Double)
//   NiceTicks.label(_ value, step:) -> "0.25"
//   PlotFrame(width:height:margins:) with .plotArea; frame.drawAxes(on:x:y:xTicks:yTicks:...)
//   frame.drawTitle / drawLegend(entries:corner:)
//   ColorMap.diverging(t in -1...1) (blue–white–red), .sequential(t in 0...1) (white–blue),
//   ColorMap.gray(t), Palette.series[i] (colour-blind-safe line colours)

import Foundation

public struct LinearScale: Sendable {
    public var domain: ClosedRange<Double>
    public var range: ClosedRange<Double>
    /// When true, the domain's lower end maps to the range's upper end (y axes).
    public var inverted: Bool

    public init(domain: ClosedRange<Double>, range: ClosedRange<Double>, inverted: Bool = false) {
        self.domain = domain
        self.range = range
        self.inverted = inverted
    }

    public func map(_ value: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        let t = span == 0 ? 0.5 : (value - domain.lowerBound) / span
        let u = inverted ? 1 - t : t
        return range.lowerBound + u * (range.upperBound - range.lowerBound)
    }
}

public enum NiceTicks {
    /// Tick values at 1, 2 or 5 × 10^k spacing covering lower...upper with about
    /// `targetCount` intervals.
    public static func make(lower: Double, upper: Double, targetCount: Int = 6) -> (
        values: [Double], step: Double
    ) {
        guard lower.isFinite, upper.isFinite, upper > lower else {
            return ([lower], 1)
        }
        let rough = (upper - lower) / Double(max(1, targetCount))
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let normalized = rough / magnitude
        let factor: Double = normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10
        let step = factor * magnitude
        let first = (lower / step).rounded(.up) * step
        var values: [Double] = []
        var v = first
        while v <= upper + step * 1e-9 {
            values.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return (values, step)
    }

    /// Expands lower...upper outward to whole steps (for axis limits).
    public static func expand(lower: Double, upper: Double, targetCount: Int = 6) -> ClosedRange<
        Double
    > {
        var lo = lower
        var hi = upper
        if !(hi > lo) {
            lo -= 0.5
            hi += 0.5
        }
        let (_, step) = make(lower: lo, upper: hi, targetCount: targetCount)
        return ((lo / step).rounded(.down) * step)...((hi / step).rounded(.up) * step)
    }

    /// Formats a tick value with just enough decimals for `step`.
    public static func label(_ value: Double, step: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        guard step.isFinite, step > 0 else { return String(format: "%g", value) }
        let decimals = min(12, max(0, Int((-log10(step) + 0.999).rounded(.down))))
        if abs(value) >= 1e6 || (abs(value) < 1e-4 && value != 0) {
            return String(format: "%.1e", value)
        }
        return String(format: "%.\(decimals)f", value)
    }
}

public enum ColorMap {
    /// Blue (t = -1) – white (0) – red (+1): signed weights, centred on zero.
    public static func diverging(_ t: Double) -> RGB {
        let clamped = max(-1, min(1, t.isNaN ? 0 : t))
        let blue = RGB(hex: 0x2166AC)
        let red = RGB(hex: 0xB2182B)
        let lightBlue = RGB(hex: 0x92C5DE)
        let lightRed = RGB(hex: 0xF4A582)
        let white = RGB(hex: 0xF7F7F7)
        if clamped < 0 {
            let u = -clamped
            return u < 0.5
                ? white.mixed(with: lightBlue, fraction: u / 0.5)
                : lightBlue.mixed(with: blue, fraction: (u - 0.5) / 0.5)
        }
        return clamped < 0.5
            ? white.mixed(with: lightRed, fraction: clamped / 0.5)
            : lightRed.mixed(with: red, fraction: (clamped - 0.5) / 0.5)
    }

    /// White (0) – dark blue (1): counts and fractions.
    public static func sequential(_ t: Double) -> RGB {
        let clamped = max(0, min(1, t.isNaN ? 0 : t))
        let mid = RGB(hex: 0x6BAED6)
        return clamped < 0.5
            ? RGB(hex: 0xF7FBFF).mixed(with: mid, fraction: clamped / 0.5)
            : mid.mixed(with: RGB(hex: 0x08306B), fraction: (clamped - 0.5) / 0.5)
    }

    /// Black (0) – white (1): raw input images.
    public static func gray(_ t: Double) -> RGB {
        let v = UInt8((max(0, min(1, t.isNaN ? 0 : t)) * 255).rounded())
        return RGB(v, v, v)
    }
}

public enum Palette {
    /// Distinguishable line and bar colours (Okabe–Ito order, colour-blind safe).
    public static let series: [RGB] = [
        RGB(hex: 0x0072B2), RGB(hex: 0xD55E00), RGB(hex: 0x009E73), RGB(hex: 0xCC79A7),
        RGB(hex: 0xE69F00), RGB(hex: 0x56B4E9), RGB(hex: 0xF0E442), RGB(hex: 0x000000),
    ]

    public static func color(_ index: Int) -> RGB { series[index % series.count] }

    static let axis = RGB.gray(40)
    static let grid = RGB.gray(225)
    static let text = RGB.gray(20)
    static let muted = RGB.gray(90)
}

public struct Margins: Sendable {
    public var top, right, bottom, left: Double
    public init(top: Double, right: Double, bottom: Double, left: Double) {
        self.top = top
        self.right = right
        self.bottom = bottom
        self.left = left
    }
}

/// A plot's canvas size, margins and the rectangle the data is drawn in.
public struct PlotFrame: Sendable {
    public let width: Int
    public let height: Int
    public let margins: Margins

    public init(width: Int, height: Int, margins: Margins) {
        self.width = width
        self.height = height
        self.margins = margins
    }

    public var left: Double { margins.left }
    public var right: Double { Double(width) - margins.right }
    public var top: Double { margins.top }
    public var bottom: Double { Double(height) - margins.bottom }

    public static let tickStyle = TextStyle(size: 14, color: Palette.text)
    public static let labelStyle = TextStyle(size: 15, color: Palette.text, bold: true)
    public static let titleStyle = TextStyle(size: 20, color: Palette.text, bold: true)
    public static let subtitleStyle = TextStyle(size: 14, color: Palette.muted)

    public func drawTitle<S: DrawingSurface>(
        _ title: String, subtitle: String? = nil, on s: inout S
    ) {
        var style = PlotFrame.titleStyle
        style.anchor = .middle
        // Centred over the plot area, but shifted so a long line (next to a wide legend
        // margin) stays on the canvas instead of being cut at the left edge.
        func centre(_ text: String, _ textStyle: TextStyle) -> Double {
            let half = textStyle.width(of: text) / 2
            let canvas = Double(width)
            return max(min((left + right) / 2, canvas - half - 4), min(half + 4, canvas / 2))
        }
        s.text(title, at: (centre(title, style), 14), style: style)
        if let subtitle {
            var sub = PlotFrame.subtitleStyle
            sub.anchor = .middle
            s.text(subtitle, at: (centre(subtitle, sub), 14 + style.capHeight + 10), style: sub)
        }
    }

    /// Gridlines, axis lines, ticks with labels, and axis titles. The y title sits left of
    /// the widest tick label, or at `yLabelOffset` (its right edge) when given.
    public func drawAxes<S: DrawingSurface>(
        on s: inout S, x: LinearScale, y: LinearScale,
        xTicks: [(Double, String)], yTicks: [(Double, String)],
        xLabel: String, yLabel: String, grid: Bool = true, yLabelOffset: Double? = nil
    ) {
        if grid {
            for (value, _) in yTicks {
                let py = y.map(value).rounded()
                s.line(from: (left, py), to: (right, py), color: Palette.grid, width: 1)
            }
        }
        s.line(from: (left, bottom), to: (right, bottom), color: Palette.axis, width: 2)
        s.line(from: (left, top), to: (left, bottom), color: Palette.axis, width: 2)
        var tick = PlotFrame.tickStyle
        tick.anchor = .middle
        for (value, text) in xTicks {
            let px = x.map(value).rounded()
            s.line(from: (px, bottom), to: (px, bottom + 7), color: Palette.axis, width: 2)
            s.text(text, at: (px, bottom + 12), style: tick)
        }
        var yTick = PlotFrame.tickStyle
        yTick.anchor = .end
        yTick.baseline = .middle
        var widest = 0.0
        for (value, text) in yTicks {
            let py = y.map(value).rounded()
            s.line(from: (left - 7, py), to: (left, py), color: Palette.axis, width: 2)
            s.text(text, at: (left - 12, py), style: yTick)
            widest = max(widest, yTick.width(of: text))
        }
        var xTitle = PlotFrame.labelStyle
        xTitle.anchor = .middle
        if !xLabel.isEmpty {
            s.text(
                xLabel, at: ((left + right) / 2, bottom + 12 + tick.capHeight + 16), style: xTitle)
        }
        var yTitle = PlotFrame.labelStyle
        yTitle.anchor = .middle
        yTitle.rotated = true
        yTitle.baseline = .bottom
        s.text(yLabel, at: (yLabelOffset ?? (left - 12 - widest - 14), (top + bottom) / 2), style: yTitle)
    }

    public enum Corner: Sendable { case topLeft, topRight, bottomLeft, bottomRight }

    public enum LegendMark: Sendable {
        case line(dashed: Bool)
        case box
    }

    /// Where a legend of `entries` sits in `corner`: origin and size in pixels.
    func legendBox(_ entries: [(String, RGB, LegendMark)], corner: Corner)
        -> (x: Double, y: Double, width: Double, height: Double)
    {
        let style = PlotFrame.tickStyle
        let rowHeight = style.capHeight + 12
        let textWidth = entries.map { style.width(of: $0.0) }.max() ?? 0
        let width = 12 + 30 + 10 + textWidth + 12
        let height = Double(entries.count) * rowHeight + 10
        switch corner {
        case .topLeft: return (left + 14, top + 14, width, height)
        case .topRight: return (right - 14 - width, top + 14, width, height)
        case .bottomLeft: return (left + 14, bottom - 14 - height, width, height)
        case .bottomRight: return (right - 14 - width, bottom - 14 - height, width, height)
        }
    }

    /// How many of `points` a legend of `entries` in `corner` hides.
    public func covered(by entries: [(String, RGB, LegendMark)], corner: Corner, points: [(Double, Double)]) -> Int {
        let box = legendBox(entries, corner: corner)
        return points.filter {
            $0.0 >= box.x && $0.0 <= box.x + box.width && $0.1 >= box.y && $0.1 <= box.y + box.height
        }.count
    }

    /// The corner (in order of preference) whose legend box hides the fewest of `points`.
    public func leastCoveredCorner(
        for entries: [(String, RGB, LegendMark)], avoiding points: [(Double, Double)], preferring order: [Corner]
    ) -> Corner {
        var best = order.first ?? .bottomRight
        var bestCount = Int.max
        for corner in order {
            let count = covered(by: entries, corner: corner, points: points)
            if count < bestCount { (best, bestCount) = (corner, count) }
        }
        return best
    }

    /// A boxed legend inside the plot area.
    public func drawLegend<S: DrawingSurface>(
        _ entries: [(String, RGB, LegendMark)], corner: Corner, on s: inout S
    ) {
        guard !entries.isEmpty else { return }
        let style = PlotFrame.tickStyle
        let rowHeight = style.capHeight + 12
        let swatch = 30.0
        let box = legendBox(entries, corner: corner)
        let (x, y, boxWidth, boxHeight) = (box.x, box.y, box.width, box.height)
        s.fillRect(x: x, y: y, width: boxWidth, height: boxHeight, color: .white, opacity: 0.92)
        s.strokeRect(
            x: x, y: y, width: boxWidth, height: boxHeight, color: RGB.gray(170), lineWidth: 1)
        for (i, (name, color, mark)) in entries.enumerated() {
            let cy = y + 5 + Double(i) * rowHeight + rowHeight / 2
            switch mark {
            case .line(let dashed):
                s.line(
                    from: (x + 12, cy), to: (x + 12 + swatch, cy), color: color, width: 3,
                    dashed: dashed)
            case .box:
                s.fillRect(x: x + 12 + 6, y: cy - 8, width: swatch - 12, height: 16, color: color)
            }
            var label = style
            label.baseline = .middle
            s.text(name, at: (x + 12 + swatch + 10, cy), style: label)
        }
    }
}
