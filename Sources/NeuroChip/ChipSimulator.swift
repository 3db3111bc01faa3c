// NeuroChip: a bit-exact Loihi-1-like chip simulator (docs/neurochip.md describes the model).
//
// Public API (what other modules use)
// ===================================
// Build a network as data, then run it:
//
//     var net = NetworkDescription(seed: 7)
//     net.populations = [PopulationSpec(name: "h", size: 400, du: 4096, dv: 4096,
//                                       biasMantissa: -4096, biasExponent: 7,
//                                       vthMantissa: 1024, refractory: 2)]
//     net.generators = [SpikeGeneratorSpec(name: "in", size: 400),
//                       SpikeGeneratorSpec(name: "reward", size: 1, spikeTimes: [[18, 20]])]
//     net.connections = [ConnectionSpec(
//         name: "W1", source: "in", target: "h", pattern: .allToAll,
//         weights: w1 /* post x pre, even in [-256, 254] */, signMode: .mixed,
//         learning: LearningSpec(rule: "dw = 4*x0*y0*r1 - 2*x0*y0", epoch: 1,
//                                reward: "reward"))]
//     let chip = try ChipSimulator(net)          // throws NetworkValidationError (all problems)
//     for step in 0..<n {
//         try chip.inject(generator: "in", channels: spikesFor(step))  // input port
//         chip.step()
//         let fired: [Int] = try chip.spikes(of: "h")   // local indices fired this step
//     }
//     let w: [Int] = try chip.weights(of: "W1")          // post x pre, mantissas
//     let c: [CoreStepCounts] = chip.lastStepCounts      // 128 per chip, docs/energy.md "Counted quantities"
//     let t: ChipCounterTotals = chip.totals             // summed over the run
//     let g = chip.lastPopulationCounts, k = chip.lastConnectionCounts  // per group
//
// `run(steps:)` runs without input; `recordCounterHistory = true` keeps every step's
// counts of the used cores in `counterHistory`; probes from the description are in
// `probeRecords` (JSON-encodable). Fast per-step access without name lookups:
// `populationIndex(_:)`, `generatorIndex(_:)`, `inject(generatorIndex:channels:)` and
// `spikes(ofPopulation:)`.
//
// Step order (docs/neurochip.md "One time step"): integrate, voltage, fire, deliver (weights read before
// learning, A[s+1+delay]), learn, probe; ChipStep.swift runs them as named stages, over
// the partitions of ChipPartitioning.swift (threads, and ranks under MPI).

/// Errors of the simulator's run-time API.
public enum ChipError: Error, CustomStringConvertible, Sendable, Equatable {
    case unknownPopulation(String)
    case unknownGenerator(String)
    case unknownConnection(String)
    case channelOutOfRange(generator: String, channel: Int, size: Int)
    case weightCount(connection: String, got: Int, expected: Int)
    case weightOutOfRange(connection: String, index: Int, value: Int)

    public var description: String {
        switch self {
        case .unknownPopulation(let name):
            return "unknown population '\(name)'; use a name from the network's populations"
        case .unknownGenerator(let name):
            return "unknown spike generator '\(name)'; use a name from the network's generators"
        case .unknownConnection(let name):
            return "unknown connection '\(name)'; use a name from the network's connections"
        case .channelOutOfRange(let generator, let channel, let size):
            return "channel \(channel) of generator '\(generator)' is outside 0..<\(size); inject valid channels"
        case .weightCount(let connection, let got, let expected):
            return "\(got) weights for connection '\(connection)', expected \(expected) in the description's layout"
        case .weightOutOfRange(let connection, let index, let value):
            return
                "weight \(value) at \(index) of '\(connection)' is outside its sign mode's range or odd in mixed mode"
        }
    }
}

/// Recorded probe data (docs/neurochip.md "One time step" step 6).
public struct ProbeRecord: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ProbeKind
    public var target: String
    /// Steps at which a sample was taken.
    public var steps: [Int]
    /// Per sample: fired local indices (spikes), all values (u, v), or weights in the
    /// description's layout (weights).
    public var data: [[Int]]
}

/// Counter history of the used cores (only kept when `recordCounterHistory` is on).
public struct CounterHistory: Sendable, Equatable {
    public var cores: [Int] = []
    /// steps[s][k] are the counts of core `cores[k]` in step s.
    public var steps: [[CoreStepCounts]] = []
}

