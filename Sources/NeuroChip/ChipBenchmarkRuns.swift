// The measured runs of `synfire bench chip`: one network driven by its input patterns,
// timed in growing batches, and the comparison of a run on N threads or ranks with the
// same network on one thread in the same process, alternating batches so both see the
// same load on a shared machine.

/// Steps timed so far, in wall and process CPU seconds.
struct BenchmarkTiming {
    var steps = 0
    var wall = 0.0
    var cpu = 0.0

    mutating func add(_ count: Int, _ body: () throws -> Void) rethrows {
        let start = wallSeconds()
        let cpuStart = processCPUSeconds()
        try body()
        wall += wallSeconds() - start
        cpu += processCPUSeconds() - cpuStart
        steps += count
    }

    /// Steps still needed to reach `budget` seconds at the pace so far (0 once reached).
    func stepsLeft(budget: Double) -> Int {
        let perStep = max(wall / Double(max(steps, 1)), 1e-9)
        return max(0, Int((budget - wall) / perStep) + 1)
    }

    /// The next batch: doubled, but not far beyond the time budget.
    func nextBatch(_ batch: Int, budget: Double) -> Int { max(1, min(batch * 2, stepsLeft(budget: budget))) }

    /// The next batch of two runs timed batch for batch: doubled until both reached the
    /// budget, sized by the one that gets there last (with one-step batches a threaded run
    /// would wake its sleeping threads every step and measure that instead).
    static func nextPairBatch(_ batch: Int, budget: Double, _ a: BenchmarkTiming, _ b: BenchmarkTiming) -> Int {
        max(1, min(batch * 2, max(a.stepsLeft(budget: budget), b.stepsLeft(budget: budget))))
    }
}

/// A benchmark network on a simulator with its input patterns.
final class BenchmarkRun {
    let kind: String
    let chip: ChipSimulator
    let blocks: Int
    let patterns: [[[Int]]]
    private var index = 0

    init(kind: String, compartments n: Int, seed: UInt64, execution: ChipExecution) throws {
        let density: Double? = kind == "dense" ? 1 : (kind == "sparse" ? 0.1 : nil)
        let net = ChipBenchmark.network(compartments: n, density: density, seed: seed)
        self.kind = kind
        chip = try ChipSimulator(net, execution: execution)
        blocks = net.populations.count
        patterns =
            density == nil ? [] : ChipBenchmark.inputPatterns(blocks: blocks, rate: 0.05, count: 32, seed: seed)
    }

    /// `count` steps, each with the next input pattern.
    func steps(_ count: Int) {
        for _ in 0..<count {
            if !patterns.isEmpty {
                let pattern = patterns[index % patterns.count]
                // The patterns' channels are in range by construction.
                for b in 0..<blocks { try! chip.inject(generatorIndex: b, channels: pattern[b]) }
            }
            index += 1
            chip.step()
        }
    }

    func warmUp() { steps(25) }

    /// The figures of the steps timed since the chip's totals were `before`.
    func row(since before: CoreStepCounts, timing: BenchmarkTiming) -> ChipBenchmarkRow {
        let after = chip.totals.chip
        let events = after.synapticOps - before.synapticOps
        let updates = timing.steps * chip.compartmentCount
        let spikes = Double(
            after.spikesGenerated - before.spikesGenerated + after.hostMessagesIn - before.hostMessagesIn)
        return ChipBenchmarkRow(
            kind: kind, compartments: chip.compartmentCount, steps: timing.steps, seconds: timing.cpu,
            wallSeconds: timing.wall, spikesPerStep: spikes / Double(max(timing.steps, 1)), synapticEvents: events,
            compartmentUpdates: updates, synapticEventsPerSecond: Double(events) / timing.wall,
            compartmentUpdatesPerSecond: Double(updates) / timing.wall, plasticUpdates: 0, plasticUpdatesPerSecond: 0)
    }
}

