import Foundation
import SynfireArrays
import SynfireIO

/// A training run on disk through SynfireIO's `RunDirectory`: config.json (a `RunConfig`
/// whose parameters are the `STETrainingOptions`), metrics.jsonl (one `EpochReport` per
/// epoch, then the test result of the kept parameters), weights.npz, result.json, the
/// TensorBoard log tb/ and plots/*.{png,svg,pdf} (`run.writePlot`), each written atomically.
public struct STERunDirectory {
    public let run: RunDirectory
    public var path: String { run.path }

    /// Starts a new run; refuses a directory that already holds one.
    public static func create(
        at path: String, options: STETrainingOptions, datasets: [DatasetRecord]
    ) throws -> STERunDirectory {
        guard !path.isEmpty else {
            throw STEError.invalidParameter(name: "run directory", value: path, expected: "a directory path (--out)")
        }
        guard case .object(let parameters) = try RecordValue(encoding: options) else {
            throw STEError.invalidParameter(name: "options", value: "\(options)", expected: "a JSON object")
        }
        let config = RunConfig(
            command: "ste train", seed: options.seed, datasets: datasets, parameters: parameters)
        return STERunDirectory(run: try RunDirectory.create(at: path, config: config))
    }

    /// Opens a finished (or interrupted) run and recovers its options.
    public static func open(at path: String) throws -> (STERunDirectory, STETrainingOptions) {
        let run = try RunDirectory.open(at: path)
        let data = try JSONEncoder().encode(RecordValue.object(run.config.parameters))
        do {
            return (STERunDirectory(run: run), try JSONDecoder().decode(STETrainingOptions.self, from: data))
        } catch {
            throw STEError.missingParameters(
                "\(run.configPath) does not describe an STE run (\(error)) — pass a directory written by 'synfire ste train'"
            )
        }
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(data: try encoder.encode(value), to: file(name))
    }

    public func appendMetrics(_ report: EpochReport) throws {
        try run.appendMetrics(report)
    }

    /// The spiking test of the kept parameters as the last metrics line, at the epoch they
    /// come from: `testAccuracy` at T and, in DI mode, the modelled energy per image.
    public func appendTestResult(_ summary: STERunSummary, epoch: Int) throws {
        var record: [String: RecordValue] = [
            MetricKey.epoch: .int(epoch), MetricKey.testAccuracy: .double(summary.testAccuracy),
        ]
        if let row = summary.energy?.rows.first(where: { $0.timeSteps == summary.timeSteps }) {
            record[MetricKey.energyMicrojoulesPerSample] = .double(row.modelNanojoules / 1000)
        }
        try run.appendMetrics(record)
    }
}
