import Foundation
import SynfireData

/// Training throughput of the DI MLP-1024 (docs/ste.md "DI mode" step: encode, forward, STE backward,
/// Adam), on deterministic random images so it needs no dataset.
public struct STEBenchmarkResult: Codable, Sendable {
    public var batches: Int
    public var batchSize: Int
    public var seconds: Double
    public var trainSamplesPerSecond: Double
    /// Floating-point operations of the three GEMM groups per training sample.
    public var flopsPerSample: Double
    public var gflops: Double
}

public enum STEBenchmark {
    /// FLOPs per sample of one training step: forward `2·ΣMAC`, weight gradients `2·ΣMAC`,
    /// input gradients for every layer but the first.
    public static func flopsPerSample(spec: NetworkSpec) -> Double {
        var total = 0.0
        var first = true
        for layer in spec.layers {
            guard case .dense(let i, let o) = layer else { continue }
            let macs = Double(i * o)
            total += 2 * macs + 2 * macs + (first ? 0 : 2 * macs)
            first = false
        }
        return total
    }

    public static func runTraining(batches: Int, warmup: Int = 3, batchSize: Int = 100, seed: UInt64 = 1) throws
        -> STEBenchmarkResult
    {
        guard batches > 0 else {
            throw STEError.invalidParameter(name: "batches", value: "\(batches)", expected: "at least 1")
        }
        var generator = SeededGenerator(seed: seed)
        let count = batchSize * 10
        let pixels = (0..<(count * 784)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let labels = (0..<count).map { _ in UInt8(generator.nextInt(below: 10)) }
        let images = try ImageDataset(
            name: "random", split: .train, rows: 28, columns: 28, pixels: pixels, labels: labels)
        let spec = try NetworkSpec.standard(.mlp, mode: .di)
        let network = try SpikingNetwork(spec: spec, generator: &generator)
        var optimiser = AdamOptimiser(for: network.parameters)
        func step(_ b: Int) throws {
            let indices = (0..<batchSize).map { (b * batchSize + $0) % count }
            let input = encodeRateFrames(
                images, indices: indices, frames: 1, encoding: .bernoulli, generator: &generator)
            let y = try network.forward(
                input, batch: batchSize, timeSteps: 1, phase: .training, generator: &generator)
            let targets = SquaredHinge.targets(labels: indices.map { Int(labels[$0]) }, classes: 10)
            let (_, grad) = SquaredHinge.loss(outputs: y, targets: targets)
            try network.backward(grad)
            optimiser.update(&network.parameters, gradients: network.gradients, learningRate: 1e-3)
        }
        for b in 0..<warmup { try step(b) }
        let start = ContinuousClock.now
        for b in 0..<batches { try step(b) }
        let seconds = elapsedSeconds(since: start)
        let rate = Double(batches * batchSize) / seconds
        let flops = flopsPerSample(spec: spec)
        return STEBenchmarkResult(
            batches: batches, batchSize: batchSize, seconds: seconds, trainSamplesPerSecond: rate,
            flopsPerSample: flops, gflops: flops * rate / 1e9)
    }
}
