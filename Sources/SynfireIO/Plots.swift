// Plots: the figures Synfire writes for every run, each rendered to PNG and SVG from one
// drawing routine.
//
// API
//   protocol Plot { width; height; draw(on: inout some DrawingSurface) }
//   plot.pngData() -> [UInt8]     plot.svgText() -> String
//   try plot.write(to: "dir/name")                 // dir/name.png + dir/name.svg, atomic
//   try run.writePlot(plot, name: "learning-curve") // <run>/plots/learning-curve.{png,svg}
//
//   LearningCurvePlot(title:, series: [.init(name: "train", values: [0.80, 0.90, ...])],
//                     target: .init(value: 0.9474, label: "paper 94.74%"),
//                     yLabel: "accuracy (%)", valueScale: 100)     // fractions shown as %
//   SpikeRasterPlot(title:, timeSteps:, neuronCount:, spikes: [(time, neuron)],
//                   phases: [.init(start: 0, end: 64, label: "1 fwd")],
//                   groups: [.init(name: "hidden", neurons: 0..<100)])
//   ImageGridPlot(title:, images: [[Double]], rows: 20, columns: 20, gridColumns: 10,
//                 colorScale: .diverging | .grayscale, labels: ["unit 0", ...])
//   ConfusionMatrixPlot(title:, counts: [[Int]] (row = true class), classNames: ["0", ...])
//   StackedBarPlot(title:, categories: ["train", "infer"], components: ["synaptic ops", ...],
//                  values: [[Double]] (per category, per component), unit: "µJ/sample")

import Foundation

public protocol Plot {
    var width: Int { get }
    var height: Int { get }
    func draw<S: DrawingSurface>(on surface: inout S)
}

extension Plot {
    public func pngData() -> [UInt8] {
        var image = RasterImage(width: width, height: height)
        draw(on: &image)
        return image.pngData()
    }

    public func svgText() -> String {
        var svg = SVGDocument(width: width, height: height)
        draw(on: &svg)
        return svg.text
    }

    /// Writes `<basePath>.png` and `<basePath>.svg` atomically; returns both paths.
    @discardableResult
    public func write(to basePath: String) throws -> [String] {
        let png = basePath + ".png"
        let svg = basePath + ".svg"
        try AtomicFile.write(bytes: pngData(), to: png)
        try AtomicFile.write(string: svgText(), to: svg)
        return [png, svg]
    }
}

extension RunDirectory {
    /// Writes `plots/<name>.png` and `plots/<name>.svg` in the run directory.
    @discardableResult
    public func writePlot(_ plot: some Plot, name: String) throws -> [String] {
        let base = try plotPath(name, extension: "png").dropLast(4)
        return try plot.write(to: String(base))
    }
}

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

// MARK: - Spike rasters

public struct SpikeRasterPlot: Plot, Sendable {
    public struct Phase: Sendable {
        public var start: Int
        public var end: Int
        public var label: String
        public init(start: Int, end: Int, label: String) {
            self.start = start
            self.end = end
            self.label = label
        }
    }

    public struct Group: Sendable {
        public var name: String
        public var neurons: Range<Int>
        public init(name: String, neurons: Range<Int>) {
            self.name = name
            self.neurons = neurons
        }
    }

    public var title: String
    public var subtitle: String?
    public var timeSteps: Int
    public var neuronCount: Int
    public var spikes: [(time: Int, neuron: Int)]
    public var phases: [Phase]
    public var groups: [Group]
    public var xLabel: String
    public var yLabel: String
    public var width: Int
    public var height: Int

    public init(
        title: String, subtitle: String? = nil, timeSteps: Int, neuronCount: Int,
        spikes: [(time: Int, neuron: Int)], phases: [Phase] = [], groups: [Group] = [],
        xLabel: String = "time step", yLabel: String = "neuron", width: Int = 1100,
        height: Int = 640
    ) {
        self.title = title
        self.subtitle = subtitle
        self.timeSteps = timeSteps
        self.neuronCount = neuronCount
        self.spikes = spikes
        self.phases = phases
        self.groups = groups
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
    }

