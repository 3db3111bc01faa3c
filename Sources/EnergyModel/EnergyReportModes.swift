import NeuroChip

/// Everything the report derives from one mode's counts (docs/energy.md "Latency and energy per step", applied step by step): its
/// summary, the mean step at each position, per-core and per-sample figures, and its share
/// of the run. `EnergyReport.init` runs one per mode and adds them up.
struct ModeEstimate {
    let mode: RunMode
    var summary: ModeSummary! = nil
    var phases: [PhaseEstimate] = []
    var steps: [StepEstimate] = []
    var perCore: [PerCoreEstimate] = []
    var samples: [SampleEstimate] = []
    /// Steps in which each core was critical.
    var histogram: [Int: Int] = [:]
    var notes: [String] = []
    /// Mean sample and whole mode.
    var perSampleEnergy = EnergyByCategory()
    var perSampleLatency = LatencyByTerm()
    var modeEnergy = EnergyByCategory()
    var modeLatency = LatencyByTerm()

    /// `stepLabels` names the steps of a sample when `includePerStep` asks for them.
    init(
        mode: RunMode, counts m: ModeCounts, placement: CoreAllocation, table: CostTable, includePerStep: Bool,
        stepLabels: [String]?
    ) {
        self.mode = mode
        let estimator = EnergyEstimator(table: table, placement: placement)
        let basis: String
        if let phases = m.phases, !phases.isEmpty {
            basis = "phases"
            for phase in phases where phase.samples > 0 {
                addPhase(phase, estimator: estimator, table: table, includePerStep: includePerStep, labels: stepLabels)
            }
        } else {
            basis = "totals"
            addTotals(m, estimator: estimator, includePerStep: includePerStep)
        }
        addCores(m, placement: placement, estimator: estimator, chip: table.chip)
        let (minEnergy, maxEnergy) = addSamples(
            m, basis: basis, estimator: estimator, table: table, coresUsed: placement.coresUsed)
        if m.partialSamples > 0 {
            notes.append(
                "\(mode.rawValue): \(m.partialSamples) partial sample(s) flagged; per-sample "
                    + "means use the samples that reached each step")
        }
        summary = makeSummary(
            m, basis: basis, placement: placement, chip: table.chip, minEnergy: minEnergy, maxEnergy: maxEnergy)
    }

    /// The mean step at one position of the sample.
    mutating func addPhase(
        _ phase: PhaseCounts, estimator: EnergyEstimator, table: CostTable, includePerStep: Bool, labels: [String]?
    ) {
        let n = Double(phase.samples)
        let cost = estimator.step(phase.cores, scale: 1 / n)
        perSampleEnergy = perSampleEnergy + cost.energy
        perSampleLatency = perSampleLatency + cost.latency
        modeEnergy = modeEnergy + cost.energy * n
        modeLatency = modeLatency + cost.latency * n
        if let core = cost.criticalCore { histogram[core, default: 0] += phase.samples }
        if includePerStep {
            let mean = phase.cores.reduce(into: CoreStepCounts()) { $0 += $1.counts }
            let label = labels.flatMap { $0.indices.contains(phase.stepInSample) ? $0[phase.stepInSample] : nil }
            steps.append(
                StepEstimate(
                    mode: mode, step: phase.stepInSample, label: label, samples: phase.samples,
                    energyPJ: cost.energyPJ, energyByCategoryPJ: cost.energy, latencyNS: cost.latencyNS,
                    criticalCore: cost.criticalCore, coreWorkNS: cost.latency.coreWork,
                    meshNS: cost.latency.mesh, syncNS: cost.latency.sync,
                    activeCompartments: Double(mean.activeCompartments) / n,
                    synapticOps: Double(mean.synapticOps) / n, spikes: Double(mean.spikesGenerated) / n,
                    plasticSynapseUpdates: Double(
                        table.learningCountMode == .swept
                            ? mean.plasticSynapsesSwept : mean.plasticSynapseUpdatesProcessed) / n))
        }
        phases.append(
            PhaseEstimate(
                stepInSample: phase.stepInSample, samples: phase.samples,
                energyPJ: cost.energyPJ, latencyNS: cost.latencyNS,
                criticalCore: cost.criticalCore, coreWorkNS: cost.latency.coreWork,
                meshNS: cost.latency.mesh, syncNS: cost.latency.sync))
    }

    /// Without per-position counts every step is taken to carry the mean load.
    mutating func addTotals(_ m: ModeCounts, estimator: EnergyEstimator, includePerStep: Bool) {
        let n = Double(m.steps)
        let cost = estimator.step(m.coreTotals, scale: 1 / n)
        let k = Double(m.stepsPerSample)
        perSampleEnergy = cost.energy * k
        perSampleLatency = cost.latency * k
        modeEnergy = cost.energy * n
        modeLatency = cost.latency * n
        if let core = cost.criticalCore { histogram[core, default: 0] += m.steps }
        notes.append(
            "\(mode.rawValue): no per-phase counts; latency assumes every step carries "
                + "the mean load (a lower bound)"
                + (includePerStep ? "; no per-step figures" : ""))
    }

