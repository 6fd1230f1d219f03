/* test_value_codes.c: doubles as one-byte codes (src/value_codes.c).
 *
 * Exact by bits, no tolerance: table[code] must be the coded double bit for
 * bit (both zeros, NaN payloads, infinities, subnormals), +0.0 code 0, one
 * table across several arrays, and a table that overflows must say so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "value_codes.h"

static double double_of(uint64_t bits)
{
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* Every x[i] is table[codes[i]], bit for bit. */
static void assert_decodes(const double *x, size_t n, const value_table *table,
                           const uint8_t *codes)
{
    for (size_t i = 0; i < n; i++) {
        assert_true(codes[i] < table->count);
        if (memcmp(&x[i], &table->value[codes[i]], sizeof(double)) != 0)
            fail_msg("x[%zu] = %a decodes to %a", i, x[i], table->value[codes[i]]);
    }
}

static void test_special_values_keep_their_bits(void **state)
{
    (void)state;
    const double x[] = {0.0,
                        -0.0,
                        1.0 / 255.0,
                        INFINITY,
                        -INFINITY,
                        double_of(UINT64_C(0x7FF8000000000001)), /* NaN, payload 1 */
                        double_of(UINT64_C(0x7FF8000000000002)), /* NaN, payload 2 */
                        double_of(UINT64_C(0x0000000000000001)), /* the least subnormal */
                        -0.0,
                        0.0,
                        1.0 / 255.0};
    enum { N = sizeof x / sizeof x[0] };
    value_table table;
    value_table_init(&table);
    uint8_t codes[N];
    assert_true(value_codes_encode(x, N, &table, codes));
    assert_decodes(x, N, &table, codes);
    assert_int_equal(codes[0], 0);
    assert_int_equal(codes[9], 0);
    assert_int_not_equal(codes[1], 0); /* -0.0 is a value of its own */
    assert_int_equal(codes[1], codes[8]);
    assert_int_not_equal(codes[5], codes[6]);
    assert_int_equal(table.count, 8);
}

/* Fashion-MNIST's pixels k/255 in a scrambled order, coded as two arrays
 * with one table: 256 values, all kept. */
static void test_pixels_in_two_arrays(void **state)
{
    (void)state;
    enum { N = 5000 };
    static double train[N], val[N];
    static uint8_t train_codes[N], val_codes[N];
    uint32_t seed = 7u;
    for (int i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        train[i] = (double)((seed >> 9) % 256) / 255.0;
        val[i] = (double)((seed >> 19) % 256) / 255.0;
    }
    value_table table;
    value_table_init(&table);
    assert_true(value_codes_encode(train, N, &table, train_codes));
    assert_true(value_codes_encode(val, N, &table, val_codes));
    assert_decodes(train, N, &table, train_codes);
    assert_decodes(val, N, &table, val_codes);
    assert_int_equal(table.count, 256);
}

/* 256 distinct values besides +0.0 do not fit; 255 do. */
static void test_overflow_is_refused(void **state)
{
    (void)state;
    enum { N = 256 };
    double x[N];
    uint8_t codes[N];
    for (int i = 0; i < N; i++)
        x[i] = 1.0 + i;
    value_table table;
    value_table_init(&table);
    assert_true(value_codes_encode(x, N - 1, &table, codes));
    assert_decodes(x, N - 1, &table, codes);
    value_table_init(&table);
    assert_false(value_codes_encode(x, N, &table, codes));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_values_keep_their_bits),
        cmocka_unit_test(test_pixels_in_two_arrays),
        cmocka_unit_test(test_overflow_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
