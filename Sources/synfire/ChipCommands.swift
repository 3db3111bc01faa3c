import ArgumentParser
import Foundation
import NeuroChip
import SynfireIO

/// `synfire chip ...`: run a chip network description, check learning rules.
struct ChipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip",
        abstract: "Run networks on the bit-exact Loihi-like chip simulator.",
        subcommands: [ChipRunCommand.self, ChipCheckRuleCommand.self]
    )
}

/// Errors of the chip commands.
enum ChipCommandError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalidSteps(Int)

    var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason) — check the path"
        case .invalidSteps(let steps):
            return "--steps \(steps) is not positive; give the number of time steps to run"
        }
    }
}

struct ChipRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a network description (JSON) for N steps and write its probes.",
        discussion: """
            The description is validated first; every problem is listed and nothing runs if \
            any is found. Probes are written to DIR/probes.json and the per-core op counters \
            to DIR/counters.json (each written to a temporary file, then renamed).
            """
    )

    @Argument(help: "Network description (JSON).") var network: String
    @Option(help: "Number of time steps.") var steps: Int
    @Option(help: "Directory for probes.json and counters.json.") var out: String?
    @Flag(help: "Print a JSON summary as the last stdout line.") var json = false

    func run() async throws {
        guard steps > 0 else { throw ChipCommandError.invalidSteps(steps) }
        let chip = try Self.loadChecked(network, steps: steps)
        let start = Date()
        Self.run(chip, steps: steps)
        let seconds = Date().timeIntervalSince(start)
        let totals = chip.totals
        if chip.wrapCount > 0 { logLine("warning: \(chip.wrapCount) 24-bit wraps of the current u (see docs/neurochip.md, section Units)") }
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try writeAtomically(encoder.encode(chip.probeRecords), to: "\(out)/probes.json")
            let perCore = Dictionary(
                uniqueKeysWithValues: chip.coreMap.usedCores.map { (String($0), totals.perCore[$0]) })
            try writeAtomically(encoder.encode(perCore), to: "\(out)/counters.json")
            logLine("wrote \(out)/probes.json and \(out)/counters.json")
        }
        let chipTotals = totals.chip
        if json {
            try printJSONResult(
                JSONValue.object([
                    "steps": .integer(steps), "seconds": .number(seconds),
                    "cores": .integer(chip.coreMap.usedCores.count),
                    "spikes": .integer(chipTotals.spikesGenerated), "synaptic_ops": .integer(chipTotals.synapticOps),
                    "plastic_updates_processed": .integer(chipTotals.plasticSynapseUpdatesProcessed),
                    "wraps": .integer(chip.wrapCount), "probes": .integer(chip.probeRecords.count),
                ]))
        } else {
            print(
                "ran \(steps) steps on \(chip.coreMap.usedCores.count) cores in \(String(format: "%.3f", seconds)) s: \(chipTotals.spikesGenerated) spikes, \(chipTotals.synapticOps) synaptic ops"
            )
        }
    }

    /// Reads, validates and compiles the description, and checks the run's limits, before
    /// anything runs; every error names the file (docs/robustness.md).
    static func loadChecked(_ path: String, steps: Int) throws -> ChipSimulator {
        let description = try NetworkDescriptionReader.read(path: path)
        try description.checkRun(steps: steps)
        do {
            return try ChipSimulator(description)
        } catch let error as NetworkValidationError {
            throw NetworkFileError(file: path, problems: error.problems)
        }
    }

    /// Runs in chunks with a progress line on stderr, so a long run shows how far it is
    /// (Ctrl-C stops it; nothing is written before the run ends).
    static func run(_ chip: ChipSimulator, steps: Int) {
        let chunk = 10_000
        guard steps > chunk else { return chip.run(steps: steps) }
        let progress = ProgressLine(label: "chip run", total: steps, unit: "steps")
        var done = 0
        while done < steps {
            let n = min(chunk, steps - done)
            chip.run(steps: n)
            done += n
            progress.update(completed: done)
        }
        progress.finish()
    }

    private func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try data.write(to: URL(fileURLWithPath: temporary))
        // rename(2) replaces the destination atomically, so readers never see a partial file.
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ChipCommandError.unreadable(path: path, reason: "cannot write (errno \(errno))")
        }
    }
}

struct ChipCheckRuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-rule",
        abstract: "Parse a learning rule; print its normalized form or the position of the error.",
        discussion: "Grammar: docs/neurochip.md, section \"Learning engine and rule grammar\", e.g. 'dw = 4*x0*y0*r1 - 2*x0*y0'. Join a dw and a dt rule with ';'."
    )

    @Argument(help: "Rule text, e.g. 'dw = 2^-2*x1*y0 - 2^-2*y1*x0'.") var rule: String
    @Flag(help: "Print a JSON result as the last stdout line.") var json = false

    func run() async throws {
        let set: RuleSet
        do {
            set = try LearningRuleParser.parseSet(rule)
        } catch {
            if json {
                try printJSONResult(
                    JSONValue.object([
                        "valid": .bool(false), "column": .integer(error.column), "token": .string(error.token),
                        "message": .string(error.message),
                    ]))
            }
            throw error
        }
        if json {
            try printJSONResult(
                JSONValue.object([
                    "valid": .bool(true), "normalized": .string(set.normalized),
                    "event_driven_x0": .bool(set.rules.allSatisfy { $0.everyProductContains(.x0) }),
                    "event_driven_y0": .bool(set.rules.allSatisfy { $0.everyProductContains(.y0) }),
                ]))
        } else {
            print(set.normalized)
        }
    }
}

