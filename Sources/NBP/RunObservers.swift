import EnergyModel
import Foundation
import SynfireArrays
import SynfireIO

/// One training sample as the run loop hands it to the observers.
public struct NBPTrainedSample {
    public var epoch: Int
    /// Position in the epoch's order, and the sample's index in the training set.
    public var position: Int
    public var index: Int
    public var sample: NBPSample
    public var gates: NBPSampleGates
    public var outcome: NBPSampleOutcome
}

/// What the observers report at the end of a run.
struct NBPRunSummary {
    var weightMismatches: Int?
    var gateViolations: Int?
    var plots: [String] = []
}

/// Watches a training run from outside the engine (the shape of Lava's Monitor): the
/// comparison with the fast path, energy counts, gate violations, plots and checkpoints
/// each attach as one, and the run loop does not know what they do.
protocol NBPRunObserver: AnyObject {
    /// True when it must see every training sample (the others are not called per sample).
    var watchesSamples: Bool { get }
    /// Before the first epoch: attach probes to the engine, restore state from the checkpoint.
    func runWillStart(_ setup: NBPRunSetup, engine: NBPEngine) throws
    func epochWillStart(_ epoch: Int, schedule: NBPLearningSchedule)
    func sampleDidTrain(_ trained: NBPTrainedSample, engine: NBPEngine) throws
    /// After an epoch's test pass; `checkpoint` collects what a resume needs, in observer order.
    func epochDidEnd(_ record: NBPEpochRecord, setup: NBPRunSetup, engine: NBPEngine, checkpoint: inout TrainingState)
        throws
    func runDidEnd(_ setup: NBPRunSetup, engine: NBPEngine, history: [NBPEpochRecord], summary: inout NBPRunSummary)
        throws
}

extension NBPRunObserver {
    var watchesSamples: Bool { false }
    func runWillStart(_ setup: NBPRunSetup, engine: NBPEngine) throws {}
    func epochWillStart(_ epoch: Int, schedule: NBPLearningSchedule) {}
    func sampleDidTrain(_ trained: NBPTrainedSample, engine: NBPEngine) throws {}
    func epochDidEnd(_ record: NBPEpochRecord, setup: NBPRunSetup, engine: NBPEngine, checkpoint: inout TrainingState)
        throws
    {}
    func runDidEnd(_ setup: NBPRunSetup, engine: NBPEngine, history: [NBPEpochRecord], summary: inout NBPRunSummary)
        throws
    {}
}

/// The observers of one run, called in order (the checkpoint writer last).
struct NBPRunObservers {
    let all: [NBPRunObserver]
    let samples: [NBPRunObserver]

    init(_ all: [NBPRunObserver]) {
        self.all = all
        samples = all.filter(\.watchesSamples)
    }

    /// What `synfire nbp train` attaches: --compare-fast, energy counts, gate violations
    /// (chip), plots and the checkpoint writer.
    static func standard(for setup: NBPRunSetup, engine: NBPEngine) throws -> NBPRunObservers {
        var list: [NBPRunObserver] = []
        if setup.options.compareFast, engine is NBPChipEngine {
            list.append(try NBPCompareFast(setup: setup))
        }
        list.append(NBPEnergyCountsWriter())
        if let chip = engine as? NBPChipEngine { list.append(NBPGateViolationReport(monitor: chip.gateMonitor)) }
        list.append(NBPPlotWriter())
        list.append(NBPCheckpointWriter())
        return NBPRunObservers(list)
    }

    var watchSamples: Bool { !samples.isEmpty }

    func runWillStart(_ setup: NBPRunSetup, engine: NBPEngine) throws {
        for observer in all { try observer.runWillStart(setup, engine: engine) }
    }

    func epochWillStart(_ epoch: Int, schedule: NBPLearningSchedule) {
        for observer in all { observer.epochWillStart(epoch, schedule: schedule) }
    }

    func sampleDidTrain(_ trained: NBPTrainedSample, engine: NBPEngine) throws {
        for observer in samples { try observer.sampleDidTrain(trained, engine: engine) }
    }

