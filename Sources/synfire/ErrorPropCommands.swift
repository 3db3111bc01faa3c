import ArgumentParser
import ErrorPropSNN
import Foundation
import SynfireIO

/// `synfire errorprop ...`: the error-propagation SNN (Cartiglia, Haessig, Indiveri 2021),
/// reconstructed as EP-SNN-R (docs/errorprop.md).
struct ErrorPropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errorprop",
        abstract:
            "Error-propagation SNN: spiking error neurons and local learning of spike timing.",
        subcommands: [
            ErrorPropTrainCommand.self, ErrorPropEvalCommand.self, ErrorPropCompareCommand.self,
        ]
    )
}

/// Options shared by `train` and `bench errorprop` that choose the experiment.
struct ErrorPropExperimentOptions: ParsableArguments {
    @Option(help: "Master seed of every random stream (20210412: the seed of docs/errorprop.md \"Results\").")
    var seed: UInt64 = ErrorPropRandom.defaultMasterSeed

    @Flag(
        help:
            "Readout learning only (η_h = 0, docs/errorprop.md \"Architecture and learning rule\") instead of hidden learning."
    )
    var readoutOnly = false

    @Option(
        help: "Input wiring: sparse (default) or dense (the ablation of docs/errorprop.md \"Results\").",
        transform: InputWiring.parser(for: "--wiring"))
    var wiring: InputWiring = .sparse

    @Option(help: "Number of epochs (default 30; 12 with --quick).") var epochs: Int?
    @Option(help: "Output learning rate η_o (overrides the preset).") var etaOut: Double?
    @Option(help: "Hidden learning rate η_h (overrides the preset; 0 = readout only).")
    var etaHidden: Double?
    @Option(help: "Learning-rate half-life in epochs, 0 = constant (overrides the preset).")
    var halfLife: Double?
    @Option(help: "Teacher rate of the correct class in Hz (default 40).") var teacherRate: Double?
    @Option(help: "Teacher rate of the wrong class in Hz (default 0).") var wrongTeacherRate: Double?
    @Option(help: "Hidden gate: voltage (default) or postTrace.", transform: HiddenGate.parser(for: "--gate"))
    var gate: HiddenGate?
    @Option(
        help: "Feedback pathway: mirrored (default) or random.", transform: FeedbackPathway.parser(for: "--feedback"))
    var feedback: FeedbackPathway?
    @Option(help: "Feedback scale κ_fb of the error pathway (overrides the preset).")
    var feedbackScale: Double?
    @Option(help: "Amplitude of the output mutual inhibition in pA (default 500).")
    var lateralAmplitude: Double?
    @Option(help: "Time constant of the hidden units' presynaptic traces in ms (default 10).")
    var hiddenTraceMs: Double?
    @Flag(help: "Turn device mismatch on (CV 10 %).") var mismatch = false
    @Flag(help: "Turn the output mutual inhibition off.") var noLateralInhibition = false
    @Flag(help: "Apply weight changes at the end of each presentation instead of online.")
    var perPresentation = false
    @Flag(help: "Skip the training-set evaluation after each epoch.") var noTrainEval = false

    func configuration(quick: Bool) throws -> ErrorPropConfiguration {
        var c =
            readoutOnly
            ? ErrorPropPreset.readoutOnly(wiring: wiring, seed: seed)
            : ErrorPropPreset.hiddenLearning(wiring: wiring, seed: seed)
        if quick { c = ErrorPropPreset.quick(c) }
        if let epochs { c.training.epochs = epochs }
        if let etaOut { c.training.outputRate = etaOut }
        if let etaHidden { c.training.hiddenRate = etaHidden }
        if let halfLife { c.training.learningRateHalfLife = halfLife }
        if let teacherRate { c.training.teacherRate = teacherRate }
        if let wrongTeacherRate { c.training.wrongTeacherRate = wrongTeacherRate }
        if let gate { c.network.gate = gate }
        if let feedback { c.network.feedback = feedback }
        if let feedbackScale { c.network.feedbackScale = feedbackScale }
        if let lateralAmplitude { c.network.lateralPort.amplitude = lateralAmplitude * 1e-12 }
        if let hiddenTraceMs { c.network.hiddenTraceTimeConstant = hiddenTraceMs * 1e-3 }
        if mismatch { c.network.mismatch = true }
        if noLateralInhibition { c.network.lateralInhibition = false }
        if perPresentation { c.training.update = .perPresentation }
        if noTrainEval { c.training.evaluateTrainSet = false }
        try c.validate()
        return c
    }
}

