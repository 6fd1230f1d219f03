/* test_dataset.c: loading, splitting and standardizing (src/dataset.c).
 *
 * References:
 *   - data/wdbc.csv itself (the built-in set) for counts, names and raw rows;
 *   - numpy 1.24 for standardization and scikit-learn 1.2 for stratified
 *     splits, through fixtures in tests/data/csv/ made by
 *     tests/data/csv/generate.py (run with /usr/bin/python3; see
 *     tests/data/README.md).
 * Tolerances: none. Row order, row ids and standardized values are compared
 * exactly (bitwise for doubles), because the training runs must reproduce the
 * textbook's numbers, and error messages with strcmp.
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
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data"
#endif

#define CSV_DIR TEST_DATA_DIR "/csv"

static dataset_spec csv_spec(const char *split_column, bool standardize)
{
    dataset_spec spec = dataset_spec_default();
    spec.builtin = NULL;
    spec.split_column = split_column;
    spec.standardize = standardize;
    return spec;
}

static uint64_t fnv1a64_doubles(const double *values, size_t n)
{
    /* FNV-1a over each double's bit pattern as little-endian bytes, the same
     * hash generate.py computes from numpy's array. */
    uint64_t hash = 0xCBF29CE484222325u;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        for (int byte = 0; byte < 8; byte++) {
            hash ^= (bits >> (8 * byte)) & 0xFF;
            hash *= 0x100000001B3u;
        }
    }
    return hash;
}

/* ---- the built-in set ------------------------------------------------- */

static void test_builtin_shape_and_names(void **state)
{
    (void)state;
    dataset_spec spec = dataset_spec_default();
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), 0);
    assert_string_equal(data.name, "wdbc");
    /* Counts from /work/shared/README.md and data/wdbc.csv's split column. */
    assert_int_equal(data.n_features, 30);
    assert_int_equal(data.n_train, 364);
    assert_int_equal(data.n_val, 91);
    assert_int_equal(data.n_test, 114);
    assert_string_equal(data.feature_names[0], "mean_radius");
    assert_string_equal(data.feature_names[10], "radius_error");
    assert_string_equal(data.feature_names[29], "worst_fractal_dimension");
    assert_int_equal(data.n_classes, 2);
    assert_string_equal(data.class_names[0], "0");
    assert_string_equal(data.class_names[1], "1");
    /* Benign (1) rows per split, counted with pandas from data/wdbc.csv. */
    const double *targets[3] = {data.y_train, data.y_val, data.y_test};
    int rows[3] = {data.n_train, data.n_val, data.n_test}, benign[3] = {0, 0, 0};
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < rows[s]; i++) {
            assert_true(targets[s][i] == 0.0 || targets[s][i] == 1.0);
            benign[s] += targets[s][i] == 1.0;
        }
    assert_int_equal(benign[0], 228);
    assert_int_equal(benign[1], 57);
    assert_int_equal(benign[2], 72);
    dataset_free(&data);
}

/* The fingerprint that results files made before class names existed
 * store: a binary set must keep it, or those files could not be resumed.
 * Value printed by dataset_checksum before the class-name fields were added. */
static void test_checksum_of_binary_set_unchanged(void **state)
{
    (void)state;
    dataset_spec spec = dataset_spec_default();
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), 0);
    char checksum[17];
    dataset_checksum(&data, checksum);
    assert_string_equal(checksum, "4c8ace7a6a7105b7");
    dataset_free(&data);
}

static void test_builtin_raw_rows_in_file_order(void **state)
{
    (void)state;
    dataset_spec spec = dataset_spec_default();
    spec.standardize = false;
    spec.split_column = NULL; /* the built-in set always uses its own column */
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), 0);
    /* First and last lines of data/wdbc.csv's train block and its last line,
     * copied by hand: exact values. */
    assert_true(data.x_train[0] == 14.8);
    assert_true(data.x_train[29] == 0.07285);
    assert_true(data.y_train[0] == 1.0);
    assert_true(data.x_train[1 * 30 + 0] == 11.74);
    assert_true(data.x_test[113 * 30 + 29] == 0.08024);
    dataset_free(&data);
}

static void test_unknown_builtin(void **state)
{
    (void)state;
    dataset_spec spec = dataset_spec_default();
    spec.builtin = "mnist";
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "unknown built-in data set 'mnist' (known: wdbc, iris, "
                                     "wine, digits, fashion_mnist)");
    assert_null(data.x_train);
}

/* ---- standardization vs numpy ----------------------------------------- */

static void test_standardization_matches_numpy(void **state)
{
    (void)state;
    dataset_spec spec = dataset_spec_default();
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), 0);

    FILE *fixture = fopen(CSV_DIR "/wdbc_standardized.txt", "r");
    assert_non_null(fixture);
    const double *blocks[3] = {data.x_train, data.x_val, data.x_test};
    int rows[3] = {data.n_train, data.n_val, data.n_test};
    const char *names[3] = {"train", "val", "test"};
    char line[256];
    int n_hashes = 0, n_samples = 0;
    double max_relative = 0.0;
    while (fgets(line, sizeof line, fixture) != NULL) {
        char split[16];
        unsigned long long hash;
        int row, column;
        double expected;
        int s = -1;
        if (sscanf(line, "hash %15s %llx", split, &hash) == 2) {
            for (int k = 0; k < 3; k++)
                if (strcmp(split, names[k]) == 0)
                    s = k;
            assert_true(s >= 0);
            /* Bitwise: the hash of every standardized value of the split. */
            uint64_t actual = fnv1a64_doubles(blocks[s], (size_t)rows[s] * 30);
            if (actual != (uint64_t)hash)
                print_error("%s: hash %016llx, numpy %016llx\n", split, (unsigned long long)actual,
                            hash);
            assert_true(actual == (uint64_t)hash);
            n_hashes++;
        } else if (sscanf(line, "sample %15s %d %d %lf", split, &row, &column, &expected) == 4) {
            for (int k = 0; k < 3; k++)
                if (strcmp(split, names[k]) == 0)
                    s = k;
            assert_true(s >= 0 && row < rows[s] && column < 30);
            /* Sampled values with repr precision (strtod reads them back
             * exactly): compared bitwise; the max relative difference is
             * printed as a diagnostic if they ever differ. */
            double actual = blocks[s][(size_t)row * 30 + column];
            double relative = fabs(actual - expected) / fabs(expected);
            if (relative > max_relative)
                max_relative = relative;
            assert_true(actual == expected);
            n_samples++;
        }
    }
    fclose(fixture);
    print_message("standardized vs numpy: %d hashes, %d samples, max relative diff %g\n", n_hashes,
                  n_samples, max_relative);
    assert_int_equal(n_hashes, 3);
    assert_int_equal(n_samples, 3 * 4 * 30);
    dataset_free(&data);
}

