// Compiled synapse groups: flat contiguous arrays laid out for event-driven delivery
// (docs/neurochip.md "One time step", step 4). Dense groups are stored presynaptic-row-major so a spike
// adds one contiguous row of currents into the target's dendritic accumulator. A group is
// delivered per partition (ChipPartitioning.swift): each partition adds the synapses that
// end on its cores, so threads never write the same accumulator.

import CNeuroChipKernels

/// Current of a weight mantissa: `w * 2^(6+e)` for `e >= 0`. For `e < 0` the chip shifts in
/// two parts, right by `-e` (arithmetic, so it floors) and then left by 6: `floor(w * 2^e) * 64`,
/// always a multiple of 64 (102 at e = -2 gives 1600, -3 at e = -7 gives -64). Both public
/// Loihi emulators (nengo-loihi, brian2-loihi) compute it this way (docs/neurochip.md).
@inlinable
func synapticCurrent(mantissa w: Int, exponent e: Int) -> Int32 {
    if e >= 0 { return Int32(w << (6 + e)) }
    return Int32((w >> -e) << 6)
}

enum SynapseLayout {
    /// source i -> target i.
    case oneToOne
    /// currents[i * rowStride + j]; rowStride 0 means every source shares row 0.
    case dense(rowStride: Int)
    /// CSR by source per partition (sparse and random patterns).
    case sparse
}

/// What one connection delivers on one partition: the synapses ending on its cores.
final class DeliveryShard {
    let partition: Int
    /// Local post ranges on the partition's cores, ascending (every layout).
    let runs: [Range<Int>]
    /// Synaptic ops per spike on each core of the partition (dense layouts).
    let uniformOps: [(core: Int, count: Int)]
    /// Segments of the target population on the partition (they get input when it delivers).
    let targetSegments: [Int]
    /// Sparse: synapses of source i are rowStart[i] ..< rowStart[i + 1] of the
    /// connection's synapse arrays.
    var rowStart: [Int32] = []
    /// Sparse: the one core every post of the shard lives on (-1: several), so a spike's
    /// ops are added there at once; otherwise per source (CSR) ops per core.
    var singleTargetCore = -1
    var opsStart: [Int32] = []
    var opsCore: [Int32] = []
    var opsCount: [Int32] = []

    init(partition: Int, runs: [Range<Int>], uniformOps: [(core: Int, count: Int)], targetSegments: [Int]) {
        self.partition = partition
        self.runs = runs
        self.uniformOps = uniformOps
        self.targetSegments = targetSegments
    }
}

/// One compiled connection. A class so the simulator can hand its arrays to kernels
/// without copying; the synapse arrays are raw storage (RawArray) that the threads of a
/// step write at disjoint indices.
final class ConnectionRuntime {
    let index: Int
    let name: String
    /// The key of its random draws (`ChipDrawStream.connectionKey(name:)`).
    let drawKey: UInt64
    let spec: ConnectionSpec
    /// Source group (populations first, then generators) and its range in source space.
    let sourceGroup: Int
    let sourceStart: Int
    let sourceCount: Int
    /// Target population and its global compartment range.
    let targetPopulation: Int
    let targetStart: Int
    let targetCount: Int
    let layout: SynapseLayout
    let delay: Int
    let exponent: Int
    let signMode: SignMode
    /// `6 + e` for `e >= 0` (currents are `w << shift`); for `e < 0` it is `e` itself, negative,
    /// and delivery reads `currents` (`(w >> -e) << 6`, see `synapticCurrent`).
    let shift: Int

    /// Weight mantissas in layout order (the source of truth), except for sparse groups
    /// stored as 3-byte rows, whose weight byte is the mantissa (`mantissa(at:)`).
    var mantissa: RawArray<Int16>
    /// Delivery copies: currents when e < 0 (two-part shift), else 8-bit packed mantissas
    /// for dense rows (mixed: w/2, which is exact; excitatory: w; inhibitory: -w), so a
    /// spike streams 1 byte per synapse.
    var currents: RawArray<Int32>
    var packed: RawArray<Int8>
    /// Synaptic tags (pre x post), when a learning rule uses them.
    var tags = RawArray<Int16>(repeating: 0, count: 0)
    /// Core of each target compartment (local index).
    let targetCore: [Int32]

