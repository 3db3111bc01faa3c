import EnergyModel
import Foundation
import NeuroChip
import Testing

@testable import SynfireNIR

@Suite struct RunTests {
    /// input(2) -> w (weight 5 on the diagonal) -> lif(2): each input spike alone lifts v
    /// by dt/tau * r * 5 = 0.05 (dt 1e-4, tau 0.01), so a count of 40 in one step crosses
    /// the threshold of 1 at once, and the same 40 as 0/1 spikes never does.
    @Test func countsAboveOneFireCopiesOfTheChannel() throws {
        let result = try NIRImporter.convert(NIRDocument(version: "1.0.8", graph: Graphs.small()))
        var input = [[Int]](repeating: [0, 0], count: 4)
        input[0] = [40, 1]
        let run = try NIRRunner.run(result.chip, input: input, steps: 4)
        #expect(run.inputCopies == 40)
        #expect(run.spikes[1] == [1, 0])
        #expect(run.outputSpikeCounts == [1, 0])
        #expect(run.energyCounts.inference?.samples == 1)
        #expect(run.energyCounts.inference?.stepsPerSample == 4)
    }

    @Test func readoutVoltageIsTracedInTheGraphsUnits() throws {
        var graph = Graphs.small()
        graph.nodes["lif"] = NIRNode(
            type: .li,
            parameters: ["tau": .float64([1e-3, 1e-3]), "r": .float64([1, 1]), "v_leak": .float64([0, 0])])
        let result = try NIRImporter.convert(NIRDocument(version: "1.0.8", graph: graph))
        let run = try NIRRunner.run(result.chip, input: [[1, 0], [0, 0]], steps: 3)
        // Step 1 (one step after the spike): v = dt/tau * r * 5 = 0.5, then 0.45.
        let trace = try #require(run.traces["lif"])
        #expect(abs(trace[1][0] - 0.5) < 1e-3)
        #expect(abs(trace[2][0] - 0.45) < 1e-3)
        #expect(trace[1][1] == 0)
        #expect(run.outputSpikeCounts == [0, 0])
    }

    @Test func runDirectoryHoldsEverythingTheEnergyReportNeeds() throws {
        let result = try NIRImporter.importFile(path: try fixture("rleaky"))
        let run = try NIRRunner.run(result.chip, input: Array(repeating: [1, 1, 1], count: 20), steps: 20)
        let dir = try temporaryDirectory() + "/run"
        let summary = NIRRunSummary(
            steps: 20, outputSpikeCounts: run.outputSpikeCounts, seconds: 0, inputs: 3, outputs: 5, compartments: 5,
            synapses: 40, inputCopies: 1, wraps: 0, synapticOps: 0, spikes: 0, runDirectory: dir)
        try NIRRunDirectory.write(run, chip: result.chip, input: [], summary: summary, to: dir)
        for file in ["output.npz", "energy_counts.json", "counters.json", "result.json", "plots/raster.png"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + file), "\(file)")
        }
        let counts = try EnergyCounts.load(runDirectory: dir)
        let report = EnergyReport(counts: counts, table: .davies2018)
        #expect((report.summary(.inference)?.meanEnergyPJ ?? 0) > 0)
    }
}
