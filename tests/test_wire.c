/* Tests of src/wire.c: the messages between the ranks of an MPI sweep.
 *
 * Reference: the values packed. Tolerance: none; every number is compared
 * bit for bit (memcmp), so NaNs keep their payload and sign and -0.0 stays
 * -0.0. Malformed messages (every truncation, trailing bytes, bad counts)
 * must be refused without reading past their end (the ASan build checks
 * that). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void assert_same_bits(const double *expected, const double *actual, size_t count)
{
    assert_memory_equal(expected, actual, count * sizeof(double));
}

/* A NaN with other bits than run_result_init's fill. */
static double other_nan(void)
{
    uint64_t bits = 0xfff8000000000123ULL;
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static void assert_results_equal(const run_result *a, const run_result *b)
{
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->epochs, b->epochs);
    assert_int_equal(a->epochs_done, b->epochs_done);
    assert_same_bits(&a->train_score, &b->train_score, 1);
    assert_same_bits(&a->val_score, &b->val_score, 1);
    assert_same_bits(&a->test_score, &b->test_score, 1);
    assert_same_bits(&a->seconds, &b->seconds, 1);
    assert_string_equal(a->failure, b->failure);
    assert_same_bits(a->train_loss, b->train_loss, (size_t)a->epochs);
    assert_same_bits(a->val_loss, b->val_loss, (size_t)a->epochs);
    assert_same_bits(a->train_acc, b->train_acc, (size_t)a->epochs);
    assert_same_bits(a->val_acc, b->val_acc, (size_t)a->epochs);
}

static void round_trip(const run_result *sent, size_t index, size_t *size)
{
    void *bytes = NULL;
    sweep_error err = {0};
    assert_int_equal(wire_pack_result(index, sent, &bytes, size, &err), 0);
    run_result received;
    size_t got = 0;
    assert_int_equal(wire_unpack_result(bytes, *size, &got, &received, &err), 0);
    assert_int_equal(got, index);
    assert_results_equal(sent, &received);
    run_result_free(&received);
    free(bytes);
}

/* A done run, a failed one (an infinite loss, the fill after it) and one
 * whose last value is a NaN that is not the fill: all arrive bit for bit;
 * the failed one costs only the epochs it trained. */
static void results_arrive_bit_for_bit_and_compact(void **state)
{
    (void)state;
    sweep_error err = {0};
    run_result done;
    assert_int_equal(run_result_init(&done, 500, &err), 0);
    for (int e = 0; e < 500; e++) {
        done.train_loss[e] = 1.0 / (e + 3);
        done.val_loss[e] = e == 7 ? -0.0 : 0.1 + e * 1e-3;
        done.train_acc[e] = (double)(e % 364) / 364.0;
        done.val_acc[e] = e == 9 ? 1.0 : (double)(e % 91) / 91.0;
    }
    done.status = RUN_DONE;
    done.epochs_done = 500;
    done.train_score = 0.9917582417582418;
    done.val_score = 0.978021978021978;
    done.test_score = NAN;
    done.seconds = 0.125;
    size_t size = 0;
    round_trip(&done, 4294967296ULL, &size);
    assert_true(size > 4 * 500 * sizeof(double)); /* the accuracy curves travel too */

    run_result failed;
    assert_int_equal(run_result_init(&failed, 500, &err), 0);
    failed.train_loss[0] = 0.7;
    failed.val_loss[0] = 0.71;
    failed.train_loss[1] = HUGE_VAL;
    failed.train_acc[0] = 0.5;
    failed.val_acc[0] = 0.625;
    failed.status = RUN_FAILED;
    failed.epochs_done = 1;
    snprintf(failed.failure, sizeof failed.failure, "train loss became inf at epoch 1 (0-based)");
    round_trip(&failed, 3, &size);
    assert_true(size < 300); /* 5 values, not 2000 */

    done.val_loss[499] = other_nan();
    done.val_acc[499] = other_nan();
    round_trip(&done, 0, &size);
    memset(done.failure, 'x', sizeof done.failure); /* no terminator: sent bounded */
    done.failure[sizeof done.failure - 1] = '\0';
    round_trip(&done, 1, &size);
    run_result_free(&done);
    run_result_free(&failed);
}

