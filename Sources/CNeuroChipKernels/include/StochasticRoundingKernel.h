// The learning engine's stochastic rounding pass (loihi-model.md §4) as a C kernel, so the
// AVX2 variant can draw four SplitMix64 numbers at once; see StochasticRoundingKernel.c.

#ifndef NEUROCHIP_STOCHASTIC_ROUNDING_KERNEL_H
#define NEUROCHIP_STOCHASTIC_ROUNDING_KERNEL_H

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

#ifdef __cplusplus
}
#endif

#endif
