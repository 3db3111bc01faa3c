// Learning sweep kernels. Stochastic rounding of a row of sums: every synapse has its own
// keyed draw (ChipDraws.swift), the SplitMix64 output at state key + (index + 1) * gamma,
// so the lanes are independent: the AVX2 variant computes four draws at once and the loop
// carries one vector add.

#include "LearningKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define NC_SR_X86_64 1
#endif

#define NC_GAMMA 0x9E3779B97F4A7C15ULL
#define NC_MIX1 0xBF58476D1CE4E5B9ULL
#define NC_MIX2 0x94D049BB133111EBULL

static inline uint64_t splitmix_output(uint64_t z) {
    z = (z ^ (z >> 30)) * NC_MIX1;
    z = (z ^ (z >> 27)) * NC_MIX2;
    return z ^ (z >> 31);
}

static void round_portable(int32_t *sums, int64_t from, int64_t count, int32_t shift, uint64_t key, int64_t first) {
    const int32_t mask = (int32_t)((1u << shift) - 1u);
    for (int64_t j = from; j < count; j++) {
        int32_t sum = sums[j];
        uint64_t remainder = (uint32_t)(sum & mask);
        uint64_t top = splitmix_output(key + (uint64_t)(first + j + 1) * NC_GAMMA) >> (64 - shift);
        sums[j] = (sum >> shift) + (top < remainder ? 1 : 0);
    }
}

#ifdef NC_SR_X86_64
// a * c (mod 2^64) per 64-bit lane from three 32x32->64 multiplies.
__attribute__((target("avx2"))) static inline __m256i mul64_const(__m256i a, __m256i cLo, __m256i cHi) {
    __m256i low = _mm256_mul_epu32(a, cLo);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), cLo), _mm256_mul_epu32(a, cHi));
    return _mm256_add_epi64(low, _mm256_slli_epi64(cross, 32));
}

__attribute__((target("avx2"))) static void round_avx2(
    int32_t *sums, int64_t count, int32_t shift, uint64_t key, int64_t first) {
    const __m128i mask = _mm_set1_epi32((int32_t)((1u << shift) - 1u));
    const __m128i shiftCount = _mm_cvtsi32_si128(shift);
    const __m128i topCount = _mm_cvtsi32_si128(64 - shift);
    const __m256i m1Lo = _mm256_set1_epi64x((long long)(NC_MIX1 & 0xffffffffULL));
    const __m256i m1Hi = _mm256_set1_epi64x((long long)(NC_MIX1 >> 32));
    const __m256i m2Lo = _mm256_set1_epi64x((long long)(NC_MIX2 & 0xffffffffULL));
    const __m256i m2Hi = _mm256_set1_epi64x((long long)(NC_MIX2 >> 32));
    const __m256i pickLow = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
    const __m256i step = _mm256_set1_epi64x((long long)(NC_GAMMA * 4));
    const uint64_t s0 = key + (uint64_t)(first + 1) * NC_GAMMA;
    __m256i state = _mm256_setr_epi64x(
        (long long)s0, (long long)(s0 + NC_GAMMA), (long long)(s0 + 2 * NC_GAMMA), (long long)(s0 + 3 * NC_GAMMA));
    int64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        __m128i s = _mm_loadu_si128((const __m128i *)(sums + j));
        __m128i remainder = _mm_and_si128(s, mask);
        __m256i z = state;
        z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 30));
        z = mul64_const(z, m1Lo, m1Hi);
        z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 27));
        z = mul64_const(z, m2Lo, m2Hi);
        z = _mm256_xor_si256(z, _mm256_srli_epi64(z, 31));
        __m256i top = _mm256_srl_epi64(z, topCount);
        // Both sides are below 2^31, so the signed 64-bit compare is exact.
        __m256i up = _mm256_cmpgt_epi64(_mm256_cvtepu32_epi64(remainder), top);
        __m128i up32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(up, pickLow));
        _mm_storeu_si128((__m128i *)(sums + j), _mm_sub_epi32(_mm_sra_epi32(s, shiftCount), up32));
        state = _mm256_add_epi64(state, step);
    }
    round_portable(sums, j, count, shift, key, first);
}
#endif

void nc_round_stochastically(
    int32_t *sums, int64_t count, int32_t shift, uint64_t key, int64_t first, NCKernelVariant variant) {
    if (count <= 0 || shift <= 0) return;
#ifdef NC_SR_X86_64
    if (nc_resolve_variant(variant) == NCKernelAVX2) {
        round_avx2(sums, count, shift, key, first);
        return;
    }
#endif
    round_portable(sums, 0, count, shift, key, first);
}

// The sums pass is here too: SSE2 (the default build's baseline) has no 32-bit vector
// multiply, AVX2 has.
#define NC_SWEEP_SUMS_BODY                                                                                     \
    int64_t nonZero = 0;                                                                                       \
    for (int64_t j = 0; j < count; j++) {                                                                      \
        int32_t termPost = (int32_t)((uint32_t)post_a * (uint32_t)column[j]);                                  \
        int32_t termWeight = (int32_t)((uint32_t)weight_a * (uint32_t)((int32_t)w[j] + offset));               \
        sums[j] = (int32_t)((uint32_t)constant + (uint32_t)termPost + (uint32_t)termWeight);                   \
        nonZero += (termPost | termWeight) != 0;                                                               \
    }                                                                                                          \
    return constant_counts ? count : nonZero;

static int64_t sweep_sums_portable(
    int32_t *sums, const int32_t *column, const int16_t *w, int64_t count, int32_t constant, int32_t constant_counts,
    int32_t post_a, int32_t weight_a, int32_t offset) {
    NC_SWEEP_SUMS_BODY
}

#ifdef NC_SR_X86_64
__attribute__((target("avx2"))) static int64_t sweep_sums_avx2(
    int32_t *sums, const int32_t *column, const int16_t *w, int64_t count, int32_t constant, int32_t constant_counts,
    int32_t post_a, int32_t weight_a, int32_t offset) {
    NC_SWEEP_SUMS_BODY
}
#endif

int64_t nc_sweep_sums(
    int32_t *sums, const int32_t *column, const int16_t *w, int64_t count, int32_t constant, int32_t constant_counts,
    int32_t post_a, int32_t weight_a, int32_t offset, NCKernelVariant variant) {
    if (count <= 0) return 0;
#ifdef NC_SR_X86_64
    if (nc_resolve_variant(variant) == NCKernelAVX2)
        return sweep_sums_avx2(sums, column, w, count, constant, constant_counts, post_a, weight_a, offset);
#endif
    return sweep_sums_portable(sums, column, w, count, constant, constant_counts, post_a, weight_a, offset);
}
