import ArgumentParser
import Foundation
import SynfireIO

/// `synfire bench io`: npz, checkpoint and plot throughput.
struct BenchIOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io",
        abstract:
            "Time .npz write/read (stored and deflated), checkpoint save/load and plot rendering.",
        discussion:
            "Reports the best of --repeats runs; files go to a temporary directory and are removed."
    )

    @Option(help: "Float32 elements in the benchmark array (4,000,000 = 16 MB).") var elements =
        4_000_000
    @Option(help: "Runs per figure; the best is reported.") var repeats = 3
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        guard elements > 0, (1...100).contains(repeats) else {
            throw ValidationError("--elements must be positive and --repeats in 1...100")
        }
        #if DEBUG
            logLine("warning: debug build — benchmark figures need `swift build -c release`")
        #endif
        let directory = NSTemporaryDirectory() + "synfire-bench-io-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try IOBenchmark.run(directory: directory, elements: elements, repeats: repeats)
        for key in result.figures.keys.sorted() {
            logLine(
                key.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "%.3f", result.figures[key]!))
        }
        if json.enabled {
            try printJSONResult(JSONValue.object(result.figures.mapValues { JSONValue.number($0) }))
        }
    }
}
