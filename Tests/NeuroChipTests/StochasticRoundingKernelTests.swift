import CNeuroChipKernels
import Testing

@testable import NeuroChip

@Suite("stochastic rounding kernel")
struct StochasticRoundingKernelTests {
    /// Random sums (both signs, some on the grid), every shift 1...31, odd and short
    /// lengths: both C variants give the reference's sums and final generator state.
    @Test("nc_round_stochastically equals the Swift reference in both variants")
    func kernelMatchesReference() {
        var generator = ChipRandom(seed: 2024)
        for shift in 1...31 {
            for count in [0, 1, 3, 4, 5, 8, 31, 400] {
                let sums: [Int32] = (0..<count).map { k in
                    let raw = Int32(truncatingIfNeeded: generator.next())
                    // Every third value on the grid: no draw for it.
                    return k % 3 == 0 ? raw & ~Int32(truncatingIfNeeded: (Int64(1) << shift) - 1) : raw
                }
                let seed = generator.next()
                var expected = sums
                var reference = ChipRandom(seed: seed)
                expected.withUnsafeMutableBufferPointer {
                    LearningKernels.roundStochastically32(count, Int32(shift), $0.baseAddress!, &reference)
                }
                for variant in [NCKernelPortable, NCKernelAVX2] {
                    var got = sums
                    let state = got.withUnsafeMutableBufferPointer {
                        nc_round_stochastically($0.baseAddress, Int64(count), Int32(shift), seed, variant)
                    }
                    #expect(got == expected, "shift \(shift), count \(count), variant \(variant.rawValue)")
                    #expect(state == reference.state, "state: shift \(shift), count \(count)")
                }
            }
        }
    }
}
