/* test_rng_lanes.c: the side-by-side streams (src/rng_lanes.c) against the
 * scalar numpy generator (src/rng.c), and against numpy itself.
 *
 * Every check is EXACT (tolerance 0): each lane's permutations, shuffles and
 * raw draws must equal those of a numpy_rng with the same history, and its
 * state afterwards (the 624 words, the position and the cached normal) must
 * be the same bytes. Checked for every instruction set this CPU supports and
 * 1 to 16 lanes, with mixed seeds, lanes reseeded after use and lanes
 * continuing streams loaded mid-way. tests/test_rng.c checks rng.c against
 * numpy's own numbers; here the seed-42 permutations are checked directly
 * as well.
 *
 * `test_rng_lanes bench [rounds]` instead times the permutations of 8 lanes
 * against 8 rng_permutation calls (n = 364 and 48000).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng_lanes.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

enum { MAX_N = 48000 };

/* Scalar twins of the lanes, and buffers for both sides' arrays. */
typedef struct {
    numpy_rng scalar[RNG_LANES_MAX];
    int *lane_values[RNG_LANES_MAX];
    int *scalar_values[RNG_LANES_MAX];
} twins;

static twins *twins_new(void)
{
    twins *t = calloc(1, sizeof *t);
    assert_non_null(t);
    for (int lane = 0; lane < RNG_LANES_MAX; lane++) {
        t->lane_values[lane] = malloc(MAX_N * sizeof(int));
        t->scalar_values[lane] = malloc(MAX_N * sizeof(int));
        assert_non_null(t->lane_values[lane]);
        assert_non_null(t->scalar_values[lane]);
    }
    return t;
}

static void twins_delete(twins *t)
{
    for (int lane = 0; lane < RNG_LANES_MAX; lane++) {
        free(t->lane_values[lane]);
        free(t->scalar_values[lane]);
    }
    free(t);
}

/* Every field of two generators, byte for byte (the normal by its bits). */
static void assert_same_state(const numpy_rng *got, const numpy_rng *expected, int lane)
{
    if (memcmp(got->key, expected->key, sizeof got->key) != 0)
        fail_msg("lane %d: state words differ", lane);
    if (got->pos != expected->pos)
        fail_msg("lane %d: position %d, expected %d", lane, got->pos, expected->pos);
    assert_int_equal(got->has_gauss, expected->has_gauss);
    assert_memory_equal(&got->gauss, &expected->gauss, sizeof got->gauss);
}

static void assert_lanes_match_twins(const rng_lanes *lanes, const twins *t)
{
    for (int lane = 0; lane < lanes->n_lanes; lane++) {
        numpy_rng stored;
        rng_lanes_store(lanes, lane, &stored);
        assert_same_state(&stored, &t->scalar[lane], lane);
    }
}

/* One permutation of n on every lane and on every twin: equal arrays. */
static void permute_and_compare(rng_lanes *lanes, twins *t, int n)
{
    rng_lanes_permutations(lanes, n, t->lane_values);
    for (int lane = 0; lane < lanes->n_lanes; lane++) {
        rng_permutation(&t->scalar[lane], t->scalar_values[lane], n);
        for (int i = 0; i < n; i++)
            if (t->lane_values[lane][i] != t->scalar_values[lane][i])
                fail_msg("%s, %d lanes, n %d: lane %d differs at %d (%d, expected %d)",
                         simd_name(lanes->isa), lanes->n_lanes, n, lane, i, t->lane_values[lane][i],
                         t->scalar_values[lane][i]);
    }
}

/* Seeds unlike each other, including 0 and the largest. */
static uint32_t mixed_seed(int lane)
{
    static const uint32_t seeds[4] = {42U, 0U, 4294967295U, 123456789U};
    return lane < 4 ? seeds[lane] : 1000003U * (uint32_t)lane + 7U;
}

/* Exact, against numpy: np.random.seed(42) and two np.random.permutation(364)
 * (tests/data/numpy_rng_seed42.txt, lines perm1 and perm2) on every lane of
 * 16 seeded 42, for every instruction set. */
