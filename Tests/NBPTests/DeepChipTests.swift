import EnergyModel
import Foundation
import SynfireData
import SynfireIO
import Testing

@testable import NBP

/// The chip circuit with several hidden layers (docs/nbp.md, "Deeper networks", "Phase
/// table") against the fast path at depth: every plastic matrix after every sample.
@Suite("nBP with several hidden layers: the chip circuit")
struct DeepChipTests {
    /// Weights in [-144, 254], mostly positive, so that every layer fires in part and the
    /// clamp at 254 is reached (as in the fast path's test against the plain model).
    static func weights(_ units: [Int], random: inout SeededGenerator) throws -> NBPDeepWeights {
        let sizes = try NBPLayerSizes(units)
        let w = (1...sizes.weightLayers).map { l in
            (0..<(units[l] * units[l - 1])).map { _ in Int16(Int(random.next() % 200) * 2 - 144) }
        }
        return try NBPDeepWeights(sizes: sizes, w: w)
    }

    @Test("2 and 3 hidden layers: every chip matrix equals the fast path after every sample, 0 gate violations",
        arguments: [[20, 12, 8, 10], [20, 10, 8, 7, 10]])
    func chipEqualsFastPath(units: [Int]) throws {
        for (seed, margin) in [(UInt64(1), 0), (2, 64)] {
            var random = SeededGenerator(seed: seed)
            let initial = try DeepChipTests.weights(units, random: &random)
            let chip = try NBPChipEngine(deepWeights: initial, seed: seed, margin: margin)
            let fast = NBPDeepEngine(weights: initial, margin: margin)
            var clamped = false
            for index in 0..<40 {
                let input = (0..<units[0]).filter { _ in random.next() % 2 == 0 }.map(Int32.init)
                let sample = NBPSample(active: input, label: Int(random.next() % UInt64(units.last!)))
                // Every fifth sample with its learning gate closed (the per-sample gate).
                let gates = NBPSampleGates(learns: index % 5 != 4)
                // The output bits of the output phase (the margin's o); argmax-input of a
                // training sample is compared at inference, where no margin lifts o.
                let outcome = chip.train(sample, gates: gates)
                let expectedOutcome = fast.train(sample, gates: gates)
                #expect(outcome.outputBits == expectedOutcome.outputBits, "seed \(seed), sample \(index)")
                #expect(outcome.exact == expectedOutcome.exact)
                let expected = NBPCircuit.chipMatrices(fast.weights)
                let actual = try chip.plasticMatrices()
                #expect(actual.keys.sorted() == expected.keys.sorted())
                let differing = expected.keys.sorted().filter { actual[$0] != expected[$0] }
                #expect(differing.isEmpty, "seed \(seed), sample \(index): \(differing)")
                if !differing.isEmpty { return }
                clamped = clamped || fast.weights.w.contains { $0.contains(254) || $0.contains(-256) }
            }
            #expect(chip.gateViolations == 0, "\(chip.violationsByPopulation)")
            // Meaningful only if every layer learned and a weight reached a clamp.
            let trained = fast.weights
            for l in 0..<trained.w.count { #expect(trained.w[l] != initial.w[l], "W\(l + 1) never changed") }
            #expect(clamped)
            for index in 0..<10 {
                let input = (0..<units[0]).filter { _ in random.next() % 3 == 0 }.map(Int32.init)
                let sample = NBPSample(active: input, label: index % units.last!)
                #expect(chip.infer(sample) == fast.infer(sample), "inference sample \(index)")
            }
        }
    }

    @Test("nbp train --engine chip --compare-fast at depth: 0 mismatches and violations, the fast run's weights, energy counts")
    func chipRunEqualsFastRun() throws {
        let base = NSTemporaryDirectory() + "nbp-deep-chip-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        var options = NBPTrainOptions(out: base + "/chip")
        options.limit = 30
        options.epochs = 2
        options.layerSizes = try NBPLayerSizes([400, 12, 8, 10])
        options.margin = 64
        // The per-sample gate from epoch 2 on (p = 1/2): the chip is rebuilt at the epoch.
        options.schedule = NBPLearningSchedule(constantEpochs: 1, halvingEvery: 1, gate: .sample)
        options.engine = .chip
        options.compareFast = true
        let chip = try NBPRunner.train(options) { _ in }
        #expect(chip.weightMismatches == 0)
        #expect(chip.gateViolations == 0)
        let counts = try EnergyCounts.load(runDirectory: base + "/chip")
        #expect(counts.training?.samples == 60)
        #expect(counts.training?.stepsPerSample == 21)
        #expect(counts.inference?.stepsPerSample == 5)
        options.out = base + "/fast"
        options.engine = .fast
        options.compareFast = false
        let fast = try NBPRunner.train(options) { _ in }
        #expect(fast.weightMismatches == nil && fast.gateViolations == nil)
        #expect(chip.testExact == fast.testExact && chip.testArgmaxInput == fast.testArgmaxInput)
        let chipWeights = try RunDirectory.open(at: base + "/chip").readWeights()
        let fastWeights = try RunDirectory.open(at: base + "/fast").readWeights()
        #expect(chipWeights.names == ["W1", "W2", "W3", "M2", "M"])
        for name in fastWeights.names { #expect(chipWeights[name] == fastWeights[name], "\(name)") }
        #expect(chipWeights.names == fastWeights.names)
        // The fast path has no energy counts at depth: refused before the run directory exists.
        options.out = base + "/refused"
        options.energyCounts = true
        #expect(throws: NBPError.self) { try NBPRunner.train(options) { _ in } }
        #expect(!FileManager.default.fileExists(atPath: base + "/refused"))
    }

    @Test("the phase schedule: 9H + 3 steps, every population's phases inside it, reward in carry+ and update+")
    func scheduleAtDepth() throws {
        var random = SeededGenerator(seed: 0)
        for units in [[20, 12, 8, 10], [20, 10, 8, 7, 10], [8, 4, 4, 4, 4, 4, 4, 4, 3]] {
            let layers = try NBPLayerSizes(units)
            let circuit = try NBPCircuit.training(layers: layers)
            let schedule = NBPPhaseSchedule(hiddenLayers: layers.hiddenLayers)
            #expect(circuit.stepsPerSample == 9 * layers.hiddenLayers + 3)
            #expect(circuit.rewardOffsets.map { $0 + 1 } == schedule.rewardPhases)
            #expect(circuit.populations.filter(\.isGate).count == circuit.stepsPerSample)
            let plastic = circuit.connections.filter { $0.kind == .p }.compactMap(\.matrix)
            #expect(Set(plastic) == Set(NBPCircuit.chipMatrices(try DeepChipTests.weights(units, random: &random)).keys))
            let inference = try NBPCircuit.inference(layers: layers)
            #expect(inference.stepsPerSample == layers.hiddenLayers + 3)
        }
        #expect(throws: NBPError.self) { try NBPCircuit.training(layers: try NBPLayerSizes([8, 4, 4, 4, 4, 4, 4, 4, 4, 3])) }
        #expect(throws: NBPError.self) {
            try NBPCircuit.training(layers: try NBPLayerSizes([8, 4, 4, 3]), replayGate: true)
        }
    }

    @Test("one hidden layer: the chip matrices of the deep weights are the eight of NBPWeights")
    func oneLayerMatricesAgree() throws {
        var generator = SeededGenerator(seed: 5)
        let weights = try NBPWeights.heNormal(sizes: NBPSizes(input: 16, hidden: 9, output: 4), using: &generator)
        #expect(NBPCircuit.chipMatrices(NBPDeepWeights(weights)) == NBPCircuit.chipMatrices(weights))
    }
}
