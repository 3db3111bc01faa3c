// SpikeRasterPlot: spikes over time, neurons grouped into labelled populations, time
// ranges shaded as phases. Each population gets a band proportional to its size but never
// thinner than `minimumGroupHeight`, so a 10-neuron output layer under a 784-neuron input
// layer is as legible as the input; the y axis names the populations instead of numbering
// neurons.

import Foundation

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
    /// The thinnest band a group is drawn in, in pixels (room for its label).
    public var minimumGroupHeight: Double
    public var width: Int
    /// At least `height`; taller when the groups need it.
    public var height: Int

    public init(
        title: String, subtitle: String? = nil, timeSteps: Int, neuronCount: Int,
        spikes: [(time: Int, neuron: Int)], phases: [Phase] = [], groups: [Group] = [],
        xLabel: String = "time step", yLabel: String = "neuron", minimumGroupHeight: Double = 18,
        width: Int = 1100, height: Int = 640
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
        self.minimumGroupHeight = minimumGroupHeight
        self.width = width
        self.height = height
        // Bands at the minimum take at most half of the plot area.
        let needed = 2 * minimumGroupHeight * Double(bands.count)
        let margins = self.margins
        self.height = max(height, Int((margins.top + margins.bottom + needed).rounded(.up)))
    }

    /// One band per group in neuron order, unnamed bands for neurons no group covers.
    var bands: [Group] {
        guard !groups.isEmpty else { return [Group(name: "", neurons: 0..<max(1, neuronCount))] }
        var result: [Group] = []
        var next = 0
        for group in groups.sorted(by: { $0.neurons.lowerBound < $1.neurons.lowerBound })
        where !group.neurons.isEmpty {
            if group.neurons.lowerBound > next {
                result.append(Group(name: "", neurons: next..<group.neurons.lowerBound))
            }
            result.append(group)
            next = max(next, group.neurons.upperBound)
        }
        if next < neuronCount { result.append(Group(name: "", neurons: next..<neuronCount)) }
        return result
    }

    private var margins: Margins {
        let labels = groups.isEmpty ? 40 : (bands.map { PlotFrame.tickStyle.width(of: label($0)) }.max() ?? 0)
        return Margins(
            top: (subtitle == nil ? 64 : 90) + (phases.isEmpty ? 0 : 30), right: 30, bottom: 84,
            left: labels + 60)
    }

    private func label(_ group: Group) -> String {
        group.name.isEmpty ? "" : "\(group.name) (\(group.neurons.count))"
    }

    /// Pixel rows of each band: proportional to its neuron count, raised to the minimum
    /// where that is too thin, the rest shared by the others in proportion (water-filling).
    static func bandHeights(counts: [Int], total: Double, minimum: Double) -> [Double] {
        guard !counts.isEmpty else { return [] }
        if minimum * Double(counts.count) >= total {
            return counts.map { _ in total / Double(counts.count) }
        }
        var fixed = [Bool](repeating: false, count: counts.count)
        while true {
            let free = total - minimum * Double(fixed.filter { $0 }.count)
            let share = counts.indices.filter { !fixed[$0] }.reduce(0) { $0 + counts[$1] }
            var changed = false
            for i in counts.indices where !fixed[i] && Double(counts[i]) / Double(max(1, share)) * free < minimum {
                fixed[i] = true
                changed = true
            }
            if !changed {
                return counts.indices.map {
                    fixed[$0] ? minimum : Double(counts[$0]) / Double(max(1, share)) * free
                }
            }
        }
    }

    public func draw<S: DrawingSurface>(on s: inout S) {
        let frame = PlotFrame(width: width, height: height, margins: margins)
        frame.drawTitle(title, subtitle: subtitle, on: &s)
        let x = LinearScale(domain: 0...Double(max(1, timeSteps)), range: frame.left...frame.right)
        let bands = self.bands
        let heights = SpikeRasterPlot.bandHeights(
            counts: bands.map(\.neurons.count), total: frame.bottom - frame.top, minimum: minimumGroupHeight)
        var tops = [frame.top]
        for h in heights { tops.append(tops.last! + h) }

        drawPhases(on: &s, frame: frame, x: x)
        drawSpikes(on: &s, frame: frame, x: x, bands: bands, tops: tops)

        // Band separators, and the population names as the y axis.
        var nameStyle = PlotFrame.tickStyle
        nameStyle.anchor = .end
        nameStyle.baseline = .middle
        for (i, band) in bands.enumerated() {
            if i > 0 {
                s.line(from: (frame.left, tops[i]), to: (frame.right, tops[i]), color: RGB.gray(120), width: 1)
                s.line(from: (frame.left - 7, tops[i]), to: (frame.left, tops[i]), color: Palette.axis, width: 2)
            }
            if !groups.isEmpty {
                s.text(label(band), at: (frame.left - 12, (tops[i] + tops[i + 1]) / 2), style: nameStyle)
            }
        }
        let widestName = bands.map { nameStyle.width(of: label($0)) }.max() ?? 0
        let xt = NiceTicks.make(lower: 0, upper: Double(timeSteps), targetCount: 10)
        let y = LinearScale(domain: 0...Double(max(1, neuronCount)), range: frame.top...frame.bottom)
        let yt = NiceTicks.make(lower: 0, upper: Double(neuronCount), targetCount: 6)
        frame.drawAxes(
            on: &s, x: x, y: y,
            xTicks: xt.values.map { ($0, NiceTicks.label($0, step: max(1, xt.step))) },
            // Named bands replace the neuron numbers, which no longer map linearly.
            yTicks: groups.isEmpty ? yt.values.map { ($0, NiceTicks.label($0, step: max(1, yt.step))) } : [],
            xLabel: xLabel, yLabel: yLabel, grid: false,
            yLabelOffset: groups.isEmpty ? nil : frame.left - 26 - widestName)
    }

    /// Shaded phase bands with their labels above; neighbours alternate tints.
    private func drawPhases<S: DrawingSurface>(on s: inout S, frame: PlotFrame, x: LinearScale) {
        let tints = [RGB(hex: 0xDCEBFA), RGB(hex: 0xFBE8D3), RGB(hex: 0xDFF2E1), RGB(hex: 0xEEE3F5)]
        var bandLabel = PlotFrame.tickStyle
        bandLabel.anchor = .middle
        bandLabel.baseline = .bottom
        for (i, phase) in phases.enumerated() {
            let x0 = x.map(Double(phase.start))
            let x1 = x.map(Double(phase.end))
            s.fillRect(
                x: x0, y: frame.top, width: x1 - x0, height: frame.bottom - frame.top, color: tints[i % tints.count])
            if i > 0 { s.line(from: (x0, frame.top), to: (x0, frame.bottom), color: RGB.gray(170), width: 1) }
            // Label above the band; shortened if it does not fit.
            var text = phase.label
            while bandLabel.width(of: text) > x1 - x0 - 4, text.count > 1 { text.removeLast() }
            s.text(text, at: ((x0 + x1) / 2, frame.top - 8), style: bandLabel)
        }
    }

    /// One cell per (step, neuron). Spikes on the same pixel are drawn once, which bounds the
    /// SVG's size by the plot area instead of the spike count (long runs have millions).
    private func drawSpikes<S: DrawingSurface>(
        on s: inout S, frame: PlotFrame, x: LinearScale, bands: [Group], tops: [Double]
    ) {
        let step = (frame.right - frame.left) / Double(max(1, timeSteps))
        // Wide steps keep a pixel of background on each side, so neighbouring steps separate.
        let cellWidth = step >= 6 ? step - 2 : max(2, step)
        let inset = step >= 6 ? 1.0 : 0
        var bandOf = [Int](repeating: -1, count: max(0, neuronCount))
        for (b, band) in bands.enumerated() {
            for n in band.neurons where n >= 0 && n < neuronCount { bandOf[n] = b }
        }
        var drawn = Set<Int>()
        var cells: [(x: Double, y: Double, width: Double, height: Double)] = []
        for spike in spikes
        where spike.time >= 0 && spike.time < timeSteps && spike.neuron >= 0 && spike.neuron < neuronCount
            && bandOf[spike.neuron] >= 0
        {
            let b = bandOf[spike.neuron]
            let rowHeight = (tops[b + 1] - tops[b]) / Double(bands[b].neurons.count)
            let px = x.map(Double(spike.time)) + inset
            let py = tops[b] + Double(spike.neuron - bands[b].neurons.lowerBound) * rowHeight
            let key = Int(px.rounded()) &* 65_536 &+ Int(py.rounded())
            guard drawn.insert(key).inserted else { continue }
            // Rows taller than 3 px keep a thin gap, so single neurons read as lines.
            let h = rowHeight > 3 ? rowHeight - 1 : max(1, rowHeight)
            cells.append((px, py, cellWidth, h))
        }
        s.fillRects(cells, color: RGB(hex: 0x111111))
    }
}
