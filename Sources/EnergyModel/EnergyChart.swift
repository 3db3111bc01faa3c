import Foundation
import SynfireIO

/// The energy chart of `synfire energy report` (docs/energy.md "Report"), drawn by SynfireIO's
/// `StackedBarPlot` so it exists as PNG, SVG and PDF like every other Synfire plot: one stacked
/// bar per mode (training, inference), one segment per docs/energy.md "Latency and energy per step" category, the mean
/// energy per
/// sample on the y axis; the mean latency per sample per mode goes in the subtitle.
public enum EnergyChart {
    public static func plot(_ report: EnergyReport) -> StackedBarPlot {
        var categories: [String] = []
        var valuesPJ: [[Double]] = []
        var latencies: [String] = []
        for mode in RunMode.allCases {
            guard let s = report.summary(mode) else { continue }
            categories.append("\(mode.rawValue) (\(s.samples) samples)")
            valuesPJ.append(s.meanEnergyByCategoryPJ.values)
            // Totals only: the coreWork / mesh / sync split does not fit on one line for two
            // modes; it stays in the docs/energy.md "Report" table and energy_report.json.
            latencies.append("\(mode.rawValue) \(UnitFormat.time(s.meanLatencyByTermNS.total))")
        }
        // The largest bar decides the unit so tick labels stay short (pJ → nJ / µJ / mJ).
        let largest = valuesPJ.map { $0.reduce(0, +) }.max() ?? 0
        let (factor, unit): (Double, String) =
            largest >= 1e9 ? (1e9, "mJ") : largest >= 1e6 ? (1e6, "µJ") : largest >= 1e3 ? (1e3, "nJ") : (1, "pJ")
        // One category can dwarf the rest by orders of magnitude (learning vs mesh), leaving
        // thin segments unreadable: the legend carries each category's value per mode.
        let components = EnergyByCategory.names.enumerated().map { k, name in
            name + " " + valuesPJ.map { String(format: "%.3g", $0[k] / factor) }.joined(separator: " / ")
        }
        let modes = categories.map { $0.components(separatedBy: " ").first ?? $0 }
        return StackedBarPlot(
            title: "\(report.preset): energy per sample by category",
            subtitle: "latency/sample: " + latencies.joined(separator: ", ")
                + "; legend: \(unit) (\(modes.joined(separator: " / ")))",
            categories: categories, components: components,
            values: valuesPJ.map { $0.map { $0 / factor } }, unit: "\(unit) per sample")
    }

    /// Writes `<basePath>.png`, `.svg` and `.pdf` atomically; a trailing `.svg`, `.png` or
    /// `.pdf` on `basePath` is dropped so `--chart x.svg` still works. Returns [png, svg, pdf].
    @discardableResult
    public static func write(_ report: EnergyReport, to basePath: String) throws -> [String] {
        let ext = (basePath as NSString).pathExtension.lowercased()
        let base = PlotFormat(rawValue: ext) != nil ? (basePath as NSString).deletingPathExtension : basePath
        return try plot(report).write(to: base)
    }
}
