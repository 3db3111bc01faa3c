/// Seeded random stream deciding whether a scaled ±2 learning event is applied.
/// A rule `dw = p * (4*x0*y0*r1 - 2*x0*y0)` with `p < 1` gives `±2p`, which the chip rounds
/// stochastically to the weight grid (docs/neurochip.md "Learning engine and rule grammar"): ±2 with probability p,
/// else 0.
/// The fast path draws the same decisions when it visits events in the chip's order.
public struct NBPStochasticRounding: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// SplitMix64 step.
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// True with probability `numerator / 65536`.
    @inline(__always)
    public mutating func accept(numerator: UInt32) -> Bool {
        UInt32(truncatingIfNeeded: next() >> 48) < numerator
    }
}
