import Foundation
import NeuroChip
import SynfireArrays
import SynfireIO
import Testing

@Suite("synfire chip run: probe files, threads, bad input")
struct ChipCLITests {
    /// The mixed test network (every connection kind, stochastic learning, probes) as a file.
    static func networkFile(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("net.json").path
        try JSONEncoder().encode(ChipBenchmark.mixedNetwork(seed: 5, steps: 30)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func writesProbesAsNPZAndJSONWithTheSameContent() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let net = try Self.networkFile(in: directory)
        let npz = directory.appendingPathComponent("npz").path
        let json = directory.appendingPathComponent("json").path
        let a = try CLIRunner.run(["chip", "run", net, "--steps", "30", "--threads", "1", "--out", npz, "--json"])
        let b = try CLIRunner.run(
            ["chip", "run", net, "--steps", "30", "--threads", "1", "--probe-format", "json", "--out", json])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(try a.jsonObject()["threads"] as? Int == 1)
        let records = try JSONDecoder().decode(
            [ProbeRecord].self, from: Data(contentsOf: URL(fileURLWithPath: json + "/probes.json")))
        let archive = try NPZArchive.read(from: npz + "/probes.npz")
        #expect(archive == (try RunOutput.probeArchive(records)))
        // Spike samples come back from offsets and indices, value samples row by row.
        let spikes = try #require(records.first { $0.kind == .spikes })
        let offsets = try archive.int32(spikes.name + ".offsets").map(Int.init)
        let indices = try archive.int32(spikes.name + ".indices").map(Int.init)
        #expect(offsets.count == spikes.data.count + 1)
        for (k, sample) in spikes.data.enumerated() { #expect(Array(indices[offsets[k]..<offsets[k + 1]]) == sample) }
        #expect(records.contains { $0.kind == .spikes && $0.data.contains { !$0.isEmpty } })
        let counters = try Data(contentsOf: URL(fileURLWithPath: npz + "/counters.json"))
        #expect(counters == (try Data(contentsOf: URL(fileURLWithPath: json + "/counters.json"))))
    }

    @Test func everyOutputFileIsTheSameOnThreeThreads() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let net = try Self.networkFile(in: directory)
        for format in ["npz", "json"] {
            var files: [[Data]] = []
            for threads in ["1", "3"] {
                let out = directory.appendingPathComponent("\(format)-\(threads)").path
                let result = try CLIRunner.run(
                    ["chip", "run", net, "--steps", "30", "--threads", threads, "--probe-format", format, "--out", out])
                #expect(result.status == 0, "\(result.stderr)")
                files.append(
                    try ["probes.\(format)", "counters.json"].map {
                        try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0))
                    })
            }
            #expect(files[0] == files[1], "\(format)")
        }
    }

    @Test(arguments: ["0", "-2"])
    func refusesANonPositiveThreadCount(threads: String) throws {
        let directory = try CLIRunner.temporaryDirectory()
        let net = try Self.networkFile(in: directory)
        let out = directory.appendingPathComponent("out").path
        let result = try CLIRunner.run(["chip", "run", net, "--steps", "5", "--threads=\(threads)", "--out", out])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--threads \(threads): give at least 1 thread"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// mpirun starting a build without MPI would run the whole network in every rank, each
    /// writing the same files: it is refused, naming the fix.
    @Test func refusesToRunAsAnMPIRankWithoutMPI() throws {
        let directory = try CLIRunner.temporaryDirectory()
        let net = try Self.networkFile(in: directory)
        let out = directory.appendingPathComponent("out").path
        let result = try CLIRunner.run(
            ["chip", "run", net, "--steps", "5", "--out", out], environment: ["OMPI_COMM_WORLD_SIZE": "2"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("this synfire was built without MPI"), "\(result.stderr)")
        #expect(result.stderr.contains("--traits MPI"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
