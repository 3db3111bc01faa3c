// The threads of a simulator (docs/neurochip.md, "Threads and ranks"): a C pool
// (StepPool.h) whose threads claim the partitions of a step stage one by one. The calling
// thread takes part, so one thread means no pool and no synchronisation at all.

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

    /// Runs `body(k)` for every k in 0..<tasks on the pool's threads; returns when all are
    /// done. `body` must not escape: the pool calls it only until `run` returns.
    func run(tasks: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { task in
            var task = task
            withUnsafeMutablePointer(to: &task) { pointer in
                nc_pool_run(
                    pool,
                    { context, index in
                        context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
                    }, pointer, Int64(tasks))
            }
        }
    }
}
