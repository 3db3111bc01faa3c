// The synapses of a sparse or random connection, source by source, without building them
// as arrays: explicit lists are visited through a by-source order of their indices;
// random connections draw each synapse from its key (ChipDraws.swift), so a network of
// a hundred million synapses is a few lines of description and is never materialised
// outside the simulator's compact rows.

struct SynapseEnumerator {
    private enum Source {
        /// Description indices grouped by source (stable): `order[start[i] ..< start[i + 1]]`.
        case explicit(order: [Int32], start: [Int32], post: [Int], weights: [Int]?, delays: [Int]?)
        case random(fanOut: Int, targets: ChipDrawStream, weights: ChipDrawStream, low: Int, steps: UInt64, grid: Int)
    }

    private let source: Source
    private let uniformWeight: Int
    private let delay: Int
    /// Synapses in the description (its weights layout).
    let count: Int

    init(_ spec: ConnectionSpec, sourceCount ns: Int, targets nt: Int, seed: UInt64) {
        uniformWeight = spec.weight ?? 0
        delay = spec.delay
        if spec.pattern == .random, let random = spec.random {
            let key = ChipDrawStream.connectionKey(name: spec.name)
            let grid = spec.signMode.weightStep
            source = .random(
                fanOut: random.fanOut,
                targets: ChipDrawStream(seed: seed, connection: key, purpose: .synapseTarget, step: 0),
                weights: ChipDrawStream(seed: seed, connection: key, purpose: .synapseWeight, step: 0),
                low: random.weightMin,
                steps: spec.weight != nil ? 0 : UInt64(max(0, (random.weightMax - random.weightMin) / grid + 1)),
                grid: grid)
            count = ns * random.fanOut
            targetCount = UInt64(nt)
            return
        }
        let pre = spec.pre ?? []
        // Stable counting sort by presynaptic index keeps the given order within a row.
        var start = [Int32](repeating: 0, count: ns + 1)
        for i in pre { start[i + 1] += 1 }
        for i in 0..<ns { start[i + 1] += start[i] }
        var fill = start
        var order = [Int32](repeating: 0, count: pre.count)
        for (k, i) in pre.enumerated() {
            order[Int(fill[i])] = Int32(k)
            fill[i] += 1
        }
        source = .explicit(order: order, start: start, post: spec.post ?? [], weights: spec.weights, delays: spec.delays)
        count = pre.count
        targetCount = UInt64(nt)
    }

    private let targetCount: UInt64

    /// `body(index, post, weight, delay)` for every synapse of source i, in description
    /// order; `index` is the synapse's position in the description's weights layout.
    @inline(__always)
    func forEach(source i: Int, _ body: (_ index: Int, _ post: Int, _ weight: Int, _ delay: Int) -> Void) {
        switch source {
        case .explicit(let order, let start, let post, let weights, let delays):
            for position in Int(start[i])..<Int(start[i + 1]) {
                let k = Int(order[position])
                body(k, post[k], weights?[k] ?? uniformWeight, delays?[k] ?? delay)
            }
        case .random(let fanOut, let targets, let weights, let low, let steps, let grid):
            let first = i &* fanOut
            for m in 0..<fanOut {
                let k = first &+ m
                let post = Int(targets.below(k, targetCount))
                let weight = steps == 0 ? uniformWeight : low &+ grid &* Int(weights.below(k, steps))
                body(k, post, weight, delay)
            }
        }
    }
}
