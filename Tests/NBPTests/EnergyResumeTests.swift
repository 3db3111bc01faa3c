import EnergyModel
import Foundation
import NeuroChip
import SynfireIO
import Testing

@testable import NBP

@Suite("energy counts survive --resume")
struct EnergyResumeTests {
    /// Trains `epochs` epochs straight, and 1 epoch then a resume to `epochs`; returns both
    /// run directories.
    static func straightAndResumed(_ configure: (inout NBPTrainOptions) -> Void, epochs: Int) throws
        -> (straight: String, resumed: String)
    {
        let base = NSTemporaryDirectory() + "nbp-energy-resume-\(UUID().uuidString)"
        var options = NBPTrainOptions(out: base + "/straight")
        options.limit = 24
        options.hidden = 10
        configure(&options)
        options.epochs = epochs
        _ = try NBPRunner.train(options) { _ in }
        options.out = base + "/resumed"
        options.epochs = 1
        _ = try NBPRunner.train(options) { _ in }
        options.resume = true
        options.epochs = epochs
        _ = try NBPRunner.train(options) { _ in }
        return (base + "/straight", base + "/resumed")
    }

    static func expectSameCounts(_ straight: String, _ resumed: String, samples: Int) throws {
        for name in [EnergyCounts.fileName, EnergyCounts.inferenceFileName] {
            let whole = try EnergyCounts.loadFile(straight + "/" + name)
            let continued = try EnergyCounts.loadFile(resumed + "/" + name)
            #expect(whole == continued, "\(name) differs after --resume")
            let data = try Data(contentsOf: URL(fileURLWithPath: straight + "/" + name))
            #expect(data == (try Data(contentsOf: URL(fileURLWithPath: resumed + "/" + name))), "\(name) bytes")
        }
        let training = try #require(try EnergyCounts.loadFile(resumed + "/" + EnergyCounts.fileName).training)
        #expect(training.samples == samples && training.partialSamples == 0)
        let inference = try #require(
            try EnergyCounts.loadFile(resumed + "/" + EnergyCounts.inferenceFileName).inference)
        #expect(inference.samples == samples, "one evaluation of the test set per epoch")
    }

    @Test("chip engine: a run resumed after epoch 1 writes the whole run's counts, equal to an uninterrupted run's")
    func chipRunResumed() throws {
        let (straight, resumed) = try EnergyResumeTests.straightAndResumed({ $0.engine = .chip }, epochs: 2)
        defer { try? FileManager.default.removeItem(atPath: (straight as NSString).deletingLastPathComponent) }
        try EnergyResumeTests.expectSameCounts(straight, resumed, samples: 48)
    }

    @Test("fast engine with energy counts: the same across --resume, three epochs")
    func fastRunResumed() throws {
        let (straight, resumed) = try EnergyResumeTests.straightAndResumed({ $0.energyCounts = true }, epochs: 3)
        defer { try? FileManager.default.removeItem(atPath: (straight as NSString).deletingLastPathComponent) }
        try EnergyResumeTests.expectSameCounts(straight, resumed, samples: 72)
    }

    @Test("appending counts adds every count and refuses another placement")
    func appendingCounts() throws {
        let placement = CoreAllocation(
            populations: [PopulationPlacement(name: "x", cores: [CoreShare(core: 0, count: 4)])],
            cores: [CoreLoad(core: 0, compartments: 4)])
        func counts(_ synapticOps: Int, samples: Int) -> EnergyCounts {
            var recorder = EnergyCountsRecorder(placement: placement, stepsPerSample: [.training: 2])
            for _ in 0..<(2 * samples) {
                recorder.record(
                    [CoreCounts(core: 0, counts: CoreStepCounts(activeCompartments: 4, synapticOps: synapticOps))],
                    mode: .training)
            }
            return recorder.counts(description: "appending")
        }
        let joined = try counts(3, samples: 2).appending(counts(5, samples: 1))
        #expect(joined.training?.samples == 3 && joined.training?.steps == 6)
        #expect(joined.training?.coreTotals.first?.counts.synapticOps == 4 * 3 + 2 * 5)
        #expect(joined.training?.phases?.map(\.samples) == [3, 3])
        #expect(joined.validationProblems() == [])
        var other = counts(5, samples: 1)
        other.placement = CoreAllocation(
            populations: [PopulationPlacement(name: "x", cores: [CoreShare(core: 1, count: 4)])],
            cores: [CoreLoad(core: 1, compartments: 4)])
        #expect(throws: EnergyCountsError.self) { try counts(3, samples: 2).appending(other) }
    }
}
