import Foundation
import SynfireData

/// Accuracy at one number of time steps, over independent stochastic runs.
public struct TimeStepAccuracy: Codable, Sendable {
    public var timeSteps: Int
    public var meanAccuracy: Double
    public var standardDeviation: Double
    public var runs: Int
}

/// Spiking-inference result in DI mode (docs/ste.md "DI mode") with the activity the energy model uses.
public struct DIEvaluation: Codable, Sendable {
    public var images: Int
    public var sweep: [TimeStepAccuracy]
    /// Mean spikes per image per time step: input, then each spike layer.
    public var spikesPerStep: [Double]
    /// Fan-out of one spike of each of those populations.
    public var fanOuts: [Int]
    /// Mean synaptic accumulations per image per time step, `A_t` of docs/ste.md "Energy".
    public var accumulationsPerStep: Double

    public func accuracy(at timeSteps: Int) -> Double? {
        sweep.first { $0.timeSteps == timeSteps }?.meanAccuracy
    }
}

/// Spiking inference of a DI network: `T` Bernoulli frames per image, hidden IF neurons
/// cleared each step with `u ≥ 1`, output IF neurons with the network's output threshold,
/// class = most output spikes (ties → lowest index), averaged over `runs` (docs/ste.md "DI mode").
/// Every `T` of the sweep is read from the first `T` steps of the same simulated run.
public func evaluateDI(
    network: SpikingNetwork, images: ImageDataset, sweep: [Int], runs: Int, seed: UInt64,
    encoding: InputEncoding = .bernoulli, batchSize: Int = 100
) throws -> DIEvaluation {
    guard let maxT = sweep.max(), sweep.allSatisfy({ $0 > 0 }) else {
        throw STEError.invalidTimeSteps(sweep.min() ?? 0)
    }
    guard images.count > 0 else { throw STEError.emptyDataset("evaluation set") }
    guard network.spec.neuron.carry == 0 else {
        throw STEError.invalidParameter(
            name: "network", value: network.spec.name, expected: "a DI network (λ = 0)")
    }
    let classes = network.spec.outputFeatures
    let theta = network.spec.outputThreshold
    var generator = SeededGenerator(seed: seed)
    var accuracies = [[Double]](repeating: [], count: sweep.count)
    var spikeTotals = [Double](repeating: 0, count: 0)
    network.recordsSpikeCounts = true
    defer { network.recordsSpikeCounts = false }
    for _ in 0..<runs {
        var correct = [Int](repeating: 0, count: sweep.count)
        for start in stride(from: 0, to: images.count, by: batchSize) {
            let indices = Array(start..<min(start + batchSize, images.count))
            let n = indices.count
            let input = encodeRateFrames(
                images, indices: indices, frames: maxT, encoding: encoding, generator: &generator)
            let y = try network.forward(
                input, batch: n, timeSteps: maxT, phase: .inference, generator: &generator)
            let counts = network.spikeCountsPerStep.map { $0.reduce(0, +) }
            if spikeTotals.isEmpty {
                spikeTotals = counts
            } else {
                for i in counts.indices { spikeTotals[i] += counts[i] }
            }
            // Output IF units, cleared every step (DI): spike iff y ≥ θ_out.
            var spikeCounts = [Int](repeating: 0, count: n * classes)
            for t in 0..<maxT {
                for i in 0..<(n * classes) where y[t * n * classes + i] >= theta {
                    spikeCounts[i] += 1
                }
                if let slot = sweep.firstIndex(of: t + 1) {
                    for (column, index) in indices.enumerated()
                    where argmax(spikeCounts, row: column, width: classes) == Int(images.labels[index]) {
                        correct[slot] += 1
                    }
                    // A sweep may list the same T twice; fill every slot.
                    for other in sweep.indices where other != slot && sweep[other] == t + 1 {
                        correct[other] = correct[slot]
                    }
                }
            }
        }
        for i in sweep.indices { accuracies[i].append(Double(correct[i]) / Double(images.count)) }
    }
    let steps = Double(runs * images.count * maxT)
    let perStep = spikeTotals.map { $0 / steps }
    let fanOuts = network.fanOuts
    let accumulations = zip(perStep, fanOuts).reduce(0.0) { $0 + $1.0 * Double($1.1) }
    return DIEvaluation(
        images: images.count,
        sweep: sweep.indices.map { i in
            let values = accuracies[i]
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            return TimeStepAccuracy(
                timeSteps: sweep[i], meanAccuracy: mean, standardDeviation: variance.squareRoot(),
                runs: runs)
        }, spikesPerStep: perStep, fanOuts: fanOuts, accumulationsPerStep: accumulations)
}

