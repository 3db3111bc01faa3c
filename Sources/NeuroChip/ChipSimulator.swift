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
//     let c: [CoreStepCounts] = chip.lastStepCounts      // 128 cores, docs/energy.md "Counted quantities"
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
// learning, A[s+1+delay]), learn, probe.

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

/// The chip: compiled network, state and counters. Not thread-safe; one run at a time.
public final class ChipSimulator {
    public let network: NetworkDescription
    public let coreMap: CoreMap
    public private(set) var currentStep = 0
    /// Number of 24-bit wraps of u so far (each is a warning; v saturates instead).
    public private(set) var wrapCount = 0
    public var recordCounterHistory = false
    public private(set) var counterHistory = CounterHistory()
    public private(set) var lastStepCounts: [CoreStepCounts]
    /// Last step's counts per population and per connection (declaration order).
    public private(set) var lastPopulationCounts: [PopulationStepCounts]
    public private(set) var lastConnectionCounts: [ConnectionStepCounts]
    public private(set) var totals = ChipCounterTotals()
    public private(set) var probeRecords: [ProbeRecord]

    let compartmentCount: Int
    let sourceCount: Int
    /// Source groups: populations 0..<P then generators P..<P+G, ranges in source space
    /// (compartments first, then generator channels).
    let groupStart: [Int]
    let groupCount: [Int]
    let populationNames: [String: Int]
    let generatorNames: [String: Int]
    let connectionNames: [String: Int]
    let segmentParameters: [CompartmentParameters]
    let usedCores: [Int]
    let ringSize: Int

    var u: [Int32]
    var v: [Int32]
    var refractoryLeft: [Int32]
    var ring: [Int32]
    /// 1 for each source (compartment or generator channel) that fired this step.
    var sourceFlags: [UInt8]
    var fired: [Int32]
    var firedRanges: [Range<Int>]
    var schedule: [(step: Int, source: Int32)]
    var scheduleCursor = 0
    var generatorScratch: [Int32] = []
    var injected: [[Int32]]
    let connections: [ConnectionRuntime]
    /// The connections with a learning rule, in declaration order (step 5 visits only these).
    let plasticConnections: [ConnectionRuntime]
    let connectionsBySource: [[Int]]
    /// Message classes (docs/energy.md "Counted quantities"): sources with the same sending core (or the
    /// host, for generators) and the same destination cores send the same messages, hops
    /// and paths. Per step the simulator counts fired sources per class and adds each
    /// class's figures once, instead of one counter update per message.
    let messageClassOf: [Int32]
    /// Per class: sending core (-1 = host), destination cores (CSR), hops and paths.
    let classCore: [Int32]
    let classDestStart: [Int32]
    let classDestCores: [UInt8]
    let classHopsEW: [Int]
    let classHopsNS: [Int]
    let classPaths: [UInt32]
    /// Fired sources per class in this step, and the classes touched (scratch).
    var classHits: [Int32]
    var touchedClasses: [Int32] = []
    var random: ChipRandom

    // Resting segments (event-driven compartment update). A segment is quiet when its last
    // update had no input and left every compartment's u, v and refractory count as they
    // were and fired nothing: the step function is pure, so with no input it would do the
    // same again, and the simulator replays that update's counts instead of running it.
    // Delivery marks the segments of its target population dirty in the ring slot it
    // writes; a dirty segment is always updated. Checking for rest costs a little, so a
    // segment that was checked and is not at rest waits 1, 2, 4 ... 16 steps before the
    // next check (reset by input).
    /// Segments of each population (indices into `coreMap.segments`).
    let populationSegments: [Range<Int>]
    /// slotDirty[slot * segmentCount + k]: segment k may have input in that ring slot.
    var slotDirty: [UInt8]
    var segmentQuiet: [UInt8]
    var quietTally: [SegmentTally]
    var checkWait: [Int32]
    var checkSpan: [Int32]

