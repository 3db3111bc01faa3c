import ArgumentParser
import Foundation
import NeuroChip
import SynfireArrays
import SynfireIO

/// `synfire chip generate`: a large benchmark network as a short description.
struct ChipGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a benchmark network of blocks with random synapses (any size, a short JSON).",
        discussion: """
            Blocks of --block compartments that fire about every 20 steps on their own bias; \
            each receives --fan-in random synapses per compartment, half from itself and half \
            from the next block (docs/neurochip.md, "Large networks"). The synapses are drawn \
            by the simulator from the network's seed, so `synfire chip run FILE` builds the \
            same network every time.
            """
    )

    /// What to write.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case blocks, mixed
    }

    @Option(
        help:
            "blocks (the scale benchmark) or mixed (the small network with every connection kind, stochastic learning and probes that the tests use)."
    )
    var kind: Kind = .blocks
    @Option(help: "Compartments in all (blocks).") var compartments = 65536
    @Option(help: "Random synapses per compartment.") var fanIn = 100
    @Option(help: "Compartments per block (population).") var block = 1024
    @Option(help: "Seed of the synapses' draws.") var seed: UInt64 = 1
    @Option(help: "Output file (JSON).") var out: String
    @OptionGroup var json: JSONOutputOption

    func validate() throws {
        guard compartments >= 1 else { throw ValidationError("--compartments \(compartments): give at least 1") }
        guard fanIn >= 0 else { throw ValidationError("--fan-in \(fanIn): give 0 or more synapses per compartment") }
        guard (1...65536).contains(block) else { throw ValidationError("--block \(block): use 1...65536") }
    }

    func run() async throws {
        let net =
            kind == .blocks
            ? NetworkGenerator.blocks(compartments: compartments, fanIn: fanIn, block: block, seed: seed)
            : ChipBenchmark.mixedNetwork(seed: seed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(data: try encoder.encode(net), to: out)
        let synapses = NetworkGenerator.synapseCount(net)
        let size = net.populations.reduce(0) { $0 + $1.size }
        logLine("wrote \(out): \(net.populations.count) populations, \(size) compartments")
        if json.enabled {
            try printJSONResult(
                JSONValue.object([
                    "file": .string(out), "compartments": .integer(size), "random_synapses": .integer(synapses),
                    "populations": .integer(net.populations.count), "connections": .integer(net.connections.count),
                ]))
        }
    }
}

/// `synfire bench chip-scale`: cost per step from 1k to 1M compartments.
struct BenchChipScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip-scale",
        abstract: "Cost per compartment and per synaptic event, memory per synapse, from 1k to 1M compartments.",
        discussion: """
            Each size runs the `chip generate` network in its own child process (build, \
            --steps steps) and once more without synapses: bytes_per_synapse is the \
            difference of the two peak resident sizes over the synapses. --plot writes the \
            cost curves as PATH.png, PATH.svg and PATH.pdf.
            """
    )

    @Option(help: "Comma-separated sizes.") var sizes = "1024,4096,16384,65536,262144,1048576"
    @Option(help: "Random synapses per compartment.") var fanIn = 100
    @Option(help: "Measured steps per size.") var steps = 50
    @OptionGroup var threading: ThreadsOption
    @Option(help: "Write the plot to PATH.png, PATH.svg and PATH.pdf.") var plot: String?
    @OptionGroup var json: JSONOutputOption
    /// Child process: one size, prints its figures.
    @Option(help: .hidden) var child: Int?

    func run() async throws {
        if let child {
            return try printJSONResult(ScaleRun.measure(compartments: child, fanIn: fanIn, steps: steps, threads: threading.resolved()))
        }
        let list = sizes.split(separator: ",").compactMap { Int($0) }
        guard !list.isEmpty else { throw ValidationError("--sizes: give sizes like 1024,4096") }
        var rows: [[String: JSONValue]] = []
        for size in list {
            let full = try ScaleRun.child(size: size, fanIn: fanIn, steps: steps, threads: threading.resolved())
            let empty = try ScaleRun.child(size: size, fanIn: 0, steps: 1, threads: 1)
            let row = ScaleRun.row(full, baseline: empty)
            logLine(
                String(
                    format: "%8d compartments, %10d synapses: %.1f steps/s, %.2f ns/compartment-step, %.2f ns/event, %.2f B/synapse, peak %.0f MiB",
                    size, full.synapses, row.stepsPerSecond, row.nsPerCompartmentStep, row.nsPerEvent,
                    row.bytesPerSynapse, Double(full.maxRSSBytes) / 1_048_576))
            rows.append(row.json(full))
        }
        var files: [String] = []
        if let plot {
            files = try ScaleRun.plot(rows, fanIn: fanIn).write(to: plot)
            logLine("wrote \(files.joined(separator: ", "))")
        }
        if json.enabled {
            try printJSONResult(
                JSONValue.object([
                    "fan_in": .integer(fanIn), "steps": .integer(steps), "threads": .integer(threading.resolved()),
                    "table": .array(rows.map { .object($0) }), "plots": .array(files.map { .string($0) }),
                ]))
        }
    }
}
