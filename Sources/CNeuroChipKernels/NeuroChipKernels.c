// Delivery kernels (see include/NeuroChipKernels.h). The kernel bodies are written once
// as always-inline functions and instantiated twice: plain (the build's baseline CPU) and
// inside functions marked target("avx2"), where the compiler vectorises the same loops
// with 256-bit registers. Both compute identical integers; nc_dense_rows_add picks one
// at run time from cpuid (cached), and SYNFIRE_KERNELS=portable forces the plain one.

#include "NeuroChipKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__x86_64__)
#include <cpuid.h>
#define NC_X86_64 1
#endif

// Columns per int16 accumulator tile (2 KiB on the stack, stays in L1 with the target).
#define NC_TILE 1024
// Rows summed in one 16-bit accumulator before it is flushed: |signed sum| <= 128 * 256
// = 32768 fits int16 (as a bit pattern), unsigned sums <= 255 * 256 < 65536 fit uint16,
// so the 16-bit sums are exact and widening them afterwards gives the 32-bit sums.
#define NC_MAX_ROWS 256

#define NC_INLINE static inline __attribute__((always_inline))

// Fetch the next rows ahead of use: with thousands of 1 KiB rows the weights do not stay
// in cache (docs/neurochip.md), and four rows at random addresses are more streams than
// the hardware prefetcher follows.
NC_INLINE void prefetch_bytes(const int8_t *p, int64_t n) {
    for (int64_t j = 0; j < n; j += 64) __builtin_prefetch(p + j, 0, 3);
}

NC_INLINE void dense_body(
    int32_t *restrict target, const int8_t *restrict rows, int64_t stride, const int32_t *restrict spikes,
    int64_t count, int32_t base, int64_t n, int32_t shift, NCRowKind kind) {
    uint16_t acc[NC_TILE] __attribute__((aligned(64)));
    for (int64_t c0 = 0; c0 < n; c0 += NC_TILE) {
        const int64_t w = n - c0 < NC_TILE ? n - c0 : NC_TILE;
        for (int64_t r0 = 0; r0 < count; r0 += NC_MAX_ROWS) {
            const int64_t rk = count - r0 < NC_MAX_ROWS ? count - r0 : NC_MAX_ROWS;
            const int32_t *sp = spikes + r0;
            memset(acc, 0, (size_t)w * sizeof(uint16_t));
            int64_t k = 0;
            // Four rows per pass over the accumulator: one load/store of it per four rows.
            // Each 64-column chunk also prefetches the same chunk of the next four rows, so
            // the fetches of rows at random addresses overlap with the adds.
            for (; k + 4 <= rk; k += 4) {
                const int8_t *a = rows + (int64_t)(sp[k] - base) * stride + c0;
                const int8_t *b = rows + (int64_t)(sp[k + 1] - base) * stride + c0;
                const int8_t *c = rows + (int64_t)(sp[k + 2] - base) * stride + c0;
                const int8_t *d = rows + (int64_t)(sp[k + 3] - base) * stride + c0;
                const int64_t ahead = rk - (k + 4) < 4 ? rk - (k + 4) : 4;
                const int8_t *next[4] = {a, b, c, d};
                for (int64_t q = 0; q < ahead; q++) next[q] = rows + (int64_t)(sp[k + 4 + q] - base) * stride + c0;
                int64_t j0 = 0;
                for (; j0 + 64 <= w; j0 += 64) {
                    for (int64_t q = 0; q < 4; q++) __builtin_prefetch(next[q] + j0, 0, 3);
                    if (kind == NCRowsSigned) {
                        for (int64_t j = j0; j < j0 + 64; j++) {
                            acc[j] += (uint16_t)((int16_t)a[j] + (int16_t)b[j] + (int16_t)c[j] + (int16_t)d[j]);
                        }
                    } else {
                        for (int64_t j = j0; j < j0 + 64; j++) {
                            acc[j] += (uint16_t)((uint16_t)(uint8_t)a[j] + (uint16_t)(uint8_t)b[j]
                                                 + (uint16_t)(uint8_t)c[j] + (uint16_t)(uint8_t)d[j]);
                        }
                    }
                }
                for (int64_t q = 0; q < 4 && j0 < w; q++) prefetch_bytes(next[q] + j0, w - j0);
                if (kind == NCRowsSigned) {
                    for (int64_t j = j0; j < w; j++) {
                        acc[j] += (uint16_t)((int16_t)a[j] + (int16_t)b[j] + (int16_t)c[j] + (int16_t)d[j]);
                    }
                } else {
                    for (int64_t j = j0; j < w; j++) {
                        acc[j] += (uint16_t)((uint16_t)(uint8_t)a[j] + (uint16_t)(uint8_t)b[j]
                                             + (uint16_t)(uint8_t)c[j] + (uint16_t)(uint8_t)d[j]);
                    }
                }
            }
            for (; k < rk; k++) {
                const int8_t *a = rows + (int64_t)(sp[k] - base) * stride + c0;
                if (kind == NCRowsSigned) {
                    for (int64_t j = 0; j < w; j++) acc[j] += (uint16_t)(int16_t)a[j];
                } else {
                    for (int64_t j = 0; j < w; j++) acc[j] += (uint16_t)(uint8_t)a[j];
                }
            }
            // Widen and add: (sum of rows) << shift == sum of (row << shift) mod 2^32.
            int32_t *t = target + c0;
            if (kind == NCRowsSigned) {
                for (int64_t j = 0; j < w; j++) {
                    t[j] = (int32_t)((uint32_t)t[j] + ((uint32_t)(int32_t)(int16_t)acc[j] << shift));
                }
            } else if (kind == NCRowsUnsignedAdd) {
                for (int64_t j = 0; j < w; j++) t[j] = (int32_t)((uint32_t)t[j] + ((uint32_t)acc[j] << shift));
            } else {
                for (int64_t j = 0; j < w; j++) t[j] = (int32_t)((uint32_t)t[j] - ((uint32_t)acc[j] << shift));
            }
        }
    }
}

