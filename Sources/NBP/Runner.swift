import Foundation
import SynfireIO

/// Training runs on disk: config, metrics, checkpoints, weights, plots, energy counts.
public enum NBPRunner {
    /// Trains as `synfire nbp train` does. `log` receives progress lines. The backend is
    /// chosen once (`NBPBackend.resolve`); one loop runs it, and everything else a run
    /// writes or checks watches it as an `NBPRunObserver`.
    public static func train(_ options: NBPTrainOptions, log: @escaping (String) -> Void) throws -> NBPTrainResult {
        if let sizes = options.layerSizes, sizes.hiddenLayers > 1 {
            return try NBPDeepRunner.train(options, sizes: sizes, log: log)
        }
        let started = Date()
        let setup = try NBPRunSetup(options, log: log)
        let (engine, observers) = try startRun(setup)
        var history = setup.history
        for epoch in setup.epochs.map(Array.init) ?? [] {
            history.append(try trainEpoch(epoch, setup: setup, engine: engine, observers: observers))
        }
        let final = history.last?.test ?? NBPTrainer.evaluate(engine: engine, set: setup.test.set)
        let summary = try observers.runDidEnd(setup, engine: engine, history: history)
        return NBPTrainResult(
            testExact: final.exact, testArgmax: final.argmax, testArgmaxInput: final.argmaxInput,
            trainExact: history.last?.trainExact ?? 0,
            samples: setup.train.set.count * max(0, options.epochs - setup.firstEpoch + 1),
            testSamples: final.samples, epochs: options.epochs, engine: options.engine.rawValue,
            variant: options.variant.rawValue, dataset: setup.dataset.rawValue,
            embeddedData: setup.train.raw.isEmbedded, sizes: engine.sizes.description,
            runDirectory: setup.directory.path, weightMismatches: summary.weightMismatches,
            gateViolations: summary.gateViolations, seconds: Date().timeIntervalSince(started), plots: summary.plots)
    }

    /// The engine and observers of a run that starts now; a new run that cannot start (a
    /// circuit too large for the chip, say) leaves no files behind.
    static func startRun(_ setup: NBPRunSetup) throws -> (NBPEngine, NBPRunObservers) {
        do {
            let engine = try setup.makeEngine()
            let observers = try NBPRunObservers.standard(for: setup, engine: engine)
            try observers.runWillStart(setup, engine: engine)
            return (engine, observers)
        } catch {
            if !setup.options.resume { setup.directory.discardNewRun() }
            throw error
        }
    }

    /// One epoch: the host's gates and order, every sample through the engine (and shown to
    /// the observers that watch samples), the test set, the metrics line, the checkpoint.
    static func trainEpoch(_ epoch: Int, setup: NBPRunSetup, engine: NBPEngine, observers: NBPRunObservers) throws
        -> NBPEpochRecord
    {
        let options = setup.options
        let started = Date()
        engine.beginEpoch(epoch, schedule: options.schedule)
        observers.epochWillStart(epoch, schedule: options.schedule)
        let set = setup.train.set
        let order = NBPTrainer.order(count: set.count, seed: options.seed, epoch: epoch)
        var gates = NBPEpochGates(
            seed: options.seed, epoch: epoch, count: order.count, schedule: options.schedule,
            hidden: engine.sizes.hidden)
        let progress = ProgressLine(label: "epoch \(epoch)/\(options.epochs)", total: order.count, unit: "samples")
        let progressEvery = observers.watchSamples ? 100 : 1000
        var exact = 0
        for (position, index) in order.enumerated() {
            let sample = set.sample(index)
            let sampleGates = gates.next(for: sample, at: position)
            let outcome = engine.train(sample, gates: sampleGates)
            if outcome.exact { exact += 1 }
            if observers.watchSamples {
                try observers.sampleDidTrain(
                    NBPTrainedSample(
                        epoch: epoch, position: position, index: index, sample: sample, gates: sampleGates,
                        outcome: outcome), engine: engine)
            }
            if (position + 1) % progressEvery == 0 { progress.update(completed: position + 1) }
        }
        let accuracy = NBPTrainer.evaluate(engine: engine, set: setup.test.set)
        progress.finish(accuracy: accuracy.exact)
        let record = NBPEpochRecord(
            epoch: epoch, trainExact: Double(exact) / Double(max(1, order.count)), test: accuracy,
            updateExponent: options.schedule.exponent(epoch: epoch), seconds: Date().timeIntervalSince(started))
        try setup.directory.appendMetrics(record.record)
        setup.log(
            String(
                format: "epoch %d: train exact %.4f, test exact %.4f, argmax %.4f, argmax-input %.4f (%.1f s)",
                epoch, record.trainExact, accuracy.exact, accuracy.argmax, accuracy.argmaxInput, record.seconds))
        try observers.epochDidEnd(record, setup: setup, engine: engine)
        return record
    }

    /// `synfire nbp eval RUN`: the run's weights on its test set (fast engine, chip variant
    /// unless the run used the reference variant).
    public static func evaluate(runDirectory path: String, dataDirectory: String?) throws -> NBPAccuracy {
        let (engine, set) = try testEngine(runDirectory: path, dataDirectory: dataDirectory)
        return NBPTrainer.evaluate(engine: engine, set: set)
    }

    /// A run's trained weights in the fast path, and the test set it was trained against.
    public static func testEngine(runDirectory path: String, dataDirectory: String?) throws -> (
        engine: NBPEngine, set: NBPEncodedSet
    ) {
        let run = try RunDirectory.open(at: path)
        let weightsPath = run.path + "/weights.npz"
        guard FileManager.default.fileExists(atPath: weightsPath) else { throw NBPError.missingFile(weightsPath) }
        let weights = try NBPWeightsFile.read(weightsPath)
        guard let record = run.config.datasets.first else {
            throw NBPError.malformedFile(path: run.configPath, reason: "it names no dataset")
        }
        let name = try NBPDatasets.name(record.name)
        let threshold =
            run.config.parameters["threshold"].flatMap { value -> Int? in
                if case .int(let v) = value { return v }
                return nil
            } ?? 129
        let variant: NBPVariant = {
            if case .string(let v)? = run.config.parameters["variant"], let parsed = NBPVariant(rawValue: v) {
                return parsed
            }
            return .chip
        }()
        let testCount = run.config.datasets.first { $0.split == "test" }?.count
        let test = try NBPDatasets.load(
            name, split: .test, dataDirectory: dataDirectory,
            preprocessing: .standard(for: name, threshold: threshold), limit: testCount)
        try test.set.validate(for: weights.sizes)
        return (try NBPFastEngine(weights: weights, variant: variant), test.set)
    }
}
