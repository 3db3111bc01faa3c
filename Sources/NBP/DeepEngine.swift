import EnergyModel

/// The fast path for nBP with any number of hidden layers (docs/nbp.md, "Deeper networks"):
/// the chip circuit's integer arithmetic, computed directly. Forward: every hidden layer
/// fires its three copies (h > 512, hm > 0, hp > 1024), the output o (with the training
/// margin), om, op. Backward, from the top block down: the error of layer l + 1 — the
/// output's d+ / d-, or the units of layer l + 1 whose W_{l+1} rows learned — reaches layer l
/// through W_{l+1}'s transposed copy and M_{l+1} (read before, then after, the +2 half's
/// update), W_{l+1} and M_{l+1} learn on layer l's activity, and layer l's units where the
/// carried error is positive and the derivative gate b = hm & !hp is open become its own
/// error. Every matrix's copies receive the same ±2 events in the same order, so one matrix
/// per layer stands for all of them (with one hidden layer this is `NBPFastEngine`'s chip
/// variant exactly).
///
/// Constant rate, the per-sample learning gate and the replay gates (a vetoed unit's or
/// input's replay teaches none of the copies of the matrix above it, so they stay equal);
/// per-synapse rounding lets the copies drift, and `NBPDeepEngine.check` refuses it.
public final class NBPDeepEngine {
    public let sizes: NBPLayerSizes
    public let margin: Int32
    let firing = NBPFiringRule.circuit
    /// Weights and scratch of every layer (one value, opened once per sample).
    var state: NBPDeepState

    public init(weights: NBPDeepWeights, margin: Int = 0) {
        sizes = weights.sizes
        self.margin = Int32(margin)
        state = NBPDeepState(weights: weights)
    }

    /// The trained weights in the paper layout.
    public var weights: NBPDeepWeights { state.weights(sizes: sizes) }

    /// Refuses the options this engine does not implement at depth > 1, naming the fix.
    public static func check(schedule: NBPLearningSchedule, engine: NBPEngineKind, variant: NBPVariant) throws(NBPError) {
        if variant != .chip {
            throw .invalidOption("--variant reference has one hidden layer; use --variant chip with more (docs/nbp.md)")
        }
        if engine == .chip && schedule.vetoesReplay && !schedule.isConstant {
            throw .invalidOption(
                "--learning-gate input and replay with more than one hidden layer run on the fast path only (the "
                    + "chip circuit's replay gates are one-hidden-layer): use --engine fast, or --learning-gate sample "
                    + "on the chip (docs/nbp.md, \"Deeper networks\")")
        }
        if !schedule.isConstant && schedule.gate == .synapse {
            throw .invalidOption(
                "--learning-gate synapse is not available with more than one hidden layer (the copies would "
                    + "drift): use --learning-gate replay, input or sample for a decaying rate (docs/nbp.md, "
                    + "\"Deeper networks\")")
        }
    }

    /// One training sample: forward, output error, every layer's update (on the replays
    /// `gates` keeps: its hidden masks cover every hidden layer, layer 1 first).
    public func train(_ sample: NBPSample, gates: NBPSampleGates = .open) -> NBPSampleOutcome {
        let hiddenUnits = sizes.units.dropFirst().dropLast().reduce(0, +)
        precondition(
            (gates.potentiationHidden?.count ?? hiddenUnits) == hiddenUnits
                && (gates.depressionHidden?.count ?? hiddenUnits) == hiddenUnits,
            "one replay mask entry per hidden unit of every layer")
        let sizes = self.sizes
        let firing = self.firing
        let margin = self.margin
        return state.withHandle(sizes: sizes) { handle in
            handle.forward(sample.active, firing: firing)
            // A closed gate still trains with the margin's o (the chip's o fires before
            // in_skip vetoes d+ and d-), so train exact counts the same on both engines.
            if margin != 0 { handle.applyMargin(label: sample.label, margin: margin, firing: firing) }
            let outcome = handle.outcome(label: sample.label)
            if gates.learns { handle.backward(label: sample.label, active: sample.active, gates: gates, firing: firing) }
            return outcome
        }
    }

    /// One inference sample: the forward pass only.
    public func infer(_ sample: NBPSample) -> NBPSampleOutcome {
        let sizes = self.sizes
        let firing = self.firing
        return state.withHandle(sizes: sizes) { handle in
            handle.forward(sample.active, firing: firing)
            return handle.outcome(label: sample.label)
        }
    }

    /// Inference over a whole set: the three accuracy measures.
    public func evaluate(_ set: NBPEncodedSet) -> NBPAccuracy {
        var counts = (0, 0, 0)
        for index in 0..<set.count {
            let sample = set.sample(index)
            let outcome = infer(sample)
            if outcome.exact { counts.0 += 1 }
            if outcome.firstActive == sample.label { counts.1 += 1 }
            if outcome.argmaxInput == sample.label { counts.2 += 1 }
        }
        return NBPAccuracy(samples: set.count, exactCount: counts.0, argmaxCount: counts.1, argmaxInputCount: counts.2)
    }
}