/// `synfire bench chip`: simulator throughput (build with -c release).
struct BenchChipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip",
        abstract: "Synaptic events, compartment updates (and plastic updates) per second on one core.",
        discussion: """
            Blocks of 1,024 compartments, ~5% of sources spiking per step; dense 1,024 x 1,024 \
            and sparse 10% projections; sizes 1k, 4k, 16k, 64k (--quick: up to 16k, < 30 s). \
            --learning adds a dense plastic 400 x 400 projection.
            """
    )

    @Flag(help: "Smaller sizes and shorter runs (under 30 s).") var quick = false
    @Flag(help: "Also measure plastic synapse updates per second.") var learning = false
    @Flag(help: "Print one JSON object as the last stdout line.") var json = false
    @Flag(help: .hidden) var learningOnly = false
    @Option(help: .hidden) var only: String?

    func run() async throws {
        if learningOnly {
            let sweep = try ChipBenchmark.measurePlastic(rule: "sweep", minSeconds: quick ? 0.4 : 1.5)
            print(
                String(
                    format: "sweep rule: %.3g plastic updates/s, %d updates, %d steps, %.3f cpu s, %.3f wall s",
                    sweep.plasticUpdatesPerSecond, sweep.plasticUpdates, sweep.steps, sweep.seconds, sweep.wallSeconds))
            return
        }
        #if DEBUG
            logLine("warning: debug build; figures are meaningless — use swift build -c release")
        #endif
        let sizes = quick ? [1024, 4096, 16384] : [1024, 4096, 16384, 65536]
        let minSeconds = quick ? 0.3 : 1.5
        var rows: [ChipBenchmarkRow] = []
        for kind in ["dense", "sparse", "compartments"] where only == nil || only == kind {
            for size in sizes {
                let row = try ChipBenchmark.measure(kind: kind, compartments: size, minSeconds: minSeconds)
                logLine(
                    String(
                        format:
                            "%@ %6d compartments: %.3g syn events/s, %.3g compartment updates/s (%.1f spikes/step, %d steps)",
                        kind, size, row.synapticEventsPerSecond, row.compartmentUpdatesPerSecond,
                        row.spikesPerStep, row.steps))
                rows.append(row)
            }
        }
        var result: [String: JSONValue] = [:]
        let largest = sizes.last!
        func figure(_ kind: String, _ key: KeyPath<ChipBenchmarkRow, Double>) -> Double {
            rows.first { $0.kind == kind && $0.compartments == largest }.map { $0[keyPath: key] } ?? 0
        }
        result["dense_syn_events_per_s"] = .number(figure("dense", \.synapticEventsPerSecond))
        result["sparse_syn_events_per_s"] = .number(figure("sparse", \.synapticEventsPerSecond))
        result["compartment_updates_per_s"] = .number(figure("compartments", \.compartmentUpdatesPerSecond))
        result["size"] = .integer(largest)
        if learning {
            let sweep = try ChipBenchmark.measurePlastic(rule: "sweep", minSeconds: minSeconds)
            let nbp = try ChipBenchmark.measurePlastic(rule: "nbp", minSeconds: minSeconds)
            logLine(
                String(
                    format:
                        "plastic 400x400: %.3g rule evaluations/s (sweep rule); nBP rule: %.3g chip synapse updates/s",
                    sweep.plasticUpdatesPerSecond, nbp.plasticUpdatesPerSecond))
            rows += [sweep, nbp]
            result["plastic_updates_per_s"] = .number(sweep.plasticUpdatesPerSecond)
            result["nbp_rule_chip_synapse_updates_per_s"] = .number(nbp.plasticUpdatesPerSecond)
        }
        result["table"] = .array(
            rows.map { row in
                .object([
                    "kind": .string(row.kind), "compartments": .integer(row.compartments), "steps": .integer(row.steps),
                    "cpu_seconds": .number(row.seconds), "wall_seconds": .number(row.wallSeconds),
                    "spikes_per_step": .number(row.spikesPerStep),
                    "syn_events_per_s": .number(row.synapticEventsPerSecond),
                    "compartment_updates_per_s": .number(row.compartmentUpdatesPerSecond),
                    "plastic_updates_per_s": .number(row.plasticUpdatesPerSecond),
                ])
            })
        if json {
            try printJSONResult(JSONValue.object(result))
        } else {
            for row in rows {
                print(
                    String(
                        format: "%-14@ %6d  syn/s %.3g  comp/s %.3g  plastic/s %.3g", row.kind, row.compartments,
                        row.synapticEventsPerSecond, row.compartmentUpdatesPerSecond, row.plasticUpdatesPerSecond))
            }
        }
    }
}
