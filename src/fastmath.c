/* fastmath.c: the scalar exp and log, and their vector forms per instruction
 * set (instantiated from fastmath_simd.inc) for the tests.
 *
 * The scalar code below is the definition. fastmath_simd.inc repeats its
 * floating-point steps operation for operation on vectors; integer steps are
 * exact, so they may be written differently. Keep the two in step: the test
 * compares them bit for bit on millions of inputs.
 */
#include "fastmath.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

static uint64_t bits_of(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static double double_of(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

double fastmath_exp(double x)
{
    double shifted = x * FASTMATH_LOG2E + FASTMATH_EXP_SHIFT;
    double k = shifted - FASTMATH_EXP_SHIFT; /* round(x / ln2), exactly */
    double r = (x - k * FASTMATH_LN2_HI) - k * FASTMATH_LN2_LO;
    /* q(r) by Estrin's scheme: pairs, then powers r^2, r^4, r^8 (a third
     * of Horner's latency; the sigmoid's exp is on the critical path) */
    double r2 = r * r;
    double r4 = r2 * r2;
    double r8 = r4 * r4;
    double q01 = FASTMATH_EXP_Q0 + FASTMATH_EXP_Q1 * r;
    double q23 = FASTMATH_EXP_Q2 + FASTMATH_EXP_Q3 * r;
    double q45 = FASTMATH_EXP_Q4 + FASTMATH_EXP_Q5 * r;
    double q67 = FASTMATH_EXP_Q6 + FASTMATH_EXP_Q7 * r;
    double q89 = FASTMATH_EXP_Q8 + FASTMATH_EXP_Q9 * r;
    double q03 = q01 + q23 * r2;
    double q47 = q45 + q67 * r2;
    double q07 = q03 + q47 * r4;
    double q = q07 + q89 * r8;
    /* e^r = 1 + r + r^2 q, with the rounding error of 1 + r carried along
     * (exact, |r| < 1) so that only the last addition rounds noticeably */
    double one_plus_r = 1.0 + r;
    double carried = (1.0 - one_plus_r) + r;
    double p = one_plus_r + (carried + r2 * q);
    if (x >= FASTMATH_EXP_MIN && x <= FASTMATH_EXP_MAX)
        return p * double_of(bits_of(shifted) << 52); /* times 2^k */
    /* Outside the main path (also NaN): 2^k is not a normal double. */
    if (isnan(x))
        return x + x;
    if (x > 710.0)
        return HUGE_VAL;
    if (x < -746.0)
        return 0.0;
    return ldexp(p, (int)k); /* one rounding, to a subnormal or inf */
}

/* log of a positive normal double, plus `extra_exponent` * ln2 (for the
 * subnormals, scaled up first). */
static double log_of_normal(double x, double extra_exponent)
{
    uint64_t bits = bits_of(x);
    /* exponent field of x / sqrt(1/2): (e + 1023) << 52 with m in [sqrt(1/2), sqrt(2)) */
    uint64_t exponent_bits = (bits - FASTMATH_LOG_SPLIT + FASTMATH_ONE_BITS) &
                             FASTMATH_EXPONENT_MASK;
    double m = double_of(bits - exponent_bits + FASTMATH_ONE_BITS);
    double e = double_of((exponent_bits >> 52) | FASTMATH_TWO52_BITS) - FASTMATH_TWO52_PLUS_BIAS;
    e = e + extra_exponent;
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double p = FASTMATH_LOG_P6;
    p = p * z + FASTMATH_LOG_P5;
    p = p * z + FASTMATH_LOG_P4;
    p = p * z + FASTMATH_LOG_P3;
    p = p * z + FASTMATH_LOG_P2;
    p = p * z + FASTMATH_LOG_P1;
    p = p * z + FASTMATH_LOG_P0;
    double big_r = z * p;
    double half_f2 = (0.5 * f) * f;
    return e * FASTMATH_LN2_HI - ((half_f2 - (s * (half_f2 + big_r) + e * FASTMATH_LN2_LO)) - f);
}

double fastmath_log(double x)
{
    if (x >= DBL_MIN && x <= DBL_MAX)
        return log_of_normal(x, 0.0);
    if (isnan(x))
        return x + x;
    if (x < 0.0)
        return NAN;
    if (x == 0.0)
        return -HUGE_VAL;
    if (x > DBL_MAX)
        return x;
    return log_of_normal(x * 0x1p54, -54.0); /* subnormal */
}

/* ---- the vector forms, one copy per instruction set ---- */

#define FASTMATH_SIMD_ARRAYS 1

#define SIMD_SUFFIX generic
#define SIMD_LANES 2
#define SIMD_TARGET_ATTRIBUTE
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "simd_end.inc"

#if defined(__x86_64__) || defined(__i386__)
#define SIMD_X86_LEVELS 1

#define SIMD_SUFFIX avx2
#define SIMD_LANES 4
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "simd_end.inc"

#define SIMD_SUFFIX avx512
#define SIMD_LANES 8
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx512f,avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "simd_end.inc"

#endif

void fastmath_exp_array(simd_isa isa, const double *x, double *out, size_t n)
{
    switch (isa) {
#ifdef SIMD_X86_LEVELS
    case SIMD_AVX2:
        fastmath_exp_array_avx2(x, out, n);
        return;
    case SIMD_AVX512:
        fastmath_exp_array_avx512(x, out, n);
        return;
#endif
    default:
        fastmath_exp_array_generic(x, out, n);
        return;
    }
}

void fastmath_log_array(simd_isa isa, const double *x, double *out, size_t n)
{
    switch (isa) {
#ifdef SIMD_X86_LEVELS
    case SIMD_AVX2:
        fastmath_log_array_avx2(x, out, n);
        return;
    case SIMD_AVX512:
        fastmath_log_array_avx512(x, out, n);
        return;
#endif
    default:
        fastmath_log_array_generic(x, out, n);
        return;
    }
}