func describe(_ r: EpochRecord) -> String {
    String(
        format: "epoch %2d  test %5.1f%%  train %@  O(A) %4.1f/%4.1f Hz  O(B) %4.1f/%4.1f Hz  "
            + "E_o %4.1f/%4.1f Hz  E_h %4.1f/%4.1f Hz  ties %4.1f%%  hidden-sep %5.1f%%",
        r.epoch, 100 * r.testAccuracy,
        r.trainAccuracy.map { String(format: "%5.1f%%", 100 * $0) } ?? "   - ",
        r.meanOutputRates[0][0], r.meanOutputRates[0][1], r.meanOutputRates[1][0],
        r.meanOutputRates[1][1],
        r.meanErrorRates[0], r.meanErrorRates[1], r.meanErrorRates[2], r.meanErrorRates[3],
        100 * r.testTieFraction, 100 * r.hiddenCentroidAccuracy)
}

struct ErrorPropTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train on the equal-rate timing task and report held-out accuracy.",
        discussion: """
            Default: hidden learning on (propagated error, decaying learning rate), sparse \
            input wiring, 30 epochs. --readout-only gives the baseline of docs/errorprop.md "Results". Writes \
            config.json, metrics.jsonl, weights.npz, weights-initial.npz, rasters.npz, \
            summary.json and plots/ into --out.
            """)

    @OptionGroup var experiment: ErrorPropExperimentOptions
    @Flag(help: "Short run (12 epochs, no training-set evaluation).") var quick = false
    @OptionGroup var output: NewRunDirectoryOption
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let c = try experiment.configuration(quick: quick)
        let run = try ErrorPropRun.create(at: output.out, configuration: c)
        let start = Date()
        let data = try TaskDataset(parameters: c.task, masterSeed: c.masterSeed)
        var writeError: Error?
        let result = try train(configuration: c, dataset: data) { record in
            logLine(describe(record))
            do { try run.appendMetrics(record) } catch { writeError = writeError ?? error }
        }
        if let writeError { throw writeError }
        let wall = Date().timeIntervalSince(start)
        try ErrorPropRun.writeArtifacts(result: result, data: data, run: run, wallSeconds: wall)
        logLine(
            String(
                format: "trained %d epochs in %.1f s; run written to %@", result.epochsRun, wall,
                output.out))
        let summary: [String: JSONValue] = [
            "test_accuracy": .number(result.finalTestAccuracy),
            "count_only_accuracy": .number(result.countOnlyAccuracy),
            "population_timing_accuracy": .number(result.populationTimingAccuracy),
            "epochs": .integer(result.epochsRun),
            "hidden_learning": .bool(c.training.hiddenRate > 0),
            "wiring": .string(c.network.inputWiring.rawValue),
            "seed": .integer(Int(c.masterSeed)),
            "best_test_accuracy": .number(result.history.map(\.testAccuracy).max() ?? 0),
            "wall_seconds": .number(wall),
            "run_dir": .string(output.out),
        ]
        if json.enabled {
            try printJSONResult(summary)
        } else {
            print(
                String(
                    format:
                        "test accuracy %.1f%% after %d epochs (count-only control %.1f%%), hidden learning %@",
                    100 * result.finalTestAccuracy, result.epochsRun,
                    100 * result.countOnlyAccuracy,
                    c.training.hiddenRate > 0 ? "on" : "off"))
        }
    }
}

struct ErrorPropEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a trained run on its held-out jittered test set (or a fresh seed's).")

    @Option(help: "Run directory written by `synfire errorprop train`.") var run: String
    @Option(help: "Evaluate on the test set of another task seed (the network keeps its own).")
    var taskSeed: UInt64?
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let (c, network) = try ErrorPropRun.load(at: run)
        let seed = taskSeed ?? c.masterSeed
        let data = try TaskDataset(parameters: c.task, masterSeed: seed)
        let result = evaluate(network: network, samples: data.test, steps: c.task.presentationSteps)
        let countOnly = RateControl.countOnlyAccuracy(data)
        if json.enabled {
            try printJSONResult([
                "test_accuracy": JSONValue.number(result.accuracy),
                "count_only_accuracy": .number(countOnly),
                "tie_fraction": .number(result.tieFraction),
                "samples": .integer(data.test.count),
                "hidden_learning": .bool(c.training.hiddenRate > 0),
                "task_seed": .integer(Int(seed)),
            ])
        } else {
            print(
                String(
                    format:
                        "test accuracy %.1f%% on %d held-out samples (count-only control %.1f%%, ties %.1f%%)",
                    100 * result.accuracy, data.test.count, 100 * countOnly,
                    100 * result.tieFraction))
        }
    }
}

