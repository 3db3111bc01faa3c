import Foundation

/// An engine that trains and evaluates the nBP network one sample at a time: the fast
/// path (`NBPFastEngine`) or the circuit on the chip simulator (`NBPChipEngine`).
public protocol NBPEngine: AnyObject {
    var sizes: NBPSizes { get }
    /// The trained weights (paper layout).
    var weights: NBPWeights { get }
    /// One training sample (12 phases on the chip); returns the forward outcome.
    func train(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome
    /// One training sample whose learning gate is open (`learns`) or closed: closed, the
    /// chip's `in_skip` generator vetoes the output error (d+, d-) in phase 4, so the sample
    /// runs all 12 phases but nothing learns, exactly as for a sample without error.
    func train(active: UnsafeBufferPointer<Int32>, label: Int, learns: Bool) -> NBPSampleOutcome
    /// One inference sample (4 steps on the chip); no learning.
    func infer(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome
    /// Called before every epoch so the engine can apply the learning-rate schedule.
    func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule)
}

extension NBPEngine {
    /// Engines that compute the outcome directly: a closed learning gate leaves only the
    /// forward pass, which is what `infer` computes. (The chip engine runs the gate's spikes.)
    public func train(active: UnsafeBufferPointer<Int32>, label: Int, learns: Bool) -> NBPSampleOutcome {
        learns ? train(active: active, label: label) : infer(active: active, label: label)
    }
}

extension NBPFastEngine: NBPEngine {
    public func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule) {
        setUpdateProbability(numerator: schedule.ruleProbabilityNumerator(epoch: epoch))
    }
}

/// How a learning-rate schedule's probability p is realised on the chip.
public enum NBPLearningGate: String, Codable, Equatable, Sendable, CaseIterable {
    /// Every ±2 event on every synapse is rounded on its own by the learning engine (rule
    /// `dw = 2^(2-k)*x0*y0*r1 - 2^(1-k)*x0*y0`): the copies of W1 / W2 draw independently
    /// and drift apart.
    case synapse
    /// One draw per training sample: with probability 1 - p the `in_skip` generator vetoes
    /// the sample's output error, so no synapse learns from it; otherwise the paper's rule
    /// applies in full. All copies stay identical (nbp.md, "Learning-rate schedule").
    case sample
}

/// The learning-rate schedule (docs/nbp.md): every ±2 event is applied with probability
/// `p(epoch)`; the chip realises it as `dw = p * (4*x0*y0*r1 - 2*x0*y0)`, whose value ±2p
/// the learning engine rounds stochastically to ±2 or 0 (loihi-model.md §3). `p` is a
/// power of two so that the rule's constant is representable.
public struct NBPLearningSchedule: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Exponent k0 of the starting probability p = 2^-k0 (0: every event applied).
    public var initialExponent: Int
    /// Epochs (1-based) trained at the starting probability before the first halving.
    public var constantEpochs: Int
    /// After that, p halves every `halvingEvery` epochs (0 = never: a constant rate).
    public var halvingEvery: Int
    /// Largest exponent: p never drops below 2^-maximumExponent.
    public var maximumExponent: Int
    /// Per-synapse stochastic rounding or a per-sample learning gate.
    public var gate: NBPLearningGate

    public init(
        initialExponent: Int = 0, constantEpochs: Int = 0, halvingEvery: Int = 0, maximumExponent: Int = 8,
        gate: NBPLearningGate = .synapse
    ) {
        self.initialExponent = initialExponent
        self.constantEpochs = constantEpochs
        self.halvingEvery = halvingEvery
        self.maximumExponent = maximumExponent
        self.gate = gate
    }

    /// Exponent the learning engine's rule uses in an epoch (0 when the gate is per sample:
    /// the rule stays the paper's and the sample gate lowers the rate instead).
    public func ruleExponent(epoch: Int) -> Int { gate == .synapse ? exponent(epoch: epoch) : 0 }

    /// Probability (numerator over 2^16) that the learning engine applies a ±2 event.
    public func ruleProbabilityNumerator(epoch: Int) -> UInt32 { UInt32(65536) >> UInt32(ruleExponent(epoch: epoch)) }

    /// Probability (numerator over 2^16) that a training sample's learning gate is open.
    public func sampleGateNumerator(epoch: Int) -> UInt32 {
        gate == .sample ? probabilityNumerator(epoch: epoch) : 65536
    }

    /// The paper: every event applied.
    public static let constant = NBPLearningSchedule()

    public var isConstant: Bool { halvingEvery <= 0 && initialExponent == 0 }

    /// Exponent k of p = 2^-k for a 1-based epoch.
    public func exponent(epoch: Int) -> Int {
        var exponent = initialExponent
        if halvingEvery > 0 && epoch > constantEpochs {
            exponent += 1 + (epoch - constantEpochs - 1) / halvingEvery
        }
        return max(0, min(maximumExponent, exponent, 16))
    }

    public func probabilityNumerator(epoch: Int) -> UInt32 {
        UInt32(65536) >> UInt32(exponent(epoch: epoch))
    }

    public var description: String {
        if isConstant { return "constant (every ±2 event applied)" }
        var text = "p = 2^-\(initialExponent)"
        if halvingEvery > 0 {
            text += " for \(constantEpochs) epochs, then halved every \(halvingEvery) (min 2^-\(maximumExponent))"
        }
        return text + (gate == .sample ? ", per-sample learning gate" : ", per-synapse rounding")
    }
}

