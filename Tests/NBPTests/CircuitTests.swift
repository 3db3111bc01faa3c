import NeuroChip
import SynfireData
import Testing

@testable import NBP

@Suite("nBP circuit as data")
struct CircuitTests {
    @Test(
        "the circuit builds and validates for any sizes",
        arguments: [
            NBPSizes.mnist, NBPSizes(input: 784, hidden: 200, output: 10),
            NBPSizes(input: 400, hidden: 100, output: 10),
            NBPSizes(input: 16, hidden: 9, output: 4),
        ])
    func buildsForSizes(sizes: NBPSizes) throws {
        let circuit = try NBPCircuit.training(sizes: sizes)
        #expect(circuit.populations.count == 15 + 12)
        #expect(
            circuit.connections.filter { $0.kind == .p }.map { $0.matrix ?? "" }.sorted()
                == ["M", "W1", "W1c1", "W1c2", "W2", "W2Tp", "W2c1", "W2c2"])
        let matrices = NBPCircuit.chipMatrices(
            try NBPWeights(
                sizes: sizes, w1: .init(repeating: 0, count: sizes.input * sizes.hidden),
                w2: .init(repeating: 0, count: sizes.hidden * sizes.output)))
        _ = try ChipSimulator(try circuit.networkDescription(matrices: matrices, plastic: true))
        let inference = try NBPCircuit.inference(sizes: sizes)
        #expect(inference.stepsPerSample == 4)
    }

    @Test("a circuit with an inconsistency names it")
    func validationNamesProblems() throws {
        var circuit = try NBPCircuit.training(sizes: NBPSizes(input: 4, hidden: 3, output: 2))
        circuit.connections.append(.init(source: "x", target: "h1", kind: .oneE, matrix: nil))
        circuit.connections.append(.init(source: "nowhere", target: "h1", kind: .g, matrix: nil))
        #expect(throws: NBPError.self) { try circuit.validate() }
        do {
            try circuit.validate()
        } catch {
            #expect(error.description.contains("one-to-one needs equal sizes"))
            #expect(error.description.contains("unknown source nowhere"))
        }
    }

    @Test("784-20-10 on Fashion-MNIST: the chip circuit trains like the fast path")
    func wideInputTrainsOnChip() throws {
        let loaded = try DatasetCatalog.loadEmbedded(.fashionMNIST, split: .train)
        let set = try NBPPreprocessing.standard(for: .fashionMNIST).encode(loaded.dataset.prefix(30))
        var generator = SeededGenerator(seed: 4)
        let weights = try NBPWeights.heNormal(sizes: NBPSizes(input: 784, hidden: 20, output: 10), using: &generator)
        let chip = try NBPChipEngine(weights: weights, seed: 4)
        let fast = try NBPFastEngine(weights: weights, variant: .chip)
        let order = Array(0..<set.count)
        _ = NBPTrainer.trainPass(engine: chip, set: set, order: order)
        _ = NBPTrainer.trainPass(engine: fast, set: set, order: order)
        #expect(try chip.chipMatrices() == NBPChipMatrices(weights: fast.weights))
        #expect(chip.gateViolations == 0)
    }
}
