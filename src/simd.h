/* simd.h: which vector instruction set the training kernels run on.
 *
 * The kernels (network.c) and the vector exp/log (fastmath.c) are compiled
 * once per instruction set and chosen at run time, so one binary runs on any
 * x86-64 and still uses AVX2 or AVX-512 where the CPU has it. A kernel
 * without a body for a level runs the best one it has (the lone-run
 * minibatch network runs its AVX2 body on AVX-512 CPUs). Every level
 * computes the very same bits: the kernels only use IEEE additions,
 * multiplications and divisions (no fused multiply-add: build flag
 * -ffp-contract=off), and vectorize across independent outputs, never
 * across a sum. The tests run every level the machine supports.
 *
 * The vector types are GCC/Clang vector extensions (vector_size), used by
 * the kernel templates (*_simd.inc, see simd_begin.inc).
 */
#ifndef SWEEP_SIMD_H
#define SWEEP_SIMD_H

#include <stdbool.h>

typedef enum {
    SIMD_GENERIC = 0, /* 2 doubles per vector: SSE2 on x86-64, NEON on arm64 */
    SIMD_AVX2 = 1,    /* 4 doubles per vector, 16 registers */
    SIMD_AVX512 = 2,  /* 8 doubles per vector, 32 registers (AVX-512F) */
    SIMD_ISA_COUNT
} simd_isa;

/* The fastest level this CPU can run. */
simd_isa simd_best(void);

/* Whether this CPU (and this build) can run `isa`. */
bool simd_supported(simd_isa isa);

/* "generic", "avx2", "avx512". */
const char *simd_name(simd_isa isa);

/* Doubles per vector at that level. */
int simd_lanes(simd_isa isa);

/* Vectors of 2, 4 and 8 doubles, and the integer vectors of the same size
 * (comparisons yield the signed ones: all ones for true). */
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2di __attribute__((vector_size(16)));
typedef unsigned long long v2du __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4di __attribute__((vector_size(32)));
typedef unsigned long long v4du __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));
typedef long long v8di __attribute__((vector_size(64)));
typedef unsigned long long v8du __attribute__((vector_size(64)));

#endif