    // Sparse synapses, shard after shard (partition order), CSR by source within a shard.
    /// 16-bit or 32-bit posts and per-synapse delays of the general path.
    var postIndex = RawArray<Int32>(repeating: 0, count: 0)
    var postIndex16 = RawArray<UInt16>(repeating: 0, count: 0)
    var synapseDelays = RawArray<UInt8>(repeating: 0, count: 0)
    /// Sparse delivery rows (nc_sparse_rows_add): per synapse its 16-bit post (little-endian)
    /// and its weight in `packed`'s 8-bit encoding, 3 bytes together, so a spiking row is one
    /// run of bytes. Used when posts fit 16 bits, the group has one delay and a non-negative
    /// shift. The simulator moves the rows of all its connections into one block.
    var sparseStorage: SparseRowStorage?
    var sparseRows: UnsafeMutablePointer<UInt8>?
    /// Sparse synapses stored by this process (the shards of its partitions).
    var storedSynapses = 0
    var synapseDelaysAreUniform: Bool { synapseDelays.isEmpty }

    /// Per partition: what this connection delivers there (nil: no synapse ends there, or
    /// another process steps it).
    private(set) var shards: [DeliveryShard?]
    /// Learning engines of the shards this process steps (one per run of posts).
    var learners: [LearningRuntime] = []
    /// The first learner (tests and single-partition readers).
    var learning: LearningRuntime? { learners.first }

    /// A connection with its shards on `partitions`. Sparse rows go into `arena`'s shared
    /// block (written once every connection has counted its synapses) or, without one, into
    /// storage of their own.
    init(
        index: Int, spec: ConnectionSpec, sourceGroup: Int, sourceStart: Int, sourceCount: Int,
        targetPopulation: Int, targetStart: Int, targetCount: Int, coreMap: CoreMap, partitions: PartitionMap,
        seed: UInt64, arena: SparseRowArena? = nil
    ) {
        self.index = index
        self.name = spec.name
        self.drawKey = ChipDrawStream.connectionKey(name: spec.name)
        self.spec = spec
        self.sourceGroup = sourceGroup
        self.sourceStart = sourceStart
        self.sourceCount = sourceCount
        self.targetPopulation = targetPopulation
        self.targetStart = targetStart
        self.targetCount = targetCount
        self.delay = spec.delay
        self.exponent = spec.exponent
        self.signMode = spec.signMode
        self.shift = spec.exponent >= 0 ? 6 + spec.exponent : spec.exponent
        let nt = targetCount
        let cores = (0..<nt).map { coreMap.coreOfCompartment[targetStart + $0] }
        targetCore = cores
        let shardList = Self.shardLayout(
            targetPopulation: targetPopulation, targetCores: cores, coreMap: coreMap, partitions: partitions)
        shards = shardList
        let stored = shardList.contains { $0 != nil }
        switch spec.pattern {
        case .oneToOne:
            layout = .oneToOne
        case .oneToAll:
            layout = .dense(rowStride: 0)
        case .allToAll:
            layout = .dense(rowStride: nt)
        case .sparse, .random:
            layout = .sparse
        }
        mantissa = RawArray(repeating: 0, count: 0)
        currents = RawArray(repeating: 0, count: 0)
        packed = RawArray(repeating: 0, count: 0)
        if case .sparse = layout {
            if stored { buildSparse(seed: seed, arena: arena) }
        } else if stored {
            mantissa = RawArray(Self.denseMantissas(spec, sources: sourceCount, targets: nt))
            buildDeliveryCopies()
        }
    }

