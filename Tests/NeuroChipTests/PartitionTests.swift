import Foundation
import Testing

@testable import NeuroChip

/// The cores split over threads and ranks: every observable value (spikes, u, v, weights,
/// tags, traces, every counter, probes) equals the one-thread run, including stochastic
/// rounding and trace decay, whose draws are keyed by what they belong to.
@Suite("threads and ranks give the results of one thread")
struct PartitionTests {
    /// Runs `net` for `steps` steps, the counter history on, snapshotting every 10 steps.
    static func run(_ net: NetworkDescription, execution: ChipExecution = ChipExecution(), steps: Int = 60) throws
        -> (snapshots: [ChipSnapshot], history: CounterHistory)
    {
        let chip = try ChipSimulator(net, execution: execution)
        chip.recordCounterHistory = true
        var snapshots: [ChipSnapshot] = []
        for s in 1...steps {
            chip.step()
            if s % 10 == 0 { snapshots.append(chip.snapshot()) }
        }
        return (snapshots, chip.counterHistory)
    }

    @Test(arguments: [2, 3, 8])
    func mixedNetworkIsTheSameOnThreads(threads: Int) throws {
        let net = ChipBenchmark.mixedNetwork(seed: 11)
        let one = try Self.run(net)
        let many = try Self.run(net, execution: ChipExecution(threads: threads))
        let chip = try ChipSimulator(net, execution: ChipExecution(threads: threads))
        #expect(chip.work.count == min(threads, chip.coreMap.usedCores.count), "partitions")
        #expect(one.history == many.history, "per-step counts of every core")
        for (a, b) in zip(one.snapshots, many.snapshots) {
            #expect(a.differences(from: b).isEmpty, "step \(a.step): \(a.differences(from: b))")
        }
        // The comparison means something only if the network spiked and learned.
        let last = try #require(one.snapshots.last)
        #expect(last.totals.chip.spikesGenerated > 100)
        #expect(last.totals.perConnection[2].plasticSynapseUpdatesProcessed > 0)
        #expect(last.weights[2] != net.connections[2].weights, "a-b learned")
        #expect(last.tags[5].contains { $0 != 0 }, "b-c's tags moved")
    }

    /// Ranks as threads of this process (`LocalRankGroup`), each with its own threads: the
    /// spikes of every step and, after `combineRanks`, the counters and probes equal one
    /// process; u, v and the weights add up over the ranks (each holds its own cores).
    @Test(arguments: [(2, 1), (3, 1), (2, 2)])
    func mixedNetworkIsTheSameOnRanks(ranks: Int, threads: Int) throws {
        let net = ChipBenchmark.mixedNetwork(seed: 12)
        let steps = 40
        let reference = try ChipSimulator(net)
        var spikes: [[Int32]] = []
        for _ in 0..<steps {
            reference.step()
            spikes.append(reference.snapshot().spikes)
        }
        let expected = reference.snapshot()
        let group = LocalRankGroup(ranks: ranks)
        let results = try Self.runRanks(group, threads: threads) { rank in
            let chip = try ChipSimulator(
                net, execution: ChipExecution(threads: threads, exchange: group.exchange(rank: rank)))
            var seen: [[Int32]] = []
            for _ in 0..<steps {
                chip.step()
                seen.append(chip.snapshot().spikes)
            }
            chip.combineRanks()
            return (seen, chip.snapshot())
        }
        for (rank, result) in results.enumerated() {
            #expect(result.0 == spikes, "rank \(rank): spikes of every step")
            #expect(result.1.totals == expected.totals, "rank \(rank): counters")
            #expect(result.1.probes == expected.probes, "rank \(rank): probes")
            #expect(result.1.wraps == expected.wraps)
        }
        func sum(_ arrays: [[Int32]]) -> [Int32] { arrays.dropFirst().reduce(arrays[0]) { zip($0, $1).map(&+) } }
        #expect(sum(results.map(\.1.u)) == expected.u)
        #expect(sum(results.map(\.1.v)) == expected.v)
        for c in net.connections.indices {
            let weights = results.map { $0.1.weights[c] }
            #expect(weights.dropFirst().reduce(weights[0]) { zip($0, $1).map(+) } == expected.weights[c], "connection \(c)")
        }
    }

