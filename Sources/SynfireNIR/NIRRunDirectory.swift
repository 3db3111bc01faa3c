// A `nir run` directory: output.npz (`spikes`, int32, steps x outputs), traces.npz (one
// float64 array per traced node, steps x neurons), counters.json (op counters per core,
// population and connection), energy_counts.json (one inference; `synfire energy
// report DIR` prices it), result.json, and plots/raster.{png,svg}. Everything is written
// into a temporary sibling directory that replaces DIR only when complete.

import EnergyModel
import Foundation
import NeuroChip
import SynfireArrays
import SynfireIO

public struct NIRRunSummary: Codable, Sendable {
    public var steps: Int
    public var outputSpikeCounts: [Int]
    public var seconds: Double
    public var inputs: Int
    public var outputs: Int
    public var compartments: Int
    public var synapses: Int
    public var inputCopies: Int
    public var wraps: Int
    public var synapticOps: Int
    public var spikes: Int
    public var runDirectory: String

    /// Snake-case keys: the interface of `synfire nir run --json` and result.json.
    enum CodingKeys: String, CodingKey {
        case steps, seconds, inputs, outputs, compartments, synapses, wraps, spikes
        case outputSpikeCounts = "output_spike_counts"
        case inputCopies = "input_copies"
        case synapticOps = "synaptic_ops"
        case runDirectory = "run_dir"
    }

    public init(
        steps: Int, outputSpikeCounts: [Int], seconds: Double, inputs: Int, outputs: Int, compartments: Int,
        synapses: Int, inputCopies: Int, wraps: Int, synapticOps: Int, spikes: Int, runDirectory: String
    ) {
        self.steps = steps
        self.outputSpikeCounts = outputSpikeCounts
        self.seconds = seconds
        self.inputs = inputs
        self.outputs = outputs
        self.compartments = compartments
        self.synapses = synapses
        self.inputCopies = inputCopies
        self.wraps = wraps
        self.synapticOps = synapticOps
        self.spikes = spikes
        self.runDirectory = runDirectory
    }
}

public enum NIRRunDirectory {
    public static func write(
        _ result: NIRRunResult, chip: NIRChipNetwork, input: [[Int]], summary: NIRRunSummary, to path: String
    ) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            let contents = (try? fm.contentsOfDirectory(atPath: path)) ?? []
            guard isDirectory.boolValue, contents.isEmpty || contents.contains("output.npz") else {
                throw NIRError.badSource(
                    path: path,
                    reason: "exists and is not an empty directory or an earlier nir run; choose another --out")
            }
        }
        let temporary = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        try? fm.removeItem(atPath: temporary)
        try fm.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        do {
            try fill(temporary, result, chip: chip, input: input, summary: summary)
            if fm.fileExists(atPath: path) { try fm.removeItem(atPath: path) }
            try fm.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw error
        }
    }

    static func fill(
        _ dir: String, _ r: NIRRunResult, chip: NIRChipNetwork, input: [[Int]], summary: NIRRunSummary
    ) throws {
        let width = r.outputSpikeCounts.count
        let flat = r.spikes.flatMap { $0.map { Int32($0) } }
        try NPZArchive([("spikes", try NDArray(shape: [r.steps, width], int32: flat))])
            .write(to: dir + "/output.npz", compression: .deflated)
        if !r.traces.isEmpty {
            let pairs = try r.traces.keys.sorted().map { name -> (String, NDArray) in
                let rows = r.traces[name]!
                return (name, try NDArray(shape: [rows.count, rows.first?.count ?? 0], float64: rows.flatMap { $0 }))
            }
            try NPZArchive(pairs).write(to: dir + "/traces.npz", compression: .deflated)
        }
        try r.energyCounts.write(to: URL(fileURLWithPath: dir + "/" + EnergyCounts.fileName))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(data: try encoder.encode(summary), to: dir + "/result.json")
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(data: try encoder.encode(Counters(r.totals, chip.network)), to: dir + "/counters.json")
        try fm().createDirectory(atPath: dir + "/plots", withIntermediateDirectories: true)
        try raster(r, chip: chip, input: input).write(to: dir + "/plots/raster")
    }

    static func fm() -> FileManager { FileManager.default }

    /// Inputs above, outputs below, one row per channel.
    static func raster(_ r: NIRRunResult, chip: NIRChipNetwork, input: [[Int]]) -> SpikeRasterPlot {
        let inputs = chip.interface.inputs.reduce(0) { $0 + $1.size }
        var spikes: [(time: Int, neuron: Int)] = []
        for t in 0..<min(r.steps, input.count) {
            for (k, count) in input[t].enumerated() where count > 0 { spikes.append((t, k)) }
        }
        for (t, row) in r.spikes.enumerated() {
            for (k, fired) in row.enumerated() where fired != 0 { spikes.append((t, inputs + k)) }
        }
        let outputs = r.outputSpikeCounts.count
        return SpikeRasterPlot(
            title: "nir run: inputs and outputs", subtitle: "\(r.steps) steps, \(spikes.count) spikes",
            timeSteps: r.steps, neuronCount: inputs + outputs, spikes: spikes,
            groups: [
                .init(name: "inputs", neurons: 0..<inputs),
                .init(name: "outputs", neurons: inputs..<(inputs + outputs)),
            ])
    }

    /// counters.json: chip totals, per population and per connection (declaration order).
    struct Counters: Encodable {
        var steps: Int
        var chip: CoreStepCounts
        var populations: [String: PopulationStepCounts]
        var connections: [String: ConnectionStepCounts]
        var wraps: Int

        init(_ totals: ChipCounterTotals, _ network: NetworkDescription) {
            steps = totals.steps
            chip = totals.chip
            populations = Dictionary(
                uniqueKeysWithValues: zip(network.populations.map(\.name), totals.perPopulation))
            connections = Dictionary(
                zip(network.connections.map(\.name), totals.perConnection).map { ($0, $1) },
                uniquingKeysWith: { a, _ in a })
            wraps = totals.wraps
        }
    }
}
