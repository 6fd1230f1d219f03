/* test_network_pack.c: the packed network's parts (network_pack.c) that
 * the pack tests reach only through whole training runs.
 *
 * Tolerance: none. network_pack_reg_loss must give, for every lane, the
 * bits of network_reg_loss (network.c) on that lane's weights alone, at
 * every instruction set the CPU supports, with weights that include -0.0,
 * subnormals, huge values, infinities and NaN. network_pack_evaluate must
 * give each lane the loss (bits; a NaN's sign excepted, which the lone
 * kernels' own levels do not agree on) and right rows of network_evaluate
 * on that lane alone, with hidden sums at and beyond the sigmoid's clips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanes.h"
#include "network.h"
#include "network_pack.h"

/* A deterministic spread of doubles, a special value now and then. */
static double test_weight(uint64_t *state, bool specials)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint32_t bits = (uint32_t)(*state >> 33);
    if (specials)
        switch (bits % 29) {
        case 0:
            return -0.0;
        case 1:
            return 0.0;
        case 2:
            return 4.9e-324 * (double)(bits % 7);
        case 3:
            return bits % 2 ? 1e300 : -1e300;
        case 4:
            return bits % 2 ? INFINITY : -INFINITY;
        case 5:
            return NAN;
        default:
            break;
        }
    return ((double)bits / 2147483648.0 - 1.0) * (bits % 5 == 0 ? 10.0 : 1.0);
}

/* One pack of `width` lanes at `isa`: its reg_loss against network_reg_loss
 * of each lane's weights; the number of lanes that differ. */
static int count_reg_loss_differences(simd_isa isa, int n_features, int units, bool specials,
                                      uint64_t *state)
{
    const int width = simd_lanes(isa);
    const size_t n_w1 = (size_t)n_features * (size_t)units;
    double *w1 = calloc(n_w1 * (size_t)width, sizeof(double));
    double *w2 = calloc((size_t)units * (size_t)width, sizeof(double));
    double *lone_w1 = calloc(n_w1, sizeof(double));
    double *lone_w2 = calloc((size_t)units, sizeof(double));
    assert_non_null(w1);
    assert_non_null(w2);
    assert_non_null(lone_w1);
    assert_non_null(lone_w2);
    double l1[LANES_MAX], l2[LANES_MAX], reg[LANES_MAX];
    static const double penalties[][2] = {{0.0, 0.01}, {0.001, 0.0}, {0.001, 0.01}, {0.0, 0.0},
                                          {0.5, 3.0},  {1e-9, 1e-7}, {-0.0, 0.02},  {2.0, -0.0}};
    for (int lane = 0; lane < width; lane++) {
        l1[lane] = penalties[lane % 8][0];
        l2[lane] = penalties[lane % 8][1];
    }
    for (size_t i = 0; i < n_w1 * (size_t)width; i++)
        w1[i] = test_weight(state, specials);
    for (size_t i = 0; i < (size_t)units * (size_t)width; i++)
        w2[i] = test_weight(state, specials);
    network_pack pack = {.n_features = n_features,
                         .units = units,
                         .width = width,
                         .isa = isa,
                         .w1 = w1,
                         .w2 = w2,
                         .l1 = l1,
                         .l2 = l2};
    network_pack_reg_loss(&pack, reg);
    int differences = 0;
    for (int lane = 0; lane < width; lane++) {
        for (size_t i = 0; i < n_w1; i++)
            lone_w1[i] = w1[i * (size_t)width + (size_t)lane];
        for (int h = 0; h < units; h++)
            lone_w2[h] = w2[(size_t)h * (size_t)width + (size_t)lane];
        const network lone = {.n_features = n_features,
                              .units = units,
                              .stride = units,
                              .isa = SIMD_GENERIC,
                              .w1 = lone_w1,
                              .w2 = lone_w2};
        const double expected = network_reg_loss(&lone, l1[lane], l2[lane]);
        if (memcmp(&expected, &reg[lane], sizeof(double)) != 0) {
            printf("  DIFFERENT: [%s] %d features, %d units, lane %d: %.17g, lone %.17g\n",
                   simd_name(isa), n_features, units, lane, reg[lane], expected);
            differences++;
        }
    }
    free(w1);
    free(w2);
    free(lone_w1);
    free(lone_w2);
    return differences;
}

