import ArgumentParser
import EnergyModel
import Foundation
import NBP
import NeuroChip
import SynfireData
import SynfireIO

/// `synfire nbp ...`: train and evaluate the nBP network, print its circuit.
struct NBPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nbp",
        abstract: "Backpropagation as spikes on the simulated chip (Renner et al.): train, evaluate, show the circuit.",
        subcommands: [
            NBPTrainCommand.self, NBPEvalCommand.self, NBPCircuitCommand.self, NBPExportCommand.self,
            NBPCompareCommand.self,
        ]
    )
}

struct NBPTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the binarized 400-400-10 MLP with nBP (fast path or the chip circuit).",
        discussion: """
            --engine fast computes exactly what the chip circuit computes (--variant chip) or the \
            authors' numpy semantics (--variant reference); --engine chip runs every sample as 12 \
            steps of spikes on NeuroChip. --compare-fast runs both and counts the samples after \
            which any of the eight on-chip matrices differ (weight_mismatches).
            """
    )

    @Option(help: "mnist or fashion-mnist.") var dataset = "mnist"
    @Option(help: "Use only the first N training and test images.") var limit: Int?
    @Option(help: "Epochs.") var epochs = 1
    @Option(help: "fast or chip.") var engine = "fast"
    @Option(help: "chip or reference (fast engine only).") var variant = "chip"
    @Flag(help: "With --engine chip: also run the fast path and compare all eight matrices after every sample.")
    var compareFast = false
    @Option(help: "Seed (initialisation, shuffles).") var seed: UInt64 = 43
    @Option(help: "Run directory (created; must not hold a run unless --resume).") var out: String
    @Option(help: "Hidden units.") var hidden = 400
    @Option(help: "Pixel binarization threshold (on if value >= threshold).") var threshold = 129
    @Option(help: "Start from these weights (.npz with W1, W2 and optionally M).") var initWeights: String?
    @Option(
        help:
            "Named settings: paper (the papers'), margin (init scale 0.5, training margin 192), margin-decay (margin, and p halved every 3 epochs after 30, per synapse: best on MNIST) or margin-replay (margin, and p halved every 4 epochs after 20 through the replay gates: best on Fashion-MNIST with --threshold 64); docs/nbp.md. Options below override it."
    )
    var preset = "paper"
    @Option(
        help:
            "Learning-rate schedule: update probability 2^-k halves every N epochs after --decay-after (0 = constant rate)."
    )
    var decayEvery: Int?
    @Option(help: "Epochs at full rate before the first halving.") var decayAfter: Int?
    @Option(
        help:
            "How the schedule's probability is realised: synapse (the learning engine rounds each ±2 event), sample (a per-sample learning gate), input (the host vetoes the replay of each active input in phases 7/11 with probability 1 - p: W1 only) or replay (input plus the hidden units' replay in phases 5/9: W2 too). Only synapse lets the copies drift."
    )
    var learningGate: String?
    @Option(help: "Smallest update probability 2^-N the schedule decays to.") var decayMax: Int?
    @Option(help: "Multiplier of the He-normal initialisation's standard deviation (1 = paper).") var initScale: Double?
    @Option(
        help: "Training margin m (even, 0...254): the target must exceed 512 + m, the others stay at or below 512 - m.")
    var margin: Int?
    @Flag(help: "Continue the run in --out from its last checkpoint.") var resume = false
    @Option(help: "Data directory (default: $SYNFIRE_DATA, else ./data).") var dataDir: String?
    @Flag(
        help:
            "With --engine fast: derive the chip circuit's energy counts from the fast path's spikes and write energy_counts*.json (identical to --engine chip's; ~4x the fast epoch time)."
    )
    var energyCounts = false
    @OptionGroup var threading: ThreadsOption
    @Flag(help: "Print the result as one JSON object on the last stdout line.") var json = false

    func run() async throws {
        guard let engineKind = NBPEngineKind(rawValue: engine) else {
            throw ValidationError("--engine must be fast or chip, not '\(engine)'")
        }
        guard let variantKind = NBPVariant(rawValue: variant) else {
            throw ValidationError("--variant must be chip or reference, not '\(variant)'")
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        if compareFast && engineKind != .chip { throw ValidationError("--compare-fast needs --engine chip") }
        var options = NBPTrainOptions(out: out)
        options.dataset = dataset
        options.limit = limit
        options.epochs = epochs
        options.engine = engineKind
        options.variant = variantKind
        options.compareFast = compareFast
        options.seed = seed
        options.hidden = hidden
        options.threshold = threshold
        options.initWeights = initWeights
        options.resume = resume
        options.dataDirectory = dataDir
        options.energyCounts = energyCounts
        options.threads = threading.resolved()
        guard let presetKind = NBPPreset(rawValue: preset) else {
            throw ValidationError("--preset must be paper, margin, margin-decay or margin-replay, not '\(preset)'")
        }
        presetKind.apply(to: &options)
        if let learningGate {
            guard let gate = NBPLearningGate(rawValue: learningGate) else {
                throw ValidationError("--learning-gate must be synapse, sample, input or replay, not '\(learningGate)'")
            }
            options.schedule.gate = gate
        }
        if let decayAfter { options.schedule.constantEpochs = decayAfter }
        if let decayEvery { options.schedule.halvingEvery = decayEvery }
        if let decayMax { options.schedule.maximumExponent = decayMax }
        if let initScale {
            guard initScale > 0 else { throw ValidationError("--init-scale must be positive") }
            options.initScale = initScale
        }
        // NBPRunner checks the margin (NBPError.invalidMargin) before loading any data.
        if let margin { options.margin = margin }
        let result = try NBPRunner.train(options) { logLine($0) }
        logLine(
            String(
                format: "test exact %.4f, argmax %.4f, argmax-input %.4f; train exact %.4f; run in %@",
                result.testExact, result.testArgmax, result.testArgmaxInput, result.trainExact, result.runDirectory))
        if let mismatches = result.weightMismatches {
            logLine("weight mismatches chip vs fast: \(mismatches); gate violations: \(result.gateViolations ?? 0)")
        }
        let countsFile = result.runDirectory + "/" + EnergyCounts.fileName
        if engineKind == .chip || FileManager.default.fileExists(atPath: countsFile) {
            // Issue 8: every chip-engine run says what it would cost on Loihi, in one line.
            let counts = try EnergyCounts.load(runDirectory: result.runDirectory)
            let report = EnergyReport(counts: counts, table: try CostTable.resolve("davies2018"), reference: "nbp")
            logLine(report.summaryLine + " — details: synfire energy report \(result.runDirectory)")
        }
        if json { try printJSONResult(result) }
    }
}