static void test_standardization_small_example(void **state)
{
    (void)state;
    /* Train a = 1, 2, 3, 6: mean 3, population std sqrt(3.5); val a = 10.
     * b is 0, 0, 0, 4 so its mean 1 and std sqrt(3) are exact enough to
     * write down. Tolerance: 4 ulp-scale (1e-15 relative). */
    const char *text = "a,b,target,split\n1,0,0,train\n2,0,1,train\n3,0,0,train\n6,4,1,train\n"
                       "10,2,1,val\n";
    dataset_spec spec = csv_spec("split", true);
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load_csv_text(text, strlen(text), "s.csv", &spec, &data, &err), 0);
    assert_int_equal(data.n_test, 0);
    assert_null(data.x_test);
    assert_null(data.y_test);
    double expected_train_a[4] = {-2 / sqrt(3.5), -1 / sqrt(3.5), 0.0, 3 / sqrt(3.5)};
    for (int i = 0; i < 4; i++)
        assert_true(fabs(data.x_train[i * 2] - expected_train_a[i]) <= 1e-15);
    assert_true(fabs(data.x_val[0] - 7 / sqrt(3.5)) <= 1e-15);
    assert_true(fabs(data.x_val[1] - 1 / sqrt(3.0)) <= 1e-15);
    dataset_free(&data);
}

/* ---- stratified split vs scikit-learn --------------------------------- */

static void test_stratified_split_reproduces_wdbc_csv(void **state)
{
    (void)state;
    /* sklearn's original row order, split with the textbook's call
     * (test 0.2, then val 0.2, seed 42), must give data/wdbc.csv exactly. */
    dataset_spec spec = csv_spec(NULL, false);
    spec.path = CSV_DIR "/wdbc_raw.csv";
    spec.test_fraction = 0.2;
    spec.val_fraction = 0.2;
    spec.split_seed = 42;
    dataset split, builtin;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &split, &err), 0);
    dataset_spec builtin_spec = dataset_spec_default();
    builtin_spec.standardize = false;
    assert_int_equal(dataset_load(&builtin_spec, &builtin, &err), 0);

    assert_string_equal(split.name, CSV_DIR "/wdbc_raw.csv");
    assert_int_equal(split.n_features, 30);
    for (int j = 0; j < 30; j++)
        assert_string_equal(split.feature_names[j], builtin.feature_names[j]);
    assert_int_equal(split.n_train, builtin.n_train);
    assert_int_equal(split.n_val, builtin.n_val);
    assert_int_equal(split.n_test, builtin.n_test);
    /* Bitwise equal values in the same order. */
    assert_memory_equal(split.x_train, builtin.x_train, sizeof(double) * 364 * 30);
    assert_memory_equal(split.y_train, builtin.y_train, sizeof(double) * 364);
    assert_memory_equal(split.x_val, builtin.x_val, sizeof(double) * 91 * 30);
    assert_memory_equal(split.y_val, builtin.y_val, sizeof(double) * 91);
    assert_memory_equal(split.x_test, builtin.x_test, sizeof(double) * 114 * 30);
    assert_memory_equal(split.y_test, builtin.y_test, sizeof(double) * 114);
    dataset_free(&split);
    dataset_free(&builtin);
}

/* Read "NAME COUNT id id ..." into ids; returns COUNT. */
static int read_id_line(FILE *fixture, const char *name, int **ids)
{
    char label[16];
    int count = -1;
    assert_int_equal(fscanf(fixture, "%15s %d", label, &count), 2);
    assert_string_equal(label, name);
    *ids = malloc((size_t)(count > 0 ? count : 1) * sizeof **ids);
    assert_non_null(*ids);
    for (int i = 0; i < count; i++)
        assert_int_equal(fscanf(fixture, "%d", &(*ids)[i]), 1);
    return count;
}

static void check_ids(const char *what, const double *x, int n_rows, const int *ids, int n_ids)
{
    /* x is (n_rows, 1): the row_id column, the only feature. */
    if (n_rows != n_ids)
        print_error("%s: %d rows, sklearn %d\n", what, n_rows, n_ids);
    assert_int_equal(n_rows, n_ids);
    for (int i = 0; i < n_rows; i++) {
        if (x[i] != (double)ids[i])
            print_error("%s row %d: id %g, sklearn %d\n", what, i, x[i], ids[i]);
        assert_true(x[i] == (double)ids[i]);
    }
}

static void test_stratified_split_matches_sklearn_cases(void **state)
{
    (void)state;
    FILE *fixture = fopen(CSV_DIR "/split_cases.txt", "r");
    assert_non_null(fixture);
    char line[256];
    int n_cases = 0;
    while (fgets(line, sizeof line, fixture) != NULL) {
        char file[64];
        char test_text[32], val_text[32];
        unsigned long seed;
        if (sscanf(line, "case %63s %31s %31s %lu", file, test_text, val_text, &seed) != 4)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", CSV_DIR, file);
        dataset_spec spec = csv_spec(NULL, false);
        spec.path = path;
        /* repr() text read back with strtod: the same doubles sklearn saw. */
        spec.test_fraction = strtod(test_text, NULL);
        spec.val_fraction = strtod(val_text, NULL);
        spec.split_seed = (uint32_t)seed;
        int *train, *val, *test;
        int n_train = read_id_line(fixture, "train", &train);
        int n_val = read_id_line(fixture, "val", &val);
        int n_test = read_id_line(fixture, "test", &test);

        dataset data;
        sweep_error err;
        error_clear(&err);
        if (dataset_load(&spec, &data, &err) != 0)
            print_error("%s: %s\n", line, err.message);
        assert_int_equal(err.kind, ERROR_NONE);
        assert_int_equal(data.n_features, 1);
        check_ids("train", data.x_train, data.n_train, train, n_train);
        check_ids("val", data.x_val, data.n_val, val, n_val);
        check_ids("test", data.x_test, data.n_test, test, n_test);
        if (n_test == 0)
            assert_null(data.x_test);
        dataset_free(&data);
        free(train);
        free(val);
        free(test);
        n_cases++;
    }
    fclose(fixture);
    assert_int_equal(n_cases, 16);
}

