/// Everything one plastic synapse reads when an error spike arrives (
/// docs/errorprop.md "Architecture and learning rule"): its presynaptic trace, the spike of the error neuron attached
/// to its
/// postsynaptic unit (as a sign), the postsynaptic gate (hidden layer; 1 for the output
/// layer) and its own weight. Nothing else exists in this type, which is what the
/// locality test checks structurally.
public struct SynapseLocalSignals: Sendable, Equatable {
    public var weight: Double
    public var preTrace: Double
    /// +1 for a spike of E⁺ (output too low), −1 for E⁻.
    public var errorSign: Double
    public var postGate: Double

    @inlinable
    public init(weight: Double, preTrace: Double, errorSign: Double, postGate: Double) {
        self.weight = weight
        self.preTrace = preTrace
        self.errorSign = errorSign
        self.postGate = postGate
    }
}

/// The local three-factor rule `w ← clip(w ± η · x_pre · G_post, 0, w_max)` (docs/errorprop.md "Architecture and
/// learning rule").
/// The learning rate and bound are per-layer constants (circuit biases), not signals.
public struct LocalUpdateRule: Sendable, Equatable {
    public var learningRate: Double
    public var weightMax: Double

    @inlinable
    public init(learningRate: Double, weightMax: Double) {
        self.learningRate = learningRate
        self.weightMax = weightMax
    }

    /// The weight change before clipping.
    @inlinable
    public func delta(_ s: SynapseLocalSignals) -> Double {
        s.errorSign * learningRate * s.preTrace * s.postGate
    }

    /// The new weight, clipped to `[0, w_max]`.
    @inlinable
    public func updated(_ s: SynapseLocalSignals) -> Double {
        clip(s.weight + delta(s))
    }

    @inlinable
    public func clip(_ w: Double) -> Double { min(max(w, 0), weightMax) }
}
