import Foundation

/// Training protocol of docs/errorprop.md "Training and evaluation" plus the stability measures of this
/// implementation (docs/errorprop.md).
public struct TrainingParameters: Codable, Sendable, Equatable {
    public var epochs = 30
    public var outputRate = 0.001  // η_o
    public var hiddenRate = 0.0  // η_h
    public var update = UpdateMode.online
    public var teacherRate = 40.0  // ν_T of the correct class [Hz]
    public var wrongTeacherRate = 0.0  // teacher of the other class [Hz]
    public var teacherFirstStep = 125
    /// Learning-rate half-life in epochs: both rates are scaled by 2^(−(e−1)/h) in epoch e
    /// (a decaying learning-circuit bias). 0 keeps them constant (the default).
    public var learningRateHalfLife = 0.0
    /// Stop once test accuracy is ≥ 95 % for 3 epochs in a row (docs/errorprop.md "Training and evaluation", optional).
    public var earlyStop = false
    /// Evaluate the training set after every epoch (docs/errorprop.md "Training and evaluation" logs it; costs one
    /// pass).
    public var evaluateTrainSet = true

    public init() {}

    /// Rate multiplier in epoch `epoch` (1-based).
    public func rateScale(epoch: Int) -> Double {
        learningRateHalfLife > 0 ? Foundation.pow(2, -Double(epoch - 1) / learningRateHalfLife) : 1
    }

    public func validate() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> ErrorPropError {
            .invalidParameter(name: name, value: "\(value)", expected: expected)
        }
        guard epochs >= 0 else { throw bad("epochs", epochs, ">= 0") }
        guard outputRate >= 0, hiddenRate >= 0 else {
            throw bad(
                "outputRate/hiddenRate", "\(outputRate)/\(hiddenRate)",
                "non-negative learning rates")
        }
        guard teacherRate > 0, wrongTeacherRate >= 0 else {
            throw bad("teacherRate", teacherRate, "a positive rate in Hz (wrongTeacherRate >= 0)")
        }
        guard teacherFirstStep >= 0 else { throw bad("teacherFirstStep", teacherFirstStep, ">= 0") }
        guard learningRateHalfLife >= 0 else {
            throw bad("learningRateHalfLife", learningRateHalfLife, ">= 0 epochs")
        }
    }
}

/// A complete experiment: seed, task, network and training protocol.
public struct ErrorPropConfiguration: Codable, Sendable, Equatable {
    public var masterSeed: UInt64 = ErrorPropRandom.defaultMasterSeed
    public var task = TaskParameters()
    public var network = NetworkParameters()
    public var training = TrainingParameters()

    public init() {}

    public func validate() throws {
        try task.validate()
        try network.validate()
        try training.validate()
        guard task.channels == network.inputCount else {
            throw ErrorPropError.invalidParameter(
                name: "network.inputCount", value: "\(network.inputCount)",
                expected: "the task's channel count (\(task.channels))")
        }
    }

    /// The model's defaults (docs/errorprop.md "Architecture and learning rule"): sparse coincidence hidden layer,
    /// readout learning only.
    public static var readoutOnly: ErrorPropConfiguration { ErrorPropConfiguration() }
}

/// Figures logged after every epoch (docs/errorprop.md "Training and evaluation" "outputs to log").
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var testAccuracy: Double
    public var trainAccuracy: Double?
    /// `meanOutputRates[c][k]`: mean rate of `O[k]` on test samples of class `c` [Hz].
    public var meanOutputRates: [[Double]]
    /// Mean rates of E⁺_o, E⁻_o, E⁺_h, E⁻_h per neuron during training [Hz].
    public var meanErrorRates: [Double]
    public var meanAbsDeltaInput: Double
    public var meanAbsDeltaOutput: Double
    public var inputFractionAtZero: Double
    public var inputFractionAtMax: Double
    public var outputFractionAtZero: Double
    public var outputFractionAtMax: Double
    public var outputRate: Double
    public var hiddenRate: Double
    /// Fraction of test samples with equal output counts (scored wrong).
    public var testTieFraction: Double
    /// Nearest-centroid accuracy on the hidden spike counts (centroids from the training
    /// set when it is evaluated, else from the test set itself): how separable the hidden
    /// code is, independent of the readout.
    public var hiddenCentroidAccuracy: Double
}

