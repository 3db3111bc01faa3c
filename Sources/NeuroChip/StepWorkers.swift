// The threads of a simulator (docs/neurochip.md, "Threads and ranks"): a C pool
// (StepPool.h) whose workers each run one partition's part of a step stage. The calling
// thread is worker 0, so one thread means no pool and no synchronisation at all.

import CNeuroChipKernels

final class StepWorkers {
    private let pool: OpaquePointer
    let count: Int

    /// nil when `count` is 1 (the caller does everything) or the threads cannot start.
    init?(count: Int) {
        guard count > 1, let pool = nc_pool_create(Int64(count)) else { return nil }
        self.pool = pool
        self.count = count
    }

    deinit { nc_pool_destroy(pool) }

    /// Runs `body(w)` for every worker w in 0..<count in parallel; returns when all are done.
    /// `body` must not escape: the pool calls it only until `run` returns.
    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { task in
            var task = task
            withUnsafeMutablePointer(to: &task) { pointer in
                nc_pool_run(
                    pool,
                    { context, worker in
                        context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(worker))
                    }, pointer)
            }
        }
    }
}
