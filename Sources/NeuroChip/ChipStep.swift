// One time step as named stages (docs/neurochip.md "One time step"): integrate and fire, collect spikes
// (and exchange them between ranks), count messages, deliver and learn, probe, add up the
// totals. The two heavy stages run once per partition, on the simulator's threads; the
// others are short and run on the calling thread. In one process the partitions also
// clear their last spikes and count the messages their spikes send and the generators'
// messages to their cores (what runs on one thread bounds the speedup of two); under MPI
// ranks the calling thread counts the messages on the rank's cores after the exchange.
// Every stage takes the step's buffers (StepBuffers.swift), opened once in `step()`.

extension ChipSimulator {
    /// One time step in the order of docs/neurochip.md "One time step".
    public func step() {
        let s = currentStep
        var counts: [CoreStepCounts] = []
        swap(&counts, &lastStepCounts)
        counts.withUnsafeMutableBufferPointer { cc in
            let b = StepBuffers(state, counts: cc.baseAddress!)
            beginStep(b)
            forEachPartition { w in self.integrateAndFire(w, b, step: s) }
            collectSpikes(b, step: s)
            if !countsInPartitions { countMessages(b) }
            forEachPartition { w in self.deliverAndLearn(w, b, step: s) }
            gatherPartitionCounts(b)
        }
        swap(&counts, &lastStepCounts)
        if !probeRecords.isEmpty { recordProbes(step: s) }
        accumulateTotals()
        currentStep = s + 1
    }

    /// Runs `body` for every partition this process steps, the partitions shared out
    /// over the threads.
    @inline(__always)
    func forEachPartition(_ body: (PartitionWork) -> Void) {
        if let workers {
            workers.run(tasks: work.count) { body(work[$0]) }
        } else {
            for w in work { body(w) }
        }
    }

    /// Zeroes this step's counters and clears the last step's spike flags (in one process
    /// the partitions do that for their own cores and spikes: here only the generators').
    private func beginStep(_ b: StepBuffers) {
        if countsInPartitions {
            for k in partitionSpikeCount..<firedCount { b.flags[Int(b.fired[k])] = 0 }
        } else {
            for core in ownedUsedCores { b.counts[core] = CoreStepCounts() }
            for k in 0..<firedCount { b.flags[Int(b.fired[k])] = 0 }
        }
        firedCount = 0
    }

    /// Whether the partitions zero and count their own cores' messages (one process); under
    /// MPI ranks every rank counts all spikes for its cores after the exchange instead.
    var countsInPartitions: Bool { execution.exchange == nil }

    /// The partition's part of `beginStep`: its cores' counters zeroed, its last spikes'
    /// flags cleared.
    @inline(__always)
    private func beginPartition(_ w: PartitionWork, _ b: StepBuffers) {
        for core in w.partition.usedCores { b.counts[core] = CoreStepCounts() }
        for k in 0..<w.spikeCount { b.flags[Int(w.spikes[k])] = 0 }
    }

    // MARK: 1–3: integrate, voltage, fire

    /// Updates the partition's segments (one population on one core each) and lists its
    /// spikes, ascending.
    @inline(__always)
    private func integrateAndFire(_ w: PartitionWork, _ b: StepBuffers, step s: Int) {
        if countsInPartitions { beginPartition(w, b) }
        w.populationCounts.buffer.update(repeating: PopulationStepCounts())
        w.connectionCounts.buffer.update(repeating: ConnectionStepCounts())
        w.wraps = 0
        w.spikeCount = 0
        let slot = s % ringSize
        let input = b.ring + slot * compartmentCount
        let dirtyRow = slot * segments.count
        let pc = w.populationCounts.base
        for k in w.partition.segments {
            let segment = segments[k]
            let dirty = b.slotDirty[dirtyRow + k] != 0
            b.slotDirty[dirtyRow + k] = 0
            var tally: SegmentTally
            if !dirty && b.segmentQuiet[k] != 0 {
                tally = b.quietTally[k]
            } else {
                let check = !dirty && b.checkWait[k] == 0
                tally = updateCompartments(
                    range: segment.start..<segment.end, parameters: segmentParameters[k], u: b.u, v: b.v,
                    refractoryLeft: b.refractoryLeft, input: input, spikes: b.flags, detectChange: check)
                noteRest(segment: k, tally: tally, dirty: dirty, checked: check, b)
            }
            let inactive = segment.end - segment.start - tally.active
            b.counts[segment.core].activeCompartments += tally.active
            b.counts[segment.core].inactiveCompartments += inactive
            b.counts[segment.core].spikesGenerated += tally.fired
            pc[segment.population].activeCompartments += tally.active
            pc[segment.population].inactiveCompartments += inactive
            pc[segment.population].spikesGenerated += tally.fired
            w.wraps += tally.wraps
            if tally.fired > 0 {
                w.spikeCount = collectSpikes(
                    flags: b.flags, from: segment.start, end: segment.end, count: tally.fired, into: w.spikes.base,
                    at: w.spikeCount)
            }
        }
        if countsInPartitions {
            routing.countSent(
                spikes: UnsafeBufferPointer(start: w.spikes.base, count: w.spikeCount), counts: b.counts,
                incoming: w.incoming.base, hits: classHits.base, touched: &w.touchedClasses)
        }
    }

