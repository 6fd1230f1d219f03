/* test_network.c: the per-batch kernels of the 2-layer network.
 *
 * Compared against (1) the textbook's numpy DualLayer.training on a tiny
 * hand-made batch (values pasted below with the script that printed them),
 * (2) central finite differences of the loss, an independent check that the
 * update follows the gradient of what the forward pass computes, (3) the
 * plain scalar reference (tests/reference_train.c) on many random batches
 * and on plain SGD row by row, bit for bit, at every instruction set this
 * CPU supports, and (4) exact
 * values of the edge cases (clipping, NaN, sign(0), the layout's padding).
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

#include "fastmath.h"
#include "network.h"

#include "reference_train.c"

enum { N_ROWS = 4, N_FEATURES = 3, N_UNITS = 2, MAX_UNITS = 16, MAX_ROWS = 40, MAX_FEATURES = 8 };

/* A network and its scratch for up to MAX_ROWS rows, MAX_FEATURES inputs
 * and MAX_UNITS units, laid out for one instruction set. */
typedef struct {
    double w1[MAX_FEATURES * MAX_UNITS], b1[MAX_UNITS], w2[MAX_UNITS];
    double a1[MAX_ROWS * MAX_UNITS], e1[MAX_ROWS * MAX_UNITS];
    double z2[MAX_ROWS], a[MAX_ROWS], err[MAX_ROWS], loss[MAX_ROWS], outputs[MAX_ROWS];
    double sum_w2[MAX_UNITS], sum_b1[MAX_UNITS], sum_w1[MAX_FEATURES * MAX_UNITS];
    network net;
    network_scratch scratch;
} test_network;

static void test_network_init(test_network *t, simd_isa isa, int n_features, int units,
                              int capacity)
{
    memset(t, 0, sizeof *t);
    t->net =
        (network){n_features, units, network_stride(isa, units), isa, t->w1, t->b1, t->w2, 0.0};
    t->scratch = (network_scratch){capacity, t->a1,   t->e1,     t->z2,     t->a,
                                   t->err,   t->loss, t->sum_w2, t->sum_b1, t->sum_w1};
    assert_true(t->net.stride <= MAX_UNITS);
    assert_true((size_t)capacity * t->net.stride <= MAX_ROWS * MAX_UNITS);
    assert_true(network_row_doubles(isa, capacity) <= MAX_ROWS);
}

/* One training step; returns the batch's cross-entropy the way train.c sums
 * it (network_cross_entropy_rows of the outputs, rows in order from 0.0). */
static double train_step(test_network *t, const double *x, const double *y, const int *rows, int m,
                         const train_params *params)
{
    network_train_batch(&t->net, x, y, rows, m, params, &t->scratch, t->outputs);
    double targets[MAX_ROWS], losses[MAX_ROWS];
    for (int r = 0; r < m; r++)
        targets[r] = y[rows[r]];
    network_cross_entropy_rows(t->net.isa, t->outputs, targets, m, losses);
    double total = 0.0;
    for (int r = 0; r < m; r++)
        total += losses[r];
    return total;
}

static const double TINY_X[N_ROWS * N_FEATURES] = {
    0.5, -1.25, 2.0, -0.75, 0.25, 1.5, 1.0, 1.0, -2.5, 0.0, -0.5, 0.125,
};
static const double TINY_Y[N_ROWS] = {1.0, 0.0, 1.0, 0.0};
static const int TINY_ROWS[N_ROWS] = {0, 1, 2, 3};
static const double TINY_W1[N_FEATURES * N_UNITS] = {0.25, -0.5, 0.75, 0.0, -1.0, 0.5};
static const double TINY_B1[N_UNITS] = {0.125, -0.25};
static const double TINY_W2[N_UNITS] = {1.5, -2.0};
static const double TINY_B2 = 0.0625;

static void tiny_network_init(test_network *t, simd_isa isa)
{
    test_network_init(t, isa, N_FEATURES, N_UNITS, N_ROWS);
    network_set_weights(&t->net, TINY_W1, TINY_B1, TINY_W2);
    t->net.b2 = TINY_B2;
}

