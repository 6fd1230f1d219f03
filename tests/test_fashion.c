/* test_fashion.c: fashion-MNIST loading (src/fashion.c).
 *
 * Two kinds of checks:
 *   - small IDX files written into a temporary folder: values (pixel / 255,
 *     exact), row bookkeeping, and one-line errors for files that disagree;
 *   - Debian's dataset-fashion-mnist itself (skipped when it is not
 *     installed): the train/val split must be scikit-learn's, row for row,
 *     as recorded in tests/data/csv/fashion_split.txt by
 *     tests/data/csv/generate.py (tests/test_builtin_data.py checks that
 *     fixture against scikit-learn). Tolerances: none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fashion.h"
#include "idx.h"
#include "split.h"
#include "temp_folder.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data"
#endif

#define PIXELS 784

/* The pixel j of made-up image i: distinct first pixels for i < 256. */
static unsigned char pixel(int i, int j)
{
    return (unsigned char)((i * 7 + j) % 256);
}

/* Write PREFIX-images/labels files of n images with labels i % 10 into
 * folder; `side` and `n_labels` allow disagreeing files. */
static void write_pair(const char *folder, const char *prefix, int n, int side, int n_labels,
                       int label_offset)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", folder, prefix);
    gzFile file = gzopen(path, "wb");
    assert_non_null(file);
    unsigned char header[16] =
        {0, 0, 8, 3, 0, 0, (unsigned char)(n >> 8), (unsigned char)n, 0, 0, 0, (unsigned char)side,
         0, 0, 0, 28};
    assert_int_equal(gzwrite(file, header, sizeof header), (int)sizeof header);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < side * 28; j++) {
            unsigned char value = pixel(i, j);
            assert_int_equal(gzwrite(file, &value, 1), 1);
        }
    assert_int_equal(gzclose(file), Z_OK);

    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", folder, prefix);
    file = gzopen(path, "wb");
    assert_non_null(file);
    unsigned char label_header[8] =
        {0, 0, 8, 1, 0, 0, (unsigned char)(n_labels >> 8), (unsigned char)n_labels};
    assert_int_equal(gzwrite(file, label_header, sizeof label_header), 8);
    for (int i = 0; i < n_labels; i++) {
        unsigned char label = (unsigned char)(i % 10 + label_offset * (i == n_labels - 1));
        assert_int_equal(gzwrite(file, &label, 1), 1);
    }
    assert_int_equal(gzclose(file), Z_OK);
}

static void make_folder(const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", temp_folder, name);
    char command[600];
    snprintf(command, sizeof command, "mkdir -p '%s'", out);
    assert_int_equal(system(command), 0);
}

/* Rows as pixel / 255.0 of the image whose first pixel they carry. */
static void check_rows(const double *x, const double *y, int n, int n_images)
{
    for (int k = 0; k < n; k++) {
        int i = -1;
        for (int candidate = 0; candidate < n_images && i < 0; candidate++)
            if (x[(size_t)k * PIXELS] == (double)pixel(candidate, 0) / 255.0)
                i = candidate;
        assert_true(i >= 0);
        assert_true(y[k] == (double)(i % 10));
        for (int j = 0; j < PIXELS; j++)
            assert_true(x[(size_t)k * PIXELS + j] == (double)pixel(i, j) / 255.0);
    }
}

static void test_small_files(void **state)
{
    (void)state;
    char folder[512];
    make_folder("good", folder, sizeof folder);
    write_pair(folder, "train", 100, 28, 100, 0);
    write_pair(folder, "t10k", 20, 28, 20, 0);
    dataset_spec spec = dataset_spec_builtin(FASHION_NAME);
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(fashion_load(folder, &spec, &data, &err), 0);
    assert_string_equal(data.name, "fashion_mnist");
    assert_int_equal(data.n_features, PIXELS);
    assert_string_equal(data.feature_names[0], "pixel_0_0");
    assert_string_equal(data.feature_names[PIXELS - 1], "pixel_27_27");
    assert_int_equal(data.n_classes, 10);
    assert_string_equal(data.class_names[0], "T-shirt/top");
    assert_string_equal(data.class_names[9], "Ankle boot");
    assert_int_equal(data.n_train, 80);
    assert_int_equal(data.n_val, 20);
    assert_int_equal(data.n_test, 20);
    check_rows(data.x_train, data.y_train, data.n_train, 100);
    check_rows(data.x_val, data.y_val, data.n_val, 100);
    /* Test rows keep the file's order. */
    for (int k = 0; k < 20; k++)
        assert_true(data.x_test[(size_t)k * PIXELS] == (double)pixel(k, 0) / 255.0);
    check_rows(data.x_test, data.y_test, data.n_test, 20);
    dataset_free(&data);
}