/// Weights (pre-major: W_l[j, i] at `i * n_l + j`, so a firing unit adds one contiguous
/// row) and per-layer scratch, each in one contiguous array.
struct NBPDeepState {
    /// Start of W_l (l = 1 ... L) in `w`, of M_l (l = 2 ... L) in `m`, of layer l's units in
    /// the per-unit arrays.
    let wOffset: [Int]
    let mOffset: [Int]
    let unitOffset: [Int]
    var w: ContiguousArray<Int16>
    var m: ContiguousArray<Int16>
    /// Summed input a_l (forward) per unit; the carried error e_l (backward) per unit.
    var sums: ContiguousArray<Int32>
    var errors: ContiguousArray<Int32>
    /// h, hm, hp per unit (bits 0, 1, 2).
    var bits: ContiguousArray<UInt8>
    /// Firing units of every layer (ascending), and their counts.
    var active: ContiguousArray<Int32>
    var activeCount: ContiguousArray<Int>
    /// Error lists: the + and - units of the layer above, and of the layer being computed;
    /// the replayed units of the + and - halves.
    var lists: ContiguousArray<Int32>

    init(weights: NBPDeepWeights) {
        let units = weights.sizes.units
        let layers = units.count - 1
        var wOffset = [0]
        var mOffset = [0, 0]
        for l in 1...layers {
            wOffset.append(wOffset[l - 1] + units[l] * units[l - 1])
            if l >= 2 { mOffset.append(mOffset[l - 1] + units[l] * units[l - 1]) }
        }
        var unitOffset = [0]
        for l in 0...layers { unitOffset.append(unitOffset[l] + units[l]) }
        self.wOffset = wOffset
        self.mOffset = mOffset
        self.unitOffset = unitOffset
        w = ContiguousArray(repeating: 0, count: wOffset[layers])
        m = ContiguousArray(repeating: 0, count: mOffset[layers])
        for l in 1...layers {
            let (posts, pres) = (units[l], units[l - 1])
            for j in 0..<posts {
                for i in 0..<pres { w[wOffset[l - 1] + i * posts + j] = weights.w[l - 1][j * pres + i] }
            }
            if l >= 2 {
                // M_l is already pre-major in the paper layout (n_{l-1} x n_l).
                for index in 0..<(posts * pres) { m[mOffset[l - 1] + index] = weights.m[l - 2][index] }
            }
        }
        let total = unitOffset[layers + 1]
        sums = ContiguousArray(repeating: 0, count: total)
        errors = ContiguousArray(repeating: 0, count: total)
        bits = ContiguousArray(repeating: 0, count: total)
        active = ContiguousArray(repeating: 0, count: total)
        activeCount = ContiguousArray(repeating: 0, count: layers + 1)
        // Four error lists, then the + / - replayed units of a hidden layer.
        lists = ContiguousArray(repeating: 0, count: 6 * (units.max() ?? 0))
    }

    func weights(sizes: NBPLayerSizes) -> NBPDeepWeights {
        let units = sizes.units
        var matrices: [[Int16]] = []
        var ms: [[Int16]] = []
        for l in 1...sizes.weightLayers {
            let (posts, pres) = (units[l], units[l - 1])
            var matrix = [Int16](repeating: 0, count: posts * pres)
            for j in 0..<posts {
                for i in 0..<pres { matrix[j * pres + i] = w[wOffset[l - 1] + i * posts + j] }
            }
            matrices.append(matrix)
            if l >= 2 { ms.append(Array(m[mOffset[l - 1]..<(mOffset[l - 1] + posts * pres)])) }
        }
        return try! NBPDeepWeights(sizes: sizes, w: matrices, m: ms)
    }

    /// Opens every array once and hands the pointers to `body` (EXEMPLARS E3).
    mutating func withHandle<Result>(sizes: NBPLayerSizes, _ body: (NBPDeepHandle) -> Result) -> Result {
        let (wOffset, mOffset, unitOffset) = (self.wOffset, self.mOffset, self.unitOffset)
        return w.withUnsafeMutableBufferPointer { w in
            m.withUnsafeMutableBufferPointer { m in
                sums.withUnsafeMutableBufferPointer { sums in
                    errors.withUnsafeMutableBufferPointer { errors in
                        bits.withUnsafeMutableBufferPointer { bits in
                            active.withUnsafeMutableBufferPointer { active in
                                activeCount.withUnsafeMutableBufferPointer { activeCount in
                                    lists.withUnsafeMutableBufferPointer { lists in
                                        body(
                                            NBPDeepHandle(
                                                units: sizes.units, wOffset: wOffset, mOffset: mOffset,
                                                unitOffset: unitOffset, w: w.baseAddress!, m: m.baseAddress!,
                                                sums: sums.baseAddress!, errors: errors.baseAddress!,
                                                bits: bits.baseAddress!, active: active.baseAddress!,
                                                activeCount: activeCount.baseAddress!, lists: lists.baseAddress!))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
