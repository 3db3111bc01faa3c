import CNBPKernels
import CNeuroChipKernels

/// What one sample produced at the output (both for training and inference).
public struct NBPSampleOutcome: Equatable, Sendable {
    /// All output bits equal the one-hot target (the paper's exact-match measure).
    public var exact: Bool
    /// Index of the first active output, 0 when none is active (docs/nbp.md "What is trained").
    public var firstActive: Int
    /// Index of the largest summed output input `z` (first on ties).
    public var argmaxInput: Int
    /// Output spikes as a bit mask (bit k = output k fired); outputs beyond 64 are not kept.
    public var outputBits: UInt64
}

/// Every intermediate of one training sample, as the golden vectors list them
/// (docs/nbp.md "Correctness"). For the reference variant, `ePlus` holds `e = W2_new^T d` and
/// `hiddenError` holds `clip(e*b, -1, 1)`; the minus fields stay zero.
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

/// The fast path: computes directly, in integers, what the nBP circuit computes on the chip
/// (`.chip`, docs/nbp.md "What one sample computes") or what the authors' numpy simulation computes
/// (`.reference`). Event-driven: only active inputs and hidden units touch weights, and a
/// sample whose output is already right changes nothing and skips the backward pass.
///
/// Storage is pre-major so that the forward pass adds contiguous rows: `w1Half` is
/// input x hidden (in half units), `w2T` hidden x output, `mW` hidden x output. Buffers are raw
/// allocations owned by this object so the kernels run over plain pointers (STYLE.md,
/// "Hot loops").
public final class NBPFastEngine: @unchecked Sendable {
    public let sizes: NBPSizes
    public let variant: NBPVariant

    /// Probability (numerator over 2^16) that a given ±2 learning event is applied; 65536
    /// (the default) applies every event as in the paper. See `NBPUpdateSchedule`.
    public private(set) var updateProbability: UInt32 = 65536
    /// Training margin m (docs/nbp.md): while training, the target output fires only when
    /// z > 512 + m and every other output already when z > 512 - m, so samples inside the
    /// margin count as errors and learn. 0 = the paper. Inference is unaffected.
    public var trainingMargin: Int32 = 0

    /// W1 input x hidden in half units (w / 2, exact: every weight is even,
    /// docs/nbp.md "What is trained"), so a row of 400 inputs is 400 bytes and both the forward sums and the updates
    /// move half the memory (CNBPKernels).
    let w1Half: UnsafeMutablePointer<Int8>
    let w2T: UnsafeMutablePointer<Int16>
    let mW: UnsafeMutablePointer<Int16>

    // Scratch of the last sample (read by `trace()`).
    let a: UnsafeMutablePointer<Int32>
    /// Per hidden unit, the W1 update of the sample's active rows in half units: `row[j] =
    /// min(ceiling[j], max(weightMin / 2, row[j] + increment[j]))` (see `stageInputUpdate`).
    let increment: UnsafeMutablePointer<Int8>
    let ceiling: UnsafeMutablePointer<Int8>
    /// weightMin / 2 and weightMax / 2 (W1 half units).
    let halfMin: Int8
    let halfMax: Int8
    let hBits: UnsafeMutablePointer<UInt8>
    let hmBits: UnsafeMutablePointer<UInt8>
    let hpBits: UnsafeMutablePointer<UInt8>
    let ePlus: UnsafeMutablePointer<Int32>
    let eMinus: UnsafeMutablePointer<Int32>
    let gPlus: UnsafeMutablePointer<UInt8>
    let gMinus: UnsafeMutablePointer<UInt8>
    let hiddenError: UnsafeMutablePointer<Int8>
    let hIndex: UnsafeMutablePointer<Int32>
    let selIndex: UnsafeMutablePointer<Int32>
    /// Hidden units with a staged W1 update (`increment` or `ceiling` changed).
    let stagedIndex: UnsafeMutablePointer<Int32>
    /// The b units of the current sample (`listB`).
    let bIndex: UnsafeMutablePointer<Int32>
    let z: UnsafeMutablePointer<Int32>
    let oBits: UnsafeMutablePointer<UInt8>
    let omBits: UnsafeMutablePointer<UInt8>
    let opBits: UnsafeMutablePointer<UInt8>
    let dpBits: UnsafeMutablePointer<UInt8>
    let dmBits: UnsafeMutablePointer<UInt8>
    let dpIndex: UnsafeMutablePointer<Int32>
    let dmIndex: UnsafeMutablePointer<Int32>
    var hCount = 0
    var pendingReferenceClip = false
    /// Whether a hidden unit's 24-bit voltage can wrap (docs/neurochip.md "Units"): only for very
    /// wide inputs, e.g. 784 * 256 * 64 > 2^23. When false, plain comparisons are exact.
    let chipWrapPossible: Bool

