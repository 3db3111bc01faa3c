import NeuroChip

/// Chip-wide counts of one step of a sample (one nBP phase), for the first-principles
/// estimate of docs/energy.md "Comparison with the nBP paper". Replace every default by the simulator's own count.
public struct ChipPhaseCounts: Codable, Sendable, Equatable {
    public var activeCompartments: Int
    public var inactiveCompartments: Int
    public var synapticOps: Int
    /// Plastic synapses swept by learning epochs in this step (all cores).
    public var plasticSynapsesSwept: Int
    public var plasticSynapseUpdatesProcessed: Int
    /// Cores whose learning engine ran in this step.
    public var learningEpochs: Int
    public var spikesGenerated: Int
    /// Inter-core spike messages (each is one messageOut and one messageIn).
    public var messages: Int
    public var hopsEastWest: Int
    public var hopsNorthSouth: Int

    public init(
        activeCompartments: Int, inactiveCompartments: Int, synapticOps: Int,
        plasticSynapsesSwept: Int = 0, plasticSynapseUpdatesProcessed: Int = 0,
        learningEpochs: Int = 0, spikesGenerated: Int = 0, messages: Int = 0,
        hopsEastWest: Int = 0, hopsNorthSouth: Int = 0
    ) {
        self.activeCompartments = activeCompartments
        self.inactiveCompartments = inactiveCompartments
        self.synapticOps = synapticOps
        self.plasticSynapsesSwept = plasticSynapsesSwept
        self.plasticSynapseUpdatesProcessed = plasticSynapseUpdatesProcessed
        self.learningEpochs = learningEpochs
        self.spikesGenerated = spikesGenerated
        self.messages = messages
        self.hopsEastWest = hopsEastWest
        self.hopsNorthSouth = hopsNorthSouth
    }

    var asCoreRecord: CoreStepCounts {
        var c = CoreStepCounts(
            activeCompartments: activeCompartments,
            inactiveCompartments: inactiveCompartments, synapticOps: synapticOps,
            plasticSynapseUpdatesProcessed: plasticSynapseUpdatesProcessed,
            plasticSynapsesSwept: plasticSynapsesSwept, learningEpochs: learningEpochs,
            spikesGenerated: spikesGenerated, messagesOut: messages, messagesIn: messages)
        c.hopsEastWest = hopsEastWest
        c.hopsNorthSouth = hopsNorthSouth
        return c
    }
}

/// What the first-principles estimate needs about one mode of a circuit.
public struct FirstPrinciplesInput: Codable, Sendable, Equatable {
    public var mode: RunMode
    /// One entry per step of a sample.
    public var phases: [ChipPhaseCounts]
    public var coresUsed: Int
    public var tilesUsed: Int
    /// Cores that share the learning sweep evenly (the authors used ~80, docs/energy.md "Comparison with the nBP
    /// paper").
    public var learningCores: Int

    public init(
        mode: RunMode, phases: [ChipPhaseCounts], coresUsed: Int, tilesUsed: Int,
        learningCores: Int
    ) {
        self.mode = mode
        self.phases = phases
        self.coresUsed = coresUsed
        self.tilesUsed = tilesUsed
        self.learningCores = learningCores
    }
}

/// The result, per sample, with the paper comparison of docs/energy.md "Comparison with the nBP paper".
public struct FirstPrinciplesEstimate: Codable, Sendable, Equatable {
    public var mode: RunMode
    public var stepsPerSample: Int
    public var energyPerSamplePJ: Double
    public var energyByCategoryPJ: EnergyByCategory
    public var latencyPerSampleNS: Double
    public var latencyByTermNS: LatencyByTerm
    /// Serial learning time per sample if one core did the whole sweep.
    public var serialLearningNS: Double
    public var comparison: ReferenceComparison

    /// Energy-delay product per sample, J·s.
    public var edpJs: Double { energyPerSamplePJ * latencyPerSampleNS * 1e-21 }
}

