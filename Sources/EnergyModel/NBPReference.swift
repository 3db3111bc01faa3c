/// One unmodelled or differing term that explains a gap to a published figure.
public struct GapTerm: Codable, Sendable, Equatable {
    public var name: String
    public var estimatePJ: Double?
    public var estimateNS: Double?
    public var note: String
}

/// Model versus paper for one mode (docs/energy.md "Report" `comparison`).
public struct ReferenceComparison: Codable, Sendable, Equatable {
    public var reference: String
    public var mode: RunMode
    public var paperEnergyPJ: Double
    public var paperLatencyNS: Double
    public var modelEnergyPJ: Double
    public var modelLatencyNS: Double
    /// model / paper.
    public var energyRatio: Double
    public var latencyRatio: Double
    public var tolerance: Double
    public var energyWithinTolerance: Bool
    public var latencyWithinTolerance: Bool
    public var withinTolerance: Bool
    public var gapTerms: [GapTerm]

    /// "PASS" or "GAP: ..." for the text report (docs/energy.md "Report" last line).
    public var verdict: String {
        withinTolerance
            ? "PASS" : "GAP: " + gapTerms.map(\.name).joined(separator: ", ")
    }
}

/// Published Loihi figures for nBP 400-400-10 on MNIST (docs/energy.md "Comparison with the nBP paper": Renner et
/// al., Nature Communications 15:9691, 2024, Table 1) and the docs/energy.md "Comparison with the nBP paper" comparison
/// rules.
public enum NBPReference {
    public static let name = "nBP Table 1"
    public static let trainingEnergyPJ = 0.59e9  // 0.59 mJ
    public static let trainingLatencyNS = 1.5e6  // 1.5 ms
    public static let inferenceEnergyPJ = 2.5e6  // 2.5 µJ
    public static let inferenceLatencyNS = 0.17e6  // 0.17 ms
    /// docs/energy.md "Comparison with the nBP paper": within a factor of 1.5.
    public static let tolerance = 1.5
    /// docs/energy.md "Comparison with the nBP paper": steps per sample of the circuit (one step per phase).
    public static let trainingStepsPerSample = 12
    public static let inferenceStepsPerSample = 4
    /// docs/energy.md "Comparison with the nBP paper": the authors spread the learning populations over about 80 cores.
    public static let authorsLearningCores = 80

    /// What each step of an nBP sample does (docs/nbp.md "Timing"), for per-step reports.
    /// Step 0 is the step before phase 1: the input spikes are sent and g01 fires, while
    /// g00's inhibition closes the previous sample (its phase 12).
    public static func stepLabels(mode: RunMode, stepsPerSample: Int) -> [String]? {
        switch (mode, stepsPerSample) {
        case (.training, 12):
            return [
                "phase 12/0: input spikes sent; outputs cleared",
                "phase 1: x fires (input layer)",
                "phase 2: hidden h, hm, hp",
                "phase 3: outputs o, om, op; target t; h stored",
                "phase 4: output errors d+, d-",
                "phase 5: W2, W2Tp += 2; M += 2 (reward)",
                "phase 6: backward pass g+ (h1T); b; x stored",
                "phase 7: W1 += 2 (reward)",
                "phase 8: clean-up (hidden inhibited)",
                "phase 9: W2, W2Tp -= 2; M -= 2",
                "phase 10: backward pass g- (h1T)",
                "phase 11: W1 -= 2",
            ]
        case (.inference, 4):
            return [
                "phase 4/0: input spikes sent", "phase 1: x fires", "phase 2: hidden h", "phase 3: output o",
            ]
        default:
            return nil
        }
    }

    static func matches(_ name: String) -> Bool {
        ["nbp", "nbp-400-400-10", "nbp table 1"].contains(name.lowercased())
    }

    public static func paper(_ mode: RunMode) -> (energyPJ: Double, latencyNS: Double) {
        mode == .training
            ? (trainingEnergyPJ, trainingLatencyNS) : (inferenceEnergyPJ, inferenceLatencyNS)
    }

    static func within(_ ratio: Double) -> Bool {
        ratio >= 1 / tolerance && ratio <= tolerance
    }

    /// Compares a mode's per-sample estimate with the paper and names the gap terms of
    /// docs/energy.md "Comparison with the nBP paper" when a ratio is outside the tolerance.
    public static func compare(_ s: ModeSummary, table: CostTable) -> ReferenceComparison {
        let (paperE, paperT) = paper(s.mode)
        let eRatio = s.meanEnergyPJ / paperE
        let tRatio = s.meanLatencyNS / paperT
        let perSample = Double(max(s.samples, 1))
        var gaps: [GapTerm] = []
        if !within(eRatio) {
            if s.mode == .training {
                let expected = Double(trainingStepsPerSample)
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
                let boundMW = inferenceEnergyPJ / inferenceLatencyNS
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
        if !within(tRatio) {
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
                    Double(s.plasticSynapses) / Double(authorsLearningCores)
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
                            + "~\(authorsLearningCores) cores as the authors did (docs/energy.md, \"Comparison with the nBP paper\") that sweep "
                            + "would take \(UnitFormat.time(spreadNS)) per step"))
            }
        }
        return ReferenceComparison(
            reference: name, mode: s.mode, paperEnergyPJ: paperE, paperLatencyNS: paperT,
            modelEnergyPJ: s.meanEnergyPJ, modelLatencyNS: s.meanLatencyNS, energyRatio: eRatio,
            latencyRatio: tRatio, tolerance: tolerance, energyWithinTolerance: within(eRatio),
            latencyWithinTolerance: within(tRatio),
            withinTolerance: within(eRatio) && within(tRatio),
            gapTerms: gaps)
    }
}
