// Throughput benchmarks of the simulator (issue 4 and 5 acceptance; `synfire bench chip`).
// Networks are built from blocks of 1,024 compartments. A spike generator with one
// channel per compartment fires a fixed random 5% of its channels each step, and each
// generator block projects onto its compartment block either densely (1,024 x 1,024) or
// sparsely (random 10%). Synaptic events/s divide the synapses touched by the wall time
// of whole steps (compartment updates included), so they are conservative. Time is the
// CPU time of the running thread: the machine is shared, and wall time would measure the
// other jobs; `wallSeconds` is reported beside it.

import Foundation

/// CPU time consumed by the calling thread, in seconds.
public func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

public struct ChipBenchmarkRow: Codable, Sendable, Equatable {
    public var kind: String
    public var compartments: Int
    public var steps: Int
    /// Thread CPU seconds of the measured steps.
    public var seconds: Double
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
    /// `minSeconds` of measured steps.
    public static func measure(kind: String, compartments n: Int, minSeconds: Double, seed: UInt64 = 1) throws
        -> ChipBenchmarkRow
    {
        let density: Double? = kind == "dense" ? 1 : (kind == "sparse" ? 0.1 : nil)
        let net = network(compartments: n, density: density, seed: seed)
        let chip = try ChipSimulator(net)
        let blocks = net.populations.count
        let patterns = density == nil ? [] : inputPatterns(blocks: blocks, rate: 0.05, count: 32, seed: seed)
        var patternIndex = 0
        func oneStep() throws {
            if !patterns.isEmpty {
                let pattern = patterns[patternIndex % patterns.count]
                patternIndex += 1
                for b in 0..<blocks { try chip.inject(generatorIndex: b, channels: pattern[b]) }
            }
            chip.step()
        }
        for _ in 0..<25 { try oneStep() }
        let before = chip.totals.chip
        var steps = 0
        var elapsed = 0.0
        var wall = 0.0
        var batch = 8
        while elapsed < minSeconds {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpu = threadCPUSeconds()
            for _ in 0..<batch { try oneStep() }
            elapsed += threadCPUSeconds() - cpu
            wall += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            steps += batch
            // Grow the batch, but do not overshoot the time budget by much.
            let perStep = max(elapsed / Double(steps), 1e-9)
            batch = max(1, min(batch * 2, Int((minSeconds - elapsed) / perStep) + 1))
        }
        let after = chip.totals.chip
        let events = after.synapticOps - before.synapticOps
        let updates = steps * chip.compartmentCount
        let spikes = Double(
            after.spikesGenerated - before.spikesGenerated + after.hostMessagesIn - before.hostMessagesIn)
        return ChipBenchmarkRow(
            kind: kind, compartments: chip.compartmentCount, steps: steps, seconds: elapsed, wallSeconds: wall,
            spikesPerStep: spikes / Double(steps), synapticEvents: events, compartmentUpdates: updates,
            synapticEventsPerSecond: Double(events) / elapsed, compartmentUpdatesPerSecond: Double(updates) / elapsed,
            plasticUpdates: 0, plasticUpdatesPerSecond: 0)
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
        var steps = 0
        var elapsed = 0.0
        var wall = 0.0
        var batch = 8
        while elapsed < minSeconds {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpu = threadCPUSeconds()
            for _ in 0..<batch { try oneStep() }
            elapsed += threadCPUSeconds() - cpu
            wall += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            steps += batch
            // Grow the batch, but do not overshoot the time budget by much.
            let perStep = max(elapsed / Double(steps), 1e-9)
            batch = max(1, min(batch * 2, Int((minSeconds - elapsed) / perStep) + 1))
        }
        let after = chip.totals.chip
        let processed = after.plasticSynapseUpdatesProcessed - before.plasticSynapseUpdatesProcessed
        let swept = after.plasticSynapsesSwept - before.plasticSynapsesSwept
        let updates = rule == "nbp" ? swept : processed
        return ChipBenchmarkRow(
            kind: "plastic-\(rule)", compartments: chip.compartmentCount, steps: steps, seconds: elapsed,
            wallSeconds: wall,
            spikesPerStep: Double(after.spikesGenerated - before.spikesGenerated) / Double(steps),
            synapticEvents: after.synapticOps - before.synapticOps, compartmentUpdates: steps * chip.compartmentCount,
            synapticEventsPerSecond: Double(after.synapticOps - before.synapticOps) / elapsed,
            compartmentUpdatesPerSecond: Double(steps * chip.compartmentCount) / elapsed,
            plasticUpdates: updates, plasticUpdatesPerSecond: Double(updates) / elapsed)
    }
}
