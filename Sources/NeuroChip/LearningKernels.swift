// The hot loops of the learning engine (loihi-model.md §3), written once per (delivery
// copy, rounding) pair through generics that the optimiser specialises: no per-synapse
// switch, no class property access, the generator state in a register. They make the same
// draws in the same order as the general evaluation (LearningEvaluation.swift: one
// `next()` per synapse whose sum is off the grid, rows ascending, then posts ascending;
// docs/neurochip.md), which the tests check against `usesGeneralEvaluation`.

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

protocol GridRounding {
    /// The change of a synapse whose rule sum (at scale 2^shift) is `sum`.
    func change(_ sum: Int64, _ random: inout ChipRandom) -> Int64
}

/// Stochastic rounding to the grid (loihi-model.md §3): floor, plus one with probability
/// remainder / 2^shift. Branch-free: the state advances only when the remainder is non-zero
/// (the draw semantics of `ChipRandom.roundsUp`), and with remainder 0 the unsigned
/// comparison `top bits < 0` is false, so no draw and no round-up, exactly as the general
/// path that skips the draw.
struct StochasticRounding: GridRounding {
    let shift: Int64
    let gridLog: Int64

    @inline(__always) func change(_ sum: Int64, _ random: inout ChipRandom) -> Int64 {
        let remainder = UInt64(bitPattern: sum & ((1 &<< shift) &- 1))
        random.state &+= remainder != 0 ? ChipRandom.increment : 0
        let z = ChipRandom.output(random.state)
        let up: Int64 = (z &>> UInt64(64 &- shift)) < remainder ? 1 : 0
        return ((sum &>> shift) &+ up) &<< gridLog
    }
}

/// Rules whose every coefficient is on the grid (`CompiledRule.onGrid`): the remainder is
/// always 0, so there is never a draw.
struct ExactRounding: GridRounding {
    let shift: Int64
    let gridLog: Int64

    @inline(__always) func change(_ sum: Int64, _ random: inout ChipRandom) -> Int64 {
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
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: RuleRounding, random: inout ChipRandom
    ) -> Int {
        let gridLog = Int64(rule.gridLog)
        let shift = Int64(rule.shift)
        if rule.onGrid {
            return sweepRow(
                range, rowBase, terms, column, weights, target, ExactRounding(shift: shift, gridLog: gridLog),
                rule.lo...rule.hi, &random)
        }
        return sweepRow(
            range, rowBase, terms, column, weights, target, StochasticRounding(shift: shift, gridLog: gridLog),
            rule.lo...rule.hi, &random)
    }

    @inline(__always)
    private static func sweepRow<Round: GridRounding>(
        _ range: Range<Int>, _ rowBase: Int, _ terms: SweepRowTerms, _ column: UnsafePointer<Int64>,
        _ weights: UnsafeMutablePointer<Int16>, _ target: DeliveryTarget, _ rounding: Round,
        _ limits: ClosedRange<Int64>, _ random: inout ChipRandom
    ) -> Int {
        switch target {
        case .currents(let base, let r):
            return sweepRow(
                range, rowBase, terms, column, weights, CurrentCopy(base: base, rightShift: r), rounding, limits,
                &random)
        case .packedMixed(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedMixedCopy(base: base), rounding, limits, &random)
        case .packedExcitatory(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedExcitatoryCopy(base: base), rounding, limits, &random)
        case .packedInhibitory(let base):
            return sweepRow(
                range, rowBase, terms, column, weights, PackedInhibitoryCopy(base: base), rounding, limits, &random)
        case .mantissaOnly:
            return sweepRow(range, rowBase, terms, column, weights, NoCopy(), rounding, limits, &random)
        }
    }

