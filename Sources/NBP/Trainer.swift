import Foundation

/// An engine that trains and evaluates the nBP network one sample at a time: the fast
/// path (`NBPFastEngine`) or the circuit on the chip simulator (`NBPChipEngine`).
public protocol NBPEngine: AnyObject {
    var sizes: NBPSizes { get }
    /// The trained weights (paper layout).
    var weights: NBPWeights { get }
    /// One training sample (12 phases on the chip); returns the forward outcome.
    func train(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome
    /// One training sample under the host's gates: with `gates.learns` false the chip's
    /// `in_skip` generator vetoes the output error (d+, d-) in phase 4, so the sample runs all
    /// 12 phases but nothing learns, exactly as for a sample without error; with replay
    /// subsets only those inputs re-fire in phases 7 / 11 (the others are vetoed), so W1
    /// learns on them alone.
    func train(active: UnsafeBufferPointer<Int32>, label: Int, gates: NBPSampleGates) -> NBPSampleOutcome
    /// One inference sample (4 steps on the chip); no learning.
    func infer(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome
    /// Called before every epoch so the engine can apply the learning-rate schedule.
    func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule)
}

extension NBPEngine {
    /// A sample whose learning gate is open (`learns`) or closed, every input replayed.
    public func train(active: UnsafeBufferPointer<Int32>, label: Int, learns: Bool) -> NBPSampleOutcome {
        train(active: active, label: label, gates: NBPSampleGates(learns: learns))
    }
}

/// The host's per-sample learning gates (docs/nbp.md), decided like the input and target
/// spikes and sent as spikes of the `in_skip` and `in_replay_veto` generators.
public struct NBPSampleGates {
    /// False: `in_skip` vetoes the output error, the sample learns nothing.
    public var learns: Bool
    /// The active inputs that re-fire in phase 7 (W1 potentiation) and phase 11 (W1
    /// depression); nil: all of them. Subsets of the sample's active inputs, ascending.
    public var potentiationReplay: UnsafeBufferPointer<Int32>?
    public var depressionReplay: UnsafeBufferPointer<Int32>?
    /// Per hidden unit, 1 when m_h1's replay of h fires in phase 5 (W2 potentiation) /
    /// phase 9 (W2 depression), 0 when `in_hidden_veto` stops it; nil: every unit.
    public var potentiationHidden: UnsafeBufferPointer<UInt8>?
    public var depressionHidden: UnsafeBufferPointer<UInt8>?

    public init(
        learns: Bool = true, potentiationReplay: UnsafeBufferPointer<Int32>? = nil,
        depressionReplay: UnsafeBufferPointer<Int32>? = nil, potentiationHidden: UnsafeBufferPointer<UInt8>? = nil,
        depressionHidden: UnsafeBufferPointer<UInt8>? = nil
    ) {
        self.learns = learns
        self.potentiationReplay = potentiationReplay
        self.depressionReplay = depressionReplay
        self.potentiationHidden = potentiationHidden
        self.depressionHidden = depressionHidden
    }

    /// True when some replay is vetoed (the circuit's replay gate is needed).
    public var vetoesReplay: Bool {
        potentiationReplay != nil || depressionReplay != nil || potentiationHidden != nil || depressionHidden != nil
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
    /// One draw per active input and W1 update phase: with probability 1 - p the
    /// `in_replay_veto` generator stops that input's replay in phase 7 (or 11), so W1 learns
    /// on a random p of the active inputs. The step on a hidden unit's summed input shrinks
    /// by p like per-synapse rounding, but every copy of W1 sees the same replay and W2
    /// keeps the paper's rule: all copies stay identical (docs/nbp.md).
    case input
    /// `input` plus the same for W2: one draw per hidden unit and W2 update phase, with
    /// probability 1 - p `in_hidden_veto` stops m_h1's replay of that unit into h1 and h1T
    /// in phase 5 (or 9), so none of its W2, W2c1, W2c2, W2Tp or M synapses learn there.
    case replay
}

/// The learning-rate schedule (docs/nbp.md): every ±2 event is applied with probability
/// `p(epoch)`; the chip realises it as `dw = p * (4*x0*y0*r1 - 2*x0*y0)`, whose value ±2p
/// the learning engine rounds stochastically to ±2 or 0 (docs/neurochip.md "Learning engine and rule grammar"). `p` is
/// a
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

    /// Probability (numerator over 2^16) that an active input is replayed in phase 7 / 11.
    public func inputGateNumerator(epoch: Int) -> UInt32 {
        gate == .input || gate == .replay ? probabilityNumerator(epoch: epoch) : 65536
    }

    /// Probability (numerator over 2^16) that a hidden unit's replay in phase 5 / 9 fires.
    public func hiddenGateNumerator(epoch: Int) -> UInt32 {
        gate == .replay ? probabilityNumerator(epoch: epoch) : 65536
    }

    /// True when the circuit needs the replay gates' generators.
    public var vetoesReplay: Bool { gate == .input || gate == .replay }

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
        switch gate {
        case .synapse: return text + ", per-synapse rounding"
        case .sample: return text + ", per-sample learning gate"
        case .input: return text + ", input replay gate (W1)"
        case .replay: return text + ", input and hidden replay gates (W1, W2)"
        }
    }
}