/// One kind at one size on one thread and on N threads or ranks.
public struct ChipBenchmarkPair: Sendable {
    public var single: ChipBenchmarkRow
    public var parallel: ChipBenchmarkRow
    /// Every observable of the two runs matched after the last step.
    public var identical: Bool
    /// Wall time per step on one thread over wall time per step on N threads or ranks.
    public var speedup: Double {
        (single.wallSeconds / Double(max(single.steps, 1))) / max(parallel.wallSeconds / Double(max(parallel.steps, 1)), 1e-12)
    }
}

extension ChipBenchmark {
    /// Runs `kind` at `compartments` on one thread and on `execution`, batch for batch,
    /// until each has about `minSeconds`, then compares them. Under MPI ranks only rank 0
    /// runs the one-thread copy, while the other ranks wait, so no other rank's copy shares
    /// its memory bandwidth; rank 0's clock decides the batches.
    public static func measurePair(
        kind: String, compartments n: Int, minSeconds: Double, execution: ChipExecution, seed: UInt64 = 1
    ) throws -> ChipBenchmarkPair {
        let single =
            execution.rank == 0
            ? try BenchmarkRun(kind: kind, compartments: n, seed: seed, execution: ChipExecution()) : nil
        let parallel = try BenchmarkRun(kind: kind, compartments: n, seed: seed, execution: execution)
        single?.warmUp()
        parallel.warmUp()
        let reference = single ?? parallel
        let before = reference.chip.totals.chip
        var a = BenchmarkTiming()
        var b = BenchmarkTiming()
        var batch = 4
        while true {
            a.add(batch) { single?.steps(batch) }
            b.add(batch) { parallel.steps(batch) }
            // Rank 0 decides; the others follow, so every rank steps as often.
            let decision = agreed(
                [
                    a.wall < minSeconds || b.wall < minSeconds ? 1 : 0,
                    Int64(BenchmarkTiming.nextPairBatch(batch, budget: minSeconds, a, b)),
                ], execution.exchange)
            if decision[0] == 0 { break }
            batch = Int(decision[1])
        }
        // Both ran the same steps: the one-thread totals count the events of both (on the
        // other ranks, which only report through rank 0, the rows are this rank's own).
        var rowA = reference.row(since: before, timing: a)
        var rowB = reference.row(since: before, timing: b)
        rowA.kind = kind
        rowB.kind = kind
        return ChipBenchmarkPair(
            single: rowA, parallel: rowB,
            identical: sameResults(single?.chip, parallel.chip, exchange: execution.exchange))
    }

    /// Whether `parallel` (threads, or this rank of a partitioned run) shows what `single`
    /// shows: everything for threads; for ranks the last spikes, the combined counters and
    /// probes, and u and v added over the ranks. Under ranks every rank must call it, and
    /// rank 0 (which must hold `single`) decides for all.
    public static func sameResults(_ single: ChipSimulator?, _ parallel: ChipSimulator, exchange: SpikeExchange?)
        -> Bool
    {
        guard let exchange else {
            guard let single else { return false }
            return single.snapshot().differences(from: parallel.snapshot()).isEmpty
        }
        parallel.combineRanks()
        let b = parallel.snapshot()
        var state = (b.u + b.v).map { Int64($0) }
        state.withUnsafeMutableBufferPointer { exchange.sum($0) }
        var same = false
        if let single {
            let a = single.snapshot()
            same =
                a.spikes == b.spikes && a.totals == b.totals && a.probes == b.probes && a.wraps == b.wraps
                && state == (a.u + a.v).map { Int64($0) }
        }
        return agreed([same ? 1 : 0], exchange)[0] == 1
    }

    /// The mixed network (every connection kind, stochastic learning, probes) on one
    /// thread and on `execution` for `steps` steps: whether they match.
    public static func mixedNetworkMatches(execution: ChipExecution, steps: Int = 60) throws -> Bool {
        let net = mixedNetwork(seed: 31, steps: steps)
        let single = try ChipSimulator(net)
        let parallel = try ChipSimulator(net, execution: execution)
        for _ in 0..<steps {
            single.step()
            parallel.step()
        }
        return sameResults(single, parallel, exchange: execution.exchange)
    }
}
