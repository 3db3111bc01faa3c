// Throughput benchmarks of the simulator (`synfire bench chip`). Networks are built from
// blocks of 1,024 compartments. A spike generator with one channel per compartment fires
// a fixed random 5% of its channels each step, and each generator block projects onto its
// compartment block either densely (1,024 x 1,024) or sparsely (random 10%). Synaptic
// events/s divide the synapses touched by the wall time of whole steps (compartment
// updates included), so they are conservative; with several threads or ranks only wall
// time measures the speed-up. The CPU seconds of the process are reported beside it.

import Foundation

/// CPU time consumed by the calling thread, in seconds.
public func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// CPU time consumed by the whole process (every thread), in seconds.
public func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Seconds on a monotonic clock.
public func wallSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

public struct ChipBenchmarkRow: Codable, Sendable, Equatable {
    public var kind: String
    public var compartments: Int
    public var steps: Int
    /// CPU seconds of the measured steps (every thread of the process).
    public var seconds: Double
    /// Wall seconds of the measured steps: the rates divide by these.
    public var wallSeconds: Double
    public var spikesPerStep: Double
    public var synapticEvents: Int
    public var compartmentUpdates: Int
    public var synapticEventsPerSecond: Double
    public var compartmentUpdatesPerSecond: Double
    public var plasticUpdates: Int
    public var plasticUpdatesPerSecond: Double
}

public enum ChipBenchmark {
    public static let blockSize = 1024

    /// Generator `src` (n channels) -> populations `p0...` of 1,024 through dense or sparse
    /// blocks; `nil` density gives compartments only (bias-driven, ~5% firing).
    public static func network(compartments n: Int, density: Double?, seed: UInt64) -> NetworkDescription {
        var random = ChipRandom(seed: seed)
        let blocks = max(1, n / blockSize)
        var net = NetworkDescription(seed: seed)
        net.mapping.ignoreSynapticMemory = true
        for b in 0..<blocks {
            if density == nil {
                // dv = 0 integrates the bias: 3200 * 21 > 64000 -> one spike every 21 steps;
                // the refractory delay of each block shifts its phase.
                net.populations.append(
                    PopulationSpec(
                        name: "p\(b)", size: blockSize, du: 410, dv: 0, biasMantissa: 3200, vthMantissa: 1000,
                        refractory: 1 + b % 8))
            } else {
                net.populations.append(
                    PopulationSpec(
                        name: "p\(b)", size: blockSize, du: 410, dv: 205, vthMantissa: 100_000, refractory: 2))
                net.generators.append(SpikeGeneratorSpec(name: "src\(b)", size: blockSize))
            }
        }
        guard let density else { return net }
        // One weight pattern shared by every block (copy-on-write keeps the description
        // small); each block still gets its own compiled arrays.
        if density >= 1 {
            let weights = (0..<(blockSize * blockSize)).map { _ in Int(random.below(128)) * 2 - 128 }
            for b in 0..<blocks {
                net.connections.append(
                    ConnectionSpec(
                        name: "d\(b)", source: "src\(b)", target: "p\(b)", pattern: .allToAll, weights: weights))
            }
        } else {
            var pre: [Int] = []
            var post: [Int] = []
            let threshold = UInt64(density * 1_000_000)
            for i in 0..<blockSize {
                for j in 0..<blockSize where random.below(1_000_000) < threshold {
                    pre.append(i)
                    post.append(j)
                }
            }
            let weights = pre.map { _ in Int(random.below(128)) * 2 - 128 }
            for b in 0..<blocks {
                net.connections.append(
                    ConnectionSpec(
                        name: "s\(b)", source: "src\(b)", target: "p\(b)", pattern: .sparse, weights: weights,
                        pre: pre, post: post))
            }
        }
        return net
    }

    /// Random 5% spike patterns per generator block, cycled through during a run.
    static func inputPatterns(blocks: Int, rate: Double, count: Int, seed: UInt64) -> [[[Int]]] {
        var random = ChipRandom(seed: seed ^ 0x5EED)
        let k = Int((Double(blockSize) * rate).rounded())
        return (0..<count).map { _ in
            (0..<blocks).map { _ in
                var all = Array(0..<blockSize)
                for i in 0..<k { all.swapAt(i, i + Int(random.below(UInt64(blockSize - i)))) }
                return all[0..<k].sorted()
            }
        }
    }

