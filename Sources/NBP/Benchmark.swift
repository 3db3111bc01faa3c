import Foundation
import SynfireData

/// `synfire bench nbp`: fast-path epoch time, chip-engine time per training and inference
/// sample, and the numpy reference's epoch time side by side.
public struct NBPBenchmarkResult: Codable, Sendable {
    public var fastEpochSeconds: Double
    public var fastSamplesTimed: Int
    /// The same pass with the chip circuit's energy counts derived from its spikes (the
    /// default of `synfire nbp train --engine fast`).
    public var fastEnergyEpochSeconds: Double?
    public var chipTrainMsPerSample: Double
    public var chipInferMsPerSample: Double
    public var chipTrainSamples: Int
    public var chipInferSamples: Int
    public var numpyEpochSeconds: Double?
    public var numpySamplesTimed: Int?
    public var embeddedData: Bool

    enum CodingKeys: String, CodingKey {
        case fastEpochSeconds = "fast_epoch_s"
        case fastSamplesTimed = "fast_samples_timed"
        case fastEnergyEpochSeconds = "fast_energy_epoch_s"
        case chipTrainMsPerSample = "chip_train_ms_per_sample"
        case chipInferMsPerSample = "chip_infer_ms_per_sample"
        case chipTrainSamples = "chip_train_samples"
        case chipInferSamples = "chip_infer_samples"
        case numpyEpochSeconds = "numpy_epoch_s"
        case numpySamplesTimed = "numpy_samples_timed"
        case embeddedData = "embedded_data"
    }
}

public enum NBPBenchmark {
    /// CPU time of the calling thread: the machine is shared, and "1 core" is what the
    /// targets mean, so wall-clock time would count other processes' turns.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Times the engines on MNIST (400-400-10, paper initialisation, seed 43). `quick` times
    /// fewer samples; every figure is extrapolated per sample / per 60,000-sample epoch.
    public static func run(quick: Bool, dataDirectory: String?, numpyScript: String?, log: (String) -> Void) throws
        -> NBPBenchmarkResult
    {
        let preprocessing = NBPPreprocessing.standard(for: .mnist)
        let train = try NBPDatasets.load(
            .mnist, split: .train, dataDirectory: dataDirectory, preprocessing: preprocessing, limit: nil)
        var generator = SeededGenerator(seed: 43)
        let weights = try NBPWeights.heNormal(sizes: .mnist, using: &generator)

        // Fast path: one pass from the initialisation (the first epoch has the most errors,
        // so it is the slowest), repeated over the set up to 60,000 samples.
        let fastCount = quick ? 20_000 : 60_000
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        var order: [Int] = []
        var epoch = 1
        while order.count < fastCount {
            order += NBPTrainer.order(count: train.set.count, seed: 43, epoch: epoch).prefix(fastCount - order.count)
            epoch += 1
        }
        let fastStart = now()
        _ = NBPTrainer.trainPass(engine: fast, set: train.set, order: order)
        let fastSeconds = (now() - fastStart) * 60_000 / Double(order.count)
        log(String(format: "fast path: %.3f s per 60,000-sample epoch (%d samples timed)", fastSeconds, order.count))
        let counting = try NBPFastEngine(weights: weights, variant: .chip)
        try counting.enableEnergyCounts()
        let countingStart = now()
        _ = NBPTrainer.trainPass(engine: counting, set: train.set, order: order)
        let countingSeconds = (now() - countingStart) * 60_000 / Double(order.count)
        log(String(format: "fast path with energy counts: %.3f s per 60,000-sample epoch", countingSeconds))

        // Chip engine: training samples, then inference samples on the 4-step circuit.
        let chipTrain = quick ? 100 : 1_000
        let chipInfer = quick ? 500 : 5_000
        let chip = try NBPChipEngine(weights: weights, seed: 43)
        let chipOrder = Array(order.prefix(chipTrain + 1))
        // The first sample also builds and starts the chain; keep it out of the timing.
        _ = NBPTrainer.trainPass(engine: chip, set: train.set, order: [chipOrder[0]])
        let trainStart = now()
        _ = NBPTrainer.trainPass(engine: chip, set: train.set, order: Array(chipOrder.dropFirst()))
        let trainMs = (now() - trainStart) * 1000 / Double(chipTrain)
        let inferSet = train.set.prefix(chipInfer + 1)
        _ = NBPTrainer.evaluate(engine: chip, set: inferSet.prefix(1))
        let inferStart = now()
        _ = NBPTrainer.evaluate(engine: chip, set: inferSet)
        let inferMs = (now() - inferStart) * 1000 / Double(inferSet.count)
        log(String(format: "chip engine: %.3f ms per training sample, %.4f ms per inference sample", trainMs, inferMs))

        var numpySeconds: Double?
        var numpyCount: Int?
        if let script = numpyScript, !train.raw.isEmbedded {
            let count = quick ? 1_000 : 5_000
            if let seconds = try? runNumpy(script: script, dataDirectory: dataDirectory, count: count) {
                numpySeconds = seconds
                numpyCount = count
                log(String(format: "numpy reference: %.1f s per 60,000-sample epoch", seconds))
            } else {
                log("numpy reference skipped: python3 with numpy not available")
            }
        }
        return NBPBenchmarkResult(
            fastEpochSeconds: fastSeconds, fastSamplesTimed: order.count, fastEnergyEpochSeconds: countingSeconds,
            chipTrainMsPerSample: trainMs,
            chipInferMsPerSample: inferMs, chipTrainSamples: chipTrain, chipInferSamples: inferSet.count,
            numpyEpochSeconds: numpySeconds, numpySamplesTimed: numpyCount, embeddedData: train.raw.isEmbedded)
    }

    /// Runs bench/nbp_numpy.py and returns its extrapolated epoch time.
    static func runNumpy(script: String, dataDirectory: String?, count: Int) throws -> Double? {
        let directory = (DatasetCatalog.dataDirectory(dataDirectory) as NSString).appendingPathComponent("mnist")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "time", "--images", directory + "/train-images-idx3-ubyte.gz", "--labels",
            directory + "/train-labels-idx1-ubyte.gz", "--count", String(count),
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let seconds = object["epoch_s"] as? Double
        else { return nil }
        return seconds
    }
}
