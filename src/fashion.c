/* fashion.c: the fashion-MNIST files into a data set (see fashion.h). */
#include "fashion.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "idx.h"
#include "split.h"

#define FASHION_SIDE 28
#define FASHION_PIXELS (FASHION_SIDE * FASHION_SIDE)
/* Bounds on the header's counts: the package has 60,000 and 10,000 images;
 * anything far beyond is a broken file, refused before allocating. */
#define FASHION_MAX_IMAGES 100000u

/* Zalando's README (the package's /usr/share/doc/dataset-fashion-mnist). */
const char *const FASHION_CLASS_NAMES[FASHION_N_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

/* One of the package's two image/label file pairs. */
typedef struct {
    idx_array images; /* (n, 28, 28) */
    idx_array labels; /* (n) */
} image_pair;

static void image_pair_free(image_pair *pair)
{
    idx_array_free(&pair->images);
    idx_array_free(&pair->labels);
}

static int read_one(const char *dir, const char *file, const idx_shape *shape, idx_array *out,
                    sweep_error *err)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return error_set(err, ERROR_INPUT, "%s: the folder name is too long", FASHION_NAME);
    struct stat info;
    if (stat(path, &info) != 0 && errno == ENOENT)
        return error_set(err, ERROR_INPUT,
                         "%s: %s is missing; install Debian's package: apt-get install "
                         "dataset-fashion-mnist",
                         FASHION_NAME, path);
    return idx_read_ubyte(path, shape, out, err);
}

/* PREFIX-images-idx3-ubyte.gz and PREFIX-labels-idx1-ubyte.gz, checked to
 * agree: as many labels as images, 28x28 pixels, labels 0..9. */
static int read_pair(const char *dir, const char *prefix, image_pair *pair, sweep_error *err)
{
    char images_file[64], labels_file[64];
    snprintf(images_file, sizeof images_file, "%s-images-idx3-ubyte.gz", prefix);
    snprintf(labels_file, sizeof labels_file, "%s-labels-idx1-ubyte.gz", prefix);
    const idx_shape image_shape = {3, {FASHION_MAX_IMAGES, FASHION_SIDE, FASHION_SIDE}};
    const idx_shape label_shape = {1, {FASHION_MAX_IMAGES, 0, 0}};
    memset(pair, 0, sizeof *pair);
    if (read_one(dir, labels_file, &label_shape, &pair->labels, err) != 0 ||
        read_one(dir, images_file, &image_shape, &pair->images, err) != 0)
        return -1;
    const idx_array *images = &pair->images, *labels = &pair->labels;
    if (images->dims[1] != FASHION_SIDE || images->dims[2] != FASHION_SIDE)
        return error_set(err, ERROR_INPUT, "%s: %s has %lux%lu images, expected 28x28",
                         FASHION_NAME, images_file, (unsigned long)images->dims[1],
                         (unsigned long)images->dims[2]);
    if (images->dims[0] != labels->dims[0])
        return error_set(err, ERROR_INPUT, "%s: %s has %lu images but %s has %lu labels",
                         FASHION_NAME, images_file, (unsigned long)images->dims[0], labels_file,
                         (unsigned long)labels->dims[0]);
    for (size_t i = 0; i < labels->n_values; i++)
        if (labels->values[i] >= FASHION_N_CLASSES)
            return error_set(err, ERROR_INPUT, "%s: %s: label %u of item %zu is not a class 0..9",
                             FASHION_NAME, labels_file, labels->values[i], i);
    return 0;
}

/* Rows ids[0..n) of `pair` as pixels / 255.0 (numpy's x / 255 of uint8). */
static int copy_images(const image_pair *pair, const int *ids, int n, double **x_out,
                       double **y_out)
{
    double *x = malloc((size_t)n * FASHION_PIXELS * sizeof *x);
    double *y = malloc((size_t)n * sizeof *y);
    *x_out = x;
    *y_out = y;
    if (x == NULL || y == NULL)
        return -1;
    for (int k = 0; k < n; k++) {
        size_t row = ids != NULL ? (size_t)ids[k] : (size_t)k;
        const unsigned char *pixels = pair->images.values + row * FASHION_PIXELS;
        double *out = x + (size_t)k * FASHION_PIXELS;
        for (int j = 0; j < FASHION_PIXELS; j++)
            out[j] = (double)pixels[j] / 255.0;
        y[k] = (double)pair->labels.values[row];
    }
    return 0;
}