/// The chip: compiled network, state and counters. One run at a time: `step()` may use
/// several threads inside, but the simulator itself is not shared between threads.
public final class ChipSimulator {
    public let network: NetworkDescription
    public let coreMap: CoreMap
    /// Threads and ranks this simulator steps with.
    public let execution: ChipExecution
    public internal(set) var currentStep = 0
    /// Number of 24-bit wraps of u so far (each is a warning; v saturates instead).
    public internal(set) var wrapCount = 0
    public var recordCounterHistory = false
    public internal(set) var counterHistory = CounterHistory()
    /// Last step's counts per core (every core of every chip in use).
    public internal(set) var lastStepCounts: [CoreStepCounts]
    /// Last step's counts per population and per connection (declaration order).
    public internal(set) var lastPopulationCounts: [PopulationStepCounts]
    public internal(set) var lastConnectionCounts: [ConnectionStepCounts]
    public internal(set) var totals = ChipCounterTotals()
    public internal(set) var probeRecords: [ProbeRecord]

    let compartmentCount: Int
    let sourceCount: Int
    /// Source groups: populations 0..<P then generators P..<P+G, ranges in source space
    /// (compartments first, then generator channels).
    let groupStart: [Int]
    let groupCount: [Int]
    let populationNames: [String: Int]
    let generatorNames: [String: Int]
    let connectionNames: [String: Int]
    let segments: RawArray<CoreSegment>
    let segmentParameters: RawArray<CompartmentParameters>
    let usedCores: [Int]
    let ringSize: Int

    let state: ChipState
    var firedCount = 0
    /// The compartments' spikes at the head of this step's list (the generators' follow).
    var partitionSpikeCount = 0
    var firedRanges: [Range<Int>]
    var schedule: [(step: Int, source: Int32)]
    var scheduleCursor = 0
    /// Generator channels injected for the next step (source indices, in injection order).
    var injected: [Int32] = []
    let connections: [ConnectionRuntime]
    let routing: MessageRouting
    /// Fired sources per message class in this step (zero between steps), and the classes touched.
    let classHits: RawArray<Int32>
    var touchedClasses: [Int32] = []
    /// Partitions of every process, and the work of the ones this process steps.
    let partitionMap: PartitionMap
    let work: [PartitionWork]
    /// The threads that step the partitions (nil: one partition, stepped by the caller).
    let workers: StepWorkers?
    /// Concatenating the partitions' spikes gives ascending sources (segments follow the
    /// cores); an explicit placement may interleave them, and then the list is sorted.
    let partitionsFollowSources: Bool
    /// Per core: this process counts it (all cores without MPI ranks).
    let ownedCores: [Bool]
    /// The used cores this process counts (the others' counters are never written and stay zero).
    let ownedUsedCores: [Int]
    /// Under MPI ranks: the spike bitmaps' layout and the send and receive blocks.
    let rankLayout: RankBitmapLayout?
    let rankSendBlock: RawArray<UInt64>?
    let rankReceiveBlocks: RawArray<UInt64>?
    /// Under MPI ranks: whose spikes this rank counts messages of, and this step's ranges of
    /// the spike list with such compartment spikes (RankExchange.swift).
    let rankCounting: RankCounting?
    var countedSpikes: [Range<Int>] = []

