/* test_results.c: the results file, written by results.c and read back with
 * the HDF5 C API.
 *
 * Reference: the values handed to results_create() / results_write_run()
 * themselves. Tolerance: none; every number is compared bit for bit (memcmp),
 * so a NaN must be the NaN written and -0.0 must stay -0.0. Messages are
 * compared as exact strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "results.h"

#define N_RUNS 4
#define MAX_EPOCHS 5

typedef struct {
    char folder[256]; /* a fresh temporary folder per test */
    char path[512];   /* folder/results.h5 */
} fixture;

/* ---- fixture ------------------------------------------------------------ */

/* rm -r of a test's folder. */
static void remove_tree(const char *path)
{
    struct stat info;
    if (lstat(path, &info) != 0)
        return;
    if (S_ISDIR(info.st_mode)) {
        chmod(path, 0700); /* in case a test took the permissions away */
        DIR *folder = opendir(path);
        if (folder != NULL) {
            struct dirent *entry;
            while ((entry = readdir(folder)) != NULL) {
                if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                    continue;
                char child[1024];
                snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
                remove_tree(child);
            }
            closedir(folder);
        }
    }
    remove(path);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->folder, sizeof f->folder, "%s/test_results.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(f->folder) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/results.h5", f->folder);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    remove_tree(f->folder);
    free(f);
    return 0;
}

/* ---- the sweep under test ----------------------------------------------- */

static const char CONFIG_TEXT[] = "# 딥러닝 입문 ch. 6-3\nmodel:\n  epochs: 5\n";

static results_meta test_meta(void)
{
    results_meta meta = {
        .config_text = CONFIG_TEXT,
        .config_path = "configs/test.yaml",
        .overrides = "model.l2=0.01\ngrid.seed=[0,1]",
        .effective_config = "model:\n  epochs: 5\n  l2: 0.01\n",
        .version = "0.1.0",
        .start_time_utc = "2026-11-26T14:05:00Z",
        .host = "testhost",
        .threads = 3,
        .dataset_name = "wdbc",
        .n_train = 364,
        .n_val = 91,
        .n_test = 114,
        .n_features = 30,
    };
    return meta;
}

/* Four runs of different lengths; seed 4294967295 needs more than int32. */
static void test_runs(train_params runs[N_RUNS])
{
    const train_params values[N_RUNS] = {
        {.batch_size = 32,
         .learning_rate = 0.1,
         .l1 = 0.0,
         .l2 = 0.01,
         .units = 10,
         .epochs = 3,
         .seed = 0},
        {.batch_size = 128,
         .learning_rate = 0.05,
         .l1 = 1e-3,
         .l2 = 0.0,
         .units = 7,
         .epochs = 5,
         .seed = 4294967295u},
        {.batch_size = 1,
         .learning_rate = 1e-3,
         .l1 = 0.0,
         .l2 = 0.0,
         .units = 1,
         .epochs = 4,
         .seed = 42},
        {.batch_size = 364,
         .learning_rate = 0.1 + 0.2,
         .l1 = 0.0,
         .l2 = 5e-324,
         .units = 1000,
         .epochs = 2,
         .seed = 7},
    };
    memcpy(runs, values, sizeof values);
}

/* What results_write_run() receives for runs 0, 1 and 3; run 2 stays pending.
 * Run 1 failed after 2 of its 5 epochs: an infinite loss, then a NaN tail. */
static const double TRAIN_LOSS[N_RUNS][MAX_EPOCHS] = {
    {0.6931471805599453, 1.0 / 3.0, -0.0},
    {0.7, HUGE_VAL, NAN, NAN, NAN},
    {0},
    {DBL_MAX, DBL_MIN},
};
static const double VAL_LOSS[N_RUNS][MAX_EPOCHS] = {
    {0.7, 0.5, 0.25},
    {0.71, NAN, NAN, NAN, NAN},
    {0},
    {4.9406564584124654e-324, 1e-300},
};
/* Accuracies: fractions of rows, NaN where the run stopped. */
static const double TRAIN_ACC[N_RUNS][MAX_EPOCHS] = {
    {0.5, 0.75, 0.9917582417582418},
    {0.625, 0.5, NAN, NAN, NAN},
    {0},
    {1.0, 0.0},
};
static const double VAL_ACC[N_RUNS][MAX_EPOCHS] = {
    {0.25, 0.5, 0.978021978021978},
    {0.375, NAN, NAN, NAN, NAN},
    {0},
    {0.125, 0.25},
};
static const double SCORES[N_RUNS][3] = {
    /* train, val, test */
    {0.9917582417582418, 0.978021978021978, 0.9736842105263158},
    {NAN, NAN, NAN},
    {0},
    {0.5, 0.25, NAN},
};
static const double SECONDS[N_RUNS] = {1.5, 0.25, 0.0, 3.0};
static const run_status STATUS[N_RUNS] = {RUN_DONE, RUN_FAILED, RUN_PENDING, RUN_DONE};
static const char FAILURE_1[] = "loss became infinite at epoch 2";

static run_result make_result(size_t run, const train_params *params)
{
    run_result result = {0};
    result.epochs = params->epochs;
    result.epochs_done = run == 1 ? 2 : params->epochs;
    result.train_loss = malloc((size_t)params->epochs * sizeof(double));
    result.val_loss = malloc((size_t)params->epochs * sizeof(double));
    result.train_acc = malloc((size_t)params->epochs * sizeof(double));
    result.val_acc = malloc((size_t)params->epochs * sizeof(double));
    assert_non_null(result.train_loss);
    assert_non_null(result.val_loss);
    assert_non_null(result.train_acc);
    assert_non_null(result.val_acc);
    memcpy(result.train_loss, TRAIN_LOSS[run], (size_t)params->epochs * sizeof(double));
    memcpy(result.val_loss, VAL_LOSS[run], (size_t)params->epochs * sizeof(double));
    memcpy(result.train_acc, TRAIN_ACC[run], (size_t)params->epochs * sizeof(double));
    memcpy(result.val_acc, VAL_ACC[run], (size_t)params->epochs * sizeof(double));
    result.train_score = SCORES[run][0];
    result.val_score = SCORES[run][1];
    result.test_score = SCORES[run][2];
    result.status = STATUS[run];
    result.seconds = SECONDS[run];
    if (run == 1)
        snprintf(result.failure, sizeof result.failure, "%s", FAILURE_1);
    return result;
}

static void free_result(run_result *result)
{
    free(result->train_loss);
    free(result->val_loss);
    free(result->train_acc);
    free(result->val_acc);
}

/* Whether write_test_file closes the file with compaction (the final form)
 * or leaves it in the form runs are written into. The round-trip tests run in
 * both forms (see main). */
static bool close_compacted = false;