    /// Runs `kind` ("dense", "sparse", "compartments") at `compartments` for at least
    /// `minSeconds` of measured steps (wall time).
    public static func measure(
        kind: String, compartments n: Int, minSeconds: Double, seed: UInt64 = 1, execution: ChipExecution = ChipExecution()
    ) throws -> ChipBenchmarkRow {
        let run = try BenchmarkRun(kind: kind, compartments: n, seed: seed, execution: execution)
        run.warmUp()
        let before = run.chip.totals.chip
        var timing = BenchmarkTiming()
        var batch = 8
        while true {
            timing.add(batch) { run.steps(batch) }
            let next = agreed(
                [timing.wall < minSeconds ? 1 : 0, Int64(timing.nextBatch(batch, budget: minSeconds))],
                execution.exchange)
            if next[0] == 0 { break }
            batch = Int(next[1])
        }
        var row = run.row(since: before, timing: timing)
        if let exchange = execution.exchange {
            // Each rank counted the events of its own cores.
            var events: [Int64] = [Int64(row.synapticEvents)]
            events.withUnsafeMutableBufferPointer { exchange.sum($0) }
            row.synapticEvents = Int(events[0])
            row.synapticEventsPerSecond = Double(events[0]) / timing.wall
        }
        return row
    }

    /// Rank 0's values on every rank (the values themselves without ranks): decisions that
    /// every rank of a partitioned run must take alike, such as when to stop timing.
    static func agreed(_ values: [Int64], _ exchange: SpikeExchange?) -> [Int64] {
        guard let exchange else { return values }
        var shared = exchange.rank == 0 ? values : Array(repeating: 0, count: values.count)
        shared.withUnsafeMutableBufferPointer { exchange.sum($0) }
        return shared
    }

    /// Dense plastic `n x n` projection (issue 5): `rule` "sweep" evaluates every synapse each
    /// step (`dw = 2^-3*x1*y1 - 2^-6*w`); "nbp" is nBP's event-driven rule with reward every
    /// other step. Pre and post fire ~5% each step. Plastic updates are rule evaluations
    /// (sweep) or the synapses the chip sweeps (nbp), per second of whole steps.
    public static func measurePlastic(rule: String, size n: Int = 400, minSeconds: Double, seed: UInt64 = 1) throws
        -> ChipBenchmarkRow
    {
        var random = ChipRandom(seed: seed)
        let text = rule == "nbp" ? "dw = 4*x0*y0*r1 - 2*x0*y0" : "dw = 2^-3*x1*y1 - 2^-6*w"
        var learning = LearningSpec(rule: text, epoch: 1, reward: "reward")
        learning.x1 = TraceParameters(impulse: 40, tau: 4)
        learning.y1 = TraceParameters(impulse: 40, tau: 4)
        let weights = (0..<(n * n)).map { _ in Int(random.below(128)) * 2 - 128 }
        let net = NetworkDescription(
            populations: [PopulationSpec(name: "h", size: n, vthMantissa: 10000)],
            connections: [
                ConnectionSpec(
                    name: "W", source: "pre", target: "h", pattern: .allToAll, weights: weights,
                    exponent: -8, learning: learning),
                ConnectionSpec(
                    name: "D", source: "drive", target: "h", pattern: .oneToOne, weight: 255, exponent: 7,
                    signMode: .excitatory),
            ],
            generators: [
                SpikeGeneratorSpec(name: "pre", size: n), SpikeGeneratorSpec(name: "drive", size: n),
                SpikeGeneratorSpec(name: "reward", size: 1),
            ],
            mapping: CoreMappingSpec(ignoreSynapticMemory: true), seed: seed)
        let chip = try ChipSimulator(net)
        let k = max(1, n / 20)
        var patterns: [[Int]] = []
        for _ in 0..<64 {
            var all = Array(0..<n)
            for i in 0..<k { all.swapAt(i, i + Int(random.below(UInt64(n - i)))) }
            patterns.append(all[0..<k].sorted())
        }
        var index = 0
        func oneStep() throws {
            try chip.inject(generatorIndex: 0, channels: patterns[index % 64])
            try chip.inject(generatorIndex: 1, channels: patterns[(index * 7 + 3) % 64])
            if index % 2 == 0 { try chip.inject(generatorIndex: 2, channels: [0]) }
            index += 1
            chip.step()
        }
        for _ in 0..<25 { try oneStep() }
        let before = chip.totals.chip
        var timing = BenchmarkTiming()
        var batch = 8
        while timing.wall < minSeconds {
            try timing.add(batch) { for _ in 0..<batch { try oneStep() } }
            batch = timing.nextBatch(batch, budget: minSeconds)
        }
        let (steps, elapsed, wall) = (timing.steps, timing.wall, timing.wall)
        let cpu = timing.cpu
        let after = chip.totals.chip
        let processed = after.plasticSynapseUpdatesProcessed - before.plasticSynapseUpdatesProcessed
        let swept = after.plasticSynapsesSwept - before.plasticSynapsesSwept
        let updates = rule == "nbp" ? swept : processed
        return ChipBenchmarkRow(
            kind: "plastic-\(rule)", compartments: chip.compartmentCount, steps: steps, seconds: cpu,
            wallSeconds: wall,
            spikesPerStep: Double(after.spikesGenerated - before.spikesGenerated) / Double(steps),
            synapticEvents: after.synapticOps - before.synapticOps, compartmentUpdates: steps * chip.compartmentCount,
            synapticEventsPerSecond: Double(after.synapticOps - before.synapticOps) / elapsed,
            compartmentUpdatesPerSecond: Double(steps * chip.compartmentCount) / elapsed,
            plasticUpdates: updates, plasticUpdatesPerSecond: Double(updates) / elapsed)
    }
}

