// The step pool (include/StepPool.h): a generation counter announces a task, a countdown
// reports its end. Both are waited for by spinning a few microseconds, then on a
// condition variable, so wake-ups cost nothing while stages follow each other closely and
// sleeping workers cost nothing between runs.

#include "StepPool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

// Spin iterations (pause instructions) before sleeping: some tens of microseconds.
#define NC_POOL_SPINS 4000

struct nc_pool {
    int64_t workers;
    pthread_t *threads;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_cond_t done;
    _Atomic uint64_t generation;
    _Atomic int64_t remaining;
    _Atomic int stop;
    nc_pool_task task;
    void *context;
};

typedef struct {
    nc_pool *pool;
    int64_t worker;
} nc_pool_start;

static inline void nc_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *nc_pool_worker(void *argument) {
    nc_pool_start start = *(nc_pool_start *)argument;
    free(argument);
    nc_pool *pool = start.pool;
    uint64_t seen = 0;
    for (;;) {
        int spin = 0;
        uint64_t generation;
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
        pool->task(pool->context, start.worker);
        if (atomic_fetch_sub_explicit(&pool->remaining, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool->mutex);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->mutex);
        }
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
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->remaining, 0);
    atomic_init(&pool->stop, 0);
    for (int64_t w = 1; w < workers; w++) {
        nc_pool_start *start = malloc(sizeof(nc_pool_start));
        start->pool = pool;
        start->worker = w;
        if (pthread_create(&pool->threads[w], NULL, nc_pool_worker, start) != 0) {
            free(start);
            pool->workers = w;
            nc_pool_destroy(pool);
            return NULL;
        }
    }
    return pool;
}

void nc_pool_run(nc_pool *pool, nc_pool_task task, void *context) {
    if (pool->workers == 1) {
        task(context, 0);
        return;
    }
    pool->task = task;
    pool->context = context;
    atomic_store_explicit(&pool->remaining, pool->workers - 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    task(context, 0);
    int spin = 0;
    while (atomic_load_explicit(&pool->remaining, memory_order_acquire) != 0) {
        if (spin < NC_POOL_SPINS) {
            nc_relax();
                spin++;
            continue;
        }
        pthread_mutex_lock(&pool->mutex);
        while (atomic_load(&pool->remaining) != 0) pthread_cond_wait(&pool->done, &pool->mutex);
        pthread_mutex_unlock(&pool->mutex);
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
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->threads);
    free(pool);
}
