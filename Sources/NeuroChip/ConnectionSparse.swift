// Compiling sparse and random connections: the synapses that end on each partition this
// process steps, as CSR rows by source, in two passes over the synapses (count, then
// write) so no list of all synapses is ever built. Rows of 3 bytes per synapse (16-bit
// post, 8-bit weight) go into one block shared by all connections of the simulator,
// allocated once their sizes are known, so peak memory is the rows themselves.

/// The shared block of a simulator's 3-byte sparse rows (nc_alloc_rows: 2 MiB-aligned with
/// transparent huge pages once it is large), so the rows of many small groups share huge
/// pages instead of each sitting on its own 4 KiB pages.
final class SparseRowArena {
    private var reserved: [(connection: ConnectionRuntime, bytes: Int)] = []

    func reserve(_ connection: ConnectionRuntime, bytes: Int) { reserved.append((connection, bytes)) }

    /// Allocates the block and has every connection write its rows there, each from a
    /// cache line.
    func allocate(seed: UInt64) {
        guard !reserved.isEmpty else { return }
        let total = reserved.reduce(0) { $0 + ($1.bytes + 63) / 64 * 64 }
        let storage = SparseRowStorage(bytes: total)
        var offset = 0
        for (connection, bytes) in reserved {
            connection.writeRows(into: storage, offset: offset, seed: seed)
            offset += (bytes + 63) / 64 * 64
        }
        reserved = []
    }
}

extension ConnectionRuntime {
    /// Whether the rows take the 3-byte form (posts fit 16 bits, one delay, e >= 0).
    var usesThreeByteRows: Bool { targetCount <= 65536 && spec.delays == nil && shift >= 0 }

    /// Local post -> slot of the owned shard it belongs to (-1: another process's).
    private var postSlots: [Int32] {
        var slots = [Int32](repeating: -1, count: targetCount)
        for (slot, shard) in shards.compactMap({ $0 }).enumerated() {
            for run in shard.runs { for j in run { slots[j] = Int32(slot) } }
        }
        return slots
    }

    /// Pass 1 (counts per shard and source, then row starts), then the rows.
    func buildSparse(seed: UInt64, arena: SparseRowArena?) {
        let synapses = SynapseEnumerator(spec, sourceCount: sourceCount, targets: targetCount, seed: seed)
        let ns = sourceCount
        let slots = postSlots
        let owned = shards.compactMap { $0 }
        var rows = [[Int32]](repeating: [Int32](repeating: 0, count: ns + 1), count: owned.count)
        for i in 0..<ns {
            synapses.forEach(source: i) { _, post, _, _ in
                let slot = Int(slots[post])
                if slot >= 0 { rows[slot][i + 1] &+= 1 }
            }
        }
        var total: Int32 = 0
        for slot in rows.indices {
            rows[slot][0] = total
            for i in 0..<ns { rows[slot][i + 1] &+= rows[slot][i] }
            total = rows[slot][ns]
        }
        storedSynapses = Int(total)
        for (slot, shard) in owned.enumerated() { shard.rowStart = rows[slot] }
        if usesThreeByteRows {
            if let arena {
                arena.reserve(self, bytes: 3 * storedSynapses)
            } else {
                writeRows(into: SparseRowStorage(bytes: 3 * storedSynapses), offset: 0, seed: seed)
            }
        } else {
            writeGeneralSynapses(synapses)
            for shard in owned { countOps(of: shard) }
        }
    }

    /// Pass 2 for 3-byte rows: each synapse's post and packed weight at its place.
    func writeRows(into storage: SparseRowStorage, offset: Int, seed: UInt64) {
        sparseStorage = storage
        let out = storage.base + offset
        sparseRows = out
        let synapses = SynapseEnumerator(spec, sourceCount: sourceCount, targets: targetCount, seed: seed)
        let slots = postSlots
        let owned = shards.compactMap { $0 }
        var fill = owned.map(\.rowStart)
        let mode = signMode
        for i in 0..<sourceCount {
            synapses.forEach(source: i) { _, post, weight, _ in
                let slot = Int(slots[post])
                guard slot >= 0 else { return }
                let k = Int(fill[slot][i])
                fill[slot][i] &+= 1
                out[3 * k] = UInt8(truncatingIfNeeded: post)
                out[3 * k + 1] = UInt8(truncatingIfNeeded: post >> 8)
                out[3 * k + 2] = UInt8(bitPattern: Self.pack(weight, mode))
            }
        }
        for shard in owned { countOps(of: shard) }
    }

    /// Pass 2 for the general path (per-synapse delays, e < 0, or posts beyond 16 bits):
    /// mantissas, posts and delays as arrays, and the currents.
    private func writeGeneralSynapses(_ synapses: SynapseEnumerator) {
        let count = storedSynapses
        let slots = postSlots
        var fill = shards.compactMap { $0 }.map(\.rowStart)
        var m = [Int16](repeating: 0, count: count)
        var posts = [Int32](repeating: 0, count: count)
        var delays = [UInt8](repeating: 0, count: spec.delays == nil ? 0 : count)
        for i in 0..<sourceCount {
            synapses.forEach(source: i) { _, post, weight, delay in
                let slot = Int(slots[post])
                guard slot >= 0 else { return }
                let k = Int(fill[slot][i])
                fill[slot][i] &+= 1
                m[k] = Int16(weight)
                posts[k] = Int32(post)
                if !delays.isEmpty { delays[k] = UInt8(delay) }
            }
        }
        mantissa = RawArray(m)
        synapseDelays = RawArray(delays)
        if targetCount <= 65536 { postIndex16 = RawArray(posts.map { UInt16($0) }) } else { postIndex = RawArray(posts) }
        buildDeliveryCopies()
    }

    /// Synaptic ops per spike and core of a sparse shard: one core for the whole shard, or
    /// per source the cores its synapses end on and how many.
    func countOps(of shard: DeliveryShard) {
        let cores = Set(shard.runs.flatMap { run in run.map { targetCore[$0] } })
        if cores.count == 1 {
            shard.singleTargetCore = Int(cores.first!)
            return
        }
        var perCore: [Int32: Int32] = [:]
        var start: [Int32] = [0]
        var coreList: [Int32] = []
        var countList: [Int32] = []
        for i in 0..<sourceCount {
            perCore.removeAll(keepingCapacity: true)
            for k in Int(shard.rowStart[i])..<Int(shard.rowStart[i + 1]) {
                perCore[targetCore[post(at: k)], default: 0] += 1
            }
            for (core, c) in perCore.sorted(by: { $0.key < $1.key }) {
                coreList.append(core)
                countList.append(c)
            }
            start.append(Int32(coreList.count))
        }
        shard.opsStart = start
        shard.opsCore = coreList
        shard.opsCount = countList
    }
}
