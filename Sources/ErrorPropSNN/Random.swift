import Foundation
import SynfireRandom

/// The random streams of docs/errorprop.md "Task". Each stream has its own identifier so
/// that, for example, test jitter never shares draws with training jitter.
public enum RandomStream: UInt64, Sendable {
    case template = 1
    case jitterTrain = 2
    case jitterTest = 3
    case weightInit = 4
    case mismatch = 5
    case shuffle = 6
    case noiseTrain = 7
    case noiseTest = 8
    case tiebreak = 9
    case checks = 10
}

/// xoshiro256** seeded through SplitMix64, exactly as docs/errorprop.md "Task" prescribes
/// (the model's draws must be reproducible by any implementation, so this generator is
/// part of the model, not an implementation detail).
public struct ErrorPropRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// The model's default master seed.
    public static let defaultMasterSeed: UInt64 = 20_210_412

    /// `rng(master, stream, index)` of docs/errorprop.md "Task".
    public init(master: UInt64, stream: RandomStream, index: Int) {
        var seeding = SplitMix64(seed: master &+ (stream.rawValue << 40) &+ UInt64(truncatingIfNeeded: index))
        s0 = seeding.next()
        s1 = seeding.next()
        s2 = seeding.next()
        s3 = seeding.next()
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform double in [0, 1) from the top 53 bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform integer in [0, n).
    public mutating func uniformInt(_ n: Int) -> Int { Int((uniform() * Double(n)).rounded(.down)) }

    /// Standard normal, Box–Muller cosine branch (two uniforms, u1 first).
    public mutating func gaussian() -> Double {
        let u1 = uniform()
        let u2 = uniform()
        return (-2 * Foundation.log(1 - u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Fisher–Yates from the top, as docs/errorprop.md "Task" specifies (not Swift's `shuffle`, whose draw
    /// order is not specified).
    public mutating func specShuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, through: 1, by: -1) {
            let j = uniformInt(i + 1)
            a.swapAt(i, j)
        }
    }

    /// A uniform permutation of `0..<n` (Fisher–Yates on the identity array).
    public mutating func permutation(_ n: Int) -> [Int] {
        var a = Array(0..<n)
        specShuffle(&a)
        return a
    }
}