/// Result of CI inference on the synthetic event set (docs/ste.md "CI mode").
public struct CIEvaluation: Codable, Sendable {
    public var sequences: Int
    /// Digit = argmax of output spike counts over outputs 0–9.
    public var digitAccuracy: Double
    /// Digit over all 11 outputs (the reference trainer's reading, docs/ste.md "Choices" item 8).
    public var digitAccuracyAllOutputs: Double
    /// Direction = forward iff output 10 spikes at least T/2 times.
    public var directionAccuracy: Double
    /// Float read-out diagnostic: argmax of Σ_t y_t over 0–9, sign of Σ_t y_{10,t}.
    public var readoutDigitAccuracy: Double
    public var readoutDirectionAccuracy: Double
}

/// CI inference: IF neurons everywhere with θ = 1, `u ≥ 1`, membranes carried over all
/// steps including the output layer (docs/ste.md "CI mode"). Deterministic.
public func evaluateCI(
    network: SpikingNetwork, images: ImageDataset, timeSteps: Int, twoChannel: Bool = false,
    batchSize: Int = 100
) throws -> CIEvaluation {
    guard timeSteps > 0 else { throw STEError.invalidTimeSteps(timeSteps) }
    guard images.count > 0 else { throw STEError.emptyDataset("evaluation set") }
    let generatorOfEvents = SaccadeEventGenerator(timeBins: timeSteps, twoChannel: twoChannel)
    guard network.spec.inputFeatures == generatorOfEvents.featuresPerFrame,
        network.spec.outputFeatures == 11
    else {
        throw STEError.shapeMismatch(
            what: "CI network input (event frame)", expected: generatorOfEvents.featuresPerFrame,
            actual: network.spec.inputFeatures)
    }
    // Output IF units carry their membrane like the hidden ones (λ = 1 in CI; a DI network
    // evaluated on events clears it every step, which makes it blind to frame order).
    let outputNeuron = IFNeuron(threshold: network.spec.outputThreshold, carry: network.spec.neuron.carry)
    var unused = SeededGenerator(seed: 0)
    var digit = 0
    var digitAll = 0
    var direction = 0
    var readoutDigit = 0
    var readoutDirection = 0
    let total = 2 * images.count
    let features = generatorOfEvents.featuresPerFrame
    for start in stride(from: 0, to: total, by: batchSize) {
        let samples = Array(start..<min(start + batchSize, total))
        let n = samples.count
        var input = [Float](repeating: 0, count: timeSteps * n * features)
        for (column, sample) in samples.enumerated() {
            let image = sample / 2
            let frames = try images.pixels.withUnsafeBufferPointer { p in
                try generatorOfEvents.frames(
                    image: UnsafeBufferPointer(rebasing: p[(image * 784)..<((image + 1) * 784)]),
                    reversed: sample % 2 == 1)
            }
            for t in 0..<timeSteps {
                let row = t * n + column
                for f in 0..<features where frames[t * features + f] >= 1 {
                    input[row * features + f] = 1
                }
            }
        }
        let y = try network.forward(
            input, batch: n, timeSteps: timeSteps, phase: .inference, generator: &unused)
        let run = outputNeuron.run(currents: y, timeSteps: timeSteps, rule: .inclusive)
        let counts = sumOverTime(run.spikes, timeSteps: timeSteps, batch: n, width: 11)
        let summed = sumOverTime(y, timeSteps: timeSteps, batch: n, width: 11)
        for (column, sample) in samples.enumerated() {
            let label = Int(images.labels[sample / 2])
            let forward = sample % 2 == 0
            if argmax(counts, row: column, width: 11, limit: 10) == label { digit += 1 }
            if argmax(counts, row: column, width: 11) == label { digitAll += 1 }
            let saysForward = counts[column * 11 + 10] >= Float(timeSteps) / 2
            if saysForward == forward { direction += 1 }
            if argmax(summed, row: column, width: 11, limit: 10) == label { readoutDigit += 1 }
            if (summed[column * 11 + 10] > 0) == forward { readoutDirection += 1 }
        }
    }
    let d = Double(total)
    return CIEvaluation(
        sequences: total, digitAccuracy: Double(digit) / d, digitAccuracyAllOutputs: Double(digitAll) / d,
        directionAccuracy: Double(direction) / d, readoutDigitAccuracy: Double(readoutDigit) / d,
        readoutDirectionAccuracy: Double(readoutDirection) / d)
}
