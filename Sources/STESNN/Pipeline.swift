import Foundation
import SynfireData
import SynfireIO

/// What `synfire ste train` / `eval` report (also written as result.json).
public struct STERunSummary: Codable, Sendable {
    public var architecture: String
    public var mode: String
    public var network: String
    public var parameters: Int
    public var epochs: Int
    public var bestEpoch: Int
    public var seed: UInt64
    public var timeSteps: Int
    public var trainImages: Int
    public var testImages: Int
    /// DI: mean spiking accuracy at `timeSteps` over the stochastic runs; CI: digit accuracy.
    public var testAccuracy: Double
    public var trainAccuracy: Double
    public var evaluationRuns: Int
    public var accuracyByTimeSteps: [TimeStepAccuracy]
    public var ci: CIEvaluation?
    public var energy: EnergyReport?
    public var trainSeconds: Double
    public var trainSamplesPerSecond: Double
    public var datasetNotice: String?
}

/// Loading, training, evaluation and the run directory — the behaviour behind the CLI.
public enum STEPipeline {
    /// Power-of-two time steps up to `T`, plus `T` (docs/ste.md "DI mode" sweep).
    public static func sweep(upTo t: Int) -> [Int] {
        var values: [Int] = []
        var v = 1
        while v < t {
            values.append(v)
            v *= 2
        }
        values.append(t)
        return values
    }

    /// MNIST split per docs/ste.md "DI mode", the embedded-subset notice (if any) and dataset records.
    public static func loadSplits(dataDirectory: String?, limit: Int?) throws
        -> (splits: DataSplits, notice: String?, records: [DatasetRecord])
    {
        let train = try DatasetCatalog.load(.mnist, split: .train, dataDirectory: dataDirectory)
        let test = try DatasetCatalog.load(.mnist, split: .test, dataDirectory: dataDirectory)
        let notice = train.notice ?? test.notice
        let records = [train, test].map {
            DatasetRecord(
                name: $0.dataset.name, split: $0.dataset.split.rawValue, count: $0.dataset.count, sha256: $0.sha256)
        }
        return (try DataSplits(trainSet: train.dataset, testSet: test.dataset, limit: limit), notice, records)
    }

    public static func train(
        options: STETrainingOptions, splits: DataSplits, datasetNotice: String?, runDirectory: STERunDirectory,
        log: (String) -> Void
    ) throws -> STERunSummary {
        let trainer = try STETrainer(options: options, splits: splits)
        log(
            "ste: \(trainer.spec.name) (\(trainer.spec.parameterCount) parameters), \(options.mode.rawValue) mode, "
                + "\(splits.train.count) train / \(splits.validation.count) validation / \(splits.test.count) test images"
        )
        let outcome = try trainer.train { report, isBest in
            try runDirectory.appendMetrics(report)
            // The kept parameters so far, so an interrupted run can still be evaluated.
            if isBest { try runDirectory.run.writeWeights(try ModelArchive.archive(trainer.network)) }
            log(
                String(
                    format:
                        "epoch %d/%d  lr %.2e  loss %.4f  train acc %.4f  val err %.4f  val loss %.4f  %.1fs (%.0f samples/s)",
                    report.epoch, options.epochs, report.learningRate, report.trainLoss, report.trainAccuracy,
                    report.validationError, report.validationLoss, report.seconds, report.samplesPerSecond))
        }
        try runDirectory.run.writeWeights(try ModelArchive.archive(trainer.network))
        log("ste: kept parameters of epoch \(outcome.bestEpoch); evaluating on \(splits.test.count) test images")
        var summary = try evaluate(
            network: trainer.network, options: options, test: splits.test, runDirectory: runDirectory, log: log)
        summary.epochs = options.epochs
        summary.bestEpoch = outcome.bestEpoch
        summary.trainImages = splits.train.count
        summary.trainAccuracy = outcome.history.last?.trainAccuracy ?? 0
        let seconds = outcome.history.reduce(0) { $0 + $1.seconds }
        summary.trainSeconds = seconds
        summary.trainSamplesPerSecond =
            Double(outcome.history.count * splits.train.count * (options.mode == .ci ? 2 : 1)) / max(seconds, 1e-9)
        summary.datasetNotice = datasetNotice
        try runDirectory.appendTestResult(summary, epoch: outcome.bestEpoch)
        try writePlots(history: outcome.history, summary: summary, runDirectory: runDirectory)
        try runDirectory.writeJSON(summary, to: "result.json")
        return summary
    }