/* ---- the other built-in sets vs scikit-learn ------------------------- */

#ifndef SOURCE_DIR
#error "SOURCE_DIR must name the project root"
#endif

/* The features of data/NAME.csv in file order (= scikit-learn's order). */
static double *read_builtin_features(const char *name, int n_rows, int n_features)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data/%s.csv", SOURCE_DIR, name);
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    double *x = malloc((size_t)n_rows * n_features * sizeof *x);
    assert_non_null(x);
    char line[8192];
    assert_non_null(fgets(line, sizeof line, file)); /* header */
    for (int i = 0; i < n_rows; i++) {
        assert_non_null(fgets(line, sizeof line, file));
        char *cell = line;
        for (int j = 0; j < n_features; j++) {
            char *end = NULL;
            x[(size_t)i * n_features + j] = strtod(cell, &end);
            assert_true(end != cell && *end == ',');
            cell = end + 1;
        }
    }
    fclose(file);
    return x;
}

/* Rows of one split equal the raw rows with sklearn's ids, bit for bit. */
static void check_builtin_rows(const char *what, const double *rows, int n, const int *ids,
                               int n_ids, const double *raw, int n_features)
{
    assert_int_equal(n, n_ids);
    for (int k = 0; k < n; k++)
        if (memcmp(rows + (size_t)k * n_features, raw + (size_t)ids[k] * n_features,
                   (size_t)n_features * sizeof *rows) != 0) {
            print_error("%s row %d is not sklearn's row %d\n", what, k, ids[k]);
            fail();
        }
}

static void test_builtin_sets_match_sklearn(void **state)
{
    (void)state;
    /* Shapes and class names: scikit-learn's load_iris() etc. */
    const struct {
        const char *name;
        int n_rows, n_features, n_classes;
        const char *first_class, *last_class;
    } sets[] = {
        {"iris", 150, 4, 3, "setosa", "virginica"},
        {"wine", 178, 13, 3, "class_0", "class_2"},
        {"digits", 1797, 64, 10, "0", "9"},
    };
    FILE *fixture = fopen(CSV_DIR "/builtin_splits.txt", "r");
    assert_non_null(fixture);
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
        char line[256], name[32] = "";
        while (fgets(line, sizeof line, fixture) != NULL && sscanf(line, "builtin %31s", name) != 1)
            continue;
        assert_string_equal(name, sets[s].name);
        int *ids[3];
        const char *parts[3] = {"train", "val", "test"};
        int n_ids[3];
        for (int p = 0; p < 3; p++)
            n_ids[p] = read_id_line(fixture, parts[p], &ids[p]);

        dataset_spec spec = dataset_spec_builtin(sets[s].name);
        spec.standardize = false;
        dataset data;
        sweep_error err;
        error_clear(&err);
        assert_int_equal(dataset_load(&spec, &data, &err), 0);
        assert_int_equal(data.n_features, sets[s].n_features);
        assert_int_equal(data.n_classes, sets[s].n_classes);
        assert_string_equal(data.class_names[0], sets[s].first_class);
        assert_string_equal(data.class_names[data.n_classes - 1], sets[s].last_class);
        double *raw = read_builtin_features(sets[s].name, sets[s].n_rows, sets[s].n_features);
        check_builtin_rows("train", data.x_train, data.n_train, ids[0], n_ids[0], raw,
                           data.n_features);
        check_builtin_rows("val", data.x_val, data.n_val, ids[1], n_ids[1], raw, data.n_features);
        check_builtin_rows("test", data.x_test, data.n_test, ids[2], n_ids[2], raw,
                           data.n_features);
        free(raw);
        dataset_free(&data);

        /* Standardized: the hashes numpy computed, constant columns scale 1. */
        spec.standardize = true;
        assert_int_equal(dataset_load(&spec, &data, &err), 0);
        const double *x[3] = {data.x_train, data.x_val, data.x_test};
        int n[3] = {data.n_train, data.n_val, data.n_test};
        for (int p = 0; p < 3; p++) {
            char label[16];
            unsigned long long expected = 0;
            assert_int_equal(fscanf(fixture, " hash %15s %llx", label, &expected), 2);
            assert_string_equal(label, parts[p]);
            uint64_t got = fnv1a64_doubles(x[p], (size_t)n[p] * (size_t)data.n_features);
            if (got != expected)
                print_error("%s %s: hash %016llx, numpy %016llx\n", sets[s].name, label,
                            (unsigned long long)got, expected);
            assert_true(got == expected);
            free(ids[p]);
        }
        dataset_free(&data);
    }
    fclose(fixture);
}

/* ---- accepted variants ------------------------------------------------ */

/* Load `text` with a split column and return the data set (asserting success). */
static void load_ok(const char *text, size_t size, const char *split_column, dataset *data)
{
    dataset_spec spec = csv_spec(split_column, false);
    sweep_error err;
    error_clear(&err);
    if (dataset_load_csv_text(text, size, "ok.csv", &spec, data, &err) != 0)
        print_error("%s\n", err.message);
    assert_int_equal(err.kind, ERROR_NONE);
}

/* ---- classes ----------------------------------------------------------- */

