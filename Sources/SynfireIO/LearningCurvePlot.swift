// LearningCurvePlot: accuracy (or any value) per epoch, one line per series, an optional
// target line, and a legend in the corner that hides the fewest points.

import Foundation

// MARK: - Learning curves

public struct LearningCurvePlot: Plot, Sendable {
    public struct Series: Sendable {
        public var name: String
        /// One value per epoch; epoch numbers start at `firstEpoch`.
        public var values: [Double]
        public var firstEpoch: Int
        public var dashed: Bool
        public init(name: String, values: [Double], firstEpoch: Int = 1, dashed: Bool = false) {
            self.name = name
            self.values = values
            self.firstEpoch = firstEpoch
            self.dashed = dashed
        }
    }

    public struct Target: Sendable {
        public var value: Double
        public var label: String
        public init(value: Double, label: String) {
            self.value = value
            self.label = label
        }
    }

    public var title: String
    public var subtitle: String?
    public var series: [Series]
    public var target: Target?
    public var xLabel: String
    public var yLabel: String
    /// Multiplies values for display (100 turns fractions into percent).
    public var valueScale: Double
    /// Fixed y range in displayed units; nil = fit the data and the target.
    public var yRange: ClosedRange<Double>?
    /// Labels for the x positions firstEpoch, firstEpoch + 1, ... when the x axis is not
    /// epochs (e.g. a sweep over time steps T = 1, 2, 4, ...: equal spacing = a log2 axis).
    /// nil = integer epoch ticks.
    public var xTickLabels: [String]?
    public var width: Int
    public var height: Int

    public init(
        title: String, subtitle: String? = nil, series: [Series], target: Target? = nil,
        xLabel: String = "epoch", yLabel: String = "accuracy (%)", valueScale: Double = 100,
        yRange: ClosedRange<Double>? = nil, xTickLabels: [String]? = nil, width: Int = 960,
        height: Int = 600
    ) {
        self.title = title
        self.subtitle = subtitle
        self.series = series
        self.target = target
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.valueScale = valueScale
        self.yRange = yRange
        self.xTickLabels = xTickLabels
        self.width = width
        self.height = height
    }

