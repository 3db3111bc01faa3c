import NeuroChip

// Bridge from NeuroChip's simulator to the energy model: the placement the simulator
// chose (its CoreMap) and its per-step counters feed EnergyCountsRecorder directly.

extension CoreAllocation {
    /// The simulator's placement as the energy model's allocation, with the fixed and
    /// plastic synapses each core stores (synapses live on the postsynaptic core, docs/energy.md "Core mapping";
    /// counted per pattern exactly as NeuroChip sizes synaptic memory).
    public init(coreMap: CoreMap, network: NetworkDescription) {
        let populations = network.populations
        var sourceSize: [String: Int] = [:]
        for p in populations { sourceSize[p.name] = p.size }
        for g in network.generators { sourceSize[g.name] = g.size }
        let index = Dictionary(uniqueKeysWithValues: populations.enumerated().map { ($1.name, $0) })
        var fixed = populations.map { [Int](repeating: 0, count: $0.size) }
        var plastic = fixed
        for c in network.connections {
            guard let t = index[c.target] else { continue }
            let n: Int
            switch c.pattern {
            case .oneToOne: n = 1
            case .oneToAll, .allToAll: n = sourceSize[c.source] ?? 0
            case .sparse: n = 0
            }
            for j in 0..<populations[t].size {
                if c.isPlastic { plastic[t][j] += n } else { fixed[t][j] += n }
            }
            if c.pattern == .sparse {
                for j in c.post ?? [] where j >= 0 && j < populations[t].size {
                    if c.isPlastic { plastic[t][j] += 1 } else { fixed[t][j] += 1 }
                }
            }
        }
        var loads: [Int: CoreLoad] = [:]
        var shares: [[CoreShare]] = Array(repeating: [], count: populations.count)
        var firstIndex = 0
        var populationStart: [Int] = []
        for p in populations {
            populationStart.append(firstIndex)
            firstIndex += p.size
        }
        for segment in coreMap.segments {
            let p = segment.population
            var load = loads[segment.core] ?? CoreLoad(core: segment.core, compartments: 0)
            load.compartments += segment.end - segment.start
            for global in segment.start..<segment.end {
                let j = global - populationStart[p]
                load.fixedSynapses += fixed[p][j]
                load.plasticSynapses += plastic[p][j]
            }
            loads[segment.core] = load
            shares[p].append(CoreShare(core: segment.core, count: segment.end - segment.start))
        }
        self.init(
            populations: zip(populations, shares).map {
                PopulationPlacement(name: $0.name, cores: $1)
            },
            cores: Array(loads.values))
    }
}

extension EnergyCountsRecorder {
    /// A recorder for a simulator's placement.
    public init(simulator: ChipSimulator, stepsPerSample: [RunMode: Int]) {
        self.init(
            placement: CoreAllocation(coreMap: simulator.coreMap, network: simulator.network),
            stepsPerSample: stepsPerSample)
    }

    /// Records the simulator's last step (`ChipSimulator.lastStepCounts`).
    public mutating func recordLastStep(
        of simulator: ChipSimulator, mode: RunMode, stepInSample: Int? = nil
    ) {
        record(chipStep: simulator.lastStepCounts, mode: mode, stepInSample: stepInSample)
    }
}
