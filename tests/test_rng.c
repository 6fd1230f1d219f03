/* test_rng.c: the legacy numpy generator, compared with numpy itself.
 *
 * Every check here is EXACT (tolerance 0): doubles are compared bit for bit,
 * integers for equality. The references are numpy 1.24's own outputs: the
 * seed-42 draws of the textbook in tests/data/numpy_rng_seed42.txt, and
 * short sequences pasted below, each with the /usr/bin/python3 line that
 * produced it.
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

#include "rng.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

enum { MAX_VALUES = 1024 };

/* One named line of numpy_rng_seed42.txt: "name v v v ...". */
typedef struct {
    double values[MAX_VALUES];
    int n_values;
} reference_line;

/* Read the line called `name` from the reference file; '#' lines are comments. */
static void read_reference_line(const char *name, reference_line *out)
{
    const char *path = TEST_DATA_DIR "/numpy_rng_seed42.txt";
    FILE *file = fopen(path, "r");
    if (file == NULL)
        fail_msg("cannot open %s", path);
    static char line[65536];
    size_t name_length = strlen(name);
    out->n_values = 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, file) != NULL) {
        if (line[0] == '#' || strncmp(line, name, name_length) != 0 || line[name_length] != ' ')
            continue;
        found = 1;
        char *cursor = line + name_length;
        for (;;) {
            char *end;
            double value = strtod(cursor, &end);
            if (end == cursor)
                break;
            assert_true(out->n_values < MAX_VALUES);
            out->values[out->n_values++] = value;
            cursor = end;
        }
    }
    fclose(file);
    if (!found)
        fail_msg("no line '%s' in %s", name, path);
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Compare n draws of rng_gauss with the reference values bit for bit and
 * print the largest absolute difference (must be 0). */
static void check_gauss_draws(numpy_rng *rng, const reference_line *expected, const char *what)
{
    double max_diff = 0.0;
    int n_mismatches = 0;
    for (int i = 0; i < expected->n_values; i++) {
        double got = rng_gauss(rng);
        double diff = fabs(got - expected->values[i]);
        if (!(diff <= max_diff))
            max_diff = diff;
        if (!same_bits(got, expected->values[i]))
            n_mismatches++;
    }
    printf("%s: %d normals, max abs diff %g, %d not bitwise equal\n", what, expected->n_values,
           max_diff, n_mismatches);
    assert_int_equal(n_mismatches, 0);
}

/* Tolerance 0: the 300 + 10 normals that numpy draws for w1 and w2 after
 * np.random.seed(42), compared bitwise. */
static void test_seed42_normals(void **state)
{
    (void)state;
    static reference_line w1, w2;
    read_reference_line("w1", &w1);
    read_reference_line("w2", &w2);
    assert_int_equal(w1.n_values, 300);
    assert_int_equal(w2.n_values, 10);

    numpy_rng rng;
    rng_seed(&rng, 42);
    check_gauss_draws(&rng, &w1, "w1");
    check_gauss_draws(&rng, &w2, "w2");
}

/* Exact: two successive np.random.permutation(364) after np.random.seed(42),
 * the first two epoch orders of the textbook's runs. */
static void test_seed42_permutations(void **state)
{
    (void)state;
    static reference_line perm1, perm2;
    read_reference_line("perm1", &perm1);
    read_reference_line("perm2", &perm2);
    assert_int_equal(perm1.n_values, 364);
    assert_int_equal(perm2.n_values, 364);

    numpy_rng rng;
    rng_seed(&rng, 42);
    int order[364];
    const reference_line *expected[2] = {&perm1, &perm2};
    for (int k = 0; k < 2; k++) {
        rng_permutation(&rng, order, 364);
        int n_mismatches = 0;
        for (int i = 0; i < 364; i++)
            if (order[i] != (int)expected[k]->values[i])
                n_mismatches++;
        printf("perm%d: %d of 364 positions differ\n", k + 1, n_mismatches);
        assert_int_equal(n_mismatches, 0);
    }
}

/* Exact: raw MT19937 outputs. The first is also the published first output
 * of MT19937 seeded 5489 with init_genrand.
 * np.random.RandomState(5489).randint(0, 2**32, size=5, dtype=np.int64)
 * (a range of exactly 2^32 returns the raw 32-bit draws). */
static void test_raw_outputs(void **state)
{
    (void)state;
    const uint32_t expected[5] = {3499211612U, 581869302U, 3890346734U, 3586334585U, 545404204U};
    numpy_rng rng;
    rng_seed(&rng, 5489);
    for (int i = 0; i < 5; i++)
        assert_int_equal(rng_next_uint32(&rng), expected[i]);
}

/* Bitwise: np.random.RandomState(0).random_sample(5), printed with repr(). */
static void test_doubles(void **state)
{
    (void)state;
    const double expected[5] = {0.5488135039273248, 0.7151893663724195, 0.6027633760716439,
                                0.5448831829968969, 0.4236547993389047};
    numpy_rng rng;
    rng_seed(&rng, 0);
    for (int i = 0; i < 5; i++) {
        double got = rng_next_double(&rng);
        assert_true(same_bits(got, expected[i]));
    }
}

/* Bitwise and exact: the cached second normal survives other draws.
 * rs = np.random.RandomState(1); rs.normal(0, 1, 3); rs.permutation(7);
 * rs.normal(0, 1, 2) -- the 4th normal is the one cached by the 3rd. */
