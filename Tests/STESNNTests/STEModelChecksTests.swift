import Foundation
import SynfireData
import Testing

@testable import STESNN

/// Model checks (docs/ste.md, "Checks"): the Bernoulli encoder's rates, DI's order invariance,
/// pooling against firing, the learning-rate schedule, the synthetic events, parameter counts
/// and fixed-point formats, and the inference/training plumbing.
@Suite struct STEModelCheckTests {
    @Test func bernoulliEncoderRates() {
        var g = SeededGenerator(seed: 42)
        var spikes = 0.0
        for _ in 0..<10_000 { spikes += Double(RateEncoder.spike(probability: 0.3, generator: &g)) }
        #expect(abs(spikes / 10_000 - 0.3) <= 0.015)
        #expect((0..<10_000).allSatisfy { _ in RateEncoder.spike(probability: 0, generator: &g) == 0 })
        #expect((0..<10_000).allSatisfy { _ in RateEncoder.spike(probability: 1, generator: &g) == 1 })
        // Pixel scaling p = pixel/255: 0 never, 255 always.
        let pixels: [UInt8] = [0, 255, 0, 255]
        var frame = [Float](repeating: 0.5, count: 4)
        pixels.withUnsafeBufferPointer { p in
            frame.withUnsafeMutableBufferPointer { f in
                RateEncoder.encode(pixels: p, encoding: .bernoulli, into: f, generator: &g)
            }
        }
        #expect(frame == [0, 1, 0, 1])
    }

    /// DI output spike counts do not depend on the order of the input frames: DI clears the
    /// membranes every step, so the response is a sum of per-step responses (docs/ste.md,
    /// "Neuron model").
    @Test func diIsOrderInvariant() throws {
        var g = SeededGenerator(seed: 3)
        let spec = try NetworkSpec.standard(.mlp256, mode: .di)
        let net = try SpikingNetwork(spec: spec, generator: &g)
        // Non-zero biases so that hidden and output neurons sometimes fire and sometimes not.
        for b in net.parameters.indices {
            net.parameters[b].biases = net.parameters[b].biases.map { _ in 1.6 * uniformFloat(&g) - 0.6 }
        }
        let T = 6
        let n = 3
        let frames = (0..<(T * n * 784)).map { _ in Float(uniformFloat(&g) < 0.15 ? 1 : 0) }
        var reversed = [Float]()
        for t in stride(from: T - 1, through: 0, by: -1) {
            reversed += frames[(t * n * 784)..<((t + 1) * n * 784)]
        }
        func counts(_ x: [Float]) throws -> [Int] {
            let y = try net.forward(x, batch: n, timeSteps: T, phase: .inference, generator: &g)
            var c = [Int](repeating: 0, count: n * 10)
            for t in 0..<T { for i in 0..<(n * 10) where y[t * n * 10 + i] >= 0 { c[i] += 1 } }
            return c
        }
        let a = try counts(frames)
        #expect(a == (try counts(reversed)))
        #expect(a.contains { $0 > 0 } && a.contains { $0 < T })
    }

    /// H(maxpool(u)) == maxpool(H(u)): H is monotone, so inference may pool the spikes where
    /// training pools the membranes.
    @Test func poolingCommutesWithFiring() {
        var g = SeededGenerator(seed: 8)
        let u = (0..<(5 * 8 * 8 * 3)).map { _ in 3 * uniformFloat(&g) - 1 }
        func fire(_ v: [Float]) -> [Float] { v.map { $0 >= 1 ? 1 : 0 } }
        var idx: [Int32] = []
        let a = fire(maxPoolForward(u, rows: 5, height: 8, width: 8, channels: 3, indices: &idx))
        let b = maxPoolForward(fire(u), rows: 5, height: 8, width: 8, channels: 3, indices: &idx)
        #expect(a == b)
        #expect(a.contains(1) && a.contains(0))
    }

    /// After epoch E of E the rate is exactly the end rate, 1e-5 in DI and 1e-6 in CI
    /// (docs/ste.md, "DI mode").
    @Test(arguments: [1, 7, 200, 400])
    func learningRateSchedule(epochs: Int) {
        let di = LearningRateSchedule.di(epochs: epochs)
        let ci = LearningRateSchedule.ci(epochs: epochs)
        #expect(abs(di.rate(afterEpochs: epochs) / 1e-5 - 1) < 1e-12)
        #expect(abs(ci.rate(afterEpochs: epochs) / 1e-6 - 1) < 1e-12)
        #expect(di.rate(afterEpochs: 0) == 1e-3)
        // Per-epoch factor (1e-5/1e-3)^(1/E).
        let factor = pow(1e-2, 1 / Double(epochs))
        #expect(abs(di.rate(afterEpochs: 1) / (1e-3 * factor) - 1) < 1e-12)
    }