    /// Random stream for stochastic updates (see `NBPStochasticRounding`).
    var rounding: NBPStochasticRounding

    /// Chip op counts of every sample when on (`enableEnergyCounts()`, FastEnergy.swift).
    public internal(set) var energyRecorder: NBPFastEnergyRecorder?

    public init(weights: NBPWeights, variant: NBPVariant, roundingSeed: UInt64 = 0) throws(NBPError) {
        try weights.validate(variant: variant)
        let sizes = weights.sizes
        self.sizes = sizes
        self.variant = variant
        let nIn = sizes.input
        let nHid = sizes.hidden
        let nOut = sizes.output
        w1Half = .allocate(capacity: nIn * nHid)
        // 16 elements of padding: `nbp_sum_short_rows` reads 16 values from each row start.
        w2T = .allocate(capacity: nHid * nOut + 16)
        w2T.initialize(repeating: 0, count: nHid * nOut + 16)
        mW = .allocate(capacity: nHid * nOut)
        a = .allocate(capacity: nHid)
        increment = .allocate(capacity: nHid)
        increment.initialize(repeating: 0, count: nHid)
        ceiling = .allocate(capacity: nHid)
        halfMin = Int8(variant.weightMin / 2)
        halfMax = Int8(variant.weightMax / 2)
        ceiling.initialize(repeating: halfMax, count: nHid)
        hBits = .allocate(capacity: nHid)
        hmBits = .allocate(capacity: nHid)
        hpBits = .allocate(capacity: nHid)
        ePlus = .allocate(capacity: nHid)
        eMinus = .allocate(capacity: nHid)
        gPlus = .allocate(capacity: nHid)
        gMinus = .allocate(capacity: nHid)
        hiddenError = .allocate(capacity: nHid)
        hIndex = .allocate(capacity: nHid)
        selIndex = .allocate(capacity: nHid)
        stagedIndex = .allocate(capacity: nHid)
        bIndex = .allocate(capacity: nHid)
        z = .allocate(capacity: nOut)
        oBits = .allocate(capacity: nOut)
        omBits = .allocate(capacity: nOut)
        opBits = .allocate(capacity: nOut)
        dpBits = .allocate(capacity: nOut)
        dmBits = .allocate(capacity: nOut)
        dpIndex = .allocate(capacity: nOut)
        dmIndex = .allocate(capacity: nOut)
        for pointer in [a, ePlus, eMinus] { pointer.initialize(repeating: 0, count: nHid) }
        for pointer in [hBits, hmBits, hpBits, gPlus, gMinus] { pointer.initialize(repeating: 0, count: nHid) }
        hiddenError.initialize(repeating: 0, count: nHid)
        hIndex.initialize(repeating: 0, count: nHid)
        selIndex.initialize(repeating: 0, count: nHid)
        stagedIndex.initialize(repeating: 0, count: nHid)
        bIndex.initialize(repeating: 0, count: nHid)
        z.initialize(repeating: 0, count: nOut)
        for pointer in [oBits, omBits, opBits, dpBits, dmBits] { pointer.initialize(repeating: 0, count: nOut) }
        dpIndex.initialize(repeating: 0, count: nOut)
        dmIndex.initialize(repeating: 0, count: nOut)
        rounding = NBPStochasticRounding(seed: roundingSeed)
        let widest = max(nIn, nHid, nOut) * 256 + 9216
        chipWrapPossible = widest * 64 >= (1 << 23) - 65536
        load(weights)
    }

