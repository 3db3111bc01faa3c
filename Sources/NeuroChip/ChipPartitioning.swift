// How one simulation is split over threads and processes (docs/neurochip.md, "Threads
// and ranks"). The unit is the core, as on the chip: a partition is a run of consecutive
// cores; it owns their compartments, the synapses that end on them (synaptic memory sits
// on the postsynaptic core) and their counters. Partitions of one process are stepped by
// its threads; under MPI every rank steps its own partitions and the ranks exchange each
// step's spikes once. Every observable value is a function of the network alone, never of
// the partitioning: sums commute, random draws are keyed (ChipDraws.swift).

/// One thread's share of the cores of the process that steps it.
struct StepPartition: Sendable {
    let index: Int
    /// Global cores `lowerBound..<upperBound` (used cores among them).
    let cores: Range<Int>
    /// The used ones among those cores, ascending.
    let usedCores: [Int]
    /// Segments on those cores (indices into `CoreMap.segments`), ascending.
    let segments: [Int]
    /// The rank that steps this partition.
    let rank: Int
}

/// Where a simulator runs: its threads and, under MPI, its place among the ranks.
public struct ChipExecution {
    /// Threads of this process (>= 1); the cores are split over them.
    public var threads: Int
    /// The other processes of a partitioned run (nil: this process steps every core).
    public var exchange: SpikeExchange?

    public init(threads: Int = 1, exchange: SpikeExchange? = nil) {
        self.threads = threads
        self.exchange = exchange
    }

    public var rank: Int { exchange?.rank ?? 0 }
    public var ranks: Int { exchange?.ranks ?? 1 }
}

/// Problems with the requested threads or ranks.
public enum ChipExecutionError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidThreads(Int)
    case moreRanksThanCores(ranks: Int, cores: Int)

    public var description: String {
        switch self {
        case .invalidThreads(let n):
            return "--threads \(n): the thread count must be at least 1 (the default is the machine's cores)"
        case .moreRanksThanCores(let ranks, let cores):
            return
                "\(ranks) MPI ranks but the network uses only \(cores) core\(cores == 1 ? "" : "s"); every rank needs a core: run with at most \(cores) rank\(cores == 1 ? "" : "s") (mpirun -np \(cores))"
        }
    }
}

enum ChipPartitioner {
    /// Splits the used cores into contiguous runs: first over the ranks, then each rank's
    /// share over its threads (at most one partition per used core). Runs are balanced by
    /// the work a core carries: its compartments plus its synapses.
    static func partitions(_ map: CoreMap, execution: ChipExecution) throws(ChipExecutionError) -> [StepPartition] {
        guard execution.threads >= 1 else { throw .invalidThreads(execution.threads) }
        let used = map.usedCores
        let ranks = execution.ranks
        if ranks > used.count { throw .moreRanksThanCores(ranks: ranks, cores: used.count) }
        let weight = used.map { map.compartmentsPerCore[$0] + map.synapseBitsPerCore[$0] / 16 }
        var partitions: [StepPartition] = []
        for (rank, rankRun) in split(weight.indices, weights: weight, parts: ranks).enumerated() {
            let threads = min(execution.threads, rankRun.count)
            for run in split(rankRun, weights: weight, parts: threads) {
                // Each partition reaches up to the next one's first core, so every core
                // (used or not) has exactly one partition.
                let lo = partitions.isEmpty ? 0 : used[run.lowerBound]
                let cores = lo..<(run.upperBound < used.count ? used[run.upperBound] : map.coreCount)
                partitions.append(
                    StepPartition(
                        index: partitions.count, cores: cores, usedCores: used.filter { cores.contains($0) },
                        segments: map.segments.indices.filter { cores.contains(map.segments[$0].core) },
                        rank: rank))
            }
        }
        return partitions
    }

    /// `items` cut into `parts` non-empty consecutive runs of about equal weight.
    static func split(_ items: Range<Int>, weights: [Int], parts: Int) -> [Range<Int>] {
        let total = items.reduce(0) { $0 + max(weights[$1], 1) }
        var runs: [Range<Int>] = []
        var start = items.lowerBound
        var sum = 0
        for k in items {
            sum += max(weights[k], 1)
            let left = parts - runs.count - 1
            let remaining = items.upperBound - (k + 1)
            // Cut when this run reached its share of the total, keeping a core for each run left.
            if left > 0 && (sum * parts >= total * (runs.count + 1) || remaining == left) {
                runs.append(start..<(k + 1))
                start = k + 1
            }
        }
        runs.append(start..<items.upperBound)
        return runs
    }
}

/// Partition of every core, and which partitions this process steps.
struct PartitionMap {
    let partitions: [StepPartition]
    /// Partition index of each global core.
    let partitionOfCore: [Int32]
    let rank: Int

    init(_ partitions: [StepPartition], coreCount: Int, rank: Int) {
        self.partitions = partitions
        self.rank = rank
        var of = [Int32](repeating: 0, count: coreCount)
        for p in partitions {
            for core in p.cores { of[core] = Int32(p.index) }
        }
        partitionOfCore = of
    }

    /// The partitions this process steps, in order.
    var owned: [StepPartition] { partitions.filter { $0.rank == rank } }
    func owns(partition p: Int) -> Bool { partitions[p].rank == rank }
    func ownsCore(_ core: Int) -> Bool { partitions[Int(partitionOfCore[core])].rank == rank }
}
