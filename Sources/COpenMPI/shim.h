// Open MPI (Debian libopenmpi-dev) for synfire built with --traits MPI. MPI's handles are
// macros Swift cannot import, so the few calls Synfire makes are wrapped here; every rank
// calls them from its main thread only (MPI_THREAD_FUNNELED).
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>

static inline int synfire_mpi_init(void) {
    // Open MPI's shared-memory transport sends up to 4 KiB eagerly and larger messages by
    // rendezvous, ~5x slower per step (2.6 vs 0.5 us for a 4 KiB block on 2 ranks here):
    // a 64k-compartment network's spike bitmap is 4 KiB per rank. Raise the limit to
    // 32 KiB unless the user set it (mpirun --mca btl_vader_eager_limit, or the variable).
    setenv("OMPI_MCA_btl_vader_eager_limit", "32768", 0);
    int provided = 0;
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}

static inline int synfire_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

static inline int synfire_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

/// Every rank's `bytes` bytes, in rank order, into `receive` (ranks * bytes).
static inline int synfire_mpi_allgather(const void *send, int bytes, void *receive) {
    return MPI_Allgather(send, bytes, MPI_BYTE, receive, bytes, MPI_BYTE, MPI_COMM_WORLD);
}

/// Element-wise sum over the ranks, in place, on every rank.
static inline int synfire_mpi_sum_int64(int64_t *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
}

static inline int synfire_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

static inline void synfire_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

static inline int synfire_mpi_finalize(void) { return MPI_Finalize(); }