/* Create the file and write runs 3, 0, 1 (out of order); run 2 stays pending. */
static void write_test_file(const char *path)
{
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    int rc = results_create(path, false, &meta, runs, N_RUNS, &writer, &err);
    if (rc != 0)
        print_error("results_create: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_non_null(writer);
    const size_t order[] = {3, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        run_result result = make_result(order[i], &runs[order[i]]);
        rc = results_write_run(writer, order[i], &result, &err);
        free_result(&result);
        if (rc != 0)
            print_error("results_write_run: %s\n", err.message);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(results_close(writer, close_compacted, &err), 0);
}

static int in_working_form(void **state)
{
    (void)state;
    close_compacted = false;
    return 0;
}

static int in_final_form(void **state)
{
    (void)state;
    close_compacted = true;
    return 0;
}

/* ---- reading back ------------------------------------------------------- */

static void assert_same_bits(const double *expected, const double *actual, size_t count,
                             const char *what)
{
    for (size_t i = 0; i < count; i++) {
        if (memcmp(&expected[i], &actual[i], sizeof(double)) != 0) {
            print_error("%s[%zu]: expected %a, got %a\n", what, i, expected[i], actual[i]);
            fail();
        }
    }
}

static void read_all(hid_t file, const char *name, hid_t memory_type, void *out)
{
    hid_t variable = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(variable >= 0);
    assert_true(H5Dread(variable, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
    H5Dclose(variable);
}

/* The dataset's rank, extent and stored type (class and size in bytes). */
static void assert_shape_and_type(hid_t file, const char *name, int rank, hsize_t rows,
                                  hsize_t columns, H5T_class_t type_class, size_t type_size)
{
    hid_t variable = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(variable >= 0);
    hid_t space = H5Dget_space(variable);
    hsize_t dims[2] = {0, 0};
    assert_int_equal(H5Sget_simple_extent_dims(space, dims, NULL), rank);
    assert_int_equal(dims[0], rows);
    if (rank == 2)
        assert_int_equal(dims[1], columns);
    hid_t type = H5Dget_type(variable);
    if (H5Tget_class(type) != type_class || H5Tget_size(type) != type_size) {
        print_error("%s: type class %d size %zu, expected %d size %zu\n", name,
                    (int)H5Tget_class(type), H5Tget_size(type), (int)type_class, type_size);
        fail();
    }
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(variable);
}

static void assert_text_attribute(hid_t object, const char *name, const char *expected)
{
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    assert_true(attribute >= 0);
    hid_t stored = H5Aget_type(attribute);
    assert_int_equal(H5Tget_class(stored), H5T_STRING);
    assert_true(H5Tis_variable_str(stored) > 0); /* h5py returns these as str */
    assert_int_equal(H5Tget_cset(stored), H5T_CSET_UTF8);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    char *value = NULL;
    assert_true(H5Aread(attribute, type, &value) >= 0);
    assert_non_null(value);
    assert_string_equal(value, expected);
    H5free_memory(value);
    H5Tclose(type);
    H5Tclose(stored);
    H5Aclose(attribute);
}

static long long read_int_attribute(hid_t object, const char *name, size_t *stored_size)
{
    long long value = -1;
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    assert_true(attribute >= 0);
    hid_t stored = H5Aget_type(attribute);
    assert_int_equal(H5Tget_class(stored), H5T_INTEGER);
    *stored_size = H5Tget_size(stored);
    assert_true(H5Aread(attribute, H5T_NATIVE_LLONG, &value) >= 0);
    H5Tclose(stored);
    H5Aclose(attribute);
    return value;
}

static void assert_int_attribute(hid_t object, const char *name, long long expected,
                                 size_t expected_size)
{
    size_t size = 0;
    assert_int_equal(read_int_attribute(object, name, &size), expected);
    assert_int_equal(size, expected_size);
}

static hid_t open_file(const char *path)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    return file;
}

/* ---- round trip --------------------------------------------------------- */

static void curves_round_trip_bitwise(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    hid_t file = open_file(f->path);
    const char *names[4] = {"train_loss", "val_loss", "train_acc", "val_acc"};
    const double(*written[4])[MAX_EPOCHS] = {TRAIN_LOSS, VAL_LOSS, TRAIN_ACC, VAL_ACC};
    for (int curve = 0; curve < 4; curve++) {
        assert_shape_and_type(file, names[curve], 2, N_RUNS, MAX_EPOCHS, H5T_FLOAT, 8);
        /* Expected: the written values, NaN past each run's epochs (3, 5, -, 2)
         * and everywhere in the pending run 2 (the fill value). */
        double expected[N_RUNS][MAX_EPOCHS];
        const int epochs[N_RUNS] = {3, 5, 0, 2};
        for (int run = 0; run < N_RUNS; run++)
            for (int epoch = 0; epoch < MAX_EPOCHS; epoch++)
                expected[run][epoch] = epoch < epochs[run] ? written[curve][run][epoch] : NAN;
        double actual[N_RUNS][MAX_EPOCHS];
        read_all(file, names[curve], H5T_NATIVE_DOUBLE, actual);
        assert_same_bits(&expected[0][0], &actual[0][0], N_RUNS * MAX_EPOCHS, names[curve]);
    }
    H5Fclose(file);
}

static void per_run_results_round_trip_bitwise(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    hid_t file = open_file(f->path);
    const char *names[4] = {"train_score", "val_score", "test_score", "seconds"};
    for (int column = 0; column < 4; column++) {
        assert_shape_and_type(file, names[column], 1, N_RUNS, 0, H5T_FLOAT, 8);
        double expected[N_RUNS], actual[N_RUNS];
        for (int run = 0; run < N_RUNS; run++) /* pending run 2: the NaN fill */
            expected[run] = run == 2 ? NAN : column < 3 ? SCORES[run][column] : SECONDS[run];
        read_all(file, names[column], H5T_NATIVE_DOUBLE, actual);
        assert_same_bits(expected, actual, N_RUNS, names[column]);
    }

    assert_shape_and_type(file, "status", 1, N_RUNS, 0, H5T_INTEGER, 1);
    int8_t status[N_RUNS];
    read_all(file, "status", H5T_NATIVE_INT8, status);
    assert_int_equal(status[0], 1);
    assert_int_equal(status[1], 2);
    assert_int_equal(status[2], 0); /* pending: the fill */
    assert_int_equal(status[3], 1);

    /* Fixed-length, NUL-padded UTF-8 of the run_result buffer's size. */
    const size_t width = sizeof((run_result *)0)->failure;
    assert_shape_and_type(file, "failure", 1, N_RUNS, 0, H5T_STRING, width);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width + 1); /* room for a terminator in memory */
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    H5Tset_cset(type, H5T_CSET_UTF8);
    char failure[N_RUNS][sizeof((run_result *)0)->failure + 1];
    read_all(file, "failure", type, failure);
    const char *expected_failure[N_RUNS] = {"", FAILURE_1, "", ""};
    for (int run = 0; run < N_RUNS; run++)
        assert_string_equal(failure[run], expected_failure[run]);
    hid_t failure_dataset = H5Dopen2(file, "failure", H5P_DEFAULT);
    assert_text_attribute(failure_dataset, "_Encoding", "utf-8");
    H5Dclose(failure_dataset);
    H5Tclose(type);
    H5Fclose(file);
}

static void hyperparameters_stored_with_their_types(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    train_params runs[N_RUNS];
    test_runs(runs);
    hid_t file = open_file(f->path);
    for (int id = 0; id < PARAM_COUNT; id++) {
        const char *name = PARAM_INFO[id].name;
        if (!PARAM_INFO[id].is_integer) {
            assert_shape_and_type(file, name, 1, N_RUNS, 0, H5T_FLOAT, 8);
            double expected[N_RUNS], actual[N_RUNS];
            for (int run = 0; run < N_RUNS; run++)
                expected[run] = params_get(&runs[run], (param_id)id);
            read_all(file, name, H5T_NATIVE_DOUBLE, actual);
            assert_same_bits(expected, actual, N_RUNS, name);
        } else {
            /* int64 only where int32 cannot hold the range: the seed. */
            assert_shape_and_type(file, name, 1, N_RUNS, 0, H5T_INTEGER, id == PARAM_SEED ? 8 : 4);
            int64_t actual[N_RUNS];
            read_all(file, name, H5T_NATIVE_INT64, actual);
            for (int run = 0; run < N_RUNS; run++)
                assert_int_equal(actual[run], (int64_t)params_get(&runs[run], (param_id)id));
        }
    }
    H5Fclose(file);
}

static void root_attributes_stored(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    hid_t file = open_file(f->path);
    results_meta meta = test_meta();
    assert_text_attribute(file, "config", CONFIG_TEXT); /* UTF-8 intact */
    assert_text_attribute(file, "config_path", meta.config_path);
    assert_text_attribute(file, "overrides", meta.overrides);
    assert_text_attribute(file, "effective_config", meta.effective_config);
    assert_text_attribute(file, "version", meta.version);
    assert_text_attribute(file, "start_time_utc", meta.start_time_utc);
    assert_text_attribute(file, "host", meta.host);
    assert_text_attribute(file, "dataset", "wdbc");
    assert_text_attribute(file, "Conventions", "CF-1.8");
    assert_int_attribute(file, "threads", 3, 4);
    assert_int_attribute(file, "n_train", 364, 4);
    assert_int_attribute(file, "n_val", 91, 4);
    assert_int_attribute(file, "n_test", 114, 4);
    assert_int_attribute(file, "n_features", 30, 4);
    assert_int_attribute(file, "n_runs", N_RUNS, 8);
    assert_true(H5Aexists(file, "_NCProperties") > 0);
    H5Fclose(file);
}

static void null_meta_strings_stored_empty(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = {0};
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, 1, &writer, &err), 0);
    assert_int_equal(results_close(writer, false, &err), 0);
    hid_t file = open_file(f->path);
    assert_text_attribute(file, "config", "");
    assert_text_attribute(file, "host", "");
    H5Fclose(file);
}

