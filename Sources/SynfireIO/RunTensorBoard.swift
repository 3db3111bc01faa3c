// RunTensorBoard: a training run's TensorBoard log in RUN_DIR/tb, fed by the run
// directory itself, so every trainer that appends metrics and saves weights through
// RunDirectory gets TensorBoard without a line of its own:
//   appendMetrics(record)        -> one scalar per number of the record, step = its "epoch"
//   writeWeights(archive)        -> a histogram per numeric array ("weights/W1", ...), at the
//                                   epoch of the latest metrics line (weights.npz only)
//   writePlot(plot, name:)       -> the PNG as image "plots/<name>" (receptive fields, ...)
// `tensorboard --logdir runs/` then shows and compares runs.
//
// Scalar tags come from the metrics keys: a key starting with train / test / validation is
// that group ("test_exact" and "testExact" -> "test/exact", "trainLoss" -> "train/loss");
// learning rate and update probability go to train/, time and energy to their own groups,
// the rest to metrics/ (arrays: one tag per element, "metrics/mean_error_rates/2").
//
// A resumed run keeps the events up to the last epoch its metrics kept, drops later ones
// (written after the checkpoint) and writes a new file for the new session.

import Foundation
import SynfireArrays
import SynfireTensorBoard

public final class RunTensorBoard: @unchecked Sendable {
    public static let folder = "tb"

    public let directory: String
    private let file: EventFile
    private let lock = NSLock()
    /// The epoch of the latest metrics line: the step of weights and images.
    private var step: Int64?
    /// The last step each tag was written at; a tag is never written twice for a step.
    private var lastStep: [String: Int64]

    private init(directory: String, step: Int64?, lastStep: [String: Int64]) throws {
        self.directory = directory
        self.step = step
        self.lastStep = lastStep
        file = try EventFile.create(in: directory)
    }

    /// The log of a new run.
    static func start(runPath: String) throws -> RunTensorBoard {
        try RunTensorBoard(directory: runPath + "/" + folder, step: nil, lastStep: [:])
    }

    /// The log of a resumed run whose metrics now end at epoch `step` (nil: no metrics).
    static func resume(runPath: String, keptThrough step: Int?) throws -> RunTensorBoard {
        let directory = runPath + "/" + folder
        let kept = try EventFile.dropEvents(in: directory, after: step.map(Int64.init))
        return try RunTensorBoard(directory: directory, step: step.map(Int64.init), lastStep: kept)
    }

    /// Scalars of one metrics record at its epoch (records without an epoch log nothing).
    func logMetrics(_ record: [String: RecordValue]) throws {
        guard let epoch = record[MetricKey.epoch]?.intValue else { return }
        try write(step: Int64(epoch), advancing: true) { step in
            let scalars = RunTensorBoard.scalars(of: record).filter { fresh($0.tag, step) }
            return scalars.isEmpty ? [] : [TBEvent.scalars(scalars, step: step)]
        }
    }

    /// Histograms of the numeric arrays of `archive` (bytes, such as masks, are skipped).
    func logWeights(_ archive: NPZArchive) throws {
        try write(step: nil, advancing: false) { step in
            archive.names.compactMap { name -> TBEvent? in
                guard let array = archive[name], let values = RunTensorBoard.numbers(array) else { return nil }
                let tag = "weights/" + name
                return fresh(tag, step) ? TBEvent.histogram(tag: tag, values: values, step: step) : nil
            }
        }
    }

    func logImage(png: [UInt8], width: Int, height: Int, tag: String) throws {
        try write(step: nil, advancing: false) { step in
            fresh(tag, step) ? [TBEvent.image(tag: tag, png: png, width: width, height: height, step: step)] : []
        }
    }

    /// Runs `events` at `step` (or the current step) under the lock and appends them.
    private func write(step given: Int64?, advancing: Bool, _ events: (Int64) -> [TBEvent]) throws {
        lock.lock()
        defer { lock.unlock() }
        guard let step = given ?? step else { return }
        if advancing { self.step = Swift.max(self.step ?? step, step) }
        let batch = events(step)
        guard !batch.isEmpty else { return }
        try file.append(batch)
        for event in batch {
            for value in event.summary.value { lastStep[value.tag] = event.step }
        }
    }

    private func fresh(_ tag: String, _ step: Int64) -> Bool { (lastStep[tag] ?? .min) < step }

    private static func numbers(_ array: NDArray) -> [Double]? {
        // uint8 arrays are bytes such as masks, not weights: no histogram.
        array.storage.dtype == .uint8 ? nil : array.storage.doubles
    }
}

extension RunTensorBoard {
    /// The scalar tags and values of a metrics record (see the file comment).
    public static func scalars(of record: [String: RecordValue]) -> [(tag: String, value: Double)] {
        var result: [(tag: String, value: Double)] = []
        for key in record.keys.sorted() where key != MetricKey.epoch {
            let tag = scalarTag(for: key)
            func add(_ value: RecordValue, suffix: String) {
                switch value {
                case .int, .double:
                    if let number = value.doubleValue { result.append((tag + suffix, number)) }
                case .array(let items):
                    for (index, item) in items.enumerated() { add(item, suffix: suffix + "/\(index)") }
                default: break
                }
            }
            add(record[key]!, suffix: "")
            if key == MetricKey.updateExponent, let k = record[key]?.doubleValue {
                result.append(("train/update_probability", pow(2, -k)))
            }
        }
        return result
    }

    /// "test_argmax_input" -> "test/argmax_input", "learningRate" -> "train/learning_rate".
    public static func scalarTag(for key: String) -> String {
        var words: [String] = []
        var word = ""
        for character in key {
            if character == "_" || character == "-" || (character.isUppercase && !word.isEmpty) {
                if !word.isEmpty { words.append(word) }
                word = character.isLetter || character.isNumber ? String(character).lowercased() : ""
            } else {
                word += String(character).lowercased()
            }
        }
        if !word.isEmpty { words.append(word) }
        let snake = words.joined(separator: "_")
        if let first = words.first, ["train", "test", "validation"].contains(first), words.count > 1 {
            return first + "/" + words.dropFirst().joined(separator: "_")
        }
        switch snake {
        case "learning_rate", "loss", "update_exponent": return "train/" + snake
        case "seconds", "wall_seconds", "samples_per_second": return "time/" + snake
        case let energy where energy.hasPrefix("energy_"): return "energy/" + energy.dropFirst("energy_".count)
        default: return "metrics/" + snake
        }
    }
}