    /// An explicit placement that puts population b's cores before a's: the partitions'
    /// spikes are not ascending and the step sorts them. On 2 and 3 ranks the spikes of
    /// every step and the combined counters still equal one process.
    @Test(arguments: [2, 3])
    func interleavedPlacementIsTheSameOnRanks(ranks: Int) throws {
        var placed = ChipBenchmark.mixedNetwork(seed: 13)
        placed.mapping.placement = [
            "b": [CorePlacement(core: 0, count: 64), CorePlacement(core: 1, count: 64), CorePlacement(core: 2, count: 64),
                CorePlacement(core: 3, count: 58)],
            "a": [CorePlacement(core: 4, count: 64), CorePlacement(core: 5, count: 64), CorePlacement(core: 6, count: 64),
                CorePlacement(core: 7, count: 64), CorePlacement(core: 8, count: 44)],
        ]
        let net = placed
        let steps = 30
        let reference = try ChipSimulator(net)
        #expect(!reference.partitionsFollowSources)
        var spikes: [[Int32]] = []
        for _ in 0..<steps {
            reference.step()
            spikes.append(reference.snapshot().spikes)
        }
        let expected = reference.snapshot()
        #expect(expected.totals.chip.messagesOut > 0 && expected.totals.chip.hostMessagesIn > 0)
        let group = LocalRankGroup(ranks: ranks)
        let results = try Self.runRanks(group, threads: 1) { rank in
            let chip = try ChipSimulator(net, execution: ChipExecution(exchange: group.exchange(rank: rank)))
            var seen: [[Int32]] = []
            for _ in 0..<steps {
                chip.step()
                seen.append(chip.snapshot().spikes)
            }
            chip.combineRanks()
            return (seen, chip.snapshot().totals)
        }
        for (rank, result) in results.enumerated() {
            #expect(result.0 == spikes, "rank \(rank): spikes of every step")
            #expect(result.1 == expected.totals, "rank \(rank): counters")
        }
    }

    /// Runs `body(rank)` on one thread per rank (all must run at once: they meet in the
    /// collectives) and returns the results in rank order.
    static func runRanks<T>(
        _ group: LocalRankGroup, threads: Int, _ body: @escaping @Sendable (Int) throws -> T
    ) throws -> [T] {
        let box = ResultBox<T>(count: group.ranks)
        let lock = NSLock()
        let done = DispatchGroup()
        for rank in 0..<group.ranks {
            done.enter()
            let thread = Thread {
                let result = Result { try body(rank) }
                lock.lock()
                box.results[rank] = result
                lock.unlock()
                done.leave()
            }
            thread.start()
        }
        done.wait()
        return try box.results.map { try $0!.get() }
    }

    /// Every golden case as its own population (one core each), stepped at once on 1, 2,
    /// 3 and 8 threads: each compartment follows its vector.
    @Test(arguments: [1, 2, 3, 8])
    func goldenVectorsOnThreads(threads: Int) throws {
        let cases = GoldenFiles.compartmentCases().filter { $0.vth % 64 == 0 }
        try #require(cases.allSatisfy { $0.loadError == nil } && cases.count >= 3)
        var net = NetworkDescription()
        for (k, c) in cases.enumerated() {
            let bias = try #require(biasParts(c.bias))
            net.populations.append(
                PopulationSpec(
                    name: "c\(k)", size: 1, du: c.du, dv: c.dv, biasMantissa: bias.mantissa,
                    biasExponent: bias.exponent, vthMantissa: c.vth / 64, refractory: c.refractory))
            net.probes += [
                ProbeSpec(name: "u\(k)", kind: .u, target: "c\(k)"), ProbeSpec(name: "v\(k)", kind: .v, target: "c\(k)"),
                ProbeSpec(name: "s\(k)", kind: .spikes, target: "c\(k)"),
            ]
        }
        let chip = try ChipSimulator(net, execution: ChipExecution(threads: threads))
        #expect(chip.coreMap.usedCores.count == cases.count)
        let steps = cases.map(\.input.count).max()!
        for s in 0..<steps {
            for (k, c) in cases.enumerated() where s < c.input.count {
                chip.addInput(current: Int32(c.input[s]), compartment: k)
            }
            chip.step()
        }
        for (k, c) in cases.enumerated() {
            for s in c.input.indices {
                #expect(chip.probeRecords[3 * k].data[s] == [c.expected[s].u], "\(c.name) step \(s) u")
                #expect(chip.probeRecords[3 * k + 1].data[s] == [c.expected[s].v], "\(c.name) step \(s) v")
                #expect(chip.probeRecords[3 * k + 2].data[s] == (c.expected[s].spike == 1 ? [0] : []))
            }
        }
    }