/* Features 1, 3, 30 x units 1, 7, 10, 13, 17 x every supported level, with
 * plain and with special weights. */
static void test_reg_loss_equals_lone(void **state)
{
    (void)state;
    static const int feature_counts[] = {1, 3, 30};
    static const int unit_counts[] = {1, 7, 10, 13, 17};
    uint64_t seed = 42;
    int packs = 0, differences = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        for (size_t f = 0; f < sizeof feature_counts / sizeof feature_counts[0]; f++)
            for (size_t u = 0; u < sizeof unit_counts / sizeof unit_counts[0]; u++)
                for (int specials = 0; specials < 2; specials++) {
                    differences += count_reg_loss_differences((simd_isa)isa, feature_counts[f],
                                                              unit_counts[u], specials, &seed);
                    packs++;
                }
    }
    printf("reg_loss packed vs lone: %d packs, %d lanes differ (tolerance: none)\n", packs,
           differences);
    assert_int_equal(differences, 0);
}

/* 64-byte aligned doubles, zeroed (the lone kernels' arrays are aligned). */
static double *aligned_doubles(size_t n)
{
    const size_t bytes = (n * sizeof(double) + 63) / 64 * 64;
    double *p = aligned_alloc(64, bytes > 0 ? bytes : 64);
    assert_non_null(p);
    memset(p, 0, bytes > 0 ? bytes : 64);
    return p;
}

/* z1 values at the sigmoid's edges (its clip at -100 and 700, exp's
 * overflow and underflow, zeros, subnormals), as hidden biases. */
static double edge_bias(uint64_t *state)
{
    static const double edges[] = {-100.5, -100.0, -99.75, 699.5,   700.0, 700.5, 750.0, -750.0,
                                   -0.0,   0.0,    1e-310, -1e-310, 36.0,  -36.0, 1e300, NAN};
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return edges[(*state >> 33) % (sizeof edges / sizeof edges[0])];
}

/* One pack at `isa`: network_pack_evaluate on n rows against
 * network_evaluate of each lane alone (loss and right rows); the number of
 * lanes that differ. Soft targets (0.25) in some rows with `soft`. */
