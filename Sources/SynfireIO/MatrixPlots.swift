// Grid-shaped figures: images of weights or inputs (ImageGridPlot), confusion matrices
// (ConfusionMatrixPlot) and stacked bars (StackedBarPlot, the energy breakdown).

import Foundation

// MARK: - Image grids (weights, receptive fields)

public struct ImageGridPlot: Plot, Sendable {
    public enum ColorScale: Sendable {
        /// Signed values, symmetric around zero (weights): blue < 0 < red.
        case diverging
        /// Values from min to max in gray (input images).
        case grayscale
    }

    public var title: String
    public var subtitle: String?
    public var images: [[Double]]
    public var rows: Int
    public var columns: Int
    public var gridColumns: Int
    public var colorScale: ColorScale
    public var labels: [String]
    public var unit: String
    /// Pixels per image pixel.
    public var cellSize: Int

    public var width: Int {
        let tiles = gridColumns * (columns * cellSize + gap) - gap
        return max(Int(PlotFrame.titleStyle.width(of: title)) + 60, 40 + tiles + 150)
    }

    public var height: Int {
        // Tall enough for a readable colour bar even when the grid is a thin strip.
        top + max(gridHeight, Int(colorBarHeight) + 40) + 30
    }

    private var gridHeight: Int {
        let gridRows = (images.count + gridColumns - 1) / max(1, gridColumns)
        return gridRows * (rows * cellSize + gap + labelHeight)
    }

    private var colorBarHeight: Double { Double(min(300, max(180, gridHeight - gap))) }

    private var gap: Int { 10 }
    private var labelHeight: Int { labels.isEmpty ? 0 : 22 }
    private var top: Int { subtitle == nil ? 64 : 90 }

    public init(
        title: String, subtitle: String? = nil, images: [[Double]], rows: Int, columns: Int,
        gridColumns: Int = 10, colorScale: ColorScale = .diverging, labels: [String] = [],
        unit: String = "weight", cellSize: Int? = nil
    ) {
        self.title = title
        self.subtitle = subtitle
        self.images = images
        self.rows = rows
        self.columns = columns
        self.gridColumns = max(1, min(gridColumns, images.count))
        self.colorScale = colorScale
        self.labels = labels
        self.unit = unit
        // Aim for tiles about 80–120 px wide.
        self.cellSize = cellSize ?? max(2, 100 / max(1, columns))
    }

    public func draw<S: DrawingSurface>(on s: inout S) {
        let frame = PlotFrame(
            width: width, height: height,
            margins: Margins(top: Double(top), right: 150, bottom: 30, left: 40))
        frame.drawTitle(title, subtitle: subtitle, on: &s)
        let finite = images.flatMap { $0 }.filter { $0.isFinite }
        let lo = finite.min() ?? 0
        let hi = finite.max() ?? 1
        let bound = max(abs(lo), abs(hi), 1e-12)
        func color(_ v: Double) -> RGB {
            switch colorScale {
            case .diverging: return ColorMap.diverging(v / bound)
            case .grayscale: return ColorMap.gray(hi > lo ? (v - lo) / (hi - lo) : 0.5)
            }
        }
        let tileW = columns * cellSize
        let tileH = rows * cellSize
        var labelStyle = PlotFrame.tickStyle
        labelStyle.size = 13
        labelStyle.anchor = .middle
        labelStyle.color = Palette.muted
        for (index, image) in images.enumerated() {
            let gx = index % gridColumns
            let gy = index / gridColumns
            let ox = Double(40 + gx * (tileW + gap))
            let oy = Double(top + gy * (tileH + gap + labelHeight))
            let cells = (0..<(rows * columns)).map { $0 < image.count ? color(image[$0]) : RGB.white }
            s.image(cells, columns: columns, rows: rows, x: ox, y: oy, width: Double(tileW), height: Double(tileH))
            s.strokeRect(
                x: ox - 1, y: oy - 1, width: Double(tileW + 2), height: Double(tileH + 2),
                color: RGB.gray(150), lineWidth: 1)
            if index < labels.count {
                s.text(labels[index], at: (ox + Double(tileW) / 2, oy + Double(tileH) + 6), style: labelStyle)
            }
        }
        // Colour bar with its scale on the right.
        let barX = Double(width) - 120
        let barY = Double(top)
        let barH = colorBarHeight
        let steps = 100
        let bar = (0..<steps).map { i -> RGB in
            let t = 1 - Double(i) / Double(steps - 1)
            switch colorScale {
            case .diverging: return color(-bound + 2 * bound * t)
            case .grayscale: return color(lo + (hi - lo) * t)
            }
        }
        s.image(bar, columns: 1, rows: steps, x: barX, y: barY, width: 22, height: barH)
        s.strokeRect(x: barX, y: barY, width: 22, height: barH, color: RGB.gray(120), lineWidth: 1)
        let (top, bottom) = colorScale == .diverging ? (bound, -bound) : (hi, lo)
        var tick = PlotFrame.tickStyle
        tick.baseline = .middle
        let step = abs(top - bottom) / 4
        for k in 0...4 {
            let v = top - Double(k) * step
            let py = barY + barH * Double(k) / 4
            s.line(from: (barX + 22, py), to: (barX + 28, py), color: Palette.axis, width: 1)
            s.text(NiceTicks.label(v, step: step / 10), at: (barX + 32, py), style: tick)
        }
        var unitStyle = PlotFrame.tickStyle
        unitStyle.anchor = .middle
        s.text(unit, at: (barX + 11, barY + barH + 14), style: unitStyle)
    }
}

