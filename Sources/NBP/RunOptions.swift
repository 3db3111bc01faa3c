import SynfireData

/// Which engine `synfire nbp train --engine` asks for; `NBPBackend.resolve` turns it,
/// with the variant and the schedule, into the engine that runs.
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
    /// Hidden units; nil = 400, or the size of `initWeights` when given.
    public var hidden: Int?
    /// `--sizes`: every layer (input, hidden..., output). One hidden layer is the same run
    /// as `--hidden`; more run `NBPDeepRunner`. nil: input from the dataset, `hidden`, 10.
    public var layerSizes: NBPLayerSizes?
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

/// Paper figures the learning curve is drawn against (docs/nbp.md, "Results").
public enum NBPPaperTarget {
    public static func exact(for name: DatasetName) -> (value: Double, label: String) {
        name == .mnist ? (0.957, "paper 95.7% (journal)") : (0.79, "paper 79% (40 epochs)")
    }
}
