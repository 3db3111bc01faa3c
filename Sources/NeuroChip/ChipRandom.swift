import SynfireRandom

// The chip's seeded generator for stochastic trace decay and weight rounding
// (docs/neurochip.md "Learning engine and rule grammar"). SplitMix64: tiny state, full 64-bit output, and a fixed draw
// order in the simulator makes every run with the same seed bit-identical.

/// SplitMix64 pseudo-random generator (the step is SynfireRandom's `SplitMix64`).
public struct ChipRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.output(state)
    }

    /// What `next()` adds to the state before each draw.
    @inlinable public static var increment: UInt64 { SplitMix64.increment }

    /// SplitMix64's output of a state: `next()` is `state += increment`, then this. Kernels
    /// that advance the state only for some synapses (LearningEngine.swift) use it directly.
    @inlinable
    public static func output(_ state: UInt64) -> UInt64 { SplitMix64.output(state) }

    /// Uniform integer in 0..<bound (bound > 0) by multiply-high; the bias is below 2^-50
    /// for the small bounds used here.
    @inlinable
    public mutating func below(_ bound: UInt64) -> UInt64 {
        next().multipliedFullWidth(by: bound).high
    }

    /// True with probability remainder / 2^shift (0 < shift <= 63): one fresh 64-bit draw,
    /// its top `shift` bits compared with the remainder. This exact draw (one `next()` per
    /// rounded synapse) is a contract: NBP's fast path replays it bit for bit.
    @inlinable
    public mutating func roundsUp(remainder: UInt64, shift: Int) -> Bool {
        (next() &>> UInt64(64 - shift)) < remainder
    }
}
