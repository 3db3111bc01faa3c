import EnergyModel
import Foundation
import NeuroChip
import SynfireData
import SynfireIO

/// Which engine trains.
public enum NBPEngineKind: String, Codable, Sendable, CaseIterable {
    case fast, chip
}

/// Named training settings (`synfire nbp train --preset`); explicit options override them.
public enum NBPPreset: String, CaseIterable, Sendable {
    /// The papers' settings: He-normal initialisation, no margin, every ±2 event applied.
    case paper
    /// Half the initialisation's standard deviation and a training margin of 192, constant
    /// rate (docs/nbp.md: the best Fashion-MNIST setting measured).
    case margin
    /// `margin` plus the learning-rate decay: the update probability halves every 3 epochs
    /// after epoch 30, rounded per synapse by the learning engine (the best MNIST setting;
    /// on Fashion-MNIST the copies drift apart under it, docs/nbp.md).
    case marginDecay = "margin-decay"
    /// `margin` plus the learning-rate decay through the replay gates: p halves every 4
    /// epochs after epoch 20, realised by the host vetoing replays of x and h, so the copies
    /// stay identical (the best Fashion-MNIST setting, docs/nbp.md).
    case marginReplay = "margin-replay"

    public var initScale: Double { self == .paper ? 1 : 0.5 }
    public var margin: Int { self == .paper ? 0 : 192 }
    public var schedule: NBPLearningSchedule {
        switch self {
        case .paper, .margin: return .constant
        case .marginDecay: return NBPLearningSchedule(constantEpochs: 30, halvingEvery: 3, gate: .synapse)
        case .marginReplay: return NBPLearningSchedule(constantEpochs: 20, halvingEvery: 4, gate: .replay)
        }
    }

    /// Options with this preset's settings.
    public func apply(to options: inout NBPTrainOptions) {
        options.initScale = initScale
        options.margin = margin
        options.schedule = schedule
    }
}

/// Everything `synfire nbp train` can set.
public struct NBPTrainOptions: Sendable {
    public var dataset: String = "mnist"
    public var limit: Int?
    public var epochs: Int = 1
    public var engine: NBPEngineKind = .fast
    public var variant: NBPVariant = .chip
    public var compareFast = false
    public var seed: UInt64 = 43
    public var out: String
    public var hidden = 400
    public var threshold = 129
    /// Multiplier of the initialisation's standard deviation (1 = the paper).
    public var initScale = 1.0
    /// Training margin m in weight units (docs/nbp.md; 0 = the paper).
    public var margin = 0
    public var schedule = NBPLearningSchedule.constant
    public var initWeights: String?
    public var resume = false
    public var dataDirectory: String?
    /// Fast engine, chip variant: derive the chip circuit's op counts from the fast path's
    /// spikes and write energy_counts*.json (docs/energy.md, "Fast path"). Off by default:
    /// it makes a fast epoch about 4x slower (still ~10x faster than the chip engine).
    public var energyCounts = false
    /// Threads of the chip engine's simulator (--engine chip; the results do not depend on it).
    public var threads = 1

    public init(out: String) { self.out = out }
}

/// The result `synfire nbp train --json` prints.
public struct NBPTrainResult: Codable, Sendable {
    public var testExact: Double
    public var testArgmax: Double
    public var testArgmaxInput: Double
    public var trainExact: Double
    public var samples: Int
    public var testSamples: Int
    public var epochs: Int
    public var engine: String
    public var variant: String
    public var dataset: String
    public var embeddedData: Bool
    public var sizes: String
    public var runDirectory: String
    public var weightMismatches: Int?
    public var gateViolations: Int?
    public var seconds: Double
    public var plots: [String]

    enum CodingKeys: String, CodingKey {
        case testExact = "test_exact"
        case testArgmax = "test_argmax"
        case testArgmaxInput = "test_argmax_input"
        case trainExact = "train_exact"
        case samples
        case testSamples = "test_samples"
        case epochs, engine, variant, dataset
        case embeddedData = "embedded_data"
        case sizes
        case runDirectory = "run_dir"
        case weightMismatches = "weight_mismatches"
        case gateViolations = "gate_violations"
        case seconds, plots
    }
}

