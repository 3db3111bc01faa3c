// RunDirectory: one training run on disk — config.json, metrics.jsonl, weights .npz,
// checkpoint.npz, plots/ and the TensorBoard log tb/ — created fresh, resumed after a
// crash, or opened to read.
//
// API
//   // A new run (refuses a directory that already holds one; nothing is overwritten):
//   let run = try RunDirectory.create(at: out, config: config)
//   try run.appendMetrics(["epoch": 1, "trainAccuracy": 0.91, "samplesPerSecond": 850.0])
//   try run.appendMetrics(myCodableEpochSummary)            // any Encodable object
//   try run.writeWeights(archive)                           // weights.npz (deflated, atomic)
//   try run.writeWeights(archive, name: "weights-epoch3")   // weights-epoch3.npz
//   try run.readWeights()                                   // weights.npz as NPZArchive
//   try run.saveCheckpoint(TrainingState(...))              // checkpoint.npz, atomic
//   run.plotPath("learning-curve", extension: "png")        // <run>/plots/learning-curve.png
//   A created or resumed run also logs what it writes to TensorBoard (RunTensorBoard):
//   metrics as scalars, weights.npz as histograms, plots as images, in <run>/tb/.
//
//   // Resume (`--resume RUN_DIR`): checks format version and config, drops metrics lines
//   // written after the last checkpoint, returns the checkpointed state (nil = start over):
//   let (run, state) = try RunDirectory.resume(at: dir, config: config,
//                                              allowingChanges: ["epochs"])
//
//   // Read-only (plots, evaluation):
//   let run = try RunDirectory.open(at: dir); try run.readMetrics(); try run.loadCheckpoint()
//
// File names: RunDirectory.configFile, .metricsFile, .checkpointFile, .plotsFolder.
// Every failure is a RunDirectoryError naming the file and the fix; a failed create or
// resume leaves every existing file untouched.

import Foundation
import SynfireArrays

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum RunDirectoryError: Error, CustomStringConvertible, Equatable {
    case notADirectory(path: String)
    case runExists(path: String)
    case notARun(path: String)
    case corruptConfig(file: String, detail: String)
    case incompatibleFormat(file: String, found: Int, supported: Int)
    case configMismatch(file: String, differences: [String])
    case corruptCheckpoint(file: String, detail: String)
    case badMetricsLine(file: String, line: Int, detail: String)
    case metricsNotObject(file: String)
    case conflictingOptions
    case missingOutput

    public var description: String {
        switch self {
        case .notADirectory(let path):
            return "\(path) exists and is not a directory — choose another --out path"
        case .runExists(let path):
            return "\(path) already holds a run (config.json) — pass --resume \(path) to "
                + "continue it, or choose a new --out directory"
        case .notARun(let path):
            return "\(path) holds no run (config.json is missing) — pass the --out directory "
                + "of an earlier run, or start a new run with --out"
        case .corruptConfig(let file, let detail):
            return "\(file) is not a valid run config (\(detail)) — restore it or start a new "
                + "run in another directory"
        case .incompatibleFormat(let file, let found, let supported):
            return "\(file) was written in run-format version \(found), but this Synfire "
                + "(\(SynfireVersion.current)) reads version \(supported) — use the Synfire "
                + "version that wrote it, or start a new run"
        case .configMismatch(let file, let differences):
            return "\(file) describes a different experiment (was vs now: "
                + differences.joined(separator: "; ")
                + ") — resume with the original settings, or start a new run with another --out"
        case .corruptCheckpoint(let file, let detail):
            return "\(file) cannot be used to resume (\(detail)) — delete it to restart the run "
                + "from scratch, or restore a good copy"
        case .badMetricsLine(let file, let line, let detail):
            return "\(file) line \(line) is not a JSON object (\(detail)) — fix or remove that line"
        case .metricsNotObject(let file):
            return "a metrics record for \(file) must encode as a JSON object (a struct or a "
                + "dictionary), not a single value or array"
        case .conflictingOptions:
            return "--out and --resume were both given — use --out NEW_DIR for a new run or "
                + "--resume RUN_DIR to continue one"
        case .missingOutput:
            return "no run directory given — pass --out NEW_DIR (or --resume RUN_DIR to continue)"
        }
    }
}

/// The state a trainer needs to continue bit-exactly: everything that is not a pure
/// function of the config. Put weights, optimiser moments, the current epoch's sample order
/// and any other arrays in `arrays`; scalars (running accuracy, counters) in `values`.
public struct TrainingState: Equatable, Sendable {
    /// The epoch in progress (0-based), or the next epoch when `sampleIndex` is 0.
    public var epoch: Int
    /// Samples of `epoch` already consumed.
    public var sampleIndex: Int
    /// The random generator's internal state words (e.g. xoshiro's four UInt64s).
    public var rngState: [UInt64]
    public var arrays: NPZArchive
    public var values: [String: RecordValue]

