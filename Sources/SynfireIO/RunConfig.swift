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
//   config.commit               // SynfireVersion.commit: the commit the build saw, or "unknown"
//   config.differences(from: other, ignoring: ["epochs"]) -> [String]   // for resume checks
//
// `createdAt` and `commit` are informative and never block a resume; `formatVersion`,
// `command`, `seed`, `dataset` and `parameters` must match.

import Foundation
import SynfireBuildInfo

/// The Synfire release these files were written by.
public enum SynfireVersion {
    public static let current = "0.1.0"

    /// The git commit this binary was built from, recorded by the build (Plugins/
    /// BuildInfoPlugin), never by running git: the hash, with "-dirty" when tracked files
    /// differed from it, or "unknown" for a build outside a git checkout.
    public static let commit: String = buildCommit

    /// What `synfire --version` prints: "synfire 0.1.0 (commit <hash>)", or
    /// "synfire 0.1.0 (unknown commit)".
    public static var description: String {
        commit == "unknown" ? "synfire \(current) (unknown commit)" : "synfire \(current) (commit \(commit))"
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