    /// Validates and compiles `network`; throws `NetworkValidationError` listing every problem.
    public init(_ network: NetworkDescription) throws {
        self.network = network
        var (problems, rules) = NetworkValidator.validate(network)
        if !problems.isEmpty { throw NetworkValidationError(problems: problems) }

        let populations = network.populations
        var starts: [Int] = []
        var counts: [Int] = []
        var total = 0
        var names: [String: Int] = [:]
        for (index, p) in populations.enumerated() {
            starts.append(total)
            counts.append(p.size)
            names[p.name] = index
            total += p.size
        }
        compartmentCount = total
        var generators: [String: Int] = [:]
        for (index, g) in network.generators.enumerated() {
            starts.append(total)
            counts.append(g.size)
            generators[g.name] = populations.count + index
            total += g.size
        }
        sourceCount = total
        groupStart = starts
        groupCount = counts
        populationNames = names
        generatorNames = generators
        func group(_ name: String) -> Int { names[name] ?? generators[name]! }

        // Synaptic memory per compartment (docs/energy.md "Core mapping").
        var incomingBits = populations.map { [Int](repeating: 0, count: $0.size) }
        for c in network.connections {
            let t = names[c.target]!
            let ns = counts[group(c.source)]
            let bits = c.isPlastic ? ChipGeometry.bitsPerPlasticSynapse : ChipGeometry.bitsPerFixedSynapse
            switch c.pattern {
            case .oneToOne:
                for j in 0..<populations[t].size { incomingBits[t][j] += bits }
            case .oneToAll, .allToAll:
                for j in 0..<populations[t].size { incomingBits[t][j] += bits * ns }
            case .sparse:
                for j in c.post ?? [] { incomingBits[t][j] += bits }
            }
        }
        guard let map = CoreMapper.map(network, incomingBits: incomingBits, problems: &problems) else {
            throw NetworkValidationError(problems: problems)
        }
        coreMap = map
        usedCores = map.usedCores
        segmentParameters = map.segments.map { populations[$0.population].compartmentParameters }

        // Connections.
        var compiled: [ConnectionRuntime] = []
        var bySource = [[Int]](repeating: [], count: counts.count)
        var connectionIndex: [String: Int] = [:]
        var maxDelay = 0
        for (index, spec) in network.connections.enumerated() {
            let g = group(spec.source)
            let t = names[spec.target]!
            let runtime = ConnectionRuntime(
                index: index, spec: spec, sourceGroup: g, sourceStart: starts[g], sourceCount: counts[g],
                targetPopulation: t, targetStart: starts[t], targetCount: counts[t],
                coreOf: map.coreOfCompartment)
            if let learning = spec.learning, let set = rules[index] {
                let postCore = (0..<counts[t]).map { Int32(map.coreOfCompartment[starts[t] + $0]) }
                runtime.learning = LearningRuntime(
                    rules: set, spec: learning, signMode: spec.signMode,
                    rewardGroup: learning.reward.map(group), nPre: counts[g], nPost: counts[t],
                    postCore: postCore)
            }
            maxDelay = max(maxDelay, spec.delay, spec.delays?.max() ?? 0)
            compiled.append(runtime)
            bySource[g].append(index)
            connectionIndex[spec.name] = index
        }
        ConnectionRuntime.shareSparseRows(compiled)
        connections = compiled
        plasticConnections = compiled.filter { $0.learning != nil }
        connectionsBySource = bySource
        connectionNames = connectionIndex
        ringSize = maxDelay + 2

        // Messages: one per (fired source, distinct destination core), docs/energy.md "Counted quantities",
        // grouped into classes of (sending core or host, destination cores).
        struct ClassKey: Hashable {
            var core: Int
            var destinations: [Int]
        }
        var classIndex: [ClassKey: Int32] = [:]
        var classOf: [Int32] = []
        var cCore: [Int32] = []
        var cStart: [Int32] = [0]
        var cCores: [UInt8] = []
        var cEW: [Int] = []
        var cNS: [Int] = []
        var cPaths: [UInt32] = []
        for g in 0..<counts.count {
            let outgoing = bySource[g].map { compiled[$0] }
            let uniform = outgoing.allSatisfy { if case .dense = $0.layout { return true } else { return false } }
            var uniformCores: [Int] = []
            if uniform {
                uniformCores = Array(Set(outgoing.flatMap { $0.uniformOps.map(\.core) })).sorted()
            }
            for i in 0..<counts[g] {
                let cores =
                    uniform
                    ? uniformCores
                    : Array(Set(outgoing.flatMap { $0.destinationCores(ofSource: i, coreOf: map.coreOfCompartment) }))
                        .sorted()
                let source = g < populations.count ? Int(map.coreOfCompartment[starts[g] + i]) : -1
                let key = ClassKey(core: source, destinations: cores)
                if let known = classIndex[key] {
                    classOf.append(known)
                    continue
                }
                let (ew, ns, seen) = source >= 0 ? ChipGeometry.route(from: source, to: cores) : (0, 0, 0)
                let id = Int32(cCore.count)
                classIndex[key] = id
                classOf.append(id)
                cCore.append(Int32(source))
                cCores += cores.map { UInt8($0) }
                cStart.append(Int32(cCores.count))
                cEW.append(ew)
                cNS.append(ns)
                cPaths.append(seen)
            }
        }
        messageClassOf = classOf
        classCore = cCore
        classDestStart = cStart
        classDestCores = cCores
        classHopsEW = cEW
        classHopsNS = cNS
        classPaths = cPaths
        classHits = Array(repeating: 0, count: cCore.count)

        // Scheduled generator spikes, sorted by (step, source).
        var events: [(step: Int, source: Int32)] = []
        for (index, g) in network.generators.enumerated() {
            let base = starts[populations.count + index]
            for (channel, steps) in (g.spikeTimes ?? []).enumerated() {
                for s in steps { events.append((s, Int32(base + channel))) }
            }
        }
        events.sort { ($0.step, $0.source) < ($1.step, $1.source) }
        schedule = events
        injected = Array(repeating: [], count: network.generators.count)

        u = Array(repeating: 0, count: compartmentCount)
        v = Array(repeating: 0, count: compartmentCount)
        refractoryLeft = Array(repeating: 0, count: compartmentCount)
        ring = Array(repeating: 0, count: ringSize * compartmentCount)
        sourceFlags = Array(repeating: 0, count: sourceCount)
        fired = []
        fired.reserveCapacity(sourceCount)
        firedRanges = Array(repeating: 0..<0, count: counts.count)
        var segmentRanges = [Range<Int>](repeating: 0..<0, count: populations.count)
        for (k, segment) in map.segments.enumerated() {
            let r = segmentRanges[segment.population]
            segmentRanges[segment.population] = r.isEmpty ? k..<(k + 1) : r.lowerBound..<(k + 1)
        }
        populationSegments = segmentRanges
        let segmentCount = map.segments.count
        slotDirty = Array(repeating: 1, count: ringSize * segmentCount)
        segmentQuiet = Array(repeating: 0, count: segmentCount)
        quietTally = Array(repeating: SegmentTally(), count: segmentCount)
        checkWait = Array(repeating: 0, count: segmentCount)
        checkSpan = Array(repeating: 1, count: segmentCount)
        random = ChipRandom(seed: network.seed)
        lastStepCounts = Array(repeating: CoreStepCounts(), count: ChipGeometry.cores)
        lastPopulationCounts = Array(repeating: PopulationStepCounts(), count: populations.count)
        lastConnectionCounts = Array(repeating: ConnectionStepCounts(), count: compiled.count)
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
        // Check every channel, then append them in one call (no uniqueness check of the
        // nested array per channel; a bad channel leaves nothing injected).
        for channel in channels where channel < 0 || channel >= size {
            throw ChipError.channelOutOfRange(generator: network.generators[g].name, channel: channel, size: size)
        }
        let base = Int32(truncatingIfNeeded: start)
        let old = injected[g].count
        injected[g].append(contentsOf: repeatElement(0, count: channels.count))
        injected[g].withUnsafeMutableBufferPointer { out in
            for k in channels.indices { out[old + k] = base &+ Int32(truncatingIfNeeded: channels[k]) }
        }
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

    /// One time step in the order of docs/neurochip.md "One time step".
    public func step() {
        let s = currentStep
        let n = compartmentCount
        // Take the counter arrays and the spike list out of their properties (no copy) so
        // the step works on local storage through pointers: indexing a class's array
        // property in a loop re-checks uniqueness on every write.
        var counts: [CoreStepCounts] = []
        var populationCounts: [PopulationStepCounts] = []
        var connectionCounts: [ConnectionStepCounts] = []
        var spikes: [Int32] = []
        swap(&counts, &lastStepCounts)
        swap(&populationCounts, &lastPopulationCounts)
        swap(&connectionCounts, &lastConnectionCounts)
        swap(&spikes, &fired)
        counts.withUnsafeMutableBufferPointer { cc in
            for core in usedCores { cc[core] = CoreStepCounts() }
        }
        populationCounts.withUnsafeMutableBufferPointer { $0.update(repeating: PopulationStepCounts()) }
        connectionCounts.withUnsafeMutableBufferPointer { $0.update(repeating: ConnectionStepCounts()) }

        // Clear last step's flags.
        sourceFlags.withUnsafeMutableBufferPointer { flags in
            for f in spikes { flags[Int(f)] = 0 }
        }
        spikes.removeAll(keepingCapacity: true)

        // 1–3: integrate, voltage, fire, segment by segment (one population on one core).
        let slot = s % ringSize
        var stepWraps = 0
        u.withUnsafeMutableBufferPointer { uu in
            v.withUnsafeMutableBufferPointer { vv in
                refractoryLeft.withUnsafeMutableBufferPointer { rr in
                    ring.withUnsafeMutableBufferPointer { aa in
                        sourceFlags.withUnsafeMutableBufferPointer { ff in
                            counts.withUnsafeMutableBufferPointer { cc in
                                populationCounts.withUnsafeMutableBufferPointer { pc in
                                    coreMap.segments.withUnsafeBufferPointer { segments in
                                        segmentParameters.withUnsafeBufferPointer { parameters in
                                            let dirtyRow = slot * segments.count
                                            for k in 0..<segments.count {
                                                let segment = segments[k]
                                                let dirty = slotDirty[dirtyRow + k] != 0
                                                slotDirty[dirtyRow + k] = 0
                                                var tally: SegmentTally
                                                if !dirty && segmentQuiet[k] != 0 {
                                                    tally = quietTally[k]
                                                } else {
                                                    let check = !dirty && checkWait[k] == 0
                                                    tally = updateCompartments(
                                                        range: segment.start..<segment.end, parameters: parameters[k],
                                                        u: uu.baseAddress!, v: vv.baseAddress!,
                                                        refractoryLeft: rr.baseAddress!,
                                                        input: aa.baseAddress! + slot * n, spikes: ff.baseAddress!,
                                                        detectChange: check)
                                                    noteRest(
                                                        segment: k, tally: tally, dirty: dirty, checked: check)
                                                }
                                                let inactive = segment.end - segment.start - tally.active
                                                cc[segment.core].activeCompartments += tally.active
                                                cc[segment.core].inactiveCompartments += inactive
                                                cc[segment.core].spikesGenerated += tally.fired
                                                pc[segment.population].activeCompartments += tally.active
                                                pc[segment.population].inactiveCompartments += inactive
                                                pc[segment.population].spikesGenerated += tally.fired
                                                stepWraps += tally.wraps
                                                if tally.fired > 0 {
                                                    collectSpikes(
                                                        flags: ff.baseAddress!, from: segment.start,
                                                        end: segment.end, count: tally.fired, into: &spikes)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        wrapCount += stepWraps
        // Segments follow population order, but an explicit placement may interleave cores.
        if network.mapping.placement != nil { spikes.sort() }

        // Spike generators: scheduled plus injected, per generator in channel order.
        // Reuse the scratch array's storage (no allocation per step).
        var generatorSpikes: [Int32] = []
        swap(&generatorSpikes, &generatorScratch)
        generatorSpikes.removeAll(keepingCapacity: true)
        while scheduleCursor < schedule.count && schedule[scheduleCursor].step < s { scheduleCursor += 1 }
        while scheduleCursor < schedule.count && schedule[scheduleCursor].step == s {
            generatorSpikes.append(schedule[scheduleCursor].source)
            scheduleCursor += 1
        }
        for g in injected.indices where !injected[g].isEmpty {
            generatorSpikes += injected[g]
            injected[g].removeAll(keepingCapacity: true)
        }
        if !generatorSpikes.isEmpty {
            // Usually already ascending (generators in order, channels injected sorted);
            // sorting is then skipped. Duplicates are merged below either way.
            let ascending = generatorSpikes.withUnsafeBufferPointer { g in
                var k = 1
                while k < g.count && g[k - 1] <= g[k] { k += 1 }
                return k >= g.count
            }
            if !ascending { generatorSpikes.sort() }
            // Merge duplicates in place and set the flags, then one append (not one
            // uniqueness and capacity check per spike).
            let unique = generatorSpikes.withUnsafeMutableBufferPointer { g in
                sourceFlags.withUnsafeMutableBufferPointer { flags in
                    var m = 0
                    var last: Int32 = -1
                    for k in 0..<g.count where g[k] != last {
                        last = g[k]
                        g[m] = last
                        flags[Int(last)] = 1
                        m += 1
                    }
                    return m
                }
            }
            spikes.append(contentsOf: generatorSpikes[0..<unique])
        }
        swap(&generatorSpikes, &generatorScratch)

        // Ranges of the spike list per source group (it is sorted by source index).
        spikes.withUnsafeBufferPointer { f in
            firedRanges.withUnsafeMutableBufferPointer { ranges in
                var k = 0
                for g in 0..<groupStart.count {
                    let end = Int32(groupStart[g] + groupCount[g])
                    let begin = k
                    while k < f.count && f[k] < end { k += 1 }
                    ranges[g] = begin..<k
                }
            }
        }

        counts.withUnsafeMutableBufferPointer { cc in
            spikes.withUnsafeBufferPointer { f in
                // Message counters: fired sources per class, then each class's figures.
                classHits.withUnsafeMutableBufferPointer { hits in
                    messageClassOf.withUnsafeBufferPointer { classOf in
                        for source in f {
                            let id = Int(classOf[Int(source)])
                            if hits[id] == 0 { touchedClasses.append(Int32(id)) }
                            hits[id] &+= 1
                        }
                    }
                    classDestStart.withUnsafeBufferPointer { dStart in
                        classDestCores.withUnsafeBufferPointer { dCores in
                            for id32 in touchedClasses {
                                let id = Int(id32)
                                let sent = Int(hits[id])
                                hits[id] = 0
                                let first = Int(dStart[id])
                                let end = Int(dStart[id + 1])
                                let core = Int(classCore[id])
                                if core >= 0 {
                                    cc[core].messagesOut += sent * (end - first)
                                    cc[core].hopsEastWest += sent * classHopsEW[id]
                                    cc[core].hopsNorthSouth += sent * classHopsNS[id]
                                    cc[core].messagePathsSeen |= classPaths[id]
                                    for k in first..<end { cc[Int(dCores[k])].messagesIn += sent }
                                } else {
                                    for k in first..<end { cc[Int(dCores[k])].hostMessagesIn += sent }
                                }
                            }
                        }
                    }
                }
                touchedClasses.removeAll(keepingCapacity: true)

                // 4: deliver, reading the weights before this step's learning.
                // Only groups that fired; connection order does not matter (wrapping adds
                // and counter sums commute).
                ring.withUnsafeMutableBufferPointer { aa in
                    connectionCounts.withUnsafeMutableBufferPointer { kc in
                        for g in 0..<firedRanges.count {
                            let range = firedRanges[g]
                            if range.isEmpty { continue }
                            for index in connectionsBySource[g] {
                                let c = connections[index]
                                kc[index].synapticOps = c.deliver(
                                    spikes: UnsafeBufferPointer(rebasing: f[range]), step: s, ring: aa.baseAddress!,
                                    ringSize: ringSize, compartments: n, counts: cc.baseAddress!)
                                markDirty(connection: c, step: s)
                            }
                        }
                    }
                }

                // 5: learn.
                sourceFlags.withUnsafeBufferPointer { flags in
                    connectionCounts.withUnsafeMutableBufferPointer { kc in
                        for c in plasticConnections {
                            let learning = c.learning!
                            let reward = learning.rewardGroup.map { !firedRanges[$0].isEmpty } ?? false
                            let (processed, swept) = learning.learn(
                                step: s, connection: c, sourceFlags: flags.baseAddress!,
                                preSpikes: UnsafeBufferPointer(rebasing: f[firedRanges[c.sourceGroup]]),
                                postSpikes: UnsafeBufferPointer(rebasing: f[firedRanges[c.targetPopulation]]),
                                rewardNow: reward, random: &random, counts: cc.baseAddress!)
                            kc[c.index].plasticSynapseUpdatesProcessed = processed
                            kc[c.index].plasticSynapsesSwept = swept
                        }
                    }
                }
            }
        }
        swap(&spikes, &fired)

        // 6: probe.
        if !probeRecords.isEmpty { recordProbes(step: s) }

        #if DEBUG
            checkCounterInvariants(counts)
        #endif
        // Totals, again on local storage.
        var totalCores: [CoreStepCounts] = []
        var totalPopulations: [PopulationStepCounts] = []
        var totalConnections: [ConnectionStepCounts] = []
        swap(&totalCores, &totals.perCore)
        swap(&totalPopulations, &totals.perPopulation)
        swap(&totalConnections, &totals.perConnection)
        totalCores.withUnsafeMutableBufferPointer { t in
            counts.withUnsafeBufferPointer { c in
                for core in usedCores { t[core] += c[core] }
            }
        }
        totalPopulations.withUnsafeMutableBufferPointer { t in
            populationCounts.withUnsafeBufferPointer { c in
                for p in 0..<c.count { t[p] += c[p] }
            }
        }
        totalConnections.withUnsafeMutableBufferPointer { t in
            connectionCounts.withUnsafeBufferPointer { c in
                for k in 0..<c.count { t[k] += c[k] }
            }
        }
        swap(&totalCores, &totals.perCore)
        swap(&totalPopulations, &totals.perPopulation)
        swap(&totalConnections, &totals.perConnection)
        totals.steps += 1
        totals.wraps = wrapCount
        if recordCounterHistory { counterHistory.steps.append(usedCores.map { counts[$0] }) }
        swap(&counts, &lastStepCounts)
        swap(&populationCounts, &lastPopulationCounts)
        swap(&connectionCounts, &lastConnectionCounts)
        currentStep = s + 1
    }

    /// Appends the indices of the `count` set flags (0/1 bytes) in `start..<end`, ascending;
    /// looks at eight flags per load and skips words without a spike.
    @inline(__always)
    private func collectSpikes(
        flags: UnsafeMutablePointer<UInt8>, from start: Int, end: Int, count: Int, into spikes: inout [Int32]
    ) {
        var found = 0
        var i = start
        let raw = UnsafeRawPointer(flags)
        while found < count && i &+ 8 <= end {
            var word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            while word != 0 {
                spikes.append(Int32(truncatingIfNeeded: i &+ word.trailingZeroBitCount &>> 3))
                found &+= 1
                word &= word &- 1
            }
            i &+= 8
        }
        while found < count && i < end {
            if flags[i] != 0 {
                spikes.append(Int32(truncatingIfNeeded: i))
                found &+= 1
            }
            i &+= 1
        }
    }

    /// Rest bookkeeping after segment k was updated (see `segmentQuiet`).
    @inline(__always)
    private func noteRest(segment k: Int, tally: SegmentTally, dirty: Bool, checked: Bool) {
        if dirty {
            segmentQuiet[k] = 0
            checkWait[k] = 0
            checkSpan[k] = 1
        } else if checked {
            if tally.changed || tally.fired > 0 {
                checkWait[k] = checkSpan[k]
                checkSpan[k] = min(checkSpan[k] * 2, 16)
            } else {
                segmentQuiet[k] = 1
                quietTally[k] = tally
            }
        } else {
            checkWait[k] -= 1
        }
    }

    /// Marks the target segments of `c` as having input in the ring slots it wrote.
    @inline(__always)
    private func markDirty(connection c: ConnectionRuntime, step s: Int) {
        let segments = populationSegments[c.targetPopulation]
        let count = coreMap.segments.count
        if c.synapseDelays.isEmpty {
            let row = (s + 1 + c.delay) % ringSize * count
            for k in segments { slotDirty[row + k] = 1 }
        } else {
            for slot in 0..<ringSize {
                for k in segments { slotDirty[slot * count + k] = 1 }
            }
        }
    }

    /// docs/energy.md "Counted quantities": invariants checked in debug builds.
    private func checkCounterInvariants(_ counts: [CoreStepCounts]) {
        var out = 0
        var into = 0
        for core in usedCores {
            let c = counts[core]
            assert(
                c.activeCompartments + c.inactiveCompartments == coreMap.compartmentsPerCore[core],
                "A + I must equal the configured compartments of core \(core)")
            assert(c.spikesGenerated <= c.activeCompartments, "F <= A on core \(core)")
            assert(c.learningEpochs != 0 || c.plasticSynapseUpdatesProcessed == 0, "U = 0 when L = 0 on core \(core)")
            out += c.messagesOut
            into += c.messagesIn
        }
        assert(out == into, "messages out \(out) != messages in \(into)")
    }

    private func recordProbes(step s: Int) {
        for (k, probe) in network.probes.enumerated() where s % probe.interval == 0 {
            var sample: [Int]
            switch probe.kind {
            case .spikes:
                let g = populationNames[probe.target] ?? generatorNames[probe.target]!
                sample = firedRanges[g].map { Int(fired[$0]) - groupStart[g] }
            case .u, .v:
                let g = populationNames[probe.target]!
                let range = groupStart[g]..<(groupStart[g] + groupCount[g])
                sample = (probe.kind == .u ? u[range] : v[range]).map(Int.init)
            case .weights:
                sample = connections[connectionNames[probe.target]!].weightsInDescriptionLayout()
            }
            probeRecords[k].steps.append(s)
            probeRecords[k].data.append(sample)
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
        firedRanges[g].map { Int(fired[$0]) - groupStart[g] }
    }

    /// Current u and v of a population.
    public func state(of name: String) throws -> (u: [Int], v: [Int]) {
        let g = try populationIndex(name)
        let range = groupStart[g]..<(groupStart[g] + groupCount[g])
        return (u[range].map(Int.init), v[range].map(Int.init))
    }

    /// Weight mantissas of a connection in the description's layout (post x pre for
    /// all-to-all, per synapse otherwise).
    public func weights(of name: String) throws -> [Int] {
        connections[try connectionIndex(name)].weightsInDescriptionLayout()
    }

    /// Synaptic tags of a plastic connection (post x pre), zeros when no rule uses them.
    public func tags(of name: String) throws -> [Int] {
        let c = connections[try connectionIndex(name)]
        guard let learning = c.learning, learning.usesTag else {
            return Array(repeating: 0, count: c.sourceCount * c.targetCount)
        }
        var out = [Int](repeating: 0, count: c.sourceCount * c.targetCount)
        for i in 0..<c.sourceCount {
            for j in 0..<c.targetCount { out[j * c.sourceCount + i] = Int(learning.tags[i * c.targetCount + j]) }
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
        for j in 0..<nt {
            for i in 0..<ns { c.setMantissa(weights[j * ns + i], at: i * nt + j) }
        }
    }
}

extension ChipSimulator {
    /// Adds a raw current to A[s] of the next step of one compartment (global index); for
    /// tests and host-driven experiments that bypass synapses.
    public func addInput(current: Int32, compartment: Int) {
        let slot = currentStep % ringSize
        ring[slot * compartmentCount + compartment] &+= current
        // The slot now holds input: no segment may skip its update there.
        let count = coreMap.segments.count
        for k in 0..<count { slotDirty[slot * count + k] = 1 }
    }
}