static double max_abs_diff(const double *got, const double *expected, int n)
{
    double max_diff = 0.0;
    for (int i = 0; i < n; i++) {
        double diff = fabs(got[i] - expected[i]);
        if (!(diff <= max_diff))
            max_diff = diff;
    }
    return max_diff;
}

/* One training step (l1 0.01, l2 0.1, learning rate 0.5) against numpy, at
 * every supported level; tolerance 1e-15 absolute (the values are of order
 * 1; numpy's sums and libm round differently in the last bit). Expected
 * values from:
 *   import textbook_numpy as tb; net = tb.DualLayer(units=2, learning_rate=0.5,
 *   l1=0.01, l2=0.1); net.w1, net.b1, net.w2, net.b2 = (the values above);
 *   a = net.training(TINY_X, TINY_Y.reshape(-1, 1), 4)
 * then repr() of a, the new weights, the clipped batch cross-entropy sum and
 * net.reg_loss(). w1[1][1] starts at 0, so sign(0) = 0 is exercised. */
static void test_one_batch_vs_numpy(void **state)
{
    (void)state;
    static const double a_expected[N_ROWS] = {0.25221263004770295, 0.25992657397653524,
                                              0.7833265233062879, 0.4420062853653983};
    static const double w1_expected[N_FEATURES * N_UNITS] = {0.2567223168110551,
                                                             -0.5302741339114614,
                                                             0.7379878388066654,
                                                             0.03891056813944241,
                                                             -0.9863662727973992,
                                                             0.44251532845594277};
    static const double b1_expected[N_UNITS] = {0.10653343059828041, -0.2587429239463248};
    static const double w2_expected[N_UNITS] = {1.483274241417153, -1.9603126915325577};
    const double b2_expected = 0.09531599841300945;
    const double loss_expected = 2.506101885525606;
    const double reg_expected = 0.4696088164912072;

    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        static test_network t;
        tiny_network_init(&t, (simd_isa)isa);
        train_params params = {.batch_size = N_ROWS,
                               .learning_rate = 0.5,
                               .l1 = 0.01,
                               .l2 = 0.1,
                               .units = N_UNITS,
                               .epochs = 1,
                               .seed = 0};
        double loss = train_step(&t, TINY_X, TINY_Y, TINY_ROWS, N_ROWS, &params);
        double w1[N_FEATURES * N_UNITS], b1[N_UNITS], w2[N_UNITS];
        network_get_weights(&t.net, w1, b1, w2);
        double diffs[7] = {
            max_abs_diff(t.outputs, a_expected, N_ROWS),
            max_abs_diff(w1, w1_expected, N_FEATURES * N_UNITS),
            max_abs_diff(b1, b1_expected, N_UNITS),
            max_abs_diff(w2, w2_expected, N_UNITS),
            fabs(t.net.b2 - b2_expected),
            fabs(loss - loss_expected),
            fabs(network_reg_loss(&t.net, 0.01, 0.1) - reg_expected),
        };
        double worst = 0.0;
        for (int i = 0; i < 7; i++)
            if (!(diffs[i] <= worst))
                worst = diffs[i];
        printf("%s: one batch vs numpy: max abs diff %.3g (a, w1, b1, w2, b2, loss, reg; "
               "tolerance 1e-15)\n",
               simd_name((simd_isa)isa), worst);
        assert_true(worst <= 1e-15);
    }
}

/* The mean cross-entropy of the tiny batch plus the penalties divided by m:
 * what one SGD step descends. */
static double tiny_objective(test_network *t, double l1, double l2)
{
    int correct;
    double loss = network_evaluate(&t->net, TINY_X, TINY_Y, N_ROWS, 0.0, &correct, &t->scratch);
    return (loss + network_reg_loss(&t->net, l1, l2)) / N_ROWS;
}