/* netCDF-4's dimensions: scales `run` and `epoch` holding 0..n-1, attached
 * to every variable, with the netCDF dimension ids 0 and 1. */
static void dimension_scales_attached(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    hid_t file = open_file(f->path);
    hid_t run = H5Dopen2(file, "run", H5P_DEFAULT);
    hid_t epoch = H5Dopen2(file, "epoch", H5P_DEFAULT);
    assert_true(run >= 0 && epoch >= 0);
    assert_int_equal(H5DSis_scale(run), 1);
    assert_int_equal(H5DSis_scale(epoch), 1);
    char name[16] = "";
    assert_true(H5DSget_scale_name(run, name, sizeof name) > 0);
    assert_string_equal(name, "run");
    assert_true(H5DSget_scale_name(epoch, name, sizeof name) > 0);
    assert_string_equal(name, "epoch");
    assert_int_attribute(run, "_Netcdf4Dimid", 0, 4);
    assert_int_attribute(epoch, "_Netcdf4Dimid", 1, 4);

    assert_shape_and_type(file, "run", 1, N_RUNS, 0, H5T_INTEGER, 8);
    assert_shape_and_type(file, "epoch", 1, MAX_EPOCHS, 0, H5T_INTEGER, 8);
    int64_t runs[N_RUNS], epochs[MAX_EPOCHS];
    read_all(file, "run", H5T_NATIVE_INT64, runs);
    read_all(file, "epoch", H5T_NATIVE_INT64, epochs);
    for (int i = 0; i < N_RUNS; i++)
        assert_int_equal(runs[i], i);
    for (int i = 0; i < MAX_EPOCHS; i++)
        assert_int_equal(epochs[i], i);

    const char *per_run[] = {"batch_size", "learning_rate", "l1",      "l2",          "units",
                             "epochs",     "seed",          "status",  "train_score", "val_score",
                             "test_score", "seconds",       "failure", "train_loss",  "val_loss"};
    for (size_t i = 0; i < sizeof per_run / sizeof per_run[0]; i++) {
        hid_t variable = H5Dopen2(file, per_run[i], H5P_DEFAULT);
        assert_true(variable >= 0);
        if (H5DSis_attached(variable, run, 0) <= 0) {
            print_error("%s: run scale not attached to axis 0\n", per_run[i]);
            fail();
        }
        if (strstr(per_run[i], "_loss") != NULL)
            assert_int_equal(H5DSis_attached(variable, epoch, 1), 1);
        H5Dclose(variable);
    }
    H5Dclose(epoch);
    H5Dclose(run);
    H5Fclose(file);
}

static void status_described_as_cf_flags(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    hid_t file = open_file(f->path);
    hid_t status = H5Dopen2(file, "status", H5P_DEFAULT);
    assert_text_attribute(status, "flag_meanings", "pending done failed");
    hid_t attribute = H5Aopen(status, "flag_values", H5P_DEFAULT);
    assert_true(attribute >= 0);
    int8_t values[3] = {-1, -1, -1};
    assert_true(H5Aread(attribute, H5T_NATIVE_INT8, values) >= 0);
    assert_int_equal(values[0], 0);
    assert_int_equal(values[1], 1);
    assert_int_equal(values[2], 2);
    /* A _FillValue would make readers mask pending runs as missing. */
    assert_int_equal(H5Aexists(status, "_FillValue"), 0);
    H5Aclose(attribute);
    H5Dclose(status);

    hid_t seconds = H5Dopen2(file, "seconds", H5P_DEFAULT);
    assert_text_attribute(seconds, "units", "s");
    H5Dclose(seconds);
    H5Fclose(file);
}

/* The curves' chunk shape and NaN fill, and either shuffle + deflate 4 (the
 * final form) or no filter and space allocated at creation (the form runs
 * are written into in place). Chunks: whole rows, >= 512 values, <= 131072
 * epochs wide. */
