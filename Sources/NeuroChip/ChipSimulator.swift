// NeuroChip: a bit-exact Loihi-1-like chip simulator (../shared/spec/loihi-model.md).
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
//     let c: [CoreStepCounts] = chip.lastStepCounts      // 128 cores, energy-model.md §2
//     let t: ChipCounterTotals = chip.totals             // summed over the run
//     let g = chip.lastPopulationCounts, k = chip.lastConnectionCounts  // per group
//
// `run(steps:)` runs without input; `recordCounterHistory = true` keeps every step's
// counts of the used cores in `counterHistory`; probes from the description are in
// `probeRecords` (JSON-encodable). Fast per-step access without name lookups:
// `populationIndex(_:)`, `generatorIndex(_:)`, `inject(generatorIndex:channels:)` and
// `spikes(ofPopulation:)`.
//
// Step order (loihi-model.md §2): integrate, voltage, fire, deliver (weights read before
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

/// Recorded probe data (loihi-model.md §2 step 6).
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
    /// Number of 24-bit wraps of u or v so far (each is a warning, loihi-model.md §1).
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
    let connectionsBySource: [[Int]]
    /// Per source: destination cores (CSR) and precomputed message figures.
    let destStart: [Int32]
    let destCores: [UInt8]
    let messageHopsEW: [Int32]
    let messageHopsNS: [Int32]
    let messagePaths: [UInt32]
    var random: ChipRandom

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

        // Synaptic memory per compartment (energy-model.md §5.2).
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
        segmentParameters = map.segments.map { segment in
            let p = populations[segment.population]
            return CompartmentParameters(
                du: p.du, dv: p.dv, bias: p.biasMantissa << p.biasExponent,
                vth: p.vthMantissa << 6, refractory: p.refractory)
        }

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
        connections = compiled
        connectionsBySource = bySource
        connectionNames = connectionIndex
        ringSize = maxDelay + 2

        // Messages: one per (fired source, distinct destination core), energy-model.md §2.
        var dStart: [Int32] = [0]
        var dCores: [UInt8] = []
        var hopsEW: [Int32] = []
        var hopsNS: [Int32] = []
        var paths: [UInt32] = []
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
                var ew: Int32 = 0
                var ns: Int32 = 0
                var seen: UInt32 = 0
                if g < populations.count {
                    let source = Int(map.coreOfCompartment[starts[g] + i])
                    for d in cores {
                        let h = ChipGeometry.hops(from: source, to: d)
                        ew += Int32(h.eastWest)
                        ns += Int32(h.northSouth)
                        seen |= 1 << UInt32(h.eastWest * 4 + h.northSouth)
                    }
                }
                dCores += cores.map { UInt8($0) }
                dStart.append(Int32(dCores.count))
                hopsEW.append(ew)
                hopsNS.append(ns)
                paths.append(seen)
            }
        }
        destStart = dStart
        destCores = dCores
        messageHopsEW = hopsEW
        messageHopsNS = hopsNS
        messagePaths = paths

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
        for channel in channels {
            guard channel >= 0 && channel < size else {
                throw ChipError.channelOutOfRange(generator: network.generators[g].name, channel: channel, size: size)
            }
            injected[g].append(Int32(groupStart[group] + channel))
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

    /// One time step in the order of loihi-model.md §2.
    public func step() {
        let s = currentStep
        let n = compartmentCount
        // Take the counter array out of the property (no copy), reset the used cores.
        var counts: [CoreStepCounts] = []
        swap(&counts, &lastStepCounts)
        for core in usedCores { counts[core] = CoreStepCounts() }
        for p in lastPopulationCounts.indices { lastPopulationCounts[p] = PopulationStepCounts() }
        for c in lastConnectionCounts.indices { lastConnectionCounts[c] = ConnectionStepCounts() }

        // Clear last step's flags.
        sourceFlags.withUnsafeMutableBufferPointer { flags in
            for f in fired { flags[Int(f)] = 0 }
        }
        fired.removeAll(keepingCapacity: true)

        // 1–3: integrate, voltage, fire, segment by segment (one population on one core).
        let slot = s % ringSize
        var stepWraps = 0
        u.withUnsafeMutableBufferPointer { uu in
            v.withUnsafeMutableBufferPointer { vv in
                refractoryLeft.withUnsafeMutableBufferPointer { rr in
                    ring.withUnsafeMutableBufferPointer { aa in
                        sourceFlags.withUnsafeMutableBufferPointer { ff in
                            for (k, segment) in coreMap.segments.enumerated() {
                                let tally = updateCompartments(
                                    range: segment.start..<segment.end, parameters: segmentParameters[k],
                                    u: uu.baseAddress!, v: vv.baseAddress!, refractoryLeft: rr.baseAddress!,
                                    input: aa.baseAddress! + slot * n, spikes: ff.baseAddress!)
                                counts[segment.core].activeCompartments += tally.active
                                counts[segment.core].inactiveCompartments += segment.end - segment.start - tally.active
                                counts[segment.core].spikesGenerated += tally.fired
                                lastPopulationCounts[segment.population].activeCompartments += tally.active
                                lastPopulationCounts[segment.population].inactiveCompartments +=
                                    segment.end - segment.start - tally.active
                                lastPopulationCounts[segment.population].spikesGenerated += tally.fired
                                stepWraps += tally.wraps
                                if tally.fired > 0 {
                                    var found = 0
                                    var i = segment.start
                                    while found < tally.fired {
                                        if ff[i] != 0 {
                                            fired.append(Int32(i))
                                            found += 1
                                        }
                                        i += 1
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
        if network.mapping.placement != nil { fired.sort() }

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
            generatorSpikes.sort()
            var last: Int32 = -1
            for spike in generatorSpikes where spike != last {
                fired.append(spike)
                sourceFlags[Int(spike)] = 1
                last = spike
            }
        }
        swap(&generatorSpikes, &generatorScratch)

        // Ranges of `fired` per source group (fired is sorted by source index).
        fired.withUnsafeBufferPointer { f in
            var k = 0
            for g in 0..<groupStart.count {
                let end = Int32(groupStart[g] + groupCount[g])
                let begin = k
                while k < f.count && f[k] < end { k += 1 }
                firedRanges[g] = begin..<k
            }
        }

        // Message counters per fired source.
        for source in fired {
            let i = Int(source)
            let range = Int(destStart[i])..<Int(destStart[i + 1])
            if i < n {
                let core = Int(coreMap.coreOfCompartment[i])
                counts[core].messagesOut += range.count
                counts[core].hopsEastWest += Int(messageHopsEW[i])
                counts[core].hopsNorthSouth += Int(messageHopsNS[i])
                counts[core].messagePathsSeen |= messagePaths[i]
                for k in range { counts[Int(destCores[k])].messagesIn += 1 }
            } else {
                for k in range { counts[Int(destCores[k])].hostMessagesIn += 1 }
            }
        }

        // 4: deliver, reading the weights before this step's learning.
        counts.withUnsafeMutableBufferPointer { cc in
            ring.withUnsafeMutableBufferPointer { aa in
                fired.withUnsafeBufferPointer { f in
                    for c in connections {
                        let range = firedRanges[c.sourceGroup]
                        if range.isEmpty { continue }
                        lastConnectionCounts[c.index].synapticOps = c.deliver(
                            spikes: UnsafeBufferPointer(rebasing: f[range]), step: s, ring: aa.baseAddress!,
                            ringSize: ringSize, compartments: n, counts: cc.baseAddress!)
                    }
                }
            }
        }

        // 5: learn.
        counts.withUnsafeMutableBufferPointer { cc in
            sourceFlags.withUnsafeBufferPointer { flags in
                fired.withUnsafeBufferPointer { f in
                    for c in connections {
                        guard let learning = c.learning else { continue }
                        let reward = learning.rewardGroup.map { !firedRanges[$0].isEmpty } ?? false
                        let (processed, swept) = learning.learn(
                            step: s, connection: c, sourceFlags: flags.baseAddress!,
                            preSpikes: UnsafeBufferPointer(rebasing: f[firedRanges[c.sourceGroup]]),
                            postSpikes: UnsafeBufferPointer(rebasing: f[firedRanges[c.targetPopulation]]),
                            rewardNow: reward, random: &random, counts: cc.baseAddress!)
                        lastConnectionCounts[c.index].plasticSynapseUpdatesProcessed = processed
                        lastConnectionCounts[c.index].plasticSynapsesSwept = swept
                    }
                }
            }
        }

        // 6: probe.
        if !probeRecords.isEmpty { recordProbes(step: s) }

        #if DEBUG
            checkCounterInvariants(counts)
        #endif
        lastStepCounts = counts
        totals.steps += 1
        totals.wraps = wrapCount
        for core in usedCores { totals.perCore[core] += counts[core] }
        for p in lastPopulationCounts.indices { totals.perPopulation[p] += lastPopulationCounts[p] }
        for c in lastConnectionCounts.indices { totals.perConnection[c] += lastConnectionCounts[c] }
        if recordCounterHistory { counterHistory.steps.append(usedCores.map { counts[$0] }) }
        currentStep = s + 1
    }

    /// energy-model.md §2: invariants checked in debug builds.
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
    }
}