/* Tolerance 1e-8 absolute: the gradient the update used, (w - w_new) / rate
 * with rate 2^-20 (rounding error ~1e-10), against a central difference
 * with step 1e-6 (truncation ~1e-12, rounding ~1e-10), for every parameter.
 * The weights are moved off 0 first, since |w| has no derivative there. */
static void test_gradients_vs_finite_differences(void **state)
{
    (void)state;
    const double l1 = 0.01, l2 = 0.1, step = 1e-6, rate = 0x1p-20;
    static test_network t;
    tiny_network_init(&t, simd_best());
    t.w1[1 * t.net.stride + 1] = 0.3;
    double w1[N_FEATURES * N_UNITS], b1[N_UNITS], w2[N_UNITS];
    network_get_weights(&t.net, w1, b1, w2);
    const double b2 = t.net.b2;

    /* the step's gradient */
    static test_network stepped;
    stepped = t;
    stepped.net.w1 = stepped.w1, stepped.net.b1 = stepped.b1, stepped.net.w2 = stepped.w2;
    stepped.scratch = (network_scratch){N_ROWS,         stepped.a1,    stepped.e1,   stepped.z2,
                                        stepped.a,      stepped.err,   stepped.loss, stepped.sum_w2,
                                        stepped.sum_b1, stepped.sum_w1};
    train_params params = {.batch_size = N_ROWS,
                           .learning_rate = rate,
                           .l1 = l1,
                           .l2 = l2,
                           .units = N_UNITS,
                           .epochs = 1,
                           .seed = 0};
    train_step(&stepped, TINY_X, TINY_Y, TINY_ROWS, N_ROWS, &params);
    double new_w1[N_FEATURES * N_UNITS], new_b1[N_UNITS], new_w2[N_UNITS];
    network_get_weights(&stepped.net, new_w1, new_b1, new_w2);

    double *parameters[4] = {t.w1, t.b1, t.w2, &t.net.b2};
    const double *before[4] = {w1, b1, w2, &b2};
    const double *after[4] = {new_w1, new_b1, new_w2, &stepped.net.b2};
    const int sizes[4] = {N_FEATURES * N_UNITS, N_UNITS, N_UNITS, 1};
    double max_diff = 0.0;
    for (int p = 0; p < 4; p++) {
        for (int i = 0; i < sizes[p]; i++) {
            /* index in the padded layout: w1 rows have `stride` doubles */
            int at = p == 0 ? i / N_UNITS * t.net.stride + i % N_UNITS : i;
            double saved = parameters[p][at];
            parameters[p][at] = saved + step;
            double up = tiny_objective(&t, l1, l2);
            parameters[p][at] = saved - step;
            double down = tiny_objective(&t, l1, l2);
            parameters[p][at] = saved;
            double numeric = (up - down) / (2.0 * step);
            double used = (before[p][i] - after[p][i]) / rate;
            double diff = fabs(numeric - used);
            if (!(diff <= max_diff))
                max_diff = diff;
        }
    }
    printf("gradients vs central differences: max abs diff %.3g (tolerance 1e-8)\n", max_diff);
    assert_true(max_diff <= 1e-8);
}

/* Exact: the clip at -100 (np.clip(z, -100, None)), NaN passing through, and
 * the vector sigmoid of every level equal to the scalar one, also past its
 * extra clip at 700. */
