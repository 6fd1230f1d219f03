/* test_network.c: the per-batch kernels of the 2-layer network.
 *
 * Compared against (1) the textbook's numpy DualLayer.training on a tiny
 * hand-made batch (values pasted below with the script that printed them),
 * (2) central finite differences of the loss, an independent check that the
 * backward pass is the gradient of what the forward pass computes, and
 * (3) exact values of the edge cases (clipping, NaN, sign(0)).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "network.h"

enum { N_ROWS = 4, N_FEATURES = 3, N_UNITS = 2 };

/* A tiny network and one batch, with all the arrays it needs. */
typedef struct {
    double w1[N_FEATURES * N_UNITS], b1[N_UNITS], w2[N_UNITS];
    double dw1[N_FEATURES * N_UNITS], db1[N_UNITS], dw2[N_UNITS];
    double a1[N_ROWS * N_UNITS], e1[N_ROWS * N_UNITS], z2[N_ROWS], a[N_ROWS], err[N_ROWS];
    network net;
    network_grads grads;
    network_activations acts;
} tiny_network;

static const double TINY_X[N_ROWS * N_FEATURES] = {
    0.5, -1.25, 2.0,
    -0.75, 0.25, 1.5,
    1.0, 1.0, -2.5,
    0.0, -0.5, 0.125,
};
static const double TINY_Y[N_ROWS] = {1.0, 0.0, 1.0, 0.0};