static void test_class_names_and_numbers(void **state)
{
    (void)state;
    dataset data;
    /* Names are numbered in byte order (LabelEncoder): B < a < b. */
    const char *named = "a,target,split\n1,b,train\n2,B,train\n3,a,train\n4,b,val\n";
    load_ok(named, strlen(named), "split", &data);
    assert_int_equal(data.n_classes, 3);
    assert_string_equal(data.class_names[0], "B");
    assert_string_equal(data.class_names[1], "a");
    assert_string_equal(data.class_names[2], "b");
    assert_true(data.y_train[0] == 2.0 && data.y_train[1] == 0.0 && data.y_train[2] == 1.0);
    assert_true(data.y_val[0] == 2.0);
    dataset_free(&data);

    /* Numbers are the classes themselves; "1" and "1.0" are one class. */
    const char *numbered = "a,target,split\n1,2,train\n2,1.0,train\n3,0,train\n4,1,val\n";
    load_ok(numbered, strlen(numbered), "split", &data);
    assert_int_equal(data.n_classes, 3);
    assert_string_equal(data.class_names[0], "0");
    assert_string_equal(data.class_names[1], "1");
    assert_string_equal(data.class_names[2], "2");
    assert_true(data.y_train[0] == 2.0 && data.y_train[1] == 1.0 && data.y_train[2] == 0.0);
    assert_true(data.y_val[0] == 1.0);
    assert_false(signbit(data.y_train[2]));
    dataset_free(&data);

    /* A number among names makes every cell a name: "0" < "1" < "x". */
    const char *mixed = "a,target,split\n1,x,train\n2,1,train\n3,0,train\n4,1,val\n";
    load_ok(mixed, strlen(mixed), "split", &data);
    assert_int_equal(data.n_classes, 3);
    assert_string_equal(data.class_names[2], "x");
    assert_true(data.y_train[0] == 2.0);
    dataset_free(&data);
}

/* Class names enter the fingerprint, except a plain 0/1 target's. */
static void test_checksum_includes_class_names(void **state)
{
    (void)state;
    const char *one = "a,target,split\n1,no,train\n2,yes,train\n3,no,val\n";
    const char *other = "a,target,split\n1,0,train\n2,1,train\n3,0,val\n";
    dataset a, b;
    load_ok(one, strlen(one), "split", &a);
    load_ok(other, strlen(other), "split", &b);
    /* Same numbers: only the names differ. */
    assert_memory_equal(a.y_train, b.y_train, 2 * sizeof(double));
    char sum_a[17], sum_b[17];
    dataset_checksum(&a, sum_a);
    dataset_checksum(&b, sum_b);
    assert_string_not_equal(sum_a, sum_b);
    dataset_free(&a);
    dataset_free(&b);
}

/* StandardScaler: a column constant in the train rows is only centred. */
/* dataset_code_values: a set whose train and val values fit one table is
 * coded, each code standing for its value bit for bit (-0.0 apart from
 * 0.0), with 16 readable bytes after each array; a set with more values
 * stays uncoded; freeing a coded set frees its codes (ASan's leak check). */
static void test_code_values(void **state)
{
    (void)state;
    const char *text = "a,b,target,split\n0.5,-0,0,train\n0.25,0,1,train\n0.5,0.75,1,val\n"
                       "9,9,0,test\n";
    dataset_spec spec = csv_spec("split", false);
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load_csv_text(text, strlen(text), "c.csv", &spec, &data, &err), 0);
    dataset_code_values(&data);
    assert_non_null(data.codes_train);
    assert_non_null(data.codes_val);
    for (int i = 0; i < data.n_train * data.n_features; i++)
        assert_memory_equal(&data.code_values[data.codes_train[i]], &data.x_train[i],
                            sizeof(double));
    for (int i = 0; i < data.n_val * data.n_features; i++)
        assert_memory_equal(&data.code_values[data.codes_val[i]], &data.x_val[i], sizeof(double));
    assert_int_not_equal(data.codes_train[1], data.codes_train[3]); /* -0 and 0 */
    for (int i = 0; i < 16; i++)
        assert_int_equal(data.codes_val[data.n_val * data.n_features + i], 0);
    dataset_free(&data);

    /* 300 distinct values: no codes, and the set is as it was */
    char many[300 * 24 + 64];
    int at = snprintf(many, sizeof many, "a,target,split\n");
    for (int r = 0; r < 300; r++)
        at += snprintf(many + at, sizeof many - (size_t)at, "%d.5,%d,%s\n", r, r % 2,
                       r % 3 == 0 ? "val" : "train");
    assert_int_equal(dataset_load_csv_text(many, (size_t)at, "m.csv", &spec, &data, &err), 0);
    dataset_code_values(&data);
    assert_null(data.codes_train);
    assert_null(data.codes_val);
    assert_null(data.code_values);
    dataset_free(&data);
}

static void test_constant_column_is_centred(void **state)
{
    (void)state;
    const char *text = "a,b,target,split\n1,5,0,train\n2,5,1,train\n3,4,1,val\n"
                       "0,1e-200,0,train\n";
    dataset_spec spec = csv_spec("split", true);
    dataset data;
    sweep_error err;
    error_clear(&err);
    /* b is 5, 5, 1e-200 in the train rows: not constant, scaled. */
    assert_int_equal(dataset_load_csv_text(text, strlen(text), "c.csv", &spec, &data, &err), 0);
    dataset_free(&data);
    const char *constant = "a,b,target,split\n1,5,0,train\n2,5,1,train\n3,4,1,val\n";
    assert_int_equal(dataset_load_csv_text(constant, strlen(constant), "c.csv", &spec, &data, &err),
                     0);
    /* Exact: 5 - 5 = 0 and 4 - 5 = -1, divided by 1. */
    assert_true(data.x_train[1] == 0.0 && data.x_train[3] == 0.0);
    assert_true(data.x_val[1] == -1.0);
    dataset_free(&data);
    /* Deviations whose squares underflow: the std is 0, so scale 1 too. */
    const char *tiny = "a,target,split\n0,0,train\n1e-200,1,train\n3,1,val\n";
    assert_int_equal(dataset_load_csv_text(tiny, strlen(tiny), "c.csv", &spec, &data, &err), 0);
    assert_true(data.x_train[0] == -5e-201 && data.x_train[1] == 1e-200 - 5e-201);
    assert_true(data.x_val[0] == 3.0 - 5e-201);
    dataset_free(&data);
}

