import Foundation
import NeuroChip

/// Which chip resources and counts a mode used (docs/energy.md "Comparison with the nBP paper" item 4).
public struct ModeSummary: Codable, Sendable, Equatable {
    public var mode: RunMode
    public var samples: Int
    public var partialSamples: Int
    public var stepsPerSample: Int
    public var steps: Int
    /// "phases" (mean step per position in the sample) or "totals" (mean step overall).
    public var latencyBasis: String
    public var meanEnergyPJ: Double
    /// Spread over samples (only when the counts file keeps per-sample totals).
    public var minEnergyPJ: Double?
    public var maxEnergyPJ: Double?
    public var meanEnergyByCategoryPJ: EnergyByCategory
    public var meanLatencyNS: Double
    public var meanLatencyByTermNS: LatencyByTerm
    /// mean(E) x mean(T) (docs/energy.md "The model"), J·s and pJ·ns.
    public var meanEdpJs: Double
    public var meanEdpPJNS: Double
    public var throughputSamplesPerS: Double
    /// Totals over all steps of this mode.
    public var energyPJ: Double
    public var energyByCategoryPJ: EnergyByCategory
    public var latencyNS: Double
    public var latencyByTermNS: LatencyByTerm
    /// Learning epochs per sample on a core that holds plastic synapses (12 expected
    /// for nBP training, docs/energy.md "Comparison with the nBP paper" item 2).
    public var learningSweepsPerSample: Double
    public var coresUsed: Int
    public var tilesUsed: Int
    public var compartments: Int
    public var plasticSynapses: Int
    /// Cores holding plastic synapses, and the most any one of them holds.
    public var plasticCores: Int
    public var maxPlasticSynapsesPerCore: Int
    public var fixedSynapses: Int
    /// Chip-wide totals of every docs/energy.md "Counted quantities" count for this mode.
    public var counts: CoreStepCounts
}

/// One sample's energy (docs/energy.md "Report" `samples`); its latency is the sum of the mean step
/// latencies of the positions it covered.
public struct SampleEstimate: Codable, Sendable, Equatable {
    public var index: Int
    public var mode: RunMode
    public var steps: Int
    public var partial: Bool
    public var energyPJ: Double
    public var latencyNS: Double
    public var edpJs: Double
    public var energyByCategoryPJ: EnergyByCategory
    public var counts: CoreStepCounts
}

/// Cost of the mean step at one position inside the sample.
public struct PhaseEstimate: Codable, Sendable, Equatable {
    public var stepInSample: Int
    public var samples: Int
    public var energyPJ: Double
    public var latencyNS: Double
    public var criticalCore: Int?
    public var coreWorkNS: Double
    public var meshNS: Double
    public var syncNS: Double
}

/// One time step of the mean sample (docs/energy.md "Report" `perStep`, with `--per-step`): the counts of
/// every sample at this position, averaged, priced with docs/energy.md "Latency and energy per step". Energy is exact
/// for the mean
/// sample (linear in the counts); latency is exact when each sample's critical core
/// carries the same load at this position (see docs/energy.md).
public struct StepEstimate: Codable, Sendable, Equatable {
    public var mode: RunMode
    /// Position in the sample, 0 ..< stepsPerSample.
    public var step: Int
    /// What the step does (nBP phase names when the counts name the nBP reference).
    public var label: String?
    public var samples: Int
    public var energyPJ: Double
    public var energyByCategoryPJ: EnergyByCategory
    public var latencyNS: Double
    public var criticalCore: Int?
    public var coreWorkNS: Double
    public var meshNS: Double
    public var syncNS: Double
    /// Chip-wide counts of the mean step.
    public var activeCompartments: Double
    public var synapticOps: Double
    public var spikes: Double
    public var plasticSynapseUpdates: Double
}

