// Everything observable of a simulator at one moment, as one comparable value: the check
// that a run on N threads or R ranks equals the run on one thread (tests and
// `synfire bench chip`'s identical_to_1_thread).

/// The state, weights, traces, counters and probes of a simulator after its last step.
public struct ChipSnapshot: Equatable, Sendable {
    public var step: Int
    /// Sources that fired in the last step, ascending.
    public var spikes: [Int32]
    public var u: [Int32]
    public var v: [Int32]
    public var refractoryLeft: [Int32]
    /// Per connection, weights in the description's layout, then tags (plastic ones).
    public var weights: [[Int]]
    public var tags: [[Int]]
    /// Per plastic connection: x1, x2 (every run of posts keeps a copy; they must agree, so
    /// the first stands for all, and all are listed when they do not), then y1, y2, y3 over
    /// all posts, then r1.
    public var traces: [[Int32]]
    public var lastStepCounts: [CoreStepCounts]
    public var lastPopulationCounts: [PopulationStepCounts]
    public var lastConnectionCounts: [ConnectionStepCounts]
    public var totals: ChipCounterTotals
    public var wraps: Int
    public var probes: [ProbeRecord]

    /// The fields that differ between two snapshots (empty when equal).
    public func differences(from other: ChipSnapshot) -> [String] {
        var names: [String] = []
        if step != other.step { names.append("step") }
        if spikes != other.spikes { names.append("spikes") }
        if u != other.u { names.append("u") }
        if v != other.v { names.append("v") }
        if refractoryLeft != other.refractoryLeft { names.append("refractory counts") }
        if weights != other.weights { names.append("weights") }
        if tags != other.tags { names.append("tags") }
        if traces != other.traces { names.append("traces") }
        if lastStepCounts != other.lastStepCounts { names.append("per-core counts") }
        if lastPopulationCounts != other.lastPopulationCounts { names.append("per-population counts") }
        if lastConnectionCounts != other.lastConnectionCounts { names.append("per-connection counts") }
        if totals != other.totals { names.append("totals") }
        if wraps != other.wraps { names.append("wraps") }
        if probes != other.probes { names.append("probes") }
        return names
    }
}

extension ChipSimulator {
    /// Everything observable now. Under MPI ranks the state arrays hold this rank's
    /// compartments (0 elsewhere); compare after `combineRanks()` for the counters.
    public func snapshot() -> ChipSnapshot {
        var traces: [[Int32]] = []
        for c in connections where !c.learners.isEmpty {
            let learners = c.learners.sorted { $0.postOffset < $1.postOffset }
            let copies = learners.map { $0.x1 + $0.x2 + [$0.r1] }
            var values = Set(copies).count == 1 ? copies[0] : copies.flatMap { $0 }
            for l in learners { values += l.y1 }
            for l in learners { values += l.y2 }
            for l in learners { values += l.y3 }
            traces.append(values)
        }
        return ChipSnapshot(
            step: currentStep, spikes: Array(UnsafeBufferPointer(start: state.fired.base, count: firedCount)),
            u: state.u.array, v: state.v.array, refractoryLeft: state.refractoryLeft.array,
            weights: connections.map { $0.weightsInDescriptionLayout(seed: network.seed) },
            tags: connections.map { (try? tags(of: $0.name)) ?? [] }, traces: traces, lastStepCounts: lastStepCounts,
            lastPopulationCounts: lastPopulationCounts, lastConnectionCounts: lastConnectionCounts, totals: totals,
            wraps: wrapCount, probes: probeRecords)
    }
}
