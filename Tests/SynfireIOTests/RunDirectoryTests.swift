import Foundation
import Testing

import SynfireArrays
@testable import SynfireIO

/// A tiny deterministic trainer (a noisy perceptron) used to prove that killing a run and
/// resuming it from its checkpoint gives bit-identical weights and metrics.
struct ToyTrainer {
    static let sampleCount = 16
    static let features = 8
    static let classes = 2

    /// splitmix64: small, fully determined by one state word.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
    }

    let inputs: [Float]
    let labels: [Int]
    let epochs: Int
    var weights: [Float]
    var rng: Generator
    var epoch = 0
    var sampleIndex = 0
    var order: [Int32] = []
    var correct = 0
    /// Samples processed by this process (used to simulate a kill).
    var processed = 0

    init(seed: UInt64, epochs: Int) {
        var data = Generator(state: 1234)
        let x = (0..<(Self.sampleCount * Self.features)).map { _ in data.nextFloat() * 2 - 1 }
        inputs = x
        labels = (0..<Self.sampleCount).map { i in
            (0..<Self.features).reduce(Float(0)) { $0 + x[i * Self.features + $1] } > 0 ? 1 : 0
        }
        self.epochs = epochs
        rng = Generator(state: seed)
        weights = (0..<(Self.features * Self.classes)).map { _ in 0 }
        for i in weights.indices { weights[i] = rng.nextFloat() * 0.1 - 0.05 }
    }

    static func config(seed: UInt64, epochs: Int, rate: Double = 0.25) -> RunConfig {
        RunConfig(
            command: "toy train", seed: seed,
            dataset: DatasetRecord(name: "toy", split: "train", count: sampleCount, sha256: "00ff"),
            parameters: ["epochs": .int(epochs), "rate": .double(rate), "features": 8])
    }

    func state() throws -> TrainingState {
        TrainingState(
            epoch: epoch, sampleIndex: sampleIndex, rngState: [rng.state],
            arrays: NPZArchive([
                ("w", try NDArray(shape: [Self.classes, Self.features], float32: weights)),
                ("order", .vector(.int32(order))),
            ]),
            values: ["correct": .int(correct)])
    }

    mutating func restore(_ state: TrainingState) throws {
        epoch = state.epoch
        sampleIndex = state.sampleIndex
        rng = Generator(state: try #require(state.rngState.first))
        weights = try state.arrays.float32("w", shape: [Self.classes, Self.features])
        order = try state.arrays.int32("order", shape: [-1])
        correct = try #require(state.values["correct"]?.intValue)
    }

    /// Trains to the end, checkpointing every `checkpointEvery` samples; returns false if
    /// "killed" (the process stops abruptly, without a checkpoint) after `killAfter` samples.
    /// `stopWhen` is polled before each sample, like a trainer polls `StopRequest`: when it
    /// returns true the trainer saves a checkpoint and returns false (a clean stop).
    mutating func run(
        in run: RunDirectory, checkpointEvery: Int, killAfter: Int? = nil,
        stopWhen: (Int) -> Bool = { _ in false }
    ) throws -> Bool {
        let rate: Float = 0.25
        while epoch < epochs {
            if sampleIndex == 0 {
                var permutation = (0..<Self.sampleCount).map(Int32.init)
                for i in stride(from: permutation.count - 1, to: 0, by: -1) {
                    permutation.swapAt(i, Int(rng.next() % UInt64(i + 1)))
                }
                order = permutation
                correct = 0
            }
            while sampleIndex < Self.sampleCount {
                if let killAfter, processed == killAfter { return false }
                if stopWhen(processed) {
                    try run.saveCheckpoint(state())
                    return false
                }
                let sample = Int(order[sampleIndex])
                let x = inputs[(sample * Self.features)..<((sample + 1) * Self.features)]
                var scores = [Float](repeating: 0, count: Self.classes)
                for c in 0..<Self.classes {
                    for (j, v) in x.enumerated() {
                        scores[c] += weights[c * Self.features + j] * v
                    }
                    scores[c] += rng.nextFloat() * 0.01  // noise: the RNG state matters
                }
                let predicted = scores[1] > scores[0] ? 1 : 0
                if predicted == labels[sample] {
                    correct += 1
                } else {
                    for (j, v) in x.enumerated() {
                        weights[labels[sample] * Self.features + j] += rate * v
                        weights[predicted * Self.features + j] -= rate * v
                    }
                }
                sampleIndex += 1
                processed += 1
                if processed % checkpointEvery == 0 { try run.saveCheckpoint(state()) }
            }
            try run.appendMetrics([
                "epoch": .int(epoch + 1),
                "trainAccuracy": .double(Double(correct) / Double(Self.sampleCount)),
            ])
            epoch += 1
            sampleIndex = 0
        }
        try run.writeWeights(
            NPZArchive([("w", try NDArray(shape: [Self.classes, Self.features], float32: weights))])
        )
        return true
    }
}

