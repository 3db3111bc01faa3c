import ArgumentParser
import Foundation
import SynfireIO

/// `synfire runs ...`: inspect run directories and regenerate their plots.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Inspect training run directories and redraw their plots.",
        subcommands: [RunsShowCommand.self, RunsPlotCommand.self]
    )
}

struct RunsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Summarise a run: command, seed, dataset, last metrics, checkpoint.")

    @Argument(help: "A run directory (the --out of a training command).") var runDirectory: String
    @Flag(help: "Print a JSON summary as the last stdout line.") var json = false

    func run() async throws {
        let run = try RunDirectory.open(at: runDirectory)
        let metrics = try run.readMetrics()
        let checkpoint = try run.loadCheckpoint()
        let config = run.config
        logLine("run \(run.path)")
        logLine("  command   \(config.command)  seed \(config.seed)")
        logLine(
            "  synfire   \(config.synfireVersion) (\(config.commit)), created \(config.createdAt)")
        for dataset in config.datasets {
            logLine(
                "  dataset   \(dataset.name)/\(dataset.split) n=\(dataset.count) sha256 \(dataset.sha256)"
            )
        }
        for key in config.parameters.keys.sorted() {
            logLine("  \(key) = \(config.parameters[key]!)")
        }
        logLine(
            "  metrics   \(metrics.count) lines; last: \(metrics.last.map { RecordValue.object($0).description } ?? "none")"
        )
        if let checkpoint {
            logLine(
                "  checkpoint epoch \(checkpoint.epoch), sample \(checkpoint.sampleIndex), arrays \(checkpoint.arrays.names.joined(separator: ", "))"
            )
        } else {
            logLine("  checkpoint none")
        }
        if json {
            var summary: [String: RecordValue] = [
                "path": .string(run.path), "command": .string(config.command),
                "seed": .string(String(config.seed)), "commit": .string(config.commit),
                "parameters": .object(config.parameters), "metricsLines": .int(metrics.count),
                "lastMetrics": metrics.last.map(RecordValue.object) ?? .null,
            ]
            if let checkpoint {
                summary["checkpoint"] = [
                    "epoch": .int(checkpoint.epoch), "sampleIndex": .int(checkpoint.sampleIndex),
                ]
            }
            try printJSONResult(RecordValue.object(summary))
        }
    }
}

struct RunsPlotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract:
            "Redraw a run's learning curve (plots/learning-curve.png, .svg and .pdf) from metrics.jsonl.",
        discussion: """
            Every metrics.jsonl key ending in "Accuracy" (trainAccuracy, testAccuracy, ...) \
            becomes a curve over "epoch". Files are replaced atomically.
            """)

    @Argument(help: "A run directory (the --out of a training command).") var runDirectory: String
    @Option(help: "Accuracy to draw as a target line, as a fraction (e.g. 0.9474).") var target: Double?
    @Option(help: "Legend text of the target line.") var targetLabel = "paper target"
    @Option(help: "Plot title (default: the run's command and dataset).") var title: String?
    @Flag(help: "Print the written paths as JSON on the last stdout line.") var json = false

    func validate() throws {
        if let target, !MetricKey.accuracyRange.contains(target) {
            throw ValidationError("--target \(target) is not an accuracy: give a fraction such as 0.9474 (or percent, at most 100)")
        }
    }

    func run() async throws {
        let run = try RunDirectory.open(at: runDirectory)
        let metrics = try run.readMetrics()
        let dataset = run.config.datasets.first.map { " on \($0.name)" } ?? ""
        let targetLine = target.map {
            LearningCurvePlot.Target(
                value: $0, label: targetLabel + String(format: " %.2f%%", $0 * 100))
        }
        let plot = LearningCurvePlot(
            metrics: metrics, title: title ?? "\(run.config.command)\(dataset)",
            subtitle: "seed \(run.config.seed), \(metrics.count) metric lines", target: targetLine)
        let paths = try run.writePlot(plot, name: "learning-curve")
        for path in paths { logLine("wrote \(path)") }
        if json {
            try printJSONResult(
                RecordValue.object(["plots": .array(paths.map(RecordValue.string))]))
        }
    }
}

/// `synfire npz show FILE`: what a .npz holds, with value ranges.
struct NPZCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "npz",
        abstract: "Inspect .npz array files (numpy's format; weights, rasters, checkpoints).",
        subcommands: [NPZShowCommand.self])
}

struct NPZShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "List the arrays of a .npz file: dtype, shape, min, max, mean.")

    @Argument(help: "The .npz file.") var file: String
    @Flag(help: "Print the table as JSON on the last stdout line.") var json = false

    func run() async throws {
        let archive = try NPZArchive.read(from: file)
        var rows: [RecordValue] = []
        for name in archive.names {
            let array = archive[name]!
            let values: [Double]
            switch array.storage {
            case .int8(let v): values = v.map(Double.init)
            case .int16(let v): values = v.map(Double.init)
            case .int32(let v): values = v.map(Double.init)
            case .uint8(let v): values = v.map(Double.init)
            case .float32(let v): values = v.map(Double.init)
            case .float64(let v): values = v
            }
            let finite = values.filter(\.isFinite)
            let mean = finite.isEmpty ? Double.nan : finite.reduce(0, +) / Double(finite.count)
            let shape = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
            func pad(_ text: String, _ width: Int) -> String {
                text + String(repeating: " ", count: max(1, width - text.count))
            }
            logLine(
                pad(name, 24) + pad(array.dtype.rawValue, 9) + pad(shape, 16)
                    + String(
                        format: "min %-12.6g max %-12.6g mean %.6g", finite.min() ?? .nan,
                        finite.max() ?? .nan, mean))
            rows.append([
                "name": .string(name), "dtype": .string(array.dtype.rawValue),
                "shape": .array(array.shape.map(RecordValue.int)),
                "min": finite.min().map(RecordValue.double) ?? .null,
                "max": finite.max().map(RecordValue.double) ?? .null,
                "mean": .double(mean),
            ])
        }
        if json {
            try printJSONResult(
                RecordValue.object(["file": .string(file), "arrays": .array(rows)]))
        }
    }
}