    /// Synthetic events (docs/ste.md, "CI mode"): deterministic, every frame of the first
    /// training image has an event, reversed = frames in reverse order.
    @Test func syntheticEvents() throws {
        let mnist = try DatasetCatalog.loadEmbedded(.mnist, split: .train).dataset
        let image = Array(mnist.image(at: 0))
        let gen = SaccadeEventGenerator()
        let a = try image.withUnsafeBufferPointer { try gen.frames(image: $0) }
        let b = try image.withUnsafeBufferPointer { try gen.frames(image: $0) }
        let r = try image.withUnsafeBufferPointer { try gen.frames(image: $0, reversed: true) }
        #expect(a == b)
        #expect(a.count == 16 * 1156)
        for k in 0..<16 {
            #expect(a[(k * 1156)..<((k + 1) * 1156)].contains(1), "frame \(k) has no event")
            #expect(Array(r[(k * 1156)..<((k + 1) * 1156)]) == Array(a[((15 - k) * 1156)..<((16 - k) * 1156)]))
        }
        let two = SaccadeEventGenerator(timeBins: 16, twoChannel: true)
        let c = try image.withUnsafeBufferPointer { try two.frames(image: $0) }
        #expect(c.count == 16 * 2312)
        // Merged channel = ON or OFF.
        for i in 0..<1156 { #expect(a[i] == (c[i] | c[1156 + i])) }
        // The path is a closed loop of length 2·√20 + 4 through the three vertices.
        #expect(SaccadeEventGenerator.offset(at: 0) == (0, -2))
        let v1 = SaccadeEventGenerator.offset(at: 20.0.squareRoot() / (2 * 20.0.squareRoot() + 4))
        #expect(abs(v1.dx - 2) < 1e-12 && abs(v1.dy - 2) < 1e-12)
        let end = SaccadeEventGenerator.offset(at: 1)
        #expect(abs(end.dx) < 1e-12 && abs(end.dy + 2) < 1e-12)
    }

    /// Event-driven inference equals the dense product on spikes.
    @Test func eventDrivenMatchesDense() throws {
        var g = SeededGenerator(seed: 11)
        let spec = try NetworkSpec.standard(.mlp256, mode: .di)
        let net = try SpikingNetwork(spec: spec, generator: &g)
        let x = (0..<(4 * 784)).map { _ in Float(uniformFloat(&g) < 0.2 ? 1 : 0) }
        let sparse = try net.forward(x, batch: 4, timeSteps: 1, phase: .inference, generator: &g)
        let dense = try net.forward(
            x, batch: 4, timeSteps: 1, phase: ForwardPhase(firing: .heaviside(.strict), dropout: false),
            generator: &g)
        for i in sparse.indices { #expect(abs(sparse[i] - dense[i]) < 1e-4) }
    }

    @Test func parameterCountsMatchSpecTable() throws {
        #expect(try NetworkSpec.standard(.mlp, mode: .di).parameterCount == 1_863_690)
        #expect(try NetworkSpec.standard(.mlp256, mode: .di).parameterCount == 269_322)
        #expect(try NetworkSpec.standard(.cnn, mode: .di).parameterCount == 549_506)
        #expect(try NetworkSpec.standard(.mlp, mode: .ci).parameterCount == 2_245_643)
        #expect(try NetworkSpec.standard(.mlp, mode: .ci, twoChannelEvents: true).parameterCount == 3_429_387)
    }

    /// Quantised weights: the float simulation of the rounded network has membranes on the
    /// 2^-fracBits grid, and the bit budget rule fracBits = Q - (ceil(log2 max|W|) + 1)
    /// (`--bits Q`, docs/ste.md "Neuron model").
    @Test func fixedPointFormatFromWeights() throws {
        let blocks = [ParameterBlock(layerIndex: 0, weights: [0.3, -1.7, 0.9], biases: [5])]
        let q8 = try FixedPointFormat(totalBits: 8, parameters: blocks)
        #expect(q8.fractionalBits == 6)  // max|W| = 1.7 → intBits = ceil(log2 1.7) + 1 = 2
        let rounded = q8.quantised(blocks)[0]
        for w in rounded.weights { #expect((w * 64).rounded() == w * 64) }
        #expect(rounded.biases == [5])
        #expect(throws: STEError.self) { try FixedPointFormat(totalBits: 1, parameters: blocks) }
    }
}

/// The direction task's sanity check (docs/ste.md, "CI mode"): a DI network cannot tell
/// forward from reversed event streams, so its direction accuracy on the synthetic task is
/// exactly 50 %.
@Suite struct DirectionTaskTests {
    @Test func diNetworkIsAtChanceOnDirection() throws {
        var g = SeededGenerator(seed: 4)
        var spec = try NetworkSpec.standard(.mlp, mode: .ci)
        spec.neuron.carry = 0
        spec.outputThreshold = 0
        let net = try SpikingNetwork(spec: spec, generator: &g)
        for b in net.parameters.indices {
            net.parameters[b].biases = net.parameters[b].biases.map { _ in 1.6 * uniformFloat(&g) - 0.6 }
        }
        let images = try DatasetCatalog.loadEmbedded(.mnist, split: .test).dataset.prefix(6)
        let result = try evaluateCI(network: net, images: images, timeSteps: 16)
        #expect(result.directionAccuracy == 0.5)
        #expect(result.sequences == 12)
    }
}