    /// One record per used core of the mode's placement.
    mutating func addCores(_ m: ModeCounts, placement: CoreAllocation, estimator: EnergyEstimator, chip: ChipLayout) {
        let totalsByCore = Dictionary(m.coreTotals.map { ($0.core, $0.counts) }, uniquingKeysWith: { a, _ in a })
        for load in placement.cores {
            let c = totalsByCore[load.core] ?? CoreStepCounts()
            let (x, y) = chip.coordinates(ofTile: chip.tile(ofCore: load.core))
            perCore.append(
                PerCoreEstimate(
                    mode: mode, core: load.core, tile: chip.tile(ofCore: load.core),
                    x: x, y: y, compartments: load.compartments,
                    fixedSynapses: load.fixedSynapses, plasticSynapses: load.plasticSynapses,
                    energyPJ: estimator.coreEnergy(c).total, busyNS: estimator.coreTimeNS(c),
                    timesCritical: histogram[load.core] ?? 0))
        }
    }

    /// Every sample's energy when the counts keep per-sample totals; returns the spread of
    /// the complete ones.
    mutating func addSamples(
        _ m: ModeCounts, basis: String, estimator: EnergyEstimator, table: CostTable, coresUsed: Int
    ) -> (min: Double?, max: Double?) {
        guard let sampleTotals = m.sampleTotals else { return (nil, nil) }
        var minEnergy: Double? = nil
        var maxEnergy: Double? = nil
        var prefixLatency: [Double] = [0]
        for phase in phases { prefixLatency.append(prefixLatency.last! + phase.latencyNS) }
        for sample in sampleTotals {
            let latency =
                basis == "phases"
                ? prefixLatency[min(sample.steps, prefixLatency.count - 1)]
                : perSampleLatency.total * Double(sample.steps) / Double(m.stepsPerSample)
            var e = estimator.coreEnergy(sample.counts)
            e.sync = table.sync.energyPJ * Double(sample.steps)
            e.static = table.staticPower.powerMW(coresUsed: coresUsed) * latency
            let partial = sample.steps < m.stepsPerSample
            samples.append(
                SampleEstimate(
                    index: sample.index, mode: mode, steps: sample.steps, partial: partial,
                    energyPJ: e.total, latencyNS: latency, edpJs: e.total * latency * 1e-21,
                    energyByCategoryPJ: e, counts: sample.counts))
            if !partial {
                minEnergy = min(minEnergy ?? e.total, e.total)
                maxEnergy = max(maxEnergy ?? e.total, e.total)
            }
        }
        return (minEnergy, maxEnergy)
    }

    func makeSummary(
        _ m: ModeCounts, basis: String, placement: CoreAllocation, chip: ChipLayout, minEnergy: Double?,
        maxEnergy: Double?
    ) -> ModeSummary {
        let plasticCores = Set(placement.cores.filter { $0.plasticSynapses > 0 }.map(\.core))
        let epochsOnPlasticCores = m.coreTotals.filter { plasticCores.contains($0.core) }
            .reduce(0) { $0 + $1.counts.learningEpochs }
        let sampleCount = Double(max(m.samples, 1))
        let e = perSampleEnergy.total
        let t = perSampleLatency.total
        return ModeSummary(
            mode: mode, samples: m.samples, partialSamples: m.partialSamples,
            stepsPerSample: m.stepsPerSample, steps: m.steps, latencyBasis: basis,
            meanEnergyPJ: e, minEnergyPJ: minEnergy, maxEnergyPJ: maxEnergy,
            meanEnergyByCategoryPJ: perSampleEnergy, meanLatencyNS: t,
            meanLatencyByTermNS: perSampleLatency, meanEdpJs: e * t * 1e-21,
            meanEdpPJNS: e * t, throughputSamplesPerS: t > 0 ? 1e9 / t : 0,
            energyPJ: modeEnergy.total, energyByCategoryPJ: modeEnergy,
            latencyNS: modeLatency.total, latencyByTermNS: modeLatency,
            learningSweepsPerSample: plasticCores.isEmpty
                ? 0 : Double(epochsOnPlasticCores) / Double(plasticCores.count) / sampleCount,
            coresUsed: placement.coresUsed,
            tilesUsed: placement.tilesUsed(chip),
            compartments: placement.cores.reduce(0) { $0 + $1.compartments },
            plasticSynapses: placement.cores.reduce(0) { $0 + $1.plasticSynapses },
            plasticCores: plasticCores.count,
            maxPlasticSynapsesPerCore: placement.cores.map(\.plasticSynapses).max() ?? 0,
            fixedSynapses: placement.cores.reduce(0) { $0 + $1.fixedSynapses },
            counts: m.chipTotals)
    }
}