    public init(
        epoch: Int, sampleIndex: Int, rngState: [UInt64], arrays: NPZArchive,
        values: [String: RecordValue] = [:]
    ) {
        self.epoch = epoch
        self.sampleIndex = sampleIndex
        self.rngState = rngState
        self.arrays = arrays
        self.values = values
    }
}

/// A run directory on disk. Cheap to copy; all state lives in the files.
public struct RunDirectory: Sendable {
    public static let configFile = "config.json"
    public static let metricsFile = "metrics.jsonl"
    public static let checkpointFile = "checkpoint.npz"
    public static let plotsFolder = "plots"
    /// The npz entry holding a checkpoint's JSON metadata (as uint8 bytes).
    static let checkpointMetadataEntry = "__checkpoint__"

    public let path: String
    public let config: RunConfig
    /// The TensorBoard log of a run being trained; nil for a run opened to read.
    let tensorBoard: RunTensorBoard?
    /// Whether `create` made the directory (so `discardNewRun` removes it again).
    let createdDirectory: Bool

    public var configPath: String { path + "/" + RunDirectory.configFile }
    public var metricsPath: String { path + "/" + RunDirectory.metricsFile }
    public var checkpointPath: String { path + "/" + RunDirectory.checkpointFile }
    public var plotsDirectory: String { path + "/" + RunDirectory.plotsFolder }

    private init(path: String, config: RunConfig, tensorBoard: RunTensorBoard? = nil, createdDirectory: Bool = false) {
        self.path = path
        self.config = config
        self.tensorBoard = tensorBoard
        self.createdDirectory = createdDirectory
    }

    // MARK: Create, resume, open