static void test_gauss_cache_across_shuffle(void **state)
{
    (void)state;
    const double first[3] = {1.6243453636632417, -0.6117564136500754, -0.5281717522634557};
    const int order_expected[7] = {3, 5, 4, 0, 2, 1, 6};
    const double after[2] = {-1.0729686221561705, -1.0170141364670207};
    numpy_rng rng;
    rng_seed(&rng, 1);
    for (int i = 0; i < 3; i++)
        assert_true(same_bits(rng_gauss(&rng), first[i]));
    int order[7];
    rng_permutation(&rng, order, 7);
    assert_memory_equal(order, order_expected, sizeof order);
    for (int i = 0; i < 2; i++)
        assert_true(same_bits(rng_gauss(&rng), after[i]));
}

/* Exact: shuffles and permutations of small arrays (32-bit masked rejection
 * with small masks), from /usr/bin/python3 with numpy 1.24:
 *   a = np.arange(5); np.random.RandomState(0).shuffle(a)     -> [2 0 1 3 4]
 *   np.random.RandomState(123).permutation(10)
 *   np.random.RandomState(4294967295).permutation(20)         (largest seed)
 *   rs = np.random.RandomState(0); rs.permutation(1); rs.permutation(2);
 *   rs.random_sample()      (n = 1 draws nothing) */
static void test_small_shuffles(void **state)
{
    (void)state;
    numpy_rng rng;

    int five[5] = {0, 1, 2, 3, 4};
    const int five_expected[5] = {2, 0, 1, 3, 4};
    rng_seed(&rng, 0);
    rng_shuffle(&rng, five, 5);
    assert_memory_equal(five, five_expected, sizeof five);

    int ten[10];
    const int ten_expected[10] = {4, 0, 7, 5, 8, 3, 1, 6, 9, 2};
    rng_seed(&rng, 123);
    rng_permutation(&rng, ten, 10);
    assert_memory_equal(ten, ten_expected, sizeof ten);

    int twenty[20];
    const int twenty_expected[20] = {11, 17, 19, 15, 1, 5, 8, 16, 13, 18,
                                     14, 9,  10, 6,  0, 4, 7, 12, 2,  3};
    rng_seed(&rng, 4294967295U);
    rng_permutation(&rng, twenty, 20);
    assert_memory_equal(twenty, twenty_expected, sizeof twenty);

    int one[1], two[2];
    const int two_expected[2] = {1, 0};
    rng_seed(&rng, 0);
    rng_permutation(&rng, one, 1);
    assert_int_equal(one[0], 0);
    rng_permutation(&rng, two, 2);
    assert_memory_equal(two, two_expected, sizeof two);
    assert_true(same_bits(rng_next_double(&rng), 0.5928446182250183));
}

/* Exact: rng_interval(max) against numpy's legacy randint, which uses the
 * same masked rejection: RandomState(s).randint(0, max + 1, size=k,
 * dtype=np.int64) returns k successive random_interval(max) values, through
 * 32-bit draws when max < 2^32 and 64-bit draws (first output high) above.
 *   RandomState(9).randint(0, 7, size=12, dtype=np.int64)
 *   RandomState(7).randint(0, 2**40 + 1, size=6, dtype=np.int64)
 *   RandomState(7).randint(0, 2**33 + 12345 + 1, size=6, dtype=np.int64)
 *   RandomState(9).randint(0, 2**62 + 5, size=4, dtype=np.int64) */
static void test_interval(void **state)
{
    (void)state;
    numpy_rng rng;

    const uint64_t small[12] = {6, 4, 6, 5, 6, 0, 3, 6, 5, 1, 6, 4};
    rng_seed(&rng, 9);
    for (int i = 0; i < 12; i++)
        assert_int_equal(rng_interval(&rng, 6), small[i]);

    const uint64_t pow40[6] = {752595690692ULL, 108744157686ULL, 291964244179ULL,
                               309610205529ULL, 936371205000ULL, 719526270950ULL};
    rng_seed(&rng, 7);
    for (int i = 0; i < 6; i++)
        assert_int_equal(rng_interval(&rng, 1ULL << 40), pow40[i]);

    const uint64_t pow33[6] = {5664942582ULL, 1322904761ULL, 372560217ULL,
                               3731473840ULL, 1687674368ULL, 1485942463ULL};
    rng_seed(&rng, 7);
    for (int i = 0; i < 6; i++)
        assert_int_equal(rng_interval(&rng, (1ULL << 33) + 12345), pow33[i]);

    const uint64_t pow62[4] = {191369442034012508ULL, 34580184003183093ULL, 2468719144077628310ULL,
                               2621486946197246529ULL};
    rng_seed(&rng, 9);
    for (int i = 0; i < 4; i++)
        assert_int_equal(rng_interval(&rng, (1ULL << 62) + 4), pow62[i]);

    /* max == 0 draws nothing: the next raw output is the first one */
    rng_seed(&rng, 5489);
    assert_int_equal(rng_interval(&rng, 0), 0);
    assert_int_equal(rng_next_uint32(&rng), 3499211612U);
}

/* Exact: reseeding restarts the sequence and drops a cached normal. */
static void test_reseed_resets(void **state)
{
    (void)state;
    numpy_rng rng;
    rng_seed(&rng, 42);
    double first = rng_gauss(&rng);
    assert_true(rng.has_gauss);
    rng_seed(&rng, 42);
    assert_false(rng.has_gauss);
    assert_true(same_bits(rng_gauss(&rng), first));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed42_normals),
        cmocka_unit_test(test_seed42_permutations),
        cmocka_unit_test(test_raw_outputs),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_gauss_cache_across_shuffle),
        cmocka_unit_test(test_small_shuffles),
        cmocka_unit_test(test_interval),
        cmocka_unit_test(test_reseed_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
