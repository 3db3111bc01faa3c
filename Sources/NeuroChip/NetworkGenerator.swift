// Large benchmark networks as short descriptions (docs/neurochip.md, "Large networks"): a
// million compartments with a hundred million synapses is a few hundred lines of JSON,
// because each connection is a `random` one whose synapses the simulator draws itself.

/// A network of blocks that drive themselves and each other.
public enum NetworkGenerator {
    /// `compartments` compartments in blocks of `block` (the last one smaller when it does
    /// not divide). Every compartment integrates a bias without leak and fires about every
    /// 20 steps (refractory periods staggered per block); each block receives `fanIn / 2`
    /// random synapses per source from itself and as many from the next block (the last
    /// from the first), weights uniform in -64...62 (mixed mode, current w * 64), so the
    /// input scatters the firing phases. Synaptic memory is that of the real chip, so a
    /// block of 1,024 with fan-in 100 spreads over two cores; the chips follow from the
    /// placement. A spike probe watches the first block.
    public static func blocks(compartments: Int, fanIn: Int, block: Int = 1024, seed: UInt64 = 1) -> NetworkDescription {
        var net = NetworkDescription(seed: seed)
        let count = max(1, (compartments + block - 1) / block)
        for b in 0..<count {
            let size = min(block, compartments - b * block)
            net.populations.append(
                PopulationSpec(
                    name: "b\(b)", size: max(size, 1), du: 4096, dv: 0, biasMantissa: 3200, vthMantissa: 1000,
                    refractory: 1 + b % 8, vmin: -200_000))
        }
        if fanIn > 0 {
            let half = max(1, fanIn / 2)
            for b in 0..<count {
                for (suffix, source) in [("self", b), ("next", (b + 1) % count)] {
                    net.connections.append(
                        ConnectionSpec(
                            name: "b\(b).\(suffix)", source: "b\(source)", target: "b\(b)", pattern: .random,
                            random: RandomSynapses(fanOut: half, weightMin: -64, weightMax: 62)))
                }
            }
        }
        net.probes = [ProbeSpec(name: "b0.spikes", kind: .spikes, target: "b0")]
        return net
    }

    /// Synapses of `blocks(compartments:fanIn:)`: every source's fan-out.
    public static func synapseCount(_ net: NetworkDescription) -> Int {
        var sizes: [String: Int] = [:]
        for p in net.populations { sizes[p.name] = p.size }
        for g in net.generators { sizes[g.name] = g.size }
        return net.connections.reduce(0) { total, c in
            total + (c.pattern == .random ? (sizes[c.source] ?? 0) * (c.random?.fanOut ?? 0) : 0)
        }
    }
}

extension ConnectionSpec {
    /// The synapses of a random connection, drawn from `seed` as the simulator draws them:
    /// (pre, post, weight mantissa) source by source (for exporters; the simulator itself
    /// never builds this list).
    public func randomSynapses(sourceCount: Int, targetCount: Int, seed: UInt64) -> [(pre: Int, post: Int, weight: Int)] {
        guard pattern == .random else { return [] }
        let synapses = SynapseEnumerator(self, sourceCount: sourceCount, targets: targetCount, seed: seed)
        var out: [(pre: Int, post: Int, weight: Int)] = []
        out.reserveCapacity(synapses.count)
        for i in 0..<sourceCount {
            synapses.forEach(source: i) { _, post, weight, _ in out.append((i, post, weight)) }
        }
        return out
    }
}
