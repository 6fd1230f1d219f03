/* Tests of src/sweep.c: a whole sweep in-process. The results must not
 * depend on the number of threads (compared bit for bit, every dataset but
 * the wall times), must equal train_run() called directly (bit for bit), and
 * a diverging run must be marked failed without stopping the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dataset.h"
#include "sweep.h"
#include "train.h"

#include "temp_folder.h"

/* Run `config_text` with `threads` workers into temp_folder/name. */
static void run_config(const char *config_text, int threads, const char *name,
                       sweep_outcome *outcome)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", temp_folder, name);
    sweep_config config = {0};
    sweep_error err = {0};
    config_options options = {0};
    int rc =
        config_load_text(config_text, strlen(config_text), "test.yaml", &options, &config, &err);
    if (rc != 0)
        fail_msg("%s", err.message);
    sweep_options run = {.output = path, .threads = threads, .overwrite = true, .quiet = true};
    FILE *out = tmpfile();
    rc = sweep_execute(&config, &run, out, outcome, &err);
    if (rc != 0)
        fail_msg("%s", err.message);
    fclose(out);
    config_free(&config);
}

/* A whole double dataset of the file, malloc'd; *count elements. */
static double *read_doubles(const char *name, const char *dataset_name, size_t *count)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", temp_folder, name);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t data = H5Dopen2(file, dataset_name, H5P_DEFAULT);
    assert_true(data >= 0);
    hid_t space = H5Dget_space(data);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    double *values = malloc((size_t)n * sizeof *values);
    assert_non_null(values);
    assert_true(H5Dread(data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
    H5Sclose(space);
    H5Dclose(data);
    H5Fclose(file);
    *count = (size_t)n;
    return values;
}

static const char GRID_CONFIG[] = "model: {epochs: 40}\n"
                                  "grid:\n"
                                  "  batch_size: [1, 3, 32, 364]\n"
                                  "  l1: [0.0, 0.001]\n"
                                  "  l2: [0.0, 0.01]\n"
                                  "  seed: [0, 7]\n";

/* Tolerance: none. Same runs, 1 vs 2 workers: every value bitwise equal. */
static void test_threads_do_not_change_results(void **state)
{
    (void)state;
    sweep_outcome one, two;
    run_config(GRID_CONFIG, 1, "one.h5", &one);
    run_config(GRID_CONFIG, 2, "two.h5", &two);
    assert_int_equal(one.n_runs, 32);
    assert_int_equal(one.n_done, 32);
    assert_int_equal(two.n_done, 32);
    const char *datasets[] = {"train_loss", "val_loss",   "train_score", "val_score", "test_score",
                              "status",     "batch_size", "l1",          "l2",        "seed"};
    for (size_t i = 0; i < sizeof datasets / sizeof datasets[0]; i++) {
        size_t n_one, n_two;
        double *a = read_doubles("one.h5", datasets[i], &n_one);
        double *b = read_doubles("two.h5", datasets[i], &n_two);
        assert_int_equal(n_one, n_two);
        assert_memory_equal(a, b, n_one * sizeof *a);
        free(a);
        free(b);
    }
}

/* Tolerance: none. The file holds what train_run() gives for the same run. */
static void test_file_equals_direct_training(void **state)
{
    (void)state;
    sweep_outcome outcome;
    run_config(GRID_CONFIG, 2, "direct.h5", &outcome);
    sweep_config config = {0};
    sweep_error err = {0};
    config_options options = {0};
    assert_int_equal(config_load_text(GRID_CONFIG, strlen(GRID_CONFIG), "test.yaml", &options,
                                      &config, &err),
                     0);
    dataset data = {0};
    assert_int_equal(dataset_load(&config.dataset, &data, &err), 0);
    size_t n_loss, n_score;
    double *train_loss = read_doubles("direct.h5", "train_loss", &n_loss);
    double *val_score = read_doubles("direct.h5", "val_score", &n_score);
    size_t epochs = n_loss / n_score;
    /* Run 15 of the product ((1*2 + 1)*2 + 1)*2 + 1: batch 3, l1 0.001, l2 0.01, seed 7. */
    train_params params = config.model;
    params.batch_size = 3;
    params.l1 = 0.001;
    params.l2 = 0.01;
    params.seed = 7;
    run_result result;
    assert_int_equal(run_result_init(&result, params.epochs, &err), 0);
    train_workspace *workspace = train_workspace_new();
    assert_int_equal(train_run(workspace, &data, &params, &result, &err), 0);
    assert_memory_equal(result.train_loss, &train_loss[15 * epochs], epochs * sizeof(double));
    assert_memory_equal(&result.val_score, &val_score[15], sizeof(double));
    train_workspace_delete(workspace);
    run_result_free(&result);
    free(train_loss);
    free(val_score);
    dataset_free(&data);
    config_free(&config);
}

/* The root attribute `data_checksum` of the file at temp_folder/name. */
static void read_checksum(const char *name, char text[17])
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", temp_folder, name);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t attribute = H5Aopen(file, "data_checksum", H5P_DEFAULT);
    assert_true(attribute >= 0);
    hid_t type = H5Aget_type(attribute);
    char *value = NULL;
    assert_true(H5Aread(attribute, type, &value) >= 0);
    assert_non_null(value);
    assert_int_equal(strlen(value), 16);
    memcpy(text, value, 17);
    H5free_memory(value);
    H5Tclose(type);
    H5Aclose(attribute);
    H5Fclose(file);
}

