import ArgumentParser
import Foundation
import NeuroChip

/// Memory of the sparse benchmark network (`bench chip`'s bytes_per_synapse): the peak
/// resident memory of a child process that builds and steps it, minus that of a child
/// building the same populations and generators without synapses, over the synapses. Each
/// figure is a whole process's peak, so nothing measured before (other benchmarks) counts.
enum MemoryProbe {
    /// The child's part: builds `kind` (sparse or none) at `size`, runs 5 steps, prints
    /// `{"max_rss_bytes": ..., "synapses": ...}`.
    static func run(_ spec: String) throws {
        let parts = spec.split(separator: ":")
        guard parts.count == 2, let size = Int(parts[1]), ["sparse", "none"].contains(parts[0]) else {
            throw ValidationError("--memory-probe takes sparse:SIZE or none:SIZE")
        }
        var net = ChipBenchmark.network(compartments: size, density: 0.1, seed: 1)
        let synapses = net.connections.reduce(0) { $0 + ($1.pre?.count ?? 0) }
        if parts[0] == "none" { net.connections = [] }
        let chip = try ChipSimulator(net)
        chip.run(steps: 5)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        try printJSONResult(
            ["max_rss_bytes": usage.ru_maxrss * 1024, "synapses": parts[0] == "none" ? 0 : synapses])
    }

    /// Bytes per synapse of the sparse network of `compartments` compartments.
    static func bytesPerSynapse(compartments: Int) throws -> Double {
        let full = try child("sparse:\(compartments)")
        let empty = try child("none:\(compartments)")
        return Double(full.rss - empty.rss) / Double(max(full.synapses, 1))
    }

    private static func child(_ spec: String) throws -> (rss: Int, synapses: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["bench", "chip", "--memory-probe", spec]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        struct Figures: Decodable {
            var max_rss_bytes: Int
            var synapses: Int
        }
        let line = String(decoding: output, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard process.terminationStatus == 0, let figures = try? JSONDecoder().decode(Figures.self, from: Data(line.utf8))
        else {
            throw ValidationError("the memory measurement (bench chip --memory-probe \(spec)) failed: \(line)")
        }
        return (figures.max_rss_bytes, figures.synapses)
    }
}
