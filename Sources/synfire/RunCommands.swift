import ArgumentParser
import Foundation
import SynfireArrays
import SynfireIO

/// `synfire runs ...`: inspect run directories and regenerate their plots.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Inspect training run directories and redraw their plots.",
        subcommands: [RunsShowCommand.self, RunsCompareCommand.self, RunsPlotCommand.self]
    )
}

struct RunsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Summarise a run: command, seed, dataset, last metrics, checkpoint.")

    @Argument(help: "A run directory (the --out of a training command).") var runDirectory: String
    @OptionGroup var json: JSONOutputOption

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
        if json.enabled {
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

struct RunsCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Set runs side by side: the settings that differ and each run's last metrics.",
        discussion: """
            One column per run: command, seed, dataset, every parameter whose value differs \
            between the runs, the number of metrics lines and the last line's numbers that all \
            runs record. `synfire nbp compare` draws nBP runs' accuracy curves in one figure.
            """)

    @Argument(help: "Run directories (the --out of training commands), at least two.") var runs: [String]
    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        guard runs.count >= 2 else { throw ValidationError("name at least two run directories to compare") }
    }

    func run() async throws {
        let opened = try runs.map { try RunDirectory.open(at: $0) }
        let configs = opened.map(\.config)
        let lastMetrics = try opened.map { try $0.readMetrics().last ?? [:] }
        let metricsLines = try opened.map { try $0.readMetrics().count }
        let parameterNames = Set(configs.flatMap(\.parameters.keys)).sorted().filter { name in
            Set(configs.map { $0.parameters[name]?.description ?? "absent" }).count > 1
        }
        let sharedMetrics = lastMetrics.map { Set($0.keys) }.reduce(Set(lastMetrics[0].keys)) { $0.intersection($1) }
            .sorted().filter { key in lastMetrics.allSatisfy { $0[key]?.isNumber ?? false } }
        var rows: [(String, [RecordValue])] = [
            ("command", configs.map { .string($0.command) }),
            ("seed", configs.map { .string(String($0.seed)) }),
            ("dataset", configs.map { .string(Self.datasets($0)) }),
        ]
        rows += parameterNames.map { name in (name, configs.map { $0.parameters[name] ?? .null }) }
        rows.append(("metricsLines", metricsLines.map(RecordValue.int)))
        rows += sharedMetrics.map { key in ("last " + key, lastMetrics.map { $0[key]! }) }
        print(Self.table(header: [""] + opened.map(\.path), rows: rows))
        if json.enabled {
            let columns = opened.indices.map { index -> RecordValue in
                let config = configs[index]
                return .object([
                    "path": .string(opened[index].path), "command": .string(config.command),
                    "seed": .string(String(config.seed)), "metricsLines": .int(metricsLines[index]),
                    "parameters": .object(
                        Dictionary(uniqueKeysWithValues: parameterNames.map { ($0, config.parameters[$0] ?? .null) })),
                    "lastMetrics": .object(lastMetrics[index]),
                ])
            }
            try printJSONResult(
                RecordValue.object([
                    "runs": .array(columns), "differingParameters": .array(parameterNames.map(RecordValue.string)),
                ]))
        }
    }

    /// "mnist/train n=1000, mnist/test n=500".
    static func datasets(_ config: RunConfig) -> String {
        config.datasets.map { "\($0.name)/\($0.split) n=\($0.count)" }.joined(separator: ", ")
    }

    /// Left-aligned columns separated by two spaces.
    static func table(header: [String], rows: [(String, [RecordValue])]) -> String {
        let lines = [header] + rows.map { [$0.0] + $0.1.map(\.cell) }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            var text = line.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }.joined(separator: "\n")
    }
}

extension RecordValue {
    fileprivate var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }

    /// A table cell: strings without their JSON quotes, fractions to 6 significant digits.
    fileprivate var cell: String {
        switch self {
        case .string(let text): text
        case .double(let value): String(format: "%.6g", value)
        default: description
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
    @OptionGroup var json: JSONOutputOption

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
        if json.enabled {
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
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let archive = try NPZArchive.read(from: file)
        var rows: [RecordValue] = []
        for name in archive.names {
            let array = archive[name]!
            let values = array.storage.doubles
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
        if json.enabled {
            try printJSONResult(
                RecordValue.object(["file": .string(file), "arrays": .array(rows)]))
        }
    }
}