/// Paper figures the learning curve is drawn against (nbp-circuit.md §1, issue).
public enum NBPPaperTarget {
    public static func exact(for name: DatasetName) -> (value: Double, label: String) {
        name == .mnist ? (0.957, "paper 95.7% (journal)") : (0.79, "paper 79% (40 epochs)")
    }
}

/// Training runs on disk: config, metrics, checkpoints, weights, plots, energy counts.
public enum NBPRunner {
    /// Trains as `synfire nbp train` does. `log` receives progress lines.
    public static func train(_ options: NBPTrainOptions, log: @escaping (String) -> Void) throws -> NBPTrainResult {
        let started = Date()
        let name = try NBPDatasets.name(options.dataset)
        if options.variant == .reference && options.engine == .chip {
            throw NBPError.chipMismatch(
                "the chip engine runs the chip variant only; use --engine fast with --variant reference")
        }
        if options.variant == .reference && options.schedule.vetoesReplay && !options.schedule.isConstant {
            throw NBPError.chipMismatch(
                "the input replay gate is part of the chip circuit; use --variant chip, or --learning-gate synapse or sample with --variant reference"
            )
        }
        // Before any data loads (the circuit checks it again when it is built).
        try NBPCircuit.validate(margin: options.margin)
        let preprocessing = NBPPreprocessing.standard(for: name, threshold: options.threshold)
        let train = try NBPDatasets.load(
            name, split: .train, dataDirectory: options.dataDirectory, preprocessing: preprocessing,
            limit: options.limit)
        let test = try NBPDatasets.load(
            name, split: .test, dataDirectory: options.dataDirectory, preprocessing: preprocessing,
            limit: options.limit)
        if let notice = train.raw.notice { log(notice) }

        // Initial weights: imported or the paper's initialisation.
        var initial: NBPWeights
        if let path = options.initWeights {
            initial = try NBPWeightsFile.read(path)
        } else {
            var generator = SeededGenerator(seed: options.seed)
            initial = try NBPWeights.heNormal(
                sizes: NBPSizes(input: train.set.inputCount, hidden: options.hidden, output: 10),
                scale: options.initScale, using: &generator)
        }
        try train.set.validate(for: initial.sizes)
        try test.set.validate(for: initial.sizes)

        let config = RunConfig(
            command: "nbp train", seed: options.seed,
            datasets: [
                DatasetRecord(name: name.rawValue, split: "train", count: train.set.count, sha256: train.raw.sha256),
                DatasetRecord(name: name.rawValue, split: "test", count: test.set.count, sha256: test.raw.sha256),
            ],
            parameters: [
                "engine": .string(options.engine.rawValue), "variant": .string(options.variant.rawValue),
                "epochs": .int(options.epochs), "sizes": .string(initial.sizes.description),
                "threshold": .int(options.threshold), "schedule": .string(options.schedule.description),
                "init_scale": .double(options.initScale), "margin": .int(options.margin),
                "compare_fast": .bool(options.compareFast),
            ])
        let run: RunDirectory
        var firstEpoch = 1
        var history: [NBPEpochRecord] = []
        var restoredMatrices: NBPChipMatrices?
        if options.resume {
            let (opened, state) = try RunDirectory.resume(at: options.out, config: config, allowingChanges: ["epochs"])
            run = opened
            if let state {
                let restored = try NBPWeightsFile.weights(from: state.arrays)
                if restored.sizes != initial.sizes {
                    throw NBPError.checkpointSizeMismatch(checkpoint: restored.sizes, expected: initial.sizes)
                }
                initial = restored
                restoredMatrices = try NBPWeightsFile.copies(from: state.arrays, weights: restored)
                firstEpoch = state.epoch + 1
                history = try run.readMetrics().compactMap { try? NBPEpochRecord(record: $0) }
                log("resuming \(options.out) after epoch \(state.epoch)")
            }
        } else {
            run = try RunDirectory.create(at: options.out, config: config)
        }

        // The engines that compute the chip's weights directly, with the run's training margin.
        func fastEngine(variant: NBPVariant) throws -> NBPFastEngine {
            let fast = try NBPFastEngine(weights: initial, variant: variant, roundingSeed: options.seed)
            fast.trainingMargin = Int32(options.margin)
            return fast
        }
        func copiesEngine(_ matrices: NBPChipMatrices) -> NBPStochasticEngine {
            let copies = NBPStochasticEngine(matrices: matrices, sizes: initial.sizes, seed: options.seed)
            copies.trainingMargin = Int32(options.margin)
            return copies
        }

        var engine: NBPEngine
        var chipEngine: NBPChipEngine?
        var countingEngine: NBPFastEngine?
        var shadow: NBPEngine?
        switch options.engine {
        case .fast:
            if let restoredMatrices, options.variant == .chip {
                engine = copiesEngine(restoredMatrices)
            } else {
                let fast = try fastEngine(variant: options.variant)
                if options.energyCounts && options.variant == .chip && options.schedule.gate == .synapse {
                    try fast.enableEnergyCounts()
                    countingEngine = fast
                }
                engine = fast
            }
            if options.energyCounts && countingEngine == nil {
                log(
                    options.variant != .chip
                        ? "no energy counts: the reference variant is not the chip circuit (use --variant chip)"
                        : options.schedule.gate == .sample
                            ? "no energy counts: the per-sample learning gate adds in_skip spikes the fast path does not count (run --engine chip for counts)"
                            : options.schedule.vetoesReplay
                                ? "no energy counts: the replay gates add veto spikes the fast path does not count (run --engine chip for counts)"
                                : "no energy counts: a resumed fast run continues on the engine that tracks all eight matrices, which does not count"
                )
            }
        case .chip:
            let chip = try NBPChipEngine(
                matrices: restoredMatrices ?? NBPChipMatrices(weights: initial), sizes: initial.sizes,
                seed: options.seed, margin: options.margin, replayGate: options.schedule.vetoesReplay,
                threads: options.threads)
            chip.recordsEnergy = true
            chipEngine = chip
            engine = chip
            if options.compareFast {
                shadow =
                    (options.schedule.isConstant || options.schedule.gate != .synapse) && restoredMatrices == nil
                    ? try fastEngine(variant: .chip)
                    : copiesEngine(restoredMatrices ?? NBPChipMatrices(weights: initial))
            }
        }
        var mismatches = 0
        var lastTrainExact = history.last?.trainExact ?? 0
        var lastTest = history.last?.test
        for epoch in firstEpoch...max(firstEpoch, options.epochs) where epoch <= options.epochs {
            let epochStart = Date()
            if options.engine == .fast, options.variant == .chip, options.schedule.ruleExponent(epoch: epoch) > 0,
                engine is NBPFastEngine
            {
                // From the first epoch with p < 1 on, the updates are random per synapse and the
                // copies drift apart: switch to the engine that tracks all eight matrices and
                // draws as the chip does. Until now every update was deterministic, so the
                // copies equal W1 / W2 and the plain weights describe the chip's state.
                let weights = engine.weights
                try weights.validate(variant: .chip)
                engine = copiesEngine(NBPChipMatrices(weights: weights))
                if countingEngine != nil {
                    log("energy counts cover epochs 1-\(epoch - 1) only: the stochastic engine (p < 1) does not count")
                }
            }
            engine.beginEpoch(epoch, schedule: options.schedule)
            shadow?.beginEpoch(epoch, schedule: options.schedule)
            let order = NBPTrainer.order(count: train.set.count, seed: options.seed, epoch: epoch)
            let learns = NBPTrainer.learningGate(
                count: order.count, seed: options.seed, epoch: epoch,
                numerator: options.schedule.sampleGateNumerator(epoch: epoch))
            var replay = NBPTrainer.replayGate(
                seed: options.seed, epoch: epoch, schedule: options.schedule, hidden: engine.sizes.hidden)
            let progress = ProgressLine(label: "epoch \(epoch)/\(options.epochs)", total: order.count, unit: "samples")
            var exact = 0
            if let shadow, let chipEngine {
                // --compare-fast: both engines, all eight matrices compared after every sample.
                for (done, sample) in order.enumerated() {
                    let range = train.set.offsets[sample]..<train.set.offsets[sample + 1]
                    let label = Int(train.set.labels[sample])
                    let outcome = train.set.indices[range].withUnsafeBufferPointer { active in
                        NBPTrainer.withGates(&replay, active: active, learns: learns?[done] ?? true) { gates in
                            (
                                chipEngine.train(active: active, label: label, gates: gates),
                                shadow.train(active: active, label: label, gates: gates)
                            )
                        }
                    }
                    if outcome.0.exact { exact += 1 }
                    let expected =
                        (shadow as? NBPStochasticEngine)?.chipMatrices() ?? NBPChipMatrices(weights: shadow.weights)
                    let differing = try chipEngine.chipMatrices().differences(from: expected)
                    if !differing.isEmpty || outcome.0.outputBits != outcome.1.outputBits {
                        if mismatches == 0 {
                            log(
                                "first mismatch: epoch \(epoch), position \(done) (sample \(sample)); matrices \(differing), output bits chip \(outcome.0.outputBits) fast \(outcome.1.outputBits)"
                            )
                        }
                        mismatches += 1
                    }
                    if (done + 1) % 100 == 0 { progress.update(completed: done + 1) }
                }
            } else {
                exact = NBPTrainer.trainPass(
                    engine: engine, set: train.set, order: order, learns: learns, replay: replay, progressEvery: 1000
                ) {
                    progress.update(completed: $0)
                }
            }
            let accuracy = NBPTrainer.evaluate(engine: engine, set: test.set)
            progress.finish(accuracy: accuracy.exact)
            lastTrainExact = Double(exact) / Double(max(1, order.count))
            lastTest = accuracy
            let record = NBPEpochRecord(
                epoch: epoch, trainExact: lastTrainExact, test: accuracy,
                updateExponent: options.schedule.exponent(epoch: epoch),
                seconds: Date().timeIntervalSince(epochStart))
            history.append(record)
            try run.appendMetrics(record.record)
            log(
                String(
                    format: "epoch %d: train exact %.4f, test exact %.4f, argmax %.4f, argmax-input %.4f (%.1f s)",
                    epoch, lastTrainExact, accuracy.exact, accuracy.argmax, accuracy.argmaxInput, record.seconds))
            let weights = engine.weights
            try run.writeWeights(try NBPWeightsFile.archive(weights))
            // The checkpoint keeps all eight matrices when the copies may have drifted.
            let copies = try chipEngine?.chipMatrices() ?? (engine as? NBPStochasticEngine)?.chipMatrices()
            try run.saveCheckpoint(
                TrainingState(
                    epoch: epoch, sampleIndex: 0, rngState: [options.seed],
                    arrays: try NBPWeightsFile.archive(weights, copies: copies)))
        }
        let final = lastTest ?? NBPTrainer.evaluate(engine: engine, set: test.set)
        var plots: [String] = []
        do {
            plots = try NBPPlots.write(
                run: run, history: history, weights: engine.weights, dataset: name,
                sample: train.set, rasterEngine: chipEngine)
        } catch {
            log("plots not written: \(error)")
        }
        if let chipEngine {
            if chipEngine.gateViolations > 0 {
                let byPopulation = chipEngine.violationsByPopulation.sorted { $0.key < $1.key }
                let byPhase = chipEngine.violationsByPhase.sorted { $0.key < $1.key }
                log(
                    "gate violations by population: "
                        + byPopulation.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                        + "; by phase: " + byPhase.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
            }
            try chipEngine.writeEnergyCounts(to: run.path)
        }
        if let countingEngine {
            try countingEngine.writeEnergyCounts(to: run.path)
            if let recorder = countingEngine.energyRecorder, recorder.unresolvedInputs > 0 {
                log("energy counts: \(recorder.unresolvedInputs) input sums were not derivable and taken as zero")
            }
        }
        return NBPTrainResult(
            testExact: final.exact, testArgmax: final.argmax, testArgmaxInput: final.argmaxInput,
            trainExact: lastTrainExact, samples: train.set.count * max(0, options.epochs - firstEpoch + 1),
            testSamples: final.samples, epochs: options.epochs, engine: options.engine.rawValue,
            variant: options.variant.rawValue, dataset: name.rawValue, embeddedData: train.raw.isEmbedded,
            sizes: engine.sizes.description, runDirectory: run.path,
            weightMismatches: options.compareFast ? mismatches : nil,
            gateViolations: chipEngine?.gateViolations, seconds: Date().timeIntervalSince(started), plots: plots)
    }

    /// `synfire nbp eval RUN`: the run's weights on its test set (fast engine, chip variant
    /// unless the run used the reference variant).
    public static func evaluate(runDirectory path: String, dataDirectory: String?) throws -> NBPAccuracy {
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
        let engine = try NBPFastEngine(weights: weights, variant: variant)
        return NBPTrainer.evaluate(engine: engine, set: test.set)
    }
}

extension NBPEpochRecord {
    var record: [String: RecordValue] {
        [
            "epoch": .int(epoch), "train_exact": .double(trainExact), "test_exact": .double(test.exact),
            "test_argmax": .double(test.argmax), "test_argmax_input": .double(test.argmaxInput),
            "test_samples": .int(test.samples), "update_exponent": .int(updateExponent), "seconds": .double(seconds),
        ]
    }

