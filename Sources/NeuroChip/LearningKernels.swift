// The hot loops of the learning engine (docs/neurochip.md "Learning engine and rule grammar"), written once per (delivery
// copy, rounding) pair through generics that the optimiser specialises: no per-synapse
// switch, no class property access. Each synapse rounds with its own keyed draw (the
// draw at its synapse index, ChipDraws.swift), as the general evaluation does
// (LearningEvaluation.swift), which the tests check against `usesGeneralEvaluation`.

import CNeuroChipKernels

/// Where a changed weight mantissa is mirrored for delivery (Connection.swift).
enum DeliveryTarget {
    /// e < 0: currents `(w >> -e) << 6`, `rightShift` = -e.
    case currents(UnsafeMutablePointer<Int32>, rightShift: Int32)
    case packedMixed(UnsafeMutablePointer<Int8>)
    case packedExcitatory(UnsafeMutablePointer<Int8>)
    case packedInhibitory(UnsafeMutablePointer<Int8>)
    case mantissaOnly

    init(
        shift: Int, mode: SignMode, currents: UnsafeMutablePointer<Int32>?, packed: UnsafeMutablePointer<Int8>?
    ) {
        if shift < 0, let currents {
            self = .currents(currents, rightShift: Int32(-shift))
        } else if shift >= 0, let packed {
            switch mode {
            case .mixed: self = .packedMixed(packed)
            case .excitatory: self = .packedExcitatory(packed)
            case .inhibitory: self = .packedInhibitory(packed)
            }
        } else {
            self = .mantissaOnly
        }
    }
}

protocol WeightCopy {
    /// `w` is a clamped weight mantissa.
    func store(_ k: Int, _ w: Int32)
}

/// `synapticCurrent` for e < 0: `floor(w * 2^e) * 64`, an arithmetic right shift by r = -e
/// then a left shift by 6.
struct CurrentCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int32>
    let rightShift: Int32
    @inline(__always) func store(_ k: Int, _ w: Int32) {
        base[k] = (w &>> rightShift) &<< 6
    }
}

/// `ConnectionRuntime.pack` for the three sign modes (w is already in the mode's range).
struct PackedMixedCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int8>
    @inline(__always) func store(_ k: Int, _ w: Int32) { base[k] = Int8(truncatingIfNeeded: w &>> 1) }
}

struct PackedExcitatoryCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int8>
    @inline(__always) func store(_ k: Int, _ w: Int32) { base[k] = Int8(truncatingIfNeeded: w) }
}

struct PackedInhibitoryCopy: WeightCopy {
    let base: UnsafeMutablePointer<Int8>
    @inline(__always) func store(_ k: Int, _ w: Int32) { base[k] = Int8(truncatingIfNeeded: 0 &- w) }
}

struct NoCopy: WeightCopy {
    @inline(__always) func store(_ k: Int, _ w: Int32) {}
}

/// The rounding draws of one learning runtime at one epoch: synapse k, counted from the
/// runtime's first post (`i * rowStride + j`), draws at index `first + k` of `stream`.
struct RoundingDraws {
    let stream: ChipDrawStream
    let first: Int

    @inline(__always) func value(_ k: Int) -> UInt64 { stream.value(first &+ k) }
}

protocol GridRounding {
    /// The change of synapse k whose rule sum (at scale 2^shift) is `sum`.
    func change(_ sum: Int64, _ k: Int, _ draws: RoundingDraws) -> Int64
}

/// Stochastic rounding to the grid (docs/neurochip.md "Learning engine and rule grammar"): floor, plus one with probability
/// remainder / 2^shift, decided by the synapse's draw. Branch-free: with remainder 0 the
/// unsigned comparison `top bits < 0` is false, so there is no round-up.
struct StochasticRounding: GridRounding {
    let shift: Int64
    let gridLog: Int64

    @inline(__always) func change(_ sum: Int64, _ k: Int, _ draws: RoundingDraws) -> Int64 {
        let remainder = UInt64(bitPattern: sum & ((1 &<< shift) &- 1))
        let up: Int64 = (draws.value(k) &>> UInt64(64 &- shift)) < remainder ? 1 : 0
        return ((sum &>> shift) &+ up) &<< gridLog
    }
}

/// Rules whose every coefficient is on the grid (`CompiledRule.onGrid`): the remainder is
/// always 0, so the draw is never needed.
struct ExactRounding: GridRounding {
    let shift: Int64
    let gridLog: Int64

    @inline(__always) func change(_ sum: Int64, _ k: Int, _ draws: RoundingDraws) -> Int64 {
        (sum &>> shift) &<< gridLog
    }
}

/// The terms of a fused sweep row: `constant + postA * column[j] + weightA * (w + weightOffset)`.
struct SweepRowTerms {
    var constant: Int64 = 0
    /// Some constant product is non-zero: every synapse of the row is processed.
    var constantCounts = false
    var postA: Int64 = 0
    var weightA: Int64 = 0
    var weightOffset: Int64 = 0
}