static void assert_curve_storage(const char *path, hsize_t chunk_runs, hsize_t chunk_epochs,
                                 bool compressed)
{
    hid_t file = open_file(path);
    hid_t variable = H5Dopen2(file, "train_loss", H5P_DEFAULT);
    hid_t properties = H5Dget_create_plist(variable);
    assert_int_equal(H5Pget_layout(properties), H5D_CHUNKED);
    hsize_t chunk[2] = {0, 0};
    assert_int_equal(H5Pget_chunk(properties, 2, chunk), 2);
    assert_int_equal(chunk[0], chunk_runs);
    assert_int_equal(chunk[1], chunk_epochs);
    if (!compressed) {
        assert_int_equal(H5Pget_nfilters(properties), 0);
        H5D_alloc_time_t allocation;
        assert_true(H5Pget_alloc_time(properties, &allocation) >= 0);
        assert_int_equal(allocation, H5D_ALLOC_TIME_EARLY);
        H5Pclose(properties);
        H5Dclose(variable);
        H5Fclose(file);
        return;
    }
    assert_int_equal(H5Pget_nfilters(properties), 2);
    unsigned flags = 0, values[4] = {0};
    size_t n_values = 4;
    assert_int_equal(H5Pget_filter2(properties, 0, &flags, &n_values, values, 0, NULL, NULL),
                     H5Z_FILTER_SHUFFLE);
    n_values = 4;
    assert_int_equal(H5Pget_filter2(properties, 1, &flags, &n_values, values, 0, NULL, NULL),
                     H5Z_FILTER_DEFLATE);
    assert_int_equal(n_values, 1);
    assert_int_equal(values[0], 4);
    H5D_fill_value_t defined;
    assert_true(H5Pfill_value_defined(properties, &defined) >= 0);
    assert_int_equal(defined, H5D_FILL_VALUE_USER_DEFINED);
    double fill = 0.0, nan = NAN;
    assert_true(H5Pget_fill_value(properties, H5T_NATIVE_DOUBLE, &fill) >= 0);
    assert_same_bits(&nan, &fill, 1, "fill value");
    H5Pclose(properties);
    H5Dclose(variable);
    H5Fclose(file);
}

static void curves_chunked_and_compressed(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    /* 5 epochs: 512 / 5 = 102 runs per chunk, capped by the 4 runs. */
    assert_curve_storage(f->path, N_RUNS, MAX_EPOCHS, close_compacted);
}

/* The chunk shape depends on the curve length and, below 512 values per
 * run, on the run count (the grouping is capped by it). So the grouped case
 * needs more than 102 runs; the others show the same with 2 runs, which
 * keeps the 200,000-epoch file small (2 curves x 2 runs x 1.6 MB, written
 * in full since the curves are preallocated). */
static void chunk_shape_follows_curve_length(void **state)
{
    fixture *f = *state;
    enum { MAX_CASE_RUNS = 200 };
    const struct {
        int epochs;
        size_t n_runs;
        hsize_t chunk_runs, chunk_epochs;
    } cases[] = {
        {5, MAX_CASE_RUNS, 102, 5}, /* short curves grouped to >= 512 values */
        {1000, 2, 1, 1000},         /* one run per chunk */
        {200000, 2, 1, 131072},     /* split at 131072 epochs (1 MiB) */
    };
    results_meta meta = test_meta();
    train_params runs[MAX_CASE_RUNS];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t run = 0; run < cases[c].n_runs; run++) {
            runs[run] = params_defaults();
            runs[run].epochs = cases[c].epochs;
        }
        results_writer *writer = NULL;
        sweep_error err = {0};
        assert_int_equal(results_create(f->path, true, &meta, runs, cases[c].n_runs, &writer, &err),
                         0);
        assert_int_equal(results_close(writer, true, &err), 0);
        assert_curve_storage(f->path, cases[c].chunk_runs, cases[c].chunk_epochs, true);
    }
}

/* ---- the output path ---------------------------------------------------- */

/* The refusal of an existing output file, which is left untouched (still
 * the four runs). */
static void assert_refused_as_existing(const char *path, const results_writer *writer,
                                       const sweep_error *err)
{
    assert_null(writer);
    assert_int_equal(err->kind, ERROR_INPUT);
    char expected[600];
    snprintf(expected, sizeof expected, "%s: exists (use --overwrite to replace it)", path);
    assert_string_equal(err->message, expected);
    hid_t file = open_file(path);
    assert_int_attribute(file, "n_runs", N_RUNS, 8);
    H5Fclose(file);
}

static void existing_file_refused(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = (results_writer *)&meta; /* must be reset to NULL */
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, 1, &writer, &err), -1);
    assert_refused_as_existing(f->path, writer, &err);
}

/* results_create in two steps: every refusal comes from the first, which
 * builds nothing; the file appears with results_build, and runs are stored
 * only after it. */
static void create_later_checks_first_and_builds_on_demand(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create_later(f->path, false, &meta, runs, N_RUNS, &writer, &err), 0);
    char partial[600];
    snprintf(partial, sizeof partial, "%s.partial", f->path);
    struct stat info;
    assert_int_not_equal(lstat(f->path, &info), 0);
    assert_int_not_equal(lstat(partial, &info), 0);
    run_result result = make_result(0, &runs[0]);
    assert_int_equal(results_write_run(writer, 0, &result, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    assert_int_equal(results_build(writer, &err), 0);
    assert_int_equal(lstat(f->path, &info), 0);
    assert_int_equal(results_write_run(writer, 0, &result, &err), 0);
    free_result(&result);
    assert_int_equal(results_close(writer, false, &err), 0);
    /* Now the file exists: refused by the first step, as by results_create. */
    writer = (results_writer *)&meta;
    assert_int_equal(results_create_later(f->path, false, &meta, runs, N_RUNS, &writer, &err), -1);
    assert_refused_as_existing(f->path, writer, &err);
}

/* Several runs stored at once read back as each stored alone; an invalid
 * one stops the batch after the runs before it, which are kept. */
static void runs_stored_together_as_alone(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, N_RUNS, &writer, &err), 0);
    run_result results[3] = {make_result(3, &runs[3]), make_result(0, &runs[0]),
                             make_result(1, &runs[1])};
    results[2].status = RUN_PENDING; /* not finished: refused */
    const size_t indices[3] = {3, 0, 1};
    const run_result *batch[3] = {&results[0], &results[1], &results[2]};
    assert_int_equal(results_write_runs(writer, 3, indices, batch, &err), -1);
    assert_non_null(strstr(err.message, "run 1 is not finished"));
    assert_int_equal(results_close(writer, false, &err), 0);
    hid_t file = open_file(f->path);
    hid_t status_set = H5Dopen2(file, "status", H5P_DEFAULT);
    int8_t status[N_RUNS];
    assert_true(H5Dread(status_set, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) >= 0);
    assert_int_equal(status[0], RUN_DONE);
    assert_int_equal(status[1], RUN_PENDING);
    assert_int_equal(status[2], RUN_PENDING);
    assert_int_equal(status[3], RUN_DONE);
    H5Dclose(status_set);
    hid_t curve = H5Dopen2(file, "train_loss", H5P_DEFAULT);
    double loss[N_RUNS][MAX_EPOCHS];
    assert_true(H5Dread(curve, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, loss) >= 0);
    assert_memory_equal(loss[3], TRAIN_LOSS[3], (size_t)runs[3].epochs * sizeof(double));
    assert_memory_equal(loss[0], TRAIN_LOSS[0], (size_t)runs[0].epochs * sizeof(double));
    H5Dclose(curve);
    H5Fclose(file);
    for (int i = 0; i < 3; i++)
        free_result(&results[i]);
}

