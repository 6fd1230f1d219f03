/* test_grid.c: grid expansion, ranges, linspace/logspace and the run count.
 *
 * References are pasted from /usr/bin/python3 (itertools, range, numpy 1.24);
 * each test says how. Everything here is exact: values are copied, counted
 * or computed with the same operations as the reference, so every
 * comparison has tolerance 0 (floating-point values are compared bit for
 * bit with memcmp).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grid.h"

/* Fails with both values in hex (exact) when a and b differ in any bit. */
static void assert_same_doubles(const double *actual, const double *expected, int n)
{
    for (int i = 0; i < n; i++) {
        if (memcmp(&actual[i], &expected[i], sizeof(double)) != 0)
            fail_msg("value %d: got %a (%.17g), expected %a (%.17g)", i, actual[i], actual[i],
                     expected[i], expected[i]);
    }
}

/* Field by field: train_params has padding, so memcmp would compare garbage. */
static void assert_params_equal(const train_params *actual, const train_params *expected)
{
    for (int id = 0; id < PARAM_COUNT; id++)
        if (params_get(actual, (param_id)id) != params_get(expected, (param_id)id))
            fail_msg("%s: got %.17g, expected %.17g", PARAM_INFO[id].name,
                     params_get(actual, (param_id)id), params_get(expected, (param_id)id));
}

/* A grid that owns copies of the given value lists. */
static void grid_add(grid_spec *grid, param_id key, const double *values, int n_values)
{
    int k = grid->n_keys++;
    grid->keys[k] = key;
    grid->n_values[k] = n_values;
    grid->values[k] = malloc((size_t)n_values * sizeof(double));
    assert_non_null(grid->values[k]);
    memcpy(grid->values[k], values, (size_t)n_values * sizeof(double));
}

/* Runs in the order of Python's itertools.product, keys in written order,
 * the last fastest. Expected tuples printed by
 *   /usr/bin/python3 -c "import itertools;
 *     print(list(itertools.product([8,16],[0.0,0.01],[0,1,2])))"
 * Tolerance 0: the values are copied, not computed. */
static void test_product_order_matches_itertools(void **state)
{
    (void)state;
    static const double expected[12][3] = {
        {8, 0.0, 0},  {8, 0.0, 1},  {8, 0.0, 2},  {8, 0.01, 0},  {8, 0.01, 1},  {8, 0.01, 2},
        {16, 0.0, 0}, {16, 0.0, 1}, {16, 0.0, 2}, {16, 0.01, 0}, {16, 0.01, 1}, {16, 0.01, 2},
    };
    grid_spec grid = {0};
    grid_add(&grid, PARAM_BATCH_SIZE, (const double[]){8, 16}, 2);
    grid_add(&grid, PARAM_L2, (const double[]){0.0, 0.01}, 2);
    grid_add(&grid, PARAM_SEED, (const double[]){0, 1, 2}, 3);
    train_params model = params_defaults();
    train_params *runs = NULL;
    size_t n_runs = 0;
    sweep_error err = {0};

    assert_int_equal(grid_expand(&model, &grid, 1, 0, &runs, &n_runs, &err), 0);
    assert_int_equal(n_runs, 12);
    for (size_t r = 0; r < n_runs; r++) {
        assert_int_equal(runs[r].batch_size, (int)expected[r][0]);
        assert_true(runs[r].l2 == expected[r][1]);
        assert_int_equal(runs[r].seed, (uint32_t)expected[r][2]);
        /* Keys outside the grid keep the model's values. */
        assert_int_equal(runs[r].units, model.units);
        assert_int_equal(runs[r].epochs, model.epochs);
        assert_true(runs[r].learning_rate == model.learning_rate);
        assert_true(runs[r].l1 == model.l1);
    }
    free(runs);
    grid_spec_free(&grid);
}