static void test_sigmoid(void **state)
{
    (void)state;
    assert_true(network_sigmoid(0.0) == 0.5);
    assert_true(network_sigmoid(-1000.0) == 1.0 / (1.0 + fastmath_exp(100.0)));
    assert_true(network_sigmoid(-100.0) == 1.0 / (1.0 + fastmath_exp(100.0)));
    assert_true(network_sigmoid(-99.0) == 1.0 / (1.0 + fastmath_exp(99.0)));
    assert_true(network_sigmoid(INFINITY) == 1.0);
    assert_true(network_sigmoid(800.0) == 1.0);
    assert_true(isnan(network_sigmoid(NAN)));

    enum { N = 4096 };
    static double z[N], scalar[N], vector[N];
    static const double edges[] = {0.0,       -0.0,  -100.0, -100.5, -99.5,  700.0,
                                   699.9,     700.1, 745.5,  1e300,  -1e300, INFINITY,
                                   -INFINITY, NAN,   36.0,   38.0,   -36.0};
    const int n_edges = (int)(sizeof edges / sizeof edges[0]);
    uint64_t state_bits = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        state_bits ^= state_bits << 13, state_bits ^= state_bits >> 7,
            state_bits ^= state_bits << 17;
        z[i] = i < n_edges ? edges[i] : ((double)(state_bits >> 11) * 0x1p-53 - 0.5) * 1800.0;
        scalar[i] = network_sigmoid(z[i]);
    }
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        network_sigmoid_array((simd_isa)isa, z, vector, N);
        for (int i = 0; i < N; i++)
            assert_true(memcmp(&scalar[i], &vector[i], sizeof(double)) == 0 ||
                        (isnan(scalar[i]) && isnan(vector[i])));
    }
}

/* Exact: the outputs are clipped to [1e-10, 1 - 1e-10] before the logs,
 * whatever the path (one log for 0/1 targets, two otherwise). The output
 * is forced to 1 (b2 = 1000) and to 0 (b2 = -1000). */
static void test_cross_entropy_clipping(void **state)
{
    (void)state;
    static const double x[2 * N_FEATURES] = {0};
    const double targets[3][2] = {{0.0, 1.0}, {1.0, 0.0}, {0.25, 1.0}};
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        for (int sign = -1; sign <= 1; sign += 2)
            for (int k = 0; k < 3; k++) {
                static test_network t;
                test_network_init(&t, (simd_isa)isa, N_FEATURES, N_UNITS, 2);
                t.net.b2 = 1000.0 * sign;
                int correct;
                double total =
                    network_evaluate(&t.net, x, targets[k], 2, 0.0, &correct, &t.scratch);
                double a = sign > 0 ? 1.0 : 0.0; /* sigmoid(+-1000) */
                double outputs[2] = {a, a};
                double expected = ref_cross_entropy_add(0.0, outputs, targets[k], 2);
                assert_true(isfinite(expected));
                assert_memory_equal(&total, &expected, sizeof total);
            }
    }
}

/* Exact: sign(0) = 0, so a zero weight gets no L1 push; the other weight
 * moves by exactly rate (l1 sign(w) + l2 w) / m when its data gradient is 0
 * (all inputs 0); the padding stays zero. */
static void test_penalty_and_padding(void **state)
{
    (void)state;
    static const double x[2 * 2] = {0.0, 0.0, 0.0, 0.0};
    static const double y[2] = {1.0, 0.0};
    static const int rows[2] = {0, 1};
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        static test_network t;
        test_network_init(&t, (simd_isa)isa, 2, 1, 2);
        const double w1[2] = {0.0, -2.0}, b1[1] = {0.0}, w2[1] = {0.5};
        network_set_weights(&t.net, w1, b1, w2);
        train_params params = {.batch_size = 2,
                               .learning_rate = 0.5,
                               .l1 = 0.25,
                               .l2 = 0.5,
                               .units = 1,
                               .epochs = 1,
                               .seed = 0};
        train_step(&t, x, y, rows, 2, &params);
        assert_true(t.w1[0] == 0.0);
        double dw = 0.0 / 2.0 + (0.25 * -1.0 + 0.5 * -2.0) / 2.0;
        assert_true(t.w1[t.net.stride] == -2.0 - 0.5 * dw);
        for (int h = 1; h < t.net.stride; h++) {
            assert_true(t.w1[h] == 0.0 && t.w1[t.net.stride + h] == 0.0);
            assert_true(t.b1[h] == 0.0 && t.w2[h] == 0.0);
        }
    }
}

/* Bitwise: after seed 42, w1 gets the first 300 normals row by row and w2
 * the next 10 (first values from tests/data/numpy_rng_seed42.txt); the
 * biases and the padding are zero. */
