import ArgumentParser
import Foundation
import NeuroChip
import SynfireIO

/// `synfire chip ...`: run a chip network description, check learning rules.
struct ChipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip",
        abstract: "Run networks on the bit-exact Loihi-like chip simulator.",
        subcommands: [ChipRunCommand.self, ChipGenerateCommand.self, ChipCheckRuleCommand.self]
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
        abstract: "Run a network description (JSON) for N steps and write its probes and counters.",
        discussion: """
            The description is validated first; every problem is listed and nothing runs if \
            any is found. Probes are written to DIR/probes.npz (--probe-format json: \
            DIR/probes.json) and the per-core op counters to DIR/counters.json, each to a \
            temporary file, then renamed. The cores are split over --threads threads; under \
            mpirun (a build with --traits MPI) also over the ranks, and rank 0 writes the same \
            files one process writes (docs/neurochip.md, "Threads and ranks").
            """
    )

    @Argument(help: "Network description (JSON).") var network: String
    @Option(help: "Number of time steps.") var steps: Int
    @Option(help: "Directory for the probes and counters.json.") var out: String?
    @Option(help: "Probe file format: npz (probes.npz) or json (probes.json).") var probeFormat: ProbeFormat = .npz
    @OptionGroup var threading: ThreadsOption
    @OptionGroup var json: JSONOutputOption
    /// Testing the job's failure path: rank R exits with an error at step S.
    @Option(help: .hidden) var failRank: Int?
    @Option(help: .hidden) var failStep: Int = 0

    func run() async throws {
        guard steps > 0 else { throw ChipCommandError.invalidSteps(steps) }
        let description = try NetworkDescriptionReader.read(path: network)
        try description.checkRun(steps: steps)
        let processes = try ChipProcesses.start()
        defer { processes.finish() }
        let chip = try processes.rankFailure {
            do {
                return try ChipSimulator(
                    description,
                    execution: ChipExecution(
                        threads: threading.resolved(ranks: processes.ranks), exchange: processes.exchange))
            } catch let error as NetworkValidationError {
                throw NetworkFileError(file: network, problems: error.problems)
            }
        }
        let start = Date()
        // A progress line on stderr for long runs (Ctrl-C stops; nothing is written before the end).
        let progress =
            steps > 10_000 && processes.rank == 0 ? ProgressLine(label: "chip run", total: steps, unit: "steps") : nil
        for s in 0..<steps {
            if processes.rank == failRank && s == failStep {
                logLine("rank \(processes.rank): stopping at step \(s) as --fail-rank asked")
                processes.abort(code: 3)
            }
            chip.step()
            if (s + 1) % 10_000 == 0 { progress?.update(completed: s + 1) }
        }
        progress?.update(completed: steps)
        progress?.finish()
        let seconds = Date().timeIntervalSince(start)
        chip.combineRanks()
        guard processes.rank == 0 else { return }
        if chip.wrapCount > 0 {
            logLine("warning: \(chip.wrapCount) 24-bit wraps of the current u (see docs/neurochip.md, section Units)")
        }
        if let out {
            let files = try RunOutput.write(chip, to: out, probes: probeFormat)
            logLine("wrote \(files.joined(separator: " and "))")
        }
        let totals = chip.totals.chip
        if json.enabled {
            try printJSONResult(
                JSONValue.object([
                    "steps": .integer(steps), "seconds": .number(seconds),
                    "cores": .integer(chip.coreMap.usedCores.count), "chips": .integer(chip.coreMap.chips),
                    "threads": .integer(chip.execution.threads), "ranks": .integer(processes.ranks),
                    "spikes": .integer(totals.spikesGenerated), "synaptic_ops": .integer(totals.synapticOps),
                    "plastic_updates_processed": .integer(totals.plasticSynapseUpdatesProcessed),
                    "wraps": .integer(chip.wrapCount), "probes": .integer(chip.probeRecords.count),
                ].merging(Self.exchangeFigures(processes, steps: steps)) { $1 }))
        } else {
            print(
                "ran \(steps) steps on \(chip.coreMap.usedCores.count) cores in \(String(format: "%.3f", seconds)) s: \(totals.spikesGenerated) spikes, \(totals.synapticOps) synaptic ops"
            )
        }
    }
}

