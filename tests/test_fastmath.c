/* test_fastmath.c: sweep's own exp and log (src/fastmath.c).
 *
 * Compared against (1) themselves: the vector forms of every instruction set
 * this CPU supports must give the scalar forms' bits exactly, on millions of
 * inputs spread over the whole range, the ranges the training uses and the
 * special values; (2) long double libm (expl, logl, 64-bit mantissa): the
 * error must stay below 1 unit in the last place; (3) exact special cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastmath.h"

enum { CHUNK = 1 << 16, N_CHUNKS = 128 }; /* 8.4 million inputs per function and level */

/* xorshift64*: a fixed, portable stream of test inputs */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

static double uniform(uint64_t *state, double low, double high)
{
    return low + (high - low) * ((double)(next_random(state) >> 11) * 0x1p-53);
}

static double double_of(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static uint64_t bits_of(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static const double SPECIALS[] = {
    0.0,
    -0.0,
    INFINITY,
    -INFINITY,
    NAN,
    -NAN,
    DBL_MIN,
    -DBL_MIN,
    DBL_MAX,
    -DBL_MAX,
    0x1p-1074,
    0x1p-1060,
    1.0,
    -1.0,
    1e-10,
    1.0 - 1e-10,
    0.5,
    2.0,
    100.0,
    -100.0,
    700.0,
    -700.0,
    FASTMATH_EXP_MIN,
    FASTMATH_EXP_MAX,
    -708.0000000001,
    709.0000000001,
    709.78,
    709.8,
    710.0,
    710.0000001,
    -745.0,
    -745.2,
    -746.0,
    -746.0000001,
    -1000.0,
    1000.0,
    1e300,
    -1e300,
};

/* Fill x with inputs of kind `chunk`: for exp uniform in several ranges;
 * for log positive values over all exponents and near 1. */
static void fill_inputs(double *x, int chunk, int for_log, uint64_t *state)
{
    for (int i = 0; i < CHUNK; i++) {
        int kind = (chunk + i) % 5;
        double value;
        if (!for_log) {
            if (kind == 0)
                value = uniform(state, -750.0, 750.0);
            else if (kind == 1)
                value = uniform(state, -1.0, 1.0);
            else if (kind == 2)
                value = uniform(state, -700.0, 100.0); /* what the sigmoid passes */
            else if (kind == 3)
                value = uniform(state, -40.0, 40.0);
            else
                value = double_of(next_random(state)); /* any bit pattern */
        } else {
            if (kind == 0)
                value = uniform(state, 1e-10, 1.0); /* what the loss passes */
            else if (kind == 1)
                value = uniform(state, 0.5, 2.0);
            else if (kind == 2)
                value = 1.0 - uniform(state, 0.0, 1e-6);
            else if (kind == 3)
                value = double_of(next_random(state) >> 1); /* any positive double */
            else
                value = double_of(next_random(state)); /* any bit pattern */
        }
        x[i] = value;
    }
    if (chunk == 0)
        memcpy(x, SPECIALS, sizeof SPECIALS);
}

/* Exact (bit for bit; any NaN matches any NaN): every supported level's
 * vector form against the scalar form. */
static void check_vector_equals_scalar(int for_log)
{
    double *x = malloc(CHUNK * sizeof(double));
    double *scalar = malloc(CHUNK * sizeof(double));
    double *vector = malloc(CHUNK * sizeof(double));
    assert_non_null(x);
    assert_non_null(scalar);
    assert_non_null(vector);
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        uint64_t state = 0x9e3779b97f4a7c15ULL;
        long mismatches = 0, checked = 0;
        for (int chunk = 0; chunk < N_CHUNKS; chunk++) {
            fill_inputs(x, chunk, for_log, &state);
            for (int i = 0; i < CHUNK; i++)
                scalar[i] = for_log ? fastmath_log(x[i]) : fastmath_exp(x[i]);
            if (for_log)
                fastmath_log_array((simd_isa)isa, x, vector, CHUNK);
            else
                fastmath_exp_array((simd_isa)isa, x, vector, CHUNK);
            for (int i = 0; i < CHUNK; i++) {
                int same = bits_of(scalar[i]) == bits_of(vector[i]) ||
                           (isnan(scalar[i]) && isnan(vector[i]));
                if (!same && mismatches++ < 5)
                    printf("  %s %s(%a): scalar %a, vector %a\n", simd_name((simd_isa)isa),
                           for_log ? "log" : "exp", x[i], scalar[i], vector[i]);
            }
            checked += CHUNK;
        }
        printf("%s: vector %s vs scalar: %ld inputs, %ld differ (tolerance: none)\n",
               simd_name((simd_isa)isa), for_log ? "log" : "exp", checked, mismatches);
        assert_int_equal(mismatches, 0);
    }
    free(x);
    free(scalar);
    free(vector);
}

static void test_exp_vector_equals_scalar(void **state)
{
    (void)state;
    check_vector_equals_scalar(0);
}

static void test_log_vector_equals_scalar(void **state)
{
    (void)state;
    check_vector_equals_scalar(1);
}

/* |got - exact| in units of the last place of the double nearest `exact`. */
static double ulp_error(double got, long double exact)
{
    double nearest = (double)exact;
    int exponent;
    frexp(nearest, &exponent);
    long double ulp = ldexpl(1.0L, (exponent - 53 < -1074 ? -1074 : exponent - 53));
    return (double)(fabsl((long double)got - exact) / ulp);
}

/* Tolerance 1 ulp against expl over [-708, 709] (the normal results) and
 * logl over positive normals, 4 million inputs each. */
static void test_accuracy(void **state)
{
    (void)state;
    uint64_t random_state = 12345;
    double worst_exp = 0.0, worst_log = 0.0, worst_exp_at = 0.0, worst_log_at = 0.0;
    long exp_like_libm = 0, log_like_libm = 0;
    const long n = 4000000;
    for (long i = 0; i < n; i++) {
        double x = i % 2 ? uniform(&random_state, -708.0, 709.0)
                         : uniform(&random_state, -2.0, 2.0);
        double error = ulp_error(fastmath_exp(x), expl((long double)x));
        if (error > worst_exp)
            worst_exp = error, worst_exp_at = x;
        exp_like_libm += fastmath_exp(x) == exp(x);
        double y = i % 2 ? double_of((next_random(&random_state) >> 2) + 0x0010000000000000ULL)
                         : uniform(&random_state, 1e-10, 1.0);
        if (!(y >= DBL_MIN && y <= DBL_MAX))
            y = 1.5;
        error = ulp_error(fastmath_log(y), logl((long double)y));
        if (error > worst_log)
            worst_log = error, worst_log_at = y;
        log_like_libm += fastmath_log(y) == log(y);
    }
    printf("exp: worst error %.3f ulp at %a; same bits as libm exp on %.4f%% of inputs\n",
           worst_exp, worst_exp_at, 100.0 * exp_like_libm / n);
    printf("log: worst error %.3f ulp at %a; same bits as libm log on %.4f%% of inputs\n",
           worst_log, worst_log_at, 100.0 * log_like_libm / n);
    assert_true(worst_exp < 1.0);
    assert_true(worst_log < 1.0);
}

/* Exact values at the edges; subnormal results within 1 ulp of expl. */
static void test_special_values(void **state)
{
    (void)state;
    assert_true(fastmath_exp(0.0) == 1.0);
    assert_true(fastmath_exp(-0.0) == 1.0);
    assert_true(fastmath_exp(INFINITY) == INFINITY);
    assert_true(fastmath_exp(-INFINITY) == 0.0);
    assert_true(isnan(fastmath_exp(NAN)));
    assert_true(fastmath_exp(709.8) == INFINITY);
    assert_true(fastmath_exp(1000.0) == INFINITY);
    assert_true(fastmath_exp(-746.0) == 0.0);
    assert_true(fastmath_exp(-1000.0) == 0.0);
    assert_true(fastmath_exp(709.78) > 1.79e308 && isfinite(fastmath_exp(709.78)));
    for (double x = -745.0; x < -708.0; x += 0.37) {
        double got = fastmath_exp(x);
        assert_true(got > 0.0);
        assert_true(ulp_error(got, expl((long double)x)) <= 1.0);
    }
    assert_true(fastmath_log(1.0) == 0.0);
    assert_true(fastmath_log(0.0) == -INFINITY);
    assert_true(fastmath_log(-0.0) == -INFINITY);
    assert_true(isnan(fastmath_log(-1.0)));
    assert_true(isnan(fastmath_log(-INFINITY)));
    assert_true(isnan(fastmath_log(NAN)));
    assert_true(fastmath_log(INFINITY) == INFINITY);
    assert_true(ulp_error(fastmath_log(0x1p-1074), logl(0x1p-1074L)) <= 1.0);
    assert_true(ulp_error(fastmath_log(3e-310), logl(3e-310L)) <= 1.0);
    assert_true(fastmath_log(2.0) == 0x1.62e42fefa39efp-1); /* ln 2 rounded */
    /* strictly negative below 1: the one-log loss relies on it */
    assert_true(fastmath_log(1.0 - 1e-10) < 0.0);
    assert_true(fastmath_log(1.0 - 0x1p-53) < 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exp_vector_equals_scalar),
        cmocka_unit_test(test_log_vector_equals_scalar),
        cmocka_unit_test(test_accuracy),
        cmocka_unit_test(test_special_values),
    };
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++)
        printf("level %s: %s\n", simd_name((simd_isa)isa),
               simd_supported((simd_isa)isa) ? "supported, tested" : "not supported here");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
