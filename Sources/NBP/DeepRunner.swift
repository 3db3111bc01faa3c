import Foundation
import SynfireData
import SynfireIO

/// `synfire nbp train --sizes` with more than one hidden layer: the fast path
/// (`NBPDeepEngine`) or the chip circuit (`NBPDeepRunEngine`) over the same data, seeds, shuffles and host gates as a
/// one-hidden-layer run; writes config.json, metrics.jsonl, weights.npz (W1 ... WL and the
/// M matrices) and the learning curve.
public enum NBPDeepRunner {
    public static func train(_ options: NBPTrainOptions, sizes requested: NBPLayerSizes, log: @escaping (String) -> Void)
        throws -> NBPTrainResult
    {
        let started = Date()
        let dataset = try NBPDatasets.name(options.dataset)
        try refuse(options)
        try NBPRunSetup.validate(options)
        try NBPDeepEngine.check(schedule: options.schedule, engine: options.engine, variant: options.variant)
        let preprocessing = NBPPreprocessing.standard(for: dataset, threshold: options.threshold)
        let train = try NBPDatasets.load(
            dataset, split: .train, dataDirectory: options.dataDirectory, preprocessing: preprocessing,
            limit: options.limit)
        let test = try NBPDatasets.load(
            dataset, split: .test, dataDirectory: options.dataDirectory, preprocessing: preprocessing,
            limit: options.limit)
        if let notice = train.raw.notice { log(notice) }
        guard requested.input == train.set.inputCount else {
            throw NBPError.imageSizeMismatch(
                dataset: dataset.rawValue, pixels: train.set.inputCount, circuitInput: requested.input)
        }
        try train.set.validate(for: NBPSizes(input: requested.input, hidden: 1, output: requested.output))
        var generator = SeededGenerator(seed: options.seed)
        let engine = try NBPDeepRunEngine(
            options: options,
            weights: try NBPDeepWeights.heNormal(sizes: requested, scale: options.initScale, using: &generator),
            log: log)
        let config = NBPRunSetup.config(
            options, dataset: dataset, train: train, test: test,
            sizes: NBPSizes(input: requested.input, hidden: requested.units[1], output: requested.output),
            sizesText: requested.description)
        let directory = try RunDirectory.create(at: options.out, config: config)
        var history: [NBPEpochRecord] = []
        for epoch in 1...max(options.epochs, 1) where options.epochs >= 1 {
            let record = try trainEpoch(epoch, options: options, engine: engine, set: train.set, test: test.set)
            try directory.appendMetrics(record.record)
            try directory.writeWeights(try engine.weights().archive())
            log(
                String(
                    format: "epoch %d: train exact %.4f, test exact %.4f, argmax %.4f, argmax-input %.4f (%.1f s)",
                    epoch, record.trainExact, record.test.exact, record.test.argmax, record.test.argmaxInput,
                    record.seconds))
            history.append(record)
        }
        let final = history.last?.test ?? engine.evaluate(test.set)
        try engine.writeEnergyCounts(to: directory.path)
        var plots: [String] = []
        do {
            plots = try directory.writePlot(
                NBPPlots.learningCurve(history: history, title: "nBP on \(dataset.rawValue) (\(requested))", dataset: dataset),
                name: "learning-curve")
        } catch {
            log("plots not written: \(error)")
        }
        return NBPTrainResult(
            testExact: final.exact, testArgmax: final.argmax, testArgmaxInput: final.argmaxInput,
            trainExact: history.last?.trainExact ?? 0, samples: train.set.count * options.epochs,
            testSamples: final.samples, epochs: options.epochs, engine: options.engine.rawValue,
            variant: options.variant.rawValue, dataset: dataset.rawValue, embeddedData: train.raw.isEmbedded,
            sizes: requested.description, runDirectory: directory.path, weightMismatches: engine.weightMismatches,
            gateViolations: engine.gateViolations,
            seconds: Date().timeIntervalSince(started), plots: plots)
    }

    /// One epoch: the seeded shuffle, per-sample gate and replay draws of a one-hidden-layer
    /// run (the replay draws cover every hidden layer).
    static func trainEpoch(
        _ epoch: Int, options: NBPTrainOptions, engine: NBPDeepRunEngine, set: NBPEncodedSet, test: NBPEncodedSet
    ) throws -> NBPEpochRecord {
        let started = Date()
        engine.beginEpoch(epoch, schedule: options.schedule)
        let order = NBPTrainer.order(count: set.count, seed: options.seed, epoch: epoch)
        var gates = NBPEpochGates(
            seed: options.seed, epoch: epoch, count: order.count, schedule: options.schedule,
            hiddenLayers: Array(engine.sizes.units.dropFirst().dropLast()))
        var exact = 0
        for (position, index) in order.enumerated() {
            let sample = set.sample(index)
            let sampleGates = gates.next(for: sample, at: position)
            if try engine.train(sample, gates: sampleGates, where: (epoch, position)).exact { exact += 1 }
        }
        return NBPEpochRecord(
            epoch: epoch, trainExact: Double(exact) / Double(max(1, order.count)), test: engine.evaluate(test),
            updateExponent: options.schedule.exponent(epoch: epoch), seconds: Date().timeIntervalSince(started))
    }

    /// Options of one-hidden-layer runs only, refused with the reason.
    static func refuse(_ options: NBPTrainOptions) throws {
        let unavailable: [(Bool, String)] = [
            (options.resume, "--resume"), (options.initWeights != nil, "--init-weights"),
            (options.hidden != nil, "--hidden"),
        ]
        if let (_, name) = unavailable.first(where: { $0.0 }) {
            throw NBPError.invalidOption(
                "\(name) is not available with more than one hidden layer yet: train from the seed with --sizes "
                    + "(docs/nbp.md, \"Deeper networks\")")
        }
    }
}
