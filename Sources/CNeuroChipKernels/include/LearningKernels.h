// Two passes of the learning engine's fused sweep rows (LearningEngine.swift) as C kernels
// with an AVX2 variant chosen at run time: the sums (32-bit multiplies, which SSE2 lacks)
// and the stochastic rounding (docs/neurochip.md "Network descriptions"; four SplitMix64 draws at once).

#ifndef NEUROCHIP_LEARNING_KERNELS_H
#define NEUROCHIP_LEARNING_KERNELS_H

#include <stdint.h>

#include "NeuroChipKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/// For j in 0..<count, in order: r = sums[j] mod 2^shift; when r != 0 the SplitMix64
/// generator advances (state += 0x9E3779B97F4A7C15) and draws z = mix(state);
/// sums[j] = (sums[j] >> shift) + (z >> (64 - shift) < r). The same integers and generator
/// states as `ChipRandom.roundsUp` (NeuroChip), whichever variant runs. shift must be
/// 0...30 (0: no draws, sums unchanged). Returns the generator state after the pass.
uint64_t nc_round_stochastically(int32_t *sums, int64_t count, int32_t shift, uint64_t state, NCKernelVariant variant);

/// The sums pass of a fused sweep row: sums[j] = constant + post_a * column[j] +
/// weight_a * (w[j] + offset) with wrapping 32-bit arithmetic (callers guarantee no wrap);
/// returns how many j have a non-zero post or weight term, plus count when
/// constant_counts is set (then every synapse counts).
int64_t nc_sweep_sums(
    int32_t *sums, const int32_t *column, const int16_t *w, int64_t count, int32_t constant, int32_t constant_counts,
    int32_t post_a, int32_t weight_a, int32_t offset, NCKernelVariant variant);

#ifdef __cplusplus
}
#endif

#endif
