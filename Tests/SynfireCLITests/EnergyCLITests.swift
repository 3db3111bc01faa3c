import Foundation
import Testing

@Suite("synfire energy report on a fast-engine run (issue 8)")
struct EnergyCLITests {
    @Test func fastRunWithCountsGivesAReportAndPerStepFigures() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let empty = try CLIRunner.temporaryDirectory()
        let run = directory.appendingPathComponent("fast").path
        let train = try CLIRunner.run(
            [
                "nbp", "train", "--engine", "fast", "--energy-counts", "--limit", "30", "--hidden", "16", "--out", run,
                "--json",
            ], environment: ["SYNFIRE_DATA": empty.path])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("energy [loihi-davies2018]: training"))

        let plain = try CLIRunner.run(["energy", "report", run, "--no-write", "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let summary = try plain.jsonObject()
        #expect(summary["train_samples"] as? Int == 30 && summary["infer_samples"] as? Int == 30)
        #expect(summary["train_per_step"] == nil)

        let result = try CLIRunner.run(["energy", "report", run, "--per-step", "--no-write", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.jsonObject()
        let steps = try #require(json["train_per_step"] as? [[String: Any]])
        #expect(steps.count == 12)
        #expect((steps[1]["label"] as? String)?.hasPrefix("phase 1") == true)
        let perSample = try #require(json["train_energy_per_sample_j"] as? Double)
        let sum = steps.compactMap { $0["energy_j"] as? Double }.reduce(0, +)
        #expect(abs(sum / perSample - 1) < 1e-9)
        #expect((json["infer_per_step"] as? [Any])?.count == 4)
        // The flag changes nothing else.
        #expect(json["train_energy_per_sample_j"] as? Double == summary["train_energy_per_sample_j"] as? Double)

        let text = try CLIRunner.run(["energy", "report", run, "--per-step", "--no-write"])
        #expect(text.stdout.contains("Per time step, mean training sample"))
        #expect(text.stdout.contains("phase 11: W1 -= 2"))
    }
}
