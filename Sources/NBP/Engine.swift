import EnergyModel

/// An engine trains and evaluates the nBP network one sample at a time. Three exist, one per
/// `NBPBackend`; the trainer and the runner do not care which one runs.
public protocol NBPEngine: AnyObject {
    var sizes: NBPSizes { get }
    /// The trained weights (paper layout).
    var weights: NBPWeights { get }
    /// All eight on-chip matrices when this engine keeps them apart (the chip; the fast path
    /// once per-synapse rounding lets the copies drift); nil when the copies equal W1 / W2 by
    /// construction. Checkpoints store them, so a resumed run continues with the same copies.
    func separateCopies() throws(NBPError) -> NBPChipMatrices?
    /// One training sample (12 phases on the chip) under the host's gates; returns the
    /// forward outcome. With `gates.learns` false the sample runs all 12 phases but learns
    /// nothing; with replay subsets only those inputs (hidden units) re-fire in phases 7 / 11
    /// (5 / 9), so only their synapses learn there.
    func train(_ sample: NBPSample, gates: NBPSampleGates) -> NBPSampleOutcome
    /// One inference sample (4 steps on the chip); no learning.
    func infer(_ sample: NBPSample) -> NBPSampleOutcome
    /// Called before every epoch: the learning-rate schedule's probability for it.
    func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule)
    /// Starts counting the chip circuit's operations (docs/energy.md); throws, naming the
    /// reason, when this engine cannot.
    func recordEnergyCounts() throws
    /// The counts recorded so far: the training document (the 12-phase circuit) and the
    /// inference document (the 4-step circuit, its own placement); nil before any.
    var energyCounts: (training: EnergyCounts?, inference: EnergyCounts?) { get }
}

extension NBPEngine {
    /// A sample with every gate open.
    public func train(_ sample: NBPSample) -> NBPSampleOutcome { train(sample, gates: .open) }

    /// All eight matrices: the separate copies, or W1 / W2 copied where they cannot differ.
    public func allMatrices() throws(NBPError) -> NBPChipMatrices {
        try separateCopies() ?? NBPChipMatrices(weights: weights)
    }

    // Raw-buffer entry points for callers that already hold one (tests); the engines copy
    // the buffer into a sample.
    func train(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome {
        train(NBPSample(active: Array(active), label: label), gates: .open)
    }

    func train(active: UnsafeBufferPointer<Int32>, label: Int, gates: NBPSampleGates) -> NBPSampleOutcome {
        train(NBPSample(active: Array(active), label: label), gates: gates)
    }

    func train(active: UnsafeBufferPointer<Int32>, label: Int, learns: Bool) -> NBPSampleOutcome {
        train(NBPSample(active: Array(active), label: label), gates: NBPSampleGates(learns: learns))
    }

    func infer(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome {
        infer(NBPSample(active: Array(active), label: label))
    }
}

/// Which engine trains a run. `resolve` chooses it once, from the options and the schedule;
/// a run keeps its engine from the first sample to the last.
public enum NBPBackend: String, Sendable, CaseIterable {
    /// `NBPFastEngine`: the circuit's integer arithmetic computed directly (or the authors'
    /// numpy semantics, `--variant reference`). For every run whose updates are all applied
    /// or gated by the host (constant rate, per-sample and replay gates).
    case fast
    /// `NBPScheduledEngine`: the fast path for per-synapse rounding (`--learning-gate
    /// synapse` with a decay, or a resumed run whose copies drifted): `NBPFastEngine` while
    /// p = 1, all eight matrices drawn as the chip draws once p < 1.
    case fastStochastic = "fast-stochastic"
    /// `NBPChipEngine`: the circuit as spikes on the NeuroChip simulator, 12 steps per
    /// training sample; the reference for every other engine.
    case chip

    /// The backend for `engine` with `variant` and `schedule`; `resumedCopies` when the
    /// checkpoint holds eight separate matrices.
    public static func resolve(
        engine: NBPEngineKind, variant: NBPVariant, schedule: NBPLearningSchedule, resumedCopies: Bool
    ) -> NBPBackend {
        if engine == .chip { return .chip }
        let roundsPerSynapse = schedule.gate == .synapse && !schedule.isConstant
        return variant == .chip && (resumedCopies || roundsPerSynapse) ? .fastStochastic : .fast
    }

    /// The engine, from `weights` or (a resumed run) all eight matrices; `threads` is the
    /// chip simulator's (the results do not depend on it).
    public func makeEngine(
        weights: NBPWeights, copies: NBPChipMatrices?, variant: NBPVariant, margin: Int, seed: UInt64,
        schedule: NBPLearningSchedule, threads: Int = 1
    ) throws(NBPError) -> NBPEngine {
        switch self {
        case .fast:
            var parameters = NBPFastParameters(variant: variant)
            parameters.trainingMargin = Int32(margin)
            return try NBPFastEngine(weights: weights, parameters: parameters, roundingSeed: seed)
        case .fastStochastic:
            if let copies {
                return NBPScheduledEngine(matrices: copies, sizes: weights.sizes, margin: margin, seed: seed)
            }
            return try NBPScheduledEngine(weights: weights, margin: margin, seed: seed)
        case .chip:
            return try NBPChipEngine(
                matrices: copies ?? NBPChipMatrices(weights: weights), sizes: weights.sizes, seed: seed,
                margin: margin, replayGate: schedule.vetoesReplay, threads: threads)
        }
    }
}
