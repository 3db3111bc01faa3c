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
            (["--init-scale", "0"], "--init-scale 0.0 must be a finite number in (0, 100]"),
            (["--init-scale", "inf"], "--init-scale inf must be a finite number"),
            (["--init-scale", "nan"], "--init-scale nan must be a finite number"),
            (["--epochs", "-1"], "--epochs -1 is outside 1...1000000"),
            (["--epochs", "2147483647"], "--epochs 2147483647 is outside 1...1000000"),
            (["--epochs", "9223372036854775807"], "--epochs 9223372036854775807 is outside"),
            (["--hidden", "2147483647"], "--hidden 2147483647 is outside 1...16384"),
            (["--hidden", "1000000000"], "--hidden 1000000000 is outside"),
            (["--hidden", "9223372036854775807"], "--hidden 9223372036854775807 is outside"),
            (["--margin", "3"], "training margin 3 is not possible: use an even value in 0...254"),
            (["--margin", "256"], "training margin 256 is not possible"),
        ])
    func badTrainOption(arguments: [String], message: String) throws {
        let directory = try CLIRunner.temporaryDirectory()
        let empty = try CLIRunner.temporaryDirectory()
        let run = directory.appendingPathComponent("run").path
        let result = try CLIRunner.run(
            ["nbp", "train", "--limit", "10", "--out", run] + (arguments.contains("--hidden") ? [] : ["--hidden", "8"])
                + arguments,
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
