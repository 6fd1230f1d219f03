/* test_idx.c: the IDX reader (src/idx.c) on good and hostile files.
 *
 * Files are written into a temporary folder, plain or gzip-compressed (the
 * reader takes both). Tolerances: none; values compared exactly, messages
 * with strcmp. The hostile headers claim sizes far beyond the file, so a
 * reader that allocated before checking would fail under the ASan build's
 * allocation limit or take the memory; here it must refuse with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "idx.h"
#include "temp_folder.h"

/* Write `bytes` to temp_folder/name, gzip-compressed when `gzip`. */
static const char *write_file(const char *name, const unsigned char *bytes, size_t size, int gzip)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", temp_folder, name);
    if (gzip) {
        gzFile file = gzopen(path, "wb");
        assert_non_null(file);
        if (size > 0)
            assert_int_equal(gzwrite(file, bytes, (unsigned)size), (int)size);
        assert_int_equal(gzclose(file), Z_OK);
    } else {
        FILE *file = fopen(path, "wb");
        assert_non_null(file);
        assert_int_equal(fwrite(bytes, 1, size, file), size);
        fclose(file);
    }
    return path;
}

static const idx_shape LABELS = {1, {100, 0, 0}};
static const idx_shape IMAGES = {3, {100, 4, 4}};

static void expect_error(const char *path, const idx_shape *shape, const char *what)
{
    idx_array array;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(idx_read_ubyte(path, shape, &array, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    char expected[1024];
    snprintf(expected, sizeof expected, "%s: %s", path, what);
    assert_string_equal(err.message, expected);
    assert_null(array.values);
    idx_array_free(&array);
}

static void test_reads_plain_and_gzip(void **state)
{
    (void)state;
    const unsigned char labels[] = {0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9};
    const unsigned char images[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2,  0,  0,
                                    0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255};
    for (int gzip = 0; gzip <= 1; gzip++) {
        idx_array array;
        sweep_error err;
        error_clear(&err);
        const char *path = write_file("labels", labels, sizeof labels, gzip);
        assert_int_equal(idx_read_ubyte(path, &LABELS, &array, &err), 0);
        assert_int_equal(array.n_dims, 1);
        assert_int_equal(array.dims[0], 3);
        assert_int_equal(array.n_values, 3);
        assert_memory_equal(array.values, labels + 8, 3);
        idx_array_free(&array);

        path = write_file("images", images, sizeof images, gzip);
        assert_int_equal(idx_read_ubyte(path, &IMAGES, &array, &err), 0);
        assert_int_equal(array.dims[0], 2);
        assert_int_equal(array.dims[1], 2);
        assert_int_equal(array.dims[2], 3);
        assert_int_equal(array.n_values, 12);
        assert_memory_equal(array.values, images + 16, 12);
        idx_array_free(&array);
    }
}

static void test_hostile_headers(void **state)
{
    (void)state;
    const unsigned char empty[] = {0};
    expect_error(write_file("empty", empty, 0, 1), &LABELS,
                 "truncated: 0 bytes, shorter than an IDX header");
    const unsigned char short_magic[] = {0, 0};
    expect_error(write_file("short", short_magic, sizeof short_magic, 0), &LABELS,
                 "truncated: 2 bytes, shorter than an IDX header");
    /* A PNG, a float IDX file, and images where labels are expected. */
    const unsigned char png[] = {0x89, 'P', 'N', 'G', 0, 0, 0, 1, 5};
    expect_error(write_file("png", png, sizeof png, 0), &LABELS,
                 "not an IDX file of unsigned bytes (magic 89 50 4e 47, expected 00 00 08 01)");
    const unsigned char floats[] = {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    expect_error(write_file("floats", floats, sizeof floats, 1), &LABELS,
                 "not an IDX file of unsigned bytes (magic 00 00 0d 01, expected 00 00 08 01)");
    const unsigned char images[] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0};
    expect_error(write_file("images", images, sizeof images, 1), &LABELS,
                 "3 dimensions, expected 1");
    const unsigned char cut_header[] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0};
    expect_error(write_file("cut", cut_header, sizeof cut_header, 1), &IMAGES,
                 "truncated inside the header");
    /* Sizes beyond the caller's bounds: refused before any allocation. */
    const unsigned char huge[] = {0, 0, 8, 1, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2};
    expect_error(write_file("huge", huge, sizeof huge, 1), &LABELS,
                 "dimension 1 has size 4294967295, expected 1..100");
    const unsigned char wide[] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 1, 0, 0, 0};
    expect_error(write_file("wide", wide, sizeof wide, 1), &IMAGES,
                 "dimension 3 has size 65536, expected 1..4");
    const unsigned char zero[] = {0, 0, 8, 1, 0, 0, 0, 0};
    expect_error(write_file("zero", zero, sizeof zero, 1), &LABELS,
                 "dimension 1 has size 0, expected 1..100");
}

static void test_wrong_counts(void **state)
{
    (void)state;
    const unsigned char truncated[] = {0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3};
    expect_error(write_file("truncated", truncated, sizeof truncated, 1), &LABELS,
                 "truncated: 5 data bytes expected, 3 found");
    /* A claim of a billion values in a file of three: an error, and the
     * buffer grows with the data read, not with the claim. */
    const idx_shape large = {1, {1u << 30, 0, 0}};
    const unsigned char claim[] = {0, 0, 8, 1, 0x3B, 0x9A, 0xCA, 0x00, 1, 2, 3};
    expect_error(write_file("claim", claim, sizeof claim, 1), &large,
                 "truncated: 1000000000 data bytes expected, 3 found");
    const unsigned char longer[] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3};
    expect_error(write_file("longer", longer, sizeof longer, 0), &LABELS,
                 "more data than the header's sizes say (2 values); wrong counts?");
}

static void test_broken_gzip_and_missing_file(void **state)
{
    (void)state;
    /* A gzip header followed by bytes that are no deflate stream. */
    const unsigned char broken[] = {0x1f, 0x8b, 8,    0,    0,    0,    0,    0,    0,
                                    3,    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    const char *path = write_file("broken.gz", broken, sizeof broken, 0);
    idx_array array;
    sweep_error err;
    error_clear(&err);
    assert_int_equal(idx_read_ubyte(path, &LABELS, &array, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    char expected_start[600];
    snprintf(expected_start, sizeof expected_start, "%s: cannot read: invalid", path);
    assert_memory_equal(err.message, expected_start, strlen(expected_start));
    assert_null(strchr(err.message, '\n'));
    assert_null(array.values);

    char missing[512];
    snprintf(missing, sizeof missing, "%s/no_such_file.gz", temp_folder);
    error_clear(&err);
    assert_int_equal(idx_read_ubyte(missing, &LABELS, &array, &err), -1);
    char expected[600];
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", missing);
    assert_string_equal(err.message, expected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_plain_and_gzip),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_wrong_counts),
        cmocka_unit_test(test_broken_gzip_and_missing_file),
    };
    return cmocka_run_group_tests(tests, make_temp_folder, remove_temp_folder);
}
