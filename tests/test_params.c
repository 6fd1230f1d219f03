/* Tests of src/params.c (the hyperparameter schema) and src/error.c (error
 * records). Exact: the defaults are the textbook's, the bounds the README's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "params.h"

static void test_defaults_are_the_textbooks(void **state)
{
    (void)state;
    train_params params = params_defaults();
    assert_int_equal(params.batch_size, 32);
    assert_true(params.learning_rate == 0.1);
    assert_true(params.l1 == 0.0 && params.l2 == 0.0);
    assert_int_equal(params.units, 10);
    assert_int_equal(params.epochs, 500);
    assert_int_equal(params.seed, 42);
}

/* The results file's dataset names, in this order. */
static void test_names_and_order(void **state)
{
    (void)state;
    const char *names[PARAM_COUNT] = {"batch_size", "learning_rate", "l1",  "l2",
                                      "units",      "epochs",        "seed"};
    for (int id = 0; id < PARAM_COUNT; id++) {
        assert_string_equal(PARAM_INFO[id].name, names[id]);
        assert_int_equal(params_find(names[id]), id);
    }
    assert_int_equal(params_find("batchsize"), -1);
}

static void test_get_set_round_trip(void **state)
{
    (void)state;
    train_params params = params_defaults();
    double values[PARAM_COUNT] = {7, 0.003, 0.25, 1.5, 13, 9, 4294967295.0};
    for (int id = 0; id < PARAM_COUNT; id++)
        params_set(&params, (param_id)id, values[id]);
    for (int id = 0; id < PARAM_COUNT; id++)
        assert_true(params_get(&params, (param_id)id) == values[id]);
    assert_int_equal(params.seed, UINT32_MAX);
}

/* The message of params_check, or NULL. */
static const char *problem(param_id id, double value)
{
    static char text[80];
    return params_check(id, value, text, sizeof text);
}

static void test_bounds(void **state)
{
    (void)state;
    assert_null(problem(PARAM_BATCH_SIZE, 1));
    assert_string_equal(problem(PARAM_BATCH_SIZE, 0), "must be >= 1");
    assert_string_equal(problem(PARAM_UNITS, 2.5), "must be a whole number");
    assert_string_equal(problem(PARAM_EPOCHS, 0), "must be >= 1");
    assert_string_equal(problem(PARAM_LEARNING_RATE, 0), "must be > 0");
    assert_null(problem(PARAM_LEARNING_RATE, 1e-300));
    assert_string_equal(problem(PARAM_L1, -1e-9), "must be >= 0");
    assert_null(problem(PARAM_L2, 0));
    assert_string_equal(problem(PARAM_SEED, -1), "must be in 0..4294967295");
    assert_string_equal(problem(PARAM_SEED, 4294967296.0), "must be in 0..4294967295");
    assert_null(problem(PARAM_SEED, 4294967295.0));
    assert_string_equal(problem(PARAM_L2, NAN), "must be a finite number");
    assert_string_equal(problem(PARAM_L2, INFINITY), "must be a finite number");
}

/* A number too large for a double (5,000 digits read as inf) is out of range
 * for a setting with a maximum: the message names the maximum, from the table. */
static void test_upper_bounds_come_from_the_table(void **state)
{
    (void)state;
    char expected[80];
    snprintf(expected, sizeof expected, "must be <= %.0f", PARAM_INFO[PARAM_EPOCHS].max);
    assert_string_equal(expected, "must be <= 10000000");
    assert_string_equal(problem(PARAM_EPOCHS, INFINITY), expected);
    assert_string_equal(problem(PARAM_EPOCHS, 1e7 + 1), expected);
    assert_null(problem(PARAM_EPOCHS, 1e7));
    assert_string_equal(problem(PARAM_UNITS, INFINITY), "must be <= 1000000");
    assert_string_equal(problem(PARAM_BATCH_SIZE, 1e300), "must be <= 1000000000");
    assert_string_equal(problem(PARAM_SEED, INFINITY), "must be in 0..4294967295");
    assert_string_equal(problem(PARAM_EPOCHS, -INFINITY), "must be >= 1");
    assert_string_equal(problem(PARAM_LEARNING_RATE, INFINITY), "must be a finite number");
    assert_string_equal(problem(PARAM_LEARNING_RATE, -INFINITY), "must be > 0");
}

/* Table order decides: batch_size first, seed last. Exact. */
static void test_compare_and_describe(void **state)
{
    (void)state;
    train_params a = params_defaults(), b = params_defaults();
    assert_int_equal(params_compare(&a, &b), 0);
    b.seed = 43;
    assert_true(params_compare(&a, &b) < 0);
    a.batch_size = 64; /* an earlier key outweighs the seed */
    assert_true(params_compare(&a, &b) > 0);
    char text[256];
    train_params defaults = params_defaults();
    params_describe(&defaults, text, sizeof text);
    assert_string_equal(text, "batch_size=32, learning_rate=0.10000000000000001, l1=0, l2=0, "
                              "units=10, epochs=500, seed=42");
    char short_text[12];
    params_describe(&a, short_text, sizeof short_text);
    assert_string_equal(short_text, "batch_size=");
}

static void test_error_records(void **state)
{
    (void)state;
    sweep_error err = {0};
    assert_int_equal(error_set(&err, ERROR_INPUT, "%s:%d: %s", "a.yaml", 3, "bad"), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "a.yaml:3: bad");
    error_clear(&err);
    assert_int_equal(err.kind, ERROR_NONE);
    assert_string_equal(err.message, "");
    assert_int_equal(error_set(NULL, ERROR_RUNTIME, "dropped"), -1);
    /* Long messages are cut, never overflow. */
    char long_text[2000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    error_set(&err, ERROR_RUNTIME, "%s", long_text);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_the_textbooks),
        cmocka_unit_test(test_names_and_order),
        cmocka_unit_test(test_get_set_round_trip),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_upper_bounds_come_from_the_table),
        cmocka_unit_test(test_compare_and_describe),
        cmocka_unit_test(test_error_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
