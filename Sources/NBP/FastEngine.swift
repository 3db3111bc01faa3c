import CNBPKernels
import CNeuroChipKernels
import EnergyModel
import SynfireRandom

/// What the fast engine computes with besides the weights (all values, set between samples).
public struct NBPFastParameters: Sendable, Equatable {
    /// The circuit's semantics or the authors' numpy simulation's (docs/nbp.md).
    public var variant: NBPVariant
    /// Training margin m (docs/nbp.md): while training, the target output fires only when
    /// z > 512 + m and every other output already when z > 512 - m, so samples inside the
    /// margin count as errors and learn. 0 = the paper. Inference is unaffected.
    public var trainingMargin: Int32 = 0
    /// Probability (numerator over 2^16) that a given ±2 learning event is applied; 65536
    /// applies every event as in the paper.
    public var updateProbability: UInt32 = 65536
    /// Lifts, bias and threshold of the circuit's neurons.
    public var firing: NBPFiringRule = .circuit

    public init(variant: NBPVariant) { self.variant = variant }
}

/// The fast path: computes directly, in integers, what the nBP circuit computes on the chip
/// (`.chip`, docs/nbp.md "The circuit's arithmetic") or what the authors' numpy simulation
/// computes (`.reference`). For every run whose updates are all applied or gated by the
/// host; per-synapse rounding (`NBPScheduledEngine`) and the chip itself are the other two
/// backends. Event-driven: only active inputs and hidden units touch weights, and a sample
/// whose output is already right changes nothing and skips the backward pass.
///
/// Storage is pre-major so that the forward pass adds contiguous rows: `w1Half` is
/// input x hidden (in half units), `w2T` hidden x output, `mW` hidden x output. The weights
/// and the scratch of one sample are raw allocations owned by this object so the kernels run
/// over plain pointers (STYLE.md, "Hot loops"); none of them leaves the object.
public final class NBPFastEngine: @unchecked Sendable {
    public let sizes: NBPSizes
    public var parameters: NBPFastParameters
    public var variant: NBPVariant { parameters.variant }
    /// See `NBPFastParameters.updateProbability`.
    public var updateProbability: UInt32 { parameters.updateProbability }
    /// See `NBPFastParameters.trainingMargin`.
    public var trainingMargin: Int32 {
        get { parameters.trainingMargin }
        set { parameters.trainingMargin = newValue }
    }

    /// W1 input x hidden in half units (w / 2, exact: every weight is even, docs/nbp.md
    /// "Fast path"), so a row of 400 inputs is 400 bytes and both the forward sums and the updates
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
    /// Whether a hidden unit's 24-bit voltage can wrap (docs/neurochip.md): only for very
    /// wide inputs, e.g. 784 * 256 * 64 > 2^23. When false, plain comparisons are exact.
    let chipWrapPossible: Bool

    /// Random stream for the reference variant's stochastic updates (`setUpdateProbability`).
    var rounding: SplitMix64

    /// Chip op counts of every sample when on (`enableEnergyCounts()`, FastEnergy.swift).
    public internal(set) var energyRecorder: NBPFastEnergyRecorder? {
        didSet { probe = energyRecorder }
    }
    /// Watches each sample at the points where the chip reads a sum the engine does not keep.
    var probe: NBPFastSampleProbe?

    public convenience init(weights: NBPWeights, variant: NBPVariant, roundingSeed: UInt64 = 0) throws(NBPError) {
        try self.init(weights: weights, parameters: NBPFastParameters(variant: variant), roundingSeed: roundingSeed)
    }