    /// Runs of posts per partition, as shards of the partitions this process steps.
    private static func shardLayout(
        targetPopulation: Int, targetCores: [Int32], coreMap: CoreMap, partitions: PartitionMap
    ) -> [DeliveryShard?] {
        var runs = [[Range<Int>]](repeating: [], count: partitions.partitions.count)
        var perCore = [[Int: Int]](repeating: [:], count: partitions.partitions.count)
        for (j, core) in targetCores.enumerated() {
            let p = Int(partitions.partitionOfCore[Int(core)])
            if let last = runs[p].last, last.upperBound == j {
                runs[p][runs[p].count - 1] = last.lowerBound..<(j + 1)
            } else {
                runs[p].append(j..<(j + 1))
            }
            perCore[p][Int(core), default: 0] += 1
        }
        return partitions.partitions.map { partition -> DeliveryShard? in
            let p = partition.index
            guard !runs[p].isEmpty, partitions.owns(partition: p) else { return nil }
            let segments = partition.segments.filter { coreMap.segments[$0].population == targetPopulation }
            return DeliveryShard(
                partition: p, runs: runs[p], uniformOps: perCore[p].sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                targetSegments: segments)
        }
    }

    /// Mantissas of a dense-like pattern in layout order (all-to-all: pre x post).
    private static func denseMantissas(_ spec: ConnectionSpec, sources ns: Int, targets nt: Int) -> [Int16] {
        func weight(_ k: Int) -> Int { spec.weights?[k] ?? spec.weight ?? 0 }
        switch spec.pattern {
        case .allToAll:
            // Description layout is (post x pre); store (pre x post) for row delivery.
            guard let ws = spec.weights else { return Array(repeating: Int16(spec.weight ?? 0), count: ns * nt) }
            var m = [Int16](repeating: 0, count: ns * nt)
            for j in 0..<nt {
                for i in 0..<ns { m[i * nt + j] = Int16(ws[j * ns + i]) }
            }
            return m
        default:
            return (0..<nt).map { Int16(weight($0)) }
        }
    }

    /// `currents` for e < 0, `packed` rows for dense layouts.
    func buildDeliveryCopies() {
        let m = mantissa.buffer
        if shift < 0 {
            let e = exponent
            currents = RawArray(count: m.count) { out in
                for k in m.indices { out[k] = synapticCurrent(mantissa: Int(m[k]), exponent: e) }
            }
        } else if case .dense = layout {
            let mode = signMode
            packed = RawArray(count: m.count) { out in
                for k in m.indices { out[k] = Self.pack(Int(m[k]), mode) }
            }
        }
    }

    /// How the kernels read `packed` / `sparseRows` (mixed rows hold w/2: shift one more).
    var rowKind: NCRowKind {
        switch signMode {
        case .mixed: return NCRowsSigned
        case .excitatory: return NCRowsUnsignedAdd
        case .inhibitory: return NCRowsUnsignedSubtract
        }
    }

    @inline(__always)
    static func pack(_ w: Int, _ mode: SignMode) -> Int8 {
        switch mode {
        case .mixed: return Int8(w >> 1)
        case .excitatory: return Int8(bitPattern: UInt8(w))
        case .inhibitory: return Int8(bitPattern: UInt8(-w))
        }
    }

    /// Inverse of `pack`.
    @inline(__always)
    static func unpack(_ byte: UInt8, _ mode: SignMode) -> Int {
        switch mode {
        case .mixed: return Int(Int8(bitPattern: byte)) * 2
        case .excitatory: return Int(byte)
        case .inhibitory: return -Int(byte)
        }
    }

    // MARK: synapse access

    /// Post (local index) of stored sparse synapse k.
    @inline(__always)
    func post(at k: Int) -> Int {
        if let rows = sparseRows { return Int(rows[3 * k]) | Int(rows[3 * k + 1]) << 8 }
        return postIndex16.isEmpty ? Int(postIndex[k]) : Int(postIndex16[k])
    }

    /// Mantissa of synapse k (layout order).
    @inline(__always)
    func mantissa(at k: Int) -> Int {
        if let rows = sparseRows { return Self.unpack(rows[3 * k + 2], signMode) }
        return Int(mantissa[k])
    }

    /// Current of synapse k (layout order).
    @inline(__always)
    func current(at k: Int) -> Int32 {
        shift >= 0 ? Int32(truncatingIfNeeded: mantissa(at: k)) &<< Int32(shift) : currents[k]
    }

