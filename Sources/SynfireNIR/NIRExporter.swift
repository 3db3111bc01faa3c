// NeuroChip description -> NIR graph (docs/nir.md, Export). Chip units are the graph's
// units: every population is a CubaLIF whose Euler steps of dt reproduce the chip's
// update (a = du / 4096, b = dv / 4096, w_in = 1 / a, r = 1 / b, v_leak = bias / b,
// v_threshold = vth; a decay of 0 is written as a = 2^-40), every connection a Linear
// node whose weights are the synaptic currents, a per-connection axon delay a Delay node.
// What NIR cannot say (mantissa and exponent, sign mode, refractory period, voltage
// limits, learning rules, names, order) is kept in `synfire_*` metadata as JSON, which
// lets the importer rebuild the identical description.

import Foundation
import NeuroChip

public enum NIRExporter {
    /// Dense Linear matrices larger than this are refused (NIR has no sparse weights).
    public static let maxDenseEntries = 1 << 24
    static let tinyDecay = 1.0 / Double(1 << 40)

    public static func graph(_ chip: NIRChipNetwork) throws -> NIRGraph {
        let network = chip.network
        let dt = chip.interface.dt
        var graph = NIRGraph()
        let size = Dictionary(
            uniqueKeysWithValues: network.populations.map { ($0.name, $0.size) }
                + network.generators.map { ($0.name, $0.size) })
        for g in network.generators {
            graph.nodes[g.name] = NIRNode(
                type: .input, parameters: ["shape": .int64([g.size])],
                metadata: HDF5Group(["synfire_generator": .dataset(.string(try json(g)))]))
        }
        for p in network.populations {
            guard graph.nodes[p.name] == nil else { throw duplicate(p.name) }
            graph.nodes[p.name] = population(p, dt: dt)
        }
        for c in network.connections {
            let (ns, nt) = (size[c.source] ?? 0, size[c.target] ?? 0)
            guard ns * nt <= maxDenseEntries else {
                throw NIRError.unmappable(
                    node: c.name, field: "weights",
                    reason:
                        "\(nt) x \(ns) = \(ns * nt) entries as a dense Linear matrix (NIR has no sparse weights); the limit is \(maxDenseEntries)"
                )
            }
            let parts = Dictionary(grouping: synapses(c, ns: ns, nt: nt, seed: network.seed), by: \.delay)
            for (k, delay) in parts.keys.sorted().enumerated() {
                let name = parts.count == 1 ? c.name : "\(c.name)@\(delay)"
                guard graph.nodes[name] == nil else { throw duplicate(name) }
                var matrix = [Double](repeating: 0, count: ns * nt)
                for s in parts[delay]! { matrix[s.post * ns + s.pre] += Double(s.current) }
                var meta = HDF5Group(["synfire_connection_name": .dataset(.string(c.name))])
                if k == 0 { meta["synfire_connection"] = .dataset(.string(try json(c))) }
                graph.nodes[name] = NIRNode(
                    type: .linear, parameters: ["weight": .float64(matrix, shape: [nt, ns])], metadata: meta)
                graph.edges.append(NIREdge(c.source, name))
                if delay == 0 {
                    graph.edges.append(NIREdge(name, c.target))
                } else {
                    let delayName = name + ":delay"
                    graph.nodes[delayName] = NIRNode(
                        type: .delay,
                        parameters: ["delay": .float64(Array(repeating: Double(delay) * dt, count: nt))])
                    graph.edges += [NIREdge(name, delayName), NIREdge(delayName, c.target)]
                }
            }
        }
        for port in chip.interface.outputs {
            guard let node = port.node else { continue }
            // A node the importer split into several populations gets one output each.
            let held = chip.interface.placement(of: node)?.populations ?? [node]
            for (k, population) in held.enumerated() {
                guard let p = network.populations.first(where: { $0.name == population }) else { continue }
                let name = held.count == 1 ? port.name : "\(port.name)#\(k)"
                guard graph.nodes[name] == nil else { throw duplicate(name) }
                graph.nodes[name] = NIRNode(type: .output, parameters: ["shape": .int64([p.size])])
                graph.edges.append(NIREdge(population, name))
            }
        }
        graph.metadata = try metadata(chip)
        return graph
    }

    static func duplicate(_ name: String) -> NIRError {
        .unmappable(node: name, field: "name", reason: "two nodes would share this name; rename one in the description")
    }

    static func population(_ p: PopulationSpec, dt: Double) -> NIRNode {
        let a = p.du == 0 ? tinyDecay : Double(p.du) / 4096
        let b = p.dv == 0 ? tinyDecay : Double(p.dv) / 4096
        let bias = Double(p.biasMantissa << p.biasExponent)
        func column(_ value: Double) -> HDF5Dataset { .float64(Array(repeating: value, count: p.size)) }
        return NIRNode(
            type: .cubaLIF,
            parameters: [
                "tau_syn": column(dt / a), "tau_mem": column(dt / b), "w_in": column(1 / a), "r": column(1 / b),
                "v_leak": column(bias / b), "v_threshold": column(Double(p.vthMantissa << 6)), "v_reset": column(0),
            ], metadata: HDF5Group(["synfire_population": .dataset(.string((try? json(p)) ?? "{}"))]))
    }