static void test_accepted_layouts(void **state)
{
    (void)state;
    /* The same table written six ways must give the same values, exactly. */
    const char *variants[] = {
        "a,target,b,split\n1,0,2,train\n3,1,4,train\n5,1,6,val\n",
        "a,target,b,split\n1,0,2,train\n3,1,4,train\n5,1,6,val",
        "a,target,b,split\r\n1,0,2,train\r\n3,1,4,train\r\n5,1,6,val\r\n",
        "a,target,b,split\n1,0,2,train\n3,1,4,train\n5,1,6,val\n\n",
        " a , target ,\tb\t, split \n 1 , 0 , 2 , train \n3,1,4,train\n\n5 ,1.0,6, val\n \n",
        ("\xEF\xBB\xBF"
         "a,target,b,split\n+1,0.0,2.,train\n3e0,1,.4e1,train\n5.000,1,6,val\n"),
    };
    for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
        dataset data;
        load_ok(variants[v], strlen(variants[v]), "split", &data);
        assert_int_equal(data.n_features, 2);
        assert_string_equal(data.feature_names[0], "a");
        assert_string_equal(data.feature_names[1], "b");
        assert_int_equal(data.n_train, 2);
        assert_int_equal(data.n_val, 1);
        assert_int_equal(data.n_test, 0);
        const double train[4] = {1, 2, 3, 4}, val[2] = {5, 6};
        const double y_train[2] = {0, 1};
        assert_memory_equal(data.x_train, train, sizeof train);
        assert_memory_equal(data.x_val, val, sizeof val);
        assert_memory_equal(data.y_train, y_train, sizeof y_train);
        assert_true(data.y_val[0] == 1.0);
        dataset_free(&data);
    }
}

static void test_split_rows_keep_file_order(void **state)
{
    (void)state;
    const char *text = "x,target,split\n1,0,test\n2,0,train\n3,1,val\n4,1,train\n5,0,val\n"
                       "6,1,test\n7,1,train\n";
    dataset data;
    load_ok(text, strlen(text), "split", &data);
    const double train[3] = {2, 4, 7}, val[2] = {3, 5}, test[2] = {1, 6};
    assert_memory_equal(data.x_train, train, sizeof train);
    assert_memory_equal(data.x_val, val, sizeof val);
    assert_memory_equal(data.x_test, test, sizeof test);
    dataset_free(&data);
}

static void test_other_column_names(void **state)
{
    (void)state;
    const char *text = "part,f,label\ntrain,1,1\ntrain,2,0\nval,3,1\n";
    dataset_spec spec = csv_spec("part", false);
    spec.target = "label";
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load_csv_text(text, strlen(text), "o.csv", &spec, &data, &err), 0);
    assert_int_equal(data.n_features, 1);
    assert_string_equal(data.feature_names[0], "f");
    const double y_train[2] = {1, 0};
    assert_memory_equal(data.y_train, y_train, sizeof y_train);
    dataset_free(&data);
}

static void test_long_cell_and_underflow(void **state)
{
    (void)state;
    /* A 3-million-character number (0.5 then zeros) and 1e-400, which
     * Python's float() also reads as 0.0. */
    size_t n_zeros = 3000000;
    const char *head = "a,target,split\n0.5";
    const char *tail = ",0,train\n1e-400,1,train\n2,1,val\n";
    size_t size = strlen(head) + n_zeros + strlen(tail);
    char *text = malloc(size);
    assert_non_null(text);
    memcpy(text, head, strlen(head));
    memset(text + strlen(head), '0', n_zeros);
    memcpy(text + strlen(head) + n_zeros, tail, strlen(tail));
    dataset data;
    load_ok(text, size, "split", &data);
    assert_true(data.x_train[0] == 0.5);
    assert_true(data.x_train[1] == 0.0);
    dataset_free(&data);
    free(text);
}

/* ---- errors ----------------------------------------------------------- */

typedef struct {
    const char *text;
    const char *split_column; /* NULL: stratified split with the default fractions */
    bool standardize;
    const char *message; /* exact */
} error_case;

static void check_error_case(const error_case *c, size_t size)
{
    dataset_spec spec = csv_spec(c->split_column, c->standardize);
    dataset data;
    sweep_error err;
    error_clear(&err);
    int status = dataset_load_csv_text(c->text, size, "my.csv", &spec, &data, &err);
    if (status == 0 || strcmp(err.message, c->message) != 0)
        print_error("input:\n%s\ngot:      %s\nexpected: %s\n", c->text, err.message, c->message);
    assert_int_equal(status, -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, c->message);
    /* On failure the data set is empty, and freeing it is safe. */
    assert_null(data.name);
    assert_null(data.x_train);
    assert_null(data.feature_names);
    assert_int_equal(data.n_train, 0);
    dataset_free(&data);
}

