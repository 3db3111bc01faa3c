import SynfireRandom

// SplitMix64: tiny state, full 64-bit output. Its finaliser `output` also makes the chip's
// keyed draws (ChipDraws.swift); the sequential generator serves benchmarks and tests that
// need a seeded stream of their own.

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

    /// SplitMix64's output of a state: `next()` is `state += increment`, then this. Keyed
    /// draws (ChipDraws.swift) apply it to a key plus a multiple of the increment.
    @inlinable
    public static func output(_ state: UInt64) -> UInt64 { SplitMix64.output(state) }

    /// Uniform integer in 0..<bound (bound > 0) by multiply-high; the bias is below 2^-50
    /// for the small bounds used here.
    @inlinable
    public mutating func below(_ bound: UInt64) -> UInt64 {
        next().multipliedFullWidth(by: bound).high
    }

}