    /// Generators sending to the cores of several partitions, scheduled and injected
    /// (generators out of order, channels repeated): each partition counts the host
    /// messages to its own cores, and every per-step count equals one thread's and the
    /// count by hand (one message per spike and destination core).
    @Test(arguments: [2, 3, 8])
    func generatorMessagesAreCountedByTheReceivingPartitions(threads: Int) throws {
        var net = NetworkDescription(seed: 5)
        net.mapping.maxCompartmentsPerCore = 16
        net.populations = [
            PopulationSpec(name: "p", size: 64, vthMantissa: 40), PopulationSpec(name: "q", size: 32, vthMantissa: 40),
        ]
        net.generators = [
            SpikeGeneratorSpec(name: "g0", size: 8, spikeTimes: (0..<8).map { c in [c, c + 3, 11] }),
            SpikeGeneratorSpec(name: "g1", size: 8),
        ]
        net.connections = [
            ConnectionSpec(
                name: "g0-p", source: "g0", target: "p", pattern: .allToAll,
                weights: (0..<(8 * 64)).map { [-6, -4, -2, 2, 4, 6][$0 % 6] }),
            ConnectionSpec(name: "g1-q", source: "g1", target: "q", pattern: .oneToAll, weight: 12),
        ]
        func run(_ execution: ChipExecution) throws -> (CounterHistory, [Int]) {
            let chip = try ChipSimulator(net, execution: execution)
            chip.recordCounterHistory = true
            var expected: [Int] = []
            for s in 0..<16 {
                let g1 = [s % 8, 1, s % 8]
                let g0 = [7 - s % 8, 2]
                try chip.inject(generator: "g1", channels: g1)
                try chip.inject(generator: "g0", channels: g0)
                let scheduled = (0..<8).filter { [$0, $0 + 3, 11].contains(s) }
                // p spans 4 cores, q 2: a g0 spike sends 4 messages, a g1 spike 2.
                expected.append(4 * Set(g0 + scheduled).count + 2 * Set(g1).count)
                chip.step()
            }
            return (chip.counterHistory, expected)
        }
        let one = try run(ChipExecution())
        let many = try run(ChipExecution(threads: threads))
        #expect(one.0 == many.0, "per-step counts of every core")
        #expect(one.0.steps.map { $0.reduce(0) { $0 + $1.hostMessagesIn } } == one.1)
        #expect(many.0.steps.map { $0.reduce(0) { $0 + $1.hostMessagesIn } } == one.1)
    }

    @Test func partitionsCoverEveryCoreOnceAndBalance() throws {
        var net = NetworkDescription()
        net.populations = (0..<6).map { PopulationSpec(name: "p\($0)", size: 100, vthMantissa: 1) }
        let map = try ChipSimulator(net).coreMap
        for (threads, ranks) in [(1, 1), (2, 1), (3, 1), (6, 1), (9, 1), (2, 2), (1, 3)] {
            let group = LocalRankGroup(ranks: ranks)
            let partitions = try ChipPartitioner.partitions(
                map, execution: ChipExecution(threads: threads, exchange: ranks > 1 ? group.exchange(rank: 0) : nil))
            #expect(partitions.count == min(threads * ranks, 6))
            #expect(partitions.first?.cores.lowerBound == 0 && partitions.last?.cores.upperBound == map.coreCount)
            for (a, b) in zip(partitions, partitions.dropFirst()) { #expect(a.cores.upperBound == b.cores.lowerBound) }
            let used = partitions.map { p in p.cores.filter { map.compartmentsPerCore[$0] > 0 }.count }
            #expect(used.max()! - used.min()! <= 1, "\(threads) threads, \(ranks) ranks: \(used)")
            #expect(Set(partitions.map(\.rank)).count == ranks)
        }
    }

    @Test func badThreadAndRankCountsAreRefused() throws {
        let net = NetworkDescription(populations: [PopulationSpec(name: "p", size: 10, vthMantissa: 1)])
        #expect(throws: ChipExecutionError.invalidThreads(0)) { try ChipSimulator(net, execution: ChipExecution(threads: 0)) }
        #expect(throws: ChipExecutionError.invalidThreads(-2)) { try ChipSimulator(net, execution: ChipExecution(threads: -2)) }
        let group = LocalRankGroup(ranks: 2)
        #expect(throws: ChipExecutionError.moreRanksThanCores(ranks: 2, cores: 1)) {
            try ChipSimulator(net, execution: ChipExecution(exchange: group.exchange(rank: 0)))
        }
        #expect(
            "\(ChipExecutionError.moreRanksThanCores(ranks: 2, cores: 1))".contains("run with at most 1 rank (mpirun -np 1)"))
        #expect("\(ChipExecutionError.invalidThreads(0))".contains("at least 1"))
    }
}

/// `bench chip` times a one-thread and an N-thread run batch for batch: the batches keep
/// doubling until both runs reached the budget, so the faster run is not left to finish in
/// one-step batches (between which its threads fall asleep).
@Test func pairBatchesGrowUntilBothRunsReachTheBudget() {
    let single = BenchmarkTiming(steps: 2000, wall: 1.6, cpu: 1.6)
    let threaded = BenchmarkTiming(steps: 2000, wall: 0.9, cpu: 1.8)
    #expect(single.stepsLeft(budget: 1.5) == 0)
    #expect(threaded.stepsLeft(budget: 1.5) == 1334)
    #expect(BenchmarkTiming.nextPairBatch(1024, budget: 1.5, single, threaded) == 1334)
    #expect(BenchmarkTiming.nextPairBatch(512, budget: 1.5, single, threaded) == 1024)
    #expect(BenchmarkTiming.nextPairBatch(512, budget: 1.5, threaded, single) == 1024)
}

/// Results written by the rank threads of `PartitionTests.runRanks` (under its lock).
final class ResultBox<T>: @unchecked Sendable {
    var results: [Result<T, Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
}
