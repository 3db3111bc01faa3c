import EnergyModel
import Foundation
import SynfireData
import SynfireIO
import SynfireTensorBoard
import Testing

@testable import NBP

@Suite("nbp train run directories")
struct RunnerTests {
    @Test("chip engine with --compare-fast: no mismatches, valid energy counts, plots, resumable")
    func chipRunWritesEverything() throws {
        let directory = NSTemporaryDirectory() + "nbp-run-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = NBPTrainOptions(out: directory)
        options.limit = 40
        options.hidden = 12
        options.engine = .chip
        options.compareFast = true
        let result = try NBPRunner.train(options) { _ in }
        #expect(result.weightMismatches == 0)
        #expect(result.gateViolations == 0)
        #expect(result.samples == 40)
        let counts = try EnergyCounts.load(runDirectory: directory)
        #expect(counts.training?.samples == 40)
        #expect(counts.training?.stepsPerSample == 12)
        for plot in ["learning-curve", "spike-raster", "receptive-fields"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/plots/\(plot).svg"))
        }
        // Resume to a second epoch: the stored weights are the starting point.
        options.resume = true
        options.epochs = 2
        let resumed = try NBPRunner.train(options) { _ in }
        #expect(try RunDirectory.open(at: directory).readMetrics().count == 2)
        #expect(resumed.weightMismatches == 0)
        let evaluated = try NBPRunner.evaluate(runDirectory: directory, dataDirectory: nil)
        #expect(evaluated.exact == resumed.testExact)
        // The confusion matrix counts every test image once; its diagonal is argmax-input.
        let (engine, set) = try NBPRunner.testEngine(runDirectory: directory, dataDirectory: nil)
        let confusion = NBPPlots.confusionMatrix(engine: engine, set: set, title: "t").counts
        #expect(confusion.joined().reduce(0, +) == set.count)
        let diagonal = (0..<10).reduce(0) { $0 + confusion[$1][$1] }
        #expect(Double(diagonal) / Double(set.count) == evaluated.argmaxInput)
        // TensorBoard: each epoch once across both sessions' files, the weights, the figures.
        var steps: [String: [Int64]] = [:]
        for path in EventFile.paths(in: directory + "/tb") {
            for event in try EventFile.events(at: path) {
                for value in event.summary.value { steps[value.tag, default: []].append(event.step) }
            }
        }
        for tag in ["test/exact", "test/argmax", "train/exact", "train/update_probability", "weights/W1"] {
            #expect(steps[tag] == [1, 2], "\(tag)")
        }
        #expect(steps["plots/receptive-fields"] == [1, 2])
    }

    @Test("the raster names every population of the circuit, the gates in one band")
    func rasterLabelsEveryPopulation() throws {
        var generator = SeededGenerator(seed: 3)
        let weights = try NBPWeights.heNormal(sizes: NBPSizes(input: 16, hidden: 6, output: 10), using: &generator)
        let set = NBPEncodedSet(
            name: "toy", binaryImages: (0..<16).map { UInt8($0 % 2) }, inputCount: 16, labels: [3])
        let plot = try NBPPlots.raster(weights: weights, set: set)
        let labels = Set(DrawingRecorder(plot).strings)
        let circuit = try NBPChipEngine(weights: weights).circuit
        for population in circuit.populations where !population.isGate {
            #expect(labels.contains("\(population.name) (\(population.size))"), "\(population.name)")
        }
        #expect(labels.contains("gates (12)"))
    }

    @Test(
        "with the schedule (per-synapse rounding or replay gates), a resumed run ends with the same weights as an uninterrupted one",
        arguments: [NBPLearningGate.synapse, .replay])
    func scheduleResumeIsExact(gate: NBPLearningGate) throws {
        let base = NSTemporaryDirectory() + "nbp-resume-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        var options = NBPTrainOptions(out: base + "/straight")
        options.limit = 60
        options.hidden = 10
        options.epochs = 3
        options.schedule = NBPLearningSchedule(initialExponent: 1, gate: gate)
        _ = try NBPRunner.train(options) { _ in }
        options.out = base + "/resumed"
        options.epochs = 1
        _ = try NBPRunner.train(options) { _ in }
        options.resume = true
        options.epochs = 3
        _ = try NBPRunner.train(options) { _ in }
        let straight = try NBPWeightsFile.read(base + "/straight/weights.npz")
        let resumed = try NBPWeightsFile.read(base + "/resumed/weights.npz")
        #expect(straight == resumed)
        let checkpoint = try #require(try RunDirectory.open(at: base + "/resumed").loadCheckpoint())
        if gate == .synapse {
            #expect(checkpoint.arrays["W2Tp"] != nil, "the checkpoint keeps the drifted copies")
        }
    }
}
