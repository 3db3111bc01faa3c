// nBP fast-path kernels (see include/NBPKernels.h). As in CNeuroChipKernels, each body is
// written once as an always-inline function over clang vector types and instantiated
// twice: for the build's baseline CPU and inside functions marked target("avx2"), where
// the same vector code uses 256-bit registers. Both compute identical integers.

#include "NBPKernels.h"

#include <string.h>

#if defined(__x86_64__)
#define NBP_X86_64 1
#endif

#define NBP_INLINE static inline __attribute__((always_inline))

// Rows summed in one 16-bit partial sum: 255 * 128 = 32640 < 32768, so it cannot wrap.
#define NBP_MAX_ROWS 255

typedef int8_t v16i8 __attribute__((vector_size(16)));
typedef int8_t v32i8 __attribute__((vector_size(32)));
typedef int16_t v16i16 __attribute__((vector_size(32)));
typedef int16_t v8i16 __attribute__((vector_size(16)));
typedef int32_t v8i32 __attribute__((vector_size(32)));

// One tile of `lanes` columns (a multiple of 16) starting at column c0: the partial sums
// stay in registers while every active row adds its sign-extended slice, then are
// doubled and widened into a.
NBP_INLINE void sum_tile(
    int32_t *restrict a, const int8_t *restrict rows, int64_t n, const int32_t *restrict active, int64_t count,
    int64_t c0, const int lanes) {
    v16i16 acc[8];
    const int vectors = lanes / 16;
    for (int64_t r0 = 0; r0 < count; r0 += NBP_MAX_ROWS) {
        const int64_t r1 = count - r0 < NBP_MAX_ROWS ? count : r0 + NBP_MAX_ROWS;
        for (int v = 0; v < vectors; v++) acc[v] = (v16i16){0};
        for (int64_t k = r0; k < r1; k++) {
            const int8_t *row = rows + (int64_t)active[k] * n + c0;
            for (int v = 0; v < vectors; v++) {
                v16i8 slice;
                memcpy(&slice, row + 16 * v, sizeof slice);  // an unaligned load
                acc[v] += __builtin_convertvector(slice, v16i16);
            }
        }
        for (int v = 0; v < vectors; v++) {
            v8i16 low = __builtin_shufflevector(acc[v], acc[v], 0, 1, 2, 3, 4, 5, 6, 7);
            v8i16 high = __builtin_shufflevector(acc[v], acc[v], 8, 9, 10, 11, 12, 13, 14, 15);
            v8i32 first, second;
            memcpy(&first, a + c0 + 16 * v, sizeof first);
            memcpy(&second, a + c0 + 16 * v + 8, sizeof second);
            first += __builtin_convertvector(low, v8i32) << 1;
            second += __builtin_convertvector(high, v8i32) << 1;
            memcpy(a + c0 + 16 * v, &first, sizeof first);
            memcpy(a + c0 + 16 * v + 8, &second, sizeof second);
        }
    }
}

NBP_INLINE void sum_rows_body(
    int32_t *restrict a, const int8_t *restrict rows, int64_t n, const int32_t *restrict active, int64_t count) {
    memset(a, 0, (size_t)n * sizeof(int32_t));
    int64_t c0 = 0;
    // 128 columns = 8 accumulators (8 of the 16 vector registers with AVX2; with SSE2 the
    // compiler splits each into two, still within the 16 registers).
    for (; c0 + 128 <= n; c0 += 128) sum_tile(a, rows, n, active, count, c0, 128);
    if (c0 + 64 <= n) {
        sum_tile(a, rows, n, active, count, c0, 64);
        c0 += 64;
    }
    for (; c0 + 16 <= n; c0 += 16) sum_tile(a, rows, n, active, count, c0, 16);
    for (int64_t k = 0; k < count && c0 < n; k++) {
        const int8_t *row = rows + (int64_t)active[k] * n;
        for (int64_t j = c0; j < n; j++) a[j] += 2 * (int32_t)row[j];
    }
}

// 32 columns per vector; the add saturates at int8, which cannot change the result: the
// clamp to [floor, ceiling] (both within int8) maps any true sum beyond int8 to the same
// bound the saturation gives (e.g. 127 + 1 -> 127 -> min(ceiling, 127)).
NBP_INLINE void update_rows_body(
    int8_t *restrict rows, int64_t n, const int32_t *restrict active, int64_t count,
    const int8_t *restrict increment, const int8_t *restrict ceiling, int8_t floor) {
    const v32i8 floors = (v32i8){0} + floor;
    for (int64_t k = 0; k < count; k++) {
        int8_t *restrict row = rows + (int64_t)active[k] * n;
        int64_t j = 0;
        for (; j + 32 <= n; j += 32) {
            v32i8 value, add, top;
            memcpy(&value, row + j, sizeof value);
            memcpy(&add, increment + j, sizeof add);
            memcpy(&top, ceiling + j, sizeof top);
            value = __builtin_elementwise_add_sat(value, add);
            value = __builtin_elementwise_min(top, __builtin_elementwise_max(floors, value));
            memcpy(row + j, &value, sizeof value);
        }
        for (; j < n; j++) {
            int value = row[j] + increment[j];
            value = value < floor ? floor : value;
            row[j] = (int8_t)(value > ceiling[j] ? ceiling[j] : value);
        }
    }
}

