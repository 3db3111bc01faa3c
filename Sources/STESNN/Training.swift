import Foundation
import SynfireData

/// Everything that defines one training run (docs/ste.md "DI mode", "CI mode").
public struct STETrainingOptions: Codable, Sendable, Equatable {
    public var architecture: NetworkArchitecture
    public var mode: IntegrationMode
    /// Evaluation time steps (DI) / sequence length (CI).
    public var timeSteps: Int
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    /// Caps the number of training images (and of validation/test images) when set.
    public var limit: Int?
    public var encoding: InputEncoding
    /// Independent stochastic test runs averaged for DI (docs/ste.md "DI mode": 20).
    public var evaluationRuns: Int
    /// Use the 2-channel (ON, OFF) event frames in CI mode (docs/ste.md "CI mode" item 3).
    public var twoChannelEvents: Bool
    /// Train on `y − 1` and fire outputs at threshold 1 (docs/ste.md "Choices" item 4, CNN option).
    public var shiftedHinge: Bool

    public init(
        architecture: NetworkArchitecture, mode: IntegrationMode, timeSteps: Int, epochs: Int,
        batchSize: Int = 100, seed: UInt64 = 1, limit: Int? = nil,
        encoding: InputEncoding = .bernoulli, evaluationRuns: Int = 20,
        twoChannelEvents: Bool = false, shiftedHinge: Bool = false
    ) throws {
        self.architecture = architecture
        self.mode = mode
        self.timeSteps = timeSteps
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.limit = limit
        self.encoding = encoding
        self.evaluationRuns = evaluationRuns
        self.twoChannelEvents = twoChannelEvents
        self.shiftedHinge = shiftedHinge
        try validate()
    }

    public func validate() throws {
        guard timeSteps > 0 else { throw STEError.invalidTimeSteps(timeSteps) }
        guard epochs > 0 else {
            throw STEError.invalidParameter(
                name: "epochs", value: "\(epochs)", expected: "a positive number of epochs")
        }
        guard batchSize > 0 else {
            throw STEError.invalidParameter(
                name: "batch size", value: "\(batchSize)", expected: "a positive batch size (the paper's is 100)")
        }
        if let limit, limit < 2 {
            throw STEError.invalidParameter(
                name: "limit", value: "\(limit)", expected: "at least 2 images")
        }
        guard evaluationRuns > 0 else {
            throw STEError.invalidParameter(
                name: "evaluation runs", value: "\(evaluationRuns)", expected: "at least 1 (the paper's is 20)")
        }
        _ = try networkSpec()
    }

    public func networkSpec() throws -> NetworkSpec {
        var spec = try NetworkSpec.standard(
            architecture, mode: mode, twoChannelEvents: twoChannelEvents)
        if shiftedHinge { spec.outputThreshold = 1 }
        return spec
    }

    /// Exponential decay over the run's epochs (DI: 1e-3 → 1e-5, CI: 1e-3 → 1e-6).
    public var schedule: LearningRateSchedule {
        mode == .di ? .di(epochs: epochs) : .ci(epochs: epochs)
    }
}

/// One epoch's figures, as written to metrics.jsonl.
public struct EpochReport: Codable, Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    /// Float read-out accuracy of the training passes themselves (one frame, dropout on).
    public var trainAccuracy: Double
    public var validationLoss: Double
    /// DI: float read-out error with one stochastic frame; CI: digit error of Σ_t y_t.
    public var validationError: Double
    public var seconds: Double
    public var samplesPerSecond: Double
}

/// Train / validation / test images as the model splits MNIST (docs/ste.md "Choices"): the first 50 000
/// training images, the last 10 000 for validation, the 10 000 test images.
public struct DataSplits: Sendable {
    public var train: ImageDataset
    public var validation: ImageDataset
    public var test: ImageDataset

