// Vector kernels of the nBP fast path (NBPFastEngine, docs/nbp.md "Fast path"): summing
// the W1 rows of the active inputs and the clamped ±2 update of those rows. In C for the
// same reason as CNeuroChipKernels: the default build targets baseline x86-64 (SSE2), and
// only C lets one binary carry an AVX2 variant chosen at run time. Every variant computes
// the same integers, so results are bit-identical whichever runs; tests compare them.

#ifndef NBP_KERNELS_H
#define NBP_KERNELS_H

#include <stdint.h>

#include "NeuroChipKernels.h"

#ifdef __cplusplus
extern "C" {
#endif

// W1 is stored in half units: every nBP weight is an even integer in [-256, 254]
// (docs/neurochip.md "Units": the 8-bit mixed-sign mantissa drops the lowest bit), so w / 2 is an
// exact int8 and a row of 400 inputs is 400 bytes instead of 800.

/// a[j] = 2 * (sum over k < count of rows[active[k] * n + j]), for j < n, exactly (32-bit
/// result). Partial sums of at most 255 rows are kept in 16 bits (255 * 128 < 2^15) and
/// then widened. `variant` as in CNeuroChipKernels (NCKernelAuto honours
/// SYNFIRE_KERNELS=portable).
void nbp_sum_rows(
    int32_t *a, const int8_t *rows, int64_t n, const int32_t *active, int64_t count, NCKernelVariant variant);

/// For every k < count, row r = rows + active[k] * n: r[j] = min(ceiling[j], max(floor,
/// r[j] + increment[j])) for j < n. r[j] + increment[j] must fit int8.
void nbp_update_rows(
    int8_t *rows, int64_t n, const int32_t *active, int64_t count, const int8_t *increment, const int8_t *ceiling,
    int8_t floor, NCKernelVariant variant);

/// out[k] = sum over r < count of rows[index[r] * n + k], for k < n, exactly; n must be
/// 1...16 (other n: nothing is written). Reads 16 int16 from every row start, so the row
/// storage must stay readable 16 - n elements past its last row (pad the allocation).
/// Rows hold values in [-256, 256].
void nbp_sum_short_rows(
    int32_t *out, const int16_t *rows, int64_t n, const int32_t *index, int64_t count, NCKernelVariant variant);

#ifdef __cplusplus
}
#endif

#endif