enum LearningKernels {
    /// Fused sweep of posts `range` of one row: sum, round, clamp, store. Returns how many
    /// synapses had a non-zero product.
    static func sweepRow(
        _ range: Range<Int>, rowBase: Int, terms: SweepRowTerms, column: UnsafePointer<Int64>,
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: RuleRounding, draws: RoundingDraws
    ) -> Int {
        let gridLog = Int64(rule.gridLog)
        let shift = Int64(rule.shift)
        if rule.onGrid {
            return sweepRow(
                range, rowBase, terms, column, weights, target, ExactRounding(shift: shift, gridLog: gridLog),
                rule.lo...rule.hi, draws)
        }
        return sweepRow(
            range, rowBase, terms, column, weights, target, StochasticRounding(shift: shift, gridLog: gridLog),
            rule.lo...rule.hi, draws)
    }

    @inline(__always)
    private static func sweepRow<Round: GridRounding>(
        _ range: Range<Int>, _ rowBase: Int, _ terms: SweepRowTerms, _ column: UnsafePointer<Int64>,
        _ weights: UnsafeMutablePointer<Int16>, _ target: DeliveryTarget, _ rounding: Round,
        _ limits: ClosedRange<Int64>, _ draws: RoundingDraws
    ) -> Int {
        switch target {
        case .currents(let base, let r):
            return sweepRow(
                range, rowBase, terms, column, weights, CurrentCopy(base: base, rightShift: r), rounding, limits,
                draws)
        case .packedMixed(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedMixedCopy(base: base), rounding, limits, draws)
        case .packedExcitatory(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedExcitatoryCopy(base: base), rounding, limits, draws)
        case .packedInhibitory(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedInhibitoryCopy(base: base), rounding, limits, draws)
        case .mantissaOnly:
            return sweepRow(range, rowBase, terms, column, weights, NoCopy(), rounding, limits, draws)
        }
    }

    @inline(never)
    private static func sweepRow<Copy: WeightCopy, Round: GridRounding>(
        _ range: Range<Int>, _ rowBase: Int, _ terms: SweepRowTerms, _ column: UnsafePointer<Int64>,
        _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy, _ rounding: Round, _ limits: ClosedRange<Int64>,
        _ draws: RoundingDraws
    ) -> Int {
        // Locals, so the loop keeps everything in registers. All values are small (rule
        // constants are bounded, LearningRule.swift), so the wrapping operators never wrap.
        let constant = terms.constant
        let always = terms.constantCounts ? 1 : 0
        let postA = terms.postA
        let weightA = terms.weightA
        let weightOffset = terms.weightOffset
        let lo = limits.lowerBound
        let hi = limits.upperBound
        var processed = 0
        for j in range {
            let k = rowBase &+ j
            let w = Int64(weights[k])
            let termPost = postA &* column[j]
            let termWeight = weightA &* (w &+ weightOffset)
            let sum = constant &+ termPost &+ termWeight
            processed &+= always | ((termPost | termWeight) != 0 ? 1 : 0)
            let updated = min(max(w &+ rounding.change(sum, k, draws), lo), hi)
            weights[k] = Int16(truncatingIfNeeded: updated)
            copy.store(k, Int32(truncatingIfNeeded: updated))
        }
        return processed
    }

    /// `sweepRow` in three passes over Int32 lanes, for rules with `sumBound < 2^30` (so
    /// no lane can wrap): the sums, the rounding with each synapse's draw, then clamp and
    /// store, each vectorisable. `scratch` holds at least `range.count` values.
    static func sweepRow32(
        _ range: Range<Int>, rowBase: Int, terms: SweepRowTerms, column: UnsafePointer<Int32>,
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: RuleRounding,
        scratch: UnsafeMutablePointer<Int32>, draws: RoundingDraws
    ) -> Int {
        let count = range.count
        if count == 0 { return 0 }
        let w = weights + (rowBase &+ range.lowerBound)
        let processed = Int(
            nc_sweep_sums(
                scratch, column + range.lowerBound, w, Int64(count), Int32(truncatingIfNeeded: terms.constant),
                terms.constantCounts ? 1 : 0, Int32(truncatingIfNeeded: terms.postA),
                Int32(truncatingIfNeeded: terms.weightA), Int32(truncatingIfNeeded: terms.weightOffset), NCKernelAuto))
        let shift = Int32(rule.shift)
        if rule.onGrid {
            for j in 0..<count { scratch[j] = scratch[j] &>> shift }
        } else {
            let first = rowBase &+ range.lowerBound
            if (1...30).contains(shift) {
                nc_round_stochastically(
                    scratch, Int64(count), shift, draws.stream.key, Int64(draws.first &+ first), NCKernelAuto)
            } else {
                roundStochastically32(count, shift, scratch, draws, first: first)
            }
        }
        let gridLog = Int32(rule.gridLog)
        let lo = Int32(rule.lo)
        let hi = Int32(rule.hi)
        let first = rowBase &+ range.lowerBound
        switch target {
        case .currents(let base, let r):
            store32(count, first, gridLog, lo, hi, scratch, weights, CurrentCopy(base: base, rightShift: r))
        case .packedMixed(let base):
            store32(count, first, gridLog, lo, hi, scratch, weights, PackedMixedCopy(base: base))
        case .packedExcitatory(let base):
            store32(count, first, gridLog, lo, hi, scratch, weights, PackedExcitatoryCopy(base: base))
        case .packedInhibitory(let base):
            store32(count, first, gridLog, lo, hi, scratch, weights, PackedInhibitoryCopy(base: base))
        case .mantissaOnly:
            store32(count, first, gridLog, lo, hi, scratch, weights, NoCopy())
        }
        return processed
    }

