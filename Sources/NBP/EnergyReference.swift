import EnergyModel
import NeuroChip

/// Published Loihi figures for nBP 400-400-10 on MNIST (Renner et al., Nature
/// Communications 15:9691, 2024, Table 1), the rules that explain a gap to them
/// (docs/energy.md, "Comparison with the nBP paper"), and the names of the circuit's steps
/// for per-step reports, at any depth (`NBPPhaseSchedule`).
public struct NBPEnergyReference: EnergyReference {
    public init() {}

    public var name: String { NBPEnergyReference.name }

    public static let name = "nBP Table 1"
    public static let trainingEnergyPJ = 0.59e9  // 0.59 mJ
    public static let trainingLatencyNS = 1.5e6  // 1.5 ms
    public static let inferenceEnergyPJ = 2.5e6  // 2.5 µJ
    public static let inferenceLatencyNS = 0.17e6  // 0.17 ms
    /// docs/energy.md "Comparison with the nBP paper": within a factor of 1.5.
    public static let tolerance = 1.5
    /// docs/energy.md "Comparison with the nBP paper": the authors spread the learning populations over about 80 cores.
    public static let authorsLearningCores = 80

    /// Whether a counts file's `reference` names these figures.
    public static func matches(_ name: String) -> Bool {
        ["nbp", "nbp-400-400-10", "nbp table 1"].contains(name.lowercased())
    }

    public static func paper(_ mode: RunMode) -> (energyPJ: Double, latencyNS: Double) {
        mode == .training
            ? (trainingEnergyPJ, trainingLatencyNS) : (inferenceEnergyPJ, inferenceLatencyNS)
    }

    static func within(_ ratio: Double) -> Bool { ReferenceComparison.within(ratio, tolerance) }

    /// The circuit's phases of the depth whose samples have `stepsPerSample` steps in `mode`
    /// (one hidden layer: 12 training, 4 inference steps); nil for any other count.
    public func stepLabels(mode: RunMode, stepsPerSample: Int) -> [String]? {
        guard let schedule = NBPPhaseSchedule(mode: mode, stepsPerSample: stepsPerSample) else { return nil }
        return mode == .training ? schedule.trainingStepLabels : schedule.inferenceStepLabels
    }

    /// Compares a mode's per-sample estimate with the paper and names the terms that explain
    /// a ratio outside the tolerance.
    public func compare(_ s: ModeSummary, table: CostTable) -> ReferenceComparison {
        typealias R = NBPEnergyReference
        let paper = R.paper(s.mode)
        let (paperE, paperT) = paper
        let eRatio = s.meanEnergyPJ / paperE
        let tRatio = s.meanLatencyNS / paperT
        let perSample = Double(max(s.samples, 1))
        var gaps: [GapTerm] = []
        if !R.within(eRatio) {
            if s.mode == .training {
                let expected = Double(s.stepsPerSample)
                gaps.append(
                    GapTerm(
                        name: "learningSweepFrequency",
                        estimatePJ: s.meanEnergyByCategoryPJ.learning,
                        estimateNS: nil,
                        note: "measured \(UnitFormat.plain(s.learningSweepsPerSample)) learning "
                            + "sweeps per sample per plastic core (\(Int(expected)) expected); "
                            + "\(UnitFormat.grouped(Double(s.counts.plasticSynapsesSwept) / perSample)) "
                            + "plastic synapses swept per sample under "
                            + "'\(table.learningCountMode.rawValue)'"))
            }
            if eRatio < 1 {
                // docs/energy.md "Comparison with the nBP paper" power check: a static power shared by both modes is
                // below the
                // inference average power, so it can close at most that much.
                let missing = paperE - s.meanEnergyPJ
                let neededMW = missing / paperT
                let boundMW = R.inferenceEnergyPJ / R.inferenceLatencyNS
                gaps.append(
                    GapTerm(
                        name: "staticPower", estimatePJ: missing, estimateNS: nil,
                        note:
                            "not in the table (\(UnitFormat.plain(table.staticPower.powerMW(coresUsed: s.coresUsed))) mW); "
                            + "closing the gap needs \(UnitFormat.plain(neededMW)) mW over the "
                            + "paper's \(UnitFormat.time(paperT)) (the power check of docs/energy.md, \"Comparison with the nBP paper\", allows at "
                            + "most ~\(UnitFormat.plain(boundMW)) mW)"))
                gaps.append(
                    GapTerm(
                        name: "hostIO", estimatePJ: nil, estimateNS: nil,
                        note:
                            "\(UnitFormat.plain(Double(s.counts.hostMessagesIn + s.counts.hostMessagesOut) / perSample)) "
                            + "host messages per sample (input and readout) cost 0 in the "
                            + "presets; their energy is not known"))
            } else {
                let byCategory = zip(EnergyByCategory.names, s.meanEnergyByCategoryPJ.values)
                    .max { $0.1 < $1.1 }
                if let (category, value) = byCategory {
                    gaps.append(
                        GapTerm(
                            name: "dominantCategory:\(category)", estimatePJ: value,
                            estimateNS: nil,
                            note: "largest modelled term per sample; the model exceeds the "
                                + "paper's \(UnitFormat.energy(paperE)) by "
                                + UnitFormat.energy(s.meanEnergyPJ - paperE)))
                }
            }
        }
        if !R.within(tRatio) {
            let stepsPerSample = Double(max(s.stepsPerSample, 1))
            if tRatio < 1 {
                gaps.append(
                    GapTerm(
                        name: "hostAndManagement", estimatePJ: nil,
                        estimateNS: paperT - s.meanLatencyNS,
                        note: "host / embedded-CPU I/O and per-step management are not "
                            + "modelled; the paper implies "
                            + "\(UnitFormat.time(paperT / stepsPerSample)) per step, the model "
                            + UnitFormat.time(s.meanLatencyNS / stepsPerSample)))
            } else {
                // The busiest core sets the step time; in training that is the core holding
                // the largest share of the plastic synapses, swept every step.
                let sweepNS =
                    Double(s.maxPlasticSynapsesPerCore) * table.costs.plasticSynapseUpdate.timeNS
                let spreadNS =
                    Double(s.plasticSynapses) / Double(R.authorsLearningCores)
                    * table.costs.plasticSynapseUpdate.timeNS
                gaps.append(
                    GapTerm(
                        name: "criticalCoreLoad", estimatePJ: nil,
                        estimateNS: s.meanLatencyNS - paperT,
                        note: "the busiest core's work sets every step (coreWork "
                            + "\(UnitFormat.time(s.meanLatencyByTermNS.coreWork)) per sample); the "
                            + "placement puts up to \(UnitFormat.grouped(Double(s.maxPlasticSynapsesPerCore))) "
                            + "plastic synapses on one core (\(UnitFormat.time(sweepNS)) of sweep per "
                            + "step) over \(s.plasticCores) plastic cores; spread over "
                            + "~\(R.authorsLearningCores) cores as the authors did (docs/energy.md, \"Comparison with the nBP paper\") that sweep "
                            + "would take \(UnitFormat.time(spreadNS)) per step"))
            }
        }
        return ReferenceComparison(
            reference: R.name, mode: s.mode, paper: paper, model: (s.meanEnergyPJ, s.meanLatencyNS),
            tolerance: R.tolerance, gapTerms: gaps)
    }
}