    public init(trainSet: ImageDataset, testSet: ImageDataset, limit: Int?) throws {
        guard trainSet.pixelsPerImage == 784, testSet.pixelsPerImage == 784 else {
            throw STEError.shapeMismatch(
                what: "MNIST image size (28×28)", expected: 784,
                actual: trainSet.pixelsPerImage == 784 ? testSet.pixelsPerImage : trainSet.pixelsPerImage)
        }
        // Validation: the last 10 000 training images, or the last sixth of a smaller set.
        let validationCount = min(10_000, trainSet.count / 6)
        let trainCount = trainSet.count - validationCount
        guard trainCount > 0, validationCount > 0, testSet.count > 0 else {
            throw STEError.emptyDataset("training/validation/test split of \(trainSet.count) + \(testSet.count) images")
        }
        train = try Self.slice(trainSet, 0, min(trainCount, limit ?? trainCount))
        validation = try Self.slice(
            trainSet, trainCount, min(validationCount, limit ?? validationCount))
        test = testSet.prefix(min(testSet.count, limit ?? testSet.count))
    }

    static func slice(_ set: ImageDataset, _ start: Int, _ count: Int) throws -> ImageDataset {
        let p = set.pixelsPerImage
        return try ImageDataset(
            name: set.name, split: set.split, rows: set.rows, columns: set.columns,
            pixels: Array(set.pixels[(start * p)..<((start + count) * p)]),
            labels: Array(set.labels[start..<(start + count)]))
    }
}

/// The result of training: the kept parameters (lowest validation error/loss) and history.
public struct TrainingOutcome: Sendable {
    public var parameters: [ParameterBlock]
    public var history: [EpochReport]
    public var bestEpoch: Int
}

/// Trains one network in DI or CI mode (docs/ste.md "DI mode", "CI mode").
public final class STETrainer {
    public let options: STETrainingOptions
    public let spec: NetworkSpec
    public let network: SpikingNetwork
    let splits: DataSplits
    var generator: SeededGenerator
    var optimiser: AdamOptimiser
    let events: SaccadeEventGenerator

    public init(options: STETrainingOptions, splits: DataSplits) throws {
        try options.validate()
        self.options = options
        self.spec = try options.networkSpec()
        self.splits = splits
        var generator = SeededGenerator(seed: options.seed)
        self.network = try SpikingNetwork(spec: spec, generator: &generator)
        self.generator = generator
        self.optimiser = AdamOptimiser(for: network.parameters)
        self.events = SaccadeEventGenerator(
            timeBins: options.timeSteps, twoChannel: options.twoChannelEvents)
    }

    /// Runs all epochs; `progress` sees every epoch's report as it completes, with
    /// `isBest` set when this epoch's parameters (now in `network`) are the best so far.
    public func train(progress: (EpochReport, _ isBest: Bool) throws -> Void = { _, _ in }) throws
        -> TrainingOutcome
    {
        var history: [EpochReport] = []
        var best = network.parameters
        var bestScore = Double.infinity
        var bestEpoch = 0
        for epoch in 0..<options.epochs {
            let rate = options.schedule.rate(afterEpochs: epoch)
            let start = ContinuousClock.now
            let (loss, accuracy, samples) =
                options.mode == .di ? try trainEpochDI(rate: rate) : try trainEpochCI(rate: rate)
            let seconds = elapsedSeconds(since: start)
            let (validationLoss, validationError) =
                options.mode == .di ? try validateDI() : try validateCI()
            let report = EpochReport(
                epoch: epoch + 1, learningRate: rate, trainLoss: loss, trainAccuracy: accuracy,
                validationLoss: validationLoss, validationError: validationError,
                seconds: seconds, samplesPerSecond: Double(samples) / max(seconds, 1e-9))
            history.append(report)
            // DI keeps the lowest validation error (docs/ste.md "DI mode"), CI the lowest validation loss (docs/ste.md
            // "CI mode").
            let score = options.mode == .di ? validationError : validationLoss
            if score < bestScore {
                bestScore = score
                best = network.parameters
                bestEpoch = epoch + 1
            }
            try progress(report, bestEpoch == epoch + 1)
        }
        network.parameters = best
        return TrainingOutcome(parameters: best, history: history, bestEpoch: bestEpoch)
    }

