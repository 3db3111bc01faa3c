/// What a run with more than one hidden layer trains (docs/nbp.md, "Deeper networks"): the
/// fast path (`NBPDeepEngine`), or the circuit on the chip (`NBPChipEngine`); with
/// `--compare-fast` the fast path trains alongside the chip and every plastic matrix of the
/// chip (W_l, its copies, W_lTp, M_l) is compared with it after every sample. The chip
/// counts its operations for the energy report, as with one hidden layer.
final class NBPDeepRunEngine {
    let fast: NBPDeepEngine?
    let chip: NBPChipEngine?
    let log: (String) -> Void
    /// The network's layer sizes.
    let sizes: NBPLayerSizes
    /// Samples after which a chip matrix or the output differed from the fast path.
    private(set) var mismatches = 0

    init(options: NBPTrainOptions, weights: NBPDeepWeights, log: @escaping (String) -> Void) throws {
        self.log = log
        sizes = weights.sizes
        if options.engine == .chip {
            let chip = try NBPChipEngine(
                deepWeights: weights, seed: options.seed, margin: options.margin, threads: options.threads)
            chip.recordsEnergy = true
            self.chip = chip
            fast = options.compareFast ? NBPDeepEngine(weights: weights, margin: options.margin) : nil
        } else {
            if options.energyCounts {
                throw NBPError.invalidOption(
                    "--energy-counts with more than one hidden layer needs --engine chip: the fast path derives the "
                        + "counts of the one-hidden-layer circuit only (docs/nbp.md, \"Deeper networks\")")
            }
            chip = nil
            fast = NBPDeepEngine(weights: weights, margin: options.margin)
        }
    }

    /// `weight_mismatches` of the run's JSON (with `--engine chip --compare-fast` only).
    var weightMismatches: Int? { chip != nil && fast != nil ? mismatches : nil }
    /// `gate_violations` (with `--engine chip`).
    var gateViolations: Int? { chip?.gateViolations }

    func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule) { chip?.beginEpoch(epoch, schedule: schedule) }

    /// One training sample (`where`: epoch and position, for the first mismatch's report).
    func train(_ sample: NBPSample, gates: NBPSampleGates, where position: (epoch: Int, position: Int)) throws
        -> NBPSampleOutcome
    {
        guard let chip else { return fast!.train(sample, gates: gates) }
        let outcome = chip.train(sample, gates: gates)
        guard let fast else { return outcome }
        let expected = fast.train(sample, gates: gates)
        let chipMatrices = try chip.plasticMatrices()
        let fastMatrices = NBPCircuit.chipMatrices(fast.weights)
        let differing = fastMatrices.keys.sorted().filter { chipMatrices[$0] != fastMatrices[$0] }
        if differing.isEmpty && outcome.outputBits == expected.outputBits { return outcome }
        if mismatches == 0 {
            log(
                "first mismatch: epoch \(position.epoch), position \(position.position); matrices \(differing), "
                    + "output bits chip \(outcome.outputBits) fast \(expected.outputBits)")
        }
        mismatches += 1
        return outcome
    }

    func evaluate(_ set: NBPEncodedSet) -> NBPAccuracy {
        if let chip { return NBPTrainer.evaluate(engine: chip, set: set) }
        return fast!.evaluate(set)
    }

    /// `energy_counts.json` and `energy_counts_inference.json` of the chip's run (docs/energy.md).
    func writeEnergyCounts(to directory: String) throws { try chip?.writeEnergyCounts(to: directory) }

    func weights() throws -> NBPDeepWeights { try chip?.deepWeights() ?? fast!.weights }
}