static void test_init(void **state)
{
    (void)state;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        const int stride = network_stride((simd_isa)isa, 10);
        double w1[30 * 16], b1[16], w2[16]; /* 10 units padded to at most 16 lanes */
        assert_true(stride <= 16);
        for (int i = 0; i < 30 * 16; i++)
            w1[i] = 7.0;
        for (int h = 0; h < 16; h++)
            b1[h] = w2[h] = 7.0;
        network net = {30, 10, stride, (simd_isa)isa, w1, b1, w2, 7.0};
        numpy_rng rng;
        rng_seed(&rng, 42);
        network_init(&net, &rng);
        assert_true(w1[0] == 0.4967141530112327);
        assert_true(w1[1] == -0.13826430117118466);
        assert_true(w1[stride] == -0.46341769281246226); /* row 1, column 0 */
        assert_true(w2[0] == -0.8289950109220723);
        for (int h = 0; h < stride; h++)
            assert_true(b1[h] == 0.0);
        for (int h = 10; h < stride; h++) {
            assert_true(w2[h] == 0.0);
            for (int f = 0; f < 30; f++)
                assert_true(w1[f * stride + h] == 0.0);
        }
        assert_true(net.b2 == 0.0);
    }
}

/* Exact: a row counts as class 1 only when z2 > 0 (z2 == 0 is class 0). */
static void test_count_correct(void **state)
{
    (void)state;
    static const double x[5 * N_FEATURES] = {0};
    static const double y[5] = {1.0, 0.0, 0.0, 1.0, 0.0};
    static test_network t;
    test_network_init(&t, simd_best(), N_FEATURES, N_UNITS, 4); /* 2 chunks */
    int correct;
    network_evaluate(&t.net, x, y, 5, 0.0, &correct, &t.scratch);
    assert_int_equal(correct, 3);
    t.net.b2 = 0x1p-1074; /* the smallest z2 > 0 */
    network_evaluate(&t.net, x, y, 5, 0.0, &correct, &t.scratch);
    assert_int_equal(correct, 2);
}

/* ---- one batch: kernels == plain reference, bit for bit ---- */

static uint64_t random_state = 0x2545f4914f6cdd1dULL;

static double random_uniform(double low, double high)
{
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return low + (high - low) * ((double)((random_state * 2685821657736338717ULL) >> 11) * 0x1p-53);
}

/* Tolerance: none. For batch sizes 1..MAX_ROWS, units 1..13 and 1..8
 * inputs (so every tail of every block size is hit), random data and
 * weights (some of them zero, some outputs saturated), targets 0/1 and
 * soft: five training steps of the kernels at every supported level equal
 * the reference's in the batch loss, every weight and the outputs a. */
