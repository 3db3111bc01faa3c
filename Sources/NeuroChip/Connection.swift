// Compiled synapse groups: flat contiguous arrays laid out for event-driven delivery
// (docs/neurochip.md "One time step" step 4). Dense groups are stored presynaptic-row-major so a spike
// adds one contiguous row of currents into the target's dendritic accumulator.

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
    /// CSR by source: synapses rowStart[i] ..< rowStart[i+1].
    case sparse
}

/// One compiled connection. A class so the simulator can hand its arrays to kernels
/// without copying; kernels take unsafe buffers once per step, never index the class in
/// a loop.
final class ConnectionRuntime {
    let index: Int
    let name: String
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

    /// Weight mantissas in the layout's order (the source of truth).
    var mantissa: [Int16]
    /// Delivery copies: currents when e < 0 (two-part shift), else 8-bit packed mantissas
    /// for dense rows (mixed: w/2, which is exact; excitatory: w; inhibitory: -w), so a
    /// spike streams 1 byte per synapse.
    var currents: [Int32] = []
    var packed: [Int8] = []
    /// `6 + e` for `e >= 0` (currents are `w << shift`); for `e < 0` it is `e` itself, negative,
    /// and delivery reads `currents` (`(w >> -e) << 6`, see `synapticCurrent`).
    let shift: Int
    /// Sparse only; 16-bit post indices when the target has at most 65,536 compartments
    /// (the general path's; empty when `sparseRows` holds the posts).
    var rowStart: [Int32] = []
    var postIndex: [Int32] = []
    var postIndex16: [UInt16] = []
    /// Sparse delivery rows (nc_sparse_rows_add): per synapse, in layout order, its 16-bit
    /// post (little-endian) and its weight in `packed`'s 8-bit encoding, 3 bytes together,
    /// so a spiking row is one run of bytes (fewer cache lines and pages than separate
    /// post and weight arrays). Built when posts fit 16 bits, the group has one delay and a
    /// non-negative shift. The simulator moves the rows of all its connections into one
    /// block (`shareSparseRows`).
    private(set) var sparseStorage: SparseRowStorage?
    private(set) var sparseRows: UnsafeMutablePointer<UInt8>?
    /// Core of every target compartment when they all share one core (-1 otherwise):
    /// then a spike's synaptic ops all go to that core.
    var singleTargetCore = -1
    var synapseDelays: [UInt8] = []

    /// Synaptic ops per spike and core: uniform list, or per-source CSR.
    var uniformOps: [(core: Int, count: Int)] = []
    var opsStart: [Int32] = []
    var opsCore: [Int32] = []
    var opsCount: [Int32] = []

    var learning: LearningRuntime?