    init(record: [String: RecordValue]) throws {
        func double(_ key: String) throws -> Double {
            guard let value = record[key]?.doubleValue else {
                throw NBPError.malformedFile(path: "metrics.jsonl", reason: "missing \(key)")
            }
            return value
        }
        let samples = Int(try double("test_samples"))
        self.init(
            epoch: Int(try double("epoch")), trainExact: try double("train_exact"),
            test: NBPAccuracy(
                samples: samples, exact: try double("test_exact"), argmax: try double("test_argmax"),
                argmaxInput: try double("test_argmax_input")),
            updateExponent: Int(try double("update_exponent")), seconds: try double("seconds"))
    }
}

extension NBPAccuracy {
    init(samples: Int, exact: Double, argmax: Double, argmaxInput: Double) {
        self.samples = samples
        self.exact = exact
        self.argmax = argmax
        self.argmaxInput = argmaxInput
    }
}

/// Weights as `.npz`: `W1` (hidden x input), `W2` (output x hidden), `M` (hidden x output),
/// int16 chip units, readable by numpy (`np.load`).
public enum NBPWeightsFile {
    public static func archive(_ weights: NBPWeights) throws -> NPZArchive {
        let sizes = weights.sizes
        return NPZArchive([
            ("W1", try NDArray(shape: [sizes.hidden, sizes.input], int16: weights.w1)),
            ("W2", try NDArray(shape: [sizes.output, sizes.hidden], int16: weights.w2)),
            ("M", try NDArray(shape: [sizes.hidden, sizes.output], int16: weights.m)),
        ])
    }