// MARK: - Confusion matrices

public struct ConfusionMatrixPlot: Plot, Sendable {
    public var title: String
    public var subtitle: String?
    /// counts[trueClass][predictedClass]
    public var counts: [[Int]]
    public var classNames: [String]
    public var cellSize: Int

    public var width: Int {
        max(Int(PlotFrame.titleStyle.width(of: title)) + 60, 130 + classNames.count * cellSize + 40)
    }
    public var height: Int { top + classNames.count * cellSize + 90 }
    private var top: Int { subtitle == nil ? 70 : 96 }

    public init(
        title: String, subtitle: String? = nil, counts: [[Int]], classNames: [String],
        cellSize: Int = 56
    ) {
        self.title = title
        self.subtitle = subtitle
        self.counts = counts
        self.classNames = classNames
        self.cellSize = cellSize
    }

    public func draw<S: DrawingSurface>(on s: inout S) {
        let n = classNames.count
        let left = 130.0
        let top = Double(self.top)
        let frame = PlotFrame(
            width: width, height: height,
            margins: Margins(
                top: top, right: Double(width) - left - Double(n * cellSize), bottom: 90, left: left
            ))
        frame.drawTitle(title, subtitle: subtitle, on: &s)
        let cell = Double(cellSize)
        for t in 0..<n {
            let row = t < counts.count ? counts[t] : []
            let rowTotal = max(1, row.reduce(0, +))
            for p in 0..<n {
                let count = p < row.count ? row[p] : 0
                // Colour by the fraction of the true class, so rare classes read the same.
                let fraction = Double(count) / Double(rowTotal)
                let color = ColorMap.sequential(fraction)
                let x = left + Double(p) * cell
                let y = top + Double(t) * cell
                s.fillRect(x: x, y: y, width: cell, height: cell, color: color)
                var style = TextStyle(
                    size: count >= 10_000 ? 11 : 14, color: color.luminance < 0.5 ? .white : .black)
                style.anchor = .middle
                style.baseline = .middle
                s.text(String(count), at: (x + cell / 2, y + cell / 2), style: style)
            }
        }
        s.strokeRect(
            x: left, y: top, width: cell * Double(n), height: cell * Double(n), color: Palette.axis,
            lineWidth: 2)
        var tick = PlotFrame.tickStyle
        tick.anchor = .middle
        for (i, name) in classNames.enumerated() {
            s.text(
                name, at: (left + (Double(i) + 0.5) * cell, top + cell * Double(n) + 10),
                style: tick)
            var yTick = PlotFrame.tickStyle
            yTick.anchor = .end
            yTick.baseline = .middle
            s.text(name, at: (left - 10, top + (Double(i) + 0.5) * cell), style: yTick)
        }
        var label = PlotFrame.labelStyle
        label.anchor = .middle
        s.text(
            "predicted class", at: (left + cell * Double(n) / 2, top + cell * Double(n) + 40),
            style: label)
        label.rotated = true
        s.text("true class", at: (left - 60, top + cell * Double(n) / 2), style: label)
    }
}

