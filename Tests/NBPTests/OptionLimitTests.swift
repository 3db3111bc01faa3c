import Foundation
import SynfireArrays
import SynfireData
import SynfireIO
import Testing

@testable import NBP

/// Numbers from the command line and from files that used to crash, hang or be silently
/// misread (docs/robustness.md): each is refused, naming the number (and file) and the fix.
@Suite("nBP options and imported files are bounded")
struct OptionLimitTests {
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test(
        arguments: [
            ("epochs", 2_147_483_647, "--epochs 2147483647 is outside 1...1000000"),
            ("epochs", Int.max, "--epochs 9223372036854775807 is outside"), ("epochs", -1, "--epochs -1 is outside"),
            ("epochs", 0, "--epochs 0 is outside"),
            ("hidden", 2_147_483_647, "--hidden 2147483647 is outside 1...16384"),
            ("hidden", 1_000_000_000, "--hidden 1000000000 is outside"),
            ("hidden", Int.max, "--hidden 9223372036854775807"),
            ("hidden", 0, "--hidden 0 is outside"), ("limit", 0, "--limit 0 is not positive"),
            ("threshold", 300, "--threshold 300 is outside 0...256"),
        ])
    func boundedIntegerOption(name: String, value: Int, fragment: String) {
        var options = NBPTrainOptions(out: "unused")
        switch name {
        case "epochs": options.epochs = value
        case "hidden": options.hidden = value
        case "limit": options.limit = value
        default: options.threshold = value
        }
        let text = message { try options.validate() }
        #expect(text.contains(fragment), "\(text)")
        // The runner checks before touching data or the run directory.
        #expect(message { _ = try NBPRunner.train(options) { _ in } }.contains(fragment))
        #expect(!FileManager.default.fileExists(atPath: "unused"))
    }

    @Test(arguments: [Double.infinity, -.infinity, .nan, 0, -1, 1e9])
    func initScaleMustBeFiniteAndPositive(scale: Double) {
        var options = NBPTrainOptions(out: "unused")
        options.initScale = scale
        #expect(message { try options.validate() }.contains("--init-scale"))
    }

    @Test func longRunsStayLegal() throws {
        var options = NBPTrainOptions(out: "unused")
        options.epochs = NBPTrainOptions.maximumEpochs
        options.hidden = NBPSizes.maximum.hidden
        options.initScale = 100
        try options.validate()
    }