/* Several grids: their runs one after the other, each over the model. */
static void test_union_of_grids_in_order(void **state)
{
    (void)state;
    grid_spec grids[2] = {{0}, {0}};
    grid_add(&grids[0], PARAM_UNITS, (const double[]){5, 6}, 2);
    grid_add(&grids[1], PARAM_EPOCHS, (const double[]){1}, 1);
    grid_add(&grids[1], PARAM_LEARNING_RATE, (const double[]){0.5, 0.25}, 2);
    train_params model = params_defaults();
    train_params *runs = NULL;
    size_t n_runs = 0;
    sweep_error err = {0};

    assert_int_equal(grid_expand(&model, grids, 2, 0, &runs, &n_runs, &err), 0);
    assert_int_equal(n_runs, 4);
    assert_int_equal(runs[0].units, 5);
    assert_int_equal(runs[1].units, 6);
    assert_int_equal(runs[0].epochs, 500);
    assert_true(runs[1].learning_rate == 0.1);
    assert_int_equal(runs[2].units, 10);
    assert_int_equal(runs[2].epochs, 1);
    assert_true(runs[2].learning_rate == 0.5);
    assert_int_equal(runs[3].epochs, 1);
    assert_true(runs[3].learning_rate == 0.25);
    free(runs);
    grid_spec_free(&grids[0]);
    grid_spec_free(&grids[1]);
}

/* No grid, or a grid without keys (itertools.product() yields one empty
 * tuple): one run, the model itself. */
static void test_no_grid_is_one_run_of_the_model(void **state)
{
    (void)state;
    train_params model = params_defaults();
    model.epochs = 7;
    train_params *runs = NULL;
    size_t n_runs = 0;
    sweep_error err = {0};

    assert_int_equal(grid_expand(&model, NULL, 0, 0, &runs, &n_runs, &err), 0);
    assert_int_equal(n_runs, 1);
    assert_params_equal(&runs[0], &model);
    free(runs);

    grid_spec empty[2] = {{0}, {0}};
    grid_add(&empty[1], PARAM_SEED, (const double[]){1, 2}, 2);
    assert_int_equal(grid_expand(&model, empty, 2, 0, &runs, &n_runs, &err), 0);
    assert_int_equal(n_runs, 3);
    assert_params_equal(&runs[0], &model);
    assert_int_equal(runs[1].seed, 1);
    assert_int_equal(runs[2].seed, 2);
    free(runs);
    grid_spec_free(&empty[1]);
}

/* Python's range; expected lists printed by /usr/bin/python3 with
 * list(range(start, stop, step)) for each case. Tolerance 0. */
static void test_range_has_python_semantics(void **state)
{
    (void)state;
    static const struct {
        double start, stop, step;
        int n;
        double expected[6];
    } cases[] = {
        {0, 5, 1, 5, {0, 1, 2, 3, 4}},
        {5, 0, -1, 5, {5, 4, 3, 2, 1}},
        {0, 10, 3, 4, {0, 3, 6, 9}},   /* step not dividing the span */
        {10, 0, -3, 4, {10, 7, 4, 1}}, /* negative step not dividing */
        {-3, 3, 2, 3, {-3, -1, 1}},
        {0, 1, 5, 1, {0}},
        {-9007199254740992.0,
         -9007199254740990.0,
         1,
         2,
         {-9007199254740992.0, -9007199254740991.0}}, /* at the 2^53 bound */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double *values = NULL;
        int n_values = 0;
        size_t count = 0;
        sweep_error err = {0};
        assert_int_equal(grid_range_count(cases[c].start, cases[c].stop, cases[c].step, &count,
                                          &err),
                         0);
        assert_int_equal(count, cases[c].n);
        assert_int_equal(grid_range(cases[c].start, cases[c].stop, cases[c].step, &values,
                                    &n_values, &err),
                         0);
        assert_int_equal(n_values, cases[c].n);
        assert_same_doubles(values, cases[c].expected, n_values);
        free(values);
    }
}