/// Accuracy and per-class output rates on a set of samples (evaluation mode, docs/errorprop.md "Training and
/// evaluation").
public struct EvaluationResult: Sendable, Equatable {
    public var accuracy: Double
    public var meanOutputRates: [[Double]]
    public var predictions: [Int?]
    /// Hidden spike counts per sample (for the separability diagnostic).
    public var hiddenCounts: [[Int]]
    /// Fraction of samples on which both outputs fired equally (ties count as wrong).
    public var tieFraction: Double
}

/// Presents every sample with plasticity and teachers off; a tie counts as wrong (docs/errorprop.md "Training and
/// evaluation").
/// `hidden`, when given, holds each sample's hidden activity for the current `W_in`.
public func evaluate(
    network: ErrorPropNetwork, samples: [SpikePattern], steps: Int, hidden: [HiddenActivity]? = nil
) -> EvaluationResult {
    var scratch = network
    var correct = 0
    var rateSums = [[0.0, 0.0], [0.0, 0.0]]
    var classCounts = [0, 0]
    var predictions: [Int?] = []
    predictions.reserveCapacity(samples.count)
    var hiddenCounts: [[Int]] = []
    var ties = 0
    let seconds = Double(steps) * network.parameters.dt
    for (index, sample) in samples.enumerated() {
        let r = simulatePresentation(
            network: &scratch, pattern: sample, steps: steps, options: .evaluation,
            cachedHidden: hidden?[index])
        predictions.append(r.prediction)
        hiddenCounts.append(r.hiddenCounts)
        if r.prediction == nil { ties += 1 }
        if r.prediction == sample.label { correct += 1 }
        classCounts[sample.label] += 1
        for k in 0..<2 { rateSums[sample.label][k] += Double(r.outputCounts[k]) / seconds }
    }
    let rates = (0..<2).map { c in rateSums[c].map { $0 / Double(max(classCounts[c], 1)) } }
    return EvaluationResult(
        accuracy: samples.isEmpty ? 0 : Double(correct) / Double(samples.count),
        meanOutputRates: rates,
        predictions: predictions, hiddenCounts: hiddenCounts,
        tieFraction: samples.isEmpty ? 0 : Double(ties) / Double(samples.count))
}

/// The outcome of a training run.
public struct TrainingResult: Sendable {
    public var configuration: ErrorPropConfiguration
    public var initialNetwork: ErrorPropNetwork
    public var network: ErrorPropNetwork
    /// Epoch 0 (before training) first.
    public var history: [EpochRecord]
    public var countOnlyAccuracy: Double
    public var populationTimingAccuracy: Double
    /// Presentations simulated (training plus evaluation), for throughput figures.
    public var presentations: Int
    public var finalTestAccuracy: Double { history.last?.testAccuracy ?? 0 }
    public var epochsRun: Int { history.last?.epoch ?? 0 }
}

