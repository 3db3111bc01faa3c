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
    /// What the step does, when the report's reference names the steps.
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

    /// Builds the report: every docs/energy.md "Latency and energy per step" formula applied to the counts. `reference` gives the
    /// published figures to compare with and the names of the steps (nil: no comparison, no
    /// names); the counts file names the one it was recorded for (`EnergyCounts.reference`),
    /// and the caller resolves that name. `includePerStep` adds `perStep` (the mean sample's
    /// steps with their energy split).
    public init(
        counts: EnergyCounts, table: CostTable, reference: (any EnergyReference)? = nil, includePerStep: Bool = false
    ) {
        var histogram: [Int: Int] = [:]
        var perCoreEstimates: [PerCoreEstimate] = []
        var summaries: [String: ModeSummary] = [:]
        var phasesByMode: [String: [PhaseEstimate]] = [:]
        var stepsByMode: [String: [StepEstimate]] = [:]
        var sampleEstimates: [SampleEstimate] = []
        var runEnergy = EnergyByCategory()
        var runLatency = LatencyByTerm()
        var runCounts = CoreStepCounts()
        var runSteps = 0
        var notes: [String] = []
        for mode in RunMode.allCases {
            guard let m = counts.counts(for: mode), m.steps > 0 else { continue }
            // Training and inference may run different circuits with their own placement.
            let labels = includePerStep ? reference?.stepLabels(mode: mode, stepsPerSample: m.stepsPerSample) : nil
            let estimate = ModeEstimate(
                mode: mode, counts: m, placement: counts.placement(for: mode), table: table,
                includePerStep: includePerStep, stepLabels: labels)
            summaries[mode.rawValue] = estimate.summary
            phasesByMode[mode.rawValue] = estimate.phases
            if !estimate.steps.isEmpty { stepsByMode[mode.rawValue] = estimate.steps }
            perCoreEstimates += estimate.perCore
            sampleEstimates += estimate.samples
            histogram.merge(estimate.histogram, uniquingKeysWith: +)
            notes += estimate.notes
            runEnergy = runEnergy + estimate.modeEnergy
            runLatency = runLatency + estimate.modeLatency
            runCounts += m.chipTotals
            runSteps += m.steps
        }
        let chipGeometry = table.chip

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
        comparison = RunMode.allCases.compactMap { mode in
            reference.flatMap { reference in summaries[mode.rawValue].map { reference.compare($0, table: table) } }
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