    deinit {
        for pointer in [w2T, mW] { pointer.deallocate() }
        w1Half.deallocate()
        for pointer in [a, ePlus, eMinus, hIndex, selIndex, stagedIndex, bIndex, z, dpIndex, dmIndex] {
            pointer.deallocate()
        }
        for pointer in [hBits, hmBits, hpBits, gPlus, gMinus, oBits, omBits, opBits, dpBits, dmBits] {
            pointer.deallocate()
        }
        hiddenError.deallocate()
        increment.deallocate()
        ceiling.deallocate()
    }

    /// Replaces the weights. The reference variant's numpy original clips the whole matrix
    /// to [-254, 254] after every training sample, so a -256 from the chip initialisation
    /// still counts in the first forward pass; `pendingReferenceClip` defers that clip.
    public func load(_ weights: NBPWeights) {
        let nIn = sizes.input
        let nHid = sizes.hidden
        let nOut = sizes.output
        for j in 0..<nHid {
            // Exact: `NBPWeights.validate` admits only even weights in [-256, 254].
            for i in 0..<nIn { w1Half[i * nHid + j] = Int8(weights.w1[j * nIn + i] / 2) }
        }
        for k in 0..<nOut {
            for j in 0..<nHid { w2T[j * nOut + k] = weights.w2[k * nHid + j] }
        }
        for index in 0..<(nHid * nOut) { mW[index] = weights.m[index] }
        pendingReferenceClip = variant == .reference
    }

    /// Clips all reference-variant weights to [-254, 254] once (numpy's whole-matrix clip).
    func clipReferenceWeights() {
        let low = variant.weightMin
        for index in 0..<(sizes.input * sizes.hidden) { w1Half[index] = max(halfMin, w1Half[index]) }
        for index in 0..<(sizes.hidden * sizes.output) { w2T[index] = max(low, w2T[index]) }
        pendingReferenceClip = false
    }

    /// The current weights in the paper layout (post x pre).
    public var weights: NBPWeights {
        let nIn = sizes.input
        let nHid = sizes.hidden
        let nOut = sizes.output
        var w1 = [Int16](repeating: 0, count: nIn * nHid)
        var w2 = [Int16](repeating: 0, count: nHid * nOut)
        for j in 0..<nHid {
            for i in 0..<nIn { w1[j * nIn + i] = Int16(w1Half[i * nHid + j]) * 2 }
        }
        for k in 0..<nOut {
            for j in 0..<nHid { w2[k * nHid + j] = w2T[j * nOut + k] }
        }
        let m: [Int16]
        if variant == .chip {
            m = Array(UnsafeBufferPointer(start: mW, count: nHid * nOut))
        } else {
            m = NBPWeights.negatedTranspose(w2, rows: nOut, columns: nHid)
        }
        // Sizes were validated at init, so this cannot throw.
        return try! NBPWeights(sizes: sizes, w1: w1, w2: w2, m: m)
    }

    /// Sets the probability that each ±2 learning event is applied (nbp.md, "Learning-rate
    /// schedule"): `numerator / 65536`. 65536 = always (the paper).
    public func setUpdateProbability(numerator: UInt32) {
        updateProbability = min(65536, numerator)
    }

    /// The intermediates of the last `train` call.
    public func trace() -> NBPSampleTrace {
        let nHid = sizes.hidden
        let nOut = sizes.output
        func copy<T>(_ pointer: UnsafeMutablePointer<T>, _ count: Int) -> [T] {
            Array(UnsafeBufferPointer(start: pointer, count: count))
        }
        return NBPSampleTrace(
            a: copy(a, nHid), h: copy(hBits, nHid), hm: copy(hmBits, nHid), hp: copy(hpBits, nHid),
            z: copy(z, nOut), o: copy(oBits, nOut), om: copy(omBits, nOut), op: copy(opBits, nOut),
            dp: copy(dpBits, nOut), dm: copy(dmBits, nOut), ePlus: copy(ePlus, nHid),
            gPlus: copy(gPlus, nHid), eMinus: copy(eMinus, nHid), gMinus: copy(gMinus, nHid),
            hiddenError: copy(hiddenError, nHid))
    }