static void read_permutation(const char *name, int *out)
{
    const char *path = TEST_DATA_DIR "/numpy_rng_seed42.txt";
    FILE *file = fopen(path, "r");
    if (file == NULL)
        fail_msg("cannot open %s", path);
    static char line[65536];
    size_t name_length = strlen(name);
    int n = 0;
    while (fgets(line, sizeof line, file) != NULL) {
        if (strncmp(line, name, name_length) != 0 || line[name_length] != ' ')
            continue;
        char *cursor = line + name_length;
        for (;;) {
            char *end;
            long value = strtol(cursor, &end, 10);
            if (end == cursor)
                break;
            assert_true(n < 364);
            out[n++] = (int)value;
            cursor = end;
        }
    }
    fclose(file);
    assert_int_equal(n, 364);
}

static void test_seed42_matches_numpy(void **state)
{
    (void)state;
    static int expected[2][364];
    read_permutation("perm1", expected[0]);
    read_permutation("perm2", expected[1]);
    twins *t = twins_new();
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        rng_lanes lanes;
        assert_int_equal(rng_lanes_init(&lanes, RNG_LANES_MAX, (simd_isa)isa, NULL), 0);
        for (int lane = 0; lane < RNG_LANES_MAX; lane++)
            rng_lanes_seed(&lanes, lane, 42);
        for (int k = 0; k < 2; k++) {
            rng_lanes_permutations(&lanes, 364, t->lane_values);
            for (int lane = 0; lane < RNG_LANES_MAX; lane++)
                assert_memory_equal(t->lane_values[lane], expected[k], sizeof expected[k]);
        }
        printf("%s: 16 lanes seeded 42 give numpy's two permutations of 364\n",
               simd_name((simd_isa)isa));
        rng_lanes_free(&lanes);
    }
    twins_delete(t);
}

/* Exact: 1 to 16 lanes with mixed seeds, a series of permutations of sizes
 * 1, 2, odd, around powers of two and past several refills, each lane
 * against its scalar twin, then the states. */
static void test_every_lane_equals_scalar(void **state)
{
    (void)state;
    static const int sizes[] = {1, 2, 3, 7, 364, 1, 255, 256, 257, 1000, 2, 4099, 91};
    const int n_sizes = (int)(sizeof sizes / sizeof sizes[0]);
    twins *t = twins_new();
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        for (int n_lanes = 1; n_lanes <= RNG_LANES_MAX; n_lanes++) {
            rng_lanes lanes;
            assert_int_equal(rng_lanes_init(&lanes, n_lanes, (simd_isa)isa, NULL), 0);
            for (int lane = 0; lane < n_lanes; lane++) {
                rng_lanes_seed(&lanes, lane, mixed_seed(lane));
                rng_seed(&t->scalar[lane], mixed_seed(lane));
            }
            for (int k = 0; k < n_sizes; k++)
                permute_and_compare(&lanes, t, sizes[k]);
            assert_lanes_match_twins(&lanes, t);
            rng_lanes_free(&lanes);
        }
        printf("%s: 1-16 lanes, %d permutations each, equal to rng_permutation\n",
               simd_name((simd_isa)isa), n_sizes);
    }
    twins_delete(t);
}

/* Exact: permutations of 48000 (the fashion-MNIST train set), about 77
 * refills each, with 3 and 16 lanes. */
static void test_large_permutations(void **state)
{
    (void)state;
    static const int lane_counts[] = {3, 16};
    twins *t = twins_new();
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        for (int c = 0; c < 2; c++) {
            rng_lanes lanes;
            assert_int_equal(rng_lanes_init(&lanes, lane_counts[c], (simd_isa)isa, NULL), 0);
            for (int lane = 0; lane < lanes.n_lanes; lane++) {
                rng_lanes_seed(&lanes, lane, mixed_seed(lane) + 17U);
                rng_seed(&t->scalar[lane], mixed_seed(lane) + 17U);
            }
            permute_and_compare(&lanes, t, MAX_N);
            permute_and_compare(&lanes, t, MAX_N - 1);
            assert_lanes_match_twins(&lanes, t);
            rng_lanes_free(&lanes);
        }
    }
    twins_delete(t);
}

/* Advance a scalar generator by `normals` normal draws and `words` raw
 * words: a position anywhere in its block, with or without a cached
 * normal, as after a model's initial weights. */
static void advance(numpy_rng *rng, uint32_t seed, int normals, int words)
{
    rng_seed(rng, seed);
    for (int i = 0; i < normals; i++)
        (void)rng_gauss(rng);
    for (int i = 0; i < words; i++)
        (void)rng_next_uint32(rng);
}

/* Exact: lanes that continue streams loaded mid-way (positions 0, 1, 623,
 * 624, others; cached normal or not) give the scalar continuation, keep the
 * cached normal, and a stored lane continues as the scalar stream does. */