// Rows of at most 16 int16 values (W2 rows, one per output) summed as whole vectors: one
// load and one add per row. Lanes beyond n read the next row (or the allocation's
// padding) and are dropped; 16-bit partial sums are exact for at most 127 rows of values
// in [-256, 256], and unsigned lanes make the dropped lanes' wrap well defined.
typedef uint16_t v16u16 __attribute__((vector_size(32)));

NBP_INLINE void sum_short_rows_body(
    int32_t *restrict out, const int16_t *restrict rows, int64_t n, const int32_t *restrict index, int64_t count) {
    v8i32 low = (v8i32){0};
    v8i32 high = (v8i32){0};
    for (int64_t r0 = 0; r0 < count; r0 += 127) {
        const int64_t r1 = count - r0 < 127 ? count : r0 + 127;
        v16u16 acc = (v16u16){0};
        for (int64_t r = r0; r < r1; r++) {
            v16u16 row;
            memcpy(&row, rows + (int64_t)index[r] * n, sizeof row);
            acc += row;
        }
        const v16i16 sums = (v16i16)acc;
        low += __builtin_convertvector(__builtin_shufflevector(sums, sums, 0, 1, 2, 3, 4, 5, 6, 7), v8i32);
        high += __builtin_convertvector(__builtin_shufflevector(sums, sums, 8, 9, 10, 11, 12, 13, 14, 15), v8i32);
    }
    int32_t lanes[16];
    memcpy(lanes, &low, sizeof low);
    memcpy(lanes + 8, &high, sizeof high);
    for (int64_t k = 0; k < n; k++) out[k] = lanes[k];
}

static void sum_short_rows_portable(
    int32_t *out, const int16_t *rows, int64_t n, const int32_t *index, int64_t count) {
    sum_short_rows_body(out, rows, n, index, count);
}

static void sum_rows_portable(int32_t *a, const int8_t *rows, int64_t n, const int32_t *active, int64_t count) {
    sum_rows_body(a, rows, n, active, count);
}

static void update_rows_portable(
    int8_t *rows, int64_t n, const int32_t *active, int64_t count, const int8_t *increment, const int8_t *ceiling,
    int8_t floor) {
    update_rows_body(rows, n, active, count, increment, ceiling, floor);
}

#ifdef NBP_X86_64
__attribute__((target("avx2"))) static void sum_rows_avx2(
    int32_t *a, const int8_t *rows, int64_t n, const int32_t *active, int64_t count) {
    sum_rows_body(a, rows, n, active, count);
}

__attribute__((target("avx2"))) static void sum_short_rows_avx2(
    int32_t *out, const int16_t *rows, int64_t n, const int32_t *index, int64_t count) {
    sum_short_rows_body(out, rows, n, index, count);
}

__attribute__((target("avx2"))) static void update_rows_avx2(
    int8_t *rows, int64_t n, const int32_t *active, int64_t count, const int8_t *increment, const int8_t *ceiling,
    int8_t floor) {
    update_rows_body(rows, n, active, count, increment, ceiling, floor);
}
#endif

void nbp_sum_rows(
    int32_t *a, const int8_t *rows, int64_t n, const int32_t *active, int64_t count, NCKernelVariant variant) {
    if (n <= 0) return;
#ifdef NBP_X86_64
    if (nc_resolve_variant(variant) == NCKernelAVX2) {
        sum_rows_avx2(a, rows, n, active, count);
        return;
    }
#else
    (void)variant;
#endif
    sum_rows_portable(a, rows, n, active, count);
}

void nbp_update_rows(
    int8_t *rows, int64_t n, const int32_t *active, int64_t count, const int8_t *increment,
    const int8_t *ceiling, int8_t floor, NCKernelVariant variant) {
    if (n <= 0 || count <= 0) return;
#ifdef NBP_X86_64
    if (nc_resolve_variant(variant) == NCKernelAVX2) {
        update_rows_avx2(rows, n, active, count, increment, ceiling, floor);
        return;
    }
#else
    (void)variant;
#endif
    update_rows_portable(rows, n, active, count, increment, ceiling, floor);
}

void nbp_sum_short_rows(
    int32_t *out, const int16_t *rows, int64_t n, const int32_t *index, int64_t count, NCKernelVariant variant) {
    if (n <= 0 || n > 16) return;
#ifdef NBP_X86_64
    if (nc_resolve_variant(variant) == NCKernelAVX2) {
        sum_short_rows_avx2(out, rows, n, index, count);
        return;
    }
#else
    (void)variant;
#endif
    sum_short_rows_portable(out, rows, n, index, count);
}
