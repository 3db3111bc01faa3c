import Foundation
import SynfireIO

/// A training run on disk through SynfireIO's `RunDirectory`: config.json (a `RunConfig`
/// whose parameters are the `STETrainingOptions`), metrics.jsonl (one `EpochReport` per
/// line), weights.npz, result.json and plots/*.svg — each file written atomically.
public struct STERunDirectory {
    public let run: RunDirectory
    public var path: String { run.path }

    /// Starts a new run; refuses a directory that already holds one.
    public static func create(
        at path: String, options: STETrainingOptions, datasets: [DatasetRecord]
    ) throws -> STERunDirectory {
        guard !path.isEmpty else {
            throw STEError.invalidParameter(name: "run directory", value: path, expected: "a directory path (--out)")
        }
        guard case .object(let parameters) = try RecordValue(encoding: options) else {
            throw STEError.invalidParameter(name: "options", value: "\(options)", expected: "a JSON object")
        }
        let config = RunConfig(
            command: "ste train", seed: options.seed, datasets: datasets, parameters: parameters)
        return STERunDirectory(run: try RunDirectory.create(at: path, config: config))
    }

    /// Opens a finished (or interrupted) run and recovers its options.
    public static func open(at path: String) throws -> (STERunDirectory, STETrainingOptions) {
        let run = try RunDirectory.open(at: path)
        let data = try JSONEncoder().encode(RecordValue.object(run.config.parameters))
        do {
            return (STERunDirectory(run: run), try JSONDecoder().decode(STETrainingOptions.self, from: data))
        } catch {
            throw STEError.missingParameters(
                "\(run.configPath) does not describe an STE run (\(error)) — pass a directory written by 'synfire ste train'")
        }
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(data: try encoder.encode(value), to: file(name))
    }

    public func appendMetrics(_ report: EpochReport) throws {
        try run.appendMetrics(report)
    }

    public func writePlot(_ svg: String, name: String) throws {
        try AtomicFile.write(string: svg, to: try run.plotPath(name, extension: "svg"))
    }
}

/// Minimal SVG line charts for run directories.
public enum LinePlot {
    public struct Series: Sendable {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
        }
    }

    public static func svg(
        title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool = false
    ) -> String {
        let width = 640.0
        let height = 420.0
        let left = 70.0
        let right = 20.0
        let top = 40.0
        let bottom = 60.0
        let all = series.flatMap(\.points)
        func fx(_ x: Double) -> Double { logX ? log2(max(x, 1e-12)) : x }
        let xs = all.map { fx($0.x) }
        let ys = all.map(\.y)
        var xMin = xs.min() ?? 0
        var xMax = xs.max() ?? 1
        var yMin = ys.min() ?? 0
        var yMax = ys.max() ?? 1
        if xMax == xMin { xMin -= 1; xMax += 1 }
        if yMax == yMin { yMin -= 0.5; yMax += 0.5 }
        let pad = (yMax - yMin) * 0.05
        yMin -= pad
        yMax += pad
        func px(_ x: Double) -> Double { left + (fx(x) - xMin) / (xMax - xMin) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - yMin) / (yMax - yMin) * (height - top - bottom) }
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(title)</text>
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" stroke="black"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="black"/>
            <text x="\(width / 2)" y="\(height - 15)" text-anchor="middle">\(xLabel)</text>
            <text x="18" y="\(height / 2)" text-anchor="middle" transform="rotate(-90 18 \(height / 2))">\(yLabel)</text>

            """
        for i in 0...4 {
            let y = yMin + (yMax - yMin) * Double(i) / 4
            s += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\">\(String(format: "%.4g", y))</text>\n"
        }
        for x in Set(all.map(\.x)).sorted() where all.count <= 400 || x == all.first?.x {
            if all.count > 40 && !logX { break }
            s += "<text x=\"\(px(x))\" y=\"\(height - bottom + 16)\" text-anchor=\"middle\">\(String(format: "%g", x))</text>\n"
        }
        for (i, line) in series.enumerated() {
            let colour = colours[i % colours.count]
            let path = line.points.map { "\(px($0.x)),\(py($0.y))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            for p in line.points where line.points.count <= 40 {
                s += "<circle cx=\"\(px(p.x))\" cy=\"\(py(p.y))\" r=\"3\" fill=\"\(colour)\"/>\n"
            }
            s += "<text x=\"\(left + 10)\" y=\"\(top + 16 + 16 * Double(i))\" fill=\"\(colour)\">\(line.label)</text>\n"
        }
        return s + "</svg>\n"
    }
}
