// The spike exchange between ranks (docs/neurochip.md, "Threads and ranks"). A spike sent
// at step s arrives at s + 1 + delay >= s + 1, so one exchange per step, after firing and
// before delivery, is all a rank needs: the chip's own barrier. Each rank sends a bitmap
// of its compartments (bit k = its k-th compartment in segment order) in one all-gather of
// fixed-size blocks; every rank decodes all blocks into the step's spike list, so delivery,
// message counters and learning see exactly the spikes of a single process.

/// One segment of a rank's bitmap: compartments `start ..< end` at bits `bit ..< bit + end - start`.
struct BitmapSpan {
    var start: Int
    var end: Int
    var bit: Int
}

/// Under MPI ranks, the spikes whose messages a rank counts (on its own cores): its own,
/// the other ranks' segments with a source that sends to one of its cores, and the
/// generator groups that do.
struct RankCounting {
    /// Per rank, per span of `RankBitmapLayout.spans`: count its spikes.
    let spans: [[Bool]]
    let hostGroups: [Int]

    init(
        layout: RankBitmapLayout, rank: Int, routing: MessageRouting, groups: [Range<Int>], populations: Int,
        cores: Range<Int>
    ) {
        let touching = (0..<routing.classCount).map { routing.touches(class: $0, cores) }
        spans = layout.spans.enumerated().map { r, spans in
            spans.map { span in
                r == rank || (span.start..<span.end).contains { touching[Int(routing.classOf[$0])] }
            }
        }
        hostGroups = routing.hostGroups(groups, populations: populations, reaching: cores)
    }
}

/// Bit positions of every rank's compartments.
struct RankBitmapLayout {
    /// Per rank: its segments in order.
    let spans: [[BitmapSpan]]
    /// Block size in 64-bit words (the largest rank's compartments, rounded up).
    let words: Int

    init(partitions: [StepPartition], ranks: Int, segments table: [CoreSegment]) {
        var perRank = [[BitmapSpan]](repeating: [], count: ranks)
        var bits = [Int](repeating: 0, count: ranks)
        for p in partitions {
            for k in p.segments {
                perRank[p.rank].append(BitmapSpan(start: table[k].start, end: table[k].end, bit: bits[p.rank]))
                bits[p.rank] += table[k].end - table[k].start
            }
        }
        spans = perRank
        words = max(1, ((bits.max() ?? 0) + 63) / 64)
    }
}

extension ChipSimulator {
    /// Sends this rank's spikes, receives every rank's; writes the list (rank order,
    /// segments in order within a rank) and sets the flags of other ranks' spikes (this
    /// rank's were set when they fired). Returns its length.
    func exchangeSpikes(_ b: StepBuffers, exchange: SpikeExchange) -> Int {
        guard let layout = rankLayout, let counting = rankCounting, let send = rankSendBlock,
            let all = rankReceiveBlocks
        else { return 0 }
        encodeSpikes(into: send.base, words: layout.words, spans: layout.spans[exchange.rank])
        exchange.allGather(
            UnsafeRawBufferPointer(start: send.base, count: layout.words * 8),
            into: UnsafeMutableRawBufferPointer(start: all.base, count: layout.words * 8 * exchange.ranks))
        var count = 0
        countedSpikes.removeAll(keepingCapacity: true)
        for rank in 0..<exchange.ranks {
            let first = count
            if rank == exchange.rank {
                // This rank's spikes in the same order, already flagged.
                for w in work {
                    (b.fired + count).update(from: w.spikes.base, count: w.spikeCount)
                    count += w.spikeCount
                }
                countedSpikes.append(first..<count)
            } else {
                count = decodeSpikes(
                    all.base + rank * layout.words, spans: layout.spans[rank], counted: counting.spans[rank], b,
                    at: count)
            }
        }
        return count
    }

    /// This process's spikes (ascending within each partition, partitions in span order) as
    /// a bitmap of `words` words.
    private func encodeSpikes(into send: UnsafeMutablePointer<UInt64>, words: Int, spans: [BitmapSpan]) {
        send.update(repeating: 0, count: words)
        spans.withUnsafeBufferPointer { spans in
            var cursor = 0
            for w in work {
                let spikes = w.spikes.base
                for n in 0..<w.spikeCount {
                    let c = Int(spikes[n])
                    while c >= spans[cursor].end { cursor += 1 }
                    let bit = spans[cursor].bit &+ c &- spans[cursor].start
                    send[bit &>> 6] |= 1 &<< UInt64(bit & 63)
                }
            }
        }
    }

    /// Appends the spikes of one rank's bitmap to the list from `first`, a word at a time,
    /// and flags them. Returns the new length. The ranges of the spans that `counted` marks
    /// go to `countedSpikes`.
    private func decodeSpikes(
        _ block: UnsafePointer<UInt64>, spans: [BitmapSpan], counted: [Bool], _ b: StepBuffers, at first: Int
    ) -> Int {
        var count = first
        for (k, span) in spans.enumerated() {
            let spanFirst = count
            let end = span.bit + span.end - span.start
            var position = span.bit
            while position < end {
                let offset = position & 63
                let take = min(64 - offset, end - position)
                var word = block[position &>> 6] &>> UInt64(offset)
                if take < 64 { word &= (1 &<< UInt64(take)) &- 1 }
                let origin = span.start &+ position &- span.bit
                while word != 0 {
                    let c = origin &+ word.trailingZeroBitCount
                    b.fired[count] = Int32(truncatingIfNeeded: c)
                    b.flags[c] = 1
                    count &+= 1
                    word &= word &- 1
                }
                position += take
            }
            if count > spanFirst && counted[k] { countedSpikes.append(spanFirst..<count) }
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