    // MARK: - Threshold tests

    /// Whether a gated chip neuron fires: its voltage is `64 * (sum + lift - 8192)` in the
    /// chip's 24-bit two's complement (docs/neurochip.md "Chip model": u and v wrap) and it fires when
    /// above the threshold 1024 * 64. Without wrap this is `sum > 1024 - lift`; the wrap only
    /// matters for extreme sums (e.g. 784 inputs all at -256), which the chip would
    /// mis-fire on, and the fast path reproduces that too.
    @inline(__always)
    static func chipFires(_ sum: Int32, lift: Int32) -> Bool {
        let voltage = (sum &+ lift &- 8192) &<< 6
        let wrapped = (voltage &<< 8) &>> 8
        return wrapped > 65536
    }

    // MARK: - Forward pass

    /// `a = W1 x`: one contiguous Int16 row per active input (event-driven, docs/nbp.md "What one sample computes"),
    /// summed by
    /// the C kernel in register tiles of 16-bit partial sums (exact: at most 127 rows per
    /// partial sum) widened to Int32; AVX2 when the CPU has it (CNBPKernels).
    @inline(__always)
    func accumulateHidden(_ active: UnsafeBufferPointer<Int32>) {
        nbp_sum_rows(a, w1Half, Int64(sizes.hidden), active.baseAddress, Int64(active.count), NCKernelAuto)
    }

    /// Computes a, h, hm, hp, z, o, om, op for the active inputs (sorted or not).
    @inline(__always)
    func forward(_ active: UnsafeBufferPointer<Int32>) {
        let nHid = sizes.hidden
        let nOut = sizes.output
        accumulateHidden(active)
        var count = 0
        if variant == .chip && chipWrapPossible {
            for j in 0..<nHid {
                // g02 lifts h1 by 8704 (g), h1_copy by 9216 (g+gm05), h1_copy2 by 8192 (gp05).
                let value = a[j]
                hBits[j] = NBPFastEngine.chipFires(value, lift: 8704) ? 1 : 0
                hmBits[j] = NBPFastEngine.chipFires(value, lift: 9216) ? 1 : 0
                hpBits[j] = NBPFastEngine.chipFires(value, lift: 8192) ? 1 : 0
            }
        } else {
            // No 24-bit wrap can occur (chip) or none exists (reference): plain strict tests.
            let plus = variant.plusThreshold
            for j in 0..<nHid {
                let value = a[j]
                hBits[j] = value > 512 ? 1 : 0
                hmBits[j] = value > 0 ? 1 : 0
                hpBits[j] = value > plus ? 1 : 0
            }
        }
        for j in 0..<nHid {
            hIndex[count] = Int32(truncatingIfNeeded: j)
            count &+= Int(hBits[j])
        }
        hCount = count
        if nOut <= 16 {
            // One vector load and add per active hidden unit (CNBPKernels).
            nbp_sum_short_rows(z, w2T, Int64(nOut), hIndex, Int64(count), NCKernelAuto)
        } else {
            z.update(repeating: 0, count: nOut)
            for position in 0..<count {
                let row = w2T + Int(hIndex[position]) * nOut
                for k in 0..<nOut { z[k] &+= Int32(row[k]) }
            }
        }
        let isChip = variant == .chip
        for k in 0..<nOut {
            let value = z[k]
            if isChip {
                oBits[k] = NBPFastEngine.chipFires(value, lift: 8704) ? 1 : 0
                omBits[k] = NBPFastEngine.chipFires(value, lift: 9216) ? 1 : 0
                opBits[k] = NBPFastEngine.chipFires(value, lift: 8192) ? 1 : 0
            } else {
                oBits[k] = value > 512 ? 1 : 0
                omBits[k] = value > 0 ? 1 : 0
                opBits[k] = value > 1023 ? 1 : 0
            }
        }
    }