static void test_range_errors(void **state)
{
    (void)state;
    static const struct {
        double start, stop, step;
        const char *message;
    } cases[] = {
        {0, 5, 0, "range step must not be 0"},
        {5, 0, 1, "range(5, 0, 1) is empty"},
        {0, 0, 1, "range(0, 0, 1) is empty"},
        {0, 5, -1, "range(0, 5, -1) is empty"},
        {0.5, 5, 1, "range start must be a whole number, got 0.5"},
        {0, 5, 0.5, "range step must be a whole number, got 0.5"},
        {0, 9007199254740994.0, 1,
         "range stop must be between -2^53 and 2^53, got 9007199254740994"},
        {0, HUGE_VAL, 1, "range stop must be a whole number, got inf"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double sentinel = 0;
        double *values = &sentinel; /* must come back NULL */
        int n_values = -1;
        sweep_error err = {0};
        assert_int_equal(grid_range(cases[c].start, cases[c].stop, cases[c].step, &values,
                                    &n_values, &err),
                         -1);
        assert_int_equal(err.kind, ERROR_INPUT);
        assert_string_equal(err.message, cases[c].message);
        assert_null(values);
        assert_int_equal(n_values, 0);
    }
}

/* numpy.linspace, bit for bit. Expected values printed by
 *   /usr/bin/python3 -c "import numpy as np;
 *     print([float(x).hex() for x in np.linspace(START, STOP, NUM)])"
 * (numpy 1.24.2; linspace only multiplies and adds, which SIMD does
 * exactly, so these bits do not depend on the CPU). repr in the comments. */
static void test_linspace_equals_numpy_bitwise(void **state)
{
    (void)state;
    static const struct {
        double start, stop;
        int num;
        double expected[11];
    } cases[] = {
        /* 0.0, 0.16666666666666666, 0.3333333333333333, 0.5, 0.6666666666666666,
         * 0.8333333333333333, 1.0 */
        {0,
         1,
         7,
         {0x0p+0, 0x1.5555555555555p-3, 0x1.5555555555555p-2, 0x1p-1, 0x1.5555555555555p-1,
          0x1.aaaaaaaaaaaaap-1, 0x1p+0}},
        /* 0.001, 0.025750000000000002, 0.0505, 0.07525000000000001, 0.1 */
        {0.001,
         0.1,
         5,
         {0x1.0624dd2f1a9fcp-10, 0x1.a5e353f7ced92p-6, 0x1.9db22d0e56042p-5, 0x1.34395810624dep-4,
          0x1.999999999999ap-4}},
        /* -3.0, -2.3333333333333335, -1.6666666666666667, -1.0 */
        {-3, -1, 4, {-0x1.8p+1, -0x1.2aaaaaaaaaaabp+1, -0x1.aaaaaaaaaaaabp+0, -0x1p+0}},
        /* 1e-05, 0.030008999999999997, 0.060008, 0.09000699999999999,
         * 0.12000599999999999, 0.150005, 0.180004, 0.210003, 0.240002, 0.270001, 0.3 */
        {1e-5,
         0.3,
         11,
         {0x1.4f8b588e368f1p-17, 0x1.ebaade657b84dp-6, 0x1.eb95e5aff2a17p-5, 0x1.70ab2e1693c03p-4,
          0x1.eb8b69552e2fbp-4, 0x1.3335d249e44fap-3, 0x1.70a5efe931876p-3, 0x1.ae160d887ebf2p-3,
          0x1.eb862b27cbf6ep-3, 0x1.147b24638c975p-2, 0x1.3333333333333p-2}},
        /* decreasing: 1.0, 0.6666666666666667, 0.33333333333333337, 0.0 */
        {1, 0, 4, {0x1p+0, 0x1.5555555555556p-1, 0x1.5555555555556p-2, 0x0p+0}},
        /* start == stop: 2.0, 2.0, 2.0 (numpy's step == 0 branch) */
        {2, 2, 3, {0x1p+1, 0x1p+1, 0x1p+1}},
        /* num 1 gives [start]: 5.0 */
        {5, 1, 1, {0x1.4p+2}},
        /* subnormal span, where the step rounds to 0 and numpy divides first
         * (gh-5437): 0.0, 0.0, 5e-324, 1e-323, 1e-323, 1.5e-323, 1.5e-323 */
        {0,
         0x0.0000000000003p-1022,
         7,
         {0x0p+0, 0x0p+0, 0x0.0000000000001p-1022, 0x0.0000000000002p-1022, 0x0.0000000000002p-1022,
          0x0.0000000000003p-1022, 0x0.0000000000003p-1022}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double *values = NULL;
        sweep_error err = {0};
        assert_int_equal(grid_linspace(cases[c].start, cases[c].stop, cases[c].num, &values, &err),
                         0);
        assert_same_doubles(values, cases[c].expected, cases[c].num);
        free(values);
    }

    double sentinel = 0;
    double *values = &sentinel;
    sweep_error err = {0};
    assert_int_equal(grid_linspace(0, 1, 0, &values, &err), -1);
    assert_string_equal(err.message, "linspace num must be >= 1, got 0");
    assert_null(values);
}

/* numpy.logspace, bit for bit, against numpy using the C library's pow:
 *   NPY_DISABLE_CPU_FEATURES="AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL" \
 *   /usr/bin/python3 -c "import numpy as np;
 *     print([float(x).hex() for x in np.logspace(START, STOP, NUM)])"
 * Without that variable numpy 1.24 on an AVX-512 CPU uses SVML's pow, which
 * is up to 1 ulp off (np.logspace(-3, -1, 3)[2] == 0.09999999999999999);
 * we keep glibc's 0.1. repr in the comments. */
static void test_logspace_equals_numpy_bitwise(void **state)
{
    (void)state;
    static const struct {
        double start, stop;
        int num;
        double expected[7];
    } cases[] = {
        /* 0.001, 0.01, 0.1 */
        {-3, -1, 3, {0x1.0624dd2f1a9fcp-10, 0x1.47ae147ae147bp-7, 0x1.999999999999ap-4}},
        /* 1e-05, 0.0001, 0.001, 0.01, 0.1, 1.0 */
        {-5,
         0,
         6,
         {0x1.4f8b588e368f1p-17, 0x1.a36e2eb1c432dp-14, 0x1.0624dd2f1a9fcp-10, 0x1.47ae147ae147bp-7,
          0x1.999999999999ap-4, 0x1p+0}},
        /* 0.0001, 0.00031622776601683794, 0.001, 0.0031622776601683794, 0.01,
         * 0.03162277660168379, 0.1 */
        {-4,
         -1,
         7,
         {0x1.a36e2eb1c432dp-14, 0x1.4b96be9c2da2cp-12, 0x1.0624dd2f1a9fcp-10, 0x1.9e7c6e43390b7p-9,
          0x1.47ae147ae147bp-7, 0x1.030dc4ea03a72p-5, 0x1.999999999999ap-4}},
        /* 3.1622776601683795, 10.0, 31.622776601683793, 100.0, 316.22776601683796 */
        {0.5,
         2.5,
         5,
         {0x1.94c583ada5b53p+1, 0x1.4p+3, 0x1.f9f6e4990f227p+4, 0x1.9p+6, 0x1.3c3a4edfa9759p+8}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double *values = NULL;
        sweep_error err = {0};
        assert_int_equal(grid_logspace(cases[c].start, cases[c].stop, cases[c].num, &values, &err),
                         0);
        assert_same_doubles(values, cases[c].expected, cases[c].num);
        free(values);
    }
    /* The decimal literals a user means by logspace: [-3, -1, 3]. */
    double *values = NULL;
    sweep_error err = {0};
    assert_int_equal(grid_logspace(-3, -1, 3, &values, &err), 0);
    assert_same_doubles(values, (const double[]){0.001, 0.01, 0.1}, 3);
    free(values);
}

/* Counting needs only n_values, so grids far too large to allocate can be
 * counted; the expected counts are products of the sizes (by hand). */
static void test_count_checks_overflow_and_max_runs(void **state)
{
    (void)state;
    assert_int_equal(sizeof(size_t), 8); /* the messages below spell out SIZE_MAX */
    grid_spec grids[2] = {{0}, {0}};
    sweep_error err = {0};
    size_t n_runs = 0;

    /* 1000 x 1000 = 1000000: at the limit is allowed, one more run is not. */
    grids[0].n_keys = 2;
    grids[0].n_values[0] = 1000;
    grids[0].n_values[1] = 1000;
    assert_int_equal(grid_count(grids, 1, 1000000, &n_runs, &err), 0);
    assert_int_equal(n_runs, 1000000);
    grids[1].n_keys = 1;
    grids[1].n_values[0] = 1;
    assert_int_equal(grid_count(grids, 2, 1000000, &n_runs, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "the grids have 1000001 runs, more than the limit of "
                                     "1000000 (raise it with --max-runs)");
    assert_int_equal(n_runs, 0);
    assert_int_equal(grid_count(grids, 1, 999999, &n_runs, &err), -1);
    assert_string_equal(err.message, "the grid has 1000000 runs, more than the limit of "
                                     "999999 (raise it with --max-runs)");

    /* (2^31-1)^2 * 3 = 13835058042397261827 (python3 -c "print((2**31-1)**2*3)")
     * fits in 64 bits; max_runs 0 is no limit. */
    grids[0].n_keys = 3;
    grids[0].n_values[0] = 2147483647;
    grids[0].n_values[1] = 2147483647;
    grids[0].n_values[2] = 3;
    assert_int_equal(grid_count(grids, 1, 0, &n_runs, &err), 0);
    assert_true(n_runs == 13835058042397261827u);
    /* ... but two such grids overflow the sum ... */
    grids[1] = grids[0];
    assert_int_equal(grid_count(grids, 2, 0, &n_runs, &err), -1);
    assert_string_equal(err.message,
                        "the grids have more runs than can be counted (over 18446744073709551615)");
    /* ... and a fourth key overflows the product. */
    grids[0].n_keys = 4;
    grids[0].n_values[3] = 2;
    assert_int_equal(grid_count(grids, 1, 1000000, &n_runs, &err), -1);
    assert_string_equal(err.message,
                        "the grid has more runs than can be counted (over 18446744073709551615), "
                        "more than the limit of 1000000 (raise it with --max-runs)");

    /* grid_expand refuses the same grid before allocating anything. */
    train_params model = params_defaults();
    train_params sentinel = model;
    train_params *runs = &sentinel;
    assert_int_equal(grid_expand(&model, grids, 1, 1000000, &runs, &n_runs, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_null(runs);
    assert_int_equal(n_runs, 0);
}

/* swept[] marks exactly the parameters that differ between runs. */
static void test_swept_marks_varying_parameters(void **state)
{
    (void)state;
    train_params runs[3];
    for (int r = 0; r < 3; r++)
        runs[r] = params_defaults();
    runs[2].l2 = 0.01;
    runs[1].seed = 7;
    bool swept[PARAM_COUNT];
    grid_swept(runs, 3, swept);
    for (int id = 0; id < PARAM_COUNT; id++)
        assert_int_equal(swept[id], id == PARAM_L2 || id == PARAM_SEED);
    grid_swept(runs, 1, swept);
    for (int id = 0; id < PARAM_COUNT; id++)
        assert_false(swept[id]);
}

/* The earliest repeat and the earliest run it repeats, found by sorting;
 * grid_locate reads a run's place back (the odometer of grid_expand). */
static void test_find_duplicate_and_locate(void **state)
{
    (void)state;
    train_params runs[6];
    for (int i = 0; i < 6; i++) {
        runs[i] = params_defaults();
        runs[i].seed = (uint32_t)(10 - i);
    }
    size_t first = 99, second = 99;
    sweep_error err = {0};
    assert_int_equal(grid_find_duplicate(runs, 6, &first, &second, &err), 0);
    runs[5].seed = runs[3].seed; /* 5 repeats 3 */
    runs[4].seed = runs[1].seed; /* 4 repeats 1: the earlier repeat */
    assert_int_equal(grid_find_duplicate(runs, 6, &first, &second, &err), 1);
    assert_int_equal(first, 1);
    assert_int_equal(second, 4);
    runs[2] = runs[1]; /* now 2 repeats 1, earlier still */
    assert_int_equal(grid_find_duplicate(runs, 6, &first, &second, &err), 1);
    assert_int_equal(first, 1);
    assert_int_equal(second, 2);
    assert_int_equal(grid_find_duplicate(runs, 1, &first, &second, &err), 0);

    /* Two grids: 2x3 runs, then 2. Run 7 is the second run of grid 2. */
    double a[2] = {8, 16}, b[3] = {0, 1, 2}, c[2] = {0.1, 0.2};
    grid_spec grids[2] = {{0}, {0}};
    grids[0].n_keys = 2;
    grids[0].keys[0] = PARAM_BATCH_SIZE, grids[0].values[0] = a, grids[0].n_values[0] = 2;
    grids[0].keys[1] = PARAM_SEED, grids[0].values[1] = b, grids[0].n_values[1] = 3;
    grids[1].n_keys = 1;
    grids[1].keys[0] = PARAM_L2, grids[1].values[0] = c, grids[1].n_values[0] = 2;
    int grid = -1, index[PARAM_COUNT] = {0};
    grid_locate(grids, 2, 4, &grid, index);
    assert_int_equal(grid, 0);
    assert_int_equal(index[0], 1);
    assert_int_equal(index[1], 1);
    grid_locate(grids, 2, 7, &grid, index);
    assert_int_equal(grid, 1);
    assert_int_equal(index[0], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_duplicate_and_locate),
        cmocka_unit_test(test_product_order_matches_itertools),
        cmocka_unit_test(test_union_of_grids_in_order),
        cmocka_unit_test(test_no_grid_is_one_run_of_the_model),
        cmocka_unit_test(test_range_has_python_semantics),
        cmocka_unit_test(test_range_errors),
        cmocka_unit_test(test_linspace_equals_numpy_bitwise),
        cmocka_unit_test(test_logspace_equals_numpy_bitwise),
        cmocka_unit_test(test_count_checks_overflow_and_max_runs),
        cmocka_unit_test(test_swept_marks_varying_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
