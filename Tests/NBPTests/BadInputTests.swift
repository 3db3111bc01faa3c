import Foundation
import SynfireData
import SynfireIO
import Testing

@testable import NBP

@Suite("nBP bad input gives clear errors")
struct BadInputTests {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "nbp-test-\(UUID().uuidString)"
        return path
    }

    @Test("unknown dataset name names the known ones")
    func unknownDataset() throws {
        var options = NBPTrainOptions(out: BadInputTests.temporaryDirectory())
        options.dataset = "cifar"
        #expect(throws: NBPError.unknownDataset("cifar")) { try NBPRunner.train(options) { _ in } }
        #expect(NBPError.unknownDataset("cifar").description.contains("mnist or fashion-mnist"))
    }

    @Test("an odd or too large training margin is refused by the circuit and the trainer, naming the range")
    func invalidMargin() throws {
        for margin in [-2, 3, 256] {
            #expect(throws: NBPError.invalidMargin(margin)) { try NBPCircuit.training(sizes: .mnist, margin: margin) }
            var options = NBPTrainOptions(out: BadInputTests.temporaryDirectory())
            options.margin = margin
            #expect(throws: NBPError.invalidMargin(margin)) { try NBPRunner.train(options) { _ in } }
        }
        #expect(NBPError.invalidMargin(3).description.contains("even value in 0...254"))
        // The presets: paper changes nothing, margin-decay sets all three settings.
        var options = NBPTrainOptions(out: "unused")
        NBPPreset.paper.apply(to: &options)
        #expect(options.margin == 0 && options.initScale == 1 && options.schedule == .constant)
        NBPPreset.marginDecay.apply(to: &options)
        #expect(options.margin == 192 && options.initScale == 0.5)
        #expect(options.schedule.exponent(epoch: 30) == 0 && options.schedule.exponent(epoch: 31) == 1)
        #expect(options.schedule.exponent(epoch: 34) == 2 && options.schedule.gate == .synapse)
        // margin-replay: the same margin, p halved every 4 epochs after 20 by the replay gates.
        NBPPreset.marginReplay.apply(to: &options)
        #expect(options.margin == 192 && options.initScale == 0.5 && options.schedule.gate == .replay)
        #expect(options.schedule.exponent(epoch: 20) == 0 && options.schedule.exponent(epoch: 21) == 1)
        #expect(
            options.schedule.ruleExponent(epoch: 30) == 0 && options.schedule.inputGateNumerator(epoch: 25) == 16384)
    }

    @Test("a dataset whose image size differs from the circuit's input is refused")
    func imageSizeMismatch() throws {
        let directory = BadInputTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Weights for 784 inputs, but MNIST is cropped to 400.
        var generator = SeededGenerator(seed: 1)
        let weights = try NBPWeights.heNormal(sizes: NBPSizes(input: 784, hidden: 8, output: 10), using: &generator)
        let path = directory + "/w.npz"
        try NBPWeightsFile.write(weights, to: path)
        var options = NBPTrainOptions(out: directory + "/run")
        options.limit = 20
        options.initWeights = path
        #expect(throws: NBPError.imageSizeMismatch(dataset: "mnist-train", pixels: 400, circuitInput: 784)) {
            try NBPRunner.train(options) { _ in }
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/run/config.json"), "no partial run")
    }

    @Test("a checkpoint whose layer sizes differ is refused on resume")
    func checkpointSizeMismatch() throws {
        let directory = BadInputTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = NBPTrainOptions(out: directory)
        options.limit = 30
        options.hidden = 8
        _ = try NBPRunner.train(options) { _ in }
        // Replace the checkpoint's weights by ones of another hidden size, keeping the config.
        let run = try RunDirectory.open(at: directory)
        var state = try #require(try run.loadCheckpoint())
        var generator = SeededGenerator(seed: 2)
        let other = try NBPWeights.heNormal(sizes: NBPSizes(input: 400, hidden: 6, output: 10), using: &generator)
        state.arrays = try NBPWeightsFile.archive(other)
        try run.saveCheckpoint(state)
        options.resume = true
        options.epochs = 2
        #expect(
            throws: NBPError.checkpointSizeMismatch(
                checkpoint: NBPSizes(input: 400, hidden: 6, output: 10),
                expected: NBPSizes(input: 400, hidden: 8, output: 10))
        ) { try NBPRunner.train(options) { _ in } }
    }

    @Test("weights out of the chip range and wrong shapes are refused")
    func badWeights() {
        let sizes = NBPSizes(input: 2, hidden: 1, output: 1)
        #expect(throws: NBPError.weightShapeMismatch(matrix: "W1", expected: 2, got: 3)) {
            try NBPWeights(sizes: sizes, w1: [0, 0, 0], w2: [0])
        }
        #expect(throws: NBPError.weightOutOfRange(matrix: "W1", value: 300, variant: .chip)) {
            try NBPWeights(sizes: sizes, w1: [300, 0], w2: [0]).validate(variant: .chip)
        }
    }
}