    @inline(__always)
    func outcome(label: Int) -> NBPSampleOutcome {
        let nOut = sizes.output
        var exact = true
        var first = -1
        var best = 0
        var bits: UInt64 = 0
        for k in 0..<nOut {
            let on = oBits[k] != 0
            if on != (k == label) { exact = false }
            if on && first < 0 { first = k }
            if z[k] > z[best] { best = k }
            if on && k < 64 { bits |= 1 << UInt64(k) }
        }
        return NBPSampleOutcome(exact: exact, firstActive: max(first, 0), argmaxInput: best, outputBits: bits)
    }

    /// Inference only (the 4-step chain of docs/nbp.md "Timing"): no weight changes.
    public func infer(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome {
        forward(active)
        energyRecorder?.recordInference(self, active)
        return outcome(label: label)
    }

    /// Convenience for tests: active inputs from a 0/1 vector.
    public func infer(input: [UInt8], label: Int) -> NBPSampleOutcome {
        let active = NBPFastEngine.activeIndices(input)
        return active.withUnsafeBufferPointer { infer(active: $0, label: label) }
    }

    public func train(input: [UInt8], label: Int) -> NBPSampleOutcome {
        let active = NBPFastEngine.activeIndices(input)
        return active.withUnsafeBufferPointer { train(active: $0, label: label) }
    }

    public static func activeIndices(_ input: [UInt8]) -> [Int32] {
        var active: [Int32] = []
        for (index, value) in input.enumerated() where value != 0 { active.append(Int32(index)) }
        return active
    }

    // MARK: - Training

    /// One training sample: forward pass, output error, both weight updates and the
    /// backward pass of the chosen variant. Returns the forward outcome (before learning).
    public func train(active: UnsafeBufferPointer<Int32>, label: Int) -> NBPSampleOutcome {
        train(active: active, label: label, gates: NBPSampleGates())
    }

    /// A training sample under the host's gates: a closed gate is the forward pass only; the
    /// W1 updates of phases 7 and 11 touch the replayed inputs only.
    public func train(active: UnsafeBufferPointer<Int32>, label: Int, gates: NBPSampleGates) -> NBPSampleOutcome {
        if !gates.learns { return infer(active: active, label: label) }
        precondition(energyRecorder == nil || !gates.vetoesReplay, "energy counts do not cover the replay gates")
        precondition(variant == .chip || !gates.vetoesReplay, "the replay gates are a chip-circuit option")
        forward(active)
        if trainingMargin != 0 { applyTrainingMargin(label: label) }
        let result = outcome(label: label)
        defer { if pendingReferenceClip { clipReferenceWeights() } }
        // Runs after every update of this sample (both return paths).
        defer { energyRecorder?.recordTraining(self, active, label: label) }
        let nHid = sizes.hidden
        let nOut = sizes.output
        var dpCount = 0
        var dmCount = 0
        for k in 0..<nOut {
            let t = k == label
            let o = oBits[k] != 0
            let dp = t && !o && omBits[k] != 0
            let dm = o && !t && opBits[k] == 0
            dpBits[k] = dp ? 1 : 0
            dmBits[k] = dm ? 1 : 0
            dpIndex[dpCount] = Int32(k)
            dpCount &+= dp ? 1 : 0
            dmIndex[dmCount] = Int32(k)
            dmCount &+= dm ? 1 : 0
        }
        if dpCount == 0 && dmCount == 0 {
            // No output error: every update and the whole backward pass are zero.
            for pointer in [ePlus, eMinus] { pointer.update(repeating: 0, count: nHid) }
            for pointer in [gPlus, gMinus] { pointer.update(repeating: 0, count: nHid) }
            hiddenError.update(repeating: 0, count: nHid)
            return result
        }
        if variant == .chip {
            trainChip(active, gates: gates, dpCount: dpCount, dmCount: dmCount)
        } else {
            trainReference(active, dpCount: dpCount, dmCount: dmCount)
        }
        return result
    }

    /// o with the training margin: the circuit's g03 -> o (+m) and in_tgt -> o (-2m) lifts.
    func applyTrainingMargin(label: Int) {
        let margin = trainingMargin
        for k in 0..<sizes.output {
            let lift: Int32 = k == label ? 8704 - margin : 8704 + margin
            oBits[k] = NBPFastEngine.chipFires(z[k], lift: lift) ? 1 : 0
        }
    }

    /// Whether the next learning event is applied (always, unless a schedule is set).
    @inline(__always)
    func takeUpdate() -> Bool {
        if updateProbability >= 65536 { return true }
        return rounding.accept(numerator: updateProbability)
    }

    /// `e[j] = sum_k P[j,k] for k in first + sum_k Q[j,k] for k in second` (P, Q hidden x out).
    @inline(__always)
    func backward(
        into e: UnsafeMutablePointer<Int32>, _ p: UnsafeMutablePointer<Int16>,
        _ first: UnsafeMutablePointer<Int32>, _ firstCount: Int,
        _ q: UnsafeMutablePointer<Int16>, _ second: UnsafeMutablePointer<Int32>, _ secondCount: Int
    ) {
        // Column by column (the lists hold one or two outputs): a plain strided loop per
        // column instead of a short inner loop per hidden unit. Integer sums, so the order
        // does not change the result.
        let nOut = sizes.output
        let nHid = sizes.hidden
        e.update(repeating: 0, count: nHid)
        for position in 0..<firstCount {
            let column = p + Int(first[position])
            for j in 0..<nHid { e[j] &+= Int32(column[j &* nOut]) }
        }
        for position in 0..<secondCount {
            let column = q + Int(second[position])
            for j in 0..<nHid { e[j] &+= Int32(column[j &* nOut]) }
        }
    }

    /// `P[j,k] += delta` for every active hidden j (whose replay fires, when `replayed` is
    /// given) and every k in the list, clamped.
    @inline(__always)
    func updateOutputSide(
        _ p: UnsafeMutablePointer<Int16>, _ list: UnsafeMutablePointer<Int32>, _ count: Int, delta: Int16,
        replayed: UnsafeBufferPointer<UInt8>? = nil
    ) {
        if count == 0 { return }
        let nOut = sizes.output
        let low = variant.weightMin
        let high = variant.weightMax
        for position in 0..<hCount {
            if let replayed, replayed[Int(hIndex[position])] == 0 { continue }
            let row = p + Int(hIndex[position]) * nOut
            for listPosition in 0..<count {
                let k = Int(list[listPosition])
                if !takeUpdate() { continue }
                row[k] = min(high, max(low, row[k] &+ delta))
            }
        }
    }

    /// `W1[j,i] += delta` for every active input i and every selected hidden j, clamped.
    @inline(__always)
    func updateInputSide(_ active: UnsafeBufferPointer<Int32>, selected count: Int, delta: Int16) {
        if count == 0 { return }
        if updateProbability >= 65536 {
            // Every event applies: stage this one update and apply it at once (dense kernel
            // or sparse loop by how many hidden units are selected).
            applyStagedInputUpdate(active, staged: stageInputUpdate(selected: count, delta: delta, staged: 0))
            return
        }
        // With a schedule every event draws on its own, inputs then selected units.
        let nHid = sizes.hidden
        let low = halfMin
        let high = halfMax
        let step = Int8(delta / 2)
        for input in active {
            let row = w1Half + Int(input) * nHid
            for position in 0..<count {
                let j = Int(selIndex[position])
                if !takeUpdate() { continue }
                // Int16 sum: 127 + 1 must clamp, not wrap.
                row[j] = Int8(min(Int16(high), max(Int16(low), Int16(row[j]) &+ Int16(step))))
            }
        }
    }

    /// Adds `delta` for the selected hidden units (`selIndex[0..<count]`) to the staged W1
    /// update; returns the new number of staged units. A unit staged +2 and then -2 (chip
    /// phases 7 and 11) gets `clamp(clamp(w + 2) - 2)`, which for any w in [weightMin,
    /// weightMax] is `min(w, weightMax - 2)`: increment 0 under a lowered ceiling.
    @inline(__always)
    func stageInputUpdate(selected count: Int, delta: Int16, staged: Int) -> Int {
        let high = halfMax
        let step = Int8(delta / 2)
        var staged = staged
        for position in 0..<count {
            let j = Int(selIndex[position])
            if increment[j] == 0 && ceiling[j] == high {
                increment[j] = step
                stagedIndex[staged] = Int32(j)
                staged &+= 1
            } else {
                // Only +2 then -2 reaches here (chip); the reference variant's signs are disjoint.
                assert(increment[j] == 1 && step == -1, "W1 updates must be staged +2 before -2")
                increment[j] = 0
                ceiling[j] = high &- 1
            }
        }
        return staged
    }

    /// Applies the staged W1 update to every active row in one pass and clears the stage.
    @inline(__always)
    func applyStagedInputUpdate(_ active: UnsafeBufferPointer<Int32>, staged: Int) {
        if staged == 0 { return }
        let nHid = sizes.hidden
        let low = halfMin
        if staged * 16 > nHid {
            nbp_update_rows(
                w1Half, Int64(nHid), active.baseAddress, Int64(active.count), increment, ceiling, low, NCKernelAuto)
        } else {
            for input in active {
                let row = w1Half + Int(input) &* nHid
                for position in 0..<staged {
                    let j = Int(stagedIndex[position])
                    let sum = Int16(row[j]) &+ Int16(increment[j])
                    row[j] = Int8(min(Int16(ceiling[j]), max(Int16(low), sum)))
                }
            }
        }
        let high = halfMax
        for position in 0..<staged {
            let j = Int(stagedIndex[position])
            increment[j] = 0
            ceiling[j] = high
        }
    }

    /// `g = e > 0` (h1T lifted by g06/g10's g+gm05 = 9216) and the list of hidden units
    /// whose W1 row learns: g & b, b = hm & !hp being c_h1's gate in phases 7 and 11.
    @inline(__always)
    func selectHidden(_ e: UnsafeMutablePointer<Int32>, into g: UnsafeMutablePointer<UInt8>, b bCount: Int) -> Int {
        let nHid = sizes.hidden
        if chipWrapPossible {
            for j in 0..<nHid { g[j] = NBPFastEngine.chipFires(e[j], lift: 9216) ? 1 : 0 }
        } else {
            for j in 0..<nHid { g[j] = e[j] > 0 ? 1 : 0 }
        }
        // Only b units can learn: walk their list (`bIndex[0..<bCount]`, ascending).
        var selected = 0
        for position in 0..<bCount {
            let j = bIndex[position]
            selIndex[selected] = j
            selected &+= Int(g[Int(j)])
        }
        return selected
    }

    /// The b units (hm & !hp, c_h1's gate in phases 7 and 11) in ascending order; returns
    /// their number.
    @inline(__always)
    func listB() -> Int {
        var count = 0
        for j in 0..<sizes.hidden {
            bIndex[count] = Int32(truncatingIfNeeded: j)
            count &+= Int(hmBits[j] & (1 &- hpBits[j]))
        }
        return count
    }

    /// docs/nbp.md "What one sample computes", chip variant.
    /// W1 learns on the inputs replayed in phases 7 and 11, W2 and M on the hidden units
    /// replayed in phases 5 and 9: all of them unless the replay gates vetoed some.
    func trainChip(_ active: UnsafeBufferPointer<Int32>, gates: NBPSampleGates, dpCount: Int, dmCount: Int) {
        let potentiation = gates.potentiationReplay ?? active
        let depression = gates.depressionReplay ?? active
        // The W1 updates of phases 7 and 11 are applied in one pass over the active rows:
        // nothing in between reads W1 (e- reads W2 and M). Not when the energy recorder
        // needs W1' x in between, a stochastic schedule draws per event in order, or the
        // two phases replay different inputs.
        let combined =
            energyRecorder == nil && updateProbability >= 65536
            && potentiation.baseAddress == depression.baseAddress && potentiation.count == depression.count
        var staged = 0
        // Phase 5/6: e+ reads W2 and M before the phase-5 update.
        backward(into: ePlus, w2T, dpIndex, dpCount, mW, dmIndex, dmCount)
        updateOutputSide(w2T, dpIndex, dpCount, delta: 2, replayed: gates.potentiationHidden)
        updateOutputSide(mW, dmIndex, dmCount, delta: 2, replayed: gates.potentiationHidden)
        // g10/g06 lift h1T by 9216 (g + gm05): fires when e > 0.
        let bCount = listB()
        var selected = selectHidden(ePlus, into: gPlus, b: bCount)
        if combined {
            staged = stageInputUpdate(selected: selected, delta: 2, staged: staged)
        } else {
            updateInputSide(potentiation, selected: selected, delta: 2)
        }
        energyRecorder?.captureOutputSums(self)
        // Phase 9/10: e- reads W2 and M after phase 5, before phase 9.
        backward(into: eMinus, w2T, dmIndex, dmCount, mW, dpIndex, dpCount)
        updateOutputSide(w2T, dmIndex, dmCount, delta: -2, replayed: gates.depressionHidden)
        updateOutputSide(mW, dpIndex, dpCount, delta: -2, replayed: gates.depressionHidden)
        selected = selectHidden(eMinus, into: gMinus, b: bCount)
        if combined {
            staged = stageInputUpdate(selected: selected, delta: -2, staged: staged)
            applyStagedInputUpdate(depression, staged: staged)
        } else {
            energyRecorder?.captureHiddenSums(self, depression, selected: selected)
            updateInputSide(depression, selected: selected, delta: -2)
        }
    }

    /// The authors' numpy semantics (docs/nbp.md "What one sample computes", last paragraph).
    func trainReference(_ active: UnsafeBufferPointer<Int32>, dpCount: Int, dmCount: Int) {
        let nHid = sizes.hidden
        updateOutputSide(w2T, dpIndex, dpCount, delta: 2)
        updateOutputSide(w2T, dmIndex, dmCount, delta: -2)
        // e = W2_new^T (dp - dm): subtract the dm columns.
        let nOut = sizes.output
        for j in 0..<nHid {
            var sum: Int32 = 0
            let row = w2T + j * nOut
            for position in 0..<dpCount { sum &+= Int32(row[Int(dpIndex[position])]) }
            for position in 0..<dmCount { sum &-= Int32(row[Int(dmIndex[position])]) }
            ePlus[j] = sum
            let b = hmBits[j] != 0 && hpBits[j] == 0
            hiddenError[j] = b ? (sum > 0 ? 1 : (sum < 0 ? -1 : 0)) : 0
        }
        eMinus.update(repeating: 0, count: nHid)
        gPlus.update(repeating: 0, count: nHid)
        gMinus.update(repeating: 0, count: nHid)
        if updateProbability >= 65536 {
            // Both signs in one pass over the active rows (their hidden units are disjoint).
            var staged = 0
            for j in 0..<nHid where hiddenError[j] != 0 {
                increment[j] = hiddenError[j]
                stagedIndex[staged] = Int32(j)
                staged &+= 1
            }
            applyStagedInputUpdate(active, staged: staged)
            return
        }
        for (sign, delta) in [(Int8(1), Int16(2)), (Int8(-1), Int16(-2))] {
            var selected = 0
            for j in 0..<nHid {
                selIndex[selected] = Int32(j)
                selected &+= hiddenError[j] == sign ? 1 : 0
            }
            updateInputSide(active, selected: selected, delta: delta)
        }
    }
}