    /// With `copies`, also W1c1, W1c2, W2c1, W2c2, W2Tp (paper layout, post x pre).
    public static func archive(_ weights: NBPWeights, copies: NBPChipMatrices?) throws -> NPZArchive {
        var archive = try archive(weights)
        guard let copies else { return archive }
        let sizes = weights.sizes
        archive["W1c1"] = try NDArray(shape: [sizes.hidden, sizes.input], int16: copies.w1c1)
        archive["W1c2"] = try NDArray(shape: [sizes.hidden, sizes.input], int16: copies.w1c2)
        archive["W2c1"] = try NDArray(shape: [sizes.output, sizes.hidden], int16: copies.w2c1)
        archive["W2c2"] = try NDArray(shape: [sizes.output, sizes.hidden], int16: copies.w2c2)
        archive["W2Tp"] = try NDArray(shape: [sizes.hidden, sizes.output], int16: copies.w2Tp)
        return archive
    }

    /// The eight matrices of a checkpoint that stored the copies, else nil.
    static func copies(from archive: NPZArchive, weights: NBPWeights) throws -> NBPChipMatrices? {
        let names = ["W1c1", "W1c2", "W2c1", "W2c2", "W2Tp"]
        guard names.allSatisfy({ archive[$0] != nil }) else { return nil }
        var values: [String: [Int16]] = [:]
        for name in names {
            guard let array = archive[name], let ints = array.int16Values else {
                throw NBPError.malformedFile(path: "checkpoint", reason: "\(name) is not int16")
            }
            values[name] = ints
        }
        let matrices = NBPChipMatrices(
            w1: weights.w1, w1c1: values["W1c1"]!, w1c2: values["W1c2"]!, w2: weights.w2, w2c1: values["W2c1"]!,
            w2c2: values["W2c2"]!, w2Tp: values["W2Tp"]!, m: weights.m)
        let expected = [
            matrices.w1c1.count == weights.w1.count, matrices.w1c2.count == weights.w1.count,
            matrices.w2c1.count == weights.w2.count, matrices.w2c2.count == weights.w2.count,
            matrices.w2Tp.count == weights.w2.count,
        ]
        if expected.contains(false) {
            throw NBPError.checkpointSizeMismatch(checkpoint: weights.sizes, expected: weights.sizes)
        }
        return matrices
    }