    /// Targets ±1 for a batch; the shifted variant (docs/ste.md "Choices" item 4) trains `y − 1`.
    private func hinge(outputs: [Float], targets: [Float]) -> (Double, [Float]) {
        if options.shiftedHinge {
            return SquaredHinge.loss(outputs: outputs.map { $0 - 1 }, targets: targets)
        }
        return SquaredHinge.loss(outputs: outputs, targets: targets)
    }

    // MARK: DI

    /// One epoch of DI training: one Bernoulli frame per image per update (docs/ste.md "DI mode").
    func trainEpochDI(rate: Double) throws -> (loss: Double, accuracy: Double, samples: Int) {
        let set = splits.train
        let order = generator.permutation(set.count)
        let classes = spec.outputFeatures
        var totalLoss = 0.0
        var correct = 0
        var batches = 0
        for start in stride(from: 0, to: set.count, by: options.batchSize) {
            let indices = Array(order[start..<min(start + options.batchSize, set.count)])
            let input = encodeFrames(set, indices: indices, frames: 1)
            let labels = indices.map { Int(set.labels[$0]) }
            let y = try network.forward(
                input, batch: indices.count, timeSteps: 1, phase: .training, generator: &generator)
            let (loss, grad) = hinge(
                outputs: y, targets: SquaredHinge.targets(labels: labels, classes: classes))
            try network.backward(grad)
            optimiser.update(&network.parameters, gradients: network.gradients, learningRate: rate)
            totalLoss += loss
            batches += 1
            for (n, label) in labels.enumerated() where argmax(y, row: n, width: classes) == label {
                correct += 1
            }
        }
        return (totalLoss / Double(max(batches, 1)), Double(correct) / Double(set.count), set.count)
    }

    /// Validation with dropout off and one stochastic step (docs/ste.md "DI mode").
    func validateDI() throws -> (loss: Double, error: Double) {
        let set = splits.validation
        let classes = spec.outputFeatures
        var wrong = 0
        var totalLoss = 0.0
        var batches = 0
        for start in stride(from: 0, to: set.count, by: options.batchSize) {
            let indices = Array(start..<min(start + options.batchSize, set.count))
            let input = encodeFrames(set, indices: indices, frames: 1)
            let labels = indices.map { Int(set.labels[$0]) }
            let y = try network.forward(
                input, batch: indices.count, timeSteps: 1, phase: .validation, generator: &generator)
            totalLoss +=
                hinge(
                    outputs: y, targets: SquaredHinge.targets(labels: labels, classes: classes)
                ).0
            batches += 1
            for (n, label) in labels.enumerated() where argmax(y, row: n, width: classes) != label {
                wrong += 1
            }
        }
        return (totalLoss / Double(max(batches, 1)), Double(wrong) / Double(set.count))
    }

    func encodeFrames(_ set: ImageDataset, indices: [Int], frames: Int) -> [Float] {
        encodeRateFrames(
            set, indices: indices, frames: frames, encoding: options.encoding, generator: &generator)
    }

    // MARK: CI

    /// Sample `i` of a CI split: image `i / 2`, played forward when `i` is even, reversed
    /// when odd (every image yields both, docs/ste.md "CI mode" item 4).
    func eventBatch(_ set: ImageDataset, samples: [Int]) throws -> (input: [Float], targets: [Float], labels: [Int]) {
        let T = options.timeSteps
        let n = samples.count
        let features = events.featuresPerFrame
        var input = [Float](repeating: 0, count: T * n * features)
        var targets = [Float](repeating: -1, count: T * n * 11)
        var labels: [Int] = []
        for (column, sample) in samples.enumerated() {
            let image = sample / 2
            let reversed = sample % 2 == 1
            let frames = try set.pixels.withUnsafeBufferPointer { p in
                try events.frames(
                    image: UnsafeBufferPointer(rebasing: p[(image * 784)..<((image + 1) * 784)]),
                    reversed: reversed)
            }
            let label = Int(set.labels[image])
            labels.append(label)
            for t in 0..<T {
                let row = t * n + column
                // docs/ste.md "CI mode": inputs binarised at 0.5 (frames are already 0/1).
                for f in 0..<features where frames[t * features + f] >= 1 {
                    input[row * features + f] = 1
                }
                targets[row * 11 + label] = 1
                targets[row * 11 + 10] = reversed ? -1 : 1
            }
        }
        return (input, targets, labels)
    }