extension ChipBenchmark {
    /// A small network that uses every feature the partitioning touches, spread over ten
    /// cores: one-to-one, one-to-all, dense, sparse (per-synapse delays) and random
    /// connections, inhibitory and excitatory modes, two plastic connections with stochastic
    /// rounding and decaying traces (one with tags and a 2-step epoch), a rewarded rule, and
    /// probes of every kind. Tests and `bench chip` run it on 1 and on N threads or ranks and
    /// compare snapshots.
    public static func mixedNetwork(seed: UInt64, steps: Int = 60) -> NetworkDescription {
        var random = ChipRandom(seed: seed)
        func weights(_ n: Int, _ mode: SignMode) -> [Int] {
            (0..<n).map { _ in
                let r = mode.weightRange
                let w = r.lowerBound + Int(random.below(UInt64(r.count)))
                return mode == .mixed ? w & ~1 : w
            }
        }
        var net = NetworkDescription(seed: seed)
        net.mapping.maxCompartmentsPerCore = 64
        net.populations = [
            PopulationSpec(name: "a", size: 300, du: 1024, dv: 512, biasMantissa: 40, vthMantissa: 300, refractory: 2),
            PopulationSpec(name: "b", size: 250, du: 2048, dv: 256, vthMantissa: 500, refractory: 3),
            PopulationSpec(name: "c", size: 64, du: 4096, dv: 4096, vthMantissa: 200, vmin: -50000, vmax: 60000),
        ]
        let drive = (0..<300).map { _ in (0..<steps).filter { _ in random.below(5) == 0 } }
        net.generators = [
            SpikeGeneratorSpec(name: "in", size: 300, spikeTimes: drive),
            SpikeGeneratorSpec(name: "reward", size: 1, spikeTimes: [(0..<steps).filter { $0 % 3 == 0 }]),
        ]
        let sparse = (0..<600).map { _ in (Int(random.below(300)), Int(random.below(250)), Int(random.below(4))) }
        var traces = LearningSpec(rule: "dw = 2^-3*x1*y1 - 2^-6*w", epoch: 1)
        traces.x1 = TraceParameters(impulse: 40, tau: 3)
        traces.y1 = TraceParameters(impulse: 30, tau: 5)
        var tagged = LearningSpec(rule: "dw = 2^-2*x1*y0*r1 - 2^-3*y1*x0; dt = x0*(y1 - 8)", epoch: 2, reward: "reward")
        tagged.x1 = TraceParameters(impulse: 50, tau: 4)
        tagged.y1 = TraceParameters(impulse: 20, tau: 6)
        tagged.r1 = TraceParameters(impulse: 64, tau: 3)
        net.connections = [
            ConnectionSpec(name: "in-a", source: "in", target: "a", pattern: .oneToOne, weight: 200, exponent: 6,
                signMode: .excitatory),
            ConnectionSpec(
                name: "in-b", source: "in", target: "b", pattern: .sparse, weights: weights(600, .mixed),
                exponent: 5, delays: sparse.map(\.2), pre: sparse.map(\.0), post: sparse.map(\.1)),
            ConnectionSpec(
                name: "a-b", source: "a", target: "b", pattern: .allToAll, weights: weights(300 * 250, .mixed),
                exponent: -3, learning: traces),
            ConnectionSpec(
                name: "a-c", source: "a", target: "c", pattern: .random, exponent: 3, delay: 1,
                random: RandomSynapses(fanOut: 10, weightMin: -60, weightMax: 120)),
            ConnectionSpec(
                name: "b-a", source: "b", target: "a", pattern: .oneToAll, weight: -40, exponent: 2, delay: 2,
                signMode: .inhibitory),
            ConnectionSpec(
                name: "b-c", source: "b", target: "c", pattern: .allToAll, weights: weights(250 * 64, .excitatory),
                exponent: 0, signMode: .excitatory, learning: tagged),
        ]
        net.probes = [
            ProbeSpec(name: "a.spikes", kind: .spikes, target: "a"), ProbeSpec(name: "b.u", kind: .u, target: "b"),
            ProbeSpec(name: "c.v", kind: .v, target: "c", interval: 2),
            ProbeSpec(name: "a-b.w", kind: .weights, target: "a-b", interval: 7),
            ProbeSpec(name: "in.spikes", kind: .spikes, target: "in", interval: 3),
        ]
        return net
    }
}
