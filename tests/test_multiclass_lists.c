/* test_multiclass_lists.c: the rows' input lists stored once per run
 * (src/multiclass_lists.c) and the multi-class kernels that walk them
 * (src/multiclass_simd.inc), against tests/reference_multiclass.c.
 *
 * - multiclass_fill_lists: every nonzero input listed in feature order,
 *   chunk starts where MULTICLASS_CHUNK says, each value given back with
 *   its exact bits; refused past MULTICLASS_CODES distinct values.
 * - training on data with few distinct values (as fashion-MNIST's k/255
 *   pixels), which takes the stored lists, equals the dense scalar
 *   reference BIT FOR BIT on every instruction set: odd batches, a batch
 *   over one block of rows, val rows over one evaluation chunk, rows and
 *   chunks without a nonzero input, a diverging run (non-finite weights
 *   and errors), and one worker's state reused across data sets with and
 *   without stored lists.
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

#include "model.h"
#include "multiclass.h"
#include "multiclass_lists.h"
#include "train.h"

#include "reference_multiclass.c"

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* ---- multiclass_fill_lists ---- */

enum { FILL_FEATURES = 100, FILL_ROWS = 3 }; /* chunks of 48, 48 and 4 */

static void check_lists_of(const double *x, int n)
{
    const int words = (FILL_FEATURES + 63) / 64, chunks = 3;
    uint64_t masks[FILL_ROWS * 2];
    multiclass_row_masks(x, FILL_FEATURES, n, words, masks);
    const size_t entries = multiclass_count_inputs(masks, n, words);
    int start[FILL_ROWS * 3 + 1];
    uint16_t feature[FILL_ROWS * FILL_FEATURES];
    uint8_t code[FILL_ROWS * FILL_FEATURES];
    double table[MULTICLASS_CODES];
    multiclass_lists lists;
    assert_true(multiclass_fill_lists(x, FILL_FEATURES, n, masks, words, start, feature, code,
                                      table, &lists));
    assert_int_equal(lists.chunks, chunks);
    assert_int_equal(start[n * chunks], (int)entries);
    int e = 0;
    for (int r = 0; r < n; r++)
        for (int f = 0; f < FILL_FEATURES; f++) {
            if (f % MULTICLASS_CHUNK == 0)
                assert_int_equal(start[r * chunks + f / MULTICLASS_CHUNK], e);
            const double value = x[r * FILL_FEATURES + f];
            if (value == 0.0)
                continue; /* +0.0 and -0.0: not listed */
            assert_int_equal(feature[e], f);
            if (!same_bits(lists.table[code[e]], value))
                fail_msg("row %d feature %d: %.17g listed as %.17g", r, f, value,
                         lists.table[code[e]]);
            e++;
        }
    assert_int_equal(e, (int)entries);
}

/* Rows: all zero; nonzero at the chunks' first and last features only;
 * every feature nonzero, with -0.0, infinities, NaNs of two payloads,
 * a subnormal and values repeated. */
static void test_fill_lists(void **state)
{
    (void)state;
    static double x[FILL_ROWS * FILL_FEATURES];
    memset(x, 0, sizeof x);
    static const int edges[] = {0, 47, 48, 95, 96, 99};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        x[FILL_FEATURES + edges[i]] = (double)(i + 1) / 255.0;
    const uint64_t payload = 0x7ff8000000000123u;
    double nan_payload;
    memcpy(&nan_payload, &payload, sizeof nan_payload);
    const double specials[] = {-0.0, INFINITY, -INFINITY, NAN, nan_payload, 4.9e-324, -1.5};
    for (int f = 0; f < FILL_FEATURES; f++)
        x[2 * FILL_FEATURES + f] = f % 9 < 7 ? specials[f % 9] : (double)(f % 5 + 1) / 255.0;
    check_lists_of(x, FILL_ROWS);
    check_lists_of(x + FILL_FEATURES, 1); /* a set of one row */
}

/* MULTICLASS_CODES distinct nonzero values are stored; one more is not. */
static void test_fill_lists_codes_limit(void **state)
{
    (void)state;
    enum { ROWS = 4, FEATURES = 70 }; /* 280 inputs */
    static double x[ROWS * FEATURES];
    static int start[ROWS * 2 + 1];
    static uint16_t feature[ROWS * FEATURES];
    static uint8_t code[ROWS * FEATURES];
    double table[MULTICLASS_CODES];
    uint64_t masks[ROWS * 2];
    multiclass_lists lists;
    for (int i = 0; i < ROWS * FEATURES; i++)
        x[i] = (double)(i % MULTICLASS_CODES + 1); /* 256 values */
    multiclass_row_masks(x, FEATURES, ROWS, 2, masks);
    assert_true(
        multiclass_fill_lists(x, FEATURES, ROWS, masks, 2, start, feature, code, table, &lists));
    x[ROWS * FEATURES - 1] = 0.5; /* the 257th */
    multiclass_row_masks(x, FEATURES, ROWS, 2, masks);
    assert_false(
        multiclass_fill_lists(x, FEATURES, ROWS, masks, 2, start, feature, code, table, &lists));
}