static void test_csv_errors(void **state)
{
    (void)state;
    const error_case cases[] = {
        {"", "split", false, "my.csv:1: the file is empty (expected a header row of column names)"},
        {"\n \r\n\n", "split", false,
         "my.csv:1: the file is empty (expected a header row of column names)"},
        {"a,target,split\n", "split", false, "my.csv:1: only a header row, no data rows"},
        {"a,target,split\r\n\r\n", "split", false, "my.csv:1: only a header row, no data rows"},
        {"a,target,split\n1,0,train\n2,1\n", "split", false,
         "my.csv:3: expected 3 columns (as in the header), got 2"},
        {"a,target,split\n1,0,train\n2,1,train,7\n", "split", false,
         "my.csv:3: expected 3 columns (as in the header), got 4"},
        {"a,target,split\n1,0,train\nabc,1,train\n", "split", false,
         "my.csv:3: column 'a': 'abc' is not a number"},
        {"a,target,split\n1,0,train\n0x10,1,train\n", "split", false,
         "my.csv:3: column 'a': '0x10' is not a number"},
        {"a,target,split\n1,0,train\n1.2.3,1,train\n", "split", false,
         "my.csv:3: column 'a': '1.2.3' is not a number"},
        {"a,target,split\n1,0,train\n1e,1,train\n", "split", false,
         "my.csv:3: column 'a': '1e' is not a number"},
        {"a,target,split\n1,0,train\n.,1,train\n", "split", false,
         "my.csv:3: column 'a': '.' is not a number"},
        {"a,target,split\n1,0,train\n1 2,1,train\n", "split", false,
         "my.csv:3: column 'a': '1 2' is not a number"},
        {"a,target,split\n1,0,train\n12345678901234567890123456789012345678901234567890x,1,train\n",
         "split", false,
         "my.csv:3: column 'a': '1234567890123456789012345678901234567890...' is not a number"},
        {"a,target,split\n1,0,train\n,1,train\n", "split", false,
         "my.csv:3: column 'a' is empty (missing values are not supported)"},
        {"a,target,split\n1,0,train\nNaN,1,train\n", "split", false,
         "my.csv:3: column 'a' is 'NaN' (NaN and infinite values are not supported)"},
        {"a,target,split\n1,0,train\n-inf,1,train\n", "split", false,
         "my.csv:3: column 'a' is '-inf' (NaN and infinite values are not supported)"},
        {"a,target,split\n1,0,train\n+Infinity,1,train\n", "split", false,
         "my.csv:3: column 'a' is '+Infinity' (NaN and infinite values are not supported)"},
        {"a,target,split\n1,0,train\n1e999,1,train\n", "split", false,
         "my.csv:3: column 'a': '1e999' is too large for a double"},
        {"a,target,split\n1,0,train\n2,2,train\n", "split", false,
         "my.csv:3: target 2 in column 'target' is not a class number 0..1 (numeric targets "
         "must be the whole numbers 0..K-1, here K = 2; or write class names)"},
        {"a,target,split\n1,0,train\n2,0.5,train\n", "split", false,
         "my.csv:3: target 0.5 in column 'target' is not a class number 0..1 (numeric targets "
         "must be the whole numbers 0..K-1, here K = 2; or write class names)"},
        {"a,target,split\n1,1,train\n2,2,train\n4,3,val\n", "split", false,
         "my.csv:4: target 3 in column 'target' is not a class number 0..2 (numeric targets "
         "must be the whole numbers 0..K-1, here K = 3; or write class names)"},
        {"a,target,split\n1,-1,train\n2,1,train\n", "split", false,
         "my.csv:2: target -1 in column 'target' is not a class number 0..1 (numeric targets "
         "must be the whole numbers 0..K-1, here K = 2; or write class names)"},
        {"a,target,split\n1,yes,train\n2,yes,train\n", "split", false,
         "my.csv: column 'target' has one class only; a classifier needs at least 2"},
        {"a,target,split\n1,1.0,train\n2,1,train\n", "split", false,
         "my.csv: column 'target' has one class only; a classifier needs at least 2"},
        {"a,target,split\n1,0,train\n2,,train\n", "split", false,
         "my.csv:3: column 'target' is empty (missing values are not supported)"},
        {"a,target,split\n1,nan,train\n", "split", false,
         "my.csv:2: column 'target' is 'nan' (NaN and infinite values are not supported)"},
        {"a,label,split\n1,0,train\n", "split", false,
         "my.csv:1: no target column 'target'; the columns are: a, label, split"},
        {"a,target,part\n1,0,train\n", "split", false,
         "my.csv:1: no split column 'split'; the columns are: a, target, part"},
        {"c1,c2,c3,c4,c5,c6,c7,c8,c9,c10,c11,c12\n1,2,3,4,5,6,7,8,9,10,11,12\n", "split", false,
         "my.csv:1: no target column 'target'; the columns are: c1, c2, c3, c4, c5, ..., c11, "
         "c12 (12 columns)"},
        {"a,target,split\n1,0,train\n2,1,training\n", "split", false,
         "my.csv:3: unknown split 'training' in column 'split' (expected train, val or test)"},
        {"a,target,split\n1,0,train\n2,1,Val\n", "split", false,
         "my.csv:3: unknown split 'Val' in column 'split' (expected train, val or test)"},
        {"a,target,split\n1,0,train\n2,1,val\n3,0,test\n", "split", false,
         "my.csv: column 'split' has 1 train rows, need at least 2"},
        {"a,target,split\n1,0,train\n2,1,train\n3,0,test\n", "split", false,
         "my.csv: column 'split' has 0 val rows, need at least 1"},
        {"a,target,a,split\n1,0,1,train\n", "split", false,
         "my.csv:1: duplicate column name 'a' (columns 1 and 3)"},
        {"z,b,target,b,split,z\n", "split", false,
         "my.csv:1: duplicate column name 'b' (columns 2 and 4)"},
        {"a,,target,split\n", "split", false, "my.csv:1: column 2 has an empty name"},
        {"target,split\n1,train\n", "split", false,
         "my.csv:1: no feature columns (only the target and the split column)"},
        {"target\n1\n", NULL, false, "my.csv:1: no feature columns (only the target)"},
        {"a,target\n1,0\n", "target", false,
         "my.csv: the target and the split column are both 'target'"},
        {"a,target,split\n1,0,train\n2,1,\"val\"\n", "split", false,
         "my.csv:3: quoted fields are not supported (found '\"' at character 5); write plain "
         "numbers and names separated by commas"},
        {"a,target,split\r1,0,train\r", "split", false,
         "my.csv:1: carriage return inside a line at character 15 (only \\n and \\r\\n line "
         "endings are supported)"},
        {"a,target,split\n1e308,0,train\n1.5e308,1,train\n3,1,val\n", "split", true,
         "my.csv: feature 'a' has values too large to standardize (its train mean or std "
         "overflows)"},
        /* Stratified split problems (default fractions 0.2 / 0.2). */
        {"a,target\n1,0\n2,1\n3,1\n4,1\n5,1\n", NULL, false,
         "my.csv: cannot make a stratified split for the test rows: target 0 has only 1 row "
         "among 5 (need at least 2 of each class)"},
        {"a,target\n1,0\n2,1\n3,1\n4,0\n", NULL, false,
         "my.csv: cannot make a stratified split for the test rows: 4 rows split 3/1, but "
         "each side needs at least one row of each of the 2 classes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_error_case(&cases[i], strlen(cases[i].text));

    /* NUL bytes need an explicit size. */
    static const char with_nul[] = "a,target,split\n1,0,train\n2,\0,train\n";
    const error_case nul_case = {with_nul, "split", false,
                                 "my.csv:3: NUL byte at character 3 (this does not look like a "
                                 "text file)"};
    check_error_case(&nul_case, sizeof with_nul - 1);
}

static void test_fraction_errors(void **state)
{
    (void)state;
    const char *text = "a,target\n1,0\n2,1\n3,0\n4,1\n";
    struct {
        double test_fraction, val_fraction;
        const char *message;
    } cases[] = {
        {-0.1, 0.2, "f.csv: test_fraction must be in [0, 1), got -0.1"},
        {1.0, 0.2, "f.csv: test_fraction must be in [0, 1), got 1"},
        {0.2, 0.0, "f.csv: val_fraction must be in (0, 1), got 0"},
        {0.2, 1.5, "f.csv: val_fraction must be in (0, 1), got 1.5"},
        {NAN, 0.2, "f.csv: test_fraction must be in [0, 1), got nan"},
        /* ceil(0.9 * 4) = 4 val rows leave no train rows. */
        {0.0, 0.9, "f.csv: splitting off the val rows (fraction 0.9) from 4 rows leaves no rows"},
        /* ceil(0.6 * 4) = 3 val rows leave 1 train row for 2 classes. */
        {0.0, 0.6,
         "f.csv: cannot make a stratified split for the val rows: 4 rows split 1/3, "
         "but each side needs at least one row of each of the 2 classes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        dataset_spec spec = csv_spec(NULL, false);
        spec.test_fraction = cases[i].test_fraction;
        spec.val_fraction = cases[i].val_fraction;
        dataset data;
        sweep_error err;
        error_clear(&err);
        assert_int_equal(dataset_load_csv_text(text, strlen(text), "f.csv", &spec, &data, &err),
                         -1);
        assert_int_equal(err.kind, ERROR_INPUT);
        assert_string_equal(err.message, cases[i].message);
    }
}

/* ---- files ------------------------------------------------------------ */

static void test_file_errors(void **state)
{
    (void)state;
    dataset_spec spec = csv_spec("split", false);
    dataset data;
    sweep_error err;

    spec.path = CSV_DIR "/no_such_file.csv";
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message,
                        CSV_DIR "/no_such_file.csv: cannot open: No such file or directory");

    spec.path = CSV_DIR;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message,
                        CSV_DIR ": is a directory, not a regular file; data files are read whole");

    /* A sparse file one byte over 1 GiB: refused from its size, unread. */
    char path[] = "/tmp/sweep_test_dataset_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, ((off_t)1 << 30) + 1), 0);
    close(fd);
    spec.path = path;
    error_clear(&err);
    int status = dataset_load(&spec, &data, &err);
    unlink(path);
    assert_int_equal(status, -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s: the file is larger than 1 GiB (1073741825 bytes); data files are read whole "
             "and bigger ones are refused",
             path);
    assert_string_equal(err.message, expected);

    spec.path = NULL;
    spec.builtin = NULL;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), -1);
    assert_string_equal(err.message, "the data set has neither a built-in name nor a path");
}