/// Accuracy of one pass over a set (nbp-circuit.md §1's three measures).
public struct NBPAccuracy: Codable, Equatable, Sendable {
    public var samples: Int
    public var exact: Double
    public var argmax: Double
    public var argmaxInput: Double

    public init(samples: Int, exactCount: Int, argmaxCount: Int, argmaxInputCount: Int) {
        self.samples = samples
        let denominator = Double(max(samples, 1))
        exact = Double(exactCount) / denominator
        argmax = Double(argmaxCount) / denominator
        argmaxInput = Double(argmaxInputCount) / denominator
    }
}

/// Per-epoch record of a training run.
public struct NBPEpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Exact match of the forward pass during training (before each sample's update).
    public var trainExact: Double
    public var test: NBPAccuracy
    public var updateExponent: Int
    public var seconds: Double
}

/// Training and evaluation loops shared by both engines.
public enum NBPTrainer {
    /// The order of epoch `epoch` (1-based): a Fisher-Yates shuffle from a generator seeded by
    /// (seed, epoch), so a resumed run sees the same orders as an uninterrupted one.
    public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var generator = NBPStochasticRounding(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch))
        var order = Array(0..<count)
        if count < 2 { return order }
        for index in stride(from: count - 1, to: 0, by: -1) {
            let other = Int(generator.next().multipliedFullWidth(by: UInt64(index + 1)).high)
            order.swapAt(index, other)
        }
        return order
    }

    /// The per-sample learning gate of epoch `epoch` (1-based), by position in the epoch's
    /// order: open with probability `numerator / 65536`, drawn from a stream seeded by
    /// (seed, epoch) apart from the shuffle's, so a resumed run gates as an uninterrupted one.
    /// nil when every gate is open. This is the host's part, like the input and target
    /// spikes: it decides whether `in_skip` fires for a sample.
    public static func learningGate(count: Int, seed: UInt64, epoch: Int, numerator: UInt32) -> [Bool]? {
        if numerator >= 65536 { return nil }
        var generator = NBPStochasticRounding(
            seed: (seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch)) ^ 0xA076_1D64_78BD_642F)
        return (0..<count).map { _ in generator.accept(numerator: numerator) }
    }

    /// Trains one pass over `set` in `order`; returns how many samples were exact before
    /// their update. `learns[position]` (when given) opens or closes the learning gate of the
    /// sample at that position. `progress` is called every `progressEvery` samples.
    public static func trainPass(
        engine: NBPEngine, set: NBPEncodedSet, order: [Int], learns: [Bool]? = nil, progressEvery: Int = 0,
        progress: ((Int) -> Void)? = nil
    ) -> Int {
        var exact = 0
        set.indices.withUnsafeBufferPointer { indices in
            set.offsets.withUnsafeBufferPointer { offsets in
                set.labels.withUnsafeBufferPointer { labels in
                    for (done, sample) in order.enumerated() {
                        let start = offsets[sample]
                        let active = UnsafeBufferPointer(
                            rebasing: indices[start..<offsets[sample + 1]])
                        let outcome =
                            learns.map { engine.train(active: active, label: Int(labels[sample]), learns: $0[done]) }
                            ?? engine.train(active: active, label: Int(labels[sample]))
                        if outcome.exact { exact += 1 }
                        if progressEvery > 0, (done + 1) % progressEvery == 0 { progress?(done + 1) }
                    }
                }
            }
        }
        return exact
    }

    /// Inference over the whole set, in order.
    public static func evaluate(engine: NBPEngine, set: NBPEncodedSet) -> NBPAccuracy {
        var exact = 0
        var argmax = 0
        var argmaxInput = 0
        set.indices.withUnsafeBufferPointer { indices in
            for sample in 0..<set.count {
                let active = UnsafeBufferPointer(
                    rebasing: indices[set.offsets[sample]..<set.offsets[sample + 1]])
                let label = Int(set.labels[sample])
                let outcome = engine.infer(active: active, label: label)
                if outcome.exact { exact += 1 }
                if outcome.firstActive == label { argmax += 1 }
                if outcome.argmaxInput == label { argmaxInput += 1 }
            }
        }
        return NBPAccuracy(
            samples: set.count, exactCount: exact, argmaxCount: argmax, argmaxInputCount: argmaxInput)
    }

    /// Outputs at inference for every sample (for engine comparisons).
    public static func outputs(engine: NBPEngine, set: NBPEncodedSet) -> [UInt64] {
        var bits: [UInt64] = []
        bits.reserveCapacity(set.count)
        set.indices.withUnsafeBufferPointer { indices in
            for sample in 0..<set.count {
                let active = UnsafeBufferPointer(
                    rebasing: indices[set.offsets[sample]..<set.offsets[sample + 1]])
                bits.append(engine.infer(active: active, label: Int(set.labels[sample])).outputBits)
            }
        }
        return bits
    }
}
