import EnergyModel

/// The fast path for a schedule whose learning engine rounds every update on its own
/// (`NBPLearningGate.synapse` with p < 1), and for a run resumed with copies that drifted.
/// While every update applies (p = 1) the copies of W1 and W2 provably equal them, so it
/// computes with `NBPFastEngine` (and can count energy); from its first epoch with p < 1 on
/// the copies drift, and it computes with `NBPStochasticEngine`, which keeps all eight
/// matrices and draws every update as the chip does. The weights are the same either way.
public final class NBPScheduledEngine: NBPEngine {
    public let sizes: NBPSizes
    let seed: UInt64
    let margin: Int32
    private var exact: NBPFastEngine?
    private var copies: NBPStochasticEngine?
    /// Counts of the exact epochs, kept when the engine moves on to the copies.
    private var finishedCounts: (training: EnergyCounts?, inference: EnergyCounts?) = (nil, nil)
    /// Called with the epoch at which the engine moves on to the copies (counting stops).
    public var willTrackCopies: ((Int) -> Void)?

    /// Starts on the exact fast path.
    public init(weights: NBPWeights, margin: Int, seed: UInt64) throws(NBPError) {
        sizes = weights.sizes
        self.seed = seed
        self.margin = Int32(margin)
        let fast = try NBPFastEngine(weights: weights, variant: .chip, roundingSeed: seed)
        fast.trainingMargin = Int32(margin)
        exact = fast
    }

    /// Starts from all eight matrices (a resumed run).
    public init(matrices: NBPChipMatrices, sizes: NBPSizes, margin: Int, seed: UInt64) {
        self.sizes = sizes
        self.seed = seed
        self.margin = Int32(margin)
        copies = NBPScheduledEngine.copiesEngine(matrices, sizes: sizes, margin: Int32(margin), seed: seed)
    }

    static func copiesEngine(_ matrices: NBPChipMatrices, sizes: NBPSizes, margin: Int32, seed: UInt64)
        -> NBPStochasticEngine
    {
        let engine = NBPStochasticEngine(matrices: matrices, sizes: sizes, seed: seed)
        engine.trainingMargin = margin
        return engine
    }

    private var current: NBPEngine { exact ?? copies! }

    public var weights: NBPWeights { current.weights }

    public func separateCopies() throws(NBPError) -> NBPChipMatrices? { copies?.chipMatrices() }

    public func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule) {
        if let fast = exact, schedule.ruleExponent(epoch: epoch) > 0 {
            willTrackCopies?(epoch)
            finishedCounts = fast.energyCounts
            copies = NBPScheduledEngine.copiesEngine(
                NBPChipMatrices(weights: fast.weights), sizes: sizes, margin: margin, seed: seed)
            exact = nil
        }
        current.beginEpoch(epoch, schedule: schedule)
    }

    public func train(_ sample: NBPSample, gates: NBPSampleGates) -> NBPSampleOutcome {
        current.train(sample, gates: gates)
    }

    public func infer(_ sample: NBPSample) -> NBPSampleOutcome { current.infer(sample) }

    public func recordEnergyCounts() throws { try current.recordEnergyCounts() }

    public var energyCounts: (training: EnergyCounts?, inference: EnergyCounts?) {
        exact?.energyCounts ?? finishedCounts
    }
}
