// `synfire nir import`: a NIR graph to a NeuroChip network description (docs/nir.md).
// Steps: inline and shape the graph (FlatGraph), multiply out the linear nodes
// (RealNetwork), map every neuron node to populations (NeuronMapping), then quantise
// every (source population, target population) pair into one connection.

import Foundation
import NeuroChip

public struct NIRImportOptions: Sendable, Equatable {
    public enum Reset: String, CaseIterable, Sendable { case zero, subtract }
    public enum Amplitude: String, CaseIterable, Sendable {
        case one
        case inverseDt = "inverse-dt"
    }

    /// Seconds per chip step (default: the graph's `dt` metadata, else 1e-4 s).
    public var dt: Double?
    public var spikeAmplitude: Amplitude
    /// Default: the graph's reset metadata, else zero (NIR read literally).
    public var reset: Reset?
    public var seed: UInt64

    public init(dt: Double? = nil, spikeAmplitude: Amplitude = .one, reset: Reset? = nil, seed: UInt64 = 0) {
        self.dt = dt
        self.spikeAmplitude = spikeAmplitude
        self.reset = reset
        self.seed = seed
    }

    public static let defaultDt = 1e-4
}

public struct NIRImportResult: Sendable {
    public var chip: NIRChipNetwork
    public var report: QuantisationReport
    /// Nodes of the graph with nested graphs inlined.
    public var graphNodes: Int
    public var compartments: Int { chip.network.populations.reduce(0) { $0 + $1.size } }
    public var synapses: Int { chip.network.synapseCount }
}

extension NetworkDescription {
    /// Synapses of every connection (dense patterns count every pair).
    public var synapseCount: Int {
        let size = Dictionary(
            uniqueKeysWithValues: populations.map { ($0.name, $0.size) } + generators.map { ($0.name, $0.size) })
        return connections.reduce(0) { total, c in
            let ns = size[c.source] ?? 0
            let nt = size[c.target] ?? 0
            switch c.pattern {
            case .oneToOne, .oneToAll: return total + nt
            case .allToAll: return total + ns * nt
            case .sparse: return total + (c.pre?.count ?? 0)
            case .random: return total + ns * max(c.random?.fanOut ?? 0, 0)
            }
        }
    }
}

public enum NIRImporter {
    public static func importFile(path: String, options: NIRImportOptions = .init()) throws -> NIRImportResult {
        try convert(try NIRFile.read(path: path), options: options)
    }

    public static func convert(_ document: NIRDocument, options: NIRImportOptions = .init()) throws -> NIRImportResult {
        if let exact = try NIRExactImport.convert(document) { return exact }
        let graph = document.graph
        let dt = options.dt ?? graph.metadata.dataset("dt")?.numbers.first ?? NIRImportOptions.defaultDt
        guard dt > 0, dt.isFinite else {
            throw NIRError.unmappable(
                node: "graph", field: "dt", reason: "dt = \(dt); give --dt a positive number of seconds")
        }
        let amplitude = options.spikeAmplitude == .one ? 1 : 1 / dt
        let flat = try FlatGraph(graph)
        let real = try RealNetwork(graph: flat, dt: dt)
        var notes = document.relaxations + flat.relaxations + real.notes
        let reset = options.reset ?? (graphSaysSubtract(graph) ? .subtract : .zero)

        var mappings: [Int: NeuronMapping] = [:]
        for k in flat.nodes.indices where flat.nodes[k].type.isNeuron {
            let count = flat.shapes[k].reduce(1, *)
            let dynamics = try NeuronDynamics(flat.nodes[k], count: count, dt: dt, amplitude: amplitude)
            var inputs = NeuronInputs(count: count)
            for p in real.projections where p.target == k {
                for s in p.synapses { inputs.add(s.weight * dynamics.inputGain[Int(s.post)], to: Int(s.post)) }
            }
            mappings[k] = try NeuronMapping(
                node: k, flat: flat.nodes[k], dynamics: dynamics, inputs: inputs, constant: real.constantInput[k])
            if flat.nodes[k].type == .integrateAndFire, let gain = dynamics.constantGain.max(), gain < 1e-2 {
                notes.append(
                    "IF node '\(flat.nodes[k].name)' adds only dt * r = \(gain) of its input per step; graphs that add the whole input each step (Sinabs-style) need --dt 1 or --spike-amplitude inverse-dt"
                )
            }
        }
        var network = NetworkDescription(seed: options.seed)
        network.mapping = CoreMappingSpec(newCorePerPopulation: false)
        let ordered = mappings.keys.sorted()
        network.populations = ordered.flatMap { mappings[$0]!.populations }
        network.generators = flat.nodes.indices.filter { flat.nodes[$0].isGraphInput }.map {
            SpikeGeneratorSpec(name: flat.nodes[$0].name, size: flat.shapes[$0].reduce(1, *))
        }
        var connectionErrors: [String: ErrorSummary] = [:]
        var nodeWeights: [String: ErrorSummary] = [:]
        for projection in real.projections {
            let built = try ConnectionBuilder.build(projection, flat: flat, mappings: mappings)
            network.connections += built.connections
            for (name, summary) in built.errors {
                connectionErrors[name] = summary
                for via in projection.via { nodeWeights[via, default: ErrorSummary()].add(summary) }
            }
        }
        if reset == .subtract {
            notes.append(
                "reset by subtraction is approximated: the chip sets v to the reset voltage after a spike, so the part of v above the threshold is dropped"
            )
        }
        let interface = NIRChipInterface(
            inputs: network.generators.map { g in
                NIRPort(name: g.name, shape: flat.shapes[flat.index[g.name]!])
            },
            outputs: try outputs(flat),
            neurons: ordered.map { k in
                var p = mappings[k]!.placement
                p.shape = flat.shapes[k]
                return p
            }, dt: dt, spikeAmplitude: amplitude, reset: reset.rawValue)
        var nodes = ordered.map { mappings[$0]!.report }
        for name in nodeWeights.keys.sorted() {
            let type = flat.nodes[flat.index[name]!].type.rawValue
            nodes.append(NodeQuantisation(node: name, type: type, weights: nodeWeights[name]))
        }
        var all = ErrorSummary()
        for summary in connectionErrors.values { all.add(summary) }
        let report = QuantisationReport(
            nodes: nodes, connections: connectionErrors, maxWeightRelError: all.max, meanWeightRelError: all.mean,
            assumptions: assumptions(dt: dt, amplitude: options.spikeAmplitude, reset: reset),
            notes: notes + timingNotes(flat, real), exact: false)
        return NIRImportResult(
            chip: NIRChipNetwork(network: network, interface: interface), report: report, graphNodes: flat.nodes.count)
    }

