// RunConfig: what `config.json` in a run directory records, so a run can be repeated,
// compared and resumed.
//
// API
//   let config = RunConfig(
//       command: "nbp train", seed: 42,
//       dataset: DatasetRecord(name: "mnist", split: "train", count: 60000, sha256: "..."),
//       parameters: ["epochs": 20, "learningRate": 0.125, "hidden": 100])
//   config.formatVersion        // RunConfig.currentFormatVersion (1)
//   config.synfireVersion       // SynfireVersion.current
//   config.commit               // `git rev-parse HEAD` (+ "-dirty"), $SYNFIRE_COMMIT, or "unknown"
//   config.differences(from: other, ignoring: ["epochs"]) -> [String]   // for resume checks
//
// `createdAt` and `commit` are informative and never block a resume; `formatVersion`,
// `command`, `seed`, `dataset` and `parameters` must match.

import Foundation

/// The Synfire release these files were written by.
public enum SynfireVersion {
    public static let current = "0.1.0"

    /// The git commit of the source tree, resolved once per process: $SYNFIRE_COMMIT if set,
    /// else `git rev-parse HEAD` in the working directory or next to the executable (with
    /// "-dirty" when there are uncommitted changes), else "unknown".
    public static let commit: String = {
        if let fromEnvironment = ProcessInfo.processInfo.environment["SYNFIRE_COMMIT"],
            !fromEnvironment.isEmpty
        {
            return fromEnvironment
        }
        var candidates = [FileManager.default.currentDirectoryPath]
        if let executable = Bundle.main.executablePath {
            candidates.append((executable as NSString).deletingLastPathComponent)
        }
        for directory in candidates {
            guard let head = runGit(["-C", directory, "rev-parse", "HEAD"]),
                head.count == 40
            else { continue }
            let status = runGit(["-C", directory, "status", "--porcelain", "--untracked-files=no"])
            return (status?.isEmpty ?? true) ? head : head + "-dirty"
        }
        return "unknown"
    }()

    private static func runGit(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The dataset a run used, with a checksum so a changed file is noticed.
public struct DatasetRecord: Codable, Equatable, Sendable {
    public var name: String
    public var split: String
    public var count: Int
    public var sha256: String

    public init(name: String, split: String, count: Int, sha256: String) {
        self.name = name
        self.split = split
        self.count = count
        self.sha256 = sha256
    }
}

/// The content of `config.json`.
public struct RunConfig: Codable, Equatable, Sendable {
    /// Bumped when the layout of run directories or checkpoints changes incompatibly.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var command: String
    public var seed: UInt64
    public var datasets: [DatasetRecord]
    public var parameters: [String: RecordValue]
    public var synfireVersion: String
    public var commit: String
    public var createdAt: String

    public init(
        command: String, seed: UInt64, dataset: DatasetRecord? = nil,
        parameters: [String: RecordValue]
    ) {
        self.init(
            command: command, seed: seed, datasets: dataset.map { [$0] } ?? [],
            parameters: parameters)
    }

    public init(
        command: String, seed: UInt64, datasets: [DatasetRecord], parameters: [String: RecordValue]
    ) {
        self.formatVersion = RunConfig.currentFormatVersion
        self.command = command
        self.seed = seed
        self.datasets = datasets
        self.parameters = parameters
        self.synfireVersion = SynfireVersion.current
        self.commit = SynfireVersion.commit
        self.createdAt = ISO8601DateFormatter().string(from: Date())
    }

    /// Human-readable differences, each "name <self's value> vs <other's value>", that make
    /// `other` a different experiment (empty when a resume is safe). Parameter names in `ignoring` may differ (e.g. a raised epoch count).
    public func differences(from other: RunConfig, ignoring: Set<String> = []) -> [String] {
        var result: [String] = []
        if command != other.command {
            result.append("command '\(command)' vs '\(other.command)'")
        }
        if seed != other.seed { result.append("seed \(seed) vs \(other.seed)") }
        if datasets != other.datasets {
            func show(_ d: [DatasetRecord]) -> String {
                d.map { "\($0.name)/\($0.split) n=\($0.count) sha256=\($0.sha256.prefix(12))" }
                    .joined(separator: ", ")
            }
            result.append("dataset [\(show(datasets))] vs [\(show(other.datasets))]")
        }
        let keys = Set(parameters.keys).union(other.parameters.keys).subtracting(ignoring)
        for key in keys.sorted() where parameters[key] != other.parameters[key] {
            let mine = parameters[key].map(\.description) ?? "absent"
            let theirs = other.parameters[key].map(\.description) ?? "absent"
            result.append("\(key) \(mine) vs \(theirs)")
        }
        return result
    }

    /// Pretty, sorted JSON as written to config.json.
    func encodedJSON() throws -> [UInt8] {
        let encoder = RecordValue.encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }
}