    /// Starts a new run in `path` (created if needed). Fails, touching nothing, if the
    /// directory already holds a run.
    public static func create(at path: String, config: RunConfig) throws -> RunDirectory {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RunDirectoryError.notADirectory(path: path) }
            for file in [configFile, metricsFile, checkpointFile]
            where FileManager.default.fileExists(atPath: path + "/" + file) {
                throw RunDirectoryError.runExists(path: path)
            }
        }
        let existed = FileManager.default.fileExists(atPath: path)
        try AtomicFile.createDirectory(path)
        try AtomicFile.write(bytes: try config.encodedJSON(), to: path + "/" + configFile)
        return RunDirectory(
            path: path, config: config, tensorBoard: try RunTensorBoard.start(runPath: path), createdDirectory: !existed)
    }

    /// Removes what `create` wrote (config.json, the TensorBoard folder, and the directory
    /// when `create` made it and nothing else is in it): a run that fails before its first
    /// epoch, e.g. a circuit too large for the chip, leaves no partial output.
    public func discardNewRun() {
        let files = FileManager.default
        try? files.removeItem(atPath: configPath)
        try? files.removeItem(atPath: path + "/" + RunTensorBoard.folder)
        if createdDirectory, (try? files.contentsOfDirectory(atPath: path))?.isEmpty == true {
            try? files.removeItem(atPath: path)
        }
    }

    /// Opens an existing run read-only (no checks against a current config).
    public static func open(at path: String) throws -> RunDirectory {
        RunDirectory(path: path, config: try readConfig(in: path))
    }

    /// Reopens a run to continue it. Checks, before changing anything, that the stored
    /// config has this Synfire's format version and describes the same experiment as
    /// `config` (parameters named in `allowingChanges` may differ; config.json is then
    /// updated), and that the checkpoint (if any) is readable and belongs to this run.
    /// Then drops metrics lines written after the checkpoint. Returns nil state when the
    /// run stopped before its first checkpoint: start from the beginning.
    public static func resume(
        at path: String, config: RunConfig, allowingChanges: Set<String> = []
    ) throws -> (RunDirectory, TrainingState?) {
        let stored = try readConfig(in: path)
        let file = path + "/" + configFile
        let differences = stored.differences(from: config, ignoring: allowingChanges)
        guard differences.isEmpty else {
            throw RunDirectoryError.configMismatch(file: file, differences: differences)
        }
        var merged = stored
        merged.parameters = config.parameters
        let run = RunDirectory(path: path, config: merged)
        let loaded = try run.loadCheckpointWithMetadata(allowingChanges: allowingChanges)

        // All checks passed: only now modify files.
        if merged != stored {
            try AtomicFile.write(bytes: try merged.encodedJSON(), to: file)
        }
        try run.truncateMetrics(toLines: loaded?.metricsLineCount ?? 0)
        let lastEpoch = try run.readMetrics().compactMap { $0[MetricKey.epoch]?.intValue }.max()
        let tensorBoard = try RunTensorBoard.resume(runPath: path, keptThrough: lastEpoch)
        return (RunDirectory(path: path, config: merged, tensorBoard: tensorBoard), loaded?.state)
    }

    private static func readConfig(in path: String) throws -> RunConfig {
        let file = path + "/" + configFile
        guard FileManager.default.fileExists(atPath: file) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                throw RunDirectoryError.notADirectory(path: path)
            }
            throw RunDirectoryError.notARun(path: path)
        }
        return try RunConfig.decode(Data(try AtomicFile.read(file)), file: file)
    }

    /// Decodes JSON that carries a `formatVersion`, checking the version first so a file
    /// from another Synfire version reports that instead of a missing field.
    static func decodeVersioned<T: Decodable>(
        _ type: T.Type, from data: Data, file: String,
        corrupt: (String) -> RunDirectoryError
    ) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let version: Int
        do {
            version = try decoder.decode(Versioned.self, from: data).formatVersion
        } catch {
            throw corrupt("no readable formatVersion: \(shortDescription(error))")
        }
        guard version == RunConfig.currentFormatVersion else {
            throw RunDirectoryError.incompatibleFormat(
                file: file, found: version, supported: RunConfig.currentFormatVersion)
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw corrupt(shortDescription(error))
        }
    }

    private static func shortDescription(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context),
            DecodingError.valueNotFound(_, let context):
            let at = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at '\(at)'"
        case DecodingError.dataCorrupted(let context):
            return "invalid JSON: \(context.debugDescription)"
        default: return "\(error)"
        }
    }

    // MARK: Metrics

    /// Appends one line to metrics.jsonl (O_APPEND + fsync: a crash loses at most the line
    /// being written, and resume drops lines newer than the checkpoint).
    public func appendMetrics(_ record: [String: RecordValue]) throws {
        let line = Array((RecordValue.jsonLine(record) + "\n").utf8)
        let fd = openFile(metricsPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw FileWriteError.writeFailed(path: metricsPath, reason: AtomicFile.errnoText())
        }
        defer { close(fd) }
        try line.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileWriteError.writeFailed(
                        path: metricsPath, reason: AtomicFile.errnoText())
                }
                offset += n
            }
        }
        _ = fsync(fd)
        try tensorBoard?.logMetrics(record)
    }

    /// Appends any Encodable that encodes as a JSON object (a struct of metrics).
    public func appendMetrics<T: Encodable>(_ record: T) throws {
        guard case .object(let object) = try RecordValue(encoding: record) else {
            throw RunDirectoryError.metricsNotObject(file: metricsPath)
        }
        try appendMetrics(object)
    }

    /// All complete lines of metrics.jsonl (a final line without newline — a write cut off
    /// by a crash — is ignored).
    public func readMetrics() throws -> [[String: RecordValue]] {
        guard FileManager.default.fileExists(atPath: metricsPath) else { return [] }
        return try RunDirectory.parseMetrics(try AtomicFile.read(metricsPath), file: metricsPath)
    }

    /// The records of metrics.jsonl content; `file` names it in errors.
    public static func parseMetrics(_ bytes: [UInt8], file metricsPath: String) throws -> [[String: RecordValue]] {
        var records: [[String: RecordValue]] = []
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.dropLast().enumerated() where !line.isEmpty {
            do {
                let value = try JSONDecoder().decode(RecordValue.self, from: Data(line))
                guard case .object(let object) = value else {
                    throw RunDirectoryError.badMetricsLine(
                        file: metricsPath, line: index + 1, detail: "not an object")
                }
                records.append(object)
            } catch let error as RunDirectoryError {
                throw error
            } catch {
                throw RunDirectoryError.badMetricsLine(
                    file: metricsPath, line: index + 1, detail: "invalid JSON")
            }
        }
        return records
    }

    /// Number of complete lines in metrics.jsonl.
    func metricsLineCount() throws -> Int {
        guard FileManager.default.fileExists(atPath: metricsPath) else { return 0 }
        return try AtomicFile.read(metricsPath).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// Keeps the first `count` complete lines (atomic rewrite; no-op when nothing to drop).
    func truncateMetrics(toLines count: Int) throws {
        guard FileManager.default.fileExists(atPath: metricsPath) else { return }
        let bytes = try AtomicFile.read(metricsPath)
        var seen = 0
        var end = 0
        while end < bytes.count && seen < count {
            if bytes[end] == 0x0A { seen += 1 }
            end += 1
        }
        if end < bytes.count {
            try AtomicFile.write(bytes: Array(bytes[0..<end]), to: metricsPath)
        }
    }

    // MARK: Weights and plots

    /// Writes `<name>.npz` in the run directory atomically (numpy-readable); the run's
    /// weights (`weights.npz`) also go to TensorBoard as histograms.
    public func writeWeights(
        _ archive: NPZArchive, name: String = "weights", compression: NPZCompression = .deflated
    ) throws {
        try archive.write(to: path + "/" + name + ".npz", compression: compression)
        if name == "weights" { try tensorBoard?.logWeights(archive) }
    }

    /// Reads `<name>.npz` from the run directory (errors name the file).
    public func readWeights(name: String = "weights") throws -> NPZArchive {
        try NPZArchive.read(from: path + "/" + name + ".npz")
    }

    /// `<run>/plots/<name>.<extension>`, creating plots/ on first use.
    public func plotPath(_ name: String, extension ext: String) throws -> String {
        try AtomicFile.createDirectory(plotsDirectory)
        return plotsDirectory + "/" + name + "." + ext
    }

    // MARK: Checkpoints

    private struct CheckpointMetadata: Codable {
        var formatVersion: Int
        var synfireVersion: String
        var commit: String
        var config: RunConfig
        var epoch: Int
        var sampleIndex: Int
        /// Hexadecimal words: JSON numbers lose precision above 2^53 in many readers.
        var rngState: [String]
        var metricsLineCount: Int
        var values: [String: RecordValue]
    }

    /// Atomically replaces checkpoint.npz with `state` (plus the config and the current
    /// metrics line count, so a resume can drop metrics written after it).
    public func saveCheckpoint(_ state: TrainingState) throws {
        let metadata = CheckpointMetadata(
            formatVersion: RunConfig.currentFormatVersion,
            synfireVersion: SynfireVersion.current, commit: SynfireVersion.commit,
            config: config, epoch: state.epoch, sampleIndex: state.sampleIndex,
            rngState: state.rngState.map { String($0, radix: 16) },
            metricsLineCount: try metricsLineCount(), values: state.values)
        var archive = NPZArchive()
        archive[RunDirectory.checkpointMetadataEntry] = .vector(
            .uint8(Array(try RecordValue.encoder.encode(metadata))))
        for name in state.arrays.names {
            precondition(
                name != RunDirectory.checkpointMetadataEntry, "reserved checkpoint array name")
            archive[name] = state.arrays[name]
        }
        try archive.write(to: checkpointPath, compression: .stored)
    }

    /// The last checkpoint, or nil when none was written yet.
    public func loadCheckpoint() throws -> TrainingState? {
        try loadCheckpointWithMetadata(allowingChanges: [])?.state
    }

    private func loadCheckpointWithMetadata(allowingChanges: Set<String>) throws -> (
        state: TrainingState, metricsLineCount: Int
    )? {
        let file = checkpointPath
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let archive: NPZArchive
        do {
            archive = try NPZArchive.read(from: file)
        } catch let error as NPZError {
            throw RunDirectoryError.corruptCheckpoint(file: file, detail: "\(error)")
        }
        guard let metaBytes = archive[RunDirectory.checkpointMetadataEntry]?.uint8Values else {
            throw RunDirectoryError.corruptCheckpoint(
                file: file, detail: "it has no \(RunDirectory.checkpointMetadataEntry) entry")
        }
        let metadata = try RunDirectory.decodeVersioned(
            CheckpointMetadata.self, from: Data(metaBytes), file: file
        ) { RunDirectoryError.corruptCheckpoint(file: file, detail: $0) }
        let differences = metadata.config.differences(from: config, ignoring: allowingChanges)
        guard differences.isEmpty else {
            throw RunDirectoryError.configMismatch(file: file, differences: differences)
        }
        var rng: [UInt64] = []
        for word in metadata.rngState {
            guard let value = UInt64(word, radix: 16) else {
                throw RunDirectoryError.corruptCheckpoint(
                    file: file, detail: "RNG state word '\(word)' is not hexadecimal")
            }
            rng.append(value)
        }
        var arrays = NPZArchive(path: file)
        for name in archive.names where name != RunDirectory.checkpointMetadataEntry {
            arrays[name] = archive[name]
        }
        let state = TrainingState(
            epoch: metadata.epoch, sampleIndex: metadata.sampleIndex, rngState: rng,
            arrays: arrays, values: metadata.values)
        return (state, metadata.metricsLineCount)
    }
}

extension RunConfig {
    /// Decodes config.json content, checking its format version first; `file` names it
    /// in errors.
    public static func decode(_ data: Data, file: String) throws -> RunConfig {
        try RunDirectory.decodeVersioned(RunConfig.self, from: data, file: file) {
            RunDirectoryError.corruptConfig(file: file, detail: $0)
        }
    }
}

/// The one field every versioned Synfire JSON file has.
private struct Versioned: Decodable { var formatVersion: Int }

/// `open(2)` with a mode argument (the Swift overlay name differs across platforms).
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
    open(path, flags, mode)
}
