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

    /// A circuit too large for the simulated chip is the user's choice, not a bug: the
    /// message names the limit that was hit and what to change. (Should the chip grow to
    /// hold it, the run must simply succeed.)
    @Test func aCircuitTooLargeForTheChipSaysWhichLimitAndWhatToChange() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let empty = try CLIRunner.temporaryDirectory()
        let run = directory.appendingPathComponent("run").path
        let result = try CLIRunner.run(
            ["nbp", "train", "--engine", "chip", "--hidden", "3200", "--limit", "4", "--epochs", "1", "--out", run],
            environment: ["SYNFIRE_DATA": empty.path])
        if result.status != 0 {
            #expect(result.stderr.contains("does not fit the simulated chip"), "\(result.stderr)")
            #expect(result.stderr.contains("cores"), "\(result.stderr)")
            #expect(result.stderr.contains("--hidden") && result.stderr.contains("--engine fast"), "\(result.stderr)")
            #expect(!result.stderr.contains("report it"), "\(result.stderr)")
            #expect(!result.stderr.contains("disagrees"), "\(result.stderr)")
            // Refused before the first epoch: no run directory (config.json, tb/) is left.
            #expect(!FileManager.default.fileExists(atPath: run), "\(run) was left behind")
        } else {
            #expect(FileManager.default.fileExists(atPath: run + "/weights.npz"))
        }
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
