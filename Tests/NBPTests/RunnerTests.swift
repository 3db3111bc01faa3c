import EnergyModel
import Foundation
import SynfireIO
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
    }
}