    /// Writes the indices of the `count` set flags (0/1 bytes) in `start..<end` to
    /// `out[at...]`, ascending; looks at eight flags per load and skips words without a
    /// spike. Returns the new end of `out`.
    @inline(__always)
    private func collectSpikes(
        flags: UnsafeMutablePointer<UInt8>, from start: Int, end: Int, count: Int, into out: UnsafeMutablePointer<Int32>,
        at first: Int
    ) -> Int {
        var n = first
        let last = first + count
        var i = start
        let raw = UnsafeRawPointer(flags)
        while n < last && i &+ 8 <= end {
            var word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            while word != 0 {
                out[n] = Int32(truncatingIfNeeded: i &+ word.trailingZeroBitCount &>> 3)
                n &+= 1
                word &= word &- 1
            }
            i &+= 8
        }
        while n < last && i < end {
            if flags[i] != 0 {
                out[n] = Int32(truncatingIfNeeded: i)
                n &+= 1
            }
            i &+= 1
        }
        return n
    }

    /// Rest bookkeeping after segment k was updated (see `ChipState`).
    @inline(__always)
    private func noteRest(segment k: Int, tally: SegmentTally, dirty: Bool, checked: Bool, _ b: StepBuffers) {
        if dirty {
            b.segmentQuiet[k] = 0
            b.checkWait[k] = 0
            b.checkSpan[k] = 1
        } else if checked {
            if tally.changed || tally.fired > 0 {
                b.checkWait[k] = b.checkSpan[k]
                b.checkSpan[k] = min(b.checkSpan[k] * 2, 16)
            } else {
                b.segmentQuiet[k] = 1
                b.quietTally[k] = tally
            }
        } else {
            b.checkWait[k] -= 1
        }
    }

    // MARK: spikes of the step

    /// The step's spike list: the partitions' spikes (all ranks' under MPI), then the
    /// generators' (scheduled plus injected, per generator in channel order), ascending, and
    /// its range per source group.
    private func collectSpikes(_ b: StepBuffers, step s: Int) {
        var count = 0
        if let exchange = execution.exchange {
            count = exchangeSpikes(b, exchange: exchange)
        } else {
            for w in work {
                (b.fired + count).update(from: w.spikes.base, count: w.spikeCount)
                count += w.spikeCount
            }
        }
        // Segments follow population order, but an explicit placement may interleave cores.
        if !partitionsFollowSources {
            var list = UnsafeMutableBufferPointer(start: b.fired, count: count)
            list.sort()
            // The exchange's ranges of spikes to count no longer hold: count them all.
            if execution.exchange != nil { countedSpikes = [0..<count] }
        }
        partitionSpikeCount = count
        firedCount = appendGeneratorSpikes(b, after: count, step: s)
        var k = 0
        for g in 0..<groupStart.count {
            let end = Int32(truncatingIfNeeded: groupStart[g] + groupCount[g])
            let begin = k
            while k < firedCount && b.fired[k] < end { k &+= 1 }
            firedRanges[g] = begin..<k
        }
    }

    /// Appends the generators' spikes of step s (injected, then scheduled) after the
    /// compartments' `count`, sets their flags, and returns the new length. Usually already
    /// ascending (generators injected in order, channels sorted), so sorting is skipped;
    /// duplicates are merged.
    private func appendGeneratorSpikes(_ b: StepBuffers, after count: Int, step s: Int) -> Int {
        // The injected list itself (emptied, its capacity kept for the next step's).
        var generatorSpikes: [Int32] = []
        swap(&generatorSpikes, &injected)
        defer {
            generatorSpikes.removeAll(keepingCapacity: true)
            swap(&generatorSpikes, &injected)
        }
        while scheduleCursor < schedule.count && schedule[scheduleCursor].step < s { scheduleCursor += 1 }
        while scheduleCursor < schedule.count && schedule[scheduleCursor].step == s {
            generatorSpikes.append(schedule[scheduleCursor].source)
            scheduleCursor += 1
        }
        if generatorSpikes.isEmpty { return count }
        return generatorSpikes.withUnsafeMutableBufferPointer { g in
            var k = 1
            while k < g.count && g[k - 1] <= g[k] { k += 1 }
            if k < g.count { g.sort() }
            var n = count
            var last: Int32 = -1
            for k in 0..<g.count where g[k] != last {
                last = g[k]
                b.fired[n] = last
                b.flags[Int(last)] = 1
                n += 1
            }
            return n
        }
    }