static int count_evaluate_differences(simd_isa isa, int n_features, int units, int n, bool soft,
                                      uint64_t *state)
{
    const int width = simd_lanes(isa);
    const size_t lanes = (size_t)width, n_w1 = (size_t)n_features * (size_t)units;
    double *w1 = aligned_doubles(n_w1 * lanes), *b1 = aligned_doubles((size_t)units * lanes);
    double *w2 = aligned_doubles((size_t)units * lanes), *b2 = aligned_doubles(lanes);
    double *x = aligned_doubles((size_t)n * (size_t)n_features), *y = aligned_doubles((size_t)n);
    for (size_t i = 0; i < n_w1 * lanes; i++)
        w1[i] = test_weight(state, i % 11 == 0);
    for (size_t i = 0; i < (size_t)units * lanes; i++) {
        b1[i] = i % 3 == 0 ? edge_bias(state) : test_weight(state, false);
        w2[i] = test_weight(state, i % 13 == 0);
    }
    for (size_t i = 0; i < lanes; i++)
        b2[i] = i % 4 == 0 ? edge_bias(state) : test_weight(state, false);
    for (int r = 0; r < n; r++) {
        for (int f = 0; f < n_features; f++)
            x[(size_t)r * n_features + f] = r % 5 == 0 ? 0.0 : test_weight(state, false);
        y[r] = soft && r % 7 == 3 ? 0.25 : (double)(r % 3 == 0);
    }
    const int chunk = network_pack_chunk_rows(n_features, width);
    network_pack pack = {.n_features = n_features,
                         .units = units,
                         .width = width,
                         .isa = isa,
                         .w1 = w1,
                         .b1 = b1,
                         .w2 = w2,
                         .b2 = b2};
    network_pack_scratch scratch = {
        .capacity = n,
        .a1 = aligned_doubles((size_t)chunk * (size_t)units * lanes),
        .out = aligned_doubles((size_t)chunk * lanes),
    };
    double loss[LANES_MAX] = {0.0};
    int correct[LANES_MAX];
    network_pack_evaluate(&pack, &scratch, x, y, n, loss, correct);

    const int stride = network_stride(SIMD_GENERIC, units);
    network lone = {.n_features = n_features,
                    .units = units,
                    .stride = stride,
                    .isa = SIMD_GENERIC,
                    .w1 = aligned_doubles(n_w1 * (size_t)stride),
                    .b1 = aligned_doubles((size_t)stride),
                    .w2 = aligned_doubles((size_t)stride)};
    const size_t hidden = network_scratch_doubles(SIMD_GENERIC, units, n);
    const size_t row_doubles = network_row_doubles(SIMD_GENERIC, n);
    network_scratch lone_scratch = {n,
                                    aligned_doubles(hidden),
                                    aligned_doubles(hidden),
                                    aligned_doubles(row_doubles),
                                    aligned_doubles(row_doubles),
                                    aligned_doubles(row_doubles),
                                    aligned_doubles(row_doubles),
                                    aligned_doubles((size_t)stride),
                                    aligned_doubles((size_t)stride),
                                    aligned_doubles((size_t)n_features * (size_t)stride)};
    int differences = 0;
    for (int lane = 0; lane < width; lane++) {
        for (int f = 0; f < n_features; f++)
            for (int h = 0; h < units; h++)
                lone.w1[(size_t)f * stride + h] = w1[((size_t)f * units + h) * lanes + lane];
        for (int h = 0; h < units; h++) {
            lone.b1[h] = b1[(size_t)h * lanes + lane];
            lone.w2[h] = w2[(size_t)h * lanes + lane];
        }
        lone.b2 = b2[lane];
        int lone_correct = -1;
        const double lone_loss =
            network_evaluate(&lone, x, y, n, 0.0, &lone_correct, &lone_scratch);
        /* a NaN's sign is not kept: the lone kernels' levels differ in it too */
        const bool both_nan = isnan(lone_loss) && isnan(loss[lane]);
        if ((!both_nan && memcmp(&lone_loss, &loss[lane], sizeof(double)) != 0) ||
            lone_correct != correct[lane]) {
            printf("  DIFFERENT: [%s] %d units, %d rows, lane %d: loss %.17g right %d, lone %.17g "
                   "right %d\n",
                   simd_name(isa), units, n, lane, loss[lane], correct[lane], lone_loss,
                   lone_correct);
            differences++;
        }
    }
    double *arrays[] = {w1,
                        b1,
                        w2,
                        b2,
                        x,
                        y,
                        scratch.a1,
                        scratch.out,
                        lone.w1,
                        lone.b1,
                        lone.w2,
                        lone_scratch.a1,
                        lone_scratch.e1,
                        lone_scratch.z2,
                        lone_scratch.a,
                        lone_scratch.err,
                        lone_scratch.loss,
                        lone_scratch.sum_w2,
                        lone_scratch.sum_b1,
                        lone_scratch.sum_w1};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    return differences;
}

/* The evaluation's sigmoids (a1 of rows x units vectors: groups of four
 * and the rest one by one) and its loss rows (groups of four rows, and row
 * by row after a group with a soft target or a log argument that is not a
 * normal double, e.g. a NaN output) against the lone evaluation: 1 to 70
 * rows (more than one chunk), units 1, 3, 7, 10, hidden sums at the
 * sigmoid's clips and beyond, infinite and NaN weights, hard and soft
 * targets, at every supported level. */
static void test_evaluate_equals_lone(void **state)
{
    (void)state;
    static const int row_counts[] = {1, 3, 4, 5, 9, 70};
    static const int unit_counts[] = {1, 3, 7, 10};
    uint64_t seed = 7;
    int packs = 0, differences = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        for (size_t r = 0; r < sizeof row_counts / sizeof row_counts[0]; r++)
            for (size_t u = 0; u < sizeof unit_counts / sizeof unit_counts[0]; u++)
                for (int soft = 0; soft < 2; soft++) {
                    differences += count_evaluate_differences((simd_isa)isa, 3, unit_counts[u],
                                                              row_counts[r], soft, &seed);
                    packs++;
                }
    }
    printf("evaluate packed vs lone: %d packs, %d lanes differ (tolerance: none)\n", packs,
           differences);
    assert_int_equal(differences, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reg_loss_equals_lone),
        cmocka_unit_test(test_evaluate_equals_lone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
