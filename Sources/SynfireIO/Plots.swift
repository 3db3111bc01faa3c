// Plots: the figures Synfire writes for every run, each rendered to PNG, SVG and PDF by
// Cairo from one drawing routine.
//
// API
//   protocol Plot { width; height; draw(on: inout some DrawingSurface) }
//   plot.pngData() -> [UInt8]     plot.svgText() -> String     plot.pdfData() -> [UInt8]
//   try plot.rendered(.png)                          // bytes, or PlotError
//   try plot.write(to: "dir/name")                   // dir/name.{png,svg,pdf}, atomic
//   try run.writePlot(plot, name: "learning-curve")  // <run>/plots/learning-curve.{png,svg,pdf}
//
//   LearningCurvePlot(title:, series: [.init(name: "train", values: [0.80, 0.90, ...])],
//                     target: .init(value: 0.9474, label: "paper 94.74%"),
//                     yLabel: "accuracy (%)", valueScale: 100)     // fractions shown as %
//   SpikeRasterPlot(title:, timeSteps:, neuronCount:, spikes: [(time, neuron)],
//                   phases: [.init(start: 0, end: 64, label: "1 fwd")],
//                   groups: [.init(name: "hidden", neurons: 0..<100)])
//       every group gets a band of at least `minimumGroupHeight` pixels, so small
//       populations stay visible and labelled next to large ones
//   ImageGridPlot(title:, images: [[Double]], rows: 20, columns: 20, gridColumns: 10,
//                 colorScale: .diverging | .grayscale, labels: ["unit 0", ...])
//   ConfusionMatrixPlot(title:, counts: [[Int]] (row = true class), classNames: ["0", ...])
//   StackedBarPlot(title:, categories: ["train", "infer"], components: ["synaptic ops", ...],
//                  values: [[Double]] (per category, per component), unit: "µJ/sample")

import Foundation
import SynfireArrays

public protocol Plot {
    var width: Int { get }
    var height: Int { get }
    func draw<S: DrawingSurface>(on surface: inout S)
}

extension Plot {
    /// The plot as a file of `format`.
    public func rendered(_ format: PlotFormat) throws -> [UInt8] {
        try CairoSurface.render(width: width, height: height, format: format) { draw(on: &$0) }
    }

    /// PNG bytes (empty if cairo fails; `write(to:)` reports such failures).
    public func pngData() -> [UInt8] { (try? rendered(.png)) ?? [] }

    public func svgText() -> String { String(decoding: (try? rendered(.svg)) ?? [], as: UTF8.self) }

    public func pdfData() -> [UInt8] { (try? rendered(.pdf)) ?? [] }

    /// Writes `<basePath>.png`, `.svg` and `.pdf` (or the given formats) atomically;
    /// returns the paths in that order.
    @discardableResult
    public func write(to basePath: String, formats: [PlotFormat] = PlotFormat.allCases) throws -> [String] {
        try write(to: basePath, formats: formats) { _, _ in }
    }

    /// `write(to:formats:)` that hands each rendered file to `written` as well.
    func write(
        to basePath: String, formats: [PlotFormat], written: (PlotFormat, [UInt8]) throws -> Void
    ) throws -> [String] {
        var paths: [String] = []
        for format in formats {
            let path = basePath + "." + format.rawValue
            let bytes = try rendered(format)
            try AtomicFile.write(bytes: bytes, to: path)
            try written(format, bytes)
            paths.append(path)
        }
        return paths
    }
}

extension RunDirectory {
    /// Writes `plots/<name>.png`, `.svg` and `.pdf` in the run directory; a run being
    /// trained also logs the PNG to TensorBoard as image `plots/<name>`.
    @discardableResult
    public func writePlot(_ plot: some Plot, name: String) throws -> [String] {
        let base = try plotPath(name, extension: "png").dropLast(4)
        return try plot.write(to: String(base), formats: PlotFormat.allCases) { format, bytes in
            guard format == .png else { return }
            try tensorBoard?.logImage(png: bytes, width: plot.width, height: plot.height, tag: "plots/" + name)
        }
    }
}