    /// Message counters under MPI ranks, on this rank's cores: the spikes of its own
    /// compartments, of the other ranks' segments that send here, and of the generator
    /// groups that do (in one process the partitions count them: `integrateAndFire`,
    /// `countHostMessages`).
    private func countMessages(_ b: StepBuffers) {
        guard let counting = rankCounting else { return }
        let owned = ownedCores
        func count(_ range: Range<Int>) {
            routing.count(
                spikes: UnsafeBufferPointer(start: b.fired + range.lowerBound, count: range.count), counts: b.counts,
                hits: classHits.base, touched: &touchedClasses
            ) { owned[$0] }
        }
        for range in countedSpikes { count(range) }
        for g in counting.hostGroups where !firedRanges[g].isEmpty { count(firedRanges[g]) }
    }

    // MARK: 4–5: deliver and learn

    /// Delivery of every group that fired (reading the weights before this step's
    /// learning) onto the partition's cores, then the partition's learning.
    @inline(__always)
    private func deliverAndLearn(_ w: PartitionWork, _ b: StepBuffers, step s: Int) {
        if countsInPartitions {
            receiveMessages(w, b)
            countHostMessages(w, b)
        }
        let kc = w.connectionCounts.base
        for g in 0..<firedRanges.count {
            let range = firedRanges[g]
            if range.isEmpty || w.deliveries[g].isEmpty { continue }
            let spikes = UnsafeBufferPointer(start: b.fired + range.lowerBound, count: range.count)
            for (c, shard) in w.deliveries[g] {
                kc[c.index].synapticOps += c.deliver(
                    shard: shard, spikes: spikes, step: s, ring: b.ring, ringSize: ringSize,
                    compartments: compartmentCount, counts: b.counts)
                markDirty(shard, connection: c, step: s, b)
            }
        }
        for (c, learning) in w.learners {
            let reward = learning.rewardGroup.map { !firedRanges[$0].isEmpty } ?? false
            let pre = firedRanges[c.sourceGroup]
            let post = firedRanges[c.targetPopulation]
            let postSpikes = UnsafeBufferPointer(start: b.fired + post.lowerBound, count: post.count)
            let first = Int32(c.targetStart + learning.postOffset)
            let from = firstIndex(in: postSpikes, notBelow: first)
            let to = firstIndex(in: postSpikes, notBelow: first + Int32(learning.nPost))
            let (processed, swept) = learning.learn(
                step: s, connection: c, sourceFlags: b.flags,
                preSpikes: UnsafeBufferPointer(start: b.fired + pre.lowerBound, count: pre.count),
                postSpikes: UnsafeBufferPointer(rebasing: postSpikes[from..<to]), rewardNow: reward,
                seed: network.seed, counts: b.counts)
            kc[c.index].plasticSynapseUpdatesProcessed += processed
            kc[c.index].plasticSynapsesSwept += swept
        }
    }

    /// Adds the messages every partition's spikes sent to this partition's cores (counted
    /// in `integrateAndFire`) to their counts, and zeroes them for the next step.
    @inline(__always)
    private func receiveMessages(_ w: PartitionWork, _ b: StepBuffers) {
        let cores = w.partition.usedCores
        for sender in work {
            let incoming = sender.incoming.base
            for core in cores {
                b.counts[core].messagesIn += incoming[core].onChip
                b.counts[core].interChipMessagesIn += incoming[core].interChip
                incoming[core] = IncomingMessages()
            }
        }
    }

    /// The host messages the generators' spikes of this step send to the partition's cores.
    @inline(__always)
    private func countHostMessages(_ w: PartitionWork, _ b: StepBuffers) {
        for g in w.hostGroups where !firedRanges[g].isEmpty {
            let range = firedRanges[g]
            routing.countHostMessages(
                spikes: UnsafeBufferPointer(start: b.fired + range.lowerBound, count: range.count), counts: b.counts,
                cores: w.partition.cores, hits: w.hostHits.base, touched: &w.touchedClasses)
        }
    }