extension ChipRunCommand {
    /// Under mpirun: rank 0's time per step in the spike exchange (waiting for the slower
    /// rank included) and the bytes each rank receives per step (docs/neurochip.md,
    /// "Beyond this machine, on paper").
    static func exchangeFigures(_ processes: ChipProcesses, steps: Int) -> [String: JSONValue] {
        guard let cost = processes.exchangeCost, cost.exchanges > 0 else { return [:] }
        return [
            "exchange_us_per_step": .number(cost.seconds / Double(cost.exchanges) * 1e6),
            "exchange_bytes_per_step": .integer(cost.bytesPerExchange),
        ]
    }
}

struct ChipCheckRuleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-rule",
        abstract: "Parse a learning rule; print its normalized form or the position of the error.",
        discussion: "Grammar: docs/neurochip.md, section \"Learning engine and rule grammar\", e.g. 'dw = 4*x0*y0*r1 - 2*x0*y0'. Join a dw and a dt rule with ';'."
    )

    @Argument(help: "Rule text, e.g. 'dw = 2^-2*x1*y0 - 2^-2*y1*x0'.") var rule: String
    @OptionGroup var json: JSONOutputOption

    func run() async throws {
        let set: RuleSet
        do {
            set = try LearningRuleParser.parseSet(rule)
        } catch {
            if json.enabled {
                try printJSONResult(
                    JSONValue.object([
                        "valid": .bool(false), "column": .integer(error.column), "token": .string(error.token),
                        "message": .string(error.message),
                    ]))
            }
            throw error
        }
        if json.enabled {
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
        abstract: "Synaptic events, compartment updates (and plastic updates) per second, on N threads or MPI ranks.",
        discussion: """
            Blocks of 1,024 compartments, ~5% of sources spiking per step; dense 1,024 x 1,024 \
            and sparse 10% projections; sizes 1k, 4k, 16k, 64k (--quick: up to 16k). Rates are \
            per wall second on --threads threads (and ranks under mpirun). At the largest size \
            each kind also runs on one thread in the same process (under mpirun on rank 0 \
            alone, the other ranks waiting), batch for batch (speedup_vs_1_thread, the \
            smallest of the three), and the two are compared, as is a \
            mixed network with stochastic learning (identical_to_1_thread). bytes_per_synapse: \
            peak memory of the sparse network over its synapses, net of the same network \
            without synapses (each built in a child process). --learning adds a dense plastic \
            400 x 400 projection on one thread.
            """
    )

    @Flag(help: "Smaller sizes and shorter runs.") var quick = false
    @Flag(help: "Also measure plastic synapse updates per second.") var learning = false
    @OptionGroup var threading: ThreadsOption
    @OptionGroup var json: JSONOutputOption
    @Flag(help: .hidden) var learningOnly = false
    @Option(help: .hidden) var only: String?
    /// Child process of the memory figure: KIND:SIZE (sparse or none), prints its peak RSS.
    @Option(help: .hidden) var memoryProbe: String?

    func run() async throws {
        if let memoryProbe { return try MemoryProbe.run(memoryProbe) }
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
        // A block of 1,024 compartments takes one core; every rank needs a core of its own.
        let ranks = ChipProcesses.launchedRanks
        let sizes = (quick ? [1024, 4096, 16384] : [1024, 4096, 16384, 65536]).filter { $0 >= 1024 * ranks }
        guard !sizes.isEmpty else {
            throw ValidationError("bench chip: \(ranks) ranks but the largest network has \(quick ? 16 : 64) cores; use fewer ranks")
        }
        let largest = sizes.last!
        // Child processes only from the first process: under mpirun before MPI starts.
        let memory = ChipProcesses.launchedRank == 0 ? try MemoryProbe.bytesPerSynapse(compartments: largest) : nil
        let processes = try ChipProcesses.start()
        defer { processes.finish() }
        let execution = try processes.rankFailure {
            let execution = ChipExecution(threads: threading.resolved(ranks: processes.ranks), exchange: processes.exchange)
            _ = try ChipSimulator(ChipBenchmark.mixedNetwork(seed: 1, steps: 1), execution: execution)
            return execution
        }
        var result = try measure(sizes: sizes, execution: execution, rank: processes.rank)
        result["threads"] = .integer(execution.threads)
        if processes.exchange != nil { result["ranks"] = .integer(processes.ranks) }
        result["bytes_per_synapse"] = memory.map { .number($0) } ?? .null
        guard processes.rank == 0 else { return }
        if json.enabled {
            try printJSONResult(JSONValue.object(result))
        } else if case .array(let rows)? = result["table"] {
            for case .object(let row) in rows { print(row.keys.sorted().map { "\($0)=\(row[$0]!)" }.joined(separator: " ")) }
        }
    }

    /// Every kind and size on `execution`, the largest also on one thread; the JSON keys.
    private func measure(sizes: [Int], execution: ChipExecution, rank: Int) throws -> [String: JSONValue] {
        let minSeconds = quick ? 0.3 : 1.5
        var rows: [(row: ChipBenchmarkRow, threads: Int)] = []
        var pairs: [String: ChipBenchmarkPair] = [:]
        for kind in ["dense", "sparse", "compartments"] where only == nil || only == kind {
            for size in sizes {
                let row: ChipBenchmarkRow
                if size == sizes.last! {
                    let pair = try ChipBenchmark.measurePair(
                        kind: kind, compartments: size, minSeconds: minSeconds, execution: execution)
                    pairs[kind] = pair
                    row = pair.parallel
                    rows.append((pair.single, 1))
                } else {
                    row = try ChipBenchmark.measure(kind: kind, compartments: size, minSeconds: minSeconds, execution: execution)
                }
                if rank == 0 {
                    logLine(
                        String(
                            format: "%@ %6d compartments: %.3g syn events/s, %.3g compartment updates/s (%.1f spikes/step, %d steps)",
                            kind, size, row.synapticEventsPerSecond, row.compartmentUpdatesPerSecond, row.spikesPerStep,
                            row.steps))
                }
                rows.append((row, execution.threads))
            }
        }
        let mixed = try ChipBenchmark.mixedNetworkMatches(execution: execution)
        var result: [String: JSONValue] = [:]
        func figure(_ kind: String, _ key: KeyPath<ChipBenchmarkRow, Double>) -> Double {
            pairs[kind].map { $0.parallel[keyPath: key] } ?? 0
        }
        result["dense_syn_events_per_s"] = .number(figure("dense", \.synapticEventsPerSecond))
        result["sparse_syn_events_per_s"] = .number(figure("sparse", \.synapticEventsPerSecond))
        result["compartment_updates_per_s"] = .number(figure("compartments", \.compartmentUpdatesPerSecond))
        result["speedup_vs_1_thread"] = .number(pairs.values.map(\.speedup).min() ?? 0)
        result["speedups"] = .object(pairs.mapValues { .number($0.speedup) })
        result["identical_to_1_thread"] = .bool(mixed && pairs.values.allSatisfy(\.identical) && !pairs.isEmpty)
        result["size"] = .integer(sizes.last!)
        if learning {
            let sweep = try ChipBenchmark.measurePlastic(rule: "sweep", minSeconds: minSeconds)
            let nbp = try ChipBenchmark.measurePlastic(rule: "nbp", minSeconds: minSeconds)
            rows += [(sweep, 1), (nbp, 1)]
            result["plastic_updates_per_s"] = .number(sweep.plasticUpdatesPerSecond)
            result["nbp_rule_chip_synapse_updates_per_s"] = .number(nbp.plasticUpdatesPerSecond)
        }
        result["table"] = .array(rows.map { row, threads in
            .object([
                "kind": .string(row.kind), "threads": .integer(threads), "compartments": .integer(row.compartments), "steps": .integer(row.steps),
                "cpu_seconds": .number(row.seconds), "wall_seconds": .number(row.wallSeconds),
                "spikes_per_step": .number(row.spikesPerStep),
                "syn_events_per_s": .number(row.synapticEventsPerSecond),
                "compartment_updates_per_s": .number(row.compartmentUpdatesPerSecond),
                "plastic_updates_per_s": .number(row.plasticUpdatesPerSecond),
            ])
        })
        return result
    }
}