static void expect_error(const char *folder, const dataset_spec *spec, const char *message)
{
    dataset data;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(fashion_load(folder, spec, &data, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, message);
    assert_null(data.x_train);
    assert_null(data.class_names);
    dataset_free(&data);
}

static void test_bad_files(void **state)
{
    (void)state;
    dataset_spec spec = dataset_spec_builtin(FASHION_NAME);
    char folder[512], message[1200];

    make_folder("missing", folder, sizeof folder);
    snprintf(message, sizeof message,
             "fashion_mnist: %s/train-labels-idx1-ubyte.gz is missing; install Debian's "
             "package: apt-get install dataset-fashion-mnist",
             folder);
    expect_error(folder, &spec, message);

    make_folder("counts", folder, sizeof folder);
    write_pair(folder, "train", 100, 28, 99, 0);
    expect_error(folder, &spec,
                 "fashion_mnist: train-images-idx3-ubyte.gz has 100 images but "
                 "train-labels-idx1-ubyte.gz has 99 labels");

    make_folder("label", folder, sizeof folder);
    write_pair(folder, "train", 100, 28, 100, 10);
    expect_error(folder, &spec,
                 "fashion_mnist: train-labels-idx1-ubyte.gz: label 19 of item 99 is not a "
                 "class 0..9");

    make_folder("side", folder, sizeof folder);
    write_pair(folder, "train", 100, 27, 100, 0);
    expect_error(folder, &spec,
                 "fashion_mnist: train-images-idx3-ubyte.gz has 27x28 images, expected 28x28");

    make_folder("no_test", folder, sizeof folder);
    write_pair(folder, "train", 100, 28, 100, 0);
    snprintf(message, sizeof message,
             "fashion_mnist: %s/t10k-labels-idx1-ubyte.gz is missing; install Debian's "
             "package: apt-get install dataset-fashion-mnist",
             folder);
    expect_error(folder, &spec, message);

    dataset_spec standardized = spec;
    standardized.standardize = true;
    expect_error(folder, &standardized,
                 "fashion_mnist: standardize must be false: the pixels are divided by 255, as "
                 "the textbook does");
    dataset_spec with_test = spec;
    with_test.test_fraction = 0.2;
    expect_error(folder, &with_test,
                 "fashion_mnist: test_fraction must be 0: the test rows are the 10,000 t10k "
                 "images");
}

/* ---- the real data set ------------------------------------------------ */

static uint64_t fnv1a64_ints(const int *ids, int n)
{
    uint64_t hash = 0xCBF29CE484222325u;
    for (int i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)ids[i];
        for (int byte = 0; byte < 4; byte++) {
            hash ^= (bits >> (8 * byte)) & 0xFF;
            hash *= 0x100000001B3u;
        }
    }
    return hash;
}

/* One fixture line: "NAME COUNT first ID*10 last ID*10 hash HEX". */
static void check_ids_line(FILE *fixture, const char *name, const int *ids, int n)
{
    char label[16];
    int count = 0;
    assert_int_equal(fscanf(fixture, " %15s %d first", label, &count), 2);
    assert_string_equal(label, name);
    assert_int_equal(n, count);
    for (int k = 0; k < 10; k++) {
        int id = -1;
        assert_int_equal(fscanf(fixture, "%d", &id), 1);
        assert_int_equal(ids[k], id);
    }
    assert_int_equal(fscanf(fixture, " last"), 0);
    for (int k = n - 10; k < n; k++) {
        int id = -1;
        assert_int_equal(fscanf(fixture, "%d", &id), 1);
        assert_int_equal(ids[k], id);
    }
    unsigned long long hash = 0;
    assert_int_equal(fscanf(fixture, " hash %llx", &hash), 1);
    assert_true(fnv1a64_ints(ids, n) == hash);
}

static void test_package_split_is_sklearns(void **state)
{
    (void)state;
    const char *labels_path = FASHION_DEFAULT_DIR "/train-labels-idx1-ubyte.gz";
    if (access(labels_path, R_OK) != 0) {
        print_message("dataset-fashion-mnist is not installed; skipped\n");
        skip();
    }
    const idx_shape shape = {1, {100000, 0, 0}};
    idx_array labels;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(idx_read_ubyte(labels_path, &shape, &labels, &err), 0);
    assert_int_equal(labels.n_values, 60000);
    double *classes = malloc(labels.n_values * sizeof *classes);
    assert_non_null(classes);
    for (size_t i = 0; i < labels.n_values; i++)
        classes[i] = labels.values[i];
    split_labels split_classes = {classes, 10, NULL, "fashion"};
    row_split split;
    assert_int_equal(split_textbook(&split_classes, 60000, 0.0, 0.2, 42, &split, &err), 0);
    FILE *fixture = fopen(TEST_DATA_DIR "/csv/fashion_split.txt", "r");
    assert_non_null(fixture);
    char line[512];
    assert_non_null(fgets(line, sizeof line, fixture)); /* two comment lines */
    assert_non_null(fgets(line, sizeof line, fixture));
    check_ids_line(fixture, "train", split.train, split.n_train);
    check_ids_line(fixture, "val", split.val, split.n_val);
    fclose(fixture);

    /* The loader's rows are those rows: first and last of train and val. */
    const idx_shape image_shape = {3, {100000, 28, 28}};
    idx_array images;
    assert_int_equal(idx_read_ubyte(FASHION_DEFAULT_DIR "/train-images-idx3-ubyte.gz", &image_shape,
                                    &images, &err),
                     0);
    dataset_spec spec = dataset_spec_builtin(FASHION_NAME);
    dataset data;
    assert_int_equal(dataset_load(&spec, &data, &err), 0);
    assert_int_equal(data.n_train, 48000);
    assert_int_equal(data.n_val, 12000);
    assert_int_equal(data.n_test, 10000);
    const double *x[2] = {data.x_train, data.x_val};
    const double *y[2] = {data.y_train, data.y_val};
    const int *ids[2] = {split.train, split.val};
    int n[2] = {split.n_train, split.n_val};
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < n[s]; k += n[s] - 1) {
            const unsigned char *image = images.values + (size_t)ids[s][k] * PIXELS;
            for (int j = 0; j < PIXELS; j++)
                assert_true(x[s][(size_t)k * PIXELS + j] == (double)image[j] / 255.0);
            assert_true(y[s][k] == (double)labels.values[ids[s][k]]);
        }
    dataset_free(&data);
    idx_array_free(&images);
    row_split_free(&split);
    free(classes);
    idx_array_free(&labels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_files),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_package_split_is_sklearns),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
