// A small pool of threads for the step's stages (ChipStep.swift): a run is a list of tasks
// (one per partition) that the calling thread and the pool's threads claim one by one, so
// a thread the OS has not scheduled yet delays nothing. Idle threads spin briefly (a
// step's stages follow each other within microseconds), then sleep.

#ifndef NEUROCHIP_STEP_POOL_H
#define NEUROCHIP_STEP_POOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nc_pool nc_pool;

/// One task of a run.
typedef void (*nc_pool_task)(void *context, int64_t index);

/// A pool of `workers` threads including the caller (>= 1): starts workers - 1 threads.
/// NULL when a thread cannot be started.
nc_pool *nc_pool_create(int64_t workers);

/// Runs task(context, k) once for every k in 0..<tasks (at most 65,535), on the calling
/// thread and the pool's threads, each task on one thread; returns when all are done.
/// Not reentrant: one run at a time per pool.
void nc_pool_run(nc_pool *pool, nc_pool_task task, void *context, int64_t tasks);

/// Stops and joins the threads and frees the pool.
void nc_pool_destroy(nc_pool *pool);

#ifdef __cplusplus
}
#endif

#endif