    @Test func layerSizesAreBounded() {
        #expect(throws: NBPError.invalidSizes(NBPSizes(input: 1_000_000, hidden: 1_000_000, output: 10))) {
            try NBPCircuit.training(sizes: NBPSizes(input: 1_000_000, hidden: 1_000_000, output: 10))
        }
        #expect(
            NBPError.invalidSizes(NBPSizes(input: 1, hidden: 0, output: 1)).description.contains(
                "at most 4096 inputs, 16384 hidden units, 1024 outputs"))
    }

    func writeWeights(_ arrays: [(String, NDArray)]) throws -> String {
        let path = NSTemporaryDirectory() + "nbp-weights-\(UUID().uuidString).npz"
        try NPZArchive(arrays).write(to: path)
        return path
    }

    func matrices(hidden: Int = 3) throws -> (w1: NDArray, w2: NDArray) {
        (
            try NDArray(shape: [hidden, 4], int16: [Int16](repeating: 2, count: hidden * 4)),
            try NDArray(shape: [2, hidden], int16: [Int16](repeating: -2, count: 2 * hidden))
        )
    }

    /// M transposed or flattened used to be taken as a missing M.
    @Test(arguments: [[2, 3], [6], [3, 2, 1]])
    func misshapenMIsRefusedNamingTheFile(shape: [Int]) throws {
        let (w1, w2) = try matrices()
        let m = try NDArray(shape: shape, int16: [Int16](repeating: 0, count: 6))
        let path = try writeWeights([("W1", w1), ("W2", w2), ("M", m)])
        let text = message { _ = try NBPWeightsFile.read(path) }
        #expect(text.hasPrefix(path), "\(text)")
        #expect(text.contains("M has shape \(shape) but must be hidden x output = [3, 2]"), "\(text)")
        let good = try writeWeights([
            ("W1", w1), ("W2", w2), ("M", try NDArray(shape: [3, 2], int16: [0, 0, 0, 0, 0, 0])),
        ])
        #expect(try NBPWeightsFile.read(good).m == [0, 0, 0, 0, 0, 0])
    }

    /// A NaN weight was reported as 9223372036854775807; now the value, index and file.
    @Test(arguments: [Double.nan, 1e300, 3.5, -258])
    func nonIntegerWeightsAreNamed(bad: Double) throws {
        var values = [Double](repeating: 2, count: 12)
        values[5] = bad
        let w1 = try NDArray(shape: [3, 4], float64: values)
        let path = try writeWeights([("W1", w1), ("W2", try matrices().w2)])
        let text = message { _ = try NBPWeightsFile.read(path) }
        #expect(text.hasPrefix(path), "\(text)")
        #expect(text.contains("W1[5] = \(bad) is not an integer in [-256, 254]"), "\(text)")
        #expect(!text.contains("9223372036854775807"))
    }

    @Test func oddWeightsNameTheFile() throws {
        let w1 = try NDArray(shape: [3, 4], int16: [2, 2, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2])
        let path = try writeWeights([("W1", w1), ("W2", try matrices().w2)])
        let text = message { _ = try NBPWeightsFile.read(path) }
        #expect(text.hasPrefix(path) && text.contains("holds 3"), "\(text)")
    }

    /// `--hidden 100` with 400-hidden weights was silently overridden.
    @Test func explicitHiddenMustMatchImportedWeights() throws {
        var generator = SeededGenerator(seed: 3)
        let weights = try NBPWeights.heNormal(sizes: NBPSizes(input: 400, hidden: 12, output: 10), using: &generator)
        let path = NSTemporaryDirectory() + "nbp-hidden-\(UUID().uuidString).npz"
        try NBPWeightsFile.write(weights, to: path)
        let out = NSTemporaryDirectory() + "nbp-hidden-run-\(UUID().uuidString)"
        var options = NBPTrainOptions(out: out)
        options.limit = 10
        options.initWeights = path
        options.hidden = 100
        options.dataDirectory = NSTemporaryDirectory() + "no-data-\(UUID().uuidString)"
        let text = message { _ = try NBPRunner.train(options) { _ in } }
        #expect(text.contains("\(path): its weights have 12 hidden units but --hidden 100 was given"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// metrics.jsonl numbers are range-checked, never converted unchecked (epoch 1e308,
    /// accuracy 1e308 crashed `--resume`).
    @Test func epochRecordsCheckTheirNumbers() throws {
        let good: [String: RecordValue] = [
            "epoch": 2, "train_exact": 0.5, "test_exact": 0.25, "test_argmax": 0.5, "test_argmax_input": 0.5,
            "test_samples": 200, "update_exponent": 0, "seconds": 0.1,
        ]
        #expect(try NBPEpochRecord(record: good).epoch == 2)
        for (key, value) in [
            ("epoch", RecordValue.double(1e308)), ("epoch", .double(2.5)), ("test_exact", .double(1e308)),
            ("test_samples", .double(-1)), ("update_exponent", .int(Int.max)),
        ] {
            var record = good
            record[key] = value
            let text = message { _ = try NBPEpochRecord(record: record) }
            #expect(text.contains("metrics.jsonl") && text.contains(key), "\(key): \(text)")
        }
    }

    /// Resuming a run whose metrics.jsonl holds an absurd epoch: the line is left out of
    /// the history and the run continues.
    @Test func resumeSurvivesAbsurdMetrics() throws {
        let out = NSTemporaryDirectory() + "nbp-resume-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = NBPTrainOptions(out: out)
        options.limit = 20
        options.hidden = 6
        options.dataDirectory = NSTemporaryDirectory() + "no-data-\(UUID().uuidString)"
        _ = try NBPRunner.train(options) { _ in }
        let metrics = out + "/metrics.jsonl"
        let line = try String(contentsOfFile: metrics, encoding: .utf8)
        try line.replacingOccurrences(of: "\"epoch\":1", with: "\"epoch\":1e308")
            .replacingOccurrences(of: "\"test_exact\":", with: "\"test_exact\":1e308,\"x\":")
            .write(toFile: metrics, atomically: true, encoding: .utf8)
        options.resume = true
        options.epochs = 2
        let result = try NBPRunner.train(options) { _ in }
        #expect(result.epochs == 2)
    }
}