/// CPU time of this process (user + system): on a shared machine the wall time also
/// counts time spent waiting for a core.
func processCPUSeconds() -> Double {
    Double(clock()) / Double(CLOCKS_PER_SEC)
}

/// `synfire bench errorprop`: simulated seconds per wall second for the default 30-epoch
/// run (readout learning, test- and training-set evaluation after every epoch), and for
/// hidden learning, where every neuron is simulated.
struct BenchErrorPropCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errorprop",
        abstract: "Throughput of the error-propagation SNN (simulated seconds per wall second).")

    @Option(help: "Epochs of the readout-learning run (the model's defaults).") var epochs: Int = 30
    @Option(help: "Epochs of the hidden-learning measurement (0 skips it).") var hiddenEpochs: Int =
        3
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        var spec = ErrorPropPreset.readoutOnly()
        spec.training.epochs = epochs
        let t0 = Date()
        let c0 = processCPUSeconds()
        let a = try train(configuration: spec)
        let wallSpec = Date().timeIntervalSince(t0)
        let cpuSpec = processCPUSeconds() - c0
        let simSpec =
            Double(a.presentations) * Double(spec.task.presentationSteps) * spec.network.dt
        var fields: [String: JSONValue] = [
            "spec_run_epochs": .integer(epochs),
            "spec_run_wall_seconds": .number(wallSpec),
            "spec_run_cpu_seconds": .number(cpuSpec),
            "spec_run_simulated_seconds": .number(simSpec),
            "spec_run_simulated_seconds_per_wall_second": .number(simSpec / wallSpec),
            "spec_run_test_accuracy": .number(a.finalTestAccuracy),
            "threads": .integer(1),
        ]
        #if DEBUG
            fields["build"] = .string("debug")
        #else
            fields["build"] = .string("release")
        #endif
        logLine(
            String(
                format: "readout-learning run: %d epochs in %.2f s wall, %.0f simulated s/wall s", epochs,
                wallSpec, simSpec / wallSpec))
        if hiddenEpochs > 0 {
            var hidden = ErrorPropPreset.hiddenLearning()
            hidden.training.epochs = hiddenEpochs
            let t1 = Date()
            let c1 = processCPUSeconds()
            let b = try train(configuration: hidden)
            let wall = Date().timeIntervalSince(t1)
            fields["hidden_learning_cpu_seconds"] = .number(processCPUSeconds() - c1)
            let sim =
                Double(b.presentations) * Double(hidden.task.presentationSteps) * hidden.network.dt
            fields["hidden_learning_epochs"] = .integer(hiddenEpochs)
            fields["hidden_learning_wall_seconds"] = .number(wall)
            fields["hidden_learning_simulated_seconds_per_wall_second"] = .number(sim / wall)
            logLine(
                String(
                    format: "hidden learning: %d epochs in %.2f s wall, %.0f simulated s/wall s",
                    hiddenEpochs, wall, sim / wall))
        }
        fields["simulated_seconds_per_wall_second"] =
            fields["spec_run_simulated_seconds_per_wall_second"]
        if json.enabled { try printJSONResult(fields) }
    }
}

struct ErrorPropCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Plot the test-accuracy curves of several runs in one figure (PNG, SVG and PDF).")

    @Option(name: .customLong("run"), help: "NAME=RUN_DIR; repeat for each curve.") var runs: [String]
    @OptionGroup var output: PlotOutputOption
    @Option(help: "Figure title.") var title: String =
        "Error-propagation SNN: held-out accuracy per epoch"

    func run() async throws {
        let pairs = try runs.map { entry -> (name: String, path: String) in
            guard let eq = entry.firstIndex(of: "=") else {
                throw ValidationError("--run takes NAME=RUN_DIR, got '\(entry)'")
            }
            return (String(entry[..<eq]), String(entry[entry.index(after: eq)...]))
        }
        let plot = try ErrorPropRun.comparisonPlot(runs: pairs, title: title)
        for file in try plot.write(to: output.out) { logLine("wrote \(file)") }
    }
}