static int fill_names(dataset *out)
{
    out->name = strdup(FASHION_NAME);
    out->feature_names = calloc(FASHION_PIXELS, sizeof *out->feature_names);
    out->class_names = calloc(FASHION_N_CLASSES, sizeof *out->class_names);
    if (out->name == NULL || out->feature_names == NULL || out->class_names == NULL)
        return -1;
    out->n_features = FASHION_PIXELS;
    out->n_classes = FASHION_N_CLASSES;
    for (int c = 0; c < FASHION_N_CLASSES; c++)
        if ((out->class_names[c] = strdup(FASHION_CLASS_NAMES[c])) == NULL)
            return -1;
    for (int j = 0; j < FASHION_PIXELS; j++) {
        char name[32];
        snprintf(name, sizeof name, "pixel_%d_%d", j / FASHION_SIDE, j % FASHION_SIDE);
        if ((out->feature_names[j] = strdup(name)) == NULL)
            return -1;
    }
    return 0;
}

static int check_spec(const dataset_spec *spec, sweep_error *err)
{
    if (spec->split_column != NULL)
        return error_set(err, ERROR_INPUT,
                         "%s: has no split column ('%s'): its val rows are a "
                         "stratified split of the training images",
                         FASHION_NAME, spec->split_column);
    if (spec->test_fraction != 0.0)
        return error_set(err, ERROR_INPUT,
                         "%s: test_fraction must be 0: the test rows are the "
                         "10,000 t10k images",
                         FASHION_NAME);
    if (spec->standardize)
        return error_set(err, ERROR_INPUT,
                         "%s: standardize must be false: the pixels are "
                         "divided by 255, as the textbook does",
                         FASHION_NAME);
    if (!(spec->val_fraction > 0.0 && spec->val_fraction < 1.0))
        return error_set(err, ERROR_INPUT, "%s: val_fraction must be in (0, 1), got %g",
                         FASHION_NAME, spec->val_fraction);
    return 0;
}

/* Train and val rows: chapter 7's split of the training images. The image
 * bytes are freed on return, before the test images are read. */
static int load_train_val(const char *dir, const dataset_spec *spec, dataset *out, sweep_error *err)
{
    int status = -1;
    image_pair pair = {0};
    row_split split = {0};
    double *classes = NULL;
    if (read_pair(dir, "train", &pair, err) != 0)
        goto cleanup;
    int n = (int)pair.labels.n_values;
    classes = malloc((size_t)n * sizeof *classes);
    if (classes == NULL) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory", FASHION_NAME);
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        classes[i] = (double)pair.labels.values[i];
    split_labels labels = {classes, FASHION_N_CLASSES, out->class_names, FASHION_NAME};
    if (split_textbook(&labels, n, 0.0, spec->val_fraction, spec->split_seed, &split, err) != 0)
        goto cleanup;
    out->n_train = split.n_train;
    out->n_val = split.n_val;
    if (copy_images(&pair, split.train, split.n_train, &out->x_train, &out->y_train) != 0 ||
        copy_images(&pair, split.val, split.n_val, &out->x_val, &out->y_val) != 0) {
        error_set(err, ERROR_RUNTIME, "%s: out of memory", FASHION_NAME);
        goto cleanup;
    }
    status = 0;

cleanup:
    image_pair_free(&pair);
    row_split_free(&split);
    free(classes);
    return status;
}

/* Test rows: the t10k images in file order. */
static int load_test(const char *dir, dataset *out, sweep_error *err)
{
    image_pair pair = {0};
    int status = read_pair(dir, "t10k", &pair, err);
    if (status == 0) {
        out->n_test = (int)pair.labels.n_values;
        status = copy_images(&pair, NULL, out->n_test, &out->x_test, &out->y_test);
        if (status != 0)
            error_set(err, ERROR_RUNTIME, "%s: out of memory", FASHION_NAME);
    }
    image_pair_free(&pair);
    return status;
}

int fashion_load(const char *dir, const dataset_spec *spec, dataset *out, sweep_error *err)
{
    memset(out, 0, sizeof *out);
    int status = check_spec(spec, err);
    if (status == 0 && fill_names(out) != 0)
        status = error_set(err, ERROR_RUNTIME, "%s: out of memory", FASHION_NAME);
    if (status == 0)
        status = load_train_val(dir, spec, out, err);
    if (status == 0)
        status = load_test(dir, out, err);
    if (status != 0)
        dataset_free(out);
    return status;
}