static void test_loaded_streams_continue(void **state)
{
    (void)state;
    twins *t = twins_new();
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        rng_lanes lanes;
        assert_int_equal(rng_lanes_init(&lanes, RNG_LANES_MAX, (simd_isa)isa, NULL), 0);
        for (int lane = 0; lane < RNG_LANES_MAX; lane++) {
            /* lane 0: the multiclass init of 2 x 3 weights; then varied */
            static const int words[RNG_LANES_MAX] = {0,   1,   623, 624, 0,   2,   5,   300,
                                                     621, 622, 1,   17,  600, 312, 624, 9};
            advance(&t->scalar[lane], mixed_seed(lane), lane == 0 ? 6 : lane % 3, words[lane]);
            rng_lanes_load(&lanes, lane, &t->scalar[lane]);
        }
        assert_lanes_match_twins(&lanes, t);
        permute_and_compare(&lanes, t, 364);
        permute_and_compare(&lanes, t, 5);
        assert_lanes_match_twins(&lanes, t);
        /* a stored lane's normal continues the scalar stream's */
        for (int lane = 0; lane < RNG_LANES_MAX; lane++) {
            numpy_rng stored;
            rng_lanes_store(&lanes, lane, &stored);
            double got = rng_gauss(&stored), expected = rng_gauss(&t->scalar[lane]);
            assert_memory_equal(&got, &expected, sizeof got);
            rng_lanes_load(&lanes, lane, &stored);
        }
        permute_and_compare(&lanes, t, 1001);
        assert_lanes_match_twins(&lanes, t);
        rng_lanes_free(&lanes);
    }
    twins_delete(t);
}

/* Exact: lanes reseeded after use (some, not all) restart their stream,
 * the others go on. */
static void test_reseed_after_use(void **state)
{
    (void)state;
    twins *t = twins_new();
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        rng_lanes lanes;
        assert_int_equal(rng_lanes_init(&lanes, 7, (simd_isa)isa, NULL), 0);
        for (int lane = 0; lane < 7; lane++)
            rng_seed(&t->scalar[lane], 0); /* init's seed */
        permute_and_compare(&lanes, t, 700);
        for (int lane = 0; lane < 7; lane += 2) {
            rng_lanes_seed(&lanes, lane, mixed_seed(lane + 3));
            rng_seed(&t->scalar[lane], mixed_seed(lane + 3));
        }
        permute_and_compare(&lanes, t, 700);
        assert_lanes_match_twins(&lanes, t);
        rng_lanes_free(&lanes);
    }
    twins_delete(t);
}

/* Exact: shuffles of arrays that are not 0..n-1, and raw draws across a
 * refill, equal rng_shuffle and rng_next_uint32. */
static void test_shuffles_and_raw_draws(void **state)
{
    (void)state;
    twins *t = twins_new();
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        rng_lanes lanes;
        assert_int_equal(rng_lanes_init(&lanes, 5, (simd_isa)isa, NULL), 0);
        for (int lane = 0; lane < 5; lane++) {
            rng_lanes_seed(&lanes, lane, mixed_seed(lane));
            rng_seed(&t->scalar[lane], mixed_seed(lane));
            for (int i = 0; i < 333; i++)
                t->lane_values[lane][i] = t->scalar_values[lane][i] = 1000 - 3 * i * lane;
        }
        rng_lanes_shuffles(&lanes, 333, t->lane_values);
        for (int lane = 0; lane < 5; lane++) {
            rng_shuffle(&t->scalar[lane], t->scalar_values[lane], 333);
            assert_memory_equal(t->lane_values[lane], t->scalar_values[lane], 333 * sizeof(int));
            for (int i = 0; i < 1000; i++)
                assert_int_equal(rng_lanes_next_uint32(&lanes, lane),
                                 rng_next_uint32(&t->scalar[lane]));
        }
        assert_lanes_match_twins(&lanes, t);
        rng_lanes_free(&lanes);
    }
    twins_delete(t);
}

/* Lane counts outside 1-16 and unknown instruction sets are refused with a
 * message; free is safe on what a failed init leaves. */
