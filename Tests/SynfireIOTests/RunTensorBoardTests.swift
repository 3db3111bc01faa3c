import Foundation
import SynfireTensorBoard
import Testing

import SynfireArrays
@testable import SynfireIO

/// One logged value of a run's TensorBoard files, without its wall time.
struct LoggedValue: Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case scalar(Float)
        case histogram(count: Double, sum: Double)
        case image(width: Int32, height: Int32, bytes: Int)
    }
    var tag: String
    var step: Int64
    var kind: Kind
    var description: String { "\(tag)@\(step): \(kind)" }
}

/// Every value in the event files of `runPath`/tb, in the order TensorBoard reads them.
func loggedValues(runPath: String) throws -> [LoggedValue] {
    var result: [LoggedValue] = []
    for path in EventFile.paths(in: runPath + "/tb") {
        for event in try EventFile.events(at: path) {
            for value in event.summary.value {
                let kind: LoggedValue.Kind
                switch value.value {
                case .simpleValue(let v): kind = .scalar(v)
                case .histo(let h): kind = .histogram(count: h.num, sum: h.sum)
                case .image(let i): kind = .image(width: i.width, height: i.height, bytes: i.encodedImageString.count)
                case nil: continue
                }
                result.append(LoggedValue(tag: value.tag, step: event.step, kind: kind))
            }
        }
    }
    return result
}

@Suite("TensorBoard log of a run directory")
struct RunTensorBoardTests {
    @Test(
        "metrics keys become grouped tags",
        arguments: [
            ("test_exact", "test/exact"), ("test_argmax_input", "test/argmax_input"), ("testAccuracy", "test/accuracy"),
            ("train_exact", "train/exact"), ("trainLoss", "train/loss"), ("validationError", "validation/error"),
            ("learningRate", "train/learning_rate"), ("update_exponent", "train/update_exponent"),
            ("loss", "train/loss"), ("seconds", "time/seconds"), ("samplesPerSecond", "time/samples_per_second"),
            ("energyMicrojoulesPerSample", "energy/microjoules_per_sample"),
            ("meanErrorRates", "metrics/mean_error_rates"), ("test", "metrics/test"),
        ])
    func tags(_ key: String, _ tag: String) {
        #expect(RunTensorBoard.scalarTag(for: key) == tag)
    }

    @Test("numbers and arrays of numbers are scalars; the update exponent also gives its probability")
    func scalarsOfRecord() {
        let scalars = RunTensorBoard.scalars(of: [
            "epoch": 3, "test_exact": 0.9, "update_exponent": 2, "meanOutputRates": [[1, 2], [3, 4]],
            "name": "x", "hidden_learning": true,
        ])
        let byTag = Dictionary(uniqueKeysWithValues: scalars.map { ($0.tag, $0.value) })
        #expect(byTag["test/exact"] == 0.9)
        #expect(byTag["train/update_exponent"] == 2 && byTag["train/update_probability"] == 0.25)
        #expect(byTag["metrics/mean_output_rates/1/0"] == 3)
        #expect(byTag.count == 7)
    }

    @Test("a trained run logs scalars per metrics line, weights.npz as histograms and plots as images")
    func logsWhatTheRunWrites() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let run = try RunDirectory.create(at: dir, config: ToyTrainer.config(seed: 1, epochs: 2))
        let weights = NPZArchive([
            ("W", try NDArray(shape: [2, 2], float32: [1, 2, 3, 4])),
            ("mask", try NDArray(shape: [2], uint8: [0, 1])),
        ])
        try run.writeWeights(weights)  // before any metrics line: no step yet, not logged
        try run.appendMetrics(["epoch": 1, "test_exact": 0.5])
        try run.writeWeights(weights)
        try run.writeWeights(weights)  // same step again: not logged twice
        try run.writeWeights(weights, name: "weights-initial")  // only weights.npz is logged
        try run.appendMetrics(["epoch": 2, "test_exact": 0.75, "train_exact": 0.8])
        let plot = LearningCurvePlot(title: "t", series: [.init(name: "a", values: [0.5, 0.75])])
        try run.writePlot(plot, name: "learning-curve")
        let pngSize = try TestSupport.bytes(dir + "/plots/learning-curve.png").count
        #expect(
            try loggedValues(runPath: dir) == [
                LoggedValue(tag: "test/exact", step: 1, kind: .scalar(0.5)),
                LoggedValue(tag: "weights/W", step: 1, kind: .histogram(count: 4, sum: 10)),
                LoggedValue(tag: "test/exact", step: 2, kind: .scalar(0.75)),
                LoggedValue(tag: "train/exact", step: 2, kind: .scalar(0.8)),
                LoggedValue(
                    tag: "plots/learning-curve", step: 2,
                    kind: .image(width: Int32(plot.width), height: Int32(plot.height), bytes: pngSize)),
            ])
        // Reading a run (plots redrawn later, evaluation) adds nothing.
        try RunDirectory.open(at: dir).writePlot(plot, name: "learning-curve")
        #expect(EventFile.paths(in: dir + "/tb").count == 1)
        #expect(try loggedValues(runPath: dir).count == 5)
    }

    @Test("resuming drops events newer than the kept metrics and continues in a new file")
    func resumeDropsTail() throws {
        let dir = try TestSupport.scratchDirectory() + "/run"
        let config = ToyTrainer.config(seed: 1, epochs: 3)
        let run = try RunDirectory.create(at: dir, config: config)
        try run.appendMetrics(["epoch": 1, "loss": 3])
        try run.saveCheckpoint(TrainingState(epoch: 1, sampleIndex: 0, rngState: [1], arrays: NPZArchive()))
        try run.appendMetrics(["epoch": 2, "loss": 2])  // after the checkpoint: lost in a crash
        let (resumed, _) = try RunDirectory.resume(at: dir, config: config)
        #expect(try loggedValues(runPath: dir).map(\.step) == [1])
        try resumed.appendMetrics(["epoch": 2, "loss": 1.5])
        try resumed.writeWeights(NPZArchive([("W", try NDArray(shape: [1], float64: [7]))]))
        #expect(
            try loggedValues(runPath: dir) == [
                LoggedValue(tag: "train/loss", step: 1, kind: .scalar(3)),
                LoggedValue(tag: "train/loss", step: 2, kind: .scalar(1.5)),
                LoggedValue(tag: "weights/W", step: 2, kind: .histogram(count: 1, sum: 7)),
            ])
        #expect(EventFile.paths(in: dir + "/tb").count == 2)
    }
}