    func epochDidEnd(_ record: NBPEpochRecord, setup: NBPRunSetup, engine: NBPEngine) throws {
        var checkpoint = TrainingState(
            epoch: record.epoch, sampleIndex: 0, rngState: [setup.options.seed], arrays: NPZArchive())
        for observer in all {
            try observer.epochDidEnd(record, setup: setup, engine: engine, checkpoint: &checkpoint)
        }
    }

    func runDidEnd(_ setup: NBPRunSetup, engine: NBPEngine, history: [NBPEpochRecord]) throws -> NBPRunSummary {
        var summary = NBPRunSummary()
        for observer in all { try observer.runDidEnd(setup, engine: engine, history: history, summary: &summary) }
        return summary
    }
}

/// `--compare-fast`: trains the fast path beside the chip on the same samples and gates and
/// compares all eight matrices and the output spikes after every sample.
final class NBPCompareFast: NBPRunObserver {
    let shadow: NBPEngine
    private(set) var mismatches = 0
    let log: (String) -> Void

    init(setup: NBPRunSetup) throws {
        let options = setup.options
        let backend = NBPBackend.resolve(
            engine: .fast, variant: .chip, schedule: options.schedule, resumedCopies: setup.copies != nil)
        shadow = try backend.makeEngine(
            weights: setup.weights, copies: setup.copies, variant: .chip, margin: options.margin, seed: options.seed,
            schedule: options.schedule)
        log = setup.log
    }

    var watchesSamples: Bool { true }

    func epochWillStart(_ epoch: Int, schedule: NBPLearningSchedule) { shadow.beginEpoch(epoch, schedule: schedule) }

    func sampleDidTrain(_ trained: NBPTrainedSample, engine: NBPEngine) throws {
        let expected = shadow.train(trained.sample, gates: trained.gates)
        let differing = try engine.allMatrices().differences(from: try shadow.allMatrices())
        guard !differing.isEmpty || trained.outcome.outputBits != expected.outputBits else { return }
        if mismatches == 0 {
            log(
                "first mismatch: epoch \(trained.epoch), position \(trained.position) (sample \(trained.index)); matrices \(differing), output bits chip \(trained.outcome.outputBits) fast \(expected.outputBits)"
            )
        }
        mismatches += 1
    }

    func runDidEnd(_ setup: NBPRunSetup, engine: NBPEngine, history: [NBPEpochRecord], summary: inout NBPRunSummary) {
        summary.weightMismatches = mismatches
    }
}

/// Logs the chip's gate violations by population and phase at the end of a run.
final class NBPGateViolationReport: NBPRunObserver {
    let monitor: NBPGateMonitor

    init(monitor: NBPGateMonitor) { self.monitor = monitor }

    func runDidEnd(_ setup: NBPRunSetup, engine: NBPEngine, history: [NBPEpochRecord], summary: inout NBPRunSummary) {
        if monitor.violations > 0 { setup.log(monitor.summary) }
        summary.gateViolations = monitor.violations
    }
}

/// The run directory's figures (NBPPlots) at the end of a run; a failure is logged, not fatal.
final class NBPPlotWriter: NBPRunObserver {
    func runDidEnd(_ setup: NBPRunSetup, engine: NBPEngine, history: [NBPEpochRecord], summary: inout NBPRunSummary) {
        do {
            summary.plots = try NBPPlots.write(
                run: setup.directory, history: history, weights: engine.weights, dataset: setup.dataset,
                sample: setup.train.set)
        } catch {
            setup.log("plots not written: \(error)")
        }
    }
}

/// After every epoch: weights.npz, and checkpoint.npz with the weights, the separate copies
/// when the engine keeps them, and what the other observers added.
final class NBPCheckpointWriter: NBPRunObserver {
    func epochDidEnd(_ record: NBPEpochRecord, setup: NBPRunSetup, engine: NBPEngine, checkpoint: inout TrainingState)
        throws
    {
        let weights = engine.weights
        try setup.directory.writeWeights(try NBPWeightsFile.archive(weights))
        var arrays = try NBPWeightsFile.archive(weights, copies: try engine.separateCopies())
        for name in checkpoint.arrays.names { arrays[name] = checkpoint.arrays[name] }
        checkpoint.arrays = arrays
        try setup.directory.saveCheckpoint(checkpoint)
    }
}