    /// Pass 2 (pass 1, the sums, is the C kernel `nc_sweep_sums`): `sums[j] = floor(sum /
    /// 2^shift) + up`, with synapse `first + j`'s draw. The reference of the C kernel
    /// `nc_round_stochastically` (four draws at once with AVX2), which runs it for shifts
    /// 1...30; this loop serves any other shift.
    @inline(never)
    static func roundStochastically32(
        _ count: Int, _ shift: Int32, _ sums: UnsafeMutablePointer<Int32>, _ draws: RoundingDraws, first: Int
    ) {
        let mask = (Int32(1) &<< shift) &- 1
        for j in 0..<count {
            let sum = sums[j]
            let remainder = UInt64(UInt32(bitPattern: sum & mask))
            let up: Int32 = (draws.value(first &+ j) &>> UInt64(64 &- shift)) < remainder ? 1 : 0
            sums[j] = (sum &>> shift) &+ up
        }
    }

    /// Pass 3: clamp `w + change * grid` to the range, store the mantissa and its copy.
    @inline(never)
    private static func store32<Copy: WeightCopy>(
        _ count: Int, _ first: Int, _ gridLog: Int32, _ lo: Int32, _ hi: Int32,
        _ scratch: UnsafeMutablePointer<Int32>, _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy
    ) {
        for j in 0..<count {
            let k = first &+ j
            let updated = min(max(Int32(weights[k]) &+ (scratch[j] &<< gridLog), lo), hi)
            weights[k] = Int16(truncatingIfNeeded: updated)
            copy.store(k, updated)
        }
    }

    /// Adds the rounded `sum` to every (row, post) pair, rows then posts in the given
    /// (ascending) order: the pair path of a rule whose pair sum is uniform.
    static func updatePairs(
        rows: UnsafeBufferPointer<Int32>, posts: UnsafeBufferPointer<Int32>, rowLength: Int, sum: Int64,
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: CompiledRule, draws: RoundingDraws
    ) {
        let rule = rule.rounding
        let gridLog = Int64(rule.gridLog)
        let shift = Int64(rule.shift)
        let remainder = sum & ((Int64(1) &<< shift) &- 1)
        if remainder == 0 {
            // No draws: one change for every pair.
            let change = (sum &>> shift) &<< gridLog
            if change == 0 { return }
            updatePairs(rows, posts, rowLength, weights, target, rule.lo...rule.hi) { _ in change }
        } else {
            let rounding = StochasticRounding(shift: shift, gridLog: gridLog)
            updatePairs(rows, posts, rowLength, weights, target, rule.lo...rule.hi) { k in
                rounding.change(sum, k, draws)
            }
        }
    }

    @inline(__always)
    private static func updatePairs(
        _ rows: UnsafeBufferPointer<Int32>, _ posts: UnsafeBufferPointer<Int32>, _ rowLength: Int,
        _ weights: UnsafeMutablePointer<Int16>, _ target: DeliveryTarget, _ limits: ClosedRange<Int64>,
        _ change: (Int) -> Int64
    ) {
        switch target {
        case .currents(let base, let r):
            updatePairs(rows, posts, rowLength, weights, CurrentCopy(base: base, rightShift: r), limits, change)
        case .packedMixed(let base):
            updatePairs(rows, posts, rowLength, weights, PackedMixedCopy(base: base), limits, change)
        case .packedExcitatory(let base):
            updatePairs(rows, posts, rowLength, weights, PackedExcitatoryCopy(base: base), limits, change)
        case .packedInhibitory(let base):
            updatePairs(rows, posts, rowLength, weights, PackedInhibitoryCopy(base: base), limits, change)
        case .mantissaOnly:
            updatePairs(rows, posts, rowLength, weights, NoCopy(), limits, change)
        }
    }

    @inline(__always)
    private static func updatePairs<Copy: WeightCopy>(
        _ rows: UnsafeBufferPointer<Int32>, _ posts: UnsafeBufferPointer<Int32>, _ rowLength: Int,
        _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy, _ limits: ClosedRange<Int64>,
        _ change: (Int) -> Int64
    ) {
        let lo = limits.lowerBound
        let hi = limits.upperBound
        for i in rows {
            let rowBase = Int(i) &* rowLength
            for j in posts {
                let k = rowBase &+ Int(j)
                let updated = min(max(Int64(weights[k]) &+ change(k), lo), hi)
                weights[k] = Int16(truncatingIfNeeded: updated)
                copy.store(k, Int32(truncatingIfNeeded: updated))
            }
        }
    }
}
