// The collective operations a partitioned run needs from its processes (docs/neurochip.md,
// "Threads and ranks"): one all-gather of spike bitmaps per step, and sums at the end.
// The MPI implementation is in the build with --traits MPI (Sources/synfire/ChipProcesses.swift);
// tests use `LocalRankGroup`, which runs the ranks as threads of one process.

import Foundation

/// One process of a partitioned run.
public protocol SpikeExchange: AnyObject {
    var rank: Int { get }
    var ranks: Int { get }
    /// Every rank contributes a block of `block.count` bytes (the same on every rank);
    /// `all` receives the blocks in rank order (`ranks * block.count` bytes).
    func allGather(_ block: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer)
    /// Element-wise sum over all ranks; every rank gets the result.
    func sum(_ values: UnsafeMutableBufferPointer<Int64>)
}

/// Ranks as threads of one process (tests, and checking a partitioning without MPI):
/// `exchange(rank:)` gives each thread its endpoint; every collective waits for all ranks.
public final class LocalRankGroup: @unchecked Sendable {
    public let ranks: Int
    private let condition = NSCondition()
    private var arrived = 0
    private var generation = 0
    private var blocks: [[UInt8]]
    private var sums: [Int64] = []

    public init(ranks: Int) {
        self.ranks = ranks
        blocks = Array(repeating: [], count: ranks)
    }

    public func exchange(rank: Int) -> SpikeExchange { LocalRank(group: self, rank: rank) }

    fileprivate func allGather(rank: Int, _ block: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) {
        collective {
            self.blocks[rank] = Array(block)
        } collect: {
            for r in 0..<self.ranks {
                self.blocks[r].withUnsafeBytes { bytes in
                    guard bytes.count > 0 else { return }
                    all.baseAddress!.advanced(by: r * block.count).copyMemory(
                        from: bytes.baseAddress!, byteCount: bytes.count)
                }
            }
        }
    }

    fileprivate func sum(_ values: UnsafeMutableBufferPointer<Int64>) {
        collective {
            if self.arrived == 0 { self.sums = Array(repeating: 0, count: values.count) }
            for k in values.indices { self.sums[k] &+= values[k] }
        } collect: {
            for k in values.indices { values[k] = self.sums[k] }
        }
    }

    /// Every rank contributes, waits for all, reads, and waits for all again, so the shared
    /// buffers are never overwritten while a rank still reads them.
    private func collective(_ contribute: () -> Void, collect: () -> Void) {
        condition.lock()
        defer { condition.unlock() }
        contribute()
        barrier()
        collect()
        barrier()
    }

    private func barrier() {
        let mine = generation
        arrived += 1
        if arrived == ranks {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
    }
}

private final class LocalRank: SpikeExchange {
    let group: LocalRankGroup
    let rank: Int
    var ranks: Int { group.ranks }

    init(group: LocalRankGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    func allGather(_ block: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) {
        group.allGather(rank: rank, block, into: all)
    }

    func sum(_ values: UnsafeMutableBufferPointer<Int64>) { group.sum(values) }
}