/// docs/energy.md "Comparison with the nBP paper": a per-phase, chip-wide estimate. Energy is the
/// docs/energy.md "Latency and energy per step" sum (exact
/// for the given counts); latency assumes the learning sweep is spread evenly over
/// `learningCores` and all other core work evenly over `coresUsed` — the busiest core
/// does one share of each.
public enum FirstPrinciples {
    public static func estimate(_ input: FirstPrinciplesInput, table: CostTable)
        -> FirstPrinciplesEstimate
    {
        let estimator = EnergyEstimator(
            table: table, coresUsed: input.coresUsed, tilesUsed: input.tilesUsed)
        let k = table.costs
        var energy = EnergyByCategory()
        var latency = LatencyByTerm()
        var serialLearning = 0.0
        var totals = CoreStepCounts()
        for phase in input.phases {
            let record = phase.asCoreRecord
            totals += record
            var e = estimator.coreEnergy(record)
            let u = Double(record.plasticSynapseUpdates(table.learningCountMode))
            let learningNS =
                u * k.plasticSynapseUpdate.timeNS + Double(record.learningEpochs)
                * k.learningEpoch.timeNS
            let otherNS = estimator.coreTimeNS(record) - learningNS
            let coreWork =
                learningNS / Double(max(input.learningCores, 1))
                + otherNS / Double(max(input.coresUsed, 1))
            // A typical message crosses the mean hop distance of this phase.
            let meanEW =
                phase.messages > 0 ? Double(phase.hopsEastWest) / Double(phase.messages) : 0
            let meanNS =
                phase.messages > 0 ? Double(phase.hopsNorthSouth) / Double(phase.messages) : 0
            let mesh =
                phase.messages > 0
                ? k.messageBase.timeNS + meanEW * k.hopEastWest.timeNS + meanNS
                    * k.hopNorthSouth.timeNS
                : 0
            let step = LatencyByTerm(coreWork: coreWork, mesh: mesh, sync: estimator.syncTimeNS)
            e.sync = table.sync.energyPJ
            e.static = table.staticPower.powerMW(coresUsed: input.coresUsed) * step.total
            energy = energy + e
            latency = latency + step
            serialLearning += learningNS
        }
        let steps = input.phases.count
        let coresWithPlastic = max(input.learningCores, 1)
        // Plastic synapses swept in a step: the training circuit sweeps all of them.
        let plasticPerStep = input.phases.map(\.plasticSynapsesSwept).max() ?? 0
        let summary = ModeSummary(
            mode: input.mode, samples: 1, partialSamples: 0, stepsPerSample: steps, steps: steps,
            latencyBasis: "firstPrinciples", meanEnergyPJ: energy.total, minEnergyPJ: nil,
            maxEnergyPJ: nil,
            meanEnergyByCategoryPJ: energy, meanLatencyNS: latency.total,
            meanLatencyByTermNS: latency, meanEdpJs: energy.total * latency.total * 1e-21,
            meanEdpPJNS: energy.total * latency.total,
            throughputSamplesPerS: latency.total > 0 ? 1e9 / latency.total : 0,
            energyPJ: energy.total, energyByCategoryPJ: energy, latencyNS: latency.total,
            latencyByTermNS: latency,
            learningSweepsPerSample: Double(totals.learningEpochs) / Double(coresWithPlastic),
            coresUsed: input.coresUsed, tilesUsed: input.tilesUsed, compartments: 0,
            plasticSynapses: plasticPerStep, plasticCores: coresWithPlastic,
            maxPlasticSynapsesPerCore: plasticPerStep / coresWithPlastic, fixedSynapses: 0,
            counts: totals)
        return FirstPrinciplesEstimate(
            mode: input.mode, stepsPerSample: steps, energyPerSamplePJ: energy.total,
            energyByCategoryPJ: energy, latencyPerSampleNS: latency.total, latencyByTermNS: latency,
            serialLearningNS: serialLearning,
            comparison: NBPReference.compare(summary, table: table))
    }