/// One used core over all steps of one mode (docs/energy.md "Report" `perCore`).
public struct PerCoreEstimate: Codable, Sendable, Equatable {
    public var mode: RunMode
    public var core: Int
    public var tile: Int
    public var x: Int
    public var y: Int
    public var compartments: Int
    public var fixedSynapses: Int
    public var plasticSynapses: Int
    public var energyPJ: Double
    public var busyNS: Double
    /// Steps in which this core was the critical core (phase-weighted).
    public var timesCritical: Int
}

/// Whole-run figures (docs/energy.md "Report" `run`).
public struct RunEstimate: Codable, Sendable, Equatable {
    public var steps: Int
    public var energyPJ: Double
    public var latencyNS: Double
    public var edpJs: Double
    public var edpPJNS: Double
    public var energyByCategoryPJ: EnergyByCategory
    public var latencyByTermNS: LatencyByTerm
    public var counts: CoreStepCounts
}

/// Cores and tiles of the file-level placement (each mode's own are in its summary).
public struct ChipUsage: Codable, Sendable, Equatable {
    public var coresUsed: Int
    public var tilesUsed: Int
    /// core index (as a string key) -> steps in which it was critical, all modes.
    public var criticalCoreHistogram: [String: Int]
}

/// The energy report of one run under one cost table (docs/energy.md "Report").
public struct EnergyReport: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var preset: String
    public var costTable: CostTable
    public var placement: CoreAllocation
    public var chip: ChipUsage
    public var run: RunEstimate
    public var summaryByMode: [String: ModeSummary]
    /// Per-sample figures, when the counts file keeps per-sample totals.
    public var samples: [SampleEstimate]
    /// Stand-in for docs/energy.md "Report" `perStep`: counts files keep totals per step position.
    public var perPhase: [String: [PhaseEstimate]]
    /// docs/energy.md "Report" `perStep` per mode, only when asked for (`includePerStep`); absent otherwise.
    public var perStep: [String: [StepEstimate]]?
    public var perCore: [PerCoreEstimate]
    public var comparison: [ReferenceComparison]
    /// Caveats that apply to these numbers.
    public var notes: [String]

    public func summary(_ mode: RunMode) -> ModeSummary? { summaryByMode[mode.rawValue] }

    /// Builds the report: every docs/energy.md "Latency and energy per step" formula applied to the counts.
    /// `reference` overrides the counts file's own (`"nbp"` or `"none"`).
    /// `includePerStep` adds `perStep` (the mean sample's steps with their energy split).
    public init(counts: EnergyCounts, table: CostTable, reference: String? = nil, includePerStep: Bool = false) {
        let chipGeometry = table.chip
        var histogram: [Int: Int] = [:]
        var perCoreEstimates: [PerCoreEstimate] = []
        var summaries: [String: ModeSummary] = [:]
        var phasesByMode: [String: [PhaseEstimate]] = [:]
        var runEnergy = EnergyByCategory()
        var runLatency = LatencyByTerm()
        var runCounts = CoreStepCounts()
        var runSteps = 0
        var notes: [String] = []
        var sampleEstimates: [SampleEstimate] = []
        var stepsByMode: [String: [StepEstimate]] = [:]
        let referenceName = reference ?? counts.reference
        let nbpLabels = referenceName.map(NBPReference.matches) ?? false

        for mode in RunMode.allCases {
            guard let m = counts.counts(for: mode), m.steps > 0 else { continue }
            // Training and inference may run different circuits with their own placement.
            let modePlacement = counts.placement(for: mode)
            let estimator = EnergyEstimator(table: table, placement: modePlacement)
            var modeHistogram: [Int: Int] = [:]
            let plasticCores = Set(
                modePlacement.cores.filter { $0.plasticSynapses > 0 }.map(\.core))
            var perSampleEnergy = EnergyByCategory()
            var perSampleLatency = LatencyByTerm()
            var modeEnergy = EnergyByCategory()
            var modeLatency = LatencyByTerm()
            var phaseEstimates: [PhaseEstimate] = []
            let basis: String
            if let phases = m.phases, !phases.isEmpty {
                basis = "phases"
                let stepLabels =
                    includePerStep && nbpLabels
                    ? NBPReference.stepLabels(mode: mode, stepsPerSample: m.stepsPerSample) : nil
                for phase in phases where phase.samples > 0 {
                    let n = Double(phase.samples)
                    let cost = estimator.step(phase.cores, scale: 1 / n)
                    perSampleEnergy = perSampleEnergy + cost.energy
                    perSampleLatency = perSampleLatency + cost.latency
                    modeEnergy = modeEnergy + cost.energy * n
                    modeLatency = modeLatency + cost.latency * n
                    if let core = cost.criticalCore {
                        modeHistogram[core, default: 0] += phase.samples
                    }
                    if includePerStep {
                        let mean = phase.cores.reduce(into: CoreStepCounts()) { $0 += $1.counts }
                        let label = stepLabels.flatMap {
                            $0.indices.contains(phase.stepInSample) ? $0[phase.stepInSample] : nil
                        }
                        stepsByMode[mode.rawValue, default: []].append(
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
                    phaseEstimates.append(
                        PhaseEstimate(
                            stepInSample: phase.stepInSample, samples: phase.samples,
                            energyPJ: cost.energyPJ, latencyNS: cost.latencyNS,
                            criticalCore: cost.criticalCore, coreWorkNS: cost.latency.coreWork,
                            meshNS: cost.latency.mesh, syncNS: cost.latency.sync))
                }
            } else {
                basis = "totals"
                let n = Double(m.steps)
                let cost = estimator.step(m.coreTotals, scale: 1 / n)
                let k = Double(m.stepsPerSample)
                perSampleEnergy = cost.energy * k
                perSampleLatency = cost.latency * k
                modeEnergy = cost.energy * n
                modeLatency = cost.latency * n
                if let core = cost.criticalCore { modeHistogram[core, default: 0] += m.steps }
                notes.append(
                    "\(mode.rawValue): no per-phase counts; latency assumes every step carries "
                        + "the mean load (a lower bound)"
                        + (includePerStep ? "; no per-step figures" : ""))
            }
            let totalsByCore = Dictionary(
                m.coreTotals.map { ($0.core, $0.counts) }, uniquingKeysWith: { a, _ in a })
            for load in modePlacement.cores {
                let c = totalsByCore[load.core] ?? CoreStepCounts()
                let (x, y) = chipGeometry.coordinates(ofTile: chipGeometry.tile(ofCore: load.core))
                perCoreEstimates.append(
                    PerCoreEstimate(
                        mode: mode, core: load.core, tile: chipGeometry.tile(ofCore: load.core),
                        x: x, y: y, compartments: load.compartments,
                        fixedSynapses: load.fixedSynapses, plasticSynapses: load.plasticSynapses,
                        energyPJ: estimator.coreEnergy(c).total, busyNS: estimator.coreTimeNS(c),
                        timesCritical: modeHistogram[load.core] ?? 0))
            }
            histogram.merge(modeHistogram, uniquingKeysWith: +)
            let total = m.chipTotals
            var minEnergy: Double? = nil
            var maxEnergy: Double? = nil
            if let samples = m.sampleTotals {
                var prefixLatency: [Double] = [0]
                for phase in phaseEstimates {
                    prefixLatency.append(prefixLatency.last! + phase.latencyNS)
                }
                for sample in samples {
                    let latency =
                        basis == "phases"
                        ? prefixLatency[min(sample.steps, prefixLatency.count - 1)]
                        : perSampleLatency.total * Double(sample.steps) / Double(m.stepsPerSample)
                    var e = estimator.coreEnergy(sample.counts)
                    e.sync = table.sync.energyPJ * Double(sample.steps)
                    e.static =
                        table.staticPower.powerMW(coresUsed: modePlacement.coresUsed) * latency
                    let partial = sample.steps < m.stepsPerSample
                    sampleEstimates.append(
                        SampleEstimate(
                            index: sample.index, mode: mode, steps: sample.steps, partial: partial,
                            energyPJ: e.total, latencyNS: latency, edpJs: e.total * latency * 1e-21,
                            energyByCategoryPJ: e, counts: sample.counts))
                    if !partial {
                        minEnergy = min(minEnergy ?? e.total, e.total)
                        maxEnergy = max(maxEnergy ?? e.total, e.total)
                    }
                }
            }
            let epochsOnPlasticCores = m.coreTotals.filter { plasticCores.contains($0.core) }
                .reduce(0) { $0 + $1.counts.learningEpochs }
            let sampleCount = Double(max(m.samples, 1))
            let e = perSampleEnergy.total
            let t = perSampleLatency.total
            if m.partialSamples > 0 {
                notes.append(
                    "\(mode.rawValue): \(m.partialSamples) partial sample(s) flagged; per-sample "
                        + "means use the samples that reached each step")
            }
            summaries[mode.rawValue] = ModeSummary(
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
                coresUsed: modePlacement.coresUsed,
                tilesUsed: modePlacement.tilesUsed(chipGeometry),
                compartments: modePlacement.cores.reduce(0) { $0 + $1.compartments },
                plasticSynapses: modePlacement.cores.reduce(0) { $0 + $1.plasticSynapses },
                plasticCores: plasticCores.count,
                maxPlasticSynapsesPerCore: modePlacement.cores.map(\.plasticSynapses).max() ?? 0,
                fixedSynapses: modePlacement.cores.reduce(0) { $0 + $1.fixedSynapses },
                counts: total)
            phasesByMode[mode.rawValue] = phaseEstimates
            runEnergy = runEnergy + modeEnergy
            runLatency = runLatency + modeLatency
            runCounts += total
            runSteps += m.steps
        }

        schemaVersion = 1
        preset = table.name
        costTable = table
        placement = counts.placement
        chip = ChipUsage(
            coresUsed: counts.placement.coresUsed,
            tilesUsed: counts.placement.tilesUsed(chipGeometry),
            criticalCoreHistogram: Dictionary(
                uniqueKeysWithValues: histogram.map { (String($0.key), $0.value) }))
        run = RunEstimate(
            steps: runSteps, energyPJ: runEnergy.total, latencyNS: runLatency.total,
            edpJs: runEnergy.total * runLatency.total * 1e-21,
            edpPJNS: runEnergy.total * runLatency.total, energyByCategoryPJ: runEnergy,
            latencyByTermNS: runLatency, counts: runCounts)
        summaryByMode = summaries
        samples = sampleEstimates
        perPhase = phasesByMode
        perStep = includePerStep ? stepsByMode : nil
        perCore = perCoreEstimates
        if let referenceName, NBPReference.matches(referenceName) {
            comparison = RunMode.allCases.compactMap { mode in
                summaries[mode.rawValue].map { NBPReference.compare($0, table: table) }
            }
        } else {
            comparison = []
        }
        if table.staticPower.powerMW(coresUsed: 1) == 0 {
            notes.append("static power is off in this table: energies are dynamic only")
        }
        self.notes = notes
    }

    /// Key-sorted pretty JSON of the whole report (docs/energy.md "Report").
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// One line per run for training / inference commands on the chip engine.
    public var summaryLine: String {
        let parts = RunMode.allCases.compactMap { mode -> String? in
            guard let s = summary(mode) else { return nil }
            return "\(mode.rawValue) \(UnitFormat.energy(s.meanEnergyPJ))/sample, "
                + "\(UnitFormat.time(s.meanLatencyNS))/sample, EDP "
                + "\(UnitFormat.scientific(s.meanEdpJs)) J·s"
        }
        return "energy [\(preset)]: " + parts.joined(separator: "; ")
    }
}