static void overwrite_replaces_file(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, true, &meta, runs, 1, &writer, &err), 0);
    assert_int_equal(results_close(writer, false, &err), 0);
    hid_t file = open_file(f->path);
    assert_int_attribute(file, "n_runs", 1, 8);
    assert_shape_and_type(file, "status", 1, 1, 0, H5T_INTEGER, 1);
    assert_shape_and_type(file, "train_loss", 2, 1, 3, H5T_FLOAT, 8);
    H5Fclose(file);
}

/* One line, of the kind and text expected; the writer is not handed out. */
static void assert_create_fails(const char *path, bool overwrite, error_kind kind,
                                const char *expected_message)
{
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = (results_writer *)&meta;
    sweep_error err = {0};
    assert_int_equal(results_create(path, overwrite, &meta, runs, N_RUNS, &writer, &err), -1);
    assert_null(writer);
    assert_int_equal(err.kind, kind);
    assert_null(strchr(err.message, '\n'));
    if (expected_message != NULL)
        assert_string_equal(err.message, expected_message);
}

/* --overwrite removes the old file rather than truncating it: a reader that
 * has it open (holding HDF5's lock on it) keeps reading the old results,
 * and the new file is created regardless. */
static void overwrite_leaves_readers_of_the_old_file_alone(void **state)
{
    fixture *f = *state;
    write_test_file(f->path);
    hid_t reader = open_file(f->path);
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    int rc = results_create(f->path, true, &meta, runs, 1, &writer, &err);
    if (rc != 0)
        print_error("%s\n", err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(results_close(writer, false, &err), 0);
    assert_int_attribute(reader, "n_runs", N_RUNS, 8); /* the old file, intact */
    int8_t status[N_RUNS];
    read_all(reader, "status", H5T_NATIVE_INT8, status);
    assert_int_equal(status[0], 1);
    H5Fclose(reader);
    hid_t file = open_file(f->path);
    assert_int_attribute(file, "n_runs", 1, 8); /* the new one */
    H5Fclose(file);
}

/* Only regular files (and links) are replaced: a FIFO, like a device, is not
 * removed even with --overwrite. */
static void special_files_not_replaced(void **state)
{
    fixture *f = *state;
    char fifo[600], expected[700];
    snprintf(fifo, sizeof fifo, "%s/fifo", f->folder);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(expected, sizeof expected, "%s: not a regular file (refusing to replace it)", fifo);
    assert_create_fails(fifo, true, ERROR_INPUT, expected);
    struct stat info;
    assert_int_equal(lstat(fifo, &info), 0);
    assert_true(S_ISFIFO(info.st_mode));
}

static void missing_parent_folders_created(void **state)
{
    fixture *f = *state;
    char path[600];
    snprintf(path, sizeof path, "%s/a/b//c/x.h5", f->folder);
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    int rc = results_create(path, false, &meta, runs, N_RUNS, &writer, &err);
    if (rc != 0)
        print_error("%s\n", err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(results_close(writer, false, &err), 0);
    hid_t file = open_file(path);
    H5Fclose(file);
}

static void unwritable_paths_give_one_line_errors(void **state)
{
    fixture *f = *state;
    char plain[600], path[700], expected[800];
    snprintf(plain, sizeof plain, "%s/plain", f->folder);
    FILE *file = fopen(plain, "w");
    assert_non_null(file);
    fclose(file);

    /* A regular file where a folder should be. */
    snprintf(path, sizeof path, "%s/x.h5", plain);
    snprintf(expected, sizeof expected, "cannot create %s: Not a directory", path);
    assert_create_fails(path, false, ERROR_RUNTIME, expected);
    snprintf(path, sizeof path, "%s/sub/x.h5", plain);
    snprintf(expected, sizeof expected, "cannot create folder %s/sub: Not a directory", plain);
    assert_create_fails(path, false, ERROR_RUNTIME, expected);

    /* A folder where the file should be: a usage problem. */
    snprintf(expected, sizeof expected, "%s: is a folder, not a file", f->folder);
    assert_create_fails(f->folder, true, ERROR_INPUT, expected);

    /* No permission (root has every permission, so only as a user). */
    if (geteuid() != 0) {
        char locked[600];
        snprintf(locked, sizeof locked, "%s/locked", f->folder);
        assert_int_equal(mkdir(locked, 0500), 0);
        snprintf(path, sizeof path, "%s/x.h5", locked);
        snprintf(expected, sizeof expected, "cannot create %s: Permission denied", path);
        assert_create_fails(path, false, ERROR_RUNTIME, expected);
        chmod(locked, 0700);
    }
}

/* HDF5 1.10 cannot recover from a file whose close failed: it keeps the
 * half-destroyed file's memory (and would crash re-closing it at exit, which
 * results.c prevents; HDFGroup/hdf5 issue 2257). So the cases where HDF5
 * itself fails run results_create() in a child process, which reports the
 * outcome through a pipe and takes HDF5's leftovers with it. The parent
 * checks that the child ended normally, i.e. did not crash. */
typedef struct {
    int rc;
    bool writer_null;
    sweep_error err;
} create_outcome;

static create_outcome create_in_child(const char *path, bool overwrite, rlim_t file_size_limit)
{
    create_outcome outcome = {.rc = 0};
    int channel[2];
    assert_int_equal(pipe(channel), 0);
    fflush(NULL);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(channel[0]);
        if (file_size_limit != RLIM_INFINITY) {
            /* Writes past the limit fail with EFBIG instead of killing us. */
            signal(SIGXFSZ, SIG_IGN);
            struct rlimit limit;
            getrlimit(RLIMIT_FSIZE, &limit);
            limit.rlim_cur = file_size_limit;
            setrlimit(RLIMIT_FSIZE, &limit);
        }
        train_params runs[N_RUNS];
        test_runs(runs);
        results_meta meta = test_meta();
        results_writer *writer = (results_writer *)&meta; /* must be reset to NULL */
        create_outcome result = {.rc = 0};
        result.rc = results_create(path, overwrite, &meta, runs, N_RUNS, &writer, &result.err);
        result.writer_null = writer == NULL;
        ssize_t written = write(channel[1], &result, sizeof result);
        _exit(written == (ssize_t)sizeof result ? 0 : 1);
    }
    close(channel[1]);
    ssize_t got = read(channel[0], &outcome, sizeof outcome);
    close(channel[0]);
    int wait_status = 0;
    assert_int_equal(waitpid(child, &wait_status, 0), child);
    assert_true(WIFEXITED(wait_status));
    assert_int_equal(WEXITSTATUS(wait_status), 0);
    assert_int_equal(got, sizeof outcome);
    return outcome;
}

/* An HDF5 failure in a file results.c created: a 512-byte file size limit
 * lets the file be created and refuses the later writes (EFBIG). The
 * half-written file is removed, so that a rerun is not refused as "exists". */
static void failed_create_removes_its_file(void **state)
{
    fixture *f = *state;
    create_outcome outcome = create_in_child(f->path, false, 512);
    assert_int_equal(outcome.rc, -1);
    assert_true(outcome.writer_null);
    assert_int_equal(outcome.err.kind, ERROR_RUNTIME);
    assert_null(strchr(outcome.err.message, '\n'));
    /* Which write meets the limit first is HDF5's business: "cannot write
     * results file PATH: <what>: File too large". */
    char prefix[700];
    snprintf(prefix, sizeof prefix, "cannot write results file %s: ", f->path);
    const char *suffix = ": File too large";
    size_t length = strlen(outcome.err.message);
    if (strncmp(outcome.err.message, prefix, strlen(prefix)) != 0 || length < strlen(suffix) ||
        strcmp(outcome.err.message + length - strlen(suffix), suffix) != 0) {
        print_error("message: %s\n", outcome.err.message);
        fail();
    }
    assert_int_equal(access(f->path, F_OK), -1);
}

static void no_runs_refused(void **state)
{
    fixture *f = *state;
    train_params runs[1] = {params_defaults()};
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, 0, &writer, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    assert_null(writer);
    assert_int_equal(access(f->path, F_OK), -1);
}

/* ---- results_write_run's checks ----------------------------------------- */

static void write_run_rejects_bad_input(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, N_RUNS, &writer, &err), 0);
    run_result result = make_result(0, &runs[0]);
    char expected[800];

    assert_int_equal(results_write_run(writer, N_RUNS, &result, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    snprintf(expected, sizeof expected, "cannot write results file %s: no run 4 (the file has 4)",
             f->path);
    assert_string_equal(err.message, expected);

    assert_int_equal(results_write_run(writer, 1, &result, &err), -1); /* 3 epochs, not 5 */
    snprintf(expected, sizeof expected,
             "cannot write results file %s: run 1 has curves of 3 epochs, expected 5", f->path);
    assert_string_equal(err.message, expected);

    result.status = RUN_PENDING;
    assert_int_equal(results_write_run(writer, 0, &result, &err), -1);
    snprintf(expected, sizeof expected, "cannot write results file %s: run 0 is not finished",
             f->path);
    assert_string_equal(err.message, expected);

    /* The writer is still good after refusals. */
    result.status = RUN_DONE;
    assert_int_equal(results_write_run(writer, 0, &result, &err), 0);
    free_result(&result);
    assert_int_equal(results_close(writer, false, &err), 0);
    assert_int_equal(results_close(NULL, false, &err), 0);
}

/* A failure text filling its whole buffer without a terminator is stored
 * as its 160 characters, not read past; a done run's text is not stored. */
static void failure_text_bounded_and_kept_for_failed_runs_only(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, N_RUNS, &writer, &err), 0);
    run_result result = make_result(1, &runs[1]);
    memset(result.failure, 'x', sizeof result.failure);
    assert_int_equal(results_write_run(writer, 1, &result, &err), 0);
    free_result(&result);
    /* A done run's failure is "" whatever its buffer holds. */
    result = make_result(0, &runs[0]);
    snprintf(result.failure, sizeof result.failure, "stale text");
    assert_int_equal(results_write_run(writer, 0, &result, &err), 0);
    free_result(&result);
    assert_int_equal(results_close(writer, false, &err), 0);

    hid_t file = open_file(f->path);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, sizeof result.failure + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    H5Tset_cset(type, H5T_CSET_UTF8);
    char failure[N_RUNS][sizeof result.failure + 1];
    read_all(file, "failure", type, failure);
    assert_int_equal(strlen(failure[1]), sizeof result.failure);
    assert_int_equal(strspn(failure[1], "x"), sizeof result.failure);
    assert_string_equal(failure[0], "");
    H5Tclose(type);
    H5Fclose(file);
}