    init(
        index: Int, spec: ConnectionSpec, sourceGroup: Int, sourceStart: Int, sourceCount: Int,
        targetPopulation: Int, targetStart: Int, targetCount: Int, coreOf: [UInt8]
    ) {
        self.index = index
        self.name = spec.name
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
        let ns = sourceCount
        let nt = targetCount
        func weight(_ k: Int) -> Int { spec.weights?[k] ?? spec.weight ?? 0 }

        switch spec.pattern {
        case .oneToOne:
            layout = .oneToOne
            mantissa = (0..<nt).map { Int16(weight($0)) }
            opsStart = Array(0...Int32(ns))
            opsCore = (0..<nt).map { Int32(coreOf[targetStart + $0]) }
            opsCount = Array(repeating: 1, count: nt)
        case .oneToAll:
            layout = .dense(rowStride: 0)
            mantissa = (0..<nt).map { Int16(weight($0)) }
        case .allToAll:
            layout = .dense(rowStride: nt)
            // Description layout is (post x pre); store (pre x post) for row delivery.
            var m = [Int16](repeating: 0, count: ns * nt)
            if let ws = spec.weights {
                for j in 0..<nt {
                    for i in 0..<ns { m[i * nt + j] = Int16(ws[j * ns + i]) }
                }
            } else {
                m = Array(repeating: Int16(spec.weight ?? 0), count: ns * nt)
            }
            mantissa = m
        case .sparse:
            layout = .sparse
            let pre = spec.pre ?? []
            let post = spec.post ?? []
            // Stable counting sort by presynaptic index keeps the given order within a row.
            var counts = [Int32](repeating: 0, count: ns + 1)
            for i in pre { counts[i + 1] += 1 }
            for i in 0..<ns { counts[i + 1] += counts[i] }
            var fill = counts
            var m = [Int16](repeating: 0, count: pre.count)
            var p = [Int32](repeating: 0, count: pre.count)
            var d = [UInt8](repeating: UInt8(spec.delay), count: pre.count)
            for k in 0..<pre.count {
                let slot = Int(fill[pre[k]])
                fill[pre[k]] += 1
                m[slot] = Int16(weight(k))
                p[slot] = Int32(post[k])
                if let delays = spec.delays { d[slot] = UInt8(delays[k]) }
            }
            mantissa = m
            rowStart = counts
            postIndex = p
            synapseDelays = spec.delays == nil ? [] : d
            // Per-source synaptic ops per target core.
            var start: [Int32] = [0]
            var coresList: [Int32] = []
            var countList: [Int32] = []
            for i in 0..<ns {
                var perCore: [Int: Int32] = [:]
                for k in Int(counts[i])..<Int(counts[i + 1]) {
                    perCore[Int(coreOf[targetStart + Int(p[k])]), default: 0] += 1
                }
                for (core, c) in perCore.sorted(by: { $0.key < $1.key }) {
                    coresList.append(Int32(core))
                    countList.append(c)
                }
                start.append(Int32(coresList.count))
            }
            opsStart = start
            opsCore = coresList
            opsCount = countList
        }
        let targetCores = Set((0..<nt).map { coreOf[targetStart + $0] })
        if targetCores.count == 1 { singleTargetCore = Int(targetCores.first!) }
        if case .dense = layout {
            var perCore: [Int: Int] = [:]
            for j in 0..<nt { perCore[Int(coreOf[targetStart + j]), default: 0] += 1 }
            uniformOps = perCore.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        }
        let e = spec.exponent
        if shift < 0 {
            currents = mantissa.map { synapticCurrent(mantissa: Int($0), exponent: e) }
        } else if case .dense = layout {
            let mode = signMode
            packed = mantissa.map { Self.pack(Int($0), mode) }
        }
        if case .sparse = layout, nt <= 65536 {
            if spec.delays == nil && shift >= 0 {
                let storage = SparseRowStorage(bytes: 3 * mantissa.count)
                Self.fillSparseRows(storage.base, posts: postIndex, mantissa: mantissa, mode: signMode)
                sparseStorage = storage
                sparseRows = storage.base
            } else {
                postIndex16 = postIndex.map { UInt16($0) }
            }
            postIndex = []
        }
    }

    /// Writes the 3-byte synapses of `sparseRows` (post low byte, high byte, packed weight).
    private static func fillSparseRows(
        _ out: UnsafeMutablePointer<UInt8>, posts: [Int32], mantissa: [Int16], mode: SignMode
    ) {
        for k in 0..<posts.count {
            let post = UInt16(posts[k])
            out[3 * k] = UInt8(truncatingIfNeeded: post)
            out[3 * k + 1] = UInt8(truncatingIfNeeded: post >> 8)
            out[3 * k + 2] = UInt8(bitPattern: pack(Int(mantissa[k]), mode))
        }
    }