    public static func write(_ weights: NBPWeights, to path: String) throws {
        try archive(weights).write(to: path, compression: .deflated)
    }

    public static func read(_ path: String) throws -> NBPWeights {
        guard FileManager.default.fileExists(atPath: path) else { throw NBPError.missingFile(path) }
        return try weights(from: try NPZArchive.read(from: path), path: path)
    }

    static func weights(from archive: NPZArchive, path: String = "checkpoint") throws -> NBPWeights {
        guard let w1 = archive["W1"], w1.shape.count == 2, let w2 = archive["W2"], w2.shape.count == 2 else {
            throw NBPError.malformedFile(
                path: path, reason: "it needs 2-D arrays W1 (hidden x input) and W2 (output x hidden)")
        }
        let sizes = NBPSizes(input: w1.shape[1], hidden: w1.shape[0], output: w2.shape[0])
        if w2.shape[1] != sizes.hidden {
            throw NBPError.malformedFile(
                path: path, reason: "W2 has \(w2.shape[1]) columns but W1 has \(sizes.hidden) hidden rows")
        }
        func ints(_ name: String, _ shape: [Int]) throws -> [Int16] {
            let array = try archive.array(name)
            let values: [Double]
            switch array.storage {
            case .int8(let v): values = v.map(Double.init)
            case .int16(let v): values = v.map(Double.init)
            case .int32(let v): values = v.map(Double.init)
            case .uint8(let v): values = v.map(Double.init)
            case .float32(let v): values = v.map(Double.init)
            case .float64(let v): values = v
            }
            return try values.map { value in
                guard let small = Int16(exactly: value) else {
                    throw NBPError.weightOutOfRange(
                        matrix: name, value: Int(exactly: value.rounded()) ?? Int.max, variant: .chip)
                }
                return small
            }
        }
        let m = archive["M"] != nil ? try ints("M", [sizes.hidden, sizes.output]) : nil
        let weights = try NBPWeights(
            sizes: sizes, w1: try ints("W1", w1.shape), w2: try ints("W2", w2.shape), m: m)
        try weights.validate(variant: .chip)
        return weights
    }
}