/* ---- shards and merges ---------------------------------------------- */

/* A shard's file: the `run` coordinate holds each run's place in the whole
 * grid, the root says which shard; results_read_index gives both back, with
 * the root attributes merge compares. */
static void shard_file_keeps_run_numbers(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    const size_t numbers[N_RUNS] = {2, 5, 7, 11};
    meta.shard = "1/3";
    meta.run_numbers = numbers;
    meta.grid_runs = 12;
    meta.ranks = 2;
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, N_RUNS, &writer, &err), 0);
    for (size_t run = 0; run < N_RUNS; run++) {
        if (run == 2)
            continue;
        run_result result = make_result(run, &runs[run]);
        assert_int_equal(results_write_run(writer, run, &result, &err), 0);
        free_result(&result);
    }
    /* The final form must keep them too (it is built from the meta again). */
    assert_int_equal(results_close(writer, true, &err), 0);

    hid_t file = open_file(f->path);
    long long stored[N_RUNS];
    read_all(file, "run", H5T_NATIVE_LLONG, stored);
    for (int run = 0; run < N_RUNS; run++)
        assert_int_equal(stored[run], numbers[run]);
    assert_text_attribute(file, "shard", "1/3");
    assert_int_attribute(file, "grid_runs", 12, 8);
    assert_int_attribute(file, "ranks", 2, 4);
    H5Fclose(file);

    results_index index = {0};
    assert_int_equal(results_read_index(f->path, &index, &err), 0);
    assert_int_equal(index.n_runs, N_RUNS);
    for (int run = 0; run < N_RUNS; run++)
        assert_int_equal(index.run_numbers[run], numbers[run]);
    assert_string_equal(index.shard, "1/3");
    assert_int_equal(index.grid_runs, 12);
    assert_int_equal(index.ranks, 2);
    assert_int_equal(index.threads, 3);
    assert_string_equal(index.effective_config, meta.effective_config);
    assert_string_equal(index.config_text, CONFIG_TEXT);
    assert_string_equal(index.overrides, meta.overrides);
    assert_string_equal(index.host, "testhost");
    assert_string_equal(index.start_time_utc, "2026-11-26T14:05:00Z");
    results_index_free(&index);

    /* A whole grid's file has no shard attributes and counts runs from 0. */
    char whole[600];
    snprintf(whole, sizeof whole, "%s/whole.h5", f->folder);
    write_test_file(whole);
    assert_int_equal(results_read_index(whole, &index, &err), 0);
    assert_string_equal(index.shard, "");
    assert_int_equal(index.grid_runs, -1);
    assert_int_equal(index.ranks, 1); /* meta.ranks 0 is stored as 1 */
    for (int run = 0; run < N_RUNS; run++)
        assert_int_equal(index.run_numbers[run], run);
    results_index_free(&index);
}

