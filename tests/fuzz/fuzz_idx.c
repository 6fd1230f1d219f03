/* fuzz_idx.c: libFuzzer entry point for the IDX reader (idx.c).
 *
 * The input is a whole file, plain or gzip-compressed. It is written to a
 * temporary file (the reader takes a path, as zlib opens files itself) and
 * read as labels (1 dimension, at most 70,000) and as images (3 dimensions,
 * at most 70,000 x 28 x 28, fashion-MNIST's bounds). A crash, a leak or a
 * sanitizer report is a bug, and so is a broken promise of idx.h, checked
 * with abort() so that the fuzzer keeps the input:
 *   - a failure is ERROR_INPUT with a one-line message starting with the
 *     path, and an empty array (ERROR_RUNTIME, out of memory, means a header
 *     got memory that its file did not justify);
 *   - a success has the requested dimensions within their bounds and as
 *     many values as their product.
 *
 * Built like fuzz_csv.c: with libFuzzer (SWEEP_FUZZ) and as a plain function
 * that tests/fuzz/corpus_driver.c calls on every file of
 * tests/fuzz/corpus/idx.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *path, const idx_shape *shape, int status, const idx_array *array,
                  const sweep_error *err)
{
    if (status != 0) {
        if (err->kind != ERROR_INPUT || strncmp(err->message, path, strlen(path)) != 0 ||
            strchr(err->message, '\n') != NULL || array->values != NULL || array->n_values != 0) {
            fprintf(stderr, "fuzz_idx: bad error report (kind %d): '%s'\n", (int)err->kind,
                    err->message);
            abort();
        }
        return;
    }
    size_t product = 1;
    for (int d = 0; d < shape->n_dims; d++) {
        if (array->dims[d] == 0 || array->dims[d] > shape->max_dims[d]) {
            fprintf(stderr, "fuzz_idx: dimension %d is %u\n", d, array->dims[d]);
            abort();
        }
        product *= array->dims[d];
    }
    if (array->n_dims != shape->n_dims || array->n_values != product || array->values == NULL) {
        fprintf(stderr, "fuzz_idx: %d dimensions, %zu values\n", array->n_dims, array->n_values);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_idx_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
        perror("fuzz_idx: temporary file");
        abort();
    }
    close(fd);
    const idx_shape shapes[2] = {
        {1, {70000, 0, 0}},
        {3, {70000, 28, 28}},
    };
    for (int s = 0; s < 2; s++) {
        idx_array array;
        sweep_error err = {0};
        int status = idx_read_ubyte(path, &shapes[s], &array, &err);
        check(path, &shapes[s], status, &array, &err);
        idx_array_free(&array);
    }
    unlink(path);
    return 0;
}