/// Snapshot of every file in a directory, to prove that failures change nothing.
func directorySnapshot(_ path: String) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: path) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue { result[name] = try TestSupport.bytes(path + "/" + name) }
    }
    return result
}

@Suite("Run directories, checkpoints and resume")
struct RunDirectoryTests {
    func uninterrupted(seed: UInt64, epochs: Int) throws -> (
        weights: [UInt8], metrics: [UInt8], tensorBoard: [LoggedValue]
    ) {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let run = try RunDirectory.create(
            at: dir, config: ToyTrainer.config(seed: seed, epochs: epochs))
        var trainer = ToyTrainer(seed: seed, epochs: epochs)
        #expect(try trainer.run(in: run, checkpointEvery: 7))
        return (
            try TestSupport.bytes(dir + "/weights.npz"), try TestSupport.bytes(run.metricsPath),
            try loggedValues(runPath: dir)
        )
    }

    @Test(
        "a run killed mid-epoch and resumed ends with identical weights and metrics",
        arguments: [[1], [5], [16], [33], [47], [9, 30], [20, 6, 11]])
    func killAndResume(_ kills: [Int]) throws {
        let seed: UInt64 = 77
        let epochs = 4
        let reference = try uninterrupted(seed: seed, epochs: epochs)
        let dir = try TestSupport.scratchDirectory() + "/run"
        let config = ToyTrainer.config(seed: seed, epochs: epochs)
        var run = try RunDirectory.create(at: dir, config: config)
        var trainer = ToyTrainer(seed: seed, epochs: epochs)
        for kill in kills {
            #expect(try trainer.run(in: run, checkpointEvery: 7, killAfter: kill) == false)
            // The process dies here; a new one resumes from the directory alone.
            let (resumed, state) = try RunDirectory.resume(at: dir, config: config)
            run = resumed
            trainer = ToyTrainer(seed: seed, epochs: epochs)
            if let state { try trainer.restore(state) }
        }
        #expect(try trainer.run(in: run, checkpointEvery: 7))
        let weights = try TestSupport.bytes(dir + "/weights.npz")
        #expect(weights == reference.weights)
        #expect(try run.readWeights().float32("w", shape: [2, 8]).count == 16)
        #expect(try TestSupport.bytes(run.metricsPath) == reference.metrics)
        #expect(try run.readMetrics().count == epochs)
        // TensorBoard: every epoch's scalar and the final histogram exactly once, in step
        // order across the sessions' files, as in the uninterrupted run.
        let logged = try loggedValues(runPath: dir)
        #expect(logged == reference.tensorBoard)
        #expect(logged.filter { $0.tag == "train/accuracy" }.map(\.step) == Array(1...Int64(epochs)))
    }