/// Runs the protocol of docs/errorprop.md "Training and evaluation": per epoch, all training samples once in the order
/// of
/// `rng(master, SHUFFLE, epoch)`, then test (and optionally train) evaluation.
public func train(
    configuration: ErrorPropConfiguration, dataset: TaskDataset? = nil,
    progress: (EpochRecord) -> Void = { _ in }
) throws -> TrainingResult {
    try configuration.validate()
    let data =
        try dataset
        ?? TaskDataset(parameters: configuration.task, masterSeed: configuration.masterSeed)
    let t = configuration.training
    let steps = configuration.task.presentationSteps
    var network = try ErrorPropNetwork(
        parameters: configuration.network, masterSeed: configuration.masterSeed)
    let initial = network
    // With the hidden layer fixed its spikes depend only on the sample: compute them once
    // and replay them (exact; see HiddenActivity).
    let fixedHidden = t.hiddenRate == 0
    let trainHidden =
        fixedHidden
        ? data.train.map { hiddenActivity(network: network, pattern: $0, steps: steps) } : nil
    let testHidden =
        fixedHidden
        ? data.test.map { hiddenActivity(network: network, pattern: $0, steps: steps) } : nil

    func record(epoch: Int, before: ErrorPropNetwork, errorRates: [Double], scale: Double)
        -> EpochRecord
    {
        let test = evaluate(network: network, samples: data.test, steps: steps, hidden: testHidden)
        let trainEval =
            t.evaluateTrainSet
            ? evaluate(network: network, samples: data.train, steps: steps, hidden: trainHidden)
            : nil
        let trainAcc = trainEval?.accuracy
        let testFeatures = zip(test.hiddenCounts, data.test).map { (counts, s) in
            (counts.map(Double.init), s.label)
        }
        let trainFeatures =
            trainEval.map { e in
                zip(e.hiddenCounts, data.train).map { (c, s) in (c.map(Double.init), s.label) }
            }
            ?? testFeatures
        let separability = RateControl.nearestCentroidAccuracy(
            train: trainFeatures, test: testFeatures)
        func meanAbs(_ a: [Double], _ b: [Double]) -> Double {
            a.isEmpty ? 0 : zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(a.count)
        }
        let existing = network.inputWeights.indices.filter { network.connections[$0] != 0 }
        let wMax = network.parameters.weightMax
        func fraction(_ values: [Double], _ predicate: (Double) -> Bool) -> Double {
            values.isEmpty ? 0 : Double(values.filter(predicate).count) / Double(values.count)
        }
        let inW = existing.map { network.inputWeights[$0] }
        return EpochRecord(
            epoch: epoch, testAccuracy: test.accuracy, trainAccuracy: trainAcc,
            meanOutputRates: test.meanOutputRates,
            meanErrorRates: errorRates,
            meanAbsDeltaInput: meanAbs(network.inputWeights, before.inputWeights),
            meanAbsDeltaOutput: meanAbs(network.outputWeights, before.outputWeights),
            inputFractionAtZero: fraction(inW) { $0 <= 0 },
            inputFractionAtMax: fraction(inW) { $0 >= wMax },
            outputFractionAtZero: fraction(network.outputWeights) { $0 <= 0 },
            outputFractionAtMax: fraction(network.outputWeights) { $0 >= wMax },
            outputRate: t.outputRate * scale, hiddenRate: t.hiddenRate * scale,
            testTieFraction: test.tieFraction,
            hiddenCentroidAccuracy: separability)
    }

    var history: [EpochRecord] = []
    let evalPerEpoch = data.test.count + (t.evaluateTrainSet ? data.train.count : 0)
    var presentations = evalPerEpoch
    let first = record(epoch: 0, before: network, errorRates: [0, 0, 0, 0], scale: 0)
    history.append(first)
    progress(first)
    var streak = 0
    if t.epochs > 0 {
        for epoch in 1...t.epochs {
            let before = network
            let scale = t.rateScale(epoch: epoch)
            var order = Array(0..<data.train.count)
            var rng = ErrorPropRandom(master: configuration.masterSeed, stream: .shuffle, index: epoch)
            rng.specShuffle(&order)
            var errorSpikes = [0, 0, 0, 0]
            let options = PresentationOptions(
                teacherClass: nil, plastic: true, outputRate: t.outputRate * scale,
                hiddenRate: t.hiddenRate * scale,
                update: t.update, teacherRate: t.teacherRate, wrongTeacherRate: t.wrongTeacherRate,
                teacherFirstStep: t.teacherFirstStep)
            for index in order {
                var o = options
                o.teacherClass = data.train[index].label
                let r = simulatePresentation(
                    network: &network, pattern: data.train[index], steps: steps, options: o,
                    cachedHidden: trainHidden?[index])
                for e in 0..<4 { errorSpikes[e] += r.errorCounts[e] }
            }
            let seconds = Double(order.count * steps) * network.parameters.dt
            let sizes = [2, 2, network.parameters.hiddenCount, network.parameters.hiddenCount]
            let errorRates = (0..<4).map { Double(errorSpikes[$0]) / (seconds * Double(sizes[$0])) }
            let rec = record(epoch: epoch, before: before, errorRates: errorRates, scale: scale)
            history.append(rec)
            presentations += order.count + evalPerEpoch
            progress(rec)
            streak = rec.testAccuracy >= 0.95 ? streak + 1 : 0
            if t.earlyStop && streak >= 3 { break }
        }
    }
    return TrainingResult(
        configuration: configuration, initialNetwork: initial, network: network, history: history,
        countOnlyAccuracy: RateControl.countOnlyAccuracy(data),
        populationTimingAccuracy: RateControl.populationTimingAccuracy(data),
        presentations: presentations)
}