    /// Marks the shard's target segments as having input in the ring slots it wrote.
    @inline(__always)
    private func markDirty(_ shard: DeliveryShard, connection c: ConnectionRuntime, step s: Int, _ b: StepBuffers) {
        let count = segments.count
        if c.synapseDelaysAreUniform {
            let row = (s + 1 + c.delay) % ringSize * count
            for k in shard.targetSegments { b.slotDirty[row + k] = 1 }
        } else {
            for slot in 0..<ringSize {
                for k in shard.targetSegments { b.slotDirty[slot * count + k] = 1 }
            }
        }
    }

    // MARK: 6: probe, and the step's totals

    /// Adds the partitions' population and connection counts and wraps into the step's.
    private func gatherPartitionCounts(_ b: StepBuffers) {
        lastPopulationCounts.withUnsafeMutableBufferPointer { total in
            if work.count == 1 {
                // One partition (one thread, small networks): its counts are the step's.
                _ = total.update(fromContentsOf: work[0].populationCounts.buffer)
                return
            }
            total.update(repeating: PopulationStepCounts())
            for w in work { for p in total.indices { total[p] += w.populationCounts[p] } }
        }
        lastConnectionCounts.withUnsafeMutableBufferPointer { total in
            if work.count == 1 {
                _ = total.update(fromContentsOf: work[0].connectionCounts.buffer)
                return
            }
            total.update(repeating: ConnectionStepCounts())
            for w in work { for k in total.indices { total[k] += w.connectionCounts[k] } }
        }
        for w in work { wrapCount += w.wraps }
        #if DEBUG
            if execution.exchange == nil { checkCounterInvariants(b.counts) }
        #endif
    }

    /// docs/energy.md "Counted quantities": invariants checked in debug builds.
    private func checkCounterInvariants(_ counts: UnsafeMutablePointer<CoreStepCounts>) {
        var out = 0
        var into = 0
        var chipsOut = 0
        var chipsIn = 0
        for core in usedCores {
            let c = counts[core]
            assert(
                c.activeCompartments + c.inactiveCompartments == coreMap.compartmentsPerCore[core],
                "A + I must equal the configured compartments of core \(core)")
            assert(c.spikesGenerated <= c.activeCompartments, "F <= A on core \(core)")
            assert(c.learningEpochs != 0 || c.plasticSynapseUpdatesProcessed == 0, "U = 0 when L = 0 on core \(core)")
            out += c.messagesOut
            into += c.messagesIn
            chipsOut += c.interChipMessagesOut
            chipsIn += c.interChipMessagesIn
        }
        assert(out == into, "messages out \(out) != messages in \(into)")
        assert(chipsOut == chipsIn, "inter-chip messages out \(chipsOut) != in \(chipsIn)")
    }

    private func recordProbes(step s: Int) {
        for (k, probe) in network.probes.enumerated() where s % probe.interval == 0 {
            var sample: [Int]
            switch probe.kind {
            case .spikes:
                sample = spikes(ofGroup: populationNames[probe.target] ?? generatorNames[probe.target]!)
            case .u, .v:
                let g = populationNames[probe.target]!
                let values = probe.kind == .u ? state.u : state.v
                sample = (groupStart[g]..<(groupStart[g] + groupCount[g])).map { Int(values[$0]) }
            case .weights:
                sample = connections[connectionNames[probe.target]!].weightsInDescriptionLayout(seed: network.seed)
            }
            probeRecords[k].steps.append(s)
            probeRecords[k].data.append(sample)
        }
    }

    /// Adds the step's counts to the run's totals, on local storage (no uniqueness check of
    /// a class's array per write).
    private func accumulateTotals() {
        var totalCores: [CoreStepCounts] = []
        var totalPopulations: [PopulationStepCounts] = []
        var totalConnections: [ConnectionStepCounts] = []
        swap(&totalCores, &totals.perCore)
        swap(&totalPopulations, &totals.perPopulation)
        swap(&totalConnections, &totals.perConnection)
        totalCores.withUnsafeMutableBufferPointer { t in
            lastStepCounts.withUnsafeBufferPointer { c in
                for core in ownedUsedCores { t[core] += c[core] }
            }
        }
        totalPopulations.withUnsafeMutableBufferPointer { t in
            lastPopulationCounts.withUnsafeBufferPointer { c in
                for p in 0..<c.count { t[p] += c[p] }
            }
        }
        totalConnections.withUnsafeMutableBufferPointer { t in
            lastConnectionCounts.withUnsafeBufferPointer { c in
                for k in 0..<c.count { t[k] += c[k] }
            }
        }
        swap(&totalCores, &totals.perCore)
        swap(&totalPopulations, &totals.perPopulation)
        swap(&totalConnections, &totals.perConnection)
        totals.steps += 1
        totals.wraps = wrapCount
        if recordCounterHistory { counterHistory.steps.append(usedCores.map { lastStepCounts[$0] }) }
    }
}
