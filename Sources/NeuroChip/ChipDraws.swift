// Keyed random draws (docs/neurochip.md, "Random draws"). Every random number the chip
// uses belongs to something: the rounding of one synapse's update at one step, the decay of
// one trace value at one step, the target of one procedural synapse. Its value is a
// function of that key alone (a counter-based generator), so it does not depend on which
// thread or process computes it, nor on how many draws were made before.

/// What a draw is for; part of the key.
public enum DrawPurpose: UInt64, Sendable {
    /// Stochastic rounding of a `dw` update (index: synapse k = pre * posts + post).
    case weightRounding = 1
    /// Stochastic rounding of a `dt` update (same index).
    case tagRounding = 2
    /// Stochastic decay of the traces x1, x2 (index: pre), y1, y2, y3 (index: post), r1 (index 0).
    case x1Decay = 3, x2Decay = 4, y1Decay = 5, y2Decay = 6, y3Decay = 7, r1Decay = 8
    /// Target and weight of a procedural (`random`) synapse (index: pre * fanOut + m).
    case synapseTarget = 9, synapseWeight = 10
}

/// A stream of draws for one (seed, connection, purpose, step): the value at index i is
/// SplitMix64's output at state `key + (i + 1) * gamma`, the i-th output of a SplitMix64
/// generator seeded with `key`. The key mixes its four parts with SplitMix64's finaliser.
/// A connection is known by its name (`connectionKey(name:)`), so adding or reordering
/// connections leaves the draws of the others as they were.
public struct ChipDrawStream: Sendable, Equatable {
    public let key: UInt64

    @inlinable
    public init(seed: UInt64, connection: UInt64, purpose: DrawPurpose, step: Int) {
        let gamma = ChipRandom.increment
        var k = ChipRandom.output(seed &+ gamma)
        k = ChipRandom.output(k &+ connection &* gamma)
        k = ChipRandom.output(k &+ purpose.rawValue &* gamma)
        key = ChipRandom.output(k &+ UInt64(truncatingIfNeeded: step) &* gamma)
    }

    /// The key of a connection: FNV-1a of its name's UTF-8 bytes.
    public static func connectionKey(name: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    @inlinable
    public init(key: UInt64) { self.key = key }

    /// The 64-bit draw at `index`.
    @inlinable @inline(__always)
    public func value(_ index: Int) -> UInt64 {
        ChipRandom.output(key &+ (UInt64(truncatingIfNeeded: index) &+ 1) &* ChipRandom.increment)
    }

    /// True with probability remainder / 2^shift (0 < shift <= 63): the top `shift` bits of
    /// the draw at `index` compared with the remainder (the chip's stochastic rounding).
    @inlinable @inline(__always)
    public func roundsUp(_ index: Int, remainder: UInt64, shift: Int) -> Bool {
        (value(index) &>> UInt64(64 - shift)) < remainder
    }

    /// Uniform integer in 0..<bound (bound > 0) by multiply-high (bias below 2^-50 for the
    /// small bounds used here).
    @inlinable @inline(__always)
    public func below(_ index: Int, _ bound: UInt64) -> UInt64 {
        value(index).multipliedFullWidth(by: bound).high
    }
}
