// The step pool (include/StepPool.h). A run publishes its tasks under a new generation;
// the caller and every awake worker claim tasks one by one from a counter tagged with
// that generation, so a worker the OS has not scheduled yet costs nothing: the others
// take its tasks (on a busy machine a lock-step hand-off to a sleeping thread costs a
// scheduler tick). Idle workers spin briefly, then sleep on a condition variable.

#include "StepPool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

// Spin iterations (pause instructions) before sleeping: some tens of microseconds.
#define NC_POOL_SPINS 4000

struct nc_pool {
    int64_t workers;
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    /// The generation (high 32 bits), its task count (16 bits) and the next unclaimed task
    /// (low 16 bits), in one word: a claim that succeeds belongs to that generation, whose
    /// task and context the caller wrote before publishing the word.
    _Atomic uint64_t claim;
    _Atomic uint32_t generation;
    _Atomic int64_t done;
    _Atomic int stop;
    nc_pool_task task;
    void *context;
};

typedef struct {
    nc_pool *pool;
} nc_pool_start;

static inline void nc_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Runs tasks of `generation` until none is left to claim.
static void nc_pool_claim(nc_pool *pool, uint32_t generation) {
    for (;;) {
        uint64_t value = atomic_load_explicit(&pool->claim, memory_order_acquire);
        if ((uint32_t)(value >> 32) != generation) return;
        int64_t tasks = (int64_t)((value >> 16) & 0xFFFF);
        int64_t index = (int64_t)(value & 0xFFFF);
        if (index >= tasks) return;
        if (!atomic_compare_exchange_weak_explicit(
                &pool->claim, &value, value + 1, memory_order_acq_rel, memory_order_acquire)) {
            continue;
        }
        pool->task(pool->context, index);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_acq_rel);
    }
}

static void *nc_pool_worker(void *argument) {
    nc_pool *pool = ((nc_pool_start *)argument)->pool;
    free(argument);
    uint32_t seen = 0;
    for (;;) {
        int spin = 0;
        uint32_t generation;
        while ((generation = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
            if (spin < NC_POOL_SPINS) {
                nc_relax();
                spin++;
                continue;
            }
            pthread_mutex_lock(&pool->mutex);
            while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop)) {
                pthread_cond_wait(&pool->wake, &pool->mutex);
            }
            pthread_mutex_unlock(&pool->mutex);
        }
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
        seen = generation;
        nc_pool_claim(pool, generation);
    }
}

nc_pool *nc_pool_create(int64_t workers) {
    if (workers < 1) return NULL;
    nc_pool *pool = calloc(1, sizeof(nc_pool));
    if (!pool) return NULL;
    pool->workers = workers;
    pool->threads = calloc((size_t)workers, sizeof(pthread_t));
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->wake, NULL);
    atomic_init(&pool->claim, 0);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->done, 0);
    atomic_init(&pool->stop, 0);
    for (int64_t w = 1; w < workers; w++) {
        nc_pool_start *start = malloc(sizeof(nc_pool_start));
        start->pool = pool;
        if (pthread_create(&pool->threads[w], NULL, nc_pool_worker, start) != 0) {
            free(start);
            pool->workers = w;
            nc_pool_destroy(pool);
            return NULL;
        }
    }
    return pool;
}

void nc_pool_run(nc_pool *pool, nc_pool_task task, void *context, int64_t tasks) {
    if (pool->workers == 1 || tasks <= 1 || tasks > 0xFFFF) {
        for (int64_t k = 0; k < tasks; k++) task(context, k);
        return;
    }
    uint32_t generation = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    pool->task = task;
    pool->context = context;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    atomic_store_explicit(
        &pool->claim, (uint64_t)generation << 32 | (uint64_t)tasks << 16, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    atomic_store_explicit(&pool->generation, generation, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    nc_pool_claim(pool, generation);
    // Every task is claimed now; wait for the ones other workers are still running (on a
    // busy machine give the core away now and then: that worker may be waiting for it).
    for (int spin = 1; atomic_load_explicit(&pool->done, memory_order_acquire) != tasks; spin++) {
        if (spin % 256 == 0) {
            sched_yield();
        } else {
            nc_relax();
        }
    }
}

void nc_pool_destroy(nc_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int64_t w = 1; w < pool->workers; w++) pthread_join(pool->threads[w], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->threads);
    free(pool);
}
