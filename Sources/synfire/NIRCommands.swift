import ArgumentParser
import EnergyModel
import Foundation
import NeuroChip
import SynfireIO
import SynfireNIR

/// `synfire nir ...`: NIR graphs in and out of the chip (docs/nir.md).
struct NIRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nir",
        abstract: "Import, run and export NIR graphs (Neuromorphic Intermediate Representation).",
        subcommands: [NIRImportCommand.self, NIRRunCommand.self, NIRExportCommand.self])
}

extension NIRImportOptions.Reset: ExpressibleByArgument {}
extension NIRImportOptions.Amplitude: ExpressibleByArgument {}

/// How a NIR file maps onto the chip: shared by import and run.
struct NIRMappingOptions: ParsableArguments {
    @Option(help: "Seconds per chip step (default: the graph's dt metadata, else 1e-4).")
    var dt: Double?

    @Option(help: "What one spike delivers: one, or inverse-dt (1/dt; Sinabs-style IF graphs at their nominal dt).")
    var spikeAmplitude: NIRImportOptions.Amplitude = .one

    @Option(help: "Reset after a spike: zero (to v_reset, NIR read literally) or subtract (approximated).")
    var reset: NIRImportOptions.Reset?

    @Option(help: "Seed of the network description.")
    var seed: UInt64 = 0

    var options: NIRImportOptions {
        NIRImportOptions(dt: dt, spikeAmplitude: spikeAmplitude, reset: reset, seed: seed)
    }
}

struct NIRImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "A NIR file (HDF5) to a NeuroChip network description, with the quantisation report.",
        discussion: """
            Writes NET.json: the network description plus a `nir` key that names the graph's \
            inputs, outputs and neuron nodes (docs/nir.md). The report gives the largest and \
            mean relative error of weights, decays, thresholds and biases per node.
            """)

    @Argument(help: "NIR file written by nir.write (or any framework's NIR export).")
    var file: String

    @Option(help: "Where to write the network description (JSON).")
    var out: String

    @OptionGroup var mapping: NIRMappingOptions

    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let result = try runNIR { try NIRImporter.importFile(path: file, options: mapping.options) }
        try runNIR { try result.chip.write(to: out) }
        let r = result.report
        if json.enabled {
            try printJSONResult(
                NIRImportJSON(
                    nodes: result.graphNodes,
                    neuronNodes: result.chip.interface.neurons.count, compartments: result.compartments,
                    synapses: result.synapses, populations: result.chip.network.populations.count,
                    connections: result.chip.network.connections.count, maxWeightRelError: r.maxWeightRelError,
                    meanWeightRelError: r.meanWeightRelError, dt: result.chip.interface.dt,
                    spikeAmplitude: result.chip.interface.spikeAmplitude, reset: result.chip.interface.reset,
                    exact: r.exact, assumptions: r.assumptions, notes: r.notes, out: out, report: r))
        } else {
            print(r.text)
            print("wrote \(out): \(result.compartments) compartments, \(result.synapses) synapses")
        }
    }
}

struct NIRRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a NIR file or an imported NET.json on the chip simulator for one input.",
        discussion: """
            SPIKES.npz holds `spikes`, shape (T, inputs), 0/1 or counts per step (int8/uint8/ \
            int16/int32/float). DIR gets output.npz (`spikes`, steps x outputs), traces.npz, \
            counters.json, energy_counts.json (then: synfire energy report DIR) and \
            plots/raster.{png,svg}.
            """)

    @Argument(help: "FILE.nir or NET.json (from synfire nir import).")
    var model: String

    @Option(help: "Input spikes (.npz with an array `spikes`, shape (T, inputs)).")
    var input: String

    @Option(help: "Steps to run (default: the input's T).")
    var steps: Int?

    @Option(help: "Run directory to write.")
    var out: String

    @Option(name: .customLong("trace"), help: "Record the voltage of this neuron node (repeatable).")
    var traces: [String] = []

    @OptionGroup var mapping: NIRMappingOptions

    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let chip = try runNIR { () -> NIRChipNetwork in
            model.hasSuffix(".json")
                ? try NIRChipNetwork.load(path: model)
                : try NIRImporter.importFile(path: model, options: mapping.options).chip
        }
        let inputs = chip.interface.inputs.reduce(0) { $0 + $1.size }
        let spikes = try runNIR { try NIRRunner.loadInput(path: input, inputs: inputs) }
        let count = steps ?? spikes.count
        guard count >= 1 else {
            throw ValidationError("--steps must be at least 1 (the input has \(spikes.count) rows)")
        }
        let clock = ContinuousClock()
        var result: NIRRunResult?
        let elapsed = try clock.measure {
            result = try runNIR { try NIRRunner.run(chip, input: spikes, steps: count, traceNodes: traces) }
        }
        let r = result!
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let summary = NIRRunSummary(
            steps: count, outputSpikeCounts: r.outputSpikeCounts, seconds: seconds, inputs: inputs,
            outputs: r.outputSpikeCounts.count, compartments: chip.network.populations.reduce(0) { $0 + $1.size },
            synapses: chip.network.synapseCount, inputCopies: r.inputCopies, wraps: r.wraps,
            synapticOps: r.totals.chip.synapticOps, spikes: r.totals.chip.spikesGenerated, runDirectory: out)
        try runNIR { try NIRRunDirectory.write(r, chip: chip, input: spikes, summary: summary, to: out) }
        if r.wraps > 0 { logLine("warning: the 24-bit current wrapped \(r.wraps) times (docs/nir.md, Limits)") }
        if json.enabled {
            try printJSONResult(summary)
        } else {
            print(
                "\(count) steps in \(String(format: "%.3f", seconds)) s; output spikes \(r.outputSpikeCounts.reduce(0, +)); wrote \(out)"
            )
        }
    }
}