    /// Spiking evaluation of a trained network (DI sweep + energy, or CI inference).
    public static func evaluate(
        network: SpikingNetwork, options: STETrainingOptions, test: ImageDataset, runDirectory: STERunDirectory?,
        log: (String) -> Void
    ) throws -> STERunSummary {
        var summary = STERunSummary(
            architecture: options.architecture.rawValue, mode: options.mode.rawValue, network: network.spec.name,
            parameters: network.spec.parameterCount, epochs: 0, bestEpoch: 0, seed: options.seed,
            timeSteps: options.timeSteps, trainImages: 0, testImages: test.count, testAccuracy: 0, trainAccuracy: 0,
            evaluationRuns: options.evaluationRuns, accuracyByTimeSteps: [], ci: nil, energy: nil, trainSeconds: 0,
            trainSamplesPerSecond: 0, datasetNotice: nil)
        switch options.mode {
        case .di:
            let sweep = sweep(upTo: options.timeSteps)
            let result = try evaluateDI(
                network: network, images: test, sweep: sweep, runs: options.evaluationRuns,
                seed: options.seed &+ 0x5EED, encoding: options.encoding)
            summary.accuracyByTimeSteps = result.sweep
            summary.testAccuracy = result.accuracy(at: options.timeSteps) ?? 0
            summary.energy = EnergyReport(
                evaluation: result, spec: network.spec, timeSteps: sweep.contains(16) ? sweep : sweep + [16])
            for row in result.sweep {
                log(
                    String(
                        format: "T=%-3d accuracy %.4f ± %.4f (%d runs)", row.timeSteps, row.meanAccuracy,
                        row.standardDeviation, row.runs))
            }
        case .ci:
            let result = try evaluateCI(
                network: network, images: test, timeSteps: options.timeSteps, twoChannel: options.twoChannelEvents)
            summary.ci = result
            summary.testAccuracy = result.digitAccuracy
            summary.accuracyByTimeSteps = [
                TimeStepAccuracy(
                    timeSteps: options.timeSteps, meanAccuracy: result.digitAccuracy, standardDeviation: 0, runs: 1)
            ]
            log(
                String(
                    format: "CI: digit %.4f (all 11 outputs %.4f), direction %.4f; read-out digit %.4f, direction %.4f",
                    result.digitAccuracy, result.digitAccuracyAllOutputs, result.directionAccuracy,
                    result.readoutDigitAccuracy, result.readoutDirectionAccuracy))
        }
        if let runDirectory {
            // One point per evaluated T, equally spaced: the sweep is powers of two (plus T
            // itself, docs/ste.md "DI mode"), so the x axis is ~log2 T with the actual T values as tick labels.
            let rows = summary.accuracyByTimeSteps
            try runDirectory.run.writePlot(
                LearningCurvePlot(
                    title: "\(network.spec.name) \(options.mode.rawValue.uppercased()): test accuracy vs time steps",
                    subtitle: "spiking inference, mean over \(rows.map(\.runs).max() ?? 1) run(s) per T",
                    series: [LearningCurvePlot.Series(name: "spiking inference", values: rows.map(\.meanAccuracy))],
                    xLabel: "time steps T (log2 spacing)", yLabel: "test accuracy (%)",
                    xTickLabels: rows.map { String($0.timeSteps) }),
                name: "accuracy_vs_timesteps")
        }
        return summary
    }

    static func writePlots(history: [EpochReport], summary: STERunSummary, runDirectory: STERunDirectory) throws {
        try runDirectory.run.writePlot(learningCurve(history: history, summary: summary), name: "learning_curve")
    }

    static func learningCurve(history: [EpochReport], summary: STERunSummary) -> LearningCurvePlot {
        LearningCurvePlot(
            title: "\(summary.network): training",
            series: [
                LearningCurvePlot.Series(
                    name: "train (float read-out, 1 frame)", values: history.map(\.trainAccuracy),
                    firstEpoch: history.first?.epoch ?? 1),
                LearningCurvePlot.Series(
                    name: "validation (1 frame)", values: history.map { 1 - $0.validationError },
                    firstEpoch: history.first?.epoch ?? 1),
            ])
    }
}
