/* Tests of src/schedule.c: the training order and the shards of a grid.
 *
 * Reference: hand-worked examples (greedy dealing of known costs) and the
 * invariants (shards disjoint, covering, balanced to within one run's cost,
 * the same on every call). Tolerance: none; run numbers are compared
 * exactly, costs with ==. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

/* Only the shape enters the cost. */
static const dataset DATA = {.n_features = 30, .n_train = 364, .n_val = 91};

static train_params run_with(int epochs, int batch_size)
{
    train_params params = params_defaults();
    params.epochs = epochs;
    params.batch_size = batch_size;
    return params;
}

static void cost_grows_with_epochs_units_and_small_batches(void **state)
{
    (void)state;
    train_params base = run_with(100, 32);
    train_params longer = run_with(200, 32), smaller = run_with(100, 1), wider = base;
    wider.units = 20;
    double cost = schedule_cost(&base, &DATA);
    /* Exactly proportional to the epochs (a product in doubles). */
    assert_true(schedule_cost(&longer, &DATA) == 2 * cost);
    assert_true(schedule_cost(&smaller, &DATA) > cost);
    assert_true(schedule_cost(&wider, &DATA) > cost);
}

static void order_is_most_expensive_first_ties_in_grid_order(void **state)
{
    (void)state;
    const int epochs[6] = {5, 10, 7, 10, 1, 7};
    train_params runs[6];
    for (int i = 0; i < 6; i++)
        runs[i] = run_with(epochs[i], 32);
    size_t schedule[6], n = 0;
    sweep_error err = {0};
    assert_int_equal(schedule_order(runs, 6, NULL, &DATA, schedule, &n, &err), 0);
    const size_t expected[6] = {1, 3, 2, 5, 0, 4};
    assert_int_equal(n, 6);
    assert_memory_equal(schedule, expected, sizeof expected);
    /* Runs kept from a file (copy_from >= 0) are not scheduled. */
    const long long copy_from[6] = {-1, 0, -1, -1, 3, -1};
    assert_int_equal(schedule_order(runs, 6, copy_from, &DATA, schedule, &n, &err), 0);
    const size_t kept_out[4] = {3, 2, 5, 0};
    assert_int_equal(n, 4);
    assert_memory_equal(schedule, kept_out, sizeof kept_out);
}

/* Costs 10..5 (by epochs) over 2 shards, dealt greedily by hand:
 * 10->A, 9->B, 8->B (9 < 10), 7->A (17 = 17: the lower shard),
 * 6->A (17 = 17), 5->B (22 < 23). */
static void shards_dealt_greedily_by_cost(void **state)
{
    (void)state;
    train_params runs[6];
    for (int i = 0; i < 6; i++)
        runs[i] = run_with(10 - i, 32);
    sweep_error err = {0};
    size_t *members = NULL, n = 0;
    assert_int_equal(schedule_shard(runs, 6, &DATA, 0, 2, &members, &n, &err), 0);
    const size_t first[3] = {0, 3, 4};
    assert_int_equal(n, 3);
    assert_memory_equal(members, first, sizeof first);
    free(members);
    assert_int_equal(schedule_shard(runs, 6, &DATA, 1, 2, &members, &n, &err), 0);
    const size_t second[3] = {1, 2, 5};
    assert_int_equal(n, 3);
    assert_memory_equal(members, second, sizeof second);
    free(members);
}

/* A grid like a user's: 4 batch sizes x 3 epochs x 5 seeds = 60 runs, into
 * 1..7 shards: every run in exactly one shard, in ascending order, totals
 * within the largest run's cost of each other, the same on a second call. */
static void shards_cover_the_grid_disjoint_and_balanced(void **state)
{
    (void)state;
    enum { N = 60 };
    train_params runs[N];
    const int batch_sizes[4] = {1, 16, 64, 364}, epochs[3] = {50, 100, 400};
    double largest = 0;
    for (int i = 0; i < N; i++) {
        runs[i] = run_with(epochs[(i / 5) % 3], batch_sizes[i / 15]);
        runs[i].seed = (uint32_t)(i % 5);
        double cost = schedule_cost(&runs[i], &DATA);
        largest = cost > largest ? cost : largest;
    }
    sweep_error err = {0};
    for (int count = 1; count <= 7; count++) {
        int owner[N];
        double load[7] = {0};
        for (int i = 0; i < N; i++)
            owner[i] = -1;
        for (int shard = 0; shard < count; shard++) {
            size_t *members = NULL, *again = NULL, n = 0, n_again = 0;
            assert_int_equal(schedule_shard(runs, N, &DATA, shard, count, &members, &n, &err), 0);
            assert_true(n >= 1);
            for (size_t i = 0; i < n; i++) {
                assert_true(members[i] < N);
                assert_int_equal(owner[members[i]], -1); /* disjoint */
                owner[members[i]] = shard;
                load[shard] += schedule_cost(&runs[members[i]], &DATA);
                if (i > 0)
                    assert_true(members[i] > members[i - 1]);
            }
            assert_int_equal(schedule_shard(runs, N, &DATA, shard, count, &again, &n_again, &err),
                             0);
            assert_int_equal(n_again, n);
            assert_memory_equal(again, members, n * sizeof *members);
            free(members);
            free(again);
        }
        for (int i = 0; i < N; i++)
            assert_true(owner[i] >= 0); /* covering */
        double low = load[0], high = load[0];
        for (int shard = 1; shard < count; shard++) {
            low = load[shard] < low ? load[shard] : low;
            high = load[shard] > high ? load[shard] : high;
        }
        assert_true(high - low <= largest);
    }
}

static void impossible_shards_refused(void **state)
{
    (void)state;
    train_params runs[3] = {run_with(1, 1), run_with(2, 1), run_with(3, 1)};
    size_t *members = NULL, n = 0;
    sweep_error err = {0};
    assert_int_equal(schedule_shard(runs, 3, &DATA, 0, 4, &members, &n, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, "--shard 0/4: the grid has only 3 runs, so some shards "
                                     "would be empty; use at most 3 shards");
    assert_null(members);
    assert_int_equal(schedule_shard(runs, 3, &DATA, 3, 3, &members, &n, &err), -1);
    assert_string_equal(err.message, "--shard 3/3: expected K/N with 0 <= K < N");
    assert_int_equal(schedule_shard(runs, 3, &DATA, 0, 1, &members, &n, &err), 0);
    assert_int_equal(n, 3); /* one shard: the whole grid */
    free(members);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cost_grows_with_epochs_units_and_small_batches),
        cmocka_unit_test(order_is_most_expensive_first_ties_in_grid_order),
        cmocka_unit_test(shards_dealt_greedily_by_cost),
        cmocka_unit_test(shards_cover_the_grid_disjoint_and_balanced),
        cmocka_unit_test(impossible_shards_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