static void dense_portable(
    int32_t *target, const int8_t *rows, int64_t stride, const int32_t *spikes, int64_t count, int32_t base,
    int64_t n, int32_t shift, NCRowKind kind) {
    dense_body(target, rows, stride, spikes, count, base, n, shift, kind);
}

#ifdef NC_X86_64
__attribute__((target("avx2"))) static void dense_avx2(
    int32_t *target, const int8_t *rows, int64_t stride, const int32_t *spikes, int64_t count, int32_t base,
    int64_t n, int32_t shift, NCRowKind kind) {
    dense_body(target, rows, stride, spikes, count, base, n, shift, kind);
}
#endif

int nc_cpu_supports_avx2(void) {
#ifdef NC_X86_64
    // -1 = not yet known. cpuid traps to the hypervisor on virtual machines, so ask once.
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    unsigned a, b, c, d;
    int ok = 0;
    // AVX2 needs the CPU bit (leaf 7) and the OS saving YMM state (OSXSAVE + XCR0 bits 1, 2).
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        if ((lo & 6) == 6 && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2)) ok = 1;
    }
    __atomic_store_n(&cached, ok, __ATOMIC_RELAXED);
    return ok;
#else
    return 0;
#endif
}

NCKernelVariant nc_resolve_variant(NCKernelVariant requested) {
    static int forcedPortable = -1;
    if (requested == NCKernelAuto) {
        int forced = __atomic_load_n(&forcedPortable, __ATOMIC_RELAXED);
        if (forced < 0) {
            const char *env = getenv("SYNFIRE_KERNELS");
            forced = env != NULL && strcmp(env, "portable") == 0;
            __atomic_store_n(&forcedPortable, forced, __ATOMIC_RELAXED);
        }
        if (forced) return NCKernelPortable;
        requested = NCKernelAVX2;
    }
    if (requested == NCKernelAVX2 && nc_cpu_supports_avx2()) return NCKernelAVX2;
    return NCKernelPortable;
}

void nc_dense_rows_add(
    int32_t *target, const int8_t *rows, int64_t stride, const int32_t *spikes, int64_t count,
    int32_t source_base, int64_t n, int32_t shift, NCRowKind kind, NCKernelVariant variant) {
    if (count <= 0 || n <= 0) return;
#ifdef NC_X86_64
    if (nc_resolve_variant(variant) == NCKernelAVX2) {
        dense_avx2(target, rows, stride, spikes, count, source_base, n, shift, kind);
        return;
    }
#else
    (void)variant;
#endif
    dense_portable(target, rows, stride, spikes, count, source_base, n, shift, kind);
}