    /// Sets one synapse's mantissa (internal layout index) and its delivery copy.
    @inline(__always)
    func setMantissa(_ value: Int, at k: Int) {
        if let rows = sparseRows {
            rows[3 * k + 2] = UInt8(bitPattern: Self.pack(value, signMode))
            return
        }
        mantissa[k] = Int16(value)
        if shift < 0 {
            currents[k] = synapticCurrent(mantissa: value, exponent: exponent)
        } else if !packed.isEmpty {
            packed[k] = Self.pack(value, signMode)
        }
    }

    /// For the message counters: a function that appends the cores source i's synapses end
    /// on (repeats allowed), over all synapses, also those other processes store.
    func destinationCores(seed: UInt64) -> (_ source: Int, _ cores: inout [Int32]) -> Void {
        switch spec.pattern {
        case .oneToOne:
            let cores = targetCore
            return { i, out in out.append(cores[i]) }
        case .oneToAll, .allToAll:
            let cores = Array(Set(targetCore)).sorted()
            return { _, out in out += cores }
        case .sparse, .random:
            let synapses = SynapseEnumerator(spec, sourceCount: sourceCount, targets: targetCount, seed: seed)
            let cores = targetCore
            return { i, out in synapses.forEach(source: i) { _, post, _, _ in out.append(cores[post]) } }
        }
    }

    /// Weights in the description's layout (post x pre for all-to-all, description order
    /// for sparse, source-major for random). Synapses another process stores read as 0.
    func weightsInDescriptionLayout(seed: UInt64 = 0) -> [Int] {
        switch spec.pattern {
        case .allToAll:
            let ns = sourceCount
            let nt = targetCount
            var out = [Int](repeating: 0, count: ns * nt)
            guard !mantissa.isEmpty else { return out }
            for shard in shards.compactMap({ $0 }) {
                for run in shard.runs {
                    for i in 0..<ns {
                        for j in run { out[j * ns + i] = Int(mantissa[i * nt + j]) }
                    }
                }
            }
            return out
        case .oneToOne, .oneToAll:
            var out = [Int](repeating: 0, count: targetCount)
            guard !mantissa.isEmpty else { return out }
            for shard in shards.compactMap({ $0 }) {
                for run in shard.runs { for j in run { out[j] = Int(mantissa[j]) } }
            }
            return out
        case .sparse, .random:
            return sparseWeightsInDescriptionLayout(seed: seed)
        }
    }

    /// Sparse weights back in description order: the synapses are visited as they were
    /// stored (source by source, each shard's rows in description order).
    private func sparseWeightsInDescriptionLayout(seed: UInt64) -> [Int] {
        let synapses = SynapseEnumerator(spec, sourceCount: sourceCount, targets: targetCount, seed: seed)
        var out = [Int](repeating: 0, count: synapses.count)
        var postShard = [Int32](repeating: -1, count: targetCount)
        let owned = shards.compactMap { $0 }
        for (slot, shard) in owned.enumerated() {
            for run in shard.runs { for j in run { postShard[j] = Int32(slot) } }
        }
        var fill = owned.map(\.rowStart)
        for i in 0..<sourceCount {
            synapses.forEach(source: i) { d, post, _, _ in
                let slot = Int(postShard[post])
                guard slot >= 0 else { return }
                out[d] = mantissa(at: Int(fill[slot][i]))
                fill[slot][i] += 1
            }
        }
        return out
    }
}

/// dst[0..<n] += src[0..<n] with wrapping Int32 adds (mod 2^24 is all that matters, docs/neurochip.md "Units").
@inline(__always)
func addRow(_ dst: UnsafeMutablePointer<Int32>, _ src: UnsafePointer<Int32>, _ n: Int) {
    for j in 0..<n { dst[j] &+= src[j] }
}

/// One block of sparse delivery rows (nc_alloc_rows), shared by the connections that
/// point into it and freed with the last of them.
final class SparseRowStorage {
    let base: UnsafeMutablePointer<UInt8>
    let bytes: Int

    init(bytes: Int) {
        guard let raw = nc_alloc_rows(Int64(bytes)) else {
            fatalError("out of memory for \(bytes) bytes of sparse rows")
        }
        base = raw.bindMemory(to: UInt8.self, capacity: max(bytes, 1))
        self.bytes = bytes
    }

    deinit { nc_free_rows(base) }
}