static void work_and_small_messages_round_trip(void **state)
{
    (void)state;
    sweep_error err = {0};
    train_params params = {.batch_size = 364,
                           .learning_rate = 0.1 + 0.2,
                           .l1 = 5e-324,
                           .l2 = 0.0,
                           .units = 1000000,
                           .epochs = 10000000,
                           .seed = 4294967295u,
                           .model = MODEL_MULTICLASS,
                           .fold = 4,
                           .repeat = 999};
    void *bytes = NULL;
    size_t size = 0, index = 0;
    assert_int_equal(wire_pack_work(17, &params, &bytes, &size, &err), 0);
    train_params received;
    assert_int_equal(wire_unpack_work(bytes, size, &index, &received, &err), 0);
    assert_int_equal(index, 17);
    assert_memory_equal(&received.learning_rate, &params.learning_rate, sizeof(double));
    assert_memory_equal(&received.l1, &params.l1, sizeof(double));
    assert_int_equal(received.batch_size, 364);
    assert_int_equal(received.units, 1000000);
    assert_int_equal(received.epochs, 10000000);
    assert_int_equal(received.seed, 4294967295u);
    assert_int_equal(received.model, MODEL_MULTICLASS); /* the rank trains the same network */
    assert_int_equal(received.fold, 4);                 /* ... on the same fold's rows */
    assert_int_equal(received.repeat, 999);
    free(bytes);
    /* without cv: -1 in both */
    params.fold = params.repeat = PARAMS_NO_FOLD;
    assert_int_equal(wire_pack_work(17, &params, &bytes, &size, &err), 0);
    assert_int_equal(wire_unpack_work(bytes, size, &index, &received, &err), 0);
    assert_int_equal(received.fold, PARAMS_NO_FOLD);
    assert_int_equal(received.repeat, PARAMS_NO_FOLD);
    free(bytes);
    /* a fold beyond the config's bounds is a malformed message */
    params.fold = 1000;
    params.repeat = 0;
    assert_int_equal(wire_pack_work(17, &params, &bytes, &size, &err), 0);
    assert_int_equal(wire_unpack_work(bytes, size, &index, &received, &err), -1);
    free(bytes);

    long long number = 0;
    assert_int_equal(wire_pack_number(-15, &bytes, &size, &err), 0);
    assert_int_equal(wire_unpack_number(bytes, size, &number, &err), 0);
    assert_int_equal(number, -15);
    free(bytes);

    sweep_error sent, got;
    error_set(&sent, ERROR_INPUT, "my.csv:17: target must be 0 or 1, got 2");
    assert_int_equal(wire_pack_error(&sent, &bytes, &size, &err), 0);
    assert_int_equal(wire_unpack_error(bytes, size, &got, &err), 0);
    assert_int_equal(got.kind, ERROR_INPUT);
    assert_string_equal(got.message, sent.message);
    free(bytes);

    int status = 0;
    assert_int_equal(wire_pack_finish(143, &bytes, &size, &err), 0);
    assert_int_equal(wire_packet_kind(bytes, size), WIRE_FINISH);
    assert_int_equal(wire_unpack_finish(bytes, size, &status, &err), 0);
    assert_int_equal(status, 143);
    free(bytes);
}

/* A broadcast as a rank receives it: a malloc'd copy of the bytes sent. */
static void *received_copy(const void *bytes, size_t size)
{
    void *copy = malloc(size > 0 ? size : 1);
    assert_non_null(copy);
    if (size > 0)
        memcpy(copy, bytes, size);
    return copy;
}

/* The data set arrives whole, the start packet and then its arrays:
 * shapes, name, classes and every value, bitwise; each received buffer
 * becomes the array itself (no copy); a set without test rows keeps NULL
 * arrays. */