static void test_batches_equal_reference(void **state)
{
    (void)state;
    enum { N_DATA = 64 };
    static double x[N_DATA * MAX_FEATURES], y[N_DATA];
    static double x_batch[MAX_ROWS * MAX_FEATURES], y_batch[MAX_ROWS];
    int cases = 0, differences = 0;
    for (int units = 1; units <= 13; units++)
        for (int n_features = 1; n_features <= MAX_FEATURES; n_features += 3)
            for (int m = 1; m <= MAX_ROWS; m += (m < 10 ? 1 : 7)) {
                const int soft = (units + m) % 4 == 0;
                const double spread = (units + m) % 5 == 0 ? 30.0 : 2.0; /* saturation */
                for (int i = 0; i < N_DATA * n_features; i++)
                    x[i] = random_uniform(-spread, spread);
                for (int i = 0; i < N_DATA; i++)
                    y[i] = soft ? random_uniform(0.0, 1.0) : (random_uniform(0.0, 1.0) < 0.5);
                double w1[MAX_FEATURES * MAX_UNITS], b1[MAX_UNITS], w2[MAX_UNITS];
                for (int i = 0; i < n_features * units; i++)
                    w1[i] = i % 5 == 3 ? 0.0 : random_uniform(-1.0, 1.0);
                for (int h = 0; h < units; h++) {
                    b1[h] = random_uniform(-0.5, 0.5);
                    w2[h] = h % 4 == 1 ? 0.0 : random_uniform(-1.5, 1.5);
                }
                int rows[MAX_ROWS];
                train_params params = {.batch_size = m,
                                       .learning_rate = 0.3,
                                       .l1 = (m % 2) * 0.01,
                                       .l2 = (m % 3 != 0) * 0.05,
                                       .units = units,
                                       .epochs = 1,
                                       .seed = 0};

                ref_model reference;
                assert_int_equal(ref_model_new(&reference, n_features, units, m, 1), 0);
                memcpy(reference.net.w1, w1, (size_t)n_features * units * sizeof(double));
                memcpy(reference.net.b1, b1, (size_t)units * sizeof(double));
                memcpy(reference.net.w2, w2, (size_t)units * sizeof(double));
                reference.net.b2 = 0.125;
                double reference_loss[5];
                int all_rows[5][MAX_ROWS];
                for (int step = 0; step < 5; step++) {
                    for (int r = 0; r < m; r++) {
                        rows[r] = (int)random_uniform(0.0, N_DATA - 1e-9);
                        all_rows[step][r] = rows[r];
                        memcpy(x_batch + r * n_features, x + rows[r] * n_features,
                               (size_t)n_features * sizeof(double));
                        y_batch[r] = y[rows[r]];
                    }
                    reference_loss[step] = ref_train_batch(&reference.net, x_batch, y_batch, m,
                                                           &params, &reference.acts,
                                                           &reference.grads);
                }

                for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
                    if (!simd_supported((simd_isa)isa))
                        continue;
                    static test_network t;
                    test_network_init(&t, (simd_isa)isa, n_features, units, m);
                    network_set_weights(&t.net, w1, b1, w2);
                    t.net.b2 = 0.125;
                    int same = 1;
                    for (int step = 0; step < 5; step++) {
                        double loss = train_step(&t, x, y, all_rows[step], m, &params);
                        same &= memcmp(&loss, &reference_loss[step], sizeof loss) == 0;
                    }
                    double got_w1[MAX_FEATURES * MAX_UNITS], got_b1[MAX_UNITS], got_w2[MAX_UNITS];
                    network_get_weights(&t.net, got_w1, got_b1, got_w2);
                    same &= memcmp(got_w1, reference.net.w1,
                                   (size_t)n_features * units * sizeof(double)) == 0;
                    same &= memcmp(got_b1, reference.net.b1, (size_t)units * sizeof(double)) == 0;
                    same &= memcmp(got_w2, reference.net.w2, (size_t)units * sizeof(double)) == 0;
                    same &= memcmp(&t.net.b2, &reference.net.b2, sizeof(double)) == 0;
                    same &= memcmp(t.outputs, reference.acts.a, (size_t)m * sizeof(double)) == 0;
                    if (!same && differences < 5)
                        printf("  DIFFERENT: %s units %d features %d rows %d\n",
                               simd_name((simd_isa)isa), units, n_features, m);
                    differences += !same;
                    cases++;
                }
                ref_model_free(&reference);
            }
    printf("batches vs plain reference: %d cases (5 steps each), %d differ (tolerance: none)\n",
           cases, differences);
    assert_int_equal(differences, 0);
}

/* Tolerance: none. Plain SGD through network_train_single_rows (the fused
 * kernel, or row-by-row train_batch when the units need more vectors than
 * it holds: 13 units at every level here) against the reference's batches
 * of one row: 20 rows for units 1..13, 1, 4 and 7 inputs, L2 only (the
 * kernel's shortcut for the penalty) and L1 + L2; outputs and final
 * weights bit for bit at every supported level. */
