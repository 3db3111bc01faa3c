import Foundation
import SynfireIO

/// Files of a training run directory (config.json, metrics.jsonl, weights.npz, result.json,
/// plots), every one written atomically so a failed run leaves no half-written file.
public struct STERunDirectory {
    public let path: String

    public init(path: String) throws {
        guard !path.isEmpty else {
            throw STEError.invalidParameter(name: "run directory", value: path, expected: "a directory path (--out)")
        }
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw STEError.invalidParameter(
                name: "run directory", value: path, expected: "a creatable directory (\(error.localizedDescription))")
        }
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(data: try encoder.encode(value), to: file(name))
    }

    /// Rewrites metrics.jsonl with one compact JSON object per epoch.
    public func writeMetrics(_ history: [EpochReport]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for report in history {
            data.append(try encoder.encode(report))
            data.append(0x0A)
        }
        try AtomicFile.write(data: data, to: file("metrics.jsonl"))
    }

    public func writeText(_ text: String, to name: String) throws {
        try AtomicFile.write(data: Data(text.utf8), to: file(name))
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