/* Under cross-validation: int32 `fold` and `repeat` per run and the cv_*
 * attributes, kept by the compacted final form and read back by the
 * index; a file without cv has none of them and reads back as no cv
 * (fold = repeat = -1), as a file made before cv does. */
static void folds_stored_only_with_cv(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    for (int run = 0; run < N_RUNS; run++) {
        runs[run].repeat = run / 2;
        runs[run].fold = run % 2;
    }
    results_meta meta = test_meta();
    meta.cv = (fold_settings){.n_splits = 2, .n_repeats = 2, .shuffle = true, .seed = 4294967295u};
    results_writer *writer = NULL;
    sweep_error err = {0};
    assert_int_equal(results_create(f->path, false, &meta, runs, N_RUNS, &writer, &err), 0);
    assert_int_equal(results_close(writer, true, &err), 0); /* the final form, rebuilt */

    hid_t file = open_file(f->path);
    assert_shape_and_type(file, "fold", 1, N_RUNS, 0, H5T_INTEGER, 4);
    assert_shape_and_type(file, "repeat", 1, N_RUNS, 0, H5T_INTEGER, 4);
    long long stored[N_RUNS];
    read_all(file, "fold", H5T_NATIVE_LLONG, stored);
    for (int run = 0; run < N_RUNS; run++)
        assert_int_equal(stored[run], run % 2);
    read_all(file, "repeat", H5T_NATIVE_LLONG, stored);
    for (int run = 0; run < N_RUNS; run++)
        assert_int_equal(stored[run], run / 2);
    assert_int_attribute(file, "cv_folds", 2, 4);
    assert_int_attribute(file, "cv_repeats", 2, 4);
    assert_int_attribute(file, "cv_shuffle", 1, 4);
    assert_int_attribute(file, "cv_seed", 4294967295LL, 8);
    H5Fclose(file);

    results_index index = {0};
    assert_int_equal(results_read_index(f->path, &index, &err), 0);
    assert_true(folds_same_settings(&index.cv, &meta.cv));
    for (int run = 0; run < N_RUNS; run++) {
        assert_int_equal(index.runs[run].fold, run % 2);
        assert_int_equal(index.runs[run].repeat, run / 2);
        assert_int_equal(params_compare(&index.runs[run], &runs[run]), 0);
    }
    results_index_free(&index);

    char whole[600];
    snprintf(whole, sizeof whole, "%s/plain.h5", f->folder);
    write_test_file(whole);
    file = open_file(whole);
    assert_true(H5Lexists(file, "fold", H5P_DEFAULT) == 0);
    assert_true(H5Lexists(file, "repeat", H5P_DEFAULT) == 0);
    assert_true(H5Aexists(file, "cv_folds") == 0);
    H5Fclose(file);
    assert_int_equal(results_read_index(whole, &index, &err), 0);
    assert_int_equal(index.cv.n_splits, 0);
    for (int run = 0; run < N_RUNS; run++)
        assert_int_equal(index.runs[run].fold, PARAMS_NO_FOLD);
    results_index_free(&index);
}

/* A merged file takes each run's whole row from the source its origin
 * names (bit for bit), leaves runs without one pending, and refuses an
 * existing output without overwrite. */
static void merged_file_takes_each_run_from_its_source(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    sweep_error err = {0};
    /* Source A: runs 3, 0, 1 written, 2 pending. Source B: only run 2,
     * written with run 0's values and one more epoch (run 2 has 4). */
    char source_a[600], source_b[600], merged[600];
    snprintf(source_a, sizeof source_a, "%s/a.h5", f->folder);
    snprintf(source_b, sizeof source_b, "%s/b.h5", f->folder);
    snprintf(merged, sizeof merged, "%s/merged.h5", f->folder);
    write_test_file(source_a);
    results_writer *writer = NULL;
    assert_int_equal(results_create(source_b, false, &meta, runs, N_RUNS, &writer, &err), 0);
    run_result result = make_result(0, &runs[0]);
    result.epochs = result.epochs_done = runs[2].epochs;
    double **curves[4] = {&result.train_loss, &result.val_loss, &result.train_acc, &result.val_acc};
    for (int c = 0; c < 4; c++) {
        double *grown = realloc(*curves[c], 4 * sizeof(double));
        assert_non_null(grown);
        *curves[c] = grown;
    }
    result.train_loss[3] = 0.125;
    result.val_loss[3] = -0.0;
    result.train_acc[3] = 0.75;
    result.val_acc[3] = 0.5;
    assert_int_equal(results_write_run(writer, 2, &result, &err), 0);
    assert_int_equal(results_close(writer, false, &err), 0);

    const char *sources[2] = {source_a, source_b};
    const results_origin origins[N_RUNS] = {{0, 0}, {0, 1}, {1, 2}, {-1, -1}};
    assert_int_equal(results_create_merged(merged, false, &meta, runs, N_RUNS, sources, 2, origins,
                                           &writer, &err),
                     0);
    assert_int_equal(results_close(writer, false, &err), 0);

    hid_t file = open_file(merged);
    int8_t status[N_RUNS];
    read_all(file, "status", H5T_NATIVE_INT8, status);
    assert_int_equal(status[0], RUN_DONE);
    assert_int_equal(status[1], RUN_FAILED);
    assert_int_equal(status[2], RUN_DONE);
    assert_int_equal(status[3], RUN_PENDING); /* no origin: pending */
    double curve[N_RUNS][MAX_EPOCHS];
    read_all(file, "train_loss", H5T_NATIVE_DOUBLE, curve);
    assert_same_bits(TRAIN_LOSS[0], curve[0], 3, "train_loss[0]");
    assert_same_bits(TRAIN_LOSS[1], curve[1], MAX_EPOCHS, "train_loss[1]");
    assert_same_bits(result.train_loss, curve[2], 4, "train_loss[2]");
    const double nan_row[MAX_EPOCHS] = {NAN, NAN, NAN, NAN, NAN};
    assert_same_bits(nan_row, curve[3], MAX_EPOCHS, "train_loss[3]");
    read_all(file, "val_acc", H5T_NATIVE_DOUBLE, curve);
    assert_same_bits(VAL_ACC[0], curve[0], 3, "val_acc[0]");
    assert_same_bits(VAL_ACC[1], curve[1], MAX_EPOCHS, "val_acc[1]");
    assert_same_bits(result.val_acc, curve[2], 4, "val_acc[2]");
    assert_same_bits(nan_row, curve[3], MAX_EPOCHS, "val_acc[3]");
    double seconds[N_RUNS];
    read_all(file, "seconds", H5T_NATIVE_DOUBLE, seconds);
    const double expected_seconds[N_RUNS] = {SECONDS[0], SECONDS[1], SECONDS[0], NAN};
    assert_same_bits(expected_seconds, seconds, N_RUNS, "seconds");
    H5Fclose(file);
    free_result(&result);

    writer = NULL;
    assert_int_equal(results_create_merged(merged, false, &meta, runs, N_RUNS, sources, 2, origins,
                                           &writer, &err),
                     -1);
    assert_null(writer);
    assert_int_equal(err.kind, ERROR_INPUT);
    char expected[700];
    snprintf(expected, sizeof expected, "%s: exists (use --overwrite to replace it)", merged);
    assert_string_equal(err.message, expected);
}