/// Accuracy of one pass over a set (docs/nbp.md "What is trained"'s three measures).
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

    /// The replay gates of epoch `epoch` (1-based), nil when everything is replayed.
    public static func replayGate(seed: UInt64, epoch: Int, schedule: NBPLearningSchedule, hidden: Int)
        -> NBPReplayGate?
    {
        let inputs = schedule.inputGateNumerator(epoch: epoch)
        let units = schedule.hiddenGateNumerator(epoch: epoch)
        if inputs >= 65536 && units >= 65536 { return nil }
        return NBPReplayGate(
            seed: seed, epoch: epoch, inputNumerator: inputs, hiddenNumerator: units, hidden: hidden)
    }

    /// Runs `body` with a sample's gates: its replay draws when `replay` is set, else every
    /// replay firing; the learning gate open or closed by `learns`.
    public static func withGates<Result>(
        _ replay: inout NBPReplayGate?, active: UnsafeBufferPointer<Int32>, learns: Bool,
        _ body: (NBPSampleGates) -> Result
    ) -> Result {
        if replay == nil { return body(NBPSampleGates(learns: learns)) }
        return replay!.withGates(active: active, learns: learns, body)
    }

    /// Trains one pass over `set` in `order`; returns how many samples were exact before
    /// their update. `learns[position]` (when given) opens or closes the learning gate of the
    /// sample at that position; `replay` (when given) draws each sample's replayed inputs.
    /// `progress` is called every `progressEvery` samples.
    public static func trainPass(
        engine: NBPEngine, set: NBPEncodedSet, order: [Int], learns: [Bool]? = nil, replay: NBPReplayGate? = nil,
        progressEvery: Int = 0, progress: ((Int) -> Void)? = nil
    ) -> Int {
        var exact = 0
        var replay = replay
        set.indices.withUnsafeBufferPointer { indices in
            set.offsets.withUnsafeBufferPointer { offsets in
                set.labels.withUnsafeBufferPointer { labels in
                    for (done, sample) in order.enumerated() {
                        let start = offsets[sample]
                        let active = UnsafeBufferPointer(
                            rebasing: indices[start..<offsets[sample + 1]])
                        let outcome = withGates(&replay, active: active, learns: learns?[done] ?? true) {
                            engine.train(active: active, label: Int(labels[sample]), gates: $0)
                        }
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

/// The host's replay draws of one epoch (`NBPLearningGate.input` / `.replay`): per
/// training sample, one draw per hidden unit for phase 5 and one for phase 9 (when W2 is
/// gated), then one per active input for phase 7 and one for phase 11 (inputs ascending),
/// from a stream seeded by (seed, epoch) apart from the shuffle's and the sample gate's,
/// so both engines and a resumed run replay the same. The host does not know which hidden
/// units fire, so it draws for all of them; vetoing a silent unit changes nothing.
public struct NBPReplayGate {
    var generator: NBPStochasticRounding
    public let inputNumerator: UInt32
    public let hiddenNumerator: UInt32
    public let hidden: Int
    private var potentiation: [Int32] = []
    private var depression: [Int32] = []
    private var potentiationHidden: [UInt8]
    private var depressionHidden: [UInt8]

    public init(seed: UInt64, epoch: Int, inputNumerator: UInt32, hiddenNumerator: UInt32, hidden: Int) {
        generator = NBPStochasticRounding(
            seed: (seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch)) ^ 0xE703_7ED1_A0B4_28DB)
        self.inputNumerator = inputNumerator
        self.hiddenNumerator = hiddenNumerator
        self.hidden = hidden
        potentiationHidden = [UInt8](repeating: 1, count: hidden)
        depressionHidden = [UInt8](repeating: 1, count: hidden)
    }

    /// Draws the replays of the next sample and runs `body` with its gates.
    public mutating func withGates<Result>(
        active: UnsafeBufferPointer<Int32>, learns: Bool, _ body: (NBPSampleGates) -> Result
    ) -> Result {
        let gatesHidden = hiddenNumerator < 65536
        if gatesHidden {
            for j in 0..<hidden { potentiationHidden[j] = generator.accept(numerator: hiddenNumerator) ? 1 : 0 }
            for j in 0..<hidden { depressionHidden[j] = generator.accept(numerator: hiddenNumerator) ? 1 : 0 }
        }
        potentiation.removeAll(keepingCapacity: true)
        depression.removeAll(keepingCapacity: true)
        let gatesInputs = inputNumerator < 65536
        if gatesInputs {
            for input in active where generator.accept(numerator: inputNumerator) { potentiation.append(input) }
            for input in active where generator.accept(numerator: inputNumerator) { depression.append(input) }
        }
        return potentiation.withUnsafeBufferPointer { plus in
            depression.withUnsafeBufferPointer { minus in
                potentiationHidden.withUnsafeBufferPointer { hiddenPlus in
                    depressionHidden.withUnsafeBufferPointer { hiddenMinus in
                        body(
                            NBPSampleGates(
                                learns: learns, potentiationReplay: gatesInputs ? plus : nil,
                                depressionReplay: gatesInputs ? minus : nil,
                                potentiationHidden: gatesHidden ? hiddenPlus : nil,
                                depressionHidden: gatesHidden ? hiddenMinus : nil))
                    }
                }
            }
        }
    }
}
