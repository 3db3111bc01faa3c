import ArgumentParser
import Foundation
import STESNN

/// `synfire ste ...`: discrete-time SNNs trained with a straight-through estimator
/// (Yin et al. 2017; docs/ste.md).
struct STECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ste",
        abstract: "Train and evaluate STE spiking networks (Yin et al. 2017) in DI or CI mode.",
        subcommands: [STETrainCommand.self, STEEvalCommand.self]
    )
}

struct STETrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an MLP or CNN with binary IF activations, then run the spiking test.",
        discussion: """
            DI (--mode di) trains on one Bernoulli frame per image and tests with T frames, \
            averaging --runs stochastic runs. CI (--mode ci) trains the 1156-1024-1024-11 MLP \
            with BPTT on synthetic saccade events generated from MNIST (docs/ste.md, \"CI mode\"). The run \
            directory gets config.json, metrics.jsonl, weights.npz, result.json, plots and a TensorBoard log (tb/).
            """)

    @Option(help: "Architecture: mlp, mlp-256 or cnn.", transform: NetworkArchitecture.parser(for: "--arch"))
    var arch: NetworkArchitecture
    @Option(help: "Integration mode: di or ci.", transform: IntegrationMode.parser(for: "--mode"))
    var mode: IntegrationMode
    @Option(help: "Time steps T for the spiking test (DI) / sequence length (CI).") var timesteps: Int
    @Option(help: "Use only the first N training (and validation/test) images.") var limit: Int?
    @Option(help: "Training epochs (the paper trains 400 MLP, 200 CNN, 100 CI; docs/ste.md).") var epochs: Int
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @OptionGroup var output: NewRunDirectoryOption
    @Option(help: "Stochastic test runs to average (DI; the paper averages 20).") var runs: Int = 20
    @Option(help: "Mini-batch size.") var batchSize: Int = 100
    @Option(help: "Data directory (default $SYNFIRE_DATA or ./data).") var data: String?
    @Flag(help: "CI: two-channel (ON/OFF) event frames.") var twoChannel = false
    @Flag(help: "Train on y−1 with output threshold 1 (docs/ste.md, \"Choices\").") var shiftedHinge = false
    @Option(help: "BLAS threads.") var threads: Int = 2
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        do {
            setBLASThreads(threads)
            let options = try STETrainingOptions(
                architecture: arch, mode: mode,
                timeSteps: timesteps, epochs: epochs, batchSize: batchSize, seed: seed, limit: limit,
                evaluationRuns: runs, twoChannelEvents: twoChannel, shiftedHinge: shiftedHinge)
            let (splits, notice, records) = try STEPipeline.loadSplits(dataDirectory: data, limit: limit)
            if let notice { logLine(notice) }
            let directory = try STERunDirectory.create(at: output.out, options: options, datasets: records)
            let summary = try STEPipeline.train(
                options: options, splits: splits, datasetNotice: notice, runDirectory: directory, log: logLine)
            logLine(
                String(
                    format: "ste: test accuracy %.4f at T=%d; run directory %@", summary.testAccuracy, timesteps, output.out))
            if json.enabled { try printJSONResult(summaryJSON(summary, runDirectory: output.out)) }
        } catch let error as STEError {
            throw ValidationError(error.description)
        }
    }
}

struct STEEvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Spiking evaluation of a trained run directory (accuracy vs T, energy per image).")

    @Option(help: "Run directory written by `synfire ste train`.") var run: String
    @Option(help: "Time steps T (default: the run's).") var timesteps: Int?
    @Option(help: "Stochastic test runs (DI; default: the run's).") var runs: Int?
    @Option(help: "Evaluate on the first N test images only.") var limit: Int?
    @Option(help: "Fixed-point inference with this total bit width (docs/ste.md, \"Neuron model\").") var bits: Int?
    @Option(help: "Data directory (default $SYNFIRE_DATA or ./data).") var data: String?
    @Option(help: "BLAS threads.") var threads: Int = 2
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        do {
            setBLASThreads(threads)
            var (directory, options) = try STERunDirectory.open(at: run)
            if let timesteps { options.timeSteps = timesteps }
            if let runs { options.evaluationRuns = runs }
            try options.validate()
            let network = try ModelArchive.load(spec: try options.networkSpec(), from: directory.file("weights.npz"))
            if let bits {
                let format = try FixedPointFormat(totalBits: bits, parameters: network.parameters)
                network.parameters = format.quantised(network.parameters)
                logLine("ste: fixed-point inference, \(bits) bits, \(format.fractionalBits) fractional")
            }
            let (splits, notice, _) = try STEPipeline.loadSplits(dataDirectory: self.data, limit: nil)
            if let notice { logLine(notice) }
            let test = splits.test.prefix(limit ?? splits.test.count)
            var summary = try STEPipeline.evaluate(
                network: network, options: options, test: test, runDirectory: nil, log: logLine)
            summary.datasetNotice = notice
            if json.enabled { try printJSONResult(summaryJSON(summary, runDirectory: run)) }
        } catch let error as STEError {
            throw ValidationError(error.description)
        }
    }
}

