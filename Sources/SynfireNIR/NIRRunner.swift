// `synfire nir run`: an imported network on the chip simulator, driven by a spike array
// (T x inputs, 0/1 or counts per step). A count k > 1 fires k copies of the input
// channel (extra generators with the same synapses): a chip generator channel fires at
// most once per step. Output spikes, voltage traces and the op counters come back.

import EnergyModel
import Foundation
import NeuroChip
import SynfireArrays
import SynfireIO

public struct NIRRunResult: Sendable {
    public var steps: Int
    /// spikes[t][k]: did output element k fire at step t (outputs concatenated in order).
    public var spikes: [[Int]]
    public var outputSpikeCounts: [Int]
    /// Voltage traces in the graph's units: node -> steps x neurons.
    public var traces: [String: [[Double]]]
    public var energyCounts: EnergyCounts
    public var totals: ChipCounterTotals
    public var inputCopies: Int
    public var wraps: Int
    /// Wall time of the steps alone (the simulator's construction excluded).
    public var stepSeconds: Double
}

public enum NIRRunner {
    /// The spikes of `path` (array `spikes`, shape (T, inputs)) as counts per step.
    public static func loadInput(path: String, inputs: Int) throws -> [[Int]] {
        let archive: NPZArchive
        do { archive = try NPZArchive.read(from: path) } catch {
            throw NIRError.badInput(path: path, reason: "\(error)")
        }
        guard let array = archive["spikes"] else {
            throw NIRError.badInput(
                path: path,
                reason: "no array 'spikes' (it has \(archive.names)); save one with np.savez(path, spikes=...)")
        }
        guard array.shape.count == 2, array.shape[1] == inputs else {
            throw NIRError.badInput(
                path: path, reason: "'spikes' has shape \(array.shape); expected (T, \(inputs)) for the graph's inputs")
        }
        let values = array.storage.doubles
        if let bad = values.firstIndex(where: { !($0 >= 0 && $0 == $0.rounded() && $0 <= 255) }) {
            throw NIRError.badInput(
                path: path,
                reason: "'spikes'[\(bad / inputs), \(bad % inputs)] = \(values[bad]); give whole spike counts 0...255")
        }
        return (0..<array.shape[0]).map { t in (0..<inputs).map { Int(values[t * inputs + $0]) } }
    }

    public static func run(
        _ chip: NIRChipNetwork, input: [[Int]], steps: Int, traceNodes: [String] = []
    ) throws -> NIRRunResult {
        let copies = max(1, input.joined().max() ?? 1)
        let network = replicatingInputs(chip, copies: copies)
        let simulator = try ChipSimulator(network)
        let interface = chip.interface
        let generatorIndex = try (1...copies).map { r in
            try interface.inputs.map { try simulator.generatorIndex(copyName($0.name, r)) }
        }
        let inputOffsets = interface.inputs.reduce(into: [0]) { $0.append($0.last! + $1.size) }
        let outputs = try interface.outputs.map { port -> OutputReader in
            guard let node = port.node, let placement = interface.placement(of: node) else {
                throw NIRError.badSource(path: port.name, reason: "the output names no neuron node of the network")
            }
            return try OutputReader(placement: placement, simulator: simulator)
        }
        let readouts = interface.neurons.filter {
            ["LI", "I", "CubaLI"].contains($0.type) || traceNodes.contains($0.node)
        }
        for name in traceNodes where interface.placement(of: name) == nil {
            throw NIRError.badSource(
                path: name, reason: "--trace names no neuron node; use one of \(interface.neurons.map(\.node))")
        }
        var recorder = EnergyCountsRecorder(simulator: simulator, stepsPerSample: [.inference: steps])
        let width = outputs.reduce(0) { $0 + $1.size }
        var spikes = [[Int]](repeating: [], count: steps)
        var traces: [String: [[Double]]] = [:]
        let started = ContinuousClock.now
        for t in 0..<steps {
            if t < input.count {
                for r in 1...copies {
                    for (k, port) in interface.inputs.enumerated() {
                        let row = input[t][inputOffsets[k]..<(inputOffsets[k] + port.size)]
                        let channels = row.indices.filter { row[$0] >= r }.map { $0 - inputOffsets[k] }
                        if !channels.isEmpty {
                            try simulator.inject(generatorIndex: generatorIndex[r - 1][k], channels: channels)
                        }
                    }
                }
            }
            simulator.step()
            recorder.recordLastStep(of: simulator, mode: .inference, stepInSample: t)
            var row = [Int](repeating: 0, count: width)
            var offset = 0
            for reader in outputs {
                reader.mark(simulator, into: &row, offset: offset)
                offset += reader.size
            }
            spikes[t] = row
            for placement in readouts {
                traces[placement.node, default: []].append(try voltages(placement, simulator))
            }
        }
        let elapsed = ContinuousClock.now - started
        let counts = (0..<width).map { k in spikes.reduce(0) { $0 + $1[k] } }
        return NIRRunResult(
            steps: steps, spikes: spikes, outputSpikeCounts: counts, traces: traces,
            energyCounts: recorder.counts(description: "nir run: \(steps) steps, one inference"),
            totals: simulator.totals, inputCopies: copies, wraps: simulator.wrapCount,
            stepSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    static func copyName(_ name: String, _ r: Int) -> String { r == 1 ? name : "\(name)~\(r)" }

    /// The network with `copies` generators per input, each with the input's connections.
    static func replicatingInputs(_ chip: NIRChipNetwork, copies: Int) -> NetworkDescription {
        var network = chip.network
        guard copies > 1 else { return network }
        let inputs = Set(chip.interface.inputs.map(\.name))
        for r in 2...copies {
            for g in chip.network.generators where inputs.contains(g.name) {
                network.generators.append(SpikeGeneratorSpec(name: copyName(g.name, r), size: g.size))
            }
            for c in chip.network.connections where inputs.contains(c.source) {
                var copy = c
                copy.name = copyName(c.name, r)
                copy.source = copyName(c.source, r)
                network.connections.append(copy)
            }
        }
        return network
    }

    static func voltages(_ placement: NIRNodePlacement, _ simulator: ChipSimulator) throws -> [Double] {
        let states = try placement.populations.map { try simulator.state(of: $0).v }
        return placement.locations().enumerated().map { j, at in
            Double(states[at.population][at.index]) / placement.value(placement.voltageScale, j)
                + placement.value(placement.voltageOffset, j)
        }
    }
}

/// Reads one output's spikes from the simulator without name lookups per step.
struct OutputReader {
    var populations: [Int]
    /// element index of (population position, local index).
    var element: [[Int]]
    var size: Int

    init(placement: NIRNodePlacement, simulator: ChipSimulator) throws {
        populations = try placement.populations.map { try simulator.populationIndex($0) }
        size = placement.shape.reduce(1, *)
        if let elements = placement.elements {
            element = elements
        } else {
            element = [Array(0..<size)]
        }
    }

    func mark(_ simulator: ChipSimulator, into row: inout [Int], offset: Int) {
        for (p, population) in populations.enumerated() where simulator.spikeCount(ofPopulation: population) > 0 {
            for local in simulator.spikes(ofPopulation: population) { row[offset + element[p][local]] = 1 }
        }
    }
}