    @Test("different seeds give different weights (the kill test can fail)")
    func seedMatters() throws {
        #expect(
            try uninterrupted(seed: 1, epochs: 2).weights
                != uninterrupted(seed: 2, epochs: 2).weights)
    }

    @Test("config.json records parameters, seed, dataset, version and commit")
    func configContents() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        _ = try RunDirectory.create(at: dir, config: ToyTrainer.config(seed: 9, epochs: 3))
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: dir + "/config.json")))
            as! [String: Any]
        #expect(json["seed"] as? Int == 9)
        #expect(json["formatVersion"] as? Int == RunConfig.currentFormatVersion)
        #expect(json["synfireVersion"] as? String == SynfireVersion.current)
        let parameters = try #require(json["parameters"] as? [String: Any])
        #expect(parameters["epochs"] as? Int == 3)
        #expect(parameters["rate"] as? Double == 0.25)
        let datasets = try #require(json["datasets"] as? [[String: Any]])
        #expect(datasets.first?["sha256"] as? String == "00ff")
        let commit = try #require(json["commit"] as? String)
        let git = try? TestSupport.run("/usr/bin/env", ["git", "rev-parse", "HEAD"])
        if let git, git.status == 0 {
            #expect(commit.hasPrefix(git.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        } else {
            #expect(commit == "unknown")
        }
        let reopened = try RunDirectory.open(at: dir)
        #expect(reopened.config.parameters["rate"] == 0.25)
        #expect(reopened.config.seed == 9)
    }

    @Test("creating a run where one exists fails and overwrites nothing")
    func refusesExistingRun() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let run = try RunDirectory.create(at: dir, config: ToyTrainer.config(seed: 1, epochs: 1))
        try run.appendMetrics(["epoch": 1])
        let before = try directorySnapshot(dir)
        let error = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.create(at: dir, config: ToyTrainer.config(seed: 2, epochs: 1))
        }
        #expect(error == .runExists(path: dir))
        #expect(error.description.contains("--resume"))
        #expect(try directorySnapshot(dir) == before)
    }

    @Test("resuming with a different config fails, names the difference, changes nothing")
    func mismatchedConfig() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let config = ToyTrainer.config(seed: 5, epochs: 3)
        let run = try RunDirectory.create(at: dir, config: config)
        var trainer = ToyTrainer(seed: 5, epochs: 3)
        _ = try trainer.run(in: run, checkpointEvery: 7, killAfter: 20)
        let before = try directorySnapshot(dir)

        let error = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.resume(
                at: dir, config: ToyTrainer.config(seed: 5, epochs: 3, rate: 0.5))
        }
        guard case .configMismatch(let file, let differences) = error else {
            Issue.record("expected configMismatch, got \(error)")
            return
        }
        #expect(file == dir + "/config.json")
        #expect(differences == ["rate 0.25 vs 0.5"])
        #expect(error.description.contains("rate 0.25 vs 0.5"))
        let seedError = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.resume(at: dir, config: ToyTrainer.config(seed: 6, epochs: 3))
        }
        #expect(seedError.description.contains("seed 5 vs 6"))
        #expect(try directorySnapshot(dir) == before)

        // An allowed change (more epochs) is accepted and recorded.
        let (resumed, state) = try RunDirectory.resume(
            at: dir, config: ToyTrainer.config(seed: 5, epochs: 5), allowingChanges: ["epochs"])
        #expect(state?.epoch == 0 && state?.sampleIndex == 14)
        #expect(resumed.config.parameters["epochs"] == 5)
        #expect(try RunDirectory.open(at: dir).config.parameters["epochs"] == 5)
    }

    @Test("a config or checkpoint from an incompatible format version is refused untouched")
    func incompatibleVersion() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let config = ToyTrainer.config(seed: 5, epochs: 3)
        _ = try RunDirectory.create(at: dir, config: config)
        let path = dir + "/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "\"formatVersion\" : 1", with: "\"formatVersion\" : 99")
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        let before = try directorySnapshot(dir)
        let error = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.resume(at: dir, config: config)
        }
        #expect(error == .incompatibleFormat(file: path, found: 99, supported: 1))
        #expect(error.description.contains(path))
        #expect(try directorySnapshot(dir) == before)

        try "{\"seed\": 1}".write(toFile: path, atomically: false, encoding: .utf8)
        let corrupt = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.resume(at: dir, config: config)
        }
        guard case .corruptConfig(path, _) = corrupt else {
            Issue.record("expected corruptConfig, got \(corrupt)")
            return
        }
    }

    @Test("a truncated checkpoint is a clear error and nothing is overwritten")
    func truncatedCheckpoint() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let config = ToyTrainer.config(seed: 3, epochs: 3)
        let run = try RunDirectory.create(at: dir, config: config)
        var trainer = ToyTrainer(seed: 3, epochs: 3)
        _ = try trainer.run(in: run, checkpointEvery: 7, killAfter: 40)
        let bytes = try TestSupport.bytes(run.checkpointPath)
        try Data(bytes[0..<(bytes.count / 2)]).write(to: URL(fileURLWithPath: run.checkpointPath))
        let before = try directorySnapshot(dir)
        let error = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.resume(at: dir, config: config)
        }
        guard case .corruptCheckpoint(let file, let detail) = error else {
            Issue.record("expected corruptCheckpoint, got \(error)")
            return
        }
        #expect(file == run.checkpointPath)
        #expect(detail.contains("truncated"))
        #expect(try directorySnapshot(dir) == before)
    }

    @Test("a checkpoint copied from another run is refused")
    func foreignCheckpoint() throws {
        let base = try TestSupport.scratchDirectory()
        let a = try RunDirectory.create(
            at: base + "/a", config: ToyTrainer.config(seed: 1, epochs: 2))
        let configB = ToyTrainer.config(seed: 1, epochs: 2, rate: 0.125)
        let b = try RunDirectory.create(at: base + "/b", config: configB)
        var trainer = ToyTrainer(seed: 1, epochs: 2)
        _ = try trainer.run(in: a, checkpointEvery: 7, killAfter: 10)
        try FileManager.default.copyItem(atPath: a.checkpointPath, toPath: b.checkpointPath)
        let error = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.resume(at: b.path, config: configB)
        }
        #expect(
            error == .configMismatch(file: b.checkpointPath, differences: ["rate 0.25 vs 0.125"]))
    }

    @Test("wrong shape in a checkpoint is reported with the checkpoint's path")
    func wrongShapeInCheckpoint() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let config = ToyTrainer.config(seed: 3, epochs: 1)
        let run = try RunDirectory.create(at: dir, config: config)
        try run.saveCheckpoint(
            TrainingState(
                epoch: 0, sampleIndex: 3, rngState: [1],
                arrays: NPZArchive([("w", .vector(.float32([1, 2, 3])))]), values: ["correct": 0]))
        let (_, state) = try RunDirectory.resume(at: dir, config: config)
        var trainer = ToyTrainer(seed: 3, epochs: 1)
        let error = try #require(throws: NPZError.self) { try trainer.restore(try #require(state)) }
        #expect(
            error == .wrongShape(path: run.checkpointPath, name: "w", expected: [2, 8], found: [3]))
    }

    @Test("resume of a missing directory or a file says what to pass")
    func notARun() throws {
        let base = try TestSupport.scratchDirectory()
        let error = try #require(throws: RunDirectoryError.self) {
            try RunDirectory.resume(
                at: base + "/none", config: ToyTrainer.config(seed: 1, epochs: 1))
        }
        #expect(error == .notARun(path: base + "/none"))
        try "x".write(toFile: base + "/file", atomically: false, encoding: .utf8)
        #expect(throws: RunDirectoryError.notADirectory(path: base + "/file")) {
            try RunDirectory.create(
                at: base + "/file", config: ToyTrainer.config(seed: 1, epochs: 1))
        }
    }

    struct EpochSummary: Codable {
        var epoch: Int
        var loss: Double
        var testAccuracy: Double?
    }

    @Test("metrics lines: Codable structs, dictionaries, NaN as null, cut-off final line")
    func metricsLines() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let run = try RunDirectory.create(at: dir, config: ToyTrainer.config(seed: 1, epochs: 1))
        try run.appendMetrics(EpochSummary(epoch: 1, loss: 0.5, testAccuracy: 0.9))
        try run.appendMetrics(["epoch": 2, "loss": .double(.nan), "phase": "eval"])
        let text = try String(contentsOfFile: run.metricsPath, encoding: .utf8)
        #expect(
            text == """
                {"epoch":1,"loss":0.5,"testAccuracy":0.9}
                {"epoch":2,"loss":null,"phase":"eval"}

                """)
        // A crash in the middle of a line leaves a fragment, which readers skip.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: run.metricsPath))
        handle.seekToEndOfFile()
        handle.write(Data("{\"epoch\":3,\"lo".utf8))
        try handle.close()
        let records = try run.readMetrics()
        #expect(records.count == 2)
        #expect(records[0]["testAccuracy"] == 0.9)
        #expect(records[1]["loss"] == .null)
        // A garbled complete line is an error naming the file and line.
        try "{\"a\":1}\nnot json\n".write(
            toFile: run.metricsPath, atomically: false, encoding: .utf8)
        #expect(
            throws: RunDirectoryError.badMetricsLine(
                file: run.metricsPath, line: 2,
                detail: "invalid JSON")
        ) { try run.readMetrics() }
        #expect(throws: RunDirectoryError.metricsNotObject(file: run.metricsPath)) {
            try run.appendMetrics([1, 2, 3])
        }
    }

    @Test("record values compare numerically and survive JSON")
    func recordValues() throws {
        #expect(RecordValue.int(1) == .double(1.0))
        #expect(RecordValue.int(1) != .double(1.5))
        let value: RecordValue = ["a": [1, 2.5, "x", true, nil], "b": ["c": -3]]
        let decoded = try JSONDecoder().decode(RecordValue.self, from: Data(value.description.utf8))
        #expect(decoded == value)
        #expect(value.description == #"{"a":[1,2.5,"x",true,null],"b":{"c":-3}}"#)
    }
}