struct NIRExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "An nBP or STE run directory, or a network description, as a NIR file.",
        discussion: """
            nBP runs export their inference network (every W_k of weights.npz); STE DI runs \
            export Affine/Conv2d + Threshold nodes; a NET.json exports as CubaLIF + Linear + \
            Delay with the chip integers in synfire_* metadata (docs/nir.md, Export). \
            --verify (nBP) imports the file back and compares every test prediction.
            """)

    @Argument(help: "nBP or STE run directory, or NET.json.")
    var source: String

    @Option(help: "NIR file to write.")
    var out: String

    @Option(help: "Seconds per chip step written as dt (default: the description's, else 1e-3).")
    var dt: Double?

    @Flag(help: "nBP: import the file back and compare predictions on the run's test set.")
    var verify = false

    @Option(help: "Data directory for --verify (default $SYNFIRE_DATA or ./data).")
    var data: String?

    @Option(help: "--verify on the first N test images only.")
    var limit: Int?

    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let kind = try runNIR { try NIRSourceKind.detect(source) }
        let graph: NIRGraph = try runNIR {
            switch kind {
            case .nbp:
                var chip = try NBPExport.network(runDirectory: source)
                if let dt { chip.interface.dt = dt }
                return try NIRExporter.graph(chip)
            case .ste: return try STEExport.graph(runDirectory: source)
            case .description:
                var chip = try NIRChipNetwork.load(path: source)
                if let dt { chip.interface.dt = dt }
                return try NIRExporter.graph(chip)
            }
        }
        try runNIR { try NIRFile.write(graph, to: out) }
        var object: [String: JSONValue] = [
            "out": .string(out), "source_kind": .string(kind.rawValue), "nodes": .integer(graph.nodes.count),
            "edges": .integer(graph.edges.count),
        ]
        if verify {
            guard kind == .nbp else { throw ValidationError("--verify checks nBP exports only") }
            let check = try runNIR {
                try NBPExportCheck.verify(runDirectory: source, nirFile: out, dataDirectory: data, limit: limit)
            }
            object["verified_samples"] = .integer(check.samples)
            object["prediction_mismatches"] = .integer(check.mismatches)
            object["imported_accuracy"] = .number(check.accuracy)
            object["embedded_data"] = .bool(check.embeddedData)
            logLine("verify: \(check.samples) samples, \(check.mismatches) predictions differ")
        }
        if json.enabled {
            try printJSONResult(JSONValue.object(object))
        } else {
            print("wrote \(out): \(graph.nodes.count) nodes, \(graph.edges.count) edges (\(kind.rawValue))")
        }
    }
}

/// `synfire bench nir`: the N-MNIST-style CNN (docs/nir.md, Speed).
struct BenchNIRCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nir",
        abstract: "Write, import and run an N-MNIST-style CNN (~100k neurons) for one 300-step inference.")

    @Option(help: "Steps per inference.") var steps = 300
    @Option(help: "Input events per channel and step.") var rate = 0.02
    @Option(help: "Seed of weights and input.") var seed: UInt64 = 1
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synfire-bench-nir-\(UUID())")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let r = try runNIR { try NIRBenchmark.run(steps: steps, rate: rate, seed: seed, directory: directory) }
        if json.enabled {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
        } else {
            print(
                "\(r.neurons) neurons, \(r.synapses) synapses: import \(String(format: "%.2f", r.importSeconds)) s, "
                    + "build \(String(format: "%.2f", r.buildSeconds)) s, \(r.steps) steps \(String(format: "%.3f", r.secondsPerInference)) s, "
                    + "energy \(String(format: "%.3g", r.energyPerInferenceJ)) J per inference")
        }
    }
}

/// The `--json` object of `synfire nir import` (keys are the interface of docs/nir.md).
struct NIRImportJSON: Encodable {
    var nodes: Int
    var neuronNodes: Int
    var compartments: Int
    var synapses: Int
    var populations: Int
    var connections: Int
    var maxWeightRelError: Double
    var meanWeightRelError: Double
    var dt: Double
    var spikeAmplitude: Double
    var reset: String
    var exact: Bool
    var assumptions: [String]
    var notes: [String]
    var out: String
    var report: QuantisationReport

    enum CodingKeys: String, CodingKey {
        case nodes, compartments, synapses, populations, connections, dt, reset, exact, assumptions, notes, out
        case report
        case neuronNodes = "neuron_nodes"
        case maxWeightRelError = "max_weight_rel_error"
        case meanWeightRelError = "mean_weight_rel_error"
        case spikeAmplitude = "spike_amplitude"
    }
}

/// Runs `body`, turning library errors into the CLI's clear one-line failures.
func runNIR<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as NIRError {
        throw ValidationError(error.description)
    } catch let error as NetworkValidationError {
        throw ValidationError(error.description)
    }
}