/* A device or a FIFO is refused before a byte is read: /dev/zero would
 * otherwise be read up to the 1 GiB cap, and a FIFO would block. */
static void test_special_files_refused_at_once(void **state)
{
    (void)state;
    dataset_spec spec = csv_spec("split", false);
    dataset data;
    sweep_error err;
    spec.path = "/dev/zero";
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "/dev/zero: is a character device, not a regular file; "
                                     "data files are read whole");

    char folder[] = "/tmp/sweep_test_fifo_XXXXXX";
    assert_non_null(mkdtemp(folder));
    char fifo[64];
    snprintf(fifo, sizeof fifo, "%s/data.csv", folder);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    spec.path = fifo;
    error_clear(&err);
    int status = dataset_load(&spec, &data, &err);
    unlink(fifo);
    rmdir(folder);
    assert_int_equal(status, -1);
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s: is a FIFO, not a regular file; data files are read whole", fifo);
    assert_string_equal(err.message, expected);
}

/* With the config's position, a file that cannot be opened is named as
 * written and as resolved (absolute), at that position. */
static void test_file_errors_name_the_config_position(void **state)
{
    (void)state;
    dataset_spec spec = csv_spec("split", false);
    dataset data;
    sweep_error err;
    spec.path = CSV_DIR "/../csv/no_such_file.csv";
    spec.path_as_written = "csv/no_such_file.csv";
    spec.path_origin = "exp.yaml:1:17";
    /* The source tree's path has no symbolic links, so it is its own realpath. */
    const char *expected = "exp.yaml:1:17: dataset.path: cannot open 'csv/no_such_file.csv' "
                           "(resolved to " CSV_DIR "/no_such_file.csv): No such file or directory";
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, expected);
}

/* Train rows of one class are refused, with a split column or after the
 * stratified split; val rows of one class are allowed. */