    /// The docs/energy.md "Comparison with the nBP paper"/docs/energy.md "Comparison with the nBP paper" facts as
    /// default per-phase counts for nBP `nIn-nHid-nOut`: every
    /// gate lifts whole populations (they are active that step), the plastic synapses of
    /// the training circuit are swept every step, forward synaptic ops follow the input
    /// and hidden on-fractions. Cores and tiles come from the docs/energy.md "Core mapping" greedy packing of
    /// the circuit's populations, unless `learningCores` is given.
    public static func nbpDefaultInput(
        mode: RunMode, inputs nIn: Int = 400, hidden nHid: Int = 400, outputs nOut: Int = 10,
        inputOnFraction p: Double = 0.19, hiddenOnFraction q: Double = 0.5,
        learningCores: Int? = nil, chip: ChipLayout = CostTable.davies2018.chip
    ) -> FirstPrinciplesInput {
        let xOn = Int((Double(nIn) * p).rounded())
        let hOn = Int((Double(nHid) * q).rounded())
        let demands = nbpPopulations(mode: mode, inputs: nIn, hidden: nHid, outputs: nOut)
        let placement =
            (try? CoreMapper.greedy(demands, chip: chip))
            ?? CoreAllocation(populations: [], cores: [])
        let compartments = demands.reduce(0) { $0 + $1.compartments }
        let plasticCores = placement.cores.filter { $0.plasticSynapses > 0 }.count
        let plastic = demands.reduce(0) { $0 + $1.compartments * $1.plasticSynapsesPerCompartment }
        // (active compartments, synaptic ops, spikes) per step of the sample; docs/nbp.md "Timing".
        let perPhase: [(Int, Int, Int)]
        switch mode {
        case .inference:
            perPhase = [
                (nIn + 1, nIn, xOn),
                (nHid + 1, xOn * nHid + nHid, hOn),
                (nOut + 1, hOn * nOut + nOut, nOut / 10 + 1),
                (nOut + 1, nOut, 1),
            ]
        case .training:
            let backward = 2 * nHid  // one or two output errors fan out over W2Tp / M
            perPhase = [
                (nIn + 1, nIn, xOn),
                (3 * nHid + 1, 3 * xOn * nHid + 3 * nHid + xOn, 3 * hOn),
                (4 * nOut + nHid + 1, 3 * hOn * nOut + 4 * nOut + nHid + hOn, hOn + nOut),
                (3 * nOut + nHid + 1, 4 * nOut + nHid, 2),
                (2 * nHid + 4 * nOut + 1, backward + 2 * nHid + 4 * nOut, hOn + 2),
                (nIn + 2 * nHid + 3 * nOut + 1, nIn + 2 * nHid + 3 * nOut + xOn, xOn + nHid / 4),
                (nIn + 3 * nHid + 1, nIn + 3 * nHid + 3 * nHid, xOn + 3 * nHid / 8),
                (3 * nHid + 1, 3 * nHid, 0),
                (2 * nHid + 4 * nOut + 1, backward + 2 * nHid + 4 * nOut, hOn + 2),
                (nHid + 3 * nOut + 1, nHid + 3 * nOut, nHid / 8),
                (nIn + 3 * nHid + 1, nIn + 3 * nHid + 3 * nHid, xOn + 3 * nHid / 8),
                (3 * nOut + 1, 3 * nOut, 0),
            ]
        }
        let phases = perPhase.map { active, ops, spikes in
            ChipPhaseCounts(
                activeCompartments: min(active, compartments),
                inactiveCompartments: max(compartments - active, 0), synapticOps: ops,
                plasticSynapsesSwept: mode == .training ? plastic : 0,
                plasticSynapseUpdatesProcessed: 0,
                learningEpochs: mode == .training ? plasticCores : 0, spikesGenerated: spikes,
                messages: spikes * 4, hopsEastWest: spikes * 4, hopsNorthSouth: spikes * 2)
        }
        return FirstPrinciplesInput(
            mode: mode, phases: phases, coresUsed: placement.coresUsed,
            tilesUsed: placement.tilesUsed(chip),
            learningCores: learningCores ?? max(plasticCores, 1))
    }

    /// Populations of the nBP circuit (docs/nbp.md "Populations and connections") with their incoming synapses,
    /// for the docs/energy.md "Core mapping" packing. Training: 500,000 plastic synapses for 400-400-10.
    public static func nbpPopulations(
        mode: RunMode, inputs nIn: Int, hidden nHid: Int, outputs nOut: Int
    )
        -> [PopulationDemand]
    {
        switch mode {
        case .inference:
            return [
                PopulationDemand(name: "x", compartments: nIn, fixedSynapsesPerCompartment: 2),
                PopulationDemand(
                    name: "h1", compartments: nHid, fixedSynapsesPerCompartment: nIn + 1),
                PopulationDemand(
                    name: "o", compartments: nOut, fixedSynapsesPerCompartment: nHid + 2),
                PopulationDemand(name: "gates", compartments: 4, fixedSynapsesPerCompartment: 2),
            ]
        case .training:
            let hidden = ["h1", "h1_copy", "h1_copy2"].map {
                PopulationDemand(
                    name: $0, compartments: nHid, fixedSynapsesPerCompartment: 8,
                    plasticSynapsesPerCompartment: nIn)
            }
            let outputs = ["o", "o_copy", "o_copy2"].map {
                PopulationDemand(
                    name: $0, compartments: nOut, fixedSynapsesPerCompartment: 8,
                    plasticSynapsesPerCompartment: nHid)
            }
            return [
                PopulationDemand(name: "x", compartments: nIn, fixedSynapsesPerCompartment: 6),
                PopulationDemand(name: "m_x6", compartments: nIn, fixedSynapsesPerCompartment: 2),
            ] + hidden + [
                PopulationDemand(name: "m_h1", compartments: nHid, fixedSynapsesPerCompartment: 2),
                PopulationDemand(name: "c_h1", compartments: nHid, fixedSynapsesPerCompartment: 3),
                PopulationDemand(
                    name: "h1T", compartments: nHid, fixedSynapsesPerCompartment: 8,
                    plasticSynapsesPerCompartment: 2 * nOut),
            ] + outputs
                + ["t", "d+", "d-", "oT-"].map {
                    PopulationDemand(name: $0, compartments: nOut, fixedSynapsesPerCompartment: 6)
                } + [
                    PopulationDemand(
                        name: "gates", compartments: 12, fixedSynapsesPerCompartment: 2)
                ]
        }
    }
}