    func trainEpochCI(rate: Double) throws -> (loss: Double, accuracy: Double, samples: Int) {
        let set = splits.train
        let order = generator.permutation(2 * set.count)
        let T = options.timeSteps
        var totalLoss = 0.0
        var correct = 0
        var batches = 0
        for start in stride(from: 0, to: order.count, by: options.batchSize) {
            let samples = Array(order[start..<min(start + options.batchSize, order.count)])
            let batch = try eventBatch(set, samples: samples)
            let y = try network.forward(
                batch.input, batch: samples.count, timeSteps: T, phase: .training,
                generator: &generator)
            let (loss, grad) = hinge(outputs: y, targets: batch.targets)
            try network.backward(grad)
            optimiser.update(&network.parameters, gradients: network.gradients, learningRate: rate)
            totalLoss += loss
            batches += 1
            let summed = sumOverTime(y, timeSteps: T, batch: samples.count, width: 11)
            for (n, label) in batch.labels.enumerated()
            where argmax(summed, row: n, width: 11, limit: 10) == label {
                correct += 1
            }
        }
        return (totalLoss / Double(max(batches, 1)), Double(correct) / Double(order.count), order.count)
    }

    func validateCI() throws -> (loss: Double, error: Double) {
        let set = splits.validation
        let T = options.timeSteps
        var totalLoss = 0.0
        var wrong = 0
        var batches = 0
        for start in stride(from: 0, to: 2 * set.count, by: options.batchSize) {
            let samples = Array(start..<min(start + options.batchSize, 2 * set.count))
            let batch = try eventBatch(set, samples: samples)
            let y = try network.forward(
                batch.input, batch: samples.count, timeSteps: T, phase: .validation,
                generator: &generator)
            totalLoss += hinge(outputs: y, targets: batch.targets).0
            batches += 1
            let summed = sumOverTime(y, timeSteps: T, batch: samples.count, width: 11)
            for (n, label) in batch.labels.enumerated()
            where argmax(summed, row: n, width: 11, limit: 10) != label {
                wrong += 1
            }
        }
        return (totalLoss / Double(max(batches, 1)), Double(wrong) / Double(2 * set.count))
    }
}

// MARK: shared helpers

/// `frames` Bernoulli frames for the given images, time-major `[frames × n × 784]`.
func encodeRateFrames(
    _ set: ImageDataset, indices: [Int], frames: Int, encoding: InputEncoding,
    generator: inout some RandomNumberGenerator
) -> [Float] {
    let p = set.pixelsPerImage
    let n = indices.count
    var input = [Float](repeating: 0, count: frames * n * p)
    set.pixels.withUnsafeBufferPointer { pixels in
        input.withUnsafeMutableBufferPointer { out in
            for t in 0..<frames {
                for (column, index) in indices.enumerated() {
                    let row = t * n + column
                    RateEncoder.encode(
                        pixels: UnsafeBufferPointer(rebasing: pixels[(index * p)..<((index + 1) * p)]),
                        encoding: encoding,
                        into: UnsafeMutableBufferPointer(rebasing: out[(row * p)..<((row + 1) * p)]),
                        generator: &generator)
                }
            }
        }
    }
    return input
}

/// Index of the largest of `width` values in `row` (the first `limit` only); ties go to
/// the lowest index (docs/ste.md "DI mode").
@inline(__always)
func argmax<T: Comparable>(_ values: [T], row: Int, width: Int, limit: Int? = nil) -> Int {
    let base = row * width
    var best = 0
    for k in 1..<(limit ?? width) where values[base + k] > values[base + best] {
        best = k
    }
    return best
}

/// `Σ_t y_t` for time-major rows.
func sumOverTime(_ y: [Float], timeSteps: Int, batch: Int, width: Int) -> [Float] {
    var out = [Float](repeating: 0, count: batch * width)
    for t in 0..<timeSteps {
        for i in 0..<(batch * width) { out[i] += y[t * batch * width + i] }
    }
    return out
}

func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