static void test_train_rows_of_one_class(void **state)
{
    (void)state;
    const error_case cases[] = {
        {"a,target,split\n1,1,train\n2,1,train\n3,0,val\n", "split", false,
         "my.csv: every train row of column 'split' is of class '1': a classifier needs train "
         "rows of at least two classes"},
        {"a,target\n1,0\n2,0\n3,0\n4,0\n5,0\n", NULL, false,
         "my.csv: column 'target' has one class only; a classifier needs at least 2"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        check_error_case(&cases[c], strlen(cases[c].text));
    dataset data;
    const char *text = "a,target,split\n1,1,train\n2,0,train\n3,0,val\n";
    load_ok(text, strlen(text), "split", &data);
    assert_int_equal(data.n_val, 1);
    dataset_free(&data);
}

static void test_free_empty(void **state)
{
    (void)state;
    dataset data;
    memset(&data, 0, sizeof data);
    dataset_free(&data);
    dataset_free(NULL);
}

/* Freeing a loaded set leaves every field zero, so that a second free (one
 * cleanup path reached twice) frees nothing again; ASan reports it if not. */
static void test_free_resets_every_field(void **state)
{
    (void)state;
    dataset_spec spec = dataset_spec_default();
    dataset data, zero;
    memset(&zero, 0, sizeof zero);
    sweep_error err;
    error_clear(&err);
    assert_int_equal(dataset_load(&spec, &data, &err), 0);
    assert_non_null(data.x_train);
    dataset_free(&data);
    assert_memory_equal(&data, &zero, sizeof data);
    dataset_free(&data);
}

/* ---- cross-validation folds ------------------------------------------- */

/* Six non-test rows (train then val) and one test row. StratifiedKFold(2)
 * puts rows 0, 1, 2 in fold 0 and rows 3, 4, 5 in fold 1 (scikit-learn
 * 1.2: [[0, 1, 2], [3, 4, 5]]). Each fold's rows keep file order and are
 * standardized with its own train rows: fold 1 trains on a = 1, 2, 4 (mean
 * 7/3, population std sqrt(14)/3), so its val a = 8 becomes 17/sqrt(14) and
 * the test a = 100 becomes 293/sqrt(14). Tolerance 1e-14 (a few ulp). */
static const char FOLD_CSV[] = "a,target,split\n1,0,train\n2,1,train\n4,0,train\n8,1,train\n"
                               "16,0,val\n32,1,val\n100,0,test\n";

static void test_folds_partition_and_standardize_per_fold(void **state)
{
    (void)state;
    dataset rows;
    load_ok(FOLD_CSV, strlen(FOLD_CSV), "split", &rows); /* not standardized */
    fold_settings cv = {.n_splits = 2, .n_repeats = 1};
    dataset_folds folds;
    sweep_error err = {0};
    assert_int_equal(dataset_folds_build(&rows, &cv, true, &folds, &err), 0);
    const dataset *first = dataset_folds_get(&folds, 0, 0);
    const dataset *second = dataset_folds_get(&folds, 0, 1);
    assert_int_equal(first->n_train, 3);
    assert_int_equal(first->n_val, 3);
    assert_int_equal(first->n_test, 1);
    const double second_train_y[3] = {0, 1, 0}, second_val_y[3] = {1, 0, 1};
    for (int i = 0; i < 3; i++) {
        assert_true(second->y_train[i] == second_train_y[i]);
        assert_true(second->y_val[i] == second_val_y[i]);
    }
    const double s = sqrt(14.0) / 3;
    const double expected_train[3] = {(1 - 7.0 / 3) / s, (2 - 7.0 / 3) / s, (4 - 7.0 / 3) / s};
    const double expected_val[3] = {17 / sqrt(14.0), (16 - 7.0 / 3) / s, (32 - 7.0 / 3) / s};
    for (int i = 0; i < 3; i++) {
        assert_true(fabs(second->x_train[i] - expected_train[i]) <= 1e-14);
        assert_true(fabs(second->x_val[i] - expected_val[i]) <= 1e-14);
    }
    assert_true(fabs(second->x_test[0] - 293 / sqrt(14.0)) <= 1e-13); /* 78.3: ulp 1.4e-14 */
    /* fold 0 trains on a = 8, 16, 32: its own statistics, mean 56/3 */
    assert_true(fabs(first->x_val[0] * 1 -
                     (1 - 56.0 / 3) / sqrt((pow(8 - 56.0 / 3, 2) + pow(16 - 56.0 / 3, 2) +
                                            pow(32 - 56.0 / 3, 2)) /
                                           3)) <= 1e-14);
    assert_string_equal(second->feature_names[0], "a");
    dataset_folds_free(&folds);

    /* without standardization the rows are only partitioned */
    assert_int_equal(dataset_folds_build(&rows, &cv, false, &folds, &err), 0);
    assert_true(dataset_folds_get(&folds, 0, 1)->x_val[0] == 8.0);
    assert_true(dataset_folds_get(&folds, 0, 1)->x_test[0] == 100.0);
    dataset_folds_free(&folds);
    dataset_free(&rows);
}

/* More folds than rows, and folds that would need more memory than the
 * bound, are refused before anything is copied. */
static void test_folds_refused(void **state)
{
    (void)state;
    dataset rows;
    load_ok(FOLD_CSV, strlen(FOLD_CSV), "split", &rows);
    fold_settings cv = {.n_splits = 7, .n_repeats = 1};
    dataset_folds folds;
    sweep_error err = {0};
    assert_int_equal(dataset_folds_build(&rows, &cv, true, &folds, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "cross-validation: 7 folds but only 6 rows");
    assert_null(folds.sets);
    dataset_free(&rows);

    /* 2^17 rows of 1023 features: 1 GiB a copy; the rows' features are never
     * read before the bound is checked, so none are allocated here. */
    enum { MANY = 1 << 17 };
    double *labels = malloc(MANY * sizeof *labels);
    assert_non_null(labels);
    for (int i = 0; i < MANY; i++)
        labels[i] = i % 2;
    dataset big = {.name = "big",
                   .n_features = 1023,
                   .n_classes = 2,
                   .n_train = MANY,
                   .y_train = labels};
    cv.n_splits = 2;
    error_clear(&err);
    assert_int_equal(dataset_folds_build(&big, &cv, false, &folds, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "big: cross-validation with 2 folds needs 2 copies of the "
                                     "data set (2048 MiB), more than sweep holds (1024 MiB); use "
                                     "fewer folds or repeats");
    free(labels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_shape_and_names),
        cmocka_unit_test(test_checksum_of_binary_set_unchanged),
        cmocka_unit_test(test_builtin_sets_match_sklearn),
        cmocka_unit_test(test_class_names_and_numbers),
        cmocka_unit_test(test_checksum_includes_class_names),
        cmocka_unit_test(test_constant_column_is_centred),
        cmocka_unit_test(test_code_values),
        cmocka_unit_test(test_builtin_raw_rows_in_file_order),
        cmocka_unit_test(test_unknown_builtin),
        cmocka_unit_test(test_standardization_matches_numpy),
        cmocka_unit_test(test_standardization_small_example),
        cmocka_unit_test(test_stratified_split_reproduces_wdbc_csv),
        cmocka_unit_test(test_stratified_split_matches_sklearn_cases),
        cmocka_unit_test(test_accepted_layouts),
        cmocka_unit_test(test_split_rows_keep_file_order),
        cmocka_unit_test(test_other_column_names),
        cmocka_unit_test(test_long_cell_and_underflow),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_fraction_errors),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_special_files_refused_at_once),
        cmocka_unit_test(test_file_errors_name_the_config_position),
        cmocka_unit_test(test_train_rows_of_one_class),
        cmocka_unit_test(test_folds_partition_and_standardize_per_fold),
        cmocka_unit_test(test_folds_refused),
        cmocka_unit_test(test_free_empty),
        cmocka_unit_test(test_free_resets_every_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
