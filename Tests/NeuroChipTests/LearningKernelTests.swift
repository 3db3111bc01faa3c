import CNeuroChipKernels
import Testing

@testable import NeuroChip

@Suite("learning sweep C kernels")
struct LearningKernelTests {
    /// Reference of `nc_sweep_sums` (the Swift pass it replaced): `sums[j] = constant +
    /// postA * column[j] + weightA * (w[j] + offset)` with wrapping Int32 arithmetic; returns
    /// how many synapses have a non-zero product (all of them when a constant counts).
    static func sweepSums(
        _ count: Int, _ terms: SweepRowTerms, _ column: UnsafePointer<Int32>, _ w: UnsafePointer<Int16>,
        _ sums: UnsafeMutablePointer<Int32>
    ) -> Int {
        let constant = Int32(truncatingIfNeeded: terms.constant)
        let always: Int32 = terms.constantCounts ? 1 : 0
        let postA = Int32(truncatingIfNeeded: terms.postA)
        let weightA = Int32(truncatingIfNeeded: terms.weightA)
        let offset = Int32(truncatingIfNeeded: terms.weightOffset)
        var processed: Int32 = 0
        for j in 0..<count {
            let termPost = postA &* column[j]
            let termWeight = weightA &* (Int32(w[j]) &+ offset)
            sums[j] = constant &+ termPost &+ termWeight
            processed &+= always | ((termPost | termWeight) != 0 ? 1 : 0)
        }
        return Int(processed)
    }

    /// Random sums (both signs, some on the grid), every shift 1...30, odd and short
    /// lengths, several first indices: both C variants give the Swift reference's sums,
    /// and the reference rounds each sum with its own keyed draw.
    @Test("nc_round_stochastically equals the Swift reference in both variants")
    func kernelMatchesReference() {
        var generator = ChipRandom(seed: 2024)
        for shift in 1...30 {
            for count in [0, 1, 3, 4, 5, 8, 31, 400] {
                let sums: [Int32] = (0..<count).map { k in
                    let raw = Int32(truncatingIfNeeded: generator.next())
                    // Every third value on the grid: it never rounds up.
                    return k % 3 == 0 ? raw & ~Int32(truncatingIfNeeded: (Int64(1) << shift) - 1) : raw
                }
                let draws = RoundingDraws(stream: ChipDrawStream(key: generator.next()), first: count % 7)
                let first = Int(generator.below(1000))
                var expected = sums
                expected.withUnsafeMutableBufferPointer {
                    LearningKernels.roundStochastically32(count, Int32(shift), $0.baseAddress!, draws, first: first)
                }
                for (j, sum) in sums.enumerated() {
                    let remainder = UInt64(UInt32(bitPattern: sum & ((1 << Int32(shift)) - 1)))
                    let up = draws.stream.roundsUp(draws.first + first + j, remainder: remainder, shift: shift)
                    #expect(expected[j] == (sum >> Int32(shift)) + (up ? 1 : 0))
                }
                for variant in [NCKernelPortable, NCKernelAVX2] {
                    var got = sums
                    got.withUnsafeMutableBufferPointer {
                        nc_round_stochastically(
                            $0.baseAddress, Int64(count), Int32(shift), draws.stream.key, Int64(draws.first + first),
                            variant)
                    }
                    #expect(got == expected, "shift \(shift), count \(count), variant \(variant.rawValue)")
                }
            }
        }
    }

    @Test("nc_sweep_sums equals the Swift reference (sums and processed count) in both variants")
    func sweepSumsMatchReference() {
        var generator = ChipRandom(seed: 7)
        for count in [0, 1, 7, 8, 33, 400] {
            for (postA, weightA, constant, counts) in [
                (Int64(3), Int64(-2), Int64(0), false), (0, 5, 17, false), (-7, 0, -3, true), (0, 0, 0, false),
            ] {
                // Columns with zeros (posts whose factor is 0) and small weights, as in a sweep row.
                let column: [Int32] = (0..<count).map { _ in generator.below(3) == 0 ? 0 : Int32(generator.below(256)) }
                let weights: [Int16] = (0..<count).map { _ in Int16(Int(generator.below(256)) - 128) }
                let terms = SweepRowTerms(
                    constant: constant, constantCounts: counts, postA: postA, weightA: weightA, weightOffset: -1)
                var expected = [Int32](repeating: 0, count: count)
                let expectedProcessed = column.withUnsafeBufferPointer { c in
                    weights.withUnsafeBufferPointer { w in
                        expected.withUnsafeMutableBufferPointer {
                            LearningKernelTests.sweepSums(count, terms, c.baseAddress!, w.baseAddress!, $0.baseAddress!)
                        }
                    }
                }
                for variant in [NCKernelPortable, NCKernelAVX2] {
                    var got = [Int32](repeating: 0, count: count)
                    let processed = got.withUnsafeMutableBufferPointer {
                        nc_sweep_sums(
                            $0.baseAddress, column, weights, Int64(count), Int32(constant), counts ? 1 : 0,
                            Int32(postA), Int32(weightA), -1, variant)
                    }
                    #expect(
                        got == expected && Int(processed) == expectedProcessed,
                        "count \(count), variant \(variant.rawValue)")
                }
            }
        }
    }
}