    public init(weights: NBPWeights, parameters: NBPFastParameters, roundingSeed: UInt64 = 0) throws(NBPError) {
        let variant = parameters.variant
        try weights.validate(variant: variant)
        let sizes = weights.sizes
        self.sizes = sizes
        self.parameters = parameters
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
        rounding = SplitMix64(seed: roundingSeed)
        // The largest |sum + lift| a neuron can see: fan-in x the largest |weight| plus the
        // largest lift; the 24-bit voltage wraps only when 64 times that nears 2^23.
        let firing = parameters.firing
        let widest = max(nIn, nHid, nOut) * Int(-NBPVariant.chip.weightMin) + Int(firing.minusLift)
        chipWrapPossible = widest * 64 >= (1 << 23) - Int(firing.threshold) * 64
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
        parameters.updateProbability = min(65536, numerator)
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

    // MARK: - Forward pass

    /// `a = W1 x`: one contiguous Int16 row per active input (event-driven, docs/nbp.md "Fast path"), summed by
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
        let firing = parameters.firing
        let (on, minus, plus) = (firing.onLift, firing.minusLift, firing.plusLift)
        if variant == .chip && chipWrapPossible {
            for j in 0..<nHid {
                // g02 lifts h1 by g, h1_copy by g + gm05, h1_copy2 by gp05.
                let value = a[j]
                hBits[j] = firing.fires(value, lift: on) ? 1 : 0
                hmBits[j] = firing.fires(value, lift: minus) ? 1 : 0
                hpBits[j] = firing.fires(value, lift: plus) ? 1 : 0
            }
        } else {
            // No 24-bit wrap can occur (chip) or none exists (reference): plain strict tests.
            let onSum = firing.firingSum(lift: on)
            let minusSum = firing.firingSum(lift: minus)
            let plusSum = variant.plusThreshold
            for j in 0..<nHid {
                let value = a[j]
                hBits[j] = value > onSum ? 1 : 0
                hmBits[j] = value > minusSum ? 1 : 0
                hpBits[j] = value > plusSum ? 1 : 0
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
        let (onSum, minusSum, plusSum) = (
            firing.firingSum(lift: on), firing.firingSum(lift: minus), variant.plusThreshold
        )
        for k in 0..<nOut {
            let value = z[k]
            if isChip {
                oBits[k] = firing.fires(value, lift: on) ? 1 : 0
                omBits[k] = firing.fires(value, lift: minus) ? 1 : 0
                opBits[k] = firing.fires(value, lift: plus) ? 1 : 0
            } else {
                oBits[k] = value > onSum ? 1 : 0
                omBits[k] = value > minusSum ? 1 : 0
                opBits[k] = value > plusSum ? 1 : 0
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

    /// Inference only (the 4-step inference circuit): no weight changes.
    public func infer(_ sample: NBPSample) -> NBPSampleOutcome {
        sample.active.withUnsafeBufferPointer { active in
            forward(active)
            probe?.inferenceSampleDidEnd(self, active)
            return outcome(label: sample.label)
        }
    }

    /// Active inputs from a 0/1 vector.
    public func infer(input: [UInt8], label: Int) -> NBPSampleOutcome {
        infer(NBPSample(image: input, label: label))
    }

    public func train(input: [UInt8], label: Int) -> NBPSampleOutcome {
        train(NBPSample(image: input, label: label), gates: .open)
    }

    public static func activeIndices(_ input: [UInt8]) -> [Int32] {
        var active: [Int32] = []
        for (index, value) in input.enumerated() where value != 0 { active.append(Int32(index)) }
        return active
    }

    // MARK: - Training

    /// One training sample: forward pass, output error, both weight updates and the
    /// backward pass of the chosen variant, under the host's gates (a closed gate is the
    /// forward pass only; the W1 updates of phases 7 and 11 touch the replayed inputs only).
    /// Returns the forward outcome (before learning).
    public func train(_ sample: NBPSample, gates: NBPSampleGates) -> NBPSampleOutcome {
        if !gates.learns {
            let plain = infer(sample)
            guard trainingMargin != 0 else { return plain }
            // A closed gate still shows the margin's o (the chip's o fires before the gate
            // vetoes d+ and d-), so train exact counts the same as on the chip.
            applyTrainingMargin(label: sample.label)
            return outcome(label: sample.label)
        }
        precondition(probe == nil || !gates.vetoesReplay, "energy counts do not cover the replay gates")
        precondition(variant == .chip || !gates.vetoesReplay, "the replay gates are a chip-circuit option")
        return sample.active.withUnsafeBufferPointer { train($0, label: sample.label, gates: gates) }
    }

    private func train(_ active: UnsafeBufferPointer<Int32>, label: Int, gates: NBPSampleGates) -> NBPSampleOutcome {
        forward(active)
        if trainingMargin != 0 { applyTrainingMargin(label: label) }
        let result = outcome(label: label)
        defer { if pendingReferenceClip { clipReferenceWeights() } }
        // Runs after every update of this sample (both return paths).
        defer { probe?.trainingSampleDidEnd(self, active, label: label) }
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
        let firing = parameters.firing
        for k in 0..<sizes.output {
            let lift = k == label ? firing.onLift - margin : firing.onLift + margin
            oBits[k] = firing.fires(z[k], lift: lift) ? 1 : 0
        }
    }

    /// Whether the next learning event is applied (always, unless a schedule is set).
    @inline(__always)
    func takeUpdate() -> Bool {
        let probability = parameters.updateProbability
        if probability >= 65536 { return true }
        return rounding.accept(numerator: probability)
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
        replayed: [UInt8]? = nil
    ) {
        if count == 0 { return }
        guard let replayed else { return updateOutputRows(p, list, count, delta: delta, replayed: nil) }
        replayed.withUnsafeBufferPointer { updateOutputRows(p, list, count, delta: delta, replayed: $0) }
    }

    @inline(__always)
    func updateOutputRows(
        _ p: UnsafeMutablePointer<Int16>, _ list: UnsafeMutablePointer<Int32>, _ count: Int, delta: Int16,
        replayed: UnsafeBufferPointer<UInt8>?
    ) {
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

    /// `g = e > 0` (h1T lifted by g06/g10's g + gm05) and the list of hidden units
    /// whose W1 row learns: g & b, b = hm & !hp being c_h1's gate in phases 7 and 11.
    @inline(__always)
    func selectHidden(_ e: UnsafeMutablePointer<Int32>, into g: UnsafeMutablePointer<UInt8>, b bCount: Int) -> Int {
        let nHid = sizes.hidden
        let firing = parameters.firing
        let lift = firing.minusLift
        if chipWrapPossible {
            for j in 0..<nHid { g[j] = firing.fires(e[j], lift: lift) ? 1 : 0 }
        } else {
            let threshold = firing.firingSum(lift: lift)
            for j in 0..<nHid { g[j] = e[j] > threshold ? 1 : 0 }
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

    /// The chip variant (docs/nbp.md, "The circuit's arithmetic"). W1 learns on the inputs
    /// replayed in phases 7 and 11, W2 and M on the hidden units replayed in phases 5 and 9:
    /// all of them unless the replay gates vetoed some.
    func trainChip(_ active: UnsafeBufferPointer<Int32>, gates: NBPSampleGates, dpCount: Int, dmCount: Int) {
        NBPFastEngine.withReplayed(gates.potentiationReplay, or: active) { potentiation in
            NBPFastEngine.withReplayed(gates.depressionReplay, or: active) { depression in
                // The W1 updates of phases 7 and 11 are applied in one pass over the active
                // rows when both replay every input: nothing in between reads W1 (e- reads
                // W2 and M). Not when a probe needs W1' x in between or a stochastic
                // schedule draws per event in order.
                let combined =
                    probe == nil && updateProbability >= 65536 && gates.potentiationReplay == nil
                    && gates.depressionReplay == nil
                trainChip(
                    potentiation: potentiation, depression: depression, gates: gates, combined: combined,
                    dpCount: dpCount, dmCount: dmCount)
            }
        }
    }

    /// The replayed inputs of a phase: `replayed`, or every active input.
    @inline(__always)
    static func withReplayed<Result>(
        _ replayed: [Int32]?, or active: UnsafeBufferPointer<Int32>, _ body: (UnsafeBufferPointer<Int32>) -> Result
    ) -> Result {
        guard let replayed else { return body(active) }
        return replayed.withUnsafeBufferPointer(body)
    }

    @inline(__always)
    func trainChip(
        potentiation: UnsafeBufferPointer<Int32>, depression: UnsafeBufferPointer<Int32>, gates: NBPSampleGates,
        combined: Bool, dpCount: Int, dmCount: Int
    ) {
        var staged = 0
        // Phase 5/6: e+ reads W2 and M before the phase-5 update.
        backward(into: ePlus, w2T, dpIndex, dpCount, mW, dmIndex, dmCount)
        updateOutputSide(w2T, dpIndex, dpCount, delta: 2, replayed: gates.potentiationHidden)
        updateOutputSide(mW, dmIndex, dmCount, delta: 2, replayed: gates.potentiationHidden)
        // g10/g06 lift h1T by g + gm05: fires when e > 0.
        let bCount = listB()
        var selected = selectHidden(ePlus, into: gPlus, b: bCount)
        if combined {
            staged = stageInputUpdate(selected: selected, delta: 2, staged: staged)
        } else {
            updateInputSide(potentiation, selected: selected, delta: 2)
        }
        probe?.outputSideDidUpdate(self)
        // Phase 9/10: e- reads W2 and M after phase 5, before phase 9.
        backward(into: eMinus, w2T, dmIndex, dmCount, mW, dpIndex, dpCount)
        updateOutputSide(w2T, dmIndex, dmCount, delta: -2, replayed: gates.depressionHidden)
        updateOutputSide(mW, dpIndex, dpCount, delta: -2, replayed: gates.depressionHidden)
        selected = selectHidden(eMinus, into: gMinus, b: bCount)
        if combined {
            staged = stageInputUpdate(selected: selected, delta: -2, staged: staged)
            applyStagedInputUpdate(depression, staged: staged)
        } else {
            probe?.inputSideWillUpdate(self, replayed: depression, selected: selected)
            updateInputSide(depression, selected: selected, delta: -2)
        }
    }

    /// The authors' numpy semantics (docs/nbp.md, "Variants").
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

extension NBPFastEngine: NBPEngine {
    public func beginEpoch(_ epoch: Int, schedule: NBPLearningSchedule) {
        setUpdateProbability(numerator: schedule.ruleProbabilityNumerator(epoch: epoch))
        probe?.epochWillStart(self)
    }

    /// The copies equal W1 / W2: every update applies to all of them alike.
    public func separateCopies() throws(NBPError) -> NBPChipMatrices? { nil }

    public func recordEnergyCounts() throws { try enableEnergyCounts() }

    public var energyCounts: (training: EnergyCounts?, inference: EnergyCounts?) {
        (energyRecorder?.trainingCounts, energyRecorder?.inferenceCounts)
    }
}

/// Watches the fast engine inside a sample, at the points where the chip circuit reads a sum
/// the engine does not keep (the energy counts need them). It reads the engine's scratch,
/// hence internal.
protocol NBPFastSampleProbe: AnyObject {
    /// After the phase-5 updates of W2 and M.
    func outputSideDidUpdate(_ engine: NBPFastEngine)
    /// Before the phase-11 update of W1 (the hidden units it selects in `selIndex`).
    func inputSideWillUpdate(_ engine: NBPFastEngine, replayed: UnsafeBufferPointer<Int32>, selected: Int)
    /// After every update of a training sample.
    func trainingSampleDidEnd(_ engine: NBPFastEngine, _ active: UnsafeBufferPointer<Int32>, label: Int)
    /// After an inference sample.
    func inferenceSampleDidEnd(_ engine: NBPFastEngine, _ active: UnsafeBufferPointer<Int32>)
    /// Before an epoch: the chip engine starts every epoch on a fresh chip.
    func epochWillStart(_ engine: NBPFastEngine)
}