// MARK: - Stacked bars (energy breakdown)

public struct StackedBarPlot: Plot, Sendable {
    public var title: String
    public var subtitle: String?
    public var categories: [String]
    public var components: [String]
    /// values[category][component], in `unit`.
    public var values: [[Double]]
    public var unit: String
    public var width: Int
    public var height: Int

    public init(
        title: String, subtitle: String? = nil, categories: [String], components: [String],
        values: [[Double]], unit: String, width: Int = 960, height: Int = 600
    ) {
        self.title = title
        self.subtitle = subtitle
        self.categories = categories
        self.components = components
        self.values = values
        self.unit = unit
        self.width = width
        self.height = height
    }

    public func draw<S: DrawingSurface>(on s: inout S) {
        let legendWidth = (components.map { PlotFrame.tickStyle.width(of: $0) }.max() ?? 0) + 70
        let frame = PlotFrame(
            width: width, height: height,
            margins: Margins(
                top: subtitle == nil ? 64 : 90, right: legendWidth + 20, bottom: 84, left: 120))
        frame.drawTitle(title, subtitle: subtitle, on: &s)
        let totals = values.map { $0.reduce(0) { $0 + max(0, $1) } }
        let maxTotal = max(totals.max() ?? 1, 1e-12)
        let yDomain = 0...NiceTicks.expand(lower: 0, upper: maxTotal * 1.08).upperBound
        let y = LinearScale(domain: yDomain, range: frame.top...frame.bottom, inverted: true)
        let slot = (frame.right - frame.left) / Double(max(1, categories.count))
        let barWidth = min(140, slot * 0.6)
        let x = LinearScale(
            domain: 0...Double(max(1, categories.count)), range: frame.left...frame.right)

        let yt = NiceTicks.make(lower: yDomain.lowerBound, upper: yDomain.upperBound)
        frame.drawAxes(
            on: &s, x: x, y: y,
            xTicks: categories.enumerated().map { (Double($0.offset) + 0.5, $0.element) },
            yTicks: yt.values.map { ($0, NiceTicks.label($0, step: yt.step)) },
            xLabel: "", yLabel: "energy (\(unit))")
        var totalStyle = PlotFrame.tickStyle
        totalStyle.anchor = .middle
        totalStyle.baseline = .bottom
        totalStyle.bold = true
        for (c, row) in values.enumerated() {
            let cx = x.map(Double(c) + 0.5)
            var base = 0.0
            for (k, v) in row.enumerated() where v > 0 {
                let y0 = y.map(base)
                let y1 = y.map(base + v)
                s.fillRect(
                    x: cx - barWidth / 2, y: y1, width: barWidth, height: y0 - y1,
                    color: Palette.color(k))
                base += v
            }
            s.text(
                NiceTicks.label(totals[c], step: yt.step / 100), at: (cx, y.map(base) - 6),
                style: totalStyle)
        }
        // Legend to the right of the plot area, top to bottom in stacking order reversed
        // (the top segment first, as it appears on the bars).
        var style = PlotFrame.tickStyle
        style.baseline = .middle
        for (k, name) in components.enumerated().reversed() {
            let row = Double(components.count - 1 - k)
            let ly = frame.top + 10 + row * 30
            s.fillRect(
                x: frame.right + 24, y: ly - 9, width: 24, height: 18, color: Palette.color(k))
            s.text(name, at: (frame.right + 56, ly), style: style)
        }
    }
}