static void test_init_errors(void **state)
{
    (void)state;
    rng_lanes lanes;
    sweep_error err = {0};
    assert_int_equal(rng_lanes_init(&lanes, 0, SIMD_GENERIC, &err), -1);
    assert_int_equal(err.kind, ERROR_RUNTIME);
    assert_non_null(strstr(err.message, "0 lanes"));
    rng_lanes_free(&lanes);
    assert_int_equal(rng_lanes_init(&lanes, RNG_LANES_MAX + 1, SIMD_GENERIC, &err), -1);
    assert_non_null(strstr(err.message, "17 lanes"));
    assert_int_equal(rng_lanes_init(&lanes, 4, SIMD_ISA_COUNT, &err), -1);
    assert_non_null(strstr(err.message, "cannot run"));
    rng_lanes_free(&lanes);
    rng_lanes_free(&lanes);
}

/* ---- bench: W lanes against W scalar permutations ---- */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/* Seconds for `repeats` permutations of n on each of n_lanes streams. */
/* CPU seconds of this thread: on a shared machine the wall clock also
 * counts the time other processes hold the core. */
static double thread_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static double time_scalar(numpy_rng *rngs, int n_lanes, int n, int repeats, int *const *orders)
{
    double start = thread_seconds();
    for (int r = 0; r < repeats; r++)
        for (int lane = 0; lane < n_lanes; lane++)
            rng_permutation(&rngs[lane], orders[lane], n);
    return thread_seconds() - start;
}

static double time_lanes(rng_lanes *lanes, int n, int repeats, int *const *orders)
{
    double start = thread_seconds();
    for (int r = 0; r < repeats; r++)
        rng_lanes_permutations(lanes, n, orders);
    return thread_seconds() - start;
}

static int run_bench(int rounds, int n_lanes)
{
    static const int sizes[2] = {364, 48000};
    static const int repeats[2] = {2000, 15};
    enum { MAX_ROUNDS = 101 };
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 9;
    twins *t = twins_new();
    printf("permutations of %d streams: %d scalar rng_permutation calls against one "
           "rng_lanes_permutations; thread CPU time, median [min, max] of %d alternated rounds\n",
           n_lanes, n_lanes, rounds);
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        for (int s = 0; s < 2; s++) {
            rng_lanes lanes;
            if (rng_lanes_init(&lanes, n_lanes, (simd_isa)isa, NULL) != 0)
                return 1;
            for (int lane = 0; lane < n_lanes; lane++) {
                rng_seed(&t->scalar[lane], 42U + (uint32_t)lane);
                rng_lanes_seed(&lanes, lane, 42U + (uint32_t)lane);
            }
            double ratio[MAX_ROUNDS], scalar_ns[MAX_ROUNDS], lanes_ns[MAX_ROUNDS];
            double per = 1e9 / ((double)repeats[s] * n_lanes * sizes[s]);
            for (int r = 0; r < rounds; r++) {
                double a, b;
                if (r % 2 == 0) {
                    a = time_scalar(t->scalar, n_lanes, sizes[s], repeats[s], t->scalar_values);
                    b = time_lanes(&lanes, sizes[s], repeats[s], t->lane_values);
                } else {
                    b = time_lanes(&lanes, sizes[s], repeats[s], t->lane_values);
                    a = time_scalar(t->scalar, n_lanes, sizes[s], repeats[s], t->scalar_values);
                }
                ratio[r] = a / b;
                scalar_ns[r] = a * per;
                lanes_ns[r] = b * per;
            }
            double r_med = median(ratio, rounds), r_min = ratio[0], r_max = ratio[rounds - 1];
            double s_med = median(scalar_ns, rounds), l_med = median(lanes_ns, rounds);
            /* the fastest rounds, least disturbed by other processes */
            printf("%-7s n %5d: scalar %.2f ns/element (fastest %.2f), lanes %.2f (fastest %.2f), "
                   "speedup %.2fx [%.2f, %.2f]\n",
                   simd_name((simd_isa)isa), sizes[s], s_med, scalar_ns[0], l_med, lanes_ns[0],
                   r_med, r_min, r_max);
            rng_lanes_free(&lanes);
        }
    }
    twins_delete(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "bench") == 0)
        return run_bench(argc > 2 ? atoi(argv[2]) : 9, argc > 3 ? atoi(argv[3]) : 8);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed42_matches_numpy),
        cmocka_unit_test(test_every_lane_equals_scalar),
        cmocka_unit_test(test_large_permutations),
        cmocka_unit_test(test_loaded_streams_continue),
        cmocka_unit_test(test_reseed_after_use),
        cmocka_unit_test(test_shuffles_and_raw_draws),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
