/* fastmath.h: sweep's own exp and log, the same bits in scalar and vector form.
 *
 * The training calls exp twice per row and hidden unit and log once per row;
 * libm's versions are scalar calls and may differ between C libraries (glibc
 * even picks an FMA variant on CPUs that have FMA). These are written out
 * here with IEEE additions, multiplications and divisions in a fixed order
 * and integer bit manipulation, so that
 *   - the vector forms (fastmath_simd.inc, used by the kernels) give exactly
 *     the scalar forms' bits, lane by lane, on every instruction set;
 *   - results do not depend on the machine's libm.
 * Both are within 0.85 units in the last place (tests/test_fastmath.c
 * measures it against long double libm); the loss curves agree with
 * numpy's to ~1e-15.
 *
 * exp(x): k = round(x / ln2) by adding and subtracting 1.5 * 2^52 (+ the
 * exponent bias, so that the sum's low bits ARE the exponent of 2^k),
 * r = x - k ln2 in two steps (Cody and Waite), |r| <= ln2/2,
 * e^r = (1 + r) + (c + r^2 q(r)) with c the rounding error of 1 + r and q a
 * degree-9 fit evaluated by Estrin's scheme, times 2^k.
 * log(x): x = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f/(2+f),
 * log(1+f) = f - (f^2/2 - s (f^2/2 + R(s^2))), R a degree-7 fit, plus e ln2
 * in two parts. This is the scheme of fdlibm's e_log.c (Sun Microsystems,
 * 1993), described in its comments; the coefficients are our own fits
 * (scripts/fastmath_coefficients.py prints them).
 */
#ifndef SWEEP_FASTMATH_H
#define SWEEP_FASTMATH_H

#include <stddef.h>

#include "simd.h"

/* e^x for every double: overflow gives inf, underflow 0 or a subnormal,
 * NaN stays NaN. */
double fastmath_exp(double x);

/* Natural log for every double: log(0) = -inf, log(x < 0) = NaN,
 * log(inf) = inf, subnormals exact in range, NaN stays NaN. */
double fastmath_log(double x);

/* out[i] = fastmath_exp(x[i]) (or log) computed by the vector code of `isa`
 * (which the CPU must support); for the tests that pin the two forms
 * together. */
void fastmath_exp_array(simd_isa isa, const double *x, double *out, size_t n);
void fastmath_log_array(simd_isa isa, const double *x, double *out, size_t n);

/* ---- the constants, shared by the scalar and vector forms ---- */

/* From scripts/fastmath_coefficients.py (mpmath fits, rounded to double). */
#define FASTMATH_EXP_Q0 0x1.0000000000001p-1
#define FASTMATH_EXP_Q1 0x1.5555555555556p-3
#define FASTMATH_EXP_Q2 0x1.5555555553d68p-5
#define FASTMATH_EXP_Q3 0x1.11111111109b5p-7
#define FASTMATH_EXP_Q4 0x1.6c16c17889ef1p-10
#define FASTMATH_EXP_Q5 0x1.a01a01a7c2efep-13
#define FASTMATH_EXP_Q6 0x1.a019b9149a41cp-16
#define FASTMATH_EXP_Q7 0x1.71de0db2f6b19p-19
#define FASTMATH_EXP_Q8 0x1.28917c89a43a7p-22
#define FASTMATH_EXP_Q9 0x1.af389ecfc4b9cp-26
#define FASTMATH_LOG_P0 0x1.5555555555558p-1
#define FASTMATH_LOG_P1 0x1.99999999952e2p-2
#define FASTMATH_LOG_P2 0x1.2492492df148dp-2
#define FASTMATH_LOG_P3 0x1.c71c62e5800a1p-3
#define FASTMATH_LOG_P4 0x1.7462b4ab2ef6bp-3
#define FASTMATH_LOG_P5 0x1.39fe606542ddep-3
#define FASTMATH_LOG_P6 0x1.2b584aae78a57p-3
#define FASTMATH_LN2_HI 0x1.62e42fefa3800p-1
#define FASTMATH_LN2_LO 0x1.ef35793c76730p-45
#define FASTMATH_LOG2E 0x1.71547652b82fep+0

/* 1.5 * 2^52 + 1023: x * log2(e) + this rounds to an integer k and leaves
 * k + 1023 (the biased exponent of 2^k) in the low bits of the sum. */
#define FASTMATH_EXP_SHIFT 0x1.80000000003ffp+52
/* The main path of exp: k in [-1021, 1023], so 2^k is a normal double. */
#define FASTMATH_EXP_MIN (-708.0)
#define FASTMATH_EXP_MAX 709.0
/* Bits of sqrt(1/2): log reduces to m in [sqrt(1/2), sqrt(2)). */
#define FASTMATH_LOG_SPLIT 0x3fe6a09e667f3bcdULL
/* The exponent field and its bias. */
#define FASTMATH_EXPONENT_MASK 0xfff0000000000000ULL
#define FASTMATH_ONE_BITS 0x3ff0000000000000ULL
/* 2^52 as bits, and 2^52 + 1023: turn a biased exponent into a double. */
#define FASTMATH_TWO52_BITS 0x4330000000000000ULL
#define FASTMATH_TWO52_PLUS_BIAS 0x1.00000000003ffp+52

#endif