struct NBPCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Plot the test-accuracy curves of several runs in one figure (PNG + SVG).")

    @Argument(help: "Run directories written by `synfire nbp train --out` (label=DIR to name a curve).")
    var runs: [String]
    @Option(help: "exact, argmax or argmax-input.") var measure = "exact"
    @Option(help: "Output path without extension (writes PATH.png and PATH.svg).") var out: String
    @Flag(help: "Print the result as one JSON object on the last stdout line.") var json = false

    func run() async throws {
        guard let measureKind = NBPMeasure(rawValue: measure) else {
            throw ValidationError("--measure must be exact, argmax or argmax-input, not '\(measure)'")
        }
        guard !runs.isEmpty else { throw ValidationError("name at least one run directory") }
        var curves: [(name: String, history: [NBPEpochRecord])] = []
        var dataset: DatasetName?
        var finals: [String: JSONValue] = [:]
        for argument in runs {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let (name, path) = parts.count == 2 ? (parts[0], parts[1]) : (argument, argument)
            let history = try NBPPlots.history(runDirectory: path)
            guard let last = history.last else { throw ValidationError("\(path) has no epochs in metrics.jsonl") }
            let config = try RunDirectory.open(at: path).config
            if let record = config.datasets.first, let parsed = DatasetName(rawValue: record.name) {
                if let dataset, dataset != parsed {
                    throw ValidationError("\(path) trained on \(parsed.rawValue), the others on \(dataset.rawValue)")
                }
                dataset = parsed
            }
            curves.append((name, history))
            finals[name] = .number(measureKind.value(of: last.test))
        }
        let plot = NBPPlots.comparison(runs: curves, dataset: dataset ?? .mnist, measure: measureKind)
        let files = try plot.write(to: out)
        logLine("wrote \(files.joined(separator: ", "))")
        if json {
            try printJSONResult(["files": JSONValue.array(files.map { .string($0) }), "final": .object(finals)])
        }
    }
}

