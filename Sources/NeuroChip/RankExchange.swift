// The spike exchange between ranks (docs/neurochip.md, "Threads and ranks"). A spike sent
// at step s arrives at s + 1 + delay >= s + 1, so one exchange per step, after firing and
// before delivery, is all a rank needs: the chip's own barrier. Each rank sends a bitmap
// of its compartments (bit k = its k-th compartment in segment order) in one all-gather of
// fixed-size blocks; every rank decodes all blocks into the step's spike list, so delivery,
// message counters and learning see exactly the spikes of a single process.

/// Bit positions of every rank's compartments.
struct RankBitmapLayout {
    /// Per rank: its segments in order, with the bit offset of each segment's first compartment.
    let segments: [[(segment: Int, bit: Int)]]
    /// Block size in 64-bit words (the largest rank's compartments, rounded up).
    let words: Int

    init(partitions: [StepPartition], ranks: Int, segments table: [CoreSegment]) {
        var perRank = [[(segment: Int, bit: Int)]](repeating: [], count: ranks)
        var bits = [Int](repeating: 0, count: ranks)
        for p in partitions {
            for k in p.segments {
                perRank[p.rank].append((k, bits[p.rank]))
                bits[p.rank] += table[k].end - table[k].start
            }
        }
        segments = perRank
        words = max(1, ((bits.max() ?? 0) + 63) / 64)
    }
}

extension ChipSimulator {
    /// Sends this rank's spikes, receives every rank's; writes the list (rank order,
    /// segments in order within a rank) and sets the flags of other ranks' spikes.
    /// Returns its length.
    func exchangeSpikes(_ b: StepBuffers, exchange: SpikeExchange) -> Int {
        guard let layout = rankLayout, let send = rankSendBlock, let all = rankReceiveBlocks else { return 0 }
        let mine = layout.segments[exchange.rank]
        send.buffer.update(repeating: 0)
        var cursor = 0
        for w in work {
            for n in 0..<w.spikeCount {
                let c = Int(w.spikes[n])
                while c >= segments[mine[cursor].segment].end { cursor += 1 }
                let bit = mine[cursor].bit + c - segments[mine[cursor].segment].start
                send[bit >> 6] |= 1 << UInt64(bit & 63)
            }
        }
        exchange.allGather(
            UnsafeRawBufferPointer(start: send.base, count: layout.words * 8),
            into: UnsafeMutableRawBufferPointer(start: all.base, count: layout.words * 8 * exchange.ranks))
        var count = 0
        for rank in 0..<exchange.ranks {
            let block = all.base + rank * layout.words
            for (segment, bit) in layout.segments[rank] {
                let start = segments[segment].start
                let length = segments[segment].end - start
                var k = 0
                while k < length {
                    let position = bit + k
                    let word = block[position >> 6] >> UInt64(position & 63)
                    if word == 0 {
                        k += 64 - (position & 63)
                        continue
                    }
                    let skip = word.trailingZeroBitCount
                    k += skip
                    if k >= length { break }
                    b.fired[count] = Int32(start + k)
                    b.flags[start + k] = 1
                    count += 1
                    k += 1
                }
            }
        }
        return count
    }

    /// Under MPI ranks, after the run: every rank's counters, wraps and probe values are
    /// added into every rank's simulator (each rank counted only its own cores and
    /// recorded only its own compartments and synapses, so the sums are the values of one
    /// process). Spike probes are complete on every rank and stay as they are.
    public func combineRanks() {
        guard let exchange = execution.exchange else { return }
        var flat: [Int64] = []
        func add(_ values: [Int]) { flat += values.map { Int64($0) } }
        for c in totals.perCore { add(c.fields) }
        for p in totals.perPopulation { add([p.activeCompartments, p.inactiveCompartments, p.spikesGenerated]) }
        for c in totals.perConnection {
            add([c.synapticOps, c.plasticSynapseUpdatesProcessed, c.plasticSynapsesSwept])
        }
        add([wrapCount])
        for record in probeRecords where record.kind != .spikes { for sample in record.data { add(sample) } }
        flat.withUnsafeMutableBufferPointer { exchange.sum($0) }
        var k = 0
        func take(_ n: Int) -> [Int] {
            defer { k += n }
            return flat[k..<(k + n)].map { Int($0) }
        }
        for core in totals.perCore.indices { totals.perCore[core] = CoreStepCounts(fields: take(CoreStepCounts.fieldCount)) }
        for p in totals.perPopulation.indices {
            let v = take(3)
            totals.perPopulation[p].activeCompartments = v[0]
            totals.perPopulation[p].inactiveCompartments = v[1]
            totals.perPopulation[p].spikesGenerated = v[2]
        }
        for c in totals.perConnection.indices {
            let v = take(3)
            totals.perConnection[c].synapticOps = v[0]
            totals.perConnection[c].plasticSynapseUpdatesProcessed = v[1]
            totals.perConnection[c].plasticSynapsesSwept = v[2]
        }
        wrapCount = take(1)[0]
        totals.wraps = wrapCount
        for r in probeRecords.indices where probeRecords[r].kind != .spikes {
            for s in probeRecords[r].data.indices { probeRecords[r].data[s] = take(probeRecords[r].data[s].count) }
        }
    }
}

extension CoreStepCounts {
    static let fieldCount = 17

    /// Every field as an integer, in declaration order (the path bits as their value).
    var fields: [Int] {
        [
            activeCompartments, inactiveCompartments, synapticOps, plasticSynapseUpdatesProcessed,
            plasticSynapsesSwept, learningEpochs, traceUpdates, spikesGenerated, messagesOut, messagesIn,
            hopsEastWest, hopsNorthSouth, Int(messagePathsSeen), hostMessagesIn, hostMessagesOut,
            interChipMessagesOut, interChipMessagesIn,
        ]
    }

    init(fields v: [Int]) {
        self.init()
        activeCompartments = v[0]
        inactiveCompartments = v[1]
        synapticOps = v[2]
        plasticSynapseUpdatesProcessed = v[3]
        plasticSynapsesSwept = v[4]
        learningEpochs = v[5]
        traceUpdates = v[6]
        spikesGenerated = v[7]
        messagesOut = v[8]
        messagesIn = v[9]
        hopsEastWest = v[10]
        hopsNorthSouth = v[11]
        messagePathsSeen = UInt32(v[12])
        hostMessagesIn = v[13]
        hostMessagesOut = v[14]
        interChipMessagesOut = v[15]
        interChipMessagesIn = v[16]
    }
}
