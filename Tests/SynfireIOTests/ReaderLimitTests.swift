import Foundation
import Testing

import SynfireArrays
@testable import SynfireIO

/// Sizes and numbers read from run files are bounded before they allocate or convert
/// (docs/robustness.md).
@Suite("SynfireIO readers bound what files claim")
struct IOReaderLimitTests {
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// A deflated npz whose central directory claims another unpacked size for its entry.
    func npz(claiming size: UInt32) throws -> [UInt8] {
        let values = [Int16](repeating: 7, count: 5000)
        var bytes = try NPZArchive([("w", try NDArray(shape: [5000], int16: values))]).encoded(compression: .deflated)
        let signature: [UInt8] = [0x50, 0x4b, 1, 2]
        let found = (0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == signature }
        let central = try #require(found)
        for k in 0..<4 { bytes[central + 24 + k] = UInt8((size >> (8 * UInt32(k))) & 0xff) }
        return bytes
    }

    @Test func npzEntryClaimingMoreThanDeflateCanProduceIsRefused() throws {
        let bytes = try npz(claiming: 0x7FFF_FFFF)
        let text = message { _ = try NPZArchive(bytes: bytes, path: "bomb.npz") }
        #expect(text.contains("bomb.npz"), "\(text)")
        #expect(text.contains("more than deflate can produce"), "\(text)")
    }

    @Test func npzInflationStopsAtTheDeclaredSize() throws {
        let bytes = try npz(claiming: 100)
        let text = message { _ = try NPZArchive(bytes: bytes, path: "short.npz") }
        #expect(text.contains("short.npz"), "\(text)")
        #expect(text.contains("but 100 were recorded"), "\(text)")
        // Inflating stopped at the first chunk past the declared size, not at 10,128 bytes.
        #expect(!text.contains("10128"), "\(text)")
    }

    /// Learning curves from metrics with 1e308, -1e308, NaN, a 1e15 epoch and a NaN target:
    /// out-of-range values are gaps, the plot renders (this crashed `runs plot`).
    @Test func learningCurveSkipsValuesOutOfRange() throws {
        let metrics: [[String: RecordValue]] = [
            ["epoch": 1, "fooAccuracy": 1e308, "testAccuracy": 0.5],
            ["epoch": 2, "fooAccuracy": -1e308, "testAccuracy": .double(.nan)],
            ["epoch": 3, "testAccuracy": 0.7], ["epoch": 1e15, "testAccuracy": 0.9],
            ["epoch": .double(1e308), "testAccuracy": 0.9],
        ]
        for target in [LearningCurvePlot.Target(value: .nan, label: "t"), .init(value: 1e308, label: "t"), nil] {
            let plot = LearningCurvePlot(metrics: metrics, title: "bad", target: target)
            #expect(plot.target == nil)
            let test = try #require(plot.series.first { $0.name == "test" })
            #expect(test.values.count == 3)
            #expect(test.values[0] == 0.5 && test.values[1].isNaN && test.values[2] == 0.7)
            #expect(!plot.pngData().isEmpty)
            #expect(plot.svgText().contains("<svg"))
        }
        #expect(RunDirectoryError.badMetricsLine(file: "m", line: 1, detail: "x").description.contains("m line 1"))
    }

    @Test func configAndMetricsDecodeFromBytes() throws {
        let text = message { _ = try RunConfig.decode(Data("{\"formatVersion\": 1e308}".utf8), file: "cfg.json") }
        #expect(text.contains("cfg.json"), "\(text)")
        let metrics = try RunDirectory.parseMetrics(Array("{\"epoch\":1}\n{\"cut".utf8), file: "m")
        #expect(metrics.count == 1)
        #expect(
            message { _ = try RunDirectory.parseMetrics(Array("[1]\n".utf8), file: "m.jsonl") }.contains(
                "m.jsonl line 1"))
    }
}
