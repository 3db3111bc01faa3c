import CNeuroChipKernels
import Testing

@testable import NeuroChip

/// Sparse delivery through ConnectionRuntime (3-byte synapses of 16-bit post and 8-bit
/// packed weight, nc_sparse_rows_add; or the general path) against adding every synapse's current in the
/// description's order with wrapping 32-bit adds (docs/neurochip.md "One time step", step 4), with the
/// synaptic op counters. Layout-independent, so a new delivery layout must pass it too.
struct SparseDeliveryTests {
    /// One sparse connection from `pre`/`post`/`weights` with sources at global index 5...
    static func connection(
        sources: Int, targets: Int, pre: [Int], post: [Int], weights: [Int], mode: SignMode, exponent: Int,
        delays: [Int]? = nil, coreOf: [Int32]? = nil
    ) -> ConnectionRuntime {
        let spec = ConnectionSpec(
            name: "s", source: "g", target: "b", pattern: .sparse, weights: weights, exponent: exponent,
            delay: delays?.first ?? 0, delays: delays, signMode: mode, pre: pre, post: post)
        let cores = coreOf ?? [Int32](repeating: 0, count: 3 + targets)
        let map = CoreMap(
            segments: [], coreOfCompartment: cores, compartmentsPerCore: Array(repeating: 0, count: ChipGeometry.cores),
            synapseBitsPerCore: Array(repeating: 0, count: ChipGeometry.cores))
        // One partition holding every core, as in a single-threaded simulator.
        let partitions = PartitionMap(
            [StepPartition(index: 0, cores: 0..<ChipGeometry.cores, usedCores: [], segments: [], rank: 0)],
            coreCount: ChipGeometry.cores, rank: 0)
        return ConnectionRuntime(
            index: 0, spec: spec, sourceGroup: 0, sourceStart: 5, sourceCount: sources, targetPopulation: 0,
            targetStart: 3, targetCount: targets, coreMap: map, partitions: partitions, seed: 0)
    }

    /// Delivers one step's spikes (local source indices) into a ring whose slot starts at
    /// `initial`; returns the slot, the returned ops and the per-core op counts.
    static func deliver(_ c: ConnectionRuntime, spikes: [Int], initial: [Int32]) -> (
        slot: [Int32], operations: Int, counts: [Int]
    ) {
        let compartments = c.targetStart + c.targetCount
        let ringSize = 2 + c.delay
        var ring = [Int32](repeating: 0, count: ringSize * compartments)
        let slot = (1 + c.delay) % ringSize
        for j in 0..<c.targetCount { ring[slot * compartments + c.targetStart + j] = initial[j] }
        var counts = [CoreStepCounts](repeating: CoreStepCounts(), count: 4)
        let global = spikes.map { Int32(c.sourceStart + $0) }
        let operations = global.withUnsafeBufferPointer { s in
            ring.withUnsafeMutableBufferPointer { r in
                counts.withUnsafeMutableBufferPointer { k in
                    c.deliver(
                        spikes: s, step: 0, ring: r.baseAddress!, ringSize: ringSize, compartments: compartments,
                        counts: k.baseAddress!)
                }
            }
        }
        let out = Array(ring[(slot * compartments + c.targetStart)..<(slot * compartments + compartments)])
        return (out, operations, counts.map(\.synapticOps))
    }

    /// Every synapse of every spiking source, in the description's order.
    static func reference(
        pre: [Int], post: [Int], weights: [Int], exponent: Int, spikes: [Int], initial: [Int32]
    ) -> (slot: [Int32], synapses: Int) {
        var out = initial
        var synapses = 0
        for s in spikes {
            for k in pre.indices where pre[k] == s {
                // e < 0: floor(w * 2^e) * 64, the chip's two-part shift.
                let current = exponent >= 0 ? weights[k] << (6 + exponent) : (weights[k] >> -exponent) << 6
                out[post[k]] &+= Int32(truncatingIfNeeded: current)
                synapses += 1
            }
        }
        return (out, synapses)
    }

