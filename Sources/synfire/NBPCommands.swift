import ArgumentParser
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

    @Option(help: "Dataset.") var dataset: DatasetName = .mnist
    // `.unconditional` so that a negative number reaches the range check ("--epochs -1").
    @Option(parsing: .unconditional, help: "Use only the first N training and test images.") var limit: Int?
    @Option(parsing: .unconditional, help: "Epochs (1...1000000).") var epochs = 1
    @Option(help: "Engine: the fast path or the circuit on the simulated chip.") var engine: NBPEngineKind = .fast
    @Option(help: "The circuit's semantics or the authors' numpy reference (fast engine only).")
    var variant: NBPVariant = .chip
    @Flag(help: "With --engine chip: also run the fast path and compare all eight matrices after every sample.")
    var compareFast = false
    @Option(help: "Seed (initialisation, shuffles).") var seed: UInt64 = 43
    @OptionGroup var output: RunOutputOptions
    @Option(parsing: .unconditional, help: "Hidden units (default 400, or the size of --init-weights).")
    var hidden: Int?
    @Option(
        help:
            "Every layer's size, input first: 400,400,10 is --hidden 400; 400,400,400,10 has two hidden layers (fast engine; docs/nbp.md, \"Deeper networks\")."
    )
    var sizes: String?
    @Option(parsing: .unconditional, help: "Pixel binarization threshold (on if value >= threshold).")
    var threshold = 129
    @Option(help: "Start from these weights (.npz with W1, W2 and optionally M).") var initWeights: String?
    @Option(
        help: ArgumentHelp(
            "Named settings (\(NBPPreset.choices)): paper (the papers'), margin (init scale 0.5, training margin 192), margin-decay (margin, and p halved every 3 epochs after 30, per synapse: best on MNIST) or margin-replay (margin, and p halved every 4 epochs after 20 through the replay gates: best on Fashion-MNIST with --threshold 64); docs/nbp.md. Options below override it.",
            valueName: "preset"),
        transform: NBPPreset.parser(for: "--preset"))
    var preset: NBPPreset = .paper
    @Option(
        help:
            "Learning-rate schedule: update probability 2^-k halves every N epochs after --decay-after (0 = constant rate)."
    )
    var decayEvery: Int?
    @Option(help: "Epochs at full rate before the first halving.") var decayAfter: Int?
    @Option(
        help: ArgumentHelp(
            "How the schedule's probability is realised (\(NBPLearningGate.choices)): synapse (the learning engine rounds each ±2 event), sample (a per-sample learning gate), input (the host vetoes the replay of each active input in phases 7/11 with probability 1 - p: W1 only) or replay (input plus the hidden units' replay in phases 5/9: W2 too). Only synapse lets the copies drift.",
            valueName: "learning-gate"),
        transform: NBPLearningGate.parser(for: "--learning-gate"))
    var learningGate: NBPLearningGate?
    @Option(help: "Smallest update probability 2^-N the schedule decays to.") var decayMax: Int?
    @Option(parsing: .unconditional, help: "Multiplier of the He-normal initialisation's standard deviation (1 = paper).")
    var initScale: Double?
    @Option(
        help: "Training margin m (even, 0...254): the target must exceed 512 + m, the others stay at or below 512 - m.")
    var margin: Int?
    @OptionGroup var dataDirectory: DataDirectoryOption
    @Flag(
        help:
            "With --engine fast: derive the chip circuit's energy counts from the fast path's spikes and write energy_counts*.json (identical to --engine chip's; ~4x the fast epoch time)."
    )
    var energyCounts = false
    @OptionGroup var threading: ThreadsOption
    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        // Number ranges (epochs, hidden, init scale, ...) are checked by NBPTrainOptions.validate().
        if compareFast && engine != .chip { throw ValidationError("--compare-fast needs --engine chip") }
    }

    /// The library's options: the preset first, explicit options over it.
    func resolvedOptions() throws -> NBPTrainOptions {
        var options = self.options
        if let sizes { options.layerSizes = try NBPLayerSizes.parse(sizes) }
        return options
    }

    var options: NBPTrainOptions {
        var options = NBPTrainOptions(out: output.out)
        options.dataset = dataset.rawValue
        options.limit = limit
        options.epochs = epochs
        options.engine = engine
        options.variant = variant
        options.compareFast = compareFast
        options.seed = seed
        options.hidden = hidden
        options.threshold = threshold
        options.initWeights = initWeights
        options.resume = output.resume
        options.dataDirectory = dataDirectory.path
        options.energyCounts = energyCounts
        options.threads = threading.resolved()
        preset.apply(to: &options)
        if let learningGate { options.schedule.gate = learningGate }
        if let decayAfter { options.schedule.constantEpochs = decayAfter }
        if let decayEvery { options.schedule.halvingEvery = decayEvery }
        if let decayMax { options.schedule.maximumExponent = decayMax }
        if let initScale { options.initScale = initScale }
        // NBPRunner checks the margin (NBPError.invalidMargin) before loading any data.
        if let margin { options.margin = margin }
        return options
    }

    func run() async throws {
        // The runner logs progress, the energy summary and any gate violations.
        let result = try NBPRunner.train(try resolvedOptions()) { logLine($0) }
        logLine(
            String(
                format: "test exact %.4f, argmax %.4f, argmax-input %.4f; train exact %.4f; run in %@",
                result.testExact, result.testArgmax, result.testArgmaxInput, result.trainExact, result.runDirectory))
        if let mismatches = result.weightMismatches {
            logLine("weight mismatches chip vs fast: \(mismatches); gate violations: \(result.gateViolations ?? 0)")
        }
        if json.enabled { try printJSONResult(result) }
    }
}