    static func outputs(_ flat: FlatGraph) throws -> [NIRPort] {
        try flat.nodes.indices.filter { flat.nodes[$0].isGraphOutput }.map { k in
            // The neuron node behind pass-through nodes (a nested graph's Output, Flatten).
            var sources = flat.predecessors[k]
            while sources.count == 1, !flat.nodes[sources[0]].type.isNeuron,
                flat.nodes[sources[0]].isPassThrough || flat.nodes[sources[0]].type == .flatten
            {
                sources = flat.predecessors[sources[0]]
            }
            guard sources.count == 1, flat.nodes[sources[0]].type.isNeuron else {
                throw NIRError.unmappable(
                    node: flat.nodes[k].name, field: "input", reason: "an output must read exactly one neuron node")
            }
            return NIRPort(name: flat.nodes[k].name, shape: flat.shapes[sources[0]], node: flat.nodes[sources[0]].name)
        }
    }

    static func graphSaysSubtract(_ graph: NIRGraph) -> Bool {
        func says(_ group: HDF5Group) -> Bool {
            group.children.contains { key, value in
                guard key.lowercased().contains("reset"), case .dataset(let d) = value else { return false }
                return d.strings.contains { $0.lowercased().contains("subtract") }
            }
        }
        return says(graph.metadata) || graph.nodes.values.contains { says($0.metadata) }
    }

    static func assumptions(dt: Double, amplitude: NIRImportOptions.Amplitude, reset: NIRImportOptions.Reset)
        -> [String]
    {
        [
            "dt = \(dt) s per chip step (Euler steps of NIR's equations)",
            "spike amplitude \(amplitude == .one ? "1" : "1/dt = \(1 / dt)") (a spike adds weight x amplitude to the next node)",
            "reset \(reset.rawValue == "zero" ? "to v_reset" : "by subtraction (approximated, see notes)")",
            "a neuron fires when v > v_threshold (strict, as NIR and the chip define it)",
            "every connection delivers one step after the spike (the chip's synaptic delay), recurrent edges included: a spike at step t first arrives at step t + 1",
        ]
    }

    /// A node reached over paths of different lengths gets its inputs at different steps
    /// on the chip (one step per connection), unlike a framework that propagates instantly.
    static func timingNotes(_ flat: FlatGraph, _ real: RealNetwork) -> [String] {
        var depth: [Int: Int] = [:]
        for k in flat.nodes.indices where flat.nodes[k].isGraphInput { depth[k] = 0 }
        var changed = true
        var rounds = 0
        while changed && rounds < flat.nodes.count {
            changed = false
            rounds += 1
            for p in real.projections {
                guard let d = depth[p.source], depth[p.target] == nil else { continue }
                depth[p.target] = d + 1
                changed = true
            }
        }
        var notes: [String] = []
        for p in real.projections where p.source != p.target {
            if let s = depth[p.source], let t = depth[p.target], t != s + 1 {
                notes.append(
                    "'\(flat.nodes[p.source].name)' -> '\(flat.nodes[p.target].name)' skips or returns across layers: its spikes arrive \(s + 1 - t) step(s) off the layer timing of the rest"
                )
            }
        }
        return notes
    }
}
