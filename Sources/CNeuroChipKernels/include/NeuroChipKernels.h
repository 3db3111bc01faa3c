// Vector kernels of NeuroChip's delivery step (docs/neurochip.md "One time step" step 4), in C so one
// binary can carry an AVX2 variant next to a portable one and pick at run time: the
// default build targets baseline x86-64 (SSE2), where Swift cannot use AVX2 without
// making the whole binary AVX2-only. Every variant computes the same integers (wrapping
// 32-bit adds), so results are bit-identical whichever runs; tests compare them.

#ifndef NEUROCHIP_KERNELS_H
#define NEUROCHIP_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Which code path a kernel runs.
typedef enum {
    /// The fastest one this CPU supports (AVX2 when present, else portable).
    NCKernelAuto = 0,
    /// Plain C, vectorised for the build's baseline CPU.
    NCKernelPortable = 1,
    /// AVX2 (x86-64 only); falls back to portable on CPUs without AVX2.
    NCKernelAVX2 = 2,
} NCKernelVariant;

/// How dense rows hold their weights (see ConnectionRuntime.packed).
typedef enum {
    /// Signed 8-bit (mixed sign mode: w/2); current = sum << shift.
    NCRowsSigned = 0,
    /// Unsigned 8-bit added (excitatory mode).
    NCRowsUnsignedAdd = 1,
    /// Unsigned 8-bit subtracted (inhibitory mode, rows hold -w).
    NCRowsUnsignedSubtract = 2,
} NCRowKind;

/// 1 when this CPU and OS can run the AVX2 kernels, else 0.
int nc_cpu_supports_avx2(void);

/// The variant `requested` resolves to on this CPU (never NCKernelAuto).
NCKernelVariant nc_resolve_variant(NCKernelVariant requested);

/// Dense delivery: for every spike k, row r = rows + (spikes[k] - source_base) * stride
/// (n bytes) is added into target[0..<n] as `row[j] << shift` with wrapping 32-bit
/// arithmetic (subtracted for NCRowsUnsignedSubtract). shift must be 0...31.
void nc_dense_rows_add(
    int32_t *target, const int8_t *rows, int64_t stride, const int32_t *spikes, int64_t count,
    int32_t source_base, int64_t n, int32_t shift, NCRowKind kind, NCKernelVariant variant);

/// Sparse delivery: synapses of source i are k in row_start[i] ..< row_start[i+1]; synapse
/// k is the 3 bytes at synapses + 3k: its post (16 bits, little-endian) and its 8-bit weight
/// in the same encoding as dense rows (`kind`). Adds `weight << shift` into target[post]
/// (subtracts for NCRowsUnsignedSubtract) with wrapping 32-bit arithmetic, spikes in order,
/// synapses in row order. Returns the number of synapses touched.
int64_t nc_sparse_rows_add(
    int32_t *target, const uint8_t *synapses, const int32_t *row_start, const int32_t *spikes, int64_t count,
    int32_t source_base, int32_t shift, NCRowKind kind);

/// Storage for sparse rows of `bytes` bytes (free with nc_free_rows); NULL when out of
/// memory. From 1 MiB up it is 2 MiB-aligned and asks for transparent huge pages.
void *nc_alloc_rows(int64_t bytes);
void nc_free_rows(void *rows);

/// Counts of one compartment update pass (see nc_update_compartments).
typedef struct {
    int64_t active;
    int64_t fired;
    int64_t wraps;
    /// Non-zero when any input was non-zero or any u, v or refractory count changed
    /// (only computed when detect_change is set).
    int64_t changed;
} NCCompartmentTally;

/// Steps 1-3 of docs/neurochip.md "One time step" for compartments [start, end) of the flat arrays, the
/// same integers as NeuroChip's `compartmentStep`: u = decay(u, du) + input; refractory
/// compartments keep v = 0 and count down; else v = decay(v, dv) + u + bias, spike when
/// v > vth (then v = 0, refractory count = refractory - 1); u wraps to 24 bits, v saturates
/// to [vmin, vmax] (`wraps` counts u's wraps only). Reads and zeroes input[i], writes
/// spikes[i] = 0/1. u and v must hold 24-bit values, du and dv 0...4096, |bias| < 2^23 and
/// -(2^23 - 1) <= vmin <= 0 <= vmax <= 2^23 - 1.
NCCompartmentTally nc_update_compartments(
    int64_t start, int64_t end, int32_t du, int32_t dv, int32_t bias, int32_t vth, int32_t refractory,
    int32_t vmin, int32_t vmax, int32_t *u, int32_t *v, int32_t *refractory_left, int32_t *input, uint8_t *spikes, int detect_change,
    NCKernelVariant variant);

#ifdef __cplusplus
}
#endif

#endif
