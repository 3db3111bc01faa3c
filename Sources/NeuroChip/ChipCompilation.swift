// Compiling a network description into the simulator's tables (ChipSimulator.init): the
// source space, synaptic memory per compartment, connections with their shards and
// learning runtimes, each partition's work, and the generators' schedule.

/// Populations and generators as source groups: populations 0..<P then generators, each a
/// range of source indices (compartments first, then generator channels).
struct SourceGroups {
    let start: [Int]
    let count: [Int]
    let compartments: Int
    let sources: Int
    /// Source range of every group.
    var ranges: [Range<Int>] { start.indices.map { start[$0]..<(start[$0] + count[$0]) } }
    let populations: [String: Int]
    let generators: [String: Int]

    init(_ network: NetworkDescription) {
        var start: [Int] = []
        var count: [Int] = []
        var total = 0
        var populations: [String: Int] = [:]
        for (index, p) in network.populations.enumerated() {
            start.append(total)
            count.append(p.size)
            populations[p.name] = index
            total += p.size
        }
        compartments = total
        var generators: [String: Int] = [:]
        for (index, g) in network.generators.enumerated() {
            start.append(total)
            count.append(g.size)
            generators[g.name] = network.populations.count + index
            total += g.size
        }
        sources = total
        self.start = start
        self.count = count
        self.populations = populations
        self.generators = generators
    }

    func group(_ name: String) -> Int { populations[name] ?? generators[name]! }

    /// Synaptic memory each compartment's incoming synapses need (docs/energy.md "Core mapping").
    func incomingBits(_ network: NetworkDescription) -> [[Int]] {
        var bits = network.populations.map { [Int](repeating: 0, count: $0.size) }
        for (index, c) in network.connections.enumerated() {
            let t = populations[c.target]!
            let per = c.isPlastic ? ChipGeometry.bitsPerPlasticSynapse : ChipGeometry.bitsPerFixedSynapse
            for (j, n) in network.incomingSynapses(ofConnection: index).enumerated() { bits[t][j] += per * n }
        }
        return bits
    }
}

extension ChipSimulator {
    /// Every connection with its shards, and a learning runtime per run of posts of a
    /// plastic connection on each partition this process steps.
    static func compileConnections(
        _ network: NetworkDescription, groups: SourceGroups, rules: [Int: RuleSet], map: CoreMap,
        partitions: PartitionMap
    ) -> [ConnectionRuntime] {
        var compiled: [ConnectionRuntime] = []
        let arena = SparseRowArena()
        for (index, spec) in network.connections.enumerated() {
            let g = groups.group(spec.source)
            let t = groups.populations[spec.target]!
            let runtime = ConnectionRuntime(
                index: index, spec: spec, sourceGroup: g, sourceStart: groups.start[g], sourceCount: groups.count[g],
                targetPopulation: t, targetStart: groups.start[t], targetCount: groups.count[t], coreMap: map,
                partitions: partitions, seed: network.seed, arena: arena)
            if let learning = spec.learning, let set = rules[index] {
                let shards = runtime.shards.compactMap { $0 }
                if LearningRuntime.readsTags(set) && !shards.isEmpty {
                    runtime.tags = RawArray(repeating: 0, count: runtime.sourceCount * runtime.targetCount)
                }
                for shard in shards {
                    for run in shard.runs {
                        runtime.learners.append(
                            LearningRuntime(
                                rules: set, spec: learning, signMode: spec.signMode,
                                rewardGroup: learning.reward.map(groups.group), nPre: runtime.sourceCount,
                                posts: run, rowStride: runtime.targetCount,
                                postCore: run.map { runtime.targetCore[$0] }, partition: shard.partition))
                    }
                }
            }
            compiled.append(runtime)
        }
        arena.allocate(seed: network.seed)
        return compiled
    }

    /// The deliveries and learners of each partition this process steps.
    static func partitionWork(
        _ partitions: PartitionMap, connections: [ConnectionRuntime], groups: SourceGroups, map: CoreMap,
        populations: Int, routing: MessageRouting
    ) -> [PartitionWork] {
        partitions.owned.map { partition in
            let compartments = partition.segments.reduce(0) { $0 + map.segments[$1].end - map.segments[$1].start }
            let work = PartitionWork(
                partition: partition, compartments: compartments, populations: populations,
                connections: connections.count, groups: groups.count.count, cores: map.coreCount,
                hostClasses: routing.classCount - routing.firstHostClass)
            work.hostGroups = routing.hostGroups(
                groups.ranges, populations: populations, reaching: partition.cores)
            for c in connections {
                if let shard = c.shards[partition.index] { work.deliveries[c.sourceGroup].append((c, shard)) }
                for learner in c.learners where learner.partition == partition.index {
                    work.learners.append((c, learner))
                }
            }
            return work
        }
    }

    /// Scheduled generator spikes, sorted by (step, source).
    static func generatorSchedule(_ network: NetworkDescription, groups: SourceGroups) -> [(step: Int, source: Int32)] {
        var events: [(step: Int, source: Int32)] = []
        for (index, g) in network.generators.enumerated() {
            let base = groups.start[network.populations.count + index]
            for (channel, steps) in (g.spikeTimes ?? []).enumerated() {
                for s in steps { events.append((s, Int32(base + channel))) }
            }
        }
        events.sort { ($0.step, $0.source) < ($1.step, $1.source) }
        return events
    }
}

extension NetworkDescription {
    /// Synapses of connection `index` that end on each compartment of its target (the
    /// synaptic memory they take lives there, docs/energy.md "Core mapping"); random connections
    /// are drawn as the simulator draws them.
    public func incomingSynapses(ofConnection index: Int) -> [Int] {
        let c = connections[index]
        guard let target = populations.first(where: { $0.name == c.target }) else { return [] }
        let sources =
            populations.first { $0.name == c.source }?.size ?? generators.first { $0.name == c.source }?.size ?? 0
        var counts = [Int](repeating: 0, count: target.size)
        switch c.pattern {
        case .oneToOne:
            counts = Array(repeating: 1, count: target.size)
        case .oneToAll, .allToAll:
            counts = Array(repeating: sources, count: target.size)
        case .sparse:
            for j in c.post ?? [] where counts.indices.contains(j) { counts[j] += 1 }
        case .random:
            let synapses = SynapseEnumerator(c, sourceCount: sources, targets: target.size, seed: seed)
            for i in 0..<sources { synapses.forEach(source: i) { _, post, _, _ in counts[post] += 1 } }
        }
        return counts
    }
}
