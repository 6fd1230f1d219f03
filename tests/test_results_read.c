/* test_results_read.c: results files read back (results_read.c).
 *
 * A real file is written with results_create(), then damaged with HDF5 C
 * calls or by rewriting its bytes, and read back with results_read_index()
 * and the results_source readers. Reference: the values written. Every
 * failure must be ERROR_INPUT with the exact one-line message given here and
 * leave the index empty; numbers read back are compared exactly (==).
 * Under ASan (build-asan/) a read past a buffer is a failure of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "results.h"
#include "results_source.h"
#include "temp_folder.h"

#define N_RUNS 3
#define EPOCHS 4

static char path[512];

static const train_params RUNS[N_RUNS] = {
    {.batch_size = 32,
     .learning_rate = 0.1,
     .l1 = 0.0,
     .l2 = 0.01,
     .units = 10,
     .epochs = EPOCHS,
     .seed = 0,
     .fold = PARAMS_NO_FOLD,
     .repeat = PARAMS_NO_FOLD},
    {.batch_size = 64,
     .learning_rate = 0.5,
     .l1 = 0.0,
     .l2 = 0.0,
     .units = 2,
     .epochs = 2,
     .seed = 4294967295u,
     .fold = PARAMS_NO_FOLD,
     .repeat = PARAMS_NO_FOLD},
    {.batch_size = 1,
     .learning_rate = 1e-3,
     .l1 = 1e-4,
     .l2 = 0.0,
     .units = 1,
     .epochs = 3,
     .seed = 42,
     .fold = PARAMS_NO_FOLD,
     .repeat = PARAMS_NO_FOLD},
};

/* A file of N_RUNS runs, run 0 done, run 1 failed, run 2 pending. */
static int write_real_file(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "%s/results.h5", temp_folder);
    results_meta meta = {.effective_config = "model:\n  epochs: 4\n",
                         .version = "test",
                         .dataset_name = "wdbc",
                         .data_checksum = "0123456789abcdef",
                         .n_train = 364,
                         .n_val = 91,
                         .n_test = 114,
                         .n_features = 30};
    results_writer *writer = NULL;
    sweep_error err = {0};
    if (results_create(path, true, &meta, RUNS, N_RUNS, &writer, &err) != 0)
        return -1;
    double train_loss[EPOCHS] = {0.7, 0.6, 0.5, 0.4}, val_loss[EPOCHS] = {0.8, 0.7, 0.6, 0.55};
    run_result result = {.status = RUN_DONE,
                         .epochs = EPOCHS,
                         .train_loss = train_loss,
                         .val_loss = val_loss,
                         .train_score = 0.9,
                         .val_score = 0.95,
                         .test_score = 0.875,
                         .seconds = 0.25};
    int rc = results_write_run(writer, 0, &result, &err);
    result = (run_result){.status = RUN_FAILED,
                          .epochs = 2,
                          .train_loss = train_loss,
                          .val_loss = val_loss,
                          .failure = "loss is NaN at epoch 2"};
    if (rc == 0)
        rc = results_write_run(writer, 1, &result, &err);
    if (results_close(writer, false, &err) != 0 || rc != 0)
        return -1;
    return 0;
}

/* A fresh copy of the real file for one test to damage. */
static const char *fresh_copy(void)
{
    static char copy[600];
    snprintf(copy, sizeof copy, "%s.copy.h5", path);
    FILE *from = fopen(path, "rb"), *to = fopen(copy, "wb");
    assert_non_null(from);
    assert_non_null(to);
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, from)) > 0)
        assert_int_equal(fwrite(buffer, 1, n, to), n);
    fclose(from);
    assert_int_equal(fclose(to), 0);
    return copy;
}

