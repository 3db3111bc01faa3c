import CNBPKernels
import CNeuroChipKernels
import SynfireData
import Testing

/// The fast path's C row kernels (CNBPKernels): both the portable and the AVX2 variant
/// must give the plain integer results, for widths that exercise every column tile and
/// active counts above the 127-row partial-sum limit.
@Suite("nBP fast-path row kernels: portable and AVX2 equal the plain sums")
struct FastKernelTests {
    static let widths = [1, 15, 16, 37, 64, 100, 128, 200, 400, 784]

    static func randomRows(_ rowCount: Int, _ width: Int, _ generator: inout SeededGenerator) -> [Int16] {
        (0..<(rowCount * width)).map { _ in Int16(Int(generator.next() % 256) * 2 - 256) }
    }

    @Test("nbp_sum_rows equals the Int32 sum of the active rows", arguments: widths)
    func sumRows(width: Int) {
        var generator = SeededGenerator(seed: UInt64(width))
        let rowCount = 400
        var rows = Self.randomRows(rowCount, width, &generator)
        // Extreme rows too: all -256 and all 254 (sums far beyond Int16).
        for j in 0..<width {
            rows[j] = -256
            rows[width + j] = 254
        }
        var activeSets = [0, 1, 126, 127, 128, 300].map { count in
            (0..<count).map { _ in Int32(generator.next() % UInt64(rowCount)) }
        }
        // 300 x -256 and 300 x 254: only exact if partial sums are widened in time.
        activeSets += [[Int32](repeating: 0, count: 300), [Int32](repeating: 1, count: 300)]
        for active in activeSets {
            let count = active.count
            var expected = [Int32](repeating: 0, count: width)
            for row in active {
                for j in 0..<width { expected[j] += Int32(rows[Int(row) * width + j]) }
            }
            for variant in [NCKernelPortable, NCKernelAVX2, NCKernelAuto] {
                var sums = [Int32](repeating: 99, count: width)
                nbp_sum_rows(&sums, rows, Int64(width), active, Int64(count), variant)
                #expect(sums == expected, "width \(width), \(count) rows, variant \(variant.rawValue)")
            }
        }
    }

    @Test("nbp_update_rows adds and clamps only the active rows", arguments: widths)
    func updateRows(width: Int) {
        var generator = SeededGenerator(seed: 1000 + UInt64(width))
        let rowCount = 50
        let rows = Self.randomRows(rowCount, width, &generator)
        let increment = (0..<width).map { _ in Int16([-2, 0, 0, 2][Int(generator.next() % 4)]) }
        let ceiling = (0..<width).map { _ in generator.next() % 3 == 0 ? Int16(252) : 254 }
        let active: [Int32] = [3, 0, 49, 17, 18]
        var expected = rows
        for row in active {
            for j in 0..<width {
                let index = Int(row) * width + j
                expected[index] = min(ceiling[j], max(-256, expected[index] + increment[j]))
            }
        }
        if width >= 16 { #expect(expected != rows, "the test must change something") }
        for variant in [NCKernelPortable, NCKernelAVX2, NCKernelAuto] {
            var updated = rows
            nbp_update_rows(&updated, Int64(width), active, Int64(active.count), increment, ceiling, -256, variant)
            #expect(updated == expected, "width \(width), variant \(variant.rawValue)")
        }
    }
}
