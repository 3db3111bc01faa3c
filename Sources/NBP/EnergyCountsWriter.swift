import EnergyModel
import Foundation
import SynfireIO

/// The run's energy counts (docs/energy.md): attaches counting to the engine (always on the
/// chip; with `--energy-counts` on the fast path where its count model covers the run),
/// stores the counts so far in every checkpoint and adds them to a resumed run's, and at
/// the end writes `energy_counts.json` and `energy_counts_inference.json` for the whole run
/// and logs what it would cost (EnergyModel's default table, nBP's published figures).
final class NBPEnergyCountsWriter: NBPRunObserver {
    /// Checkpoint entries (JSON documents as bytes).
    static let trainingEntry = "energy_counts_training"
    static let inferenceEntry = "energy_counts_inference"

    /// Counts of the epochs before a resume.
    private var earlier: (training: EnergyCounts?, inference: EnergyCounts?) = (nil, nil)
    private var counting = false

    func runWillStart(_ setup: NBPRunSetup, engine: NBPEngine) throws {
        if let checkpoint = setup.checkpoint {
            earlier = (
                try NBPEnergyCountsWriter.read(checkpoint, entry: NBPEnergyCountsWriter.trainingEntry),
                try NBPEnergyCountsWriter.read(checkpoint, entry: NBPEnergyCountsWriter.inferenceEntry)
            )
        }
        let options = setup.options
        guard engine is NBPChipEngine || options.energyCounts else { return }
        if !(engine is NBPChipEngine), let reason = NBPEnergyCountsWriter.unsupported(options) {
            setup.log("no energy counts: " + reason)
            return
        }
        do {
            try engine.recordEnergyCounts()
            counting = true
        } catch {
            setup.log("no energy counts: \(error)")
            return
        }
        if let scheduled = engine as? NBPScheduledEngine {
            scheduled.willTrackCopies = { epoch in
                setup.log(
                    "energy counts cover epochs 1-\(epoch - 1) only: the stochastic engine (p < 1) does not count")
            }
        }
        if let checkpoint = setup.checkpoint, earlier.training == nil {
            setup.log(
                "energy counts cover epochs \(checkpoint.epoch + 1)-\(options.epochs) only: the checkpoint holds no counts of the earlier epochs"
            )
        }
    }

    /// Why the fast path's count model does not cover a run, or nil when it does.
    static func unsupported(_ options: NBPTrainOptions) -> String? {
        if options.variant != .chip {
            return "the reference variant is not the chip circuit (use --variant chip)"
        }
        if options.schedule.gate == .sample {
            return
                "the per-sample learning gate adds in_skip spikes the fast path does not count (run --engine chip for counts)"
        }
        if options.schedule.vetoesReplay {
            return "the replay gates add veto spikes the fast path does not count (run --engine chip for counts)"
        }
        return nil
    }

    /// The whole run's counts so far: the checkpoint's followed by this process's.
    func counts(_ engine: NBPEngine) throws -> (training: EnergyCounts?, inference: EnergyCounts?) {
        let current: (training: EnergyCounts?, inference: EnergyCounts?) = counting ? engine.energyCounts : (nil, nil)
        return (
            try NBPEnergyCountsWriter.join(earlier.training, current.training),
            try NBPEnergyCountsWriter.join(earlier.inference, current.inference)
        )
    }

    static func join(_ first: EnergyCounts?, _ second: EnergyCounts?) throws -> EnergyCounts? {
        guard let first else { return second }
        guard let second else { return first }
        return try first.appending(second)
    }

    func epochDidEnd(_ record: NBPEpochRecord, setup: NBPRunSetup, engine: NBPEngine, checkpoint: inout TrainingState)
        throws
    {
        let (training, inference) = try counts(engine)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let training {
            checkpoint.arrays[NBPEnergyCountsWriter.trainingEntry] = .vector(
                .uint8(Array(try encoder.encode(training))))
        }
        if let inference {
            checkpoint.arrays[NBPEnergyCountsWriter.inferenceEntry] = .vector(
                .uint8(Array(try encoder.encode(inference))))
        }
    }

    /// A checkpoint's counts document, validated; nil when it holds none.
    static func read(_ checkpoint: TrainingState, entry: String) throws -> EnergyCounts? {
        guard let array = checkpoint.arrays[entry] else { return nil }
        let origin = "checkpoint entry \(entry)"
        guard let bytes = array.uint8Values,
            let counts = try? JSONDecoder().decode(EnergyCounts.self, from: Data(bytes))
        else {
            throw NBPError.malformedFile(path: origin, reason: "it is not an energy counts document")
        }
        let problems = counts.validationProblems()
        if !problems.isEmpty { throw EnergyCountsError.invalid(origin: origin, problems: problems) }
        return counts
    }

    func runDidEnd(_ setup: NBPRunSetup, engine: NBPEngine, history: [NBPEpochRecord], summary: inout NBPRunSummary)
        throws
    {
        let counts = try counts(engine)
        guard counts.training != nil || counts.inference != nil else { return }
        try NBPEnergyCountsFiles.write(counts, to: setup.directory.path)
        if let recorder = (engine as? NBPFastEngine)?.energyRecorder, recorder.unresolvedInputs > 0 {
            setup.log("energy counts: \(recorder.unresolvedInputs) input sums were not derivable and taken as zero")
        }
        let report = EnergyReport(
            counts: try EnergyCounts.load(runDirectory: setup.directory.path), table: .davies2018,
            reference: NBPEnergyReference())
        setup.log(report.summaryLine + " — details: synfire energy report \(setup.directory.path)")
    }
}
