/* test_results_compact.c: the compressed final form built while runs are
 * written (results_compact.c), through the results writer's API.
 *
 * References: the values handed to results_write_run() themselves, and the
 * file the rewrite at the end makes of the same runs (results_close's path
 * when there is no copy). Tolerance: none; every number and every byte of a
 * dataset is compared bit for bit (memcmp), NaN tails included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "results.h"
#include "results_writer.h"
#include "temp_folder.h"

/* 23 runs of 100 epochs: 5 runs per chunk of the curves (512 values at
 * least), so 5 blocks, the last of 3 runs. */
#define N_RUNS 23
#define EPOCHS 100
#define BLOCK_RUNS 5
#define N_BLOCKS 5

static const char *const CURVES[4] = {"train_loss", "val_loss", "train_acc", "val_acc"};

static void test_runs(train_params runs[N_RUNS])
{
    for (size_t run = 0; run < N_RUNS; run++) {
        runs[run] = params_defaults();
        runs[run].epochs = EPOCHS;
        runs[run].seed = (uint32_t)run;
    }
}

/* Curve c of `run` at `epoch`: distinct for every run, curve and epoch; run
 * 7 failed after 40 epochs (NaN from there, as train.c leaves it). */
static double curve_value(size_t run, int c, int epoch)
{
    if (run == 7 && epoch >= 40)
        return NAN;
    return (double)run + c / 8.0 + 1.0 / (epoch + 3.0);
}

static run_result make_result(size_t run)
{
    run_result result = {0};
    sweep_error err = {0};
    assert_int_equal(run_result_init(&result, EPOCHS, &err), 0);
    double *curves[4] = {result.train_loss, result.val_loss, result.train_acc, result.val_acc};
    for (int c = 0; c < 4; c++)
        for (int epoch = 0; epoch < EPOCHS; epoch++)
            curves[c][epoch] = curve_value(run, c, epoch);
    result.epochs_done = run == 7 ? 40 : EPOCHS;
    result.status = run == 7 ? RUN_FAILED : RUN_DONE;
    if (run == 7)
        snprintf(result.failure, sizeof result.failure, "loss became NaN at epoch 41");
    result.train_score = 0.5 + run / 64.0;
    result.val_score = 0.25 + run / 128.0;
    result.test_score = run == 7 ? NAN : 0.125;
    result.seconds = 0.001 * (double)run;
    return result;
}

/* The order runs finish in: blocks complete out of order. */
static size_t finishing(size_t i)
{
    return (i * 7 + 3) % N_RUNS;
}

static results_writer *create(const char *path)
{
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = {.version = "test", .dataset_name = "wdbc", .threads = 1};
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(path, true, &meta, runs, N_RUNS, &writer, &err), 0);
    return writer;
}

static void write_run(results_writer *writer, size_t run)
{
    run_result result = make_result(run);
    sweep_error err = {0};
    assert_int_equal(results_write_run(writer, run, &result, &err), 0);
    run_result_free(&result);
}

static size_t complete_blocks(const bool written[N_RUNS])
{
    size_t complete = 0;
    for (size_t block = 0; block < N_BLOCKS; block++) {
        bool all = true;
        for (size_t run = block * BLOCK_RUNS; run < N_RUNS && run < (block + 1) * BLOCK_RUNS; run++)
            all &= written[run];
        complete += all;
    }
    return complete;
}

/* A dataset's bytes as stored (its own type), malloc'd; *size set. */
static unsigned char *read_bytes(hid_t file, const char *name, size_t *size)
{
    hid_t variable = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(variable >= 0);
    hid_t type = H5Dget_type(variable), space = H5Dget_space(variable);
    hssize_t count = H5Sget_simple_extent_npoints(space);
    *size = (size_t)count * H5Tget_size(type);
    unsigned char *bytes = malloc(*size > 0 ? *size : 1);
    assert_non_null(bytes);
    assert_true(H5Dread(variable, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes) >= 0);
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(variable);
    return bytes;
}

static bool is_gzip_compressed(hid_t file, const char *name)
{
    hid_t variable = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t properties = H5Dget_create_plist(variable);
    bool gzip = false;
    for (int i = 0; i < H5Pget_nfilters(properties); i++) {
        unsigned flags = 0;
        size_t n_values = 0;
        gzip |= H5Pget_filter2(properties, (unsigned)i, &flags, &n_values, NULL, 0, NULL, NULL) ==
                H5Z_FILTER_DEFLATE;
    }
    H5Pclose(properties);
    H5Dclose(variable);
    return gzip;
}

/* Every block goes into the copy as soon as its last run is written, in
 * whatever order they finish; the file read back holds every value. */
