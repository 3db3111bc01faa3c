import Foundation
import Testing

@Suite("synfire nbp train / compare: bad options are refused before any output")
struct NBPCLITests {
    /// Each bad option: non-zero exit, a message naming the option and what is allowed,
    /// and no run directory left behind.
    @Test(
        arguments: [
            (["--preset", "fast"], "--preset must be paper, margin, margin-decay or margin-replay"),
            (["--learning-gate", "epoch"], "--learning-gate must be synapse, sample, input or replay"),
            (["--init-scale", "0"], "--init-scale must be positive"),
            (["--margin", "3"], "training margin 3 is not possible: use an even value in 0...254"),
            (["--margin", "256"], "training margin 256 is not possible"),
        ])
    func badTrainOption(arguments: [String], message: String) throws {
        let directory = try CLIRunner.temporaryDirectory()
        let empty = try CLIRunner.temporaryDirectory()
        let run = directory.appendingPathComponent("run").path
        let result = try CLIRunner.run(
            ["nbp", "train", "--limit", "10", "--hidden", "8", "--out", run] + arguments,
            environment: ["SYNFIRE_DATA": empty.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run))
    }

    @Test func compareRefusesADirectoryWithoutARun() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let out = directory.appendingPathComponent("curves").path
        let result = try CLIRunner.run(["nbp", "compare", directory.path, "--out", out])
        #expect(result.status != 0)
        #expect(result.stderr.contains("holds no run (config.json is missing)"), "\(result.stderr)")
        for format in ["png", "svg", "pdf"] { #expect(!FileManager.default.fileExists(atPath: out + "." + format)) }
    }
}