// One synapse of the sparse rows: 16-bit post (little-endian) then the 8-bit weight.
// One 16-bit load (the byte-wise form compiles to two loads and a shift).
NC_INLINE uint32_t synapse_post(const uint8_t *p) {
    uint16_t post;
    __builtin_memcpy(&post, p, 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    post = __builtin_bswap16(post);
#endif
    return post;
}

NC_INLINE void sparse_row(
    int32_t *restrict target, const uint8_t *restrict row, int32_t length, int32_t shift, NCRowKind kind) {
    if (kind == NCRowsSigned) {
        for (int32_t s = 0; s < length; s++) {
            const uint8_t *p = row + 3 * s;
            const uint32_t post = synapse_post(p);
            target[post] = (int32_t)((uint32_t)target[post] + ((uint32_t)(int32_t)(int8_t)p[2] << shift));
        }
    } else if (kind == NCRowsUnsignedAdd) {
        for (int32_t s = 0; s < length; s++) {
            const uint8_t *p = row + 3 * s;
            const uint32_t post = synapse_post(p);
            target[post] = (int32_t)((uint32_t)target[post] + ((uint32_t)p[2] << shift));
        }
    } else {
        for (int32_t s = 0; s < length; s++) {
            const uint8_t *p = row + 3 * s;
            const uint32_t post = synapse_post(p);
            target[post] = (int32_t)((uint32_t)target[post] - ((uint32_t)p[2] << shift));
        }
    }
}

// Every cache line of a row's bytes [first, end) (prefetch_bytes steps from an unaligned
// start and can miss the last line).
NC_INLINE void prefetch_row(const uint8_t *synapses, int32_t first, int32_t end) {
    const uintptr_t a = (uintptr_t)(synapses + 3 * (int64_t)first) & ~(uintptr_t)63;
    const uintptr_t b = (uintptr_t)(synapses + 3 * (int64_t)end);
    for (uintptr_t p = a; p < b; p += 64) __builtin_prefetch((const void *)p, 0, 3);
}

int64_t nc_sparse_rows_add(
    int32_t *restrict target, const uint8_t *restrict synapses, const int32_t *restrict row_start,
    const int32_t *restrict spikes, int64_t count, int32_t source_base, int32_t shift, NCRowKind kind) {
    int64_t synapses_touched = 0;
    // Short rows at random addresses: fetch the row four spikes ahead (measured best
    // of 1-8 with 64 blocks of 10% rows, which do not stay in cache), and the first four
    // rows before the loop so they are in flight together.
    for (int64_t k = 0; k < count && k < 4; k++) {
        const int32_t i = spikes[k] - source_base;
        prefetch_row(synapses, row_start[i], row_start[i + 1]);
    }
    for (int64_t k = 0; k < count; k++) {
        if (k + 4 < count) {
            const int32_t ahead = spikes[k + 4] - source_base;
            prefetch_row(synapses, row_start[ahead], row_start[ahead + 1]);
        }
        const int32_t i = spikes[k] - source_base;
        const int32_t first = row_start[i];
        const int32_t end = row_start[i + 1];
        synapses_touched += end - first;
        sparse_row(target, synapses + 3 * (int64_t)first, end - first, shift, kind);
    }
    return synapses_touched;
}

void *nc_alloc_rows(int64_t bytes) {
    // Large row arrays are read at random: on 4 KiB pages nearly every spiking row also
    // misses the TLB. Ask for transparent huge pages (hosts in THP "madvise" mode only
    // give them on request) on 2 MiB-aligned blocks; smaller arrays stay cache-line aligned.
    const int64_t huge = (int64_t)2 << 20;
    const int big = bytes >= huge / 2;
    const int64_t size = big ? (bytes + huge - 1) / huge * huge : (bytes + 63) / 64 * 64;
    void *p = NULL;
    if (posix_memalign(&p, big ? (size_t)huge : 64, (size_t)(size > 0 ? size : 64)) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    if (big) madvise(p, (size_t)size, MADV_HUGEPAGE);
#endif
    return p;
}

void nc_free_rows(void *rows) { free(rows); }

// ---- Compartment update (docs/neurochip.md "One time step" steps 1-3) ----
// Branch-free like the Swift kernel it mirrors (Compartment.swift), so the loop
// vectorises; decays are specialised (4096 forgets everything, 0 keeps everything), and
// the partial decay masks its factors to 12/13 bits so the multiplies are 16-bit ones.

enum { NC_DECAY_FULL = 0, NC_DECAY_NONE = 1, NC_DECAY_PARTIAL = 2 };

NC_INLINE int32_t wrap24(uint32_t x) { return (int32_t)(x << 8) >> 8; }

NC_INLINE int32_t decay(int32_t x, int32_t keep, int kind) {
    if (kind == NC_DECAY_FULL) return 0;
    if (kind == NC_DECAY_NONE) return x;
    const int32_t s = x >> 31;
    const int32_t magnitude = (int32_t)(((uint32_t)x ^ (uint32_t)s) - (uint32_t)s);
    const int32_t k = keep & 0x1FFF;
    const int32_t result = ((magnitude >> 12) & 0xFFF) * k + (((magnitude & 4095) * k) >> 12);
    return (int32_t)(((uint32_t)result ^ (uint32_t)s) - (uint32_t)s);
}

NC_INLINE int32_t non_zero_mask(int32_t x) { return (int32_t)((uint32_t)x | (0u - (uint32_t)x)) >> 31; }

NC_INLINE NCCompartmentTally compartment_body(
    int64_t start, int64_t end, int32_t du, int32_t dv, int32_t bias, int32_t vth, int32_t refractory,
    int32_t vmin, int32_t vmax, int32_t *restrict u, int32_t *restrict v, int32_t *restrict left_counts, int32_t *restrict input,
    uint8_t *restrict spikes, int ku, int kv, int detect) {
    const int32_t keep_u = 4096 - du;
    const int32_t keep_v = 4096 - dv;
    const int32_t after_spike = refractory - 1;
    int32_t active = 0, fired = 0, wraps = 0, changes = 0;
    for (int64_t i = start; i < end; i++) {
        const int32_t a = input[i];
        input[i] = 0;
        const int32_t u0 = u[i];
        const int32_t v0 = v[i];
        const int32_t left = left_counts[i];
        const uint32_t raw_u = (uint32_t)decay(u0, keep_u, ku) + (uint32_t)a;
        const int32_t un = wrap24(raw_u);
        // decay(v), u and bias are below 2^23 in magnitude: the sum fits 32 bits; v saturates.
        const int32_t raw_v = decay(v0, keep_v, kv) + un + bias;
        const int32_t low_clamped = raw_v < vmin ? vmin : raw_v;
        const int32_t vn = low_clamped > vmax ? vmax : low_clamped;
        const int32_t refr = (int32_t)(0u - (uint32_t)left) >> 31;
        const int32_t above = (int32_t)((uint32_t)vth - (uint32_t)vn) >> 31;
        const int32_t fire = above & ~refr;
        const int32_t v_next = vn & ~(refr | fire);
        const int32_t left_next = (refr & (int32_t)((uint32_t)left - 1u)) | (fire & after_spike);
        if (detect) changes |= a | (un ^ u0) | (v_next ^ v0) | (left_next ^ left);
        u[i] = un;
        v[i] = v_next;
        left_counts[i] = left_next;
        spikes[i] = (uint8_t)(fire & 1);
        active += (non_zero_mask(a | u0 | v0) | fire) & 1;
        fired += fire & 1;
        wraps += non_zero_mask(un ^ (int32_t)raw_u) & 1;
    }
    NCCompartmentTally t = {active, fired, wraps, changes != 0};
    return t;
}

// One instantiation per (u decay, v decay, change detection): constants fold away.
#define NC_COMPARTMENT_SWITCH(ATTR, NAME)                                                                        \
    ATTR static NCCompartmentTally NAME(                                                                         \
        int64_t start, int64_t end, int32_t du, int32_t dv, int32_t bias, int32_t vth, int32_t refractory,     \
        int32_t vmin, int32_t vmax, int32_t *u, int32_t *v, int32_t *left, int32_t *input, uint8_t *spikes,    \
        int detect) {                                                                                           \
        const int ku = du == 4096 ? NC_DECAY_FULL : (du == 0 ? NC_DECAY_NONE : NC_DECAY_PARTIAL);               \
        const int kv = dv == 4096 ? NC_DECAY_FULL : (dv == 0 ? NC_DECAY_NONE : NC_DECAY_PARTIAL);               \
        const int key = (ku * 3 + kv) * 2 + (detect != 0);                                                      \
        switch (key) {                                                                                          \
        case 0: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 0, 0, 0); \
        case 1: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 0, 0, 1); \
        case 2: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 0, 1, 0); \
        case 3: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 0, 1, 1); \
        case 4: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 0, 2, 0); \
        case 5: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 0, 2, 1); \
        case 6: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 1, 0, 0); \
        case 7: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 1, 0, 1); \
        case 8: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 1, 1, 0); \
        case 9: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 1, 1, 1); \
        case 10: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 1, 2, 0); \
        case 11: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 1, 2, 1); \
        case 12: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 2, 0, 0); \
        case 13: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 2, 0, 1); \
        case 14: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 2, 1, 0); \
        case 15: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 2, 1, 1); \
        case 16: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 2, 2, 0); \
        default: return compartment_body(start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, left, input, spikes, 2, 2, 1); \
        }                                                                                                       \
    }

NC_COMPARTMENT_SWITCH(, compartments_portable)
#ifdef NC_X86_64
NC_COMPARTMENT_SWITCH(__attribute__((target("avx2"))), compartments_avx2)
#endif

NCCompartmentTally nc_update_compartments(
    int64_t start, int64_t end, int32_t du, int32_t dv, int32_t bias, int32_t vth, int32_t refractory,
    int32_t vmin, int32_t vmax, int32_t *u, int32_t *v, int32_t *refractory_left, int32_t *input, uint8_t *spikes, int detect_change,
    NCKernelVariant variant) {
#ifdef NC_X86_64
    if (nc_resolve_variant(variant) == NCKernelAVX2) {
        return compartments_avx2(
            start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, refractory_left, input, spikes,
            detect_change);
    }
#else
    (void)variant;
#endif
    return compartments_portable(
        start, end, du, dv, bias, vth, refractory, vmin, vmax, u, v, refractory_left, input, spikes, detect_change);
}