    /// Every synapse of a connection as (pre, post, current, delay).
    static func synapses(_ c: ConnectionSpec, ns: Int, nt: Int, seed: UInt64) -> [(
        pre: Int, post: Int, current: Int, delay: Int
    )] {
        func w(_ k: Int) -> Int { Quantiser.current(mantissa: c.weights?[k] ?? c.weight ?? 0, exponent: c.exponent) }
        switch c.pattern {
        case .oneToOne: return (0..<nt).map { ($0, $0, w($0), c.delay) }
        case .oneToAll: return (0..<nt).flatMap { j in (0..<ns).map { ($0, j, w(j), c.delay) } }
        case .allToAll: return (0..<nt).flatMap { j in (0..<ns).map { ($0, j, w(j * ns + $0), c.delay) } }
        case .sparse:
            let pre = c.pre ?? []
            return pre.indices.map { (pre[$0], c.post![$0], w($0), c.delays?[$0] ?? c.delay) }
        case .random:
            return c.randomSynapses(sourceCount: ns, targetCount: nt, seed: seed).map {
                ($0.pre, $0.post, Quantiser.current(mantissa: $0.weight, exponent: c.exponent), c.delay)
            }
        }
    }

    static func metadata(_ chip: NIRChipNetwork) throws -> HDF5Group {
        let n = chip.network
        return HDF5Group([
            "synfire_format": .dataset(.string("neurochip")),
            "dt": .dataset(.scalar(chip.interface.dt)),
            "synfire_seed": .dataset(.string(String(n.seed))),
            "synfire_mapping": .dataset(.string(try json(n.mapping))),
            "synfire_probes": .dataset(.string(try json(n.probes))),
            "synfire_order": .dataset(
                .string(
                    try json([
                        "populations": n.populations.map(\.name), "generators": n.generators.map(\.name),
                        "connections": n.connections.map(\.name),
                    ]))),
            "synfire_interface": .dataset(.string(try json(chip.interface))),
        ])
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Writes the description as a NIR file.
    public static func write(_ chip: NIRChipNetwork, to path: String) throws {
        try NIRFile.write(try graph(chip), to: path)
    }
}

/// The importer's side of the metadata: a graph written by `NIRExporter` whose metadata
/// still matches its parameters (the exporter, run on the rebuilt description, gives the
/// same graph) comes back as the identical description.
enum NIRExactImport {
    static func convert(_ document: NIRDocument) throws -> NIRImportResult? {
        let graph = document.graph
        guard graph.metadata.dataset("synfire_format")?.strings.first == "neurochip" else { return nil }
        guard let rebuilt = try? rebuild(graph), let again = try? NIRExporter.graph(rebuilt), again == graph else {
            return nil
        }
        let report = QuantisationReport(
            nodes: [], connections: [:], maxWeightRelError: 0, meanWeightRelError: 0,
            assumptions: ["the file's synfire_* metadata gives the chip integers exactly; nothing was quantised"],
            notes: document.relaxations, exact: true)
        return NIRImportResult(chip: rebuilt, report: report, graphNodes: graph.nodes.count)
    }

    static func rebuild(_ graph: NIRGraph) throws -> NIRChipNetwork {
        func text(_ group: HDF5Group, _ key: String) throws -> Data {
            guard let s = group.dataset(key)?.strings.first else {
                throw NIRError.missingField(node: "graph", field: key)
            }
            return Data(s.utf8)
        }
        let decoder = JSONDecoder()
        let order = try decoder.decode([String: [String]].self, from: text(graph.metadata, "synfire_order"))
        func node(_ name: String) throws -> NIRNode {
            guard let n = graph.nodes[name] else { throw NIRError.missingField(node: name, field: "node") }
            return n
        }
        var network = NetworkDescription()
        network.populations = try (order["populations"] ?? []).map {
            try decoder.decode(PopulationSpec.self, from: text(try node($0).metadata, "synfire_population"))
        }
        network.generators = try (order["generators"] ?? []).map {
            try decoder.decode(SpikeGeneratorSpec.self, from: text(try node($0).metadata, "synfire_generator"))
        }
        let connectionNodes = Dictionary(
            graph.nodes.compactMap { _, n -> (String, NIRNode)? in
                guard n.metadata.dataset("synfire_connection") != nil,
                    let name = n.metadata.dataset("synfire_connection_name")?.strings.first
                else { return nil }
                return (name, n)
            }, uniquingKeysWith: { a, _ in a })
        network.connections = try (order["connections"] ?? []).map { name in
            guard let n = connectionNodes[name] else {
                throw NIRError.missingField(node: name, field: "synfire_connection")
            }
            return try decoder.decode(ConnectionSpec.self, from: text(n.metadata, "synfire_connection"))
        }
        network.probes = try decoder.decode([ProbeSpec].self, from: text(graph.metadata, "synfire_probes"))
        network.mapping = try decoder.decode(CoreMappingSpec.self, from: text(graph.metadata, "synfire_mapping"))
        network.seed = UInt64(String(decoding: try text(graph.metadata, "synfire_seed"), as: UTF8.self)) ?? 0
        let interface = try decoder.decode(NIRChipInterface.self, from: text(graph.metadata, "synfire_interface"))
        return NIRChipNetwork(network: network, interface: interface)
    }
}
