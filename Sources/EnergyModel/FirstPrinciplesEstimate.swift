import NeuroChip

/// Chip-wide counts of one step of a sample, for the first-principles estimate of
/// docs/energy.md "Comparison with the nBP paper" (nBP builds them from its circuit's facts: `NBPFirstPrinciples`).
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

/// The result, per sample, with the comparison against the caller's published figures.
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
    /// The estimate of `input` under `table`, compared with `reference`'s figures.
    public static func estimate(_ input: FirstPrinciplesInput, table: CostTable, reference: any EnergyReference)
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
            comparison: reference.compare(summary, table: table))
    }
}
