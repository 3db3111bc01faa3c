/// SplitMix64 (Steele, Lea and Flood, 2014): one 64-bit word of state, a full 64-bit output
/// per step. The project's one implementation: the chip's generator, nBP's host draws
/// (shuffles, learning and replay gates) and the seeding of the xoshiro generators all step
/// it, so a seed means the same stream everywhere. Everything is `@inlinable`: the learning
/// engine and the fast path draw inside hot loops in other modules.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    public var state: UInt64

    @inlinable
    public init(seed: UInt64) { state = seed }

    /// What a step adds to the state (the odd constant 2^64 / golden ratio).
    @inlinable public static var increment: UInt64 { 0x9E37_79B9_7F4A_7C15 }

    /// The output of a state: `next()` is `state += increment`, then this.
    @inlinable
    public static func output(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.output(state)
    }
}