@Suite("Run metrics and the --out/--resume pair")
struct RunMetricsTests {
    @Test("nBP's accuracy keys are curves too; training curves are dashed")
    func learningCurveFromNBPMetrics() {
        let plot = LearningCurvePlot(
            metrics: [
                ["epoch": 1, "train_exact": 0.5, "test_exact": 0.4, "test_argmax_input": 0.6, "test_samples": 100],
                ["epoch": 2, "train_exact": 0.7, "test_exact": 0.6, "test_argmax_input": 0.7, "test_samples": 100],
            ], title: "t")
        #expect(plot.series.map(\.name) == ["test argmax-input", "test exact", "train exact"])
        #expect(plot.series.map(\.dashed) == [false, false, true])
        #expect(plot.series[1].values == [0.4, 0.6])
    }

    @Test("a learning curve is built from every *Accuracy key over epochs")
    func learningCurveFromMetrics() {
        let metrics: [[String: RecordValue]] = [
            ["epoch": 1, "trainAccuracy": 0.5, "testAccuracy": 0.4, "loss": 2.0],
            ["phase": "warmup"],
            ["epoch": 2, "trainAccuracy": 0.7, "spikeAccuracy": 0.6],
            ["epoch": 3, "trainAccuracy": 0.8, "testAccuracy": 0.75],
        ]
        let plot = LearningCurvePlot(
            metrics: metrics, title: "t", target: .init(value: 0.9, label: "paper"))
        #expect(plot.series.map(\.name) == ["train", "test", "spike"])
        #expect(plot.series[0].values == [0.5, 0.7, 0.8])
        #expect(plot.series[1].values[0] == 0.4 && plot.series[1].values[1].isNaN)
        #expect(plot.series.allSatisfy { $0.firstEpoch == 1 })
        #expect(plot.valueScale == 100)
        #expect(plot.target?.value == 0.9)
        // Percent-valued metrics are drawn as they are, and the target follows.
        let percent = LearningCurvePlot(
            metrics: [["epoch": 0, "testAccuracy": 91.5]], title: "t",
            target: .init(value: 0.9474, label: "paper"))
        #expect(percent.valueScale == 1)
        #expect(abs((percent.target?.value ?? 0) - 94.74) < 1e-9)
        #expect(!percent.pngData().isEmpty)
    }

    @Test("start: --out creates, --resume continues, both or neither is an error")
    func start() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let config = ToyTrainer.config(seed: 4, epochs: 2)
        let (run, fresh) = try RunDirectory.start(out: dir, resume: nil, config: config)
        #expect(fresh == nil)
        var trainer = ToyTrainer(seed: 4, epochs: 2)
        _ = try trainer.run(in: run, checkpointEvery: 5, killAfter: 12)
        let (_, state) = try RunDirectory.start(out: nil, resume: dir, config: config)
        #expect(state?.sampleIndex == 10)
        #expect(throws: RunDirectoryError.conflictingOptions) {
            try RunDirectory.start(out: dir, resume: dir, config: config)
        }
        #expect(throws: RunDirectoryError.missingOutput) {
            try RunDirectory.start(out: nil, resume: nil, config: config)
        }
        #expect(throws: RunDirectoryError.runExists(path: dir)) {
            try RunDirectory.start(out: dir, resume: nil, config: config)
        }
    }
}
