import Foundation

/// SVG stacked/category bar charts of where the energy goes (energy-model.md §8.3).
public enum EnergyChart {
    /// One panel per mode: a bar per §4 category, height = mean energy per sample in nJ
    /// on a linear scale, value above each bar; when one category exceeds 100x the
    /// smallest non-zero one a log-scale panel follows. A last panel stacks the mean
    /// latency per sample into coreWork / mesh / sync, and a stacked bar per mode shows
    /// each category's share of the energy per sample.
    public static func svg(_ report: EnergyReport) -> String {
        let panelWidth = 560.0
        let panelHeight = 260.0
        var panels: [(title: String, values: [Double], log: Bool)] = []
        var latencies: [(String, LatencyByTerm)] = []
        for mode in RunMode.allCases {
            guard let s = report.summary(mode) else { continue }
            let values = s.meanEnergyByCategoryPJ.values.map { $0 / 1e3 }
            let title =
                "\(report.preset) — \(mode.rawValue), \(s.samples) samples: energy per sample (nJ)"
            panels.append((title, values, false))
            let nonZero = values.filter { $0 > 0 }
            if let lo = nonZero.min(), let hi = nonZero.max(), hi > 100 * lo {
                panels.append((title + ", log scale", values, true))
            }
            latencies.append((mode.rawValue, s.meanLatencyByTermNS))
        }
        let height =
            Double(panels.count) * panelHeight + (latencies.isEmpty ? 0 : 2 * 200) + 20
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(panelWidth))" height="\(Int(height))" \
            font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>