    @inline(never)
    private static func sweepRow<Copy: WeightCopy, Round: GridRounding>(
        _ range: Range<Int>, _ rowBase: Int, _ terms: SweepRowTerms, _ column: UnsafePointer<Int64>,
        _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy, _ rounding: Round, _ limits: ClosedRange<Int64>,
        _ random: inout ChipRandom
    ) -> Int {
        // Locals, so the loop keeps everything (the generator state too) in registers. All
        // values are small (rule constants are bounded, LearningRule.swift), so the
        // wrapping operators never wrap.
        var generator = random
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
            let updated = min(max(w &+ rounding.change(sum, &generator), lo), hi)
            weights[k] = Int16(truncatingIfNeeded: updated)
            copy.store(k, Int32(truncatingIfNeeded: updated))
        }
        random = generator
        return processed
    }

    /// `sweepRow` in three passes over Int32 lanes, for rules with `sumBound < 2^30` (so
    /// no lane can wrap): the sums (vectorisable), the draws (the only serial part: the
    /// generator state, one SplitMix64 step per off-grid synapse, in post order), then
    /// clamp and store (vectorisable). `scratch` holds at least `range.count` values.
    static func sweepRow32(
        _ range: Range<Int>, rowBase: Int, terms: SweepRowTerms, column: UnsafePointer<Int32>,
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: RuleRounding,
        scratch: UnsafeMutablePointer<Int32>, random: inout ChipRandom
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
            if (1...31).contains(shift) {
                random.state = nc_round_stochastically(scratch, Int64(count), shift, random.state, NCKernelAuto)
            } else {
                roundStochastically32(count, shift, scratch, &random)
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
    /// 2^shift) + up`, with `StochasticRounding`'s branch-free draw (one `next()` only when
    /// the remainder is non-zero), in post order. The reference of the C kernel
    /// `nc_round_stochastically` (four draws at once with AVX2), which runs it for shifts
    /// 1...31; this loop serves any other shift.
    @inline(never)
    static func roundStochastically32(
        _ count: Int, _ shift: Int32, _ sums: UnsafeMutablePointer<Int32>, _ random: inout ChipRandom
    ) {
        var state = random.state
        let mask = (Int32(1) &<< shift) &- 1
        // (z >> (64 - shift)) < remainder  <=>  z < remainder * 2^(64 - shift) (no overflow:
        // remainder < 2^shift); a multiply by a register instead of a shift by cl.
        let scale = UInt64(1) &<< UInt64(64 &- shift)
        for j in 0..<count {
            let sum = sums[j]
            let remainder = UInt64(UInt32(bitPattern: sum & mask))
            state &+= remainder != 0 ? ChipRandom.increment : 0
            let z = ChipRandom.output(state)
            sums[j] = (sum &>> shift) &+ (z < remainder &* scale ? 1 : 0)
        }
        random.state = state
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
        weights: UnsafeMutablePointer<Int16>, target: DeliveryTarget, rule: CompiledRule, random: inout ChipRandom
    ) {
        let rule = rule.rounding
        let gridLog = Int64(rule.gridLog)
        let shift = Int64(rule.shift)
        let remainder = sum & ((Int64(1) &<< shift) &- 1)
        if remainder == 0 {
            // No draws: one change for every pair.
            let change = (sum &>> shift) &<< gridLog
            if change == 0 { return }
            updatePairs(rows, posts, rowLength, weights, target, rule.lo...rule.hi, &random) { _ in change }
        } else {
            let rounding = StochasticRounding(shift: shift, gridLog: gridLog)
            updatePairs(rows, posts, rowLength, weights, target, rule.lo...rule.hi, &random) { random in
                rounding.change(sum, &random)
            }
        }
    }

    @inline(__always)
    private static func updatePairs(
        _ rows: UnsafeBufferPointer<Int32>, _ posts: UnsafeBufferPointer<Int32>, _ rowLength: Int,
        _ weights: UnsafeMutablePointer<Int16>, _ target: DeliveryTarget, _ limits: ClosedRange<Int64>,
        _ random: inout ChipRandom, _ change: (inout ChipRandom) -> Int64
    ) {
        switch target {
        case .currents(let base, let r):
            updatePairs(
                rows, posts, rowLength, weights, CurrentCopy(base: base, rightShift: r), limits, &random, change)
        case .packedMixed(let base):
            updatePairs(rows, posts, rowLength, weights, PackedMixedCopy(base: base), limits, &random, change)
        case .packedExcitatory(let base):
            updatePairs(rows, posts, rowLength, weights, PackedExcitatoryCopy(base: base), limits, &random, change)
        case .packedInhibitory(let base):
            updatePairs(rows, posts, rowLength, weights, PackedInhibitoryCopy(base: base), limits, &random, change)
        case .mantissaOnly:
            updatePairs(rows, posts, rowLength, weights, NoCopy(), limits, &random, change)
        }
    }

    @inline(__always)
    private static func updatePairs<Copy: WeightCopy>(
        _ rows: UnsafeBufferPointer<Int32>, _ posts: UnsafeBufferPointer<Int32>, _ rowLength: Int,
        _ weights: UnsafeMutablePointer<Int16>, _ copy: Copy, _ limits: ClosedRange<Int64>,
        _ random: inout ChipRandom, _ change: (inout ChipRandom) -> Int64
    ) {
        var generator = random
        let lo = limits.lowerBound
        let hi = limits.upperBound
        for i in rows {
            let rowBase = Int(i) &* rowLength
            for j in posts {
                let k = rowBase &+ Int(j)
                let updated = min(max(Int64(weights[k]) &+ change(&generator), lo), hi)
                weights[k] = Int16(truncatingIfNeeded: updated)
                copy.store(k, Int32(truncatingIfNeeded: updated))
            }
        }
        random = generator
    }
}