static void start_packet_and_arrays_carry_the_data_set(void **state)
{
    (void)state;
    double x_train[6] = {1.5, -0.0, 3.0, NAN, 5.0, 6.25}, y_train[3] = {0, 1, 1};
    double x_val[2] = {7.0, 8.0}, y_val[1] = {1};
    char *class_names[2] = {"no", "T-shirt/top"};
    dataset data = {.name = "my data.csv",
                    .n_features = 2,
                    .n_train = 3,
                    .n_val = 1,
                    .n_test = 0,
                    .x_train = x_train,
                    .y_train = y_train,
                    .x_val = x_val,
                    .y_val = y_val,
                    .n_classes = 2,
                    .class_names = class_names};
    wire_settings settings =
        {.threads = 4,
         .n_runs = 123456,
         .cv = {.n_splits = 5, .n_repeats = 3, .shuffle = true, .seed = 4294967295u},
         .standardize_folds = true,
         .code_values = true};
    void *bytes = NULL;
    size_t size = 0;
    sweep_error err = {0};
    assert_int_equal(wire_pack_start(&settings, &data, &bytes, &size, &err), 0);
    /* The packet holds no rows: it is as small as the name and classes. */
    assert_true(size < 200);
    assert_int_equal(wire_packet_kind(bytes, size), WIRE_START);
    dataset got;
    wire_settings got_settings;
    assert_int_equal(wire_unpack_start(bytes, size, &got_settings, &got, &err), 0);
    assert_null(got.x_train);
    for (int which = 0; which < WIRE_N_ARRAYS; which++) {
        size_t array_size = 0;
        const double *values = wire_array(&data, which, &array_size);
        void *received = received_copy(values, array_size);
        assert_int_equal(wire_adopt_array(&got, which, received, array_size, &err), 0);
        size_t got_size = 0;
        const double *kept = wire_array(&got, which, &got_size);
        assert_int_equal(got_size, array_size);
        if (array_size > 0)
            assert_ptr_equal(kept, received);
    }
    assert_int_equal(got_settings.threads, 4);
    assert_int_equal(got_settings.n_runs, 123456);
    assert_int_equal(got_settings.cv.n_splits, 5);
    assert_int_equal(got_settings.cv.n_repeats, 3);
    assert_true(got_settings.cv.shuffle);
    assert_int_equal(got_settings.cv.seed, 4294967295u);
    assert_true(got_settings.standardize_folds);
    assert_true(got_settings.code_values);
    assert_string_equal(got.name, "my data.csv");
    assert_int_equal(got.n_features, 2);
    assert_int_equal(got.n_train, 3);
    assert_int_equal(got.n_val, 1);
    assert_int_equal(got.n_test, 0);
    assert_same_bits(x_train, got.x_train, 6);
    assert_same_bits(y_train, got.y_train, 3);
    assert_same_bits(x_val, got.x_val, 2);
    assert_same_bits(y_val, got.y_val, 1);
    assert_null(got.x_test);
    assert_null(got.y_test);
    assert_null(got.feature_names);
    assert_int_equal(got.n_classes, 2);
    assert_string_equal(got.class_names[0], "no");
    assert_string_equal(got.class_names[1], "T-shirt/top");
    dataset_free(&got);

    /* Every truncation and an extra byte are refused, not read past. */
    unsigned char *longer = malloc(size + 1);
    assert_non_null(longer);
    memcpy(longer, bytes, size);
    longer[size] = 0;
    for (size_t cut = 0; cut < size; cut++) {
        void *piece = malloc(cut > 0 ? cut : 1);
        memcpy(piece, bytes, cut);
        assert_int_equal(wire_unpack_start(piece, cut, &got_settings, &got, &err), -1);
        free(piece);
    }
    assert_int_equal(wire_unpack_start(longer, size + 1, &got_settings, &got, &err), -1);
    char expected[64];
    snprintf(expected, sizeof expected, "a malformed start message (%zu bytes)", size + 1);
    assert_string_equal(err.message, expected);
    free(longer);
    free(bytes);
}

/* An array that does not fit the shapes the start packet gave (a size off
 * by one value or one byte, an array sent twice, one past the last, counts
 * whose size overflows) is refused and freed, and never becomes the data
 * set's (the ASan build checks that nothing leaks). */