struct NBPEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a run's weights on its test set (three accuracy measures).")

    @Argument(help: "Run directory written by `synfire nbp train --out`.") var run: String
    @Option(help: "Data directory (default: $SYNFIRE_DATA, else ./data).") var dataDir: String?
    @Flag(help: "Print the result as one JSON object on the last stdout line.") var json = false

    func run() async throws {
        let accuracy = try NBPRunner.evaluate(runDirectory: run, dataDirectory: dataDir)
        logLine(
            String(
                format: "test exact %.4f, argmax %.4f, argmax-input %.4f (%d images)", accuracy.exact,
                accuracy.argmax, accuracy.argmaxInput, accuracy.samples))
        if json {
            try printJSONResult([
                "test_exact": JSONValue.number(accuracy.exact), "test_argmax": .number(accuracy.argmax),
                "test_argmax_input": .number(accuracy.argmaxInput), "samples": .integer(accuracy.samples),
            ])
        }
    }
}

struct NBPCircuitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circuit",
        abstract: "Print the nBP circuit (populations, connections, schedule) or its NeuroChip network as JSON.")

    @Option(help: "Layer sizes input-hidden-output.") var sizes = "400-400-10"
    @Flag(help: "The 4-step inference circuit instead of the 12-phase training circuit.") var inference = false
    @Flag(help: "Print the NeuroChip network description (JSON, zero initial weights) instead of the listing.")
    var json = false

    func run() async throws {
        let parts = sizes.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { throw ValidationError("--sizes must look like 400-400-10") }
        let layerSizes = NBPSizes(input: parts[0], hidden: parts[1], output: parts[2])
        let circuit =
            inference ? try NBPCircuit.inference(sizes: layerSizes) : try NBPCircuit.training(sizes: layerSizes)
        if json {
            var matrices: [String: [Int]] = [:]
            for connection in circuit.connections where connection.kind == .p {
                let source = circuit.populations.first { $0.name == connection.source }?.size ?? 0
                let target = circuit.populations.first { $0.name == connection.target }?.size ?? 0
                matrices[connection.matrix ?? ""] = Array(repeating: 0, count: source * target)
            }
            let network = try circuit.networkDescription(matrices: matrices, plastic: !inference)
            try printJSONResult(network)
        } else {
            print(circuit.listing)
        }
    }
}

struct NBPExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-weights",
        abstract: "Write the paper's initial weights (He normal in chip units) as .npz for another implementation.")

    @Option(help: "Layer sizes input-hidden-output.") var sizes = "400-400-10"
    @Option(help: "Seed.") var seed: UInt64 = 43
    @Option(help: "Output .npz path.") var out: String

    func run() async throws {
        let parts = sizes.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { throw ValidationError("--sizes must look like 400-400-10") }
        var generator = SeededGenerator(seed: seed)
        let weights = try NBPWeights.heNormal(
            sizes: NBPSizes(input: parts[0], hidden: parts[1], output: parts[2]), using: &generator)
        try NBPWeightsFile.write(weights, to: out)
        logLine("wrote \(out)")
    }
}

/// `synfire bench nbp`.
struct BenchNBPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nbp",
        abstract: "Time the nBP fast path (per epoch), the chip engine (per sample) and the numpy reference.")

    @Flag(help: "Time fewer samples (extrapolated).") var quick = false
    @Option(help: "Data directory (default: $SYNFIRE_DATA, else ./data).") var dataDir: String?
    @Flag(help: "Print the result as one JSON object on the last stdout line.") var json = false

    func run() async throws {
        #if DEBUG
            logLine("warning: debug build — benchmark figures need `swift build -c release`")
        #endif
        let script = [
            "bench/nbp_numpy.py",
            URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("bench/nbp_numpy.py")
                .path,
        ]
        .first { FileManager.default.fileExists(atPath: $0) }
        let result = try NBPBenchmark.run(quick: quick, dataDirectory: dataDir, numpyScript: script) { logLine($0) }
        if json { try printJSONResult(result) }
    }
}