    /// Random rows in random post order plus hand-made edge rows: duplicate posts, gaps of
    /// 255 and 256, a first post above 255, the last compartment, empty rows.
    static func synapses(targets n: Int, seed: UInt64, mode: SignMode) -> (pre: [Int], post: [Int], weights: [Int]) {
        var random = ChipRandom(seed: seed)
        var pre: [Int] = []
        var post: [Int] = []
        func weight() -> Int {
            let range = mode.weightRange
            let w = range.lowerBound + Int(random.below(UInt64(range.count)))
            return mode == .mixed ? w & ~1 : w
        }
        let edges: [[Int]] = [
            [7, 7, 7, 2, 7], [0, 255, 510, 766], [n - 1, 300, n - 1, 0], [], [600, 5, 1800, 1200, 1201], [],
        ]
        for (i, row) in edges.enumerated() {
            for p in row {
                pre.append(i)
                post.append(p)
            }
        }
        for i in edges.count..<40 where i % 7 != 0 {
            for _ in 0..<Int(random.below(60)) {
                pre.append(i)
                post.append(Int(random.below(UInt64(n))))
            }
        }
        // Interleave the rows (the description need not be grouped by source).
        for k in stride(from: pre.count - 1, to: 0, by: -1) {
            let other = Int(random.below(UInt64(k + 1)))
            pre.swapAt(k, other)
            post.swapAt(k, other)
        }
        var weights = pre.map { _ in weight() }
        // Extremes of the range so every mode adds its largest magnitudes.
        weights[0] = mode.weightRange.lowerBound
        weights[1] = mode == .mixed ? 254 : mode.weightRange.upperBound
        return (pre, post, weights)
    }

    @Test(arguments: [
        (SignMode.mixed, -6), (SignMode.mixed, 7), (SignMode.excitatory, 0), (SignMode.excitatory, 7),
        (SignMode.inhibitory, -6), (SignMode.inhibitory, 3),
    ])
    func sparseDeliveryMatchesDescriptionOrderReference(mode: SignMode, exponent: Int) {
        for n in [2000, 65536] {
            let (pre, post, weights) = Self.synapses(targets: n, seed: UInt64(n + exponent + 20), mode: mode)
            let c = Self.connection(
                sources: 40, targets: n, pre: pre, post: post, weights: weights, mode: mode, exponent: exponent)
            if exponent >= 0 {
                // The C kernel's path is in use.
                #expect(c.sparseRows != nil && c.sparseStorage?.bytes == 3 * pre.count && c.postIndex16.isEmpty)
            } else {
                // e < 0 floors each synapse's current: the general path with precomputed currents.
                #expect(c.sparseRows == nil && c.currents.count == pre.count)
            }
            var random = ChipRandom(seed: 5)
            let initial = (0..<n).map { _ in Int32(truncatingIfNeeded: random.next()) }
            let all = Array((0..<40).reversed())
            let some = all.filter { _ in random.below(2) == 0 }
            for spikes in [all, some, [3], [5, 3]] {
                let expected = Self.reference(
                    pre: pre, post: post, weights: weights, exponent: exponent, spikes: spikes, initial: initial)
                let got = Self.deliver(c, spikes: spikes, initial: initial)
                #expect(got.slot == expected.slot, "n \(n), spikes \(spikes.count)")
                #expect(got.operations == expected.synapses)
                #expect(got.counts == [expected.synapses, 0, 0, 0])
            }
        }
    }

    /// Per-source op counting (targets on two cores) and the general path (per-synapse
    /// delays, here all equal) give the same currents and counts as the C kernel's path.
    @Test func opCountersAndGeneralPathAgree() {
        let n = 2000
        let (pre, post, weights) = Self.synapses(targets: n, seed: 11, mode: .mixed)
        let coreOf = (0..<(3 + n)).map { Int32($0 < 3 + 1000 ? 1 : 2) }
        let fast = Self.connection(
            sources: 40, targets: n, pre: pre, post: post, weights: weights, mode: .mixed, exponent: 2,
            coreOf: coreOf)
        let general = Self.connection(
            sources: 40, targets: n, pre: pre, post: post, weights: weights, mode: .mixed, exponent: 2,
            delays: Array(repeating: 0, count: pre.count), coreOf: coreOf)
        #expect(fast.sparseRows != nil && general.sparseRows == nil)
        let initial = (0..<n).map { Int32($0 * 977 - 400_000) }
        let spikes = [0, 1, 2, 3, 4, 5, 9, 13, 39]
        let a = Self.deliver(fast, spikes: spikes, initial: initial)
        let b = Self.deliver(general, spikes: spikes, initial: initial)
        #expect(a.slot == b.slot && a.operations == b.operations && a.counts == b.counts)
        var perCore = [0, 0, 0, 0]
        for k in pre.indices where spikes.contains(pre[k]) { perCore[post[k] < 1000 ? 1 : 2] += 1 }
        #expect(a.counts == perCore)
        #expect(a.operations == perCore.reduce(0, +))
    }

