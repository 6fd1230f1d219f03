/* test_lanes.c: the packed models' scalar helpers (lanes.c).
 *
 * Tolerance: none. lanes_gather_rows must copy every double to where
 * lanes.h says (out[(r * n_features + f) * width + lane] =
 * x[orders[lane][start + r]][f]), whatever the path it takes: the block
 * transposes of 8 lanes (AVX-512), 4 (AVX2) or 2 (SSE2), with feature counts
 * the block does not divide (an overlapping last block), or the scalar copy
 * (one lane, fewer features than a block).
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

#include "lanes.h"

enum { TEST_ROWS = 40 };

/* Rows of distinct values (row * 1000 + feature), lane orders shuffled
 * differently per lane, and the copy checked against the definition; the
 * number of wrong doubles (the output starts as NaN, so a double left out
 * counts). */
static int count_gather_errors(int n_features, int width, int start, int m)
{
    double *x = malloc((size_t)TEST_ROWS * (size_t)n_features * sizeof(double));
    double y[TEST_ROWS];
    int order_rows[LANES_MAX][TEST_ROWS];
    const int *orders[LANES_MAX];
    const size_t out_count = (size_t)m * (size_t)n_features * (size_t)width;
    double *out = malloc(out_count * sizeof(double));
    double *y_out = malloc((size_t)m * (size_t)width * sizeof(double));
    assert_non_null(x);
    assert_non_null(out);
    assert_non_null(y_out);
    for (int r = 0; r < TEST_ROWS; r++) {
        for (int f = 0; f < n_features; f++)
            x[(size_t)r * n_features + f] = r * 1000.0 + f;
        y[r] = -r;
    }
    /* multipliers prime to TEST_ROWS: a different permutation per lane */
    static const int multipliers[LANES_MAX] = {3, 7, 9, 11, 13, 17, 19, 21};
    for (int lane = 0; lane < width; lane++) {
        for (int r = 0; r < TEST_ROWS; r++)
            order_rows[lane][r] = (r * multipliers[lane] + lane) % TEST_ROWS;
        orders[lane] = order_rows[lane];
    }
    for (size_t i = 0; i < out_count; i++)
        out[i] = NAN;
    lanes_gather_rows(x, y, n_features, orders, start, m, width, out, y_out);
    int errors = 0;
    for (int r = 0; r < m; r++)
        for (int lane = 0; lane < width; lane++) {
            const int row = orders[lane][start + r];
            for (int f = 0; f < n_features; f++)
                errors += !(out[((size_t)r * n_features + f) * width + lane] ==
                            x[(size_t)row * n_features + f]);
            errors += !(y_out[(size_t)r * width + lane] == y[row]);
        }
    if (errors > 0)
        printf("  WRONG: %d features, width %d, rows %d..%d: %d doubles\n", n_features, width,
               start, start + m - 1, errors);
    free(x);
    free(out);
    free(y_out);
    return errors;
}

/* Widths 1, 2, 4, 8 x features 1, 3, 7, 8, 9, 12, 16, 30, 31, 250 x a
 * few row ranges (one row, a batch from the middle, all rows). */
static void test_gather_rows_places_every_double(void **state)
{
    (void)state;
    static const int widths[] = {1, 2, 4, 8};
    static const int feature_counts[] = {1, 3, 7, 8, 9, 12, 16, 30, 31, 250};
    static const int ranges[][2] = {{0, 1}, {5, 3}, {7, 32}, {0, TEST_ROWS}};
    int errors = 0, cases = 0;
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++)
        for (size_t f = 0; f < sizeof feature_counts / sizeof feature_counts[0]; f++)
            for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
                errors +=
                    count_gather_errors(feature_counts[f], widths[w], ranges[r][0], ranges[r][1]);
                cases++;
            }
    printf("lanes_gather_rows: %d cases, %d wrong doubles (tolerance: none)\n", cases, errors);
    assert_int_equal(errors, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gather_rows_places_every_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