static void blocks_copied_as_their_runs_are_written(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/as_written.h5", temp_folder);
    results_writer *writer = create(path);
    bool written[N_RUNS] = {false};
    for (size_t i = 0; i < N_RUNS; i++) {
        write_run(writer, finishing(i));
        written[finishing(i)] = true;
        assert_int_equal(results_compaction_blocks_copied(writer), complete_blocks(written));
    }
    assert_int_equal(results_compaction_blocks_copied(writer), N_BLOCKS);
    sweep_error err = {0};
    assert_int_equal(results_close(writer, true, &err), 0);

    char partial[600];
    snprintf(partial, sizeof partial, "%s.partial", path);
    struct stat info;
    assert_int_not_equal(lstat(partial, &info), 0);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    for (int c = 0; c < 4; c++) {
        assert_true(is_gzip_compressed(file, CURVES[c]));
        size_t size = 0;
        double *values = (double *)read_bytes(file, CURVES[c], &size);
        assert_int_equal(size, sizeof(double) * N_RUNS * EPOCHS);
        for (size_t run = 0; run < N_RUNS; run++)
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                double expected = curve_value(run, c, epoch);
                assert_memory_equal(&values[run * EPOCHS + (size_t)epoch], &expected,
                                    sizeof expected);
            }
        free(values);
    }
    size_t size = 0;
    int8_t *status = (int8_t *)read_bytes(file, "status", &size);
    for (size_t run = 0; run < N_RUNS; run++)
        assert_int_equal(status[run], run == 7 ? RUN_FAILED : RUN_DONE);
    free(status);
    H5Fclose(file);
}

/* Every dataset of a file made through the copy equals, byte for byte, the
 * one the rewrite at the end makes of the same runs. A run written again
 * after its block was copied drops the copy, which sends that file down
 * the rewrite. */
static void copy_equals_the_rewrite(void **state)
{
    (void)state;
    char paths[2][512];
    for (int form = 0; form < 2; form++) {
        snprintf(paths[form], sizeof paths[form], "%s/%s.h5", temp_folder,
                 form == 0 ? "copy" : "rewrite");
        results_writer *writer = create(paths[form]);
        for (size_t i = 0; i < N_RUNS; i++)
            write_run(writer, finishing(i));
        if (form == 1) {
            write_run(writer, 0);
            assert_int_equal(results_compaction_blocks_copied(writer), 0);
        }
        sweep_error err = {0};
        assert_int_equal(results_close(writer, true, &err), 0);
    }
    hid_t files[2];
    for (int form = 0; form < 2; form++) {
        files[form] = H5Fopen(paths[form], H5F_ACC_RDONLY, H5P_DEFAULT);
        assert_true(files[form] >= 0);
    }
    const char *names[] = {"train_loss", "val_loss",   "train_acc",  "val_acc", "train_score",
                           "val_score",  "test_score", "seconds",    "status",  "failure",
                           "run",        "epoch",      "batch_size", "seed",    "l2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t sizes[2];
        unsigned char *bytes[2];
        for (int form = 0; form < 2; form++)
            bytes[form] = read_bytes(files[form], names[i], &sizes[form]);
        assert_int_equal(sizes[0], sizes[1]);
        if (memcmp(bytes[0], bytes[1], sizes[0]) != 0)
            fail_msg("%s differs between the copy and the rewrite", names[i]);
        free(bytes[0]);
        free(bytes[1]);
    }
    H5O_info_t root[2];
    for (int form = 0; form < 2; form++) {
        assert_true(H5Oget_info2(files[form], &root[form], H5O_INFO_NUM_ATTRS) >= 0);
        assert_true(is_gzip_compressed(files[form], "val_loss"));
    }
    assert_true(root[0].num_attrs > 0);
    assert_int_equal(root[0].num_attrs, root[1].num_attrs);
    for (int form = 0; form < 2; form++)
        H5Fclose(files[form]);
}

/* An interrupted sweep keeps the working form: the copy is dropped, and
 * nothing is left beside the file. */
static void interrupted_sweep_drops_the_copy(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/interrupted.h5", temp_folder);
    results_writer *writer = create(path);
    for (size_t run = 0; run < 2 * BLOCK_RUNS; run++)
        write_run(writer, run);
    assert_int_equal(results_compaction_blocks_copied(writer), 2);
    sweep_error err = {0};
    assert_int_equal(results_close(writer, false, &err), 0);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    assert_false(is_gzip_compressed(file, "val_loss"));
    H5Fclose(file);
    char partial[600];
    snprintf(partial, sizeof partial, "%s.partial", path);
    struct stat info;
    assert_int_not_equal(lstat(partial, &info), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_copied_as_their_runs_are_written),
        cmocka_unit_test(copy_equals_the_rewrite),
        cmocka_unit_test(interrupted_sweep_drops_the_copy),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
