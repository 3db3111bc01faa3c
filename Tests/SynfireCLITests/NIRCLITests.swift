import Foundation
import SynfireArrays
import SynfireIO
import Testing

/// `synfire nir ...` through the binary: --json keys, exit codes, no partial output.
@Suite struct NIRCLITests {
    /// A NIR file for the CLI: the SynfireNIR fixtures sit beside this target's sources.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SynfireNIRTests/Fixtures/\(name).nir").path
    }

    @Test func importRunExportAndEnergyReport() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let net = dir.appendingPathComponent("net.json").path
        let imported = try CLIRunner.run(["nir", "import", Self.fixture("rleaky"), "--out", net, "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let i = try imported.jsonObject()
        for key in ["nodes", "compartments", "synapses", "max_weight_rel_error"] { #expect(i[key] != nil, "\(key)") }
        #expect(i["compartments"] as? Int == 5)

        // 3 inputs; counts of 2 at step 0 need copies of the input channels.
        let spikes = dir.appendingPathComponent("in.npz").path
        try Self.writeSpikes([[2, 1, 0], [1, 1, 1], [0, 0, 1]], to: spikes)
        let runDir = dir.appendingPathComponent("run").path
        let run = try CLIRunner.run(["nir", "run", net, "--input", spikes, "--steps", "6", "--out", runDir, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let r = try run.jsonObject()
        #expect(r["steps"] as? Int == 6)
        #expect((r["output_spike_counts"] as? [Int])?.count == 5)
        #expect(r["seconds"] != nil)
        let energy = try CLIRunner.run(["energy", "report", runDir, "--no-write", "--json"])
        #expect(energy.status == 0, "\(energy.stderr)")
        #expect((try energy.jsonObject()["infer_energy_per_sample_j"] as? Double ?? 0) > 0)

        let exported = dir.appendingPathComponent("back.nir").path
        let export = try CLIRunner.run(["nir", "export", net, "--out", exported, "--json"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try export.jsonObject()["source_kind"] as? String == "description")
    }

    @Test func badInputExitsNonZeroAndLeavesNothing() throws {
        let dir = try CLIRunner.temporaryDirectory()
        let truncated = dir.appendingPathComponent("cut.nir")
        let whole = try Data(contentsOf: URL(fileURLWithPath: Self.fixture("lif_linear")))
        try whole.prefix(2000).write(to: truncated)
        let net = dir.appendingPathComponent("net.json").path
        let bad = try CLIRunner.run(["nir", "import", truncated.path, "--out", net])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("cut.nir"))
        #expect(!FileManager.default.fileExists(atPath: net))

        let good = try CLIRunner.run(["nir", "import", Self.fixture("lif_linear"), "--out", net])
        #expect(good.status == 0, "\(good.stderr)")
        let spikes = dir.appendingPathComponent("wrong.npz").path
        try Self.writeSpikes([[1, 0]], to: spikes)
        let runDir = dir.appendingPathComponent("run").path
        let run = try CLIRunner.run(["nir", "run", net, "--input", spikes, "--out", runDir])
        #expect(run.status != 0)
        #expect(run.stderr.contains("(T, 3)"))
        #expect(!FileManager.default.fileExists(atPath: runDir))
    }

    static func writeSpikes(_ rows: [[Int]], to path: String) throws {
        let values = rows.flatMap { $0.map { Int8($0) } }
        try NPZArchive([("spikes", try NDArray(shape: [rows.count, rows[0].count], int8: values))]).write(to: path)
    }
}