static void arrays_that_do_not_fit_are_refused(void **state)
{
    (void)state;
    sweep_error err = {0};
    dataset got = {.n_features = 2, .n_train = 3, .n_val = 1};
    double values[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t bad_sizes[] = {5 * sizeof(double), 7 * sizeof(double), 6 * sizeof(double) - 1, 0};
    for (size_t i = 0; i < sizeof bad_sizes / sizeof *bad_sizes; i++) {
        err = (sweep_error){0};
        void *received = received_copy(values, bad_sizes[i]);
        assert_int_equal(wire_adopt_array(&got, 0, received, bad_sizes[i], &err), -1);
        assert_int_equal(err.kind, ERROR_RUNTIME);
        assert_null(got.x_train);
    }
    char expected[80];
    snprintf(expected, sizeof expected, "a malformed data array 0 (0 bytes, %zu expected)",
             6 * sizeof(double));
    assert_string_equal(err.message, expected);

    assert_int_equal(wire_adopt_array(&got, 1, received_copy(values, 24), 24, &err), 0);
    assert_int_equal(wire_adopt_array(&got, 1, received_copy(values, 24), 24, &err), -1);
    assert_same_bits(values, got.y_train, 3);
    assert_int_equal(wire_adopt_array(&got, WIRE_N_ARRAYS, received_copy(values, 0), 0, &err), -1);
    assert_int_equal(wire_adopt_array(&got, -1, received_copy(values, 0), 0, &err), -1);
    /* An empty array is freed and stays NULL. */
    assert_int_equal(wire_adopt_array(&got, 4, received_copy(values, 0), 0, &err), 0);
    assert_null(got.x_test);

    /* 2^31-1 rows of 2^31-1 features: their byte count would wrap around to
     * a small size, which must not pass for it. */
    dataset huge = {.n_features = INT32_MAX, .n_train = INT32_MAX};
    size_t count = (size_t)INT32_MAX * (size_t)INT32_MAX;
    size_t wrapped = count * sizeof(double);
    void *received = received_copy(values, sizeof values);
    assert_int_equal(wire_adopt_array(&huge, 0, received, wrapped, &err), -1);
    assert_null(huge.x_train);
    dataset_free(&got);
}

/* Truncated, padded or nonsensical results and work are refused with a
 * runtime error, never half-read. */
static void malformed_messages_refused(void **state)
{
    (void)state;
    sweep_error err = {0};
    run_result result;
    assert_int_equal(run_result_init(&result, 4, &err), 0);
    result.status = RUN_DONE;
    result.epochs_done = 4;
    for (int e = 0; e < 4; e++)
        result.train_loss[e] = result.val_loss[e] = result.train_acc[e] = result.val_acc[e] = e;
    void *bytes = NULL;
    size_t size = 0, index = 0;
    assert_int_equal(wire_pack_result(9, &result, &bytes, &size, &err), 0);
    run_result_free(&result);
    for (size_t cut = 0; cut < size; cut++) {
        void *piece = malloc(cut > 0 ? cut : 1);
        memcpy(piece, bytes, cut);
        assert_int_equal(wire_unpack_result(piece, cut, &index, &result, &err), -1);
        assert_int_equal(err.kind, ERROR_RUNTIME);
        free(piece);
    }
    /* A status that is not finished, and a curve longer than the epochs. */
    int64_t *fields = bytes;
    fields[1] = RUN_PENDING;
    assert_int_equal(wire_unpack_result(bytes, size, &index, &result, &err), -1);
    fields[1] = RUN_DONE;
    fields[2] = 3; /* epochs 3, but 4 values follow */
    assert_int_equal(wire_unpack_result(bytes, size, &index, &result, &err), -1);
    free(bytes);

    train_params params = params_defaults();
    params.epochs = 1;
    assert_int_equal(wire_pack_work(0, &params, &bytes, &size, &err), 0);
    double zero = 0.0; /* epochs 0 is no run */
    memcpy((char *)bytes + 8 + PARAM_EPOCHS * 8, &zero, sizeof zero);
    train_params got;
    assert_int_equal(wire_unpack_work(bytes, size, &index, &got, &err), -1);
    assert_string_equal(
        err.message,
        "a malformed work message (88 bytes)"); /* index, 7 parameters, model, fold, repeat */
    memcpy((char *)bytes + 8 + PARAM_EPOCHS * 8, &(double){1.0}, sizeof(double));
    int64_t model = MODEL_COUNT; /* no such model */
    memcpy((char *)bytes + 8 + PARAM_COUNT * 8, &model, sizeof model);
    assert_int_equal(wire_unpack_work(bytes, size, &index, &got, &err), -1);
    free(bytes);
    assert_int_equal(wire_packet_kind("x", 1), -1);
    int64_t kind = 99;
    assert_int_equal(wire_packet_kind(&kind, sizeof kind), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(results_arrive_bit_for_bit_and_compact),
        cmocka_unit_test(work_and_small_messages_round_trip),
        cmocka_unit_test(start_packet_and_arrays_carry_the_data_set),
        cmocka_unit_test(arrays_that_do_not_fit_are_refused),
        cmocka_unit_test(malformed_messages_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