/* ---- training over stored lists against the reference ---- */

/* Sparse rows of 150 features (chunks 48, 48, 48, 6) whose values are
 * `levels` multiples of 1/64 (few distinct values: stored lists) or, with
 * levels 0, continuous (listed batch by batch); by row kind: all zero, one
 * chunk zero, all nonzero, only the chunks' first and last features, and
 * random with two thirds zero. */
enum { SET_FEATURES = 150, SET_CLASSES = 4, SET_TRAIN = 600, SET_VAL = 300, SET_TEST = 20 };

typedef struct {
    dataset data;
    double *memory[6];
} made_set;

static bool kind_zero(int kind, int f, uint32_t draw)
{
    switch (kind) {
    case 0:
        return true;
    case 1:
        return (f >= MULTICLASS_CHUNK && f < 2 * MULTICLASS_CHUNK) || draw % 3 != 0;
    case 2:
        return false;
    case 3:
        return !(f % MULTICLASS_CHUNK == 0 || f % MULTICLASS_CHUNK == MULTICLASS_CHUNK - 1 ||
                 f == SET_FEATURES - 1);
    default:
        return draw % 3 != 0;
    }
}

static void fill_rows(double *x, double *y, int n, int levels, uint32_t *state)
{
    for (int r = 0; r < n; r++) {
        for (int f = 0; f < SET_FEATURES; f++) {
            *state = *state * 1664525u + 1013904223u;
            const uint32_t draw = *state >> 8;
            const double value = levels > 0 ? (double)((int)(draw % (uint32_t)levels) - 20) / 64.0
                                            : (double)draw / (double)(1u << 24) - 0.3;
            x[(size_t)r * SET_FEATURES + f] = kind_zero(r % 7, f, *state >> 4) ? 0.0 : value;
        }
        y[r] = (double)((r * 3 + r / 5) % SET_CLASSES);
    }
}

static void make_set(made_set *set, int levels, uint32_t seed)
{
    const int rows[3] = {SET_TRAIN, SET_VAL, SET_TEST};
    for (int i = 0; i < 3; i++) {
        set->memory[2 * i] = malloc((size_t)rows[i] * SET_FEATURES * sizeof(double));
        set->memory[2 * i + 1] = malloc((size_t)rows[i] * sizeof(double));
        assert_non_null(set->memory[2 * i]);
        assert_non_null(set->memory[2 * i + 1]);
        fill_rows(set->memory[2 * i], set->memory[2 * i + 1], rows[i], levels, &seed);
    }
    set->data = (dataset){.name = levels > 0 ? "coded" : "continuous",
                          .n_features = SET_FEATURES,
                          .n_classes = SET_CLASSES,
                          .n_train = SET_TRAIN,
                          .n_val = SET_VAL,
                          .n_test = SET_TEST,
                          .x_train = set->memory[0],
                          .y_train = set->memory[1],
                          .x_val = set->memory[2],
                          .y_val = set->memory[3],
                          .x_test = set->memory[4],
                          .y_test = set->memory[5]};
}

static void free_set(made_set *set)
{
    for (int i = 0; i < 6; i++)
        free(set->memory[i]);
}

/* Whether the set's train and val rows get stored lists. */
static bool stores_lists(const dataset *data)
{
    const int words = (SET_FEATURES + 63) / 64;
    const int n[2] = {data->n_train, data->n_val};
    const double *x[2] = {data->x_train, data->x_val};
    bool all = true;
    for (int i = 0; i < 2; i++) {
        uint64_t *masks = malloc((size_t)n[i] * words * sizeof(uint64_t));
        int *start = malloc(((size_t)n[i] * 4 + 1) * sizeof(int));
        uint16_t *feature = malloc((size_t)n[i] * SET_FEATURES * sizeof(uint16_t));
        uint8_t *code = malloc((size_t)n[i] * SET_FEATURES);
        double table[MULTICLASS_CODES];
        multiclass_lists lists;
        multiclass_row_masks(x[i], SET_FEATURES, n[i], words, masks);
        all = all && multiclass_fill_lists(x[i], SET_FEATURES, n[i], masks, words, start, feature,
                                           code, table, &lists);
        free(masks), free(start), free(feature), free(code);
    }
    return all;
}

static train_params mc_params(int batch_size, double lr, double l1, double l2, int units,
                              int epochs, uint32_t seed)
{
    train_params params = params_defaults();
    params.model = MODEL_MULTICLASS;
    params.batch_size = batch_size;
    params.learning_rate = lr;
    params.l1 = l1;
    params.l2 = l2;
    params.units = units;
    params.epochs = epochs;
    params.seed = seed;
    return params;
}