    public func draw<S: DrawingSurface>(on s: inout S) {
        let groupWidth = (groups.map { PlotFrame.tickStyle.width(of: $0.name) }.max() ?? 0)
        let frame = PlotFrame(
            width: width, height: height,
            margins: Margins(
                top: (subtitle == nil ? 64 : 90) + (phases.isEmpty ? 0 : 30),
                right: groups.isEmpty ? 30 : groupWidth + 40, bottom: 84, left: 110))
        frame.drawTitle(title, subtitle: subtitle, on: &s)
        let x = LinearScale(domain: 0...Double(max(1, timeSteps)), range: frame.left...frame.right)
        let y = LinearScale(
            domain: 0...Double(max(1, neuronCount)), range: frame.top...frame.bottom)

        // Phase bands first, under everything; alternate two tints so neighbours differ.
        let tints = [
            RGB(hex: 0xDCEBFA), RGB(hex: 0xFBE8D3), RGB(hex: 0xDFF2E1), RGB(hex: 0xEEE3F5),
        ]
        var bandLabel = PlotFrame.tickStyle
        bandLabel.anchor = .middle
        bandLabel.baseline = .bottom
        for (i, phase) in phases.enumerated() {
            let x0 = x.map(Double(phase.start))
            let x1 = x.map(Double(phase.end))
            s.fillRect(
                x: x0, y: frame.top, width: x1 - x0, height: frame.bottom - frame.top,
                color: tints[i % tints.count])
            if i > 0 {
                s.line(
                    from: (x0, frame.top), to: (x0, frame.bottom), color: RGB.gray(160), width: 1)
            }
            // Label above the band; shorten if it does not fit.
            var text = phase.label
            while bandLabel.width(of: text) > x1 - x0 - 4, text.count > 1 { text.removeLast() }
            s.text(text, at: ((x0 + x1) / 2, frame.top - 8), style: bandLabel)
        }

        // Spikes: one cell per (step, neuron), at least 2 px wide so single spikes show.
        // Spikes that land on the same pixel are drawn once, which bounds the SVG's size by
        // the plot area instead of the spike count (long runs have millions of spikes).
        let cellWidth = max(2, (frame.right - frame.left) / Double(max(1, timeSteps)))
        let cellHeight = max(1, (frame.bottom - frame.top) / Double(max(1, neuronCount)))
        let spikeColor = RGB(hex: 0x111111)
        var drawn = Set<Int>()
        for spike in spikes
        where spike.time >= 0 && spike.time < timeSteps
            && spike.neuron >= 0 && spike.neuron < neuronCount
        {
            let px = x.map(Double(spike.time))
            let py = y.map(Double(spike.neuron))
            let key = Int(px.rounded()) &* 65_536 &+ Int(py.rounded())
            guard drawn.insert(key).inserted else { continue }
            s.fillRect(x: px, y: py, width: cellWidth, height: cellHeight, color: spikeColor)
        }

        // Group separators, brackets and names on the right. Thin groups would stack their
        // names on top of each other: names are spread to a minimum spacing and joined to
        // their bracket by a short leader line.
        var groupStyle = PlotFrame.tickStyle
        groupStyle.baseline = .middle
        let spans = groups.map {
            (y.map(Double($0.neurons.lowerBound)), y.map(Double($0.neurons.upperBound)))
        }
        let spacing = groupStyle.capHeight + 6
        var labelY = spans.map { ($0.0 + $0.1) / 2 }
        for i in labelY.indices.dropFirst() where labelY[i] < labelY[i - 1] + spacing {
            labelY[i] = labelY[i - 1] + spacing
        }
        if let last = labelY.last, last > frame.bottom {
            labelY[labelY.count - 1] = frame.bottom
            for i in labelY.indices.dropLast().reversed() where labelY[i] > labelY[i + 1] - spacing {
                labelY[i] = labelY[i + 1] - spacing
            }
        }
        for (i, group) in groups.enumerated() {
            let (y0, y1) = spans[i]
            if i > 0 {
                s.line(
                    from: (frame.left, y0), to: (frame.right, y0), color: RGB(hex: 0xC0392B),
                    width: 1)
            }
            let mid = (y0 + y1) / 2
            s.line(
                from: (frame.right + 6, y0 + 1), to: (frame.right + 6, max(y0 + 1, y1 - 1)),
                color: Palette.axis, width: 2)
            if abs(labelY[i] - mid) > 1 {
                s.line(
                    from: (frame.right + 7, mid), to: (frame.right + 16, labelY[i]),
                    color: Palette.muted, width: 1)
            }
            s.text(group.name, at: (frame.right + 20, labelY[i]), style: groupStyle)
        }

        let xt = NiceTicks.make(lower: 0, upper: Double(timeSteps), targetCount: 10)
        let yt = NiceTicks.make(lower: 0, upper: Double(neuronCount), targetCount: 6)
        frame.drawAxes(
            on: &s, x: x, y: y,
            xTicks: xt.values.map { ($0, NiceTicks.label($0, step: max(1, xt.step))) },
            yTicks: yt.values.map { ($0, NiceTicks.label($0, step: max(1, yt.step))) },
            xLabel: xLabel, yLabel: yLabel, grid: false)
    }
}

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
        labelStyle.scale = 1
        labelStyle.anchor = .middle
        labelStyle.color = Palette.muted
        for (index, image) in images.enumerated() {
            let gx = index % gridColumns
            let gy = index / gridColumns
            let ox = Double(40 + gx * (tileW + gap))
            let oy = Double(top + gy * (tileH + gap + labelHeight))
            for r in 0..<rows {
                for c in 0..<columns where r * columns + c < image.count {
                    s.fillRect(
                        x: ox + Double(c * cellSize), y: oy + Double(r * cellSize),
                        width: Double(cellSize), height: Double(cellSize),
                        color: color(image[r * columns + c]))
                }
            }
            s.strokeRect(
                x: ox - 1, y: oy - 1, width: Double(tileW + 2), height: Double(tileH + 2),
                color: RGB.gray(150), lineWidth: 1)
            if index < labels.count {
                labelStyle.scale = 2
                s.text(
                    labels[index], at: (ox + Double(tileW) / 2, oy + Double(tileH) + 6),
                    style: labelStyle)
            }
        }
        // Colour bar with its scale on the right.
        let barX = Double(width) - 120
        let barY = Double(top)
        let barH = colorBarHeight
        let steps = 100
        for i in 0..<steps {
            let t = 1 - Double(i) / Double(steps - 1)
            let v: Double
            switch colorScale {
            case .diverging: v = -bound + 2 * bound * t
            case .grayscale: v = lo + (hi - lo) * t
            }
            s.fillRect(
                x: barX, y: barY + barH * Double(i) / Double(steps), width: 22,
                height: barH / Double(steps) + 1, color: color(v))
        }
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
                    scale: count >= 10_000 ? 1 : 2, color: color.luminance < 0.5 ? .white : .black)
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
