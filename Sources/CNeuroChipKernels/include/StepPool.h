// A small pool of threads that run one task per step stage (ChipStep.swift): the caller
// is worker 0, the pool's threads are workers 1..<n, and `nc_pool_run` returns when every
// worker has finished. Workers wait for the next task by spinning briefly (a step's stages
// follow each other within microseconds) and then sleeping, so an idle simulator costs no CPU.

#ifndef NEUROCHIP_STEP_POOL_H
#define NEUROCHIP_STEP_POOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nc_pool nc_pool;

/// One worker's part of a task.
typedef void (*nc_pool_task)(void *context, int64_t worker);

/// A pool of `workers` workers (>= 1): starts workers - 1 threads. NULL when a thread
/// cannot be started.
nc_pool *nc_pool_create(int64_t workers);

/// Runs task(context, w) for every worker w, the calling thread as worker 0, and returns
/// when all are done. Not reentrant: one task at a time per pool.
void nc_pool_run(nc_pool *pool, nc_pool_task task, void *context);

/// Stops and joins the threads and frees the pool.
void nc_pool_destroy(nc_pool *pool);

#ifdef __cplusplus
}
#endif

#endif
