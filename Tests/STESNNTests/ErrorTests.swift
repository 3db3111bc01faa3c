import Foundation
import SynfireData
import Testing

@testable import STESNN

/// Every user-reachable bad input gives an STEError whose message names problem and fix.
@Suite struct ErrorTests {
    @Test(arguments: ["resnet", "", "MLP-1024x"])
    func unknownArchitecture(_ text: String) {
        #expect(throws: STEError.unknownArchitecture(text)) { try NetworkArchitecture(parsing: text) }
        #expect(STEError.unknownArchitecture(text).description.contains("mlp, mlp-256, cnn"))
    }

    @Test func unknownMode() {
        #expect(throws: STEError.unknownMode("xi")) { try IntegrationMode(parsing: "xi") }
    }

    @Test(arguments: [0, -3])
    func nonPositiveTimeSteps(_ t: Int) throws {
        #expect(throws: STEError.invalidTimeSteps(t)) {
            try STETrainingOptions(architecture: .mlp, mode: .di, timeSteps: t, epochs: 1)
        }
        var g = SeededGenerator(seed: 1)
        let net = try SpikingNetwork(spec: try NetworkSpec.standard(.mlp256, mode: .di), generator: &g)
        #expect(throws: STEError.invalidTimeSteps(t)) {
            try net.forward([], batch: 1, timeSteps: t, phase: .inference, generator: &g)
        }
        #expect(STEError.invalidTimeSteps(t).description.contains("--timesteps"))
    }

    @Test func cnnInCIModeIsRejected() {
        #expect(throws: STEError.unsupportedCombination(architecture: "cnn", mode: "ci")) {
            try STETrainingOptions(architecture: .cnn, mode: .ci, timeSteps: 16, epochs: 1)
        }
    }

    @Test func shapeMismatches() throws {
        var g = SeededGenerator(seed: 1)
        let net = try SpikingNetwork(spec: try NetworkSpec.standard(.mlp256, mode: .di), generator: &g)
        #expect(
            throws: STEError.shapeMismatch(
                what: "network input (2 steps × 3 samples × 784 features)", expected: 4704, actual: 100)
        ) {
            try net.forward([Float](repeating: 0, count: 100), batch: 3, timeSteps: 2, phase: .inference, generator: &g)
        }
        // Layers that do not fit together.
        #expect(throws: STEError.self) {
            try NetworkSpec(
                name: "bad", inputFeatures: 784,
                layers: [.dense(inputs: 700, outputs: 10)], neuron: IFNeuron(carry: 0), outputThreshold: 0,
                initialisation: .heUniform)
        }
        // Parameters of the wrong size.
        let spec = try NetworkSpec.standard(.mlp256, mode: .di)
        var blocks = net.parameters
        blocks[0].weights.removeLast()
        #expect(throws: STEError.self) { try SpikingNetwork(spec: spec, parameters: blocks) }
        // A 20×20 (cropped) dataset does not fit the 784-input networks.
        let small = try ImageDataset(
            name: "x", split: .train, rows: 20, columns: 20, pixels: [UInt8](repeating: 0, count: 400 * 12),
            labels: [UInt8](repeating: 0, count: 12))
        #expect(throws: STEError.shapeMismatch(what: "MNIST image size (28×28)", expected: 784, actual: 400)) {
            try DataSplits(trainSet: small, testSet: small, limit: nil)
        }
    }

    @Test func weightsOfAnotherArchitectureAreRejected() throws {
        var g = SeededGenerator(seed: 1)
        let net = try SpikingNetwork(spec: try NetworkSpec.standard(.mlp256, mode: .di), generator: &g)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ste-\(UUID()).npz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelArchive.save(net, to: path)
        let back = try ModelArchive.load(spec: net.spec, from: path)
        #expect(back.parameters == net.parameters)
        #expect(throws: STEError.self) {
            try ModelArchive.load(spec: try NetworkSpec.standard(.mlp, mode: .di), from: path)
        }
        #expect(throws: STEError.self) { try ModelArchive.load(spec: net.spec, from: path + ".missing") }
    }
}
