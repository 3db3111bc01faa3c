/// How a learning-rate schedule's probability p is realised on the chip.
public enum NBPLearningGate: String, Codable, Equatable, Sendable, CaseIterable {
    /// Every ±2 event on every synapse is rounded on its own by the learning engine (rule
    /// `dw = 2^(2-k)*x0*y0*r1 - 2^(1-k)*x0*y0`): the copies of W1 / W2 draw independently
    /// and drift apart.
    case synapse
    /// One draw per training sample: with probability 1 - p the `in_skip` generator vetoes
    /// the sample's output error, so no synapse learns from it; otherwise the paper's rule
    /// applies in full. All copies stay identical (docs/nbp.md, "Learning-rate schedule").
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
/// the learning engine rounds stochastically to ±2 or 0 (docs/neurochip.md, "Learning engine"). `p` is a
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