    /// Validates and compiles `network`; throws `NetworkValidationError` listing every
    /// problem, or `ChipExecutionError` for threads or ranks the network cannot use.
    public init(_ network: NetworkDescription, execution: ChipExecution = ChipExecution()) throws {
        self.network = network
        self.execution = execution
        let validated = NetworkValidator.validate(network)
        var problems = validated.problems
        let rules = validated.rules
        if !problems.isEmpty { throw NetworkValidationError(problems: problems) }
        let groups = SourceGroups(network)
        compartmentCount = groups.compartments
        sourceCount = groups.sources
        groupStart = groups.start
        groupCount = groups.count
        populationNames = groups.populations
        generatorNames = groups.generators
        guard
            let map = CoreMapper.map(
                network, incomingBits: groups.incomingBits(network), problems: &problems)
        else {
            throw NetworkValidationError(problems: problems)
        }
        coreMap = map
        usedCores = map.usedCores
        segments = RawArray(map.segments)
        segmentParameters = RawArray(map.segments.map { network.populations[$0.population].compartmentParameters })
        let partitions = PartitionMap(
            try ChipPartitioner.partitions(map, execution: execution), coreCount: map.coreCount,
            rank: execution.rank)
        partitionMap = partitions
        ownedCores = (0..<map.coreCount).map { partitions.ownsCore($0) }
        ownedUsedCores = map.usedCores.filter { partitions.ownsCore($0) }
        if execution.exchange != nil {
            let layout = RankBitmapLayout(
                partitions: partitions.partitions, ranks: execution.ranks, segments: map.segments)
            rankLayout = layout
            rankSendBlock = RawArray(repeating: 0, count: layout.words)
            rankReceiveBlocks = RawArray(repeating: 0, count: layout.words * execution.ranks)
        } else {
            rankLayout = nil
            rankSendBlock = nil
            rankReceiveBlocks = nil
        }
        partitionsFollowSources = network.mapping.placement == nil

        let compiled = Self.compileConnections(network, groups: groups, rules: rules, map: map, partitions: partitions)
        connections = compiled
        connectionNames = Dictionary(uniqueKeysWithValues: network.connections.enumerated().map { ($1.name, $0) })
        ringSize = 2 + network.connections.reduce(0) { max($0, $1.delay, $1.delays?.max() ?? 0) }
        let sends = (0..<groups.count.count).map { g in compiled.filter { $0.sourceGroup == g } }
        routing = MessageRouting(
            groups: groups.ranges, populations: network.populations.count, sends: sends, coreOf: map.coreOfCompartment,
            seed: network.seed)
        classHits = RawArray(repeating: 0, count: routing.classCount)
        if let layout = rankLayout {
            let owned = partitions.owned
            rankCounting = RankCounting(
                layout: layout, rank: execution.rank, routing: routing, groups: groups.ranges,
                populations: network.populations.count,
                cores: owned.first!.cores.lowerBound..<owned.last!.cores.upperBound)
        } else {
            rankCounting = nil
        }
        let partitionWork = Self.partitionWork(
            partitions, connections: compiled, groups: groups, map: map, populations: network.populations.count,
            routing: routing)
        work = partitionWork
        workers = StepWorkers(count: partitionWork.count)

        schedule = Self.generatorSchedule(network, groups: groups)
        state = ChipState(
            compartments: compartmentCount, sources: sourceCount, ringSize: ringSize, segments: map.segments.count)
        firedRanges = Array(repeating: 0..<0, count: groups.count.count)
        lastStepCounts = Array(repeating: CoreStepCounts(), count: map.coreCount)
        lastPopulationCounts = Array(repeating: PopulationStepCounts(), count: network.populations.count)
        lastConnectionCounts = Array(repeating: ConnectionStepCounts(), count: compiled.count)
        totals.perCore = lastStepCounts
        totals.perPopulation = lastPopulationCounts
        totals.perConnection = lastConnectionCounts
        probeRecords = network.probes.map {
            ProbeRecord(name: $0.name, kind: $0.kind, target: $0.target, steps: [], data: [])
        }
        counterHistory.cores = usedCores
    }

    // MARK: names

    public func populationIndex(_ name: String) throws -> Int {
        guard let index = populationNames[name] else { throw ChipError.unknownPopulation(name) }
        return index
    }

    public func generatorIndex(_ name: String) throws -> Int {
        guard let index = generatorNames[name] else { throw ChipError.unknownGenerator(name) }
        return index - network.populations.count
    }

    public func connectionIndex(_ name: String) throws -> Int {
        guard let index = connectionNames[name] else { throw ChipError.unknownConnection(name) }
        return index
    }

    // MARK: input

    /// Makes channels of a spike generator fire in the next `step()` (an input port).
    public func inject(generator name: String, channels: [Int]) throws {
        try inject(generatorIndex: generatorIndex(name), channels: channels)
    }

