/// One sample as the engines read it: the indices of its active inputs, ascending, and its
/// label. `active` is a slice of the encoded set's index array, so making a sample copies
/// nothing; the engines open it as a buffer inside their loops.
public struct NBPSample: Sendable, Equatable {
    public var active: ArraySlice<Int32>
    public var label: Int

    public init(active: ArraySlice<Int32>, label: Int) {
        self.active = active
        self.label = label
    }

    public init(active: [Int32], label: Int) {
        self.init(active: active[...], label: label)
    }

    /// From a 0/1 (zero / non-zero) image.
    public init(image: [UInt8], label: Int) {
        self.init(active: NBPFastEngine.activeIndices(image), label: label)
    }
}

extension NBPEncodedSet {
    /// Sample `index` (0-based) of the set.
    @inline(__always)
    public func sample(_ index: Int) -> NBPSample {
        NBPSample(active: indices[offsets[index]..<offsets[index + 1]], label: Int(labels[index]))
    }
}

/// The host's per-sample gates (docs/nbp.md, "Replay gates"), decided like the input and
/// target spikes and sent as spikes of the `in_skip`, `in_replay_veto` and `in_hidden_veto`
/// generators.
public struct NBPSampleGates: Sendable, Equatable {
    /// False: `in_skip` vetoes the output error, the sample learns nothing.
    public var learns: Bool
    /// The active inputs that re-fire in phase 7 (W1 potentiation) and phase 11 (W1
    /// depression); nil: all of them. Ascending subsets of the sample's active inputs.
    public var potentiationReplay: [Int32]?
    public var depressionReplay: [Int32]?
    /// Per hidden unit, 1 when m_h1's replay of h fires in phase 5 (W2 potentiation) /
    /// phase 9 (W2 depression), 0 when `in_hidden_veto` stops it; nil: every unit. With
    /// several hidden layers: every layer's units, layer 1 first, each gating the replays
    /// from which the matrices above its layer learn (docs/nbp.md, "Deeper networks").
    public var potentiationHidden: [UInt8]?
    public var depressionHidden: [UInt8]?

    public init(
        learns: Bool = true, potentiationReplay: [Int32]? = nil, depressionReplay: [Int32]? = nil,
        potentiationHidden: [UInt8]? = nil, depressionHidden: [UInt8]? = nil
    ) {
        self.learns = learns
        self.potentiationReplay = potentiationReplay
        self.depressionReplay = depressionReplay
        self.potentiationHidden = potentiationHidden
        self.depressionHidden = depressionHidden
    }

    /// Every gate open: the sample learns and every replay fires (the paper).
    public static let open = NBPSampleGates()

    /// True when some replay is vetoed (the circuit's replay gates are needed).
    public var vetoesReplay: Bool {
        potentiationReplay != nil || depressionReplay != nil || potentiationHidden != nil || depressionHidden != nil
    }
}

/// What one sample produced at the output (both for training and inference).
public struct NBPSampleOutcome: Equatable, Sendable {
    /// All output bits equal the one-hot target (the paper's exact-match measure).
    public var exact: Bool
    /// Index of the first active output, 0 when none is active (docs/nbp.md, "Accuracy").
    public var firstActive: Int
    /// Index of the largest summed output input `z` (first on ties).
    public var argmaxInput: Int
    /// Output spikes as a bit mask (bit k = output k fired); outputs beyond 64 are not kept.
    public var outputBits: UInt64
}

/// Every intermediate of one training sample, as the golden vectors list them. For the
/// reference variant, `ePlus` holds `e = W2_new^T d` and `hiddenError` holds
/// `clip(e*b, -1, 1)`; the minus fields stay zero.
public struct NBPSampleTrace: Equatable, Sendable {
    public var a: [Int32]
    public var h: [UInt8]
    public var hm: [UInt8]
    public var hp: [UInt8]
    public var z: [Int32]
    public var o: [UInt8]
    public var om: [UInt8]
    public var op: [UInt8]
    public var dp: [UInt8]
    public var dm: [UInt8]
    public var ePlus: [Int32]
    public var gPlus: [UInt8]
    public var eMinus: [Int32]
    public var gMinus: [UInt8]
    public var hiddenError: [Int8]
}