    public func draw<S: DrawingSurface>(on s: inout S) {
        let frame = PlotFrame(
            width: width, height: height,
            margins: Margins(top: subtitle == nil ? 64 : 90, right: 36, bottom: 84, left: 110))
        frame.drawTitle(title, subtitle: subtitle, on: &s)

        let lastEpoch = series.map { $0.firstEpoch + $0.values.count - 1 }.max() ?? 1
        let firstEpoch = series.map(\.firstEpoch).min() ?? 1
        let xDomain = Double(min(firstEpoch, lastEpoch))...Double(max(lastEpoch, firstEpoch + 1))
        let shown =
            series.flatMap { $0.values.filter(\.isFinite).map { $0 * valueScale } }
            + (target.map { [$0.value * valueScale] } ?? [])
        let yDomain: ClosedRange<Double>
        if let yRange {
            yDomain = yRange
        } else {
            let lo = shown.min() ?? 0
            let hi = shown.max() ?? 1
            let pad = max((hi - lo) * 0.08, 0.5)
            yDomain = fitted(lower: lo - pad, upper: hi + pad)
        }
        let x = LinearScale(domain: xDomain, range: frame.left...frame.right)
        var y = LinearScale(domain: yDomain, range: frame.top...frame.bottom, inverted: true)
        let legend = legendEntries()
        func plottedPoints() -> [(Double, Double)] {
            var points: [(Double, Double)] = []
            for item in series {
                let line = item.values.enumerated().compactMap { (i, v) -> (Double, Double)? in
                    v.isFinite ? (x.map(Double(item.firstEpoch + i)), y.map(v * valueScale)) : nil
                }
                // Segment midpoints too, so a legend does not sit on a steep line either.
                points += line + zip(line, line.dropFirst()).map { (($0.0 + $1.0) / 2, ($0.1 + $1.1) / 2) }
            }
            return points
        }
        let corners: [PlotFrame.Corner] = [.bottomRight, .bottomLeft, .topRight, .topLeft]
        let points = plottedPoints()
        var corner = frame.leastCoveredCorner(for: legend, avoiding: points, preferring: corners)
        if yRange == nil && frame.covered(by: legend, corner: corner, points: points) > 0 {
            // No free corner: lower the y axis so the legend fits under the lowest curve.
            let box = frame.legendBox(legend, corner: .bottomRight)
            let share = min(0.6, (box.height + 28) / (frame.bottom - frame.top))
            let span = yDomain.upperBound - (shown.min() ?? 0)
            let lowered = (shown.min() ?? 0) - span * share / (1 - share)
            y = LinearScale(
                domain: fitted(lower: lowered, upper: yDomain.upperBound), range: frame.top...frame.bottom,
                inverted: true)
            corner = frame.leastCoveredCorner(for: legend, avoiding: plottedPoints(), preferring: corners)
        }

        let xt = NiceTicks.make(
            lower: xDomain.lowerBound, upper: xDomain.upperBound,
            targetCount: min(10, max(1, Int(xDomain.upperBound - xDomain.lowerBound))))
        let xStep = max(1, xt.step.rounded())
        let xTicks: [(Double, String)]
        if let xTickLabels {
            xTicks = xTickLabels.enumerated().map { (Double(firstEpoch + $0.offset), $0.element) }
        } else {
            xTicks = xt.values.filter {
                $0 == $0.rounded() && $0.truncatingRemainder(dividingBy: xStep) == 0
            }
            .map { ($0, String(Int($0))) }
        }
        let yt = NiceTicks.make(lower: y.domain.lowerBound, upper: y.domain.upperBound)
        let yTicks = yt.values.map { ($0, NiceTicks.label($0, step: yt.step)) }
        frame.drawAxes(
            on: &s, x: x, y: y, xTicks: xTicks, yTicks: yTicks, xLabel: xLabel, yLabel: yLabel)

        if let target {
            let py = y.map(target.value * valueScale)
            s.line(
                from: (frame.left, py), to: (frame.right, py), color: LearningCurvePlot.targetColor, width: 2,
                dashed: true)
        }
        for (index, item) in series.enumerated() {
            let color = Palette.color(index)
            let points = item.values.enumerated().compactMap { (i, v) -> (Double, Double)? in
                v.isFinite ? (x.map(Double(item.firstEpoch + i)), y.map(v * valueScale)) : nil
            }
            if item.dashed {
                for i in 1..<max(1, points.count) {
                    s.line(from: points[i - 1], to: points[i], color: color, width: 3, dashed: true)
                }
            } else {
                s.polyline(points, color: color, width: 3)
            }
            if points.count <= 60 {
                for p in points { s.circle(center: p, radius: 4.5, color: color) }
            }
        }
        // Accuracy curves rise to the top, so the bottom corners come first; the legend goes
        // where it hides the fewest plotted points.
        frame.drawLegend(legend, corner: corner, on: &s)
    }

    static let targetColor = RGB(hex: 0x444444)

    /// A round y range from `lower` to `upper`; percentages never leave 0...100.
    func fitted(lower: Double, upper: Double) -> ClosedRange<Double> {
        let range = NiceTicks.expand(lower: lower, upper: upper)
        return valueScale == 100 ? max(0, range.lowerBound)...min(100, range.upperBound) : range
    }

    /// The legend rows: the target line, then every series with its last value.
    func legendEntries() -> [(String, RGB, PlotFrame.LegendMark)] {
        var legend: [(String, RGB, PlotFrame.LegendMark)] = []
        if let target { legend.append((target.label, LearningCurvePlot.targetColor, .line(dashed: true))) }
        for (index, item) in series.enumerated() {
            let last =
                item.values.last(where: \.isFinite).map {
                    String(format: " (last %.2f", $0 * valueScale)
                        + (valueScale == 100 ? "%)" : ")")
                } ?? ""
            legend.append((item.name + last, Palette.color(index), .line(dashed: item.dashed)))
        }
        return legend
    }
}