/* The data's fingerprint is made while the first runs train (thread 0
 * makes it as it builds the file): the file still holds dataset_checksum's
 * value, which resume checks (a file without one is taken on trust). */
static void test_file_holds_data_checksum(void **state)
{
    (void)state;
    static const char two_runs[] = "model: {epochs: 2}\ngrid: {seed: [0, 1]}\n";
    sweep_config config = {0};
    sweep_error err = {0};
    config_options options = {0};
    assert_int_equal(config_load_text(two_runs, strlen(two_runs), "test.yaml", &options, &config,
                                      &err),
                     0);
    dataset data = {0};
    assert_int_equal(dataset_load(&config.dataset, &data, &err), 0);
    char expected[17], found[17];
    dataset_checksum(&data, expected);
    sweep_outcome outcome;
    for (int threads = 1; threads <= 2; threads++) {
        run_config(two_runs, threads, "checksum.h5", &outcome);
        assert_int_equal(outcome.n_done, 2);
        read_checksum("checksum.h5", found);
        assert_string_equal(found, expected);
    }
    dataset_free(&data);
    config_free(&config);
}

/* A learning rate far too large overflows the weights; that run fails, the
 * others finish. */
static void test_diverging_run_is_failed_not_fatal(void **state)
{
    (void)state;
    const char *config_text = "model: {epochs: 200, batch_size: 364}\n"
                              "grid:\n"
                              "  learning_rate: [0.1, 1.0e+300]\n"
                              "  l2: [1.0]\n";
    sweep_outcome outcome;
    run_config(config_text, 2, "diverge.h5", &outcome);
    assert_int_equal(outcome.n_runs, 2);
    assert_int_equal(outcome.n_done, 1);
    assert_int_equal(outcome.n_failed, 1);
    size_t n;
    double *status = read_doubles("diverge.h5", "status", &n);
    assert_true(status[0] == 1.0);
    assert_true(status[1] == 2.0);
    free(status);
}

static void test_worker_count(void **state)
{
    (void)state;
    assert_int_equal(sweep_worker_count(4, 2), 2);
    assert_int_equal(sweep_worker_count(3, 100), 3);
    assert_true(sweep_worker_count(0, 1000) >= 1);
    assert_int_equal(sweep_worker_count(0, 1), 1);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_do_not_change_results),
        cmocka_unit_test(test_file_equals_direct_training),
        cmocka_unit_test(test_diverging_run_is_failed_not_fatal),
        cmocka_unit_test(test_file_holds_data_checksum),
        cmocka_unit_test(test_worker_count),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