static bool same_doubles(const double *a, const double *b, int n)
{
    return memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

/* The run of `params` on `data` by `workspace` equals the reference's bits. */
static void check_run(train_workspace *workspace, const dataset *data, const train_params *params,
                      const char *label)
{
    refmc_result reference;
    refmc_run(data, params, &reference);
    run_result fast;
    sweep_error err = {0};
    assert_int_equal(run_result_init(&fast, params->epochs, &err), 0);
    if (train_run(workspace, data, params, &fast, &err) != 0)
        fail_msg("%s: train_run: %s", label, err.message);
    if (fast.epochs_done != reference.epochs_done ||
        !same_doubles(fast.train_loss, reference.train_loss, params->epochs) ||
        !same_doubles(fast.val_loss, reference.val_loss, params->epochs))
        fail_msg("%s: curves differ from the reference (epochs %d vs %d)", label, fast.epochs_done,
                 reference.epochs_done);
    if (!same_doubles(&fast.train_score, &reference.train_score, 1) ||
        !same_doubles(&fast.val_score, &reference.val_score, 1) ||
        !same_doubles(&fast.test_score, &reference.test_score, 1))
        fail_msg("%s: scores differ from the reference", label);
    run_result_free(&fast);
    refmc_result_free(&reference);
}

/* Batches: 7 (odd: a row left from the pairs), 301 (a block of 256 rows
 * and one of 45), 1, all 600 rows; units within one register block, over
 * one (130: 17 AVX-512 vectors), one unit; L1 and L2. The val rows (300)
 * span two evaluation chunks of 256 rows. */
static void test_stored_equals_reference(void **state)
{
    (void)state;
    made_set set;
    make_set(&set, 200, 777u);
    assert_true(stores_lists(&set.data));
    const train_params cases[] = {
        mc_params(7, 0.05, 0.001, 0.01, 45, 2, 8), mc_params(301, 0.2, 0.0, 0.001, 130, 3, 3),
        mc_params(1, 0.01, 0.0, 0.0, 1, 1, 5),     mc_params(600, 0.3, 0.01, 0.0, 20, 4, 1),
        mc_params(64, 0.1, 0.0, 0.0, 100, 2, 42),
    };
    int compared = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
            if (!simd_supported((simd_isa)isa))
                continue;
            train_workspace *workspace = train_workspace_new_for((simd_isa)isa);
            assert_non_null(workspace);
            char label[96];
            snprintf(label, sizeof label, "stored case %zu [%s]", c, simd_name((simd_isa)isa));
            check_run(workspace, &set.data, &cases[c], label);
            train_workspace_delete(workspace);
            compared++;
        }
    assert_true(compared >= 5);
    free_set(&set);
}

/* A run that diverges (its weights and errors turn infinite and NaN) stops
 * where the reference stops, with its losses: a stored list holds no zero
 * input whose 0 * inf would add a NaN. */
static void test_stored_divergence(void **state)
{
    (void)state;
    made_set set;
    make_set(&set, 200, 31u);
    const train_params params = mc_params(16, 40.0, 0.0, 30.0, 24, 12, 42);
    int compared = 0;
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        train_workspace *workspace = train_workspace_new_for((simd_isa)isa);
        char label[96];
        snprintf(label, sizeof label, "divergence [%s]", simd_name((simd_isa)isa));
        check_run(workspace, &set.data, &params, label);
        train_workspace_delete(workspace);
        compared++;
    }
    refmc_result reference;
    refmc_run(&set.data, &params, &reference);
    assert_true(reference.epochs_done < params.epochs); /* it did diverge */
    refmc_result_free(&reference);
    assert_true(compared >= 1);
    free_set(&set);
}

/* One worker's state trains, in turn, data with stored lists, data
 * without (listed batch by batch), other data with stored lists and the
 * first again: no run sees another's lists. */
static void test_worker_reuse(void **state)
{
    (void)state;
    made_set coded, continuous, other;
    make_set(&coded, 200, 5u);
    make_set(&continuous, 0, 6u);
    make_set(&other, 90, 7u);
    assert_true(stores_lists(&coded.data));
    assert_false(stores_lists(&continuous.data));
    const train_params params = mc_params(32, 0.1, 0.0, 0.01, 30, 2, 9);
    for (int isa = 0; isa < SIMD_ISA_COUNT; isa++) {
        if (!simd_supported((simd_isa)isa))
            continue;
        train_workspace *workspace = train_workspace_new_for((simd_isa)isa);
        const dataset *order[] = {&coded.data, &continuous.data, &other.data, &coded.data};
        for (int i = 0; i < 4; i++) {
            char label[96];
            snprintf(label, sizeof label, "run %d on %s [%s]", i, order[i]->name,
                     simd_name((simd_isa)isa));
            check_run(workspace, order[i], &params, label);
        }
        train_workspace_delete(workspace);
    }
    free_set(&coded);
    free_set(&continuous);
    free_set(&other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_lists),
        cmocka_unit_test(test_fill_lists_codes_limit),
        cmocka_unit_test(test_stored_equals_reference),
        cmocka_unit_test(test_stored_divergence),
        cmocka_unit_test(test_worker_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