    public func inject(generatorIndex g: Int, channels: [Int]) throws {
        let group = network.populations.count + g
        let size = groupCount[group]
        let start = groupStart[group]
        // Check every channel, then append them in one call (a bad channel leaves nothing
        // injected).
        for channel in channels where channel < 0 || channel >= size {
            throw ChipError.channelOutOfRange(generator: network.generators[g].name, channel: channel, size: size)
        }
        let base = Int32(truncatingIfNeeded: start)
        let old = injected.count
        injected.append(contentsOf: repeatElement(0, count: channels.count))
        injected.withUnsafeMutableBufferPointer { out in
            for k in channels.indices { out[old + k] = base &+ Int32(truncatingIfNeeded: channels[k]) }
        }
    }

    /// Adds a raw current to A[s] of the next step of one compartment (global index); for
    /// tests and host-driven experiments that bypass synapses.
    public func addInput(current: Int32, compartment: Int) {
        let slot = currentStep % ringSize
        state.ring[slot * compartmentCount + compartment] &+= current
        // The slot now holds input: no segment may skip its update there.
        let count = coreMap.segments.count
        for k in 0..<count { state.slotDirty[slot * count + k] = 1 }
    }

    // MARK: stepping

    /// Runs `steps` steps without injected input.
    public func run(steps: Int) {
        for _ in 0..<steps { step() }
    }

    /// Runs `steps` steps; before each, `input(step)` names generator channels to fire.
    public func run(steps: Int, input: (Int) -> [String: [Int]]) throws {
        for _ in 0..<steps {
            for (name, channels) in input(currentStep) { try inject(generator: name, channels: channels) }
            step()
        }
    }

    // MARK: reading state

    /// Local indices of the compartments (or generator channels) that fired in the last step.
    public func spikes(of name: String) throws -> [Int] {
        guard let g = populationNames[name] ?? generatorNames[name] else { throw ChipError.unknownPopulation(name) }
        return spikes(ofGroup: g)
    }

    /// Same as `spikes(of:)` for population index `p` (declaration order).
    public func spikes(ofPopulation p: Int) -> [Int] { spikes(ofGroup: p) }

    /// Number of compartments of population `p` that fired in the last step (no array built).
    public func spikeCount(ofPopulation p: Int) -> Int { firedRanges[p].count }

    func spikes(ofGroup g: Int) -> [Int] {
        firedRanges[g].map { Int(state.fired[$0]) - groupStart[g] }
    }

    /// Current u and v of a population (under MPI ranks: the values this rank steps, 0 elsewhere).
    public func state(of name: String) throws -> (u: [Int], v: [Int]) {
        let g = try populationIndex(name)
        let range = groupStart[g]..<(groupStart[g] + groupCount[g])
        return (range.map { Int(state.u[$0]) }, range.map { Int(state.v[$0]) })
    }

    /// Weight mantissas of a connection in the description's layout (post x pre for
    /// all-to-all, per synapse otherwise).
    public func weights(of name: String) throws -> [Int] {
        connections[try connectionIndex(name)].weightsInDescriptionLayout(seed: network.seed)
    }

    /// Synaptic tags of a plastic connection (post x pre), zeros when no rule uses them.
    public func tags(of name: String) throws -> [Int] {
        let c = connections[try connectionIndex(name)]
        var out = [Int](repeating: 0, count: c.sourceCount * c.targetCount)
        guard !c.tags.isEmpty else { return out }
        for i in 0..<c.sourceCount {
            for j in 0..<c.targetCount { out[j * c.sourceCount + i] = Int(c.tags[i * c.targetCount + j]) }
        }
        return out
    }

    /// Replaces the weights of an all-to-all connection (post x pre mantissas).
    public func setWeights(of name: String, _ weights: [Int]) throws {
        let c = connections[try connectionIndex(name)]
        let ns = c.sourceCount
        let nt = c.targetCount
        guard c.spec.pattern == .allToAll else { throw ChipError.unknownConnection(name + " (not all-to-all)") }
        guard weights.count == ns * nt else {
            throw ChipError.weightCount(connection: name, got: weights.count, expected: ns * nt)
        }
        for (k, w) in weights.enumerated()
        where !c.signMode.weightRange.contains(w) || (c.signMode == .mixed && w % 2 != 0) {
            throw ChipError.weightOutOfRange(connection: name, index: k, value: w)
        }
        // A connection stored by another rank has no weights here.
        guard !c.mantissa.isEmpty else { return }
        for j in 0..<nt {
            for i in 0..<ns { c.setMantissa(weights[j * ns + i], at: i * nt + j) }
        }
    }
}
