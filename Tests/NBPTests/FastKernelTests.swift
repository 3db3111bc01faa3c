import CNBPKernels
import CNeuroChipKernels
import SynfireData
import Testing

/// The fast path's C row kernels (CNBPKernels): both the portable and the AVX2 variant
/// must give the plain integer results, for widths that exercise every column tile and
/// active counts above the 255-row partial-sum limit, and updates that hit both bounds.
@Suite("nBP fast-path row kernels: portable and AVX2 equal the plain sums")
struct FastKernelTests {
    static let widths = [1, 15, 16, 37, 64, 100, 128, 200, 400, 784]

    /// W1 rows in half units (w / 2 of the even weights in [-256, 254]).
    static func randomRows(_ rowCount: Int, _ width: Int, _ generator: inout SeededGenerator) -> [Int8] {
        (0..<(rowCount * width)).map { _ in Int8(truncatingIfNeeded: generator.next() % 256) }
    }

    @Test("nbp_sum_rows equals twice the Int32 sum of the active half-unit rows", arguments: widths)
    func sumRows(width: Int) {
        var generator = SeededGenerator(seed: UInt64(width))
        let rowCount = 400
        var rows = Self.randomRows(rowCount, width, &generator)
        // Extreme rows too: all -128 and all 127 (half units of -256 and 254).
        for j in 0..<width {
            rows[j] = -128
            rows[width + j] = 127
        }
        var activeSets = [0, 1, 254, 255, 256, 600].map { count in
            (0..<count).map { _ in Int32(generator.next() % UInt64(rowCount)) }
        }
        // 600 x -128 and 600 x 127: only exact if partial sums are widened in time.
        activeSets += [[Int32](repeating: 0, count: 600), [Int32](repeating: 1, count: 600)]
        for active in activeSets {
            let count = active.count
            var expected = [Int32](repeating: 0, count: width)
            for row in active {
                for j in 0..<width { expected[j] += 2 * Int32(rows[Int(row) * width + j]) }
            }
            for variant in [NCKernelPortable, NCKernelAVX2, NCKernelAuto] {
                var sums = [Int32](repeating: 99, count: width)
                nbp_sum_rows(&sums, rows, Int64(width), active, Int64(count), variant)
                let wrong = zip(sums, expected).filter { $0 != $1 }.count
                #expect(wrong == 0, "width \(width), \(count) rows, variant \(variant.rawValue): \(wrong) sums differ")
            }
        }
    }

    @Test("nbp_update_rows adds and clamps only the active rows", arguments: widths)
    func updateRows(width: Int) {
        var generator = SeededGenerator(seed: 1000 + UInt64(width))
        let rowCount = 50
        let rows = Self.randomRows(rowCount, width, &generator)
        let increment = (0..<width).map { _ in Int8([-1, 0, 0, 1][Int(generator.next() % 4)]) }
        let ceiling = (0..<width).map { _ in generator.next() % 3 == 0 ? Int8(126) : 127 }
        let active: [Int32] = [3, 0, 49, 17, 18]
        var expected = rows
        for row in active {
            for j in 0..<width {
                let index = Int(row) * width + j
                // The true sum (Int16): 127 + 1 must clamp to the ceiling, not wrap.
                let sum = Int16(expected[index]) + Int16(increment[j])
                expected[index] = Int8(min(Int16(ceiling[j]), max(-128, sum)))
            }
        }
        if width >= 16 { #expect(expected != rows, "the test must change something") }
        for variant in [NCKernelPortable, NCKernelAVX2, NCKernelAuto] {
            var updated = rows
            nbp_update_rows(&updated, Int64(width), active, Int64(active.count), increment, ceiling, -128, variant)
            let wrong = zip(updated, expected).filter { $0 != $1 }.count
            #expect(wrong == 0, "width \(width), variant \(variant.rawValue): \(wrong) weights differ")
        }
    }

    @Test("nbp_sum_short_rows equals the Int32 sums of rows of at most 16 values", arguments: [1, 7, 10, 16, 17])
    func sumShortRows(width: Int) {
        var generator = SeededGenerator(seed: 2000 + UInt64(width))
        let rowCount = 400
        // W2 layout (hidden x output) with the 16 elements of padding the kernel reads past the last row.
        var rows = (0..<(rowCount * width)).map { _ in Int16(Int(generator.next() % 256) * 2 - 256) }
        for k in 0..<width { rows[k] = -256 }
        rows += [Int16](repeating: 0, count: 16)
        var indexSets = [0, 1, 126, 127, 128, 399].map { count in
            (0..<count).map { _ in Int32(generator.next() % UInt64(rowCount)) }
        }
        indexSets += [[Int32](repeating: 0, count: 300), [Int32(rowCount - 1)]]
        for index in indexSets {
            var expected = [Int32](repeating: 7, count: width + 1)
            if width <= 16 {
                for k in 0..<width { expected[k] = index.reduce(0) { $0 + Int32(rows[Int($1) * width + k]) } }
            }
            for variant in [NCKernelPortable, NCKernelAVX2, NCKernelAuto] {
                var sums = [Int32](repeating: 7, count: width + 1)
                nbp_sum_short_rows(&sums, rows, Int64(width), index, Int64(index.count), variant)
                // Wider rows are refused (nothing written); one past the row is never written.
                #expect(sums == expected, "width \(width), \(index.count) rows, variant \(variant.rawValue)")
            }
        }
    }
}
