// The simulator's state in raw storage, and the one value through which the step's stages
// reach it (docs/neurochip.md, "Step stages"): `StepBuffers` holds a pointer per array,
// opened once per step, so the stages index plain memory (no uniqueness or exclusivity
// checks in the hot loops) and the threads of a step write disjoint parts of it.

/// Per-compartment and per-segment state of a simulator.
final class ChipState {
    let u: RawArray<Int32>
    let v: RawArray<Int32>
    let refractoryLeft: RawArray<Int32>
    /// Dendritic accumulators: `ringSize` slots of one value per compartment.
    let ring: RawArray<Int32>
    /// 1 for each source (compartment or generator channel) that fired this step.
    let sourceFlags: RawArray<UInt8>
    /// This step's spikes, ascending source indices (`firedCount` of them).
    let fired: RawArray<Int32>

    // Resting segments (event-driven compartment update). A segment is quiet when its last
    // update had no input and left every compartment's u, v and refractory count as they
    // were and fired nothing: the step function is pure, so with no input it would do the
    // same again, and the simulator replays that update's counts instead of running it.
    // Delivery marks the segments of its target population dirty in the ring slot it
    // writes; a dirty segment is always updated. Checking for rest costs a little, so a
    // segment that was checked and is not at rest waits 1, 2, 4 ... 16 steps before the
    // next check (reset by input).
    /// slotDirty[slot * segmentCount + k]: segment k may have input in that ring slot.
    let slotDirty: RawArray<UInt8>
    let segmentQuiet: RawArray<UInt8>
    let quietTally: RawArray<SegmentTally>
    let checkWait: RawArray<Int32>
    let checkSpan: RawArray<Int32>

    init(compartments n: Int, sources: Int, ringSize: Int, segments: Int) {
        u = RawArray(repeating: 0, count: n)
        v = RawArray(repeating: 0, count: n)
        refractoryLeft = RawArray(repeating: 0, count: n)
        ring = RawArray(repeating: 0, count: ringSize * n)
        sourceFlags = RawArray(repeating: 0, count: sources)
        fired = RawArray(repeating: 0, count: sources)
        slotDirty = RawArray(repeating: 1, count: ringSize * segments)
        segmentQuiet = RawArray(repeating: 0, count: segments)
        quietTally = RawArray(repeating: SegmentTally(), count: segments)
        checkWait = RawArray(repeating: 0, count: segments)
        checkSpan = RawArray(repeating: 1, count: segments)
    }
}

/// Pointers to the state and to this step's per-core counters.
struct StepBuffers {
    let u: UnsafeMutablePointer<Int32>
    let v: UnsafeMutablePointer<Int32>
    let refractoryLeft: UnsafeMutablePointer<Int32>
    let ring: UnsafeMutablePointer<Int32>
    let flags: UnsafeMutablePointer<UInt8>
    let fired: UnsafeMutablePointer<Int32>
    let slotDirty: UnsafeMutablePointer<UInt8>
    let segmentQuiet: UnsafeMutablePointer<UInt8>
    let quietTally: UnsafeMutablePointer<SegmentTally>
    let checkWait: UnsafeMutablePointer<Int32>
    let checkSpan: UnsafeMutablePointer<Int32>
    /// This step's counts per core (every partition writes only its own cores).
    let counts: UnsafeMutablePointer<CoreStepCounts>

    init(_ state: ChipState, counts: UnsafeMutablePointer<CoreStepCounts>) {
        u = state.u.base
        v = state.v.base
        refractoryLeft = state.refractoryLeft.base
        ring = state.ring.base
        flags = state.sourceFlags.base
        fired = state.fired.base
        slotDirty = state.slotDirty.base
        segmentQuiet = state.segmentQuiet.base
        quietTally = state.quietTally.base
        checkWait = state.checkWait.base
        checkSpan = state.checkSpan.base
        self.counts = counts
    }
}

/// What one partition works on and accumulates in a step; only its thread touches it.
final class PartitionWork {
    let partition: StepPartition
    /// Its spikes of this step, ascending (`spikeCount` of them).
    let spikes: RawArray<Int32>
    var spikeCount = 0
    let populationCounts: RawArray<PopulationStepCounts>
    let connectionCounts: RawArray<ConnectionStepCounts>
    var wraps = 0
    /// Per source group: the connections from it that deliver on this partition.
    var deliveries: [[(connection: ConnectionRuntime, shard: DeliveryShard)]]
    /// Learning runtimes of this partition, in declaration order of their connections.
    var learners: [(connection: ConnectionRuntime, learning: LearningRuntime)] = []
    /// Message classes its spikes fired this step (scratch of MessageRouting.countSent).
    var touchedClasses: [Int32] = []
    /// Generator groups that send messages to its cores, and zeroed hits per generator
    /// class (scratch of MessageRouting.countHostMessages).
    var hostGroups: [Int] = []
    let hostHits: RawArray<Int32>
    /// Per core of the process: the messages this partition's spikes sent there this
    /// step, until the core's own partition adds them to its counts and zeroes them.
    let incoming: RawArray<IncomingMessages>

    init(
        partition: StepPartition, compartments: Int, populations: Int, connections: Int, groups: Int, cores: Int,
        hostClasses: Int
    ) {
        self.partition = partition
        hostHits = RawArray(repeating: 0, count: hostClasses)
        incoming = RawArray(repeating: IncomingMessages(), count: cores)
        spikes = RawArray(repeating: 0, count: compartments)
        populationCounts = RawArray(repeating: PopulationStepCounts(), count: populations)
        connectionCounts = RawArray(repeating: ConnectionStepCounts(), count: connections)
        deliveries = Array(repeating: [], count: groups)
    }
}
