// Step 4 of import: the synapses of one projection, split by (source population, target
// population), each pair quantised into one chip connection: all-to-all when every pair
// has a synapse with one delay, one-to-one for a diagonal, otherwise a sparse list.

import NeuroChip

enum ConnectionBuilder {
    struct Built {
        var connections: [ConnectionSpec] = []
        var errors: [(String, ErrorSummary)] = []
    }

    static func build(_ p: RealProjection, flat: FlatGraph, mappings: [Int: NeuronMapping]) throws -> Built {
        let target = mappings[p.target]!
        let sourceName = flat.nodes[p.source].name
        let sourcePopulations: [(name: String, size: Int)]
        let sourceLocation: (Int) -> (population: Int, index: Int)
        if let m = mappings[p.source] {
            sourcePopulations = m.populations.map { ($0.name, $0.size) }
            sourceLocation = { m.location[$0] }
        } else {
            sourcePopulations = [(sourceName, flat.shapes[p.source].reduce(1, *))]
            sourceLocation = { (0, $0) }
        }
        // Bucket synapses per (source population, target population).
        var buckets: [Int: [(pre: Int, post: Int, current: Double, delay: Int)]] = [:]
        for s in p.synapses {
            let from = sourceLocation(Int(s.pre))
            let to = target.location[Int(s.post)]
            let j = Int(s.post)
            let current = s.weight * target.dynamics.inputGain[j] * target.scale[j]
            buckets[from.population * target.populations.count + to.population, default: []]
                .append((from.index, to.index, current, Int(s.delay)))
        }
        var built = Built()
        for key in buckets.keys.sorted() {
            let synapses = buckets[key]!
            let (sp, tp) = (key / target.populations.count, key % target.populations.count)
            let source = sourcePopulations[sp]
            let targetPopulation = target.populations[tp]
            if let bad = synapses.first(where: { !ChipLimits.delayRange.contains($0.delay) }) {
                throw NIRError.unmappable(
                    node: targetPopulation.name, field: "delay",
                    reason: "a delay of \(bad.delay) steps from '\(source.name)'; the chip allows 0...62")
            }
            let name = "\(source.name)->\(targetPopulation.name)"
            let (connection, errors) = quantise(
                synapses, name: name, source: source, target: (targetPopulation.name, targetPopulation.size))
            built.connections.append(connection)
            var summary = ErrorSummary()
            summary.add(errors)
            built.errors.append((name, summary))
        }
        return built
    }

    static func quantise(
        _ synapses: [(pre: Int, post: Int, current: Double, delay: Int)], name: String,
        source: (name: String, size: Int), target: (name: String, size: Int)
    ) -> (ConnectionSpec, [Double]) {
        let (mode, exponent, mantissas) = Quantiser.weights(synapses.map(\.current))
        let scale = synapses.map { abs($0.current) }.max() ?? 1
        let errors = zip(synapses, mantissas).map { s, m in
            abs(Double(Quantiser.current(mantissa: m, exponent: exponent)) - s.current) / max(scale, 1e-300)
        }
        let delays = Set(synapses.map(\.delay))
        var spec = ConnectionSpec(
            name: name, source: source.name, target: target.name, pattern: .sparse, exponent: exponent,
            delay: delays.count == 1 ? delays.first! : 0, signMode: mode)
        if delays.count == 1 && synapses.count == source.size * target.size {
            var dense = [Int](repeating: 0, count: synapses.count)
            for (s, m) in zip(synapses, mantissas) { dense[s.post * source.size + s.pre] = m }
            spec.pattern = .allToAll
            spec.weights = dense
        } else if delays.count == 1 && source.size == target.size && synapses.count == target.size
            && synapses.allSatisfy({ $0.pre == $0.post })
        {
            var diagonal = [Int](repeating: 0, count: target.size)
            for (s, m) in zip(synapses, mantissas) { diagonal[s.post] = m }
            spec.pattern = .oneToOne
            spec.weights = diagonal
        } else {
            spec.pre = synapses.map(\.pre)
            spec.post = synapses.map(\.post)
            spec.weights = mantissas
            if delays.count > 1 { spec.delays = synapses.map(\.delay) }
        }
        return (spec, errors)
    }
}