/* results_read_index must refuse `file` with exactly "FILE: <what>". */
static void assert_refused(const char *file, const char *what)
{
    results_index index;
    sweep_error err = {0};
    char expected[1024];
    snprintf(expected, sizeof expected, "%s: %s", file, what);
    assert_int_equal(results_read_index(file, &index, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, expected);
    assert_int_equal(index.n_runs, 0);
    assert_null(index.runs);
    assert_null(index.summaries);
}

/* Replace dataset `name` of `file` by a 1-D int8 one of `length` values. */
static void replace_with_int8(const char *file, const char *name, hsize_t length)
{
    hid_t handle = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(handle >= 0);
    assert_true(H5Ldelete(handle, name, H5P_DEFAULT) >= 0);
    hid_t space = H5Screate_simple(1, &length, NULL);
    hid_t variable =
        H5Dcreate2(handle, name, H5T_STD_I8LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(variable >= 0);
    int8_t values[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    assert_true(length <= 8);
    assert_true(H5Dwrite(variable, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0);
    H5Dclose(variable);
    H5Sclose(space);
    assert_true(H5Fclose(handle) >= 0);
}

/* Set root attribute `name` of `file` to `count` int64 values. */
static void set_int_array_attribute(const char *file, const char *name, hsize_t count)
{
    hid_t handle = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(handle >= 0);
    if (H5Aexists(handle, name) > 0)
        assert_true(H5Adelete(handle, name) >= 0);
    hid_t space = H5Screate_simple(1, &count, NULL);
    hid_t attribute = H5Acreate2(handle, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    int64_t values[64] = {0};
    assert_true(count <= 64);
    assert_true(H5Awrite(attribute, H5T_NATIVE_INT64, values) >= 0);
    H5Aclose(attribute);
    H5Sclose(space);
    assert_true(H5Fclose(handle) >= 0);
}

static void overwrite_bytes(const char *file, long offset, const void *bytes, size_t size)
{
    FILE *handle = fopen(file, "r+b");
    assert_non_null(handle);
    assert_int_equal(fseek(handle, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(bytes, 1, size, handle), size);
    assert_int_equal(fclose(handle), 0);
}

/* ---- tests ------------------------------------------------------------------ */

static void real_file_reads_back(void **state)
{
    (void)state;
    results_index index;
    sweep_error err = {0};
    assert_int_equal(results_read_index(path, &index, &err), 0);
    assert_int_equal(index.n_runs, N_RUNS);
    assert_int_equal(index.summaries[0].status, RUN_DONE);
    assert_int_equal(index.summaries[1].status, RUN_FAILED);
    assert_int_equal(index.summaries[2].status, RUN_PENDING);
    for (size_t run = 0; run < N_RUNS; run++) {
        assert_int_equal(params_compare(&index.runs[run], &RUNS[run]), 0);
        assert_int_equal(index.run_numbers[run], (long long)run);
    }
    assert_true(index.summaries[0].val_score == 0.95);
    assert_true(index.summaries[0].final_val_loss == 0.55);
    assert_string_equal(index.data_checksum, "0123456789abcdef");
    assert_int_equal(index.n_train, 364);
    assert_int_equal(index.grid_runs, -1); /* not a shard */
    results_index_free(&index);
}

/* The memory-corruption case: `status` shorter than the other datasets,
 * which were read whole into buffers sized by `status`. */
static void status_shorter_than_scores_refused(void **state)
{
    (void)state;
    const char *file = fresh_copy();
    replace_with_int8(file, "status", 2);
    assert_refused(file, "not a valid sweep results file: 'train_score' has 3 values, but "
                         "'status' has 2 runs");
}

static void status_longer_than_hyperparameters_refused(void **state)
{
    (void)state;
    const char *file = fresh_copy();
    replace_with_int8(file, "status", 5);
    assert_refused(file, "not a valid sweep results file: 'train_score' has 3 values, but "
                         "'status' has 5 runs");
}

/* An attribute of several values was read into one long long. */
static void attribute_of_many_values_refused(void **state)
{
    (void)state;
    const char *file = fresh_copy();
    set_int_array_attribute(file, "n_train", 64);
    assert_refused(file, "not a valid sweep results file: attribute 'n_train' is not a single "
                         "value");
}

static void status_code_out_of_range_refused(void **state)
{
    (void)state;
    const char *file = fresh_copy();
    hid_t handle = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t variable = H5Dopen2(handle, "status", H5P_DEFAULT);
    int8_t codes[N_RUNS] = {1, 2, 3};
    assert_true(H5Dwrite(variable, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, codes) >= 0);
    H5Dclose(variable);
    H5Fclose(handle);
    assert_refused(file, "not a valid sweep results file: the status of run 2 is 3 (0 "
                         "pending, 1 done or 2 failed)");
}

/* One byte short: the superblock records the whole length. */
static void truncated_file_named_truncated(void **state)
{
    (void)state;
    const char *file = fresh_copy();
    struct stat info;
    assert_int_equal(stat(file, &info), 0);
    assert_int_equal(truncate(file, info.st_size - 1), 0);
    char what[256];
    snprintf(what, sizeof what,
             "truncated or damaged (%lld bytes, of the %lld its HDF5 "
             "superblock records)",
             (long long)info.st_size - 1, (long long)info.st_size);
    assert_refused(file, what);
}

/* Superblock version 0 keeps the size of an address at byte 13. */
static void impossible_superblock_refused(void **state)
{
    (void)state;
    const char *file = fresh_copy();
    overwrite_bytes(file, 13, "\x03", 1);
    assert_refused(file, "truncated or damaged (its HDF5 superblock gives addresses of 3 "
                         "bytes)");
}

static void other_files_refused(void **state)
{
    (void)state;
    char text_file[600];
    snprintf(text_file, sizeof text_file, "%s.yaml", path);
    FILE *handle = fopen(text_file, "w");
    fputs("model:\n  epochs: 4\n", handle);
    fclose(handle);
    assert_refused(text_file, "not a valid sweep results file: not an HDF5 file");
    assert_refused(temp_folder, "is a folder, not a results file");
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.h5", temp_folder);
    assert_refused(missing, "cannot read it: No such file or directory");
}

/* The copy path reads a curve row of the config's epochs: never more than
 * the file holds. */
static void curve_rows_bounded_by_the_file(void **state)
{
    (void)state;
    results_source *source = NULL;
    sweep_error err = {0};
    assert_int_equal(results_source_open(path, &source, &err), 0);
    assert_int_equal(results_source_runs(source), N_RUNS);
    assert_int_equal(results_source_epochs(source), EPOCHS);
    double row[EPOCHS + 1];
    assert_int_equal(results_source_read_curve(source, "val_loss", 0, EPOCHS, row, &err), 0);
    assert_true(row[3] == 0.55);
    assert_int_equal(results_source_read_curve(source, "val_loss", 0, EPOCHS + 1, row, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "%s: not a valid sweep results file: run 0 of 3 has 5 "
             "epochs, but its curves hold 4",
             path);
    assert_string_equal(err.message, expected);
    assert_int_equal(results_source_read_curve(source, "val_loss", N_RUNS, 1, row, &err), -1);
    results_source_close(source);
}

static int make_temp_folder_and_file(void **state)
{
    return make_temp_folder(state) != 0 ? -1 : write_real_file(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_file_reads_back),
        cmocka_unit_test(status_shorter_than_scores_refused),
        cmocka_unit_test(status_longer_than_hyperparameters_refused),
        cmocka_unit_test(attribute_of_many_values_refused),
        cmocka_unit_test(status_code_out_of_range_refused),
        cmocka_unit_test(truncated_file_named_truncated),
        cmocka_unit_test(impossible_superblock_refused),
        cmocka_unit_test(other_files_refused),
        cmocka_unit_test(curve_rows_bounded_by_the_file),
    };
    return cmocka_run_group_tests(tests, make_temp_folder_and_file, remove_temp_folder);
}
