import Foundation
import NeuroChip

#if MPI
    import COpenMPI
#endif

/// Problems starting the processes of a chip run.
enum ChipProcessError: Error, CustomStringConvertible {
    case builtWithoutMPI(ranks: Int)

    var description: String {
        switch self {
        case .builtWithoutMPI(let ranks):
            return
                "started as one of \(ranks) MPI ranks, but this synfire was built without MPI; build it with `swift build -c release --traits MPI` (docs/neurochip.md, \"Threads and ranks\") or run it without mpirun"
        }
    }
}

/// The processes of a chip run: this one alone, or the ranks of an mpirun job (a build
/// with --traits MPI). Rank 0 reports and writes; the others only compute.
final class ChipProcesses {
    let exchange: SpikeExchange?
    var rank: Int { exchange?.rank ?? 0 }
    var ranks: Int { exchange?.ranks ?? 1 }

    private init(exchange: SpikeExchange?) { self.exchange = exchange }

    /// The ranks mpirun (Open MPI's launcher) says this job has, from its environment.
    static var launchedRanks: Int {
        let environment = ProcessInfo.processInfo.environment
        return Int(environment["OMPI_COMM_WORLD_SIZE"] ?? environment["PMIX_SIZE"] ?? "") ?? 1
    }

    /// This process's rank as mpirun's environment gives it (0 without mpirun), known
    /// before MPI starts.
    static var launchedRank: Int {
        let environment = ProcessInfo.processInfo.environment
        return Int(environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"] ?? "") ?? 0
    }

    /// Joins the MPI job when mpirun started this process, else runs alone.
    static func start() throws -> ChipProcesses {
        let ranks = launchedRanks
        #if MPI
            if ranks > 1 || ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"] != nil {
                return ChipProcesses(exchange: MPIExchange.start())
            }
        #else
            if ranks > 1 { throw ChipProcessError.builtWithoutMPI(ranks: ranks) }
        #endif
        return ChipProcesses(exchange: nil)
    }

    /// Time this rank spent in the per-step spike exchange (including waiting for the other
    /// ranks), the exchanges and the bytes each rank received per exchange; nil without MPI.
    var exchangeCost: (seconds: Double, exchanges: Int, bytesPerExchange: Int)? {
        #if MPI
            if let mpi = exchange as? MPIExchange {
                return (mpi.gatherSeconds, mpi.gathers, mpi.gatherBytes)
            }
        #endif
        return nil
    }

    /// Leaves the MPI job (every rank must call it).
    func finish() {
        #if MPI
            (exchange as? MPIExchange)?.finish()
        #endif
    }

    /// Ends this process (and under MPI the whole job) with `code`.
    func abort(code: Int32) -> Never {
        #if MPI
            if let mpi = exchange as? MPIExchange { mpi.abort(code: code) }
        #endif
        exit(code)
    }

    /// Runs `body`. The ranks meet the same errors (bad threads, more ranks than cores);
    /// rank 0 reports it, the others leave quietly with exit code 1.
    func rankFailure<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            if rank == 0 { throw error }
            finish()
            exit(1)
        }
    }
}

#if MPI
    /// The spike exchange of an mpirun job through Open MPI (COpenMPI): one MPI_Allgather of
    /// the ranks' spike bitmaps per step, MPI_Allreduce for the totals after the run.
    final class MPIExchange: SpikeExchange {
        let rank: Int
        let ranks: Int
        private var finished = false
        private(set) var gatherSeconds = 0.0
        private(set) var gathers = 0
        private(set) var gatherBytes = 0

        private init(rank: Int, ranks: Int) {
            self.rank = rank
            self.ranks = ranks
        }

        static func start() -> MPIExchange {
            _ = synfire_mpi_init()
            return MPIExchange(rank: Int(synfire_mpi_rank()), ranks: Int(synfire_mpi_size()))
        }

        func allGather(_ block: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) {
            let start = NeuroChip.wallSeconds()
            _ = synfire_mpi_allgather(block.baseAddress, Int32(block.count), all.baseAddress)
            gatherSeconds += NeuroChip.wallSeconds() - start
            gathers += 1
            gatherBytes = all.count
        }

        func sum(_ values: UnsafeMutableBufferPointer<Int64>) {
            // MPI counts are 32-bit: large arrays go in slices.
            var start = 0
            while start < values.count {
                let n = min(values.count - start, 1 << 28)
                _ = synfire_mpi_sum_int64(values.baseAddress! + start, Int32(n))
                start += n
            }
        }

        func barrier() { _ = synfire_mpi_barrier() }

        func finish() {
            guard !finished else { return }
            finished = true
            _ = synfire_mpi_finalize()
        }

        func abort(code: Int32) -> Never {
            synfire_mpi_abort(code)
            exit(code)
        }
    }
#endif
