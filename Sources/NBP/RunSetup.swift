import Foundation
import SynfireData
import SynfireIO

/// A training run as it stands before its first epoch: options checked, data loaded, the
/// starting weights (initialisation, imported, or a checkpoint's) and the run directory
/// created or reopened. `NBPRunner.train` takes it from here.
struct NBPRunSetup {
    let options: NBPTrainOptions
    let log: (String) -> Void
    let dataset: DatasetName
    let train: NBPDatasets.Loaded
    let test: NBPDatasets.Loaded
    let directory: RunDirectory
    /// The weights the first epoch starts from.
    let weights: NBPWeights
    /// All eight matrices, when the checkpoint kept them apart.
    let copies: NBPChipMatrices?
    /// The checkpoint a resumed run continues from (observers restore their state from it).
    let checkpoint: TrainingState?
    let firstEpoch: Int
    /// Records of the epochs before `firstEpoch`.
    let history: [NBPEpochRecord]
    let backend: NBPBackend

    init(_ options: NBPTrainOptions, log: @escaping (String) -> Void) throws {
        self.options = options
        self.log = log
        dataset = try NBPDatasets.name(options.dataset)
        try NBPRunSetup.validate(options)
        let preprocessing = NBPPreprocessing.standard(for: dataset, threshold: options.threshold)
        train = try NBPDatasets.load(
            dataset, split: .train, dataDirectory: options.dataDirectory, preprocessing: preprocessing,
            limit: options.limit)
        test = try NBPDatasets.load(
            dataset, split: .test, dataDirectory: options.dataDirectory, preprocessing: preprocessing,
            limit: options.limit)
        if let notice = train.raw.notice { log(notice) }
        let initial = try NBPRunSetup.initialWeights(options, inputs: train.set.inputCount)
        try train.set.validate(for: initial.sizes)
        try test.set.validate(for: initial.sizes)
        let config = NBPRunSetup.config(options, dataset: dataset, train: train, test: test, sizes: initial.sizes)
        guard options.resume else {
            directory = try RunDirectory.create(at: options.out, config: config)
            weights = initial
            copies = nil
            checkpoint = nil
            firstEpoch = 1
            history = []
            backend = NBPBackend.resolve(
                engine: options.engine, variant: options.variant, schedule: options.schedule, resumedCopies: false)
            return
        }
        let (opened, state) = try RunDirectory.resume(at: options.out, config: config, allowingChanges: ["epochs"])
        directory = opened
        checkpoint = state
        if let state {
            let restored = try NBPWeightsFile.weights(from: state.arrays)
            if restored.sizes != initial.sizes {
                throw NBPError.checkpointSizeMismatch(checkpoint: restored.sizes, expected: initial.sizes)
            }
            weights = restored
            copies = try NBPWeightsFile.copies(from: state.arrays, weights: restored)
            firstEpoch = state.epoch + 1
            history = try opened.readMetrics().compactMap { try? NBPEpochRecord(record: $0) }
            log("resuming \(options.out) after epoch \(state.epoch)")
        } else {
            weights = initial
            copies = nil
            firstEpoch = 1
            history = []
        }
        backend = NBPBackend.resolve(
            engine: options.engine, variant: options.variant, schedule: options.schedule,
            resumedCopies: copies != nil)
    }

    /// The epochs this run trains (empty when the checkpoint is already at `epochs`).
    var epochs: ClosedRange<Int>? { firstEpoch <= options.epochs ? firstEpoch...options.epochs : nil }

    /// Combinations no engine runs, refused before any data loads.
    static func validate(_ options: NBPTrainOptions) throws {
        if options.variant == .reference && options.engine == .chip {
            throw NBPError.chipMismatch(
                "the chip engine runs the chip variant only; use --engine fast with --variant reference")
        }
        if options.variant == .reference && options.schedule.vetoesReplay && !options.schedule.isConstant {
            throw NBPError.chipMismatch(
                "the input replay gate is part of the chip circuit; use --variant chip, or --learning-gate synapse or sample with --variant reference"
            )
        }
        try options.validate()
        // The circuit checks it again when it is built.
        try NBPCircuit.validate(margin: options.margin)
    }

    /// Imported weights, or the paper's initialisation from the seed.
    static func initialWeights(_ options: NBPTrainOptions, inputs: Int) throws -> NBPWeights {
        if let path = options.initWeights {
            let imported = try NBPWeightsFile.read(path)
            try options.checkImportedSizes(imported.sizes, from: path)
            return imported
        }
        var sizes = NBPSizes(input: inputs, hidden: options.hidden ?? 400, output: 10)
        if let layers = options.layerSizes?.single {
            if layers.input != inputs {
                throw NBPError.imageSizeMismatch(dataset: options.dataset, pixels: inputs, circuitInput: layers.input)
            }
            if let hidden = options.hidden, hidden != layers.hidden {
                throw NBPError.invalidOption(
                    "--hidden \(hidden) and --sizes \(layers) disagree: give one of them (--hidden N is --sizes input,N,10)")
            }
            sizes = layers
        }
        var generator = SeededGenerator(seed: options.seed)
        return try NBPWeights.heNormal(sizes: sizes, scale: options.initScale, using: &generator)
    }

    /// The run's config.json: what a resume must match.
    static func config(
        _ options: NBPTrainOptions, dataset: DatasetName, train: NBPDatasets.Loaded, test: NBPDatasets.Loaded,
        sizes: NBPSizes, sizesText: String? = nil
    ) -> RunConfig {
        RunConfig(
            command: "nbp train", seed: options.seed,
            datasets: [
                DatasetRecord(name: dataset.rawValue, split: "train", count: train.set.count, sha256: train.raw.sha256),
                DatasetRecord(name: dataset.rawValue, split: "test", count: test.set.count, sha256: test.raw.sha256),
            ],
            parameters: [
                "engine": .string(options.engine.rawValue), "variant": .string(options.variant.rawValue),
                "epochs": .int(options.epochs), "sizes": .string(sizesText ?? sizes.description),
                "threshold": .int(options.threshold), "schedule": .string(options.schedule.description),
                "init_scale": .double(options.initScale), "margin": .int(options.margin),
                "compare_fast": .bool(options.compareFast),
            ])
    }

    /// The engine of this run's backend, from the starting weights (or the copies).
    func makeEngine() throws -> NBPEngine {
        try backend.makeEngine(
            weights: weights, copies: copies, variant: options.variant, margin: options.margin, seed: options.seed,
            schedule: options.schedule, threads: options.threads)
    }
}
