// Step 4 of the step (docs/neurochip.md "One time step") for one connection on one partition: the currents of the
// step's spiking sources are added into the accumulator ring slot of their arrival step,
// for the synapses that end on the partition's cores, and the synaptic ops are counted
// on those cores. Wrapping adds commute, so partitions may deliver in any order.

import CNeuroChipKernels

extension ConnectionRuntime {
    /// Delivers `spikes` (ascending global source indices of this connection's source
    /// group) through `shard`. `ring` points at slot 0, `compartments` is the slot size.
    /// Returns the number of synapses touched.
    func deliver(
        shard: DeliveryShard, spikes: UnsafeBufferPointer<Int32>, step: Int, ring: UnsafeMutablePointer<Int32>,
        ringSize: Int, compartments: Int, counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> Int {
        if spikes.isEmpty { return 0 }
        let slot = (step + 1 + delay) % ringSize
        let target = ring + slot * compartments + targetStart
        switch layout {
        case .dense(let stride):
            return deliverDense(shard: shard, spikes: spikes, target: target, stride: stride, counts: counts)
        case .oneToOne:
            return deliverOneToOne(shard: shard, spikes: spikes, target: target, counts: counts)
        case .sparse:
            let operations =
                sparseRows != nil
                ? deliverSparseRows(shard: shard, spikes: spikes, target: target)
                : deliverSparseGeneral(
                    shard: shard, spikes: spikes, step: step, ring: ring, ringSize: ringSize,
                    compartments: compartments)
            countSparseOps(shard: shard, spikes: spikes, operations: operations, counts: counts)
            return operations
        }
    }

    /// Every shard of this process (tests and single-partition callers).
    func deliver(
        spikes: UnsafeBufferPointer<Int32>, step: Int, ring: UnsafeMutablePointer<Int32>, ringSize: Int,
        compartments: Int, counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> Int {
        var operations = 0
        for shard in shards.compactMap({ $0 }) {
            operations += deliver(
                shard: shard, spikes: spikes, step: step, ring: ring, ringSize: ringSize, compartments: compartments,
                counts: counts)
        }
        return operations
    }

    /// Dense rows restricted to the shard's columns: sums of up to 256 packed rows in 16-bit
    /// lanes, then one widening add into the target per batch; wrapping adds and the shift
    /// commute, so the currents are bit-identical to adding row by row (NeuroChipKernels.h).
    private func deliverDense(
        shard: DeliveryShard, spikes: UnsafeBufferPointer<Int32>, target: UnsafeMutablePointer<Int32>, stride: Int,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> Int {
        let base = Int32(sourceStart)
        var columns = 0
        for run in shard.runs {
            let first = run.lowerBound
            columns += run.count
            if shift >= 0 {
                let rowShift = Int32(signMode == .mixed ? shift + 1 : shift)
                nc_dense_rows_add(
                    target + first, packed.base + first, Int64(stride), spikes.baseAddress!, Int64(spikes.count), base,
                    Int64(run.count), rowShift, rowKind, NCKernelAuto)
            } else {
                for s in spikes { addRow(target + first, currents.base + Int(s - base) * stride + first, run.count) }
            }
        }
        for (core, count) in shard.uniformOps { counts[core].synapticOps += count * spikes.count }
        return columns * spikes.count
    }

    /// One-to-one: the spikes whose target lies in the shard's runs (the list is ascending,
    /// so each run is one slice of it).
    private func deliverOneToOne(
        shard: DeliveryShard, spikes: UnsafeBufferPointer<Int32>, target: UnsafeMutablePointer<Int32>,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) -> Int {
        let base = Int32(sourceStart)
        var operations = 0
        for run in shard.runs {
            var k = firstIndex(in: spikes, notBelow: base + Int32(run.lowerBound))
            let end = base + Int32(run.upperBound)
            while k < spikes.count && spikes[k] < end {
                let i = Int(spikes[k] - base)
                target[i] &+= current(at: i)
                counts[Int(targetCore[i])].synapticOps += 1
                operations += 1
                k += 1
            }
        }
        return operations
    }

    private func deliverSparseRows(
        shard: DeliveryShard, spikes: UnsafeBufferPointer<Int32>, target: UnsafeMutablePointer<Int32>
    ) -> Int {
        shard.rowStart.withUnsafeBufferPointer { rows in
            Int(
                nc_sparse_rows_add(
                    target, sparseRows!, rows.baseAddress!, spikes.baseAddress!, Int64(spikes.count),
                    Int32(sourceStart), Int32(signMode == .mixed ? shift + 1 : shift), rowKind))
        }
    }

    /// Sparse delivery with per-synapse delays, negative shifts or 32-bit indices.
    private func deliverSparseGeneral(
        shard: DeliveryShard, spikes: UnsafeBufferPointer<Int32>, step: Int, ring: UnsafeMutablePointer<Int32>,
        ringSize: Int, compartments: Int
    ) -> Int {
        let origin = ring + targetStart
        let base = Int32(sourceStart)
        var operations = 0
        shard.rowStart.withUnsafeBufferPointer { rows in
            for s in spikes {
                let i = Int(s - base)
                for k in Int(rows[i])..<Int(rows[i + 1]) {
                    let d = synapseDelays.isEmpty ? delay : Int(synapseDelays[k])
                    let slot = (step + 1 + d) % ringSize
                    origin[slot * compartments + post(at: k)] &+= current(at: k)
                }
                operations += Int(rows[i + 1] - rows[i])
            }
        }
        return operations
    }

    private func countSparseOps(
        shard: DeliveryShard, spikes: UnsafeBufferPointer<Int32>, operations: Int,
        counts: UnsafeMutablePointer<CoreStepCounts>
    ) {
        if shard.singleTargetCore >= 0 {
            counts[shard.singleTargetCore].synapticOps += operations
            return
        }
        let base = Int32(sourceStart)
        for s in spikes {
            let i = Int(s - base)
            for k in Int(shard.opsStart[i])..<Int(shard.opsStart[i + 1]) {
                counts[Int(shard.opsCore[k])].synapticOps += Int(shard.opsCount[k])
            }
        }
    }
}

/// Index of the first element `>= value` of an ascending buffer.
@inline(__always)
func firstIndex(in sorted: UnsafeBufferPointer<Int32>, notBelow value: Int32) -> Int {
    var lo = 0
    var hi = sorted.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