    /// Moves the sparse rows of `connections` into one block (nc_alloc_rows: 2 MiB-aligned
    /// with transparent huge pages once it is large), so the rows of many small groups
    /// share huge pages instead of each sitting on its own 4 KiB pages.
    static func shareSparseRows(_ connections: [ConnectionRuntime]) {
        let owners = connections.filter { $0.sparseStorage != nil }
        guard owners.count > 1 else { return }
        // Each connection's rows start on a cache line.
        var offsets: [Int] = []
        var total = 0
        for c in owners {
            offsets.append(total)
            total += (c.sparseStorage!.bytes + 63) / 64 * 64
        }
        let shared = SparseRowStorage(bytes: total)
        for (c, offset) in zip(owners, offsets) {
            let old = c.sparseStorage!
            (shared.base + offset).update(from: old.base, count: old.bytes)
            c.sparseStorage = shared
            c.sparseRows = shared.base + offset
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

    /// Destination cores of source i (local index) of this connection.
    func destinationCores(ofSource i: Int, coreOf: [UInt8]) -> [Int] {
        switch layout {
        case .dense: return uniformOps.map(\.core)
        case .oneToOne, .sparse: return (Int(opsStart[i])..<Int(opsStart[i + 1])).map { Int(opsCore[$0]) }
        }
    }

    /// Weights in the description's layout (post x pre for all-to-all).
    func weightsInDescriptionLayout() -> [Int] {
        switch spec.pattern {
        case .allToAll:
            let ns = sourceCount
            let nt = targetCount
            var out = [Int](repeating: 0, count: ns * nt)
            mantissa.withUnsafeBufferPointer { m in
                for i in 0..<ns {
                    for j in 0..<nt { out[j * ns + i] = Int(m[i * nt + j]) }
                }
            }
            return out
        case .oneToOne, .oneToAll:
            return mantissa.map(Int.init)
        case .sparse:
            // Back to the given synapse order.
            let pre = spec.pre ?? []
            var fill = Array(rowStart.map(Int.init).prefix(sourceCount))
            var out = [Int](repeating: 0, count: pre.count)
            for k in 0..<pre.count {
                out[k] = Int(mantissa[fill[pre[k]]])
                fill[pre[k]] += 1
            }
            return out
        }
    }

    /// Adds the currents of every spiking source in `spikes` into the accumulator ring.
    /// `ring` points at slot 0 of the ring, `compartments` is the slot size.
    func deliver(
        spikes: UnsafeBufferPointer<Int32>, step: Int, ring: UnsafeMutablePointer<Int32>,
        ringSize: Int, compartments: Int, counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> Int {
        if spikes.isEmpty { return 0 }
        var operations = 0
        let slot = (step + 1 + delay) % ringSize
        let target = ring + slot * compartments + targetStart
        let nt = targetCount
        let base = Int32(sourceStart)
        switch layout {
        case .dense(let stride):
            if shift >= 0 {
                // Sums of up to 256 packed rows in 16-bit lanes, then one widening add into
                // the target per batch; wrapping adds and the shift commute, so the currents
                // are bit-identical to adding row by row (NeuroChipKernels.h).
                let rowShift = Int32(signMode == .mixed ? shift + 1 : shift)
                packed.withUnsafeBufferPointer { m in
                    nc_dense_rows_add(
                        target, m.baseAddress!, Int64(stride), spikes.baseAddress!, Int64(spikes.count), base,
                        Int64(nt), rowShift, rowKind, NCKernelAuto)
                }
            } else {
                currents.withUnsafeBufferPointer { w in
                    for s in spikes { addRow(target, w.baseAddress! + Int(s - base) * stride, nt) }
                }
            }
            for (core, count) in uniformOps { counts[core].synapticOps += count * spikes.count }
            operations = nt * spikes.count
        case .oneToOne:
            operations = spikes.count
            for s in spikes {
                let i = Int(s - base)
                target[i] &+= current(at: i)
                counts[Int(opsCore[i])].synapticOps += 1
            }
        case .sparse:
            rowStart.withUnsafeBufferPointer { rows in
                if let synapses = sparseRows {
                    operations = Int(
                        nc_sparse_rows_add(
                            target, synapses, rows.baseAddress!, spikes.baseAddress!, Int64(spikes.count), base,
                            Int32(signMode == .mixed ? shift + 1 : shift), rowKind))
                } else {
                    deliverSparseGeneral(
                        spikes: spikes, step: step, ring: ring, ringSize: ringSize,
                        compartments: compartments, rows: rows)
                    for s in spikes { operations += Int(rows[Int(s - base) + 1] - rows[Int(s - base)]) }
                }
            }
            if singleTargetCore >= 0 {
                counts[singleTargetCore].synapticOps += operations
            } else {
                for s in spikes {
                    let i = Int(s - base)
                    for k in Int(opsStart[i])..<Int(opsStart[i + 1]) {
                        counts[Int(opsCore[k])].synapticOps += Int(opsCount[k])
                    }
                }
            }
        }
        return operations
    }

    /// Current of synapse k (layout order).
    @inline(__always)
    func current(at k: Int) -> Int32 {
        shift >= 0 ? Int32(truncatingIfNeeded: mantissa[k]) &<< Int32(shift) : currents[k]
    }

    /// Sparse delivery with per-synapse delays, negative shifts or 32-bit indices.
    private func deliverSparseGeneral(
        spikes: UnsafeBufferPointer<Int32>, step: Int, ring: UnsafeMutablePointer<Int32>, ringSize: Int,
        compartments: Int, rows: UnsafeBufferPointer<Int32>
    ) {
        let origin = ring + targetStart
        let base = Int32(sourceStart)
        for s in spikes {
            let i = Int(s - base)
            for k in Int(rows[i])..<Int(rows[i + 1]) {
                let d = synapseDelays.isEmpty ? delay : Int(synapseDelays[k])
                let slotK = (step + 1 + d) % ringSize
                let post = postIndex16.isEmpty ? Int(postIndex[k]) : Int(postIndex16[k])
                origin[slotK * compartments + post] &+= current(at: k)
            }
        }
    }

    /// Sets one synapse's mantissa (internal layout index) and its current.
    @inline(__always)
    func setMantissa(_ value: Int, at k: Int) {
        mantissa[k] = Int16(value)
        if shift < 0 {
            currents[k] = synapticCurrent(mantissa: value, exponent: exponent)
        } else if !packed.isEmpty {
            packed[k] = Self.pack(value, signMode)
        } else if let rows = sparseRows {
            rows[3 * k + 2] = UInt8(bitPattern: Self.pack(value, signMode))
        }
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
