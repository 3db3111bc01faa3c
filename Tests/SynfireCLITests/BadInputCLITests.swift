import Foundation
import Testing

/// The command-line reproducers of docs/robustness.md: each exits non-zero with a message
/// naming the problem (and file) and the fix, and leaves no output behind.
@Suite("synfire refuses absurd input before it allocates or runs")
struct BadInputCLITests {
    func write(_ text: String, to name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(
        arguments: [
            (
                ["nbp", "circuit", "--sizes", "1000000-1000000-10", "--json"],
                "layer sizes 1000000-1000000-10 are invalid"
            ),
            (
                ["energy", "nbp-estimate", "--inputs", "9223372036854775807"],
                "--inputs 9223372036854775807 is outside 1...4096"
            ),
            (["energy", "nbp-estimate", "--input-on-fraction", "nan"], "--input-on-fraction nan is not a fraction"),
            (["energy", "nbp-estimate", "--hidden-on-fraction", "2"], "--hidden-on-fraction 2.0 is not a fraction"),
        ])
    func sizesAndFractionsAreBounded(arguments: [String], fragment: String) throws {
        let result = try CLIRunner.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"))
    }

    /// `runs plot --target nan|1e308|-inf` trapped; metrics holding 1e308 still plot.
    @Test func runsPlotBoundsItsNumbers() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let run = directory.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        _ = try write(
            #"{"command":"test","commit":"x","createdAt":"now","datasets":[],"formatVersion":1,"parameters":{},"seed":1,"synfireVersion":"0.1.0"}"#,
            to: "run/config.json", in: directory)
        _ = try write(
            "{\"epoch\":1,\"fooAccuracy\":1e308}\n{\"epoch\":2,\"fooAccuracy\":-1e308}\n{\"epoch\":3,\"testAccuracy\":0.5}\n",
            to: "run/metrics.jsonl", in: directory)
        for target in ["nan", "1e308", "-inf"] {
            let result = try CLIRunner.run(["runs", "plot", run.path, "--target=\(target)"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("is not an accuracy"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("plots").path))
        let result = try CLIRunner.run(["runs", "plot", run.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("plots/learning-curve.png").path))
    }

    /// A gzip whose trailer claims 4 GiB and an IDX header claiming 2^96 bytes, under a
    /// 1.5 GB address-space limit: clean errors, where the old reader allocated 4 GiB.
    @Test func dataInfoStaysWithinMemory() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let forged: [UInt8] = [
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 12, 0, 0xf3, 0xff, 0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4,
            0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        ]
        let gz = directory.appendingPathComponent("labels.gz").path
        try Data(forged).write(to: URL(fileURLWithPath: gz))
        let idx = directory.appendingPathComponent("images.idx").path
        try Data([0, 0, 8, 3] + [UInt8](repeating: 0xff, count: 12)).write(to: URL(fileURLWithPath: idx))
        // AddressSanitizer reserves terabytes of shadow memory: no address-space limit there.
        let limit = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil ? "ulimit -v 1500000; " : ""
        for (path, fragment) in [(gz, "not a valid gzip stream"), (idx, "need more than the 512 MiB")] {
            let result = try CLIRunner.run(
                [
                    "-c", "\(limit)exec \"$0\" data info --file \"$1\" --json", CLIRunner.executable.path,
                    path,
                ],
                executable: URL(fileURLWithPath: "/bin/sh"))
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.contains(path) && result.stderr.contains(fragment), "\(result.stderr)")
        }
    }

    /// chip run: unknown keys, a 2^62-compartment population and step counts near 2^31 and
    /// 2^63 are refused before anything runs; no output directory appears.
    @Test func chipRunRefusesBeforeRunning() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let out = directory.appendingPathComponent("out").path
        let typo = try write(
            #"{"populations":[{"name":"a","size":2,"vthMantissa":4,"refactory":3}]}"#, to: "typo.json", in: directory)
        let huge = try write(
            #"{"populations":[{"name":"a","size":4611686018427387904,"vthMantissa":4}]}"#, to: "huge.json",
            in: directory)
        let probed = try write(
            #"{"populations":[{"name":"a","size":100,"vthMantissa":4}],"probes":[{"kind":"v","target":"a"}]}"#,
            to: "probed.json", in: directory)
        let cases: [([String], String)] = [
            ([typo, "--steps", "5"], "\(typo): invalid network description"),
            ([typo, "--steps", "5"], "populations[0]: unknown key 'refactory'"),
            ([huge, "--steps", "5"], "\(huge): invalid network description"),
            ([huge, "--steps", "5"], "size 4611686018427387904; use 1...131072"),
            ([probed, "--steps", "2147483647"], "--steps 2147483647 would make the probes record"),
            ([probed, "--steps", "9223372036854775807"], "--steps 9223372036854775807 is more than 2147483647"),
        ]
        for (arguments, fragment) in cases {
            let result = try CLIRunner.run(["chip", "run"] + arguments + ["--out", out, "--json"])
            #expect(result.status != 0)
            #expect(result.stderr.contains(fragment), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    /// A long legal run reports progress on stderr and finishes.
    @Test func longChipRunShowsProgress() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let net = try write(#"{"populations":[{"name":"a","size":1,"vthMantissa":4}]}"#, to: "one.json", in: directory)
        let result = try CLIRunner.run(["chip", "run", net, "--steps", "20001", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("chip run") && result.stderr.contains("20001/20001"), "\(result.stderr)")
        #expect(try result.jsonObject()["steps"] as? Int == 20001)
    }
}
