import STESNN
import SynfireRandom

/// The project's seeded generator (SplitMix64), under the name these tests use.
typealias TestGenerator = SplitMix64

func randomFloats(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
    var g = TestGenerator(seed: seed)
    return (0..<count).map { _ in (2 * uniformFloat(&g) - 1) * scale }
}