    /// setMantissa (internal layout index) keeps the delivery copy in sync (no public API
    /// changes sparse weights today, but the copy must never go stale).
    @Test func setMantissaRefreshesTheDeliveryCopy() {
        let n = 3000
        let (pre, post, weights) = Self.synapses(targets: n, seed: 3, mode: .inhibitory)
        let c = Self.connection(
            sources: 40, targets: n, pre: pre, post: post, weights: weights, mode: .inhibitory, exponent: 1)
        var random = ChipRandom(seed: 8)
        // Internal index k -> description index, by the same stable grouping by source.
        var order = Array(pre.indices)
        order.sort { (pre[$0], $0) < (pre[$1], $1) }
        var changed = weights
        for _ in 0..<50 {
            let k = Int(random.below(UInt64(pre.count)))
            let w = -Int(random.below(256))
            c.setMantissa(w, at: k)
            changed[order[k]] = w
        }
        #expect(c.weightsInDescriptionLayout() == changed)
        let initial = [Int32](repeating: 77, count: n)
        let spikes = Array(0..<40)
        let expected = Self.reference(
            pre: pre, post: post, weights: changed, exponent: 1, spikes: spikes, initial: initial)
        #expect(Self.deliver(c, spikes: spikes, initial: initial).slot == expected.slot)
    }

    /// The simulator moves the rows of its sparse groups into one block; every group then
    /// delivers from there exactly as the description-order reference says, also after a
    /// weight change through setMantissa.
    @Test func sharedRowBlockDeliversEveryGroup() throws {
        let n = 2000
        var connections: [ConnectionSpec] = []
        var synapses: [(pre: [Int], post: [Int], weights: [Int])] = []
        for k in 0..<3 {
            let s = Self.synapses(targets: n, seed: UInt64(40 + k), mode: .mixed)
            synapses.append(s)
            connections.append(
                ConnectionSpec(
                    name: "s\(k)", source: "g", target: "b", pattern: .sparse, weights: s.weights, exponent: 0,
                    pre: s.pre, post: s.post))
        }
        let net = NetworkDescription(
            populations: [PopulationSpec(name: "b", size: n, du: 4096, dv: 4096, vthMantissa: 131_071)],
            connections: connections, generators: [SpikeGeneratorSpec(name: "g", size: 40)],
            mapping: CoreMappingSpec(ignoreSynapticMemory: true))
        let chip = try ChipSimulator(net)
        let storage = try #require(chip.connections[0].sparseStorage)
        #expect(chip.connections.allSatisfy { $0.sparseStorage === storage })
        chip.connections[1].setMantissa(-128, at: 0)
        let spikes = [0, 1, 2, 9, 13, 39]
        var expected = [Int32](repeating: 0, count: n)
        for (k, s) in synapses.enumerated() {
            var weights = s.weights
            if k == 1 {
                // Internal index 0 is the first synapse of the lowest source with synapses.
                let first = s.pre.indices.min { (s.pre[$0], $0) < (s.pre[$1], $1) }!
                weights[first] = -128
            }
            expected =
                Self.reference(
                    pre: s.pre, post: s.post, weights: weights, exponent: 0, spikes: spikes, initial: expected
                ).slot
        }
        var got = [Int32](repeating: 0, count: n)
        for c in chip.connections {
            got = Self.deliver(c, spikes: spikes, initial: got).slot
        }
        #expect(got == expected)
    }

    /// Large row blocks are 2 MiB-aligned (huge pages), small ones cache-line aligned.
    @Test func rowBlocksAreAligned() throws {
        for (bytes, alignment) in [(0, 64), (100, 64), (3 << 20, 2 << 20)] {
            let storage = SparseRowStorage(bytes: bytes)
            #expect(Int(bitPattern: storage.base) % alignment == 0)
            if bytes > 0 {
                storage.base[bytes - 1] = 7
                #expect(storage.base[bytes - 1] == 7)
            }
        }
    }

    @Test func emptyConnectionDeliversNothing() {
        let c = Self.connection(sources: 3, targets: 10, pre: [], post: [], weights: [], mode: .mixed, exponent: 0)
        let got = Self.deliver(c, spikes: [0, 2], initial: [Int32](repeating: 4, count: 10))
        #expect(got.slot == [Int32](repeating: 4, count: 10) && got.operations == 0 && got.counts == [0, 0, 0, 0])
    }
}