            """
        var top = 10.0
        let colors = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"]
        for panel in panels {
            out += barPanel(
                panel.title, labels: EnergyByCategory.names, values: panel.values, log: panel.log,
                colors: colors, top: top, width: panelWidth, height: panelHeight)
            top += panelHeight
        }
        if !latencies.isEmpty {
            out += sharePanel(report, colors: colors, top: top, width: panelWidth)
            top += 200
            out += latencyPanel(latencies, top: top, width: panelWidth)
        }
        out += "</svg>\n"
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    static func barPanel(
        _ title: String, labels: [String], values: [Double], log: Bool, colors: [String],
        top: Double, width: Double, height: Double
    ) -> String {
        let left = 60.0
        let plotTop = top + 30
        let plotHeight = height - 80
        let barSlot = (width - left - 20) / Double(labels.count)
        let nonZero = values.filter { $0 > 0 }
        let maxValue = max(values.max() ?? 0, 1e-12)
        let logLow = floor(log10(nonZero.min() ?? 1))
        let logHigh = max(ceil(log10(nonZero.max() ?? 10)), logLow + 1)
        func y(_ v: Double) -> Double {
            if log {
                guard v > 0 else { return plotTop + plotHeight }
                return plotTop + plotHeight * (1 - (log10(v) - logLow) / (logHigh - logLow))
            }
            return plotTop + plotHeight * (1 - v / maxValue)
        }
        var s =
            "<text x=\"\(fmt(left))\" y=\"\(fmt(top + 18))\" font-size=\"13\">\(escape(title))</text>\n"
        s +=
            "<line x1=\"\(fmt(left))\" y1=\"\(fmt(plotTop + plotHeight))\" x2=\"\(fmt(width - 20))\" "
            + "y2=\"\(fmt(plotTop + plotHeight))\" stroke=\"black\"/>\n"
        s +=
            "<line x1=\"\(fmt(left))\" y1=\"\(fmt(plotTop))\" x2=\"\(fmt(left))\" "
            + "y2=\"\(fmt(plotTop + plotHeight))\" stroke=\"black\"/>\n"
        let ticks: [Double] =
            log
            ? stride(from: logLow, through: logHigh, by: 1).map { pow(10, $0) }
            : (0...4).map { maxValue * Double($0) / 4 }
        for tick in ticks {
            s +=
                "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(y(tick) + 4))\" text-anchor=\"end\">"
                + "\(UnitFormat.plain(tick))</text>\n"
        }
        for (i, (label, value)) in zip(labels, values).enumerated() {
            let x = left + Double(i) * barSlot + barSlot * 0.15
            let w = barSlot * 0.7
            let yTop = y(value)
            s +=
                "<rect x=\"\(fmt(x))\" y=\"\(fmt(yTop))\" width=\"\(fmt(w))\" "
                + "height=\"\(fmt(plotTop + plotHeight - yTop))\" fill=\"\(colors[i % colors.count])\"/>\n"
            s +=
                "<text x=\"\(fmt(x + w / 2))\" y=\"\(fmt(yTop - 3))\" text-anchor=\"middle\">"
                + "\(UnitFormat.plain(value))</text>\n"
            s +=
                "<text x=\"\(fmt(x + w / 2))\" y=\"\(fmt(plotTop + plotHeight + 14))\" "
                + "text-anchor=\"middle\">\(label)</text>\n"
        }
        return s
    }

    /// One 100%-stacked bar per mode: training and inference differ by orders of
    /// magnitude, so shares compare where the energy goes in each.
    static func sharePanel(_ report: EnergyReport, colors: [String], top: Double, width: Double)
        -> String
    {
        let left = 80.0
        let plotWidth = width - left - 30
        var s =
            "<text x=\"\(fmt(left))\" y=\"\(fmt(top + 18))\" font-size=\"13\">"
            + "Share of energy per sample by category (stacked)</text>\n"
        var row = 0
        for mode in RunMode.allCases {
            guard let summary = report.summary(mode) else { continue }
            let values = summary.meanEnergyByCategoryPJ.values
            let total = values.reduce(0, +)
            let y = top + 35 + Double(row) * 40
            row += 1
            s +=
                "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(y + 16))\" text-anchor=\"end\">\(mode.rawValue)</text>\n"
            var x = left
            for (i, value) in values.enumerated() where total > 0 && value > 0 {
                let w = plotWidth * value / total
                s +=
                    "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"24\" "
                    + "fill=\"\(colors[i % colors.count])\"><title>\(EnergyByCategory.names[i]) "
                    + "\(escape(UnitFormat.energy(value)))</title></rect>\n"
                x += w
            }
        }
        // Legend.
        let legendY = top + 35 + Double(row) * 40 + 10
        for (i, name) in EnergyByCategory.names.enumerated() {
            let x = left + Double(i) * plotWidth / Double(EnergyByCategory.names.count)
            s +=
                "<rect x=\"\(fmt(x))\" y=\"\(fmt(legendY))\" width=\"10\" height=\"10\" "
                + "fill=\"\(colors[i % colors.count])\"/>\n"
            s += "<text x=\"\(fmt(x + 13))\" y=\"\(fmt(legendY + 9))\">\(name)</text>\n"
        }
        return s
    }

    static func latencyPanel(_ rows: [(String, LatencyByTerm)], top: Double, width: Double)
        -> String
    {
        let left = 80.0
        let plotWidth = width - left - 30
        let maxTotal = max(rows.map { $0.1.total }.max() ?? 1, 1e-12)
        var s =
            "<text x=\"\(fmt(left))\" y=\"\(fmt(top + 18))\" font-size=\"13\">"
            + "Mean latency per sample: coreWork / mesh / sync</text>\n"
        let colors = ["#4e79a7", "#59a14f", "#edc948"]
        for (r, (mode, t)) in rows.enumerated() {
            let y = top + 35 + Double(r) * 40
            s +=
                "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(y + 16))\" text-anchor=\"end\">\(mode)</text>\n"
            var x = left
            for (i, part) in [t.coreWork, t.mesh, t.sync].enumerated() {
                let w = plotWidth * part / maxTotal
                s +=
                    "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"24\" "
                    + "fill=\"\(colors[i])\"/>\n"
                x += w
            }
            s +=
                "<text x=\"\(fmt(left))\" y=\"\(fmt(y + 36))\">\(escape(UnitFormat.time(t.total))) "
                + "(coreWork \(escape(UnitFormat.time(t.coreWork))), mesh "
                + "\(escape(UnitFormat.time(t.mesh))), sync \(escape(UnitFormat.time(t.sync))))</text>\n"
        }
        return s
    }
}