func summaryJSON(_ s: STERunSummary, runDirectory: String) -> JSONValue {
    var object: [String: JSONValue] = [
        "architecture": .string(s.architecture), "mode": .string(s.mode), "network": .string(s.network),
        "parameters": .integer(s.parameters), "epochs": .integer(s.epochs), "best_epoch": .integer(s.bestEpoch),
        "seed": .integer(Int(truncatingIfNeeded: s.seed)), "timesteps": .integer(s.timeSteps),
        "train_images": .integer(s.trainImages), "test_images": .integer(s.testImages),
        "test_accuracy": .number(s.testAccuracy), "train_accuracy": .number(s.trainAccuracy),
        "evaluation_runs": .integer(s.evaluationRuns), "run_dir": .string(runDirectory),
        "train_seconds": .number(s.trainSeconds), "train_samples_per_s": .number(s.trainSamplesPerSecond),
        "accuracy_by_timesteps": .object(
            Dictionary(
                uniqueKeysWithValues: s.accuracyByTimeSteps.map { ("\($0.timeSteps)", .number($0.meanAccuracy)) })),
    ]
    if let notice = s.datasetNotice { object["dataset_notice"] = .string(notice) }
    if let ci = s.ci {
        object["ci"] = .object([
            "digit_accuracy": .number(ci.digitAccuracy),
            "digit_accuracy_all_outputs": .number(ci.digitAccuracyAllOutputs),
            "direction_accuracy": .number(ci.directionAccuracy),
            "readout_digit_accuracy": .number(ci.readoutDigitAccuracy),
            "readout_direction_accuracy": .number(ci.readoutDirectionAccuracy),
        ])
    }
    if let e = s.energy {
        object["energy"] = .object([
            "nj_per_accumulation": .number(e.nanojoulesPerAccumulation),
            "accumulations_per_step": .number(e.accumulationsPerStep),
            "input_spikes_per_step": .number(e.inputSpikesPerStep),
            "hidden_firing_rates": .array(e.hiddenFiringRates.map { .number($0) }),
            "ratio_to_paper_at_16": .number(e.ratioToPaperAt16),
            "paper_nj_per_image": .object([
                "1": .number(EnergyReport.paperLowNanojoules), "16": .number(EnergyReport.paperHighNanojoules),
            ]),
            "model_nj_per_image": .object(
                Dictionary(uniqueKeysWithValues: e.rows.map { ("\($0.timeSteps)", .number($0.modelNanojoules)) })),
        ])
    }
    return .object(object)
}

/// `synfire bench ste`: MLP-1024 DI training throughput, the equivalent numpy script
/// (bench/ste_numpy.py) measured in the same run, and the machine's GEMM peak.
struct STEBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ste",
        abstract: "STE SNN training throughput (MLP-1024, DI) against an equivalent numpy implementation.")

    @Flag(help: "Fewer batches (for CI smoke runs).") var quick = false
    @Option(help: "Timed batches of 100 samples (default 60, quick 10).") var batches: Int?
    @Option(help: "Numpy script (default: bench/ste_numpy.py, here or above the synfire binary).")
    var numpyScript: String?
    @Option(help: "BLAS threads.") var threads: Int = 2
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        setBLASThreads(threads)
        let count = batches ?? (quick ? 10 : 60)
        let peak = measureGEMMPeak(size: 1024, repetitions: quick ? 2 : 5)
        let swift: STEBenchmarkResult
        do {
            swift = try STEBenchmark.runTraining(batches: count, warmup: quick ? 1 : 3)
        } catch let error as STEError {
            throw ValidationError(error.description)
        }
        logLine(
            String(
                format: "ste bench: synfire %.0f samples/s (%.1f GFLOP/s; GEMM peak %.1f GFLOP/s)",
                swift.trainSamplesPerSecond, swift.gflops, peak))
        var object: [String: JSONValue] = [
            "benchmark": .string("ste"), "network": .string("MLP-1024 DI"), "batch_size": .integer(swift.batchSize),
            "batches": .integer(swift.batches), "train_samples_per_s": .number(swift.trainSamplesPerSecond),
            "gflops": .number(swift.gflops), "flops_per_sample": .number(swift.flopsPerSample),
            "blas_peak_gflops": .number(peak), "fraction_of_blas_peak": .number(swift.gflops / peak),
            "threads": .integer(threads),
        ]
        let script = numpyScript ?? Self.defaultScript
        if let numpy = Self.runNumpy(script: script, batches: count, quick: quick, threads: threads) {
            object["numpy_train_samples_per_s"] = .number(numpy)
            object["speedup_vs_numpy"] = .number(swift.trainSamplesPerSecond / numpy)
            logLine(
                String(
                    format: "ste bench: numpy %.0f samples/s, speed-up %.2fx", numpy,
                    swift.trainSamplesPerSecond / numpy))
        } else {
            object["numpy_train_samples_per_s"] = .null
            object["speedup_vs_numpy"] = .null
            logLine("ste bench: numpy comparison skipped (python3 with numpy not found, or \(script) failed)")
        }
        if json.enabled { try printJSONResult(JSONValue.object(object)) }
    }

    /// The checkout's bench/ste_numpy.py (current directory, then above the binary).
    static var defaultScript: String {
        RepositoryFiles.locate("bench/ste_numpy.py") ?? "bench/ste_numpy.py"
    }

    static func runNumpy(script: String, batches: Int, quick: Bool, threads: Int) -> Double? {
        guard FileManager.default.fileExists(atPath: script) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--batches", "\(batches)", "--warmup", quick ? "1" : "3"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "\(threads)"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let rate = object["train_samples_per_s"] as? Double
        else { return nil }
        return rate
    }
}