/* A file of an earlier version: the accuracy curves removed. */
static void drop_accuracy_curves(const char *path)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(file >= 0);
    assert_true(H5Ldelete(file, "train_acc", H5P_DEFAULT) >= 0);
    assert_true(H5Ldelete(file, "val_acc", H5P_DEFAULT) >= 0);
    assert_true(H5Fclose(file) >= 0);
}

/* Merging a file without accuracy curves (an earlier version's) with one
 * that has them: every finished run is kept, its loss curves bit for bit;
 * the runs of the old file have NaN accuracy curves ("not recorded"), the
 * others theirs. The merged file has the accuracy curves. */
static void merge_keeps_runs_of_a_file_without_accuracy(void **state)
{
    fixture *f = *state;
    train_params runs[N_RUNS];
    test_runs(runs);
    results_meta meta = test_meta();
    sweep_error err = {0};
    char old_file[600], new_file[600], merged[600];
    snprintf(old_file, sizeof old_file, "%s/old.h5", f->folder);
    snprintf(new_file, sizeof new_file, "%s/new.h5", f->folder);
    snprintf(merged, sizeof merged, "%s/merged.h5", f->folder);
    write_test_file(old_file);
    drop_accuracy_curves(old_file);
    write_test_file(new_file);
    const char *sources[2] = {old_file, new_file};
    const results_origin origins[N_RUNS] = {{0, 0}, {1, 1}, {-1, -1}, {0, 3}};
    results_writer *writer = NULL;
    assert_int_equal(results_create_merged(merged, false, &meta, runs, N_RUNS, sources, 2, origins,
                                           &writer, &err),
                     0);
    assert_int_equal(results_close(writer, true, &err), 0);

    hid_t file = open_file(merged);
    double curve[N_RUNS][MAX_EPOCHS];
    const double nan_row[MAX_EPOCHS] = {NAN, NAN, NAN, NAN, NAN};
    read_all(file, "val_loss", H5T_NATIVE_DOUBLE, curve);
    assert_same_bits(VAL_LOSS[0], curve[0], 3, "val_loss[0]");
    assert_same_bits(VAL_LOSS[3], curve[3], 2, "val_loss[3]");
    const char *names[2] = {"train_acc", "val_acc"};
    const double(*written[2])[MAX_EPOCHS] = {TRAIN_ACC, VAL_ACC};
    for (int c = 0; c < 2; c++) {
        read_all(file, names[c], H5T_NATIVE_DOUBLE, curve);
        assert_same_bits(nan_row, curve[0], MAX_EPOCHS, names[c]); /* from the old file */
        assert_same_bits(written[c][1], curve[1], MAX_EPOCHS, names[c]);
        assert_same_bits(nan_row, curve[2], MAX_EPOCHS, names[c]); /* pending */
        assert_same_bits(nan_row, curve[3], MAX_EPOCHS, names[c]); /* from the old file */
    }
    int8_t status[N_RUNS];
    read_all(file, "status", H5T_NATIVE_INT8, status);
    assert_int_equal(status[0], RUN_DONE);
    assert_int_equal(status[1], RUN_FAILED);
    assert_int_equal(status[2], RUN_PENDING);
    assert_int_equal(status[3], RUN_DONE);
    H5Fclose(file);

    /* Resuming the old file itself: its runs kept, the file gains the curves. */
    const long long copy_from[N_RUNS] = {0, 1, -1, 3};
    assert_int_equal(results_create_resumed(old_file, &meta, runs, N_RUNS, copy_from, &writer,
                                            &err),
                     0);
    assert_int_equal(results_close(writer, false, &err), 0);
    file = open_file(old_file);
    read_all(file, "train_acc", H5T_NATIVE_DOUBLE, curve);
    for (int run = 0; run < N_RUNS; run++)
        assert_same_bits(nan_row, curve[run], MAX_EPOCHS, "train_acc");
    read_all(file, "train_loss", H5T_NATIVE_DOUBLE, curve);
    assert_same_bits(TRAIN_LOSS[0], curve[0], 3, "train_loss[0]");
    H5Fclose(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(curves_round_trip_bitwise, setup, teardown),
        cmocka_unit_test_setup_teardown(per_run_results_round_trip_bitwise, setup, teardown),
        cmocka_unit_test_setup_teardown(hyperparameters_stored_with_their_types, setup, teardown),
        cmocka_unit_test_setup_teardown(root_attributes_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(null_meta_strings_stored_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(dimension_scales_attached, setup, teardown),
        cmocka_unit_test_setup_teardown(status_described_as_cf_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(curves_chunked_and_compressed, setup, teardown),
        cmocka_unit_test_setup_teardown(chunk_shape_follows_curve_length, setup, teardown),
        cmocka_unit_test_setup_teardown(existing_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(overwrite_replaces_file, setup, teardown),
        cmocka_unit_test_setup_teardown(create_later_checks_first_and_builds_on_demand, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(runs_stored_together_as_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_parent_folders_created, setup, teardown),
        cmocka_unit_test_setup_teardown(unwritable_paths_give_one_line_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(overwrite_leaves_readers_of_the_old_file_alone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(special_files_not_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_create_removes_its_file, setup, teardown),
        cmocka_unit_test_setup_teardown(no_runs_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(write_run_rejects_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(failure_text_bounded_and_kept_for_failed_runs_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(shard_file_keeps_run_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(merge_keeps_runs_of_a_file_without_accuracy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(folds_stored_only_with_cv, setup, teardown),
        cmocka_unit_test_setup_teardown(merged_file_takes_each_run_from_its_source, setup,
                                        teardown),
    };
    /* Every value again after the rewrite into the compressed final form. */
    const struct CMUnitTest final_form[] = {
        cmocka_unit_test_setup_teardown(curves_round_trip_bitwise, setup, teardown),
        cmocka_unit_test_setup_teardown(per_run_results_round_trip_bitwise, setup, teardown),
        cmocka_unit_test_setup_teardown(hyperparameters_stored_with_their_types, setup, teardown),
        cmocka_unit_test_setup_teardown(root_attributes_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(dimension_scales_attached, setup, teardown),
        cmocka_unit_test_setup_teardown(curves_chunked_and_compressed, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("working form", tests, in_working_form, NULL);
    failed += cmocka_run_group_tests_name("final form", final_form, in_final_form, NULL);
    return failed;
}