struct NBPCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Plot the test-accuracy curves of several runs in one figure (PNG, SVG and PDF).")

    @Argument(help: "Run directories written by `synfire nbp train --out` (label=DIR to name a curve).")
    var runs: [String]
    @Option(help: "Accuracy measure to plot.") var measure: NBPMeasure = .exact
    @OptionGroup var output: PlotOutputOption
    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("name at least one run directory") }
    }

    func run() async throws {
        let measureKind = measure
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
        let files = try plot.write(to: output.out)
        logLine("wrote \(files.joined(separator: ", "))")
        if json.enabled {
            try printJSONResult(["files": JSONValue.array(files.map { .string($0) }), "final": .object(finals)])
        }
    }
}

struct NBPEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a run's weights on its test set (three accuracy measures).")

    @Argument(help: "Run directory written by `synfire nbp train --out`.") var run: String
    @OptionGroup var dataDirectory: DataDirectoryOption
    @Flag(help: "Also draw the test set's confusion matrix (argmax-input) into RUN/plots/confusion-matrix.*.")
    var confusionMatrix = false
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let (engine, set) = try NBPRunner.testEngine(runDirectory: run, dataDirectory: dataDirectory.path)
        let accuracy = NBPTrainer.evaluate(engine: engine, set: set)
        logLine(
            String(
                format: "test exact %.4f, argmax %.4f, argmax-input %.4f (%d images)", accuracy.exact,
                accuracy.argmax, accuracy.argmaxInput, accuracy.samples))
        var plots: [String] = []
        if confusionMatrix {
            let directory = try RunDirectory.open(at: run)
            let dataset = directory.config.datasets.first?.name ?? "test set"
            let title = "nBP on \(dataset): test confusion matrix"
            let plot = NBPPlots.confusionMatrix(engine: engine, set: set, title: title)
            plots = try directory.writePlot(plot, name: "confusion-matrix")
            for path in plots { logLine("wrote \(path)") }
        }
        if json.enabled {
            try printJSONResult([
                "test_exact": JSONValue.number(accuracy.exact), "test_argmax": .number(accuracy.argmax),
                "test_argmax_input": .number(accuracy.argmaxInput), "samples": .integer(accuracy.samples),
                "plots": .array(plots.map(JSONValue.string)),
            ])
        }
    }
}

struct NBPCircuitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "circuit",
        abstract: "Print the nBP circuit (populations, connections, schedule) or its NeuroChip network as JSON.")

    @Option(help: "Layer sizes input-hidden...-output, any number of hidden layers (docs/nbp.md, \"Deeper networks\").")
    var sizes = "400-400-10"
    @Flag(help: "The (H + 3)-step inference circuit instead of the (9H + 3)-phase training circuit (4 and 12 for one hidden layer).")
    var inference = false
    @Flag(help: "Print the NeuroChip network description (JSON, zero initial weights) instead of the listing.")
    var json = false

    func run() async throws {
        let layers = try NBPLayerSizes.parse(sizes)
        let circuit =
            inference ? try NBPCircuit.inference(layers: layers) : try NBPCircuit.training(layers: layers)
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
    @OptionGroup var dataDirectory: DataDirectoryOption
    @Option(help: "The numpy reference script (skipped when missing; relative to the working directory).")
    var numpyScript = "bench/nbp_numpy.py"
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        #if DEBUG
            logLine("warning: debug build — benchmark figures need `swift build -c release`")
        #endif
        let script = FileManager.default.fileExists(atPath: numpyScript) ? numpyScript : nil
        let result = try NBPBenchmark.run(quick: quick, dataDirectory: dataDirectory.path, numpyScript: script) {
            logLine($0)
        }
        if json.enabled { try printJSONResult(result) }
    }
}