static void tiny_network_init(tiny_network *t)
{
    static const double w1[N_FEATURES * N_UNITS] = {0.25, -0.5, 0.75, 0.0, -1.0, 0.5};
    memset(t, 0, sizeof *t);
    memcpy(t->w1, w1, sizeof w1);
    t->b1[0] = 0.125;
    t->b1[1] = -0.25;
    t->w2[0] = 1.5;
    t->w2[1] = -2.0;
    t->net = (network){N_FEATURES, N_UNITS, t->w1, t->b1, t->w2, 0.0625};
    t->grads = (network_grads){t->dw1, t->db1, t->dw2, 0.0};
    t->acts = (network_activations){t->a1, t->z2, t->a, t->err, t->e1};
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

/* One training step (l1 0.01, l2 0.1, learning rate 0.5) against numpy;
 * tolerance 1e-15 absolute (the values are of order 1; numpy's sums may
 * round differently in the last bit). Expected values from:
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
    static const double w1_expected[N_FEATURES * N_UNITS] = {
        0.2567223168110551, -0.5302741339114614, 0.7379878388066654,
        0.03891056813944241, -0.9863662727973992, 0.44251532845594277};
    static const double b1_expected[N_UNITS] = {0.10653343059828041, -0.2587429239463248};
    static const double w2_expected[N_UNITS] = {1.483274241417153, -1.9603126915325577};
    const double b2_expected = 0.09531599841300945;
    const double loss_expected = 2.506101885525606;
    const double reg_expected = 0.4696088164912072;

    tiny_network t;
    tiny_network_init(&t);
    train_params params = {.batch_size = N_ROWS, .learning_rate = 0.5, .l1 = 0.01, .l2 = 0.1,
                           .units = N_UNITS, .epochs = 1, .seed = 0};
    double loss = network_train_batch(&t.net, TINY_X, TINY_Y, N_ROWS, &params, &t.acts, &t.grads);

    double diffs[7] = {
        max_abs_diff(t.a, a_expected, N_ROWS),
        max_abs_diff(t.w1, w1_expected, N_FEATURES * N_UNITS),
        max_abs_diff(t.b1, b1_expected, N_UNITS),
        max_abs_diff(t.w2, w2_expected, N_UNITS),
        fabs(t.net.b2 - b2_expected),
        fabs(loss - loss_expected),
        fabs(network_reg_loss(&t.net, 0.01, 0.1) - reg_expected),
    };
    double worst = 0.0;
    for (int i = 0; i < 7; i++)
        if (!(diffs[i] <= worst))
            worst = diffs[i];
    printf("one batch vs numpy: max abs diff %.3g (a, w1, b1, w2, b2, loss, reg; tolerance 1e-15)\n",
           worst);
    assert_true(worst <= 1e-15);
}

/* The mean cross-entropy of the tiny batch plus the penalties divided by m,
 * whose gradient network_backward + network_add_penalty_grads compute. */
static double tiny_objective(tiny_network *t, double l1, double l2)
{
    network_forward(&t->net, TINY_X, N_ROWS, &t->acts);
    double loss = network_cross_entropy_add(0.0, t->a, TINY_Y, N_ROWS);
    return (loss + network_reg_loss(&t->net, l1, l2)) / N_ROWS;
}

/* Tolerance 1e-8 absolute: every gradient component against a central
 * difference with step 1e-6 (truncation error ~1e-12, rounding ~1e-10). The
 * weights are moved off 0 first, since |w| has no derivative there. */
static void test_gradients_vs_finite_differences(void **state)
{
    (void)state;
    const double l1 = 0.01, l2 = 0.1, step = 1e-6;
    tiny_network t;
    tiny_network_init(&t);
    t.w1[3] = 0.3;
    network_forward(&t.net, TINY_X, N_ROWS, &t.acts);
    network_backward(&t.net, TINY_X, TINY_Y, N_ROWS, &t.acts, &t.grads);
    network_add_penalty_grads(&t.net, l1, l2, N_ROWS, &t.grads);

    double *parameters[4] = {t.w1, t.b1, t.w2, &t.net.b2};
    const double *gradients[4] = {t.dw1, t.db1, t.dw2, &t.grads.db2};
    const int sizes[4] = {N_FEATURES * N_UNITS, N_UNITS, N_UNITS, 1};
    double max_diff = 0.0;
    for (int p = 0; p < 4; p++) {
        for (int i = 0; i < sizes[p]; i++) {
            double saved = parameters[p][i];
            parameters[p][i] = saved + step;
            double up = tiny_objective(&t, l1, l2);
            parameters[p][i] = saved - step;
            double down = tiny_objective(&t, l1, l2);
            parameters[p][i] = saved;
            double numeric = (up - down) / (2.0 * step);
            double diff = fabs(numeric - gradients[p][i]);
            if (!(diff <= max_diff))
                max_diff = diff;
        }
    }
    printf("gradients vs central differences: max abs diff %.3g (tolerance 1e-8)\n", max_diff);
    assert_true(max_diff <= 1e-8);
}

/* Exact: the clip at -100 (np.clip(z, -100, None)) and NaN passing through. */
static void test_sigmoid(void **state)
{
    (void)state;
    assert_true(network_sigmoid(0.0) == 0.5);
    assert_true(network_sigmoid(-1000.0) == 1.0 / (1.0 + exp(100.0)));
    assert_true(network_sigmoid(-100.0) == 1.0 / (1.0 + exp(100.0)));
    assert_true(network_sigmoid(-99.0) == 1.0 / (1.0 + exp(99.0)));
    assert_true(network_sigmoid(INFINITY) == 1.0);
    assert_true(isnan(network_sigmoid(NAN)));
}

/* Exact: the output is clipped to [1e-10, 1 - 1e-10] before the logs, a NaN
 * stays NaN, and the running total gives the same bits however the rows are
 * split into chunks. */
static void test_cross_entropy(void **state)
{
    (void)state;
    const double one = 1.0, zero = 0.0;
    const double a_zero = 0.0, a_one = 1.0, a_nan = NAN;
    assert_true(network_cross_entropy_add(0.0, &a_zero, &one, 1) == -(1.0 * log(1e-10) + 0.0));
    assert_true(network_cross_entropy_add(0.0, &a_one, &zero, 1) ==
                -(0.0 * log(1.0 - 1e-10) + 1.0 * log(1.0 - (1.0 - 1e-10))));
    assert_true(isnan(network_cross_entropy_add(0.0, &a_nan, &one, 1)));

    const double a[5] = {0.1, 0.7, 0.35, 0.999, 0.5};
    const double y[5] = {0.0, 1.0, 1.0, 0.0, 1.0};
    double whole = network_cross_entropy_add(0.0, a, y, 5);
    double chunked = network_cross_entropy_add(0.0, a, y, 2);
    chunked = network_cross_entropy_add(chunked, a + 2, y + 2, 3);
    assert_memory_equal(&whole, &chunked, sizeof whole);
}

/* Exact: sign(0) = 0, so a zero weight gets no L1 push; NaN propagates. */
static void test_penalty_grads(void **state)
{
    (void)state;
    double w1[2] = {0.0, -2.0}, b1[1] = {0.0}, w2[1] = {NAN};
    double dw1[2] = {0.5, 0.5}, db1[1] = {0.0}, dw2[1] = {0.0};
    network net = {2, 1, w1, b1, w2, 0.0};
    network_grads grads = {dw1, db1, dw2, 0.0};
    network_add_penalty_grads(&net, 0.25, 0.5, 2, &grads);
    assert_true(dw1[0] == 0.5);
    assert_true(dw1[1] == 0.5 + (0.25 * -1.0 + 0.5 * -2.0) / 2.0);
    assert_true(isnan(dw2[0]));
}

/* Bitwise: after seed 42, w1 gets the first 300 normals row by row and w2
 * the next 10 (first values from tests/data/numpy_rng_seed42.txt); the
 * biases are zero. */
static void test_init(void **state)
{
    (void)state;
    double w1[30 * 10], b1[10], w2[10];
    for (int h = 0; h < 10; h++)
        b1[h] = 7.0;
    network net = {30, 10, w1, b1, w2, 7.0};
    numpy_rng rng;
    rng_seed(&rng, 42);
    network_init(&net, &rng);
    assert_true(w1[0] == 0.4967141530112327);
    assert_true(w1[1] == -0.13826430117118466);
    assert_true(w1[10] == -0.46341769281246226);   /* row 1, column 0 */
    assert_true(w2[0] == -0.8289950109220723);
    for (int h = 0; h < 10; h++)
        assert_true(b1[h] == 0.0);
    assert_true(net.b2 == 0.0);
}

/* Exact: a row counts as class 1 only when z2 > 0 (z2 == 0 is class 0). */
static void test_count_correct(void **state)
{
    (void)state;
    const double z2[5] = {0.5, -0.5, 0.0, 0.0, 3.0};
    const double y[5] = {1.0, 0.0, 0.0, 1.0, 0.0};
    assert_int_equal(network_count_correct(z2, y, 5), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_batch_vs_numpy),
        cmocka_unit_test(test_gradients_vs_finite_differences),
        cmocka_unit_test(test_sigmoid),
        cmocka_unit_test(test_cross_entropy),
        cmocka_unit_test(test_penalty_grads),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_count_correct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