static void test_single_rows_equal_reference(void **state)
{
    (void)state;
    enum { N_DATA = 20 };
    static double x[N_DATA * MAX_FEATURES], y[N_DATA];
    int cases = 0, differences = 0;
    for (int units = 1; units <= 13; units++)
        for (int n_features = 1; n_features <= 7; n_features += 3)
            for (int with_l1 = 0; with_l1 <= 1; with_l1++) {
                for (int i = 0; i < N_DATA * n_features; i++)
                    x[i] = random_uniform(-2.0, 2.0);
                for (int i = 0; i < N_DATA; i++)
                    y[i] = random_uniform(0.0, 1.0) < 0.5;
                double w1[MAX_FEATURES * MAX_UNITS], b1[MAX_UNITS], w2[MAX_UNITS];
                for (int i = 0; i < n_features * units; i++)
                    w1[i] = random_uniform(-1.0, 1.0);
                for (int h = 0; h < units; h++) {
                    b1[h] = random_uniform(-0.5, 0.5);
                    w2[h] = random_uniform(-1.5, 1.5);
                }
                int rows[N_DATA];
                for (int r = 0; r < N_DATA; r++)
                    rows[r] = (r * 7 + 3) % N_DATA; /* a permutation */
                train_params params = {.batch_size = 1,
                                       .learning_rate = 0.5,
                                       .l1 = with_l1 ? 0.01 : 0.0,
                                       .l2 = 0.02,
                                       .units = units,
                                       .epochs = 1,
                                       .seed = 0};

                ref_model reference;
                assert_int_equal(ref_model_new(&reference, n_features, units, 1, 1), 0);
                memcpy(reference.net.w1, w1, (size_t)n_features * units * sizeof(double));
                memcpy(reference.net.b1, b1, (size_t)units * sizeof(double));
                memcpy(reference.net.w2, w2, (size_t)units * sizeof(double));
                double reference_outputs[N_DATA];
                for (int r = 0; r < N_DATA; r++) {
                    ref_train_batch(&reference.net, x + rows[r] * n_features, y + rows[r], 1,
                                    &params, &reference.acts, &reference.grads);
                    reference_outputs[r] = reference.acts.a[0];
                }

                for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
                    if (!simd_supported((simd_isa)isa))
                        continue;
                    static test_network t;
                    static double outputs[N_DATA];
                    test_network_init(&t, (simd_isa)isa, n_features, units, 1);
                    network_set_weights(&t.net, w1, b1, w2);
                    network_train_single_rows(&t.net, x, y, rows, N_DATA, &params, &t.scratch,
                                              outputs);
                    double got_w1[MAX_FEATURES * MAX_UNITS], got_b1[MAX_UNITS], got_w2[MAX_UNITS];
                    network_get_weights(&t.net, got_w1, got_b1, got_w2);
                    int same = memcmp(outputs, reference_outputs, sizeof outputs) == 0;
                    same &= memcmp(got_w1, reference.net.w1,
                                   (size_t)n_features * units * sizeof(double)) == 0;
                    same &= memcmp(got_b1, reference.net.b1, (size_t)units * sizeof(double)) == 0;
                    same &= memcmp(got_w2, reference.net.w2, (size_t)units * sizeof(double)) == 0;
                    same &= memcmp(&t.net.b2, &reference.net.b2, sizeof(double)) == 0;
                    if (!same && differences < 5)
                        printf("  DIFFERENT: %s units %d features %d l1 %g\n",
                               simd_name((simd_isa)isa), units, n_features, params.l1);
                    differences += !same;
                    cases++;
                }
                ref_model_free(&reference);
            }
    printf("single rows vs plain reference: %d cases of %d rows, %d differ (tolerance: none)\n",
           cases, N_DATA, differences);
    assert_int_equal(differences, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_batch_vs_numpy),
        cmocka_unit_test(test_gradients_vs_finite_differences),
        cmocka_unit_test(test_sigmoid),
        cmocka_unit_test(test_cross_entropy_clipping),
        cmocka_unit_test(test_penalty_and_padding),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_count_correct),
        cmocka_unit_test(test_batches_equal_reference),
        cmocka_unit_test(test_single_rows_equal_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
