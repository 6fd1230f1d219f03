/* test_config.c: reading, overriding and validating sweep configs.
 *
 * Messages are compared as whole strings, positions included (LINE:COL are
 * 1-based; the columns were counted by hand from the test's text). Numbers
 * are compared exactly: they are parsed from decimal text by strtod, so the
 * expected value is the same C literal (tolerance 0). The fixtures are in
 * tests/data/configs/. Run under -fsanitize=address,undefined, every path
 * here (errors included) must free everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data"
#endif

/* Loads `text` named "t.yaml" (or `path`) with the given overrides. */
static int load_with(const char *text, const char *path, const char *const *overrides,
                     int n_overrides, size_t max_runs, sweep_config *config, sweep_error *err)
{
    config_options options = {overrides, n_overrides, max_runs};
    error_clear(err);
    return config_load_text(text, strlen(text), path != NULL ? path : "t.yaml", &options, config,
                            err);
}

static void load_ok(const char *text, const char *path, const char *const *overrides,
                    int n_overrides, sweep_config *config)
{
    sweep_error err = {0};
    if (load_with(text, path, overrides, n_overrides, 0, config, &err) != 0)
        fail_msg("unexpected error: %s", err.message);
    assert_int_equal(err.kind, ERROR_NONE);
}

static void assert_grid_key(const grid_spec *grid, int k, param_id key, const double *values,
                            int n_values)
{
    assert_true(k < grid->n_keys);
    assert_int_equal(grid->keys[k], key);
    assert_int_equal(grid->n_values[k], n_values);
    for (int i = 0; i < n_values; i++)
        if (grid->values[k][i] != values[i])
            fail_msg("grid key %d value %d: got %.17g, expected %.17g", k, i, grid->values[k][i],
                     values[i]);
}

/* Field by field: train_params has padding, so memcmp would compare garbage. */
static void assert_params_equal(const train_params *actual, const train_params *expected)
{
    for (int id = 0; id < PARAM_COUNT; id++)
        if (params_get(actual, (param_id)id) != params_get(expected, (param_id)id))
            fail_msg("%s: got %.17g, expected %.17g", PARAM_INFO[id].name,
                     params_get(actual, (param_id)id), params_get(expected, (param_id)id));
}

/* ---- valid configs -------------------------------------------------------- */

static const char FULL_EFFECTIVE[] = "name: \"full_example\"\n"
                                     "dataset:\n"
                                     "  path: \"data/my.csv\"\n"
                                     "  target: \"label\"\n"
                                     "  val_fraction: 0.25\n"
                                     "  test_fraction: 0.1\n"
                                     "  split_seed: 7\n"
                                     "  standardize: false\n"
                                     "model:\n"
                                     "  batch_size: 16\n"
                                     "  learning_rate: 0.05\n"
                                     "  l1: 0.001\n"
                                     "  l2: 0.0001\n"
                                     "  units: 8\n"
                                     "  epochs: 20\n"
                                     "  seed: 3\n"
                                     "grid:\n"
                                     "  - batch_size: [8, 16]\n"
                                     "    seed: [10, 7]\n"
                                     "  - learning_rate: [0.001, 0.01, 0.1]\n"
                                     "    l1: [0.0, 0.005, 0.01]\n"
                                     "    units: [4]\n"
                                     "output: \"out/full.h5\"\n"
                                     "threads: 2\n";

/* Every field of the format set in one file (tests/data/configs/full.yaml). */
static void test_full_config_from_file(void **state)
{
    (void)state;
    const char *path = TEST_DATA_DIR "/configs/full.yaml";
    sweep_config config;
    sweep_error err = {0};
    if (config_load(path, NULL, &config, &err) != 0)
        fail_msg("unexpected error: %s", err.message);

    assert_string_equal(config.path, path);
    assert_non_null(strstr(config.text, "name: full_example\n"));
    assert_string_equal(config.name, "full_example");
    assert_string_equal(config.dataset_name, "data/my.csv");
    assert_string_equal(config.dataset_path, TEST_DATA_DIR "/configs/data/my.csv");
    assert_string_equal(config.dataset_target, "label");
    assert_null(config.dataset_split);
    assert_null(config.dataset.builtin);
    assert_ptr_equal(config.dataset.path, config.dataset_path);
    assert_ptr_equal(config.dataset.target, config.dataset_target);
    assert_null(config.dataset.split_column);
    assert_true(config.dataset.val_fraction == 0.25);
    assert_true(config.dataset.test_fraction == 0.1);
    assert_int_equal(config.dataset.split_seed, 7);
    assert_false(config.dataset.standardize);

    assert_int_equal(config.model.units, 8);
    assert_true(config.model.learning_rate == 0.05);
    assert_int_equal(config.model.epochs, 20);
    assert_int_equal(config.model.batch_size, 16);
    assert_true(config.model.l1 == 0.001);
    assert_true(config.model.l2 == 0.0001);
    assert_int_equal(config.model.seed, 3);

    assert_int_equal(config.n_grids, 2);
    assert_int_equal(config.grids[0].n_keys, 2);
    assert_grid_key(&config.grids[0], 0, PARAM_BATCH_SIZE, (const double[]){8, 16}, 2);
    assert_grid_key(&config.grids[0], 1, PARAM_SEED, (const double[]){10, 7}, 2);
    assert_int_equal(config.grids[1].n_keys, 3);
    assert_grid_key(&config.grids[1], 0, PARAM_LEARNING_RATE, (const double[]){0.001, 0.01, 0.1},
                    3);
    assert_grid_key(&config.grids[1], 1, PARAM_L1, (const double[]){0.0, 0.005, 0.01}, 3);
    assert_grid_key(&config.grids[1], 2, PARAM_UNITS, (const double[]){4}, 1);
    assert_int_equal(config.n_runs, 2 * 2 + 3 * 3 * 1);

    assert_string_equal(config.output, "out/full.h5");
    assert_int_equal(config.threads, 2);
    assert_string_equal(config.overrides, "");
    assert_string_equal(config.effective, FULL_EFFECTIVE);
    config_free(&config);
}

/* Reading the effective text back gives the same configuration and runs. */
static void test_effective_reads_back_the_same(void **state)
{
    (void)state;
    const char *path = TEST_DATA_DIR "/configs/full.yaml";
    const char *overrides[] = {"model.epochs=9"};
    sweep_config first, second;
    sweep_error err = {0};
    config_options options = {overrides, 1, 0};
    if (config_load(path, &options, &first, &err) != 0)
        fail_msg("unexpected error: %s", err.message);
    load_ok(first.effective, path, NULL, 0, &second);
    assert_string_equal(second.effective, first.effective);
    assert_string_equal(second.dataset_path, first.dataset_path);

    train_params *runs_first = NULL, *runs_second = NULL;
    size_t n_first = 0, n_second = 0;
    assert_int_equal(grid_expand(&first.model, first.grids, first.n_grids, 0, &runs_first, &n_first,
                                 &err),
                     0);
    assert_int_equal(grid_expand(&second.model, second.grids, second.n_grids, 0, &runs_second,
                                 &n_second, &err),
                     0);
    assert_int_equal(n_first, 13);
    assert_int_equal(n_second, n_first);
    for (size_t r = 0; r < n_first; r++)
        assert_params_equal(&runs_second[r], &runs_first[r]);
    assert_int_equal(runs_first[0].epochs, 9);
    free(runs_first);
    free(runs_second);
    config_free(&first);
    config_free(&second);
}

static const char DEFAULT_EFFECTIVE[] = "name: \"batch_grid\"\n"
                                        "dataset:\n"
                                        "  builtin: \"wdbc\"\n"
                                        "  target: \"target\"\n"
                                        "  split: \"split\"\n"
                                        "  standardize: true\n"
                                        "model:\n"
                                        "  batch_size: 32\n"
                                        "  learning_rate: 0.1\n"
                                        "  l1: 0.0\n"
                                        "  l2: 0.0\n"
                                        "  units: 10\n"
                                        "  epochs: 500\n"
                                        "  seed: 42\n"
                                        "grid: {}\n"
                                        "output: \"results/batch_grid.h5\"\n"
                                        "threads: 0\n";

/* A config that sets nothing: every default, one run. */
static void test_defaults(void **state)
{
    (void)state;
    sweep_config config;
    load_ok("model: {}\n", "configs/batch_grid.yaml", NULL, 0, &config);

    assert_string_equal(config.name, "batch_grid");
    assert_string_equal(config.output, "results/batch_grid.h5");
    dataset_spec expected = dataset_spec_default();
    assert_string_equal(config.dataset_name, "wdbc");
    assert_ptr_equal(config.dataset.builtin, config.dataset_name);
    assert_null(config.dataset.path);
    assert_null(config.dataset_path);
    assert_string_equal(config.dataset.target, expected.target);
    assert_ptr_equal(config.dataset.target, config.dataset_target);
    assert_string_equal(config.dataset.split_column, expected.split_column);
    assert_ptr_equal(config.dataset.split_column, config.dataset_split);
    assert_int_equal(config.dataset.standardize, expected.standardize);

    train_params defaults = params_defaults();
    assert_params_equal(&config.model, &defaults);
    assert_int_equal(config.n_grids, 0);
    assert_null(config.grids);
    assert_int_equal(config.n_runs, 1);
    assert_int_equal(config.threads, 0);
    assert_string_equal(config.overrides, "");
    assert_string_equal(config.effective, DEFAULT_EFFECTIVE);
    config_free(&config);

    /* `dataset: wdbc` and `grid: {}` are the same as leaving them out. */
    load_ok("dataset: wdbc\ngrid: {}\n", "configs/batch_grid.yaml", NULL, 0, &config);
    assert_string_equal(config.effective, DEFAULT_EFFECTIVE);
    config_free(&config);
}

/* The example of the format's documentation: 6 * 2 * 5 runs in
 * itertools.product order (batch_size slowest, seed fastest). */
static void test_documented_example(void **state)
{
    (void)state;
    const char *text = "name: batch_grid\n"
                       "dataset: wdbc\n"
                       "model:\n"
                       "  units: 10\n"
                       "  learning_rate: 0.1\n"
                       "  epochs: 500\n"
                       "  batch_size: 32\n"
                       "  l1: 0.0\n"
                       "  l2: 0.0\n"
                       "  seed: 42\n"
                       "grid:\n"
                       "  batch_size: [8, 16, 32, 64, 128, 364]\n"
                       "  l2: [0.0, 0.01]\n"
                       "  seed: {range: [0, 5]}\n"
                       "output: results/batch_grid.h5\n"
                       "threads: 0\n";
    sweep_config config;
    sweep_error err = {0};
    load_ok(text, "configs/example.yaml", NULL, 0, &config);
    assert_int_equal(config.n_runs, 60);
    train_params *runs = NULL;
    size_t n_runs = 0;
    assert_int_equal(grid_expand(&config.model, config.grids, config.n_grids, 0, &runs, &n_runs,
                                 &err),
                     0);
    assert_int_equal(n_runs, 60);
    assert_int_equal(runs[0].batch_size, 8);
    assert_true(runs[0].l2 == 0.0);
    assert_int_equal(runs[0].seed, 0);
    assert_int_equal(runs[4].seed, 4);
    assert_true(runs[5].l2 == 0.01);
    assert_int_equal(runs[5].seed, 0);
    assert_int_equal(runs[10].batch_size, 16);
    assert_int_equal(runs[59].batch_size, 364);
    assert_true(runs[59].l2 == 0.01);
    assert_int_equal(runs[59].seed, 4);
    assert_int_equal(runs[59].epochs, 500);
    free(runs);
    config_free(&config);
}

/* name: defaults to the file's stem (as Python's Path.stem), output: to
 * results/<name>.h5; tests/data/configs/stem_only.yaml has neither. */
static void test_name_and_output_from_the_file_name(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *name;
    } cases[] = {
        {"configs/batch_grid.yaml", "batch_grid"},
        {"a.b/run.v2.yml", "run.v2"},
        {"no_extension", "no_extension"},
        {"dir/.hidden", ".hidden"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sweep_config config;
        char output[64];
        load_ok("threads: 1\n", cases[c].path, NULL, 0, &config);
        assert_string_equal(config.name, cases[c].name);
        snprintf(output, sizeof output, "results/%s.h5", cases[c].name);
        assert_string_equal(config.output, output);
        config_free(&config);
    }

    sweep_config config;
    sweep_error err = {0};
    if (config_load(TEST_DATA_DIR "/configs/stem_only.yaml", NULL, &config, &err) != 0)
        fail_msg("unexpected error: %s", err.message);
    assert_string_equal(config.name, "stem_only");
    assert_string_equal(config.output, "results/stem_only.h5");
    assert_int_equal(config.model.epochs, 5);
    config_free(&config);

    /* An explicit name: gives the default output its name. */
    load_ok("name: mine\n", "configs/x.yaml", NULL, 0, &config);
    assert_string_equal(config.output, "results/mine.h5");
    config_free(&config);
}

/* A relative dataset path is relative to the config's folder; the fraction
 * defaults apply when there is no split column. */
static void test_dataset_paths_and_splits(void **state)
{
    (void)state;
    sweep_config config;
    load_ok("dataset:\n  path: data/my.csv\n", "configs/x.yaml", NULL, 0, &config);
    assert_string_equal(config.dataset_name, "data/my.csv");
    assert_string_equal(config.dataset_path, "configs/data/my.csv");
    assert_ptr_equal(config.dataset.path, config.dataset_path);
    assert_null(config.dataset.builtin);
    assert_string_equal(config.dataset.target, "target");
    assert_null(config.dataset.split_column);
    assert_true(config.dataset.val_fraction == 0.2);
    assert_true(config.dataset.test_fraction == 0.0);
    assert_int_equal(config.dataset.split_seed, 42);
    assert_true(config.dataset.standardize);
    config_free(&config);

    load_ok("dataset: {path: /abs/my.csv, split: part}\n", "configs/x.yaml", NULL, 0, &config);
    assert_string_equal(config.dataset_path, "/abs/my.csv");
    assert_string_equal(config.dataset.split_column, "part");
    config_free(&config);

    load_ok("dataset: {path: my.csv, test_fraction: 0.5}\n", "x.yaml", NULL, 0, &config);
    assert_string_equal(config.dataset_path, "my.csv");
    assert_true(config.dataset.val_fraction == 0.2);
    assert_true(config.dataset.test_fraction == 0.5);
    config_free(&config);

    /* A mapping without path: is the built-in set with other options. */
    load_ok("dataset: {val_fraction: 0.3, standardize: false}\n", "x.yaml", NULL, 0, &config);
    assert_string_equal(config.dataset.builtin, "wdbc");
    assert_null(config.dataset.path);
    assert_null(config.dataset.split_column);
    assert_true(config.dataset.val_fraction == 0.3);
    assert_true(config.dataset.test_fraction == 0.0);
    assert_int_equal(config.dataset.split_seed, 42);
    assert_false(config.dataset.standardize);
    config_free(&config);

    /* The other built-in sets: the textbook's split unless said otherwise. */
    const char *names[] = {"iris", "wine", "digits"};
    for (int i = 0; i < 3; i++) {
        char text[64];
        snprintf(text, sizeof text, "dataset: %s\n", names[i]);
        load_ok(text, "x.yaml", NULL, 0, &config);
        assert_string_equal(config.dataset.builtin, names[i]);
        assert_null(config.dataset.split_column);
        assert_true(config.dataset.test_fraction == 0.2);
        assert_true(config.dataset.val_fraction == 0.2);
        assert_int_equal(config.dataset.split_seed, 42);
        assert_true(config.dataset.standardize);
        config_free(&config);
    }
    load_ok("dataset: {builtin: iris, test_fraction: 0.3}\n", "x.yaml", NULL, 0, &config);
    assert_true(config.dataset.test_fraction == 0.3);
    assert_true(config.dataset.val_fraction == 0.2);
    config_free(&config);
    load_ok("dataset: fashion_mnist\n", "x.yaml", NULL, 0, &config);
    assert_string_equal(config.dataset.builtin, "fashion_mnist");
    assert_null(config.dataset.split_column);
    assert_true(config.dataset.test_fraction == 0.0);
    assert_true(config.dataset.val_fraction == 0.2);
    assert_false(config.dataset.standardize);
    /* The effective text names the set, so it reads back the same. */
    assert_non_null(strstr(config.effective, "builtin: \"fashion_mnist\""));
    config_free(&config);

    /* --set into `dataset: NAME` keeps the set unless it replaces the data. */
    const char *val[] = {"dataset.val_fraction=0.3"};
    load_ok("dataset: iris\n", "x.yaml", val, 1, &config);
    assert_string_equal(config.dataset.builtin, "iris");
    assert_true(config.dataset.val_fraction == 0.3);
    assert_true(config.dataset.test_fraction == 0.2);
    config_free(&config);
    const char *path[] = {"dataset.path=my.csv"};
    load_ok("dataset: iris\n", "x.yaml", path, 1, &config);
    assert_null(config.dataset.builtin);
    assert_string_equal(config.dataset_path, "my.csv");
    config_free(&config);
    const char *other[] = {"dataset.builtin=wine"};
    load_ok("dataset: iris\n", "x.yaml", other, 1, &config);
    assert_string_equal(config.dataset.builtin, "wine");
    config_free(&config);
}

/* YAML 1.2 core-schema numbers; whole-number parameters take any number
 * that is exactly whole (32.0, 1e3). */
static void test_number_forms(void **state)
{
    (void)state;
    sweep_config config;
    load_ok("model:\n"
            "  batch_size: 32.0\n"
            "  epochs: 1e3\n"
            "  units: 0x10\n"
            "  seed: 0o17\n"
            "  learning_rate: .5\n"
            "  l1: 1\n"
            "  l2: +2.5E-3\n"
            "threads: 4.\n",
            NULL, NULL, 0, &config);
    assert_int_equal(config.model.batch_size, 32);
    assert_int_equal(config.model.epochs, 1000);
    assert_int_equal(config.model.units, 16);
    assert_int_equal(config.model.seed, 15);
    assert_true(config.model.learning_rate == 0.5);
    assert_true(config.model.l1 == 1.0);
    assert_true(config.model.l2 == 2.5e-3);
    assert_int_equal(config.threads, 4);
    config_free(&config);

    load_ok("model: {seed: 4294967295}\n", NULL, NULL, 0, &config);
    assert_int_equal(config.model.seed, 4294967295u);
    config_free(&config);
}

/* Grid values: a scalar is a one-value list; generators; a list of grids. */
static void test_grid_forms(void **state)
{
    (void)state;
    sweep_config config;
    load_ok("grid:\n"
            "  units: 4\n"
            "  seed: {range: [5, 0, -2]}\n"
            "  l2: {linspace: [0, 1, 3]}\n"
            "  learning_rate: {logspace: [-2, 0, 3]}\n",
            NULL, NULL, 0, &config);
    assert_int_equal(config.n_grids, 1);
    assert_grid_key(&config.grids[0], 0, PARAM_UNITS, (const double[]){4}, 1);
    assert_grid_key(&config.grids[0], 1, PARAM_SEED, (const double[]){5, 3, 1}, 3);
    assert_grid_key(&config.grids[0], 2, PARAM_L2, (const double[]){0, 0.5, 1}, 3);
    assert_grid_key(&config.grids[0], 3, PARAM_LEARNING_RATE, (const double[]){0.01, 0.1, 1}, 3);
    assert_int_equal(config.n_runs, 27);
    config_free(&config);

    /* A list of grids is their union; {} in a list is one run of the model. */
    load_ok("grid:\n  - {batch_size: [8, 16]}\n  - {}\n  - l1: [0.1]\n", NULL, NULL, 0, &config);
    assert_int_equal(config.n_grids, 3);
    assert_int_equal(config.grids[1].n_keys, 0);
    assert_int_equal(config.n_runs, 4);
    assert_non_null(strstr(config.effective, "grid:\n"
                                             "  - batch_size: [8, 16]\n"
                                             "  - {}\n"
                                             "  - l1: [0.1]\n"
                                             "output:"));
    config_free(&config);
}

/* --set on scalars: values replaced in place, the arguments recorded. */
static void test_set_scalars(void **state)
{
    (void)state;
    const char *overrides[] = {"model.epochs=50", "name=renamed", "threads=4", "output=out/x.h5",
                               "model.epochs=60"};
    sweep_config config;
    load_ok("name: orig\nmodel:\n  epochs: 5\n  units: 3\nthreads: 1\n", NULL, overrides, 5,
            &config);
    assert_int_equal(config.model.epochs, 60); /* the later --set wins */
    assert_int_equal(config.model.units, 3);
    assert_string_equal(config.name, "renamed");
    assert_int_equal(config.threads, 4);
    assert_string_equal(config.output, "out/x.h5");
    assert_string_equal(config.overrides, "model.epochs=50\nname=renamed\nthreads=4\n"
                                          "output=out/x.h5\nmodel.epochs=60\n");
    assert_non_null(strstr(config.effective, "  epochs: 60\n"));
    assert_non_null(strstr(config.effective, "name: \"renamed\"\n"));
    config_free(&config);
}

/* --set with lists and generators: a grid key keeps its place in the order. */
static void test_set_lists(void **state)
{
    (void)state;
    const char *overrides[] = {"grid.batch_size=[16,32]", "grid.seed={range: [0, 3]}"};
    sweep_config config;
    load_ok("grid:\n  batch_size: [8]\n  l2: [0.0, 0.1]\n", NULL, overrides, 2, &config);
    assert_int_equal(config.grids[0].n_keys, 3);
    assert_grid_key(&config.grids[0], 0, PARAM_BATCH_SIZE, (const double[]){16, 32}, 2);
    assert_grid_key(&config.grids[0], 1, PARAM_L2, (const double[]){0.0, 0.1}, 2);
    assert_grid_key(&config.grids[0], 2, PARAM_SEED, (const double[]){0, 1, 2}, 3);
    assert_int_equal(config.n_runs, 12);
    config_free(&config);
}

/* --set creates missing keys and mappings, and replaces a scalar on its
 * path (dataset: wdbc becomes a mapping with path:). */
static void test_set_new_keys(void **state)
{
    (void)state;
    const char *overrides[] = {"grid.l1=[0.0, 0.1]", "model.units=5", "dataset.path=d.csv",
                               "dataset.split=part"};
    sweep_config config;
    load_ok("dataset: wdbc\nthreads: 1\n", "cfg/a.yaml", overrides, 4, &config);
    assert_int_equal(config.n_grids, 1);
    assert_grid_key(&config.grids[0], 0, PARAM_L1, (const double[]){0.0, 0.1}, 2);
    assert_int_equal(config.model.units, 5);
    assert_string_equal(config.dataset_path, "cfg/d.csv"); /* relative to the config too */
    assert_string_equal(config.dataset.split_column, "part");
    assert_int_equal(config.n_runs, 2);
    config_free(&config);

    /* An empty `model:` (null) is replaced by a mapping as well. */
    const char *units[] = {"model.units=7"};
    load_ok("model:\n", NULL, units, 1, &config);
    assert_int_equal(config.model.units, 7);
    config_free(&config);
}

/* --set grid=... switches between one grid and a list of grids. */
static void test_set_grid_list_forms(void **state)
{
    (void)state;
    const char *to_list[] = {"grid=[{batch_size: [8]}, {l2: [0.1, 0.2]}]"};
    sweep_config config;
    load_ok("grid:\n  seed: [1, 2, 3]\n", NULL, to_list, 1, &config);
    assert_int_equal(config.n_grids, 2);
    assert_grid_key(&config.grids[0], 0, PARAM_BATCH_SIZE, (const double[]){8}, 1);
    assert_grid_key(&config.grids[1], 0, PARAM_L2, (const double[]){0.1, 0.2}, 2);
    assert_int_equal(config.n_runs, 3);
    config_free(&config);

    const char *to_mapping[] = {"grid={seed: {range: [0, 4]}}", "grid.l2=[0.5]"};
    load_ok("grid:\n  - seed: [1]\n  - l1: [0.1]\n", NULL, to_mapping, 2, &config);
    assert_int_equal(config.n_grids, 1);
    assert_grid_key(&config.grids[0], 0, PARAM_SEED, (const double[]){0, 1, 2, 3}, 4);
    assert_grid_key(&config.grids[0], 1, PARAM_L2, (const double[]){0.5}, 1);
    assert_int_equal(config.n_runs, 4);
    config_free(&config);

    /* grid={} removes the sweep. */
    const char *no_grid[] = {"grid={}"};
    load_ok("grid:\n  seed: [1, 2, 3]\n", NULL, no_grid, 1, &config);
    assert_int_equal(config.n_grids, 0);
    assert_int_equal(config.n_runs, 1);
    config_free(&config);
}

/* ---- errors --------------------------------------------------------------- */

typedef struct {
    const char *text;         /* the config, named t.yaml */
    const char *overrides[3]; /* NULL-terminated */
    size_t max_runs;          /* 0: the default */
    const char *message;      /* the whole expected message */
} error_case;

/* 5,000 digits: too large for a double. */
#define DIGITS_10 "1111111111"
#define DIGITS_100                                                                            \
    DIGITS_10 DIGITS_10 DIGITS_10 DIGITS_10 DIGITS_10 DIGITS_10 DIGITS_10 DIGITS_10 DIGITS_10 \
        DIGITS_10
#define DIGITS_1000                                                                         \
    DIGITS_100 DIGITS_100 DIGITS_100 DIGITS_100 DIGITS_100 DIGITS_100 DIGITS_100 DIGITS_100 \
        DIGITS_100 DIGITS_100
#define DIGITS DIGITS_1000 DIGITS_1000 DIGITS_1000 DIGITS_1000 DIGITS_1000

static const error_case ERROR_CASES[] = {
    /* YAML syntax, reported by libyaml */
    {"grid:\n  l2: [0.0, 0.01\nthreads: 0\n",
     {NULL},
     0,
     "t.yaml:3:8: invalid YAML: did not find expected ',' or ']' (while parsing a flow "
     "sequence at 2:7)"},
    {"model:\n\tepochs: 5\n",
     {NULL},
     0,
     "t.yaml:2:1: invalid YAML: found character that cannot start any token (while scanning "
     "for the next token at 2:1)"},
    {"name: \xff\n",
     {NULL},
     0,
     "t.yaml:1:7: invalid YAML: invalid leading UTF-8 octet (byte 0xFF)"},
    {"threads: 1\n---\nthreads: 2\n",
     {NULL},
     0,
     "t.yaml:2:1: a second YAML document; a config is one document"},
    {"model: &m {epochs: 5}\ngrid: *m\n",
     {NULL},
     0,
     "t.yaml:2:7: YAML aliases (*m) are not supported; write the value out"},
    /* the document */
    {"",
     {NULL},
     0,
     "t.yaml:1:1: the config is empty; expected a mapping of settings (name, dataset, model, "
     "grid, cv, output, threads)"},
    {"# only a comment\n",
     {NULL},
     0,
     "t.yaml:1:1: the config is empty; expected a mapping of settings (name, dataset, model, "
     "grid, cv, output, threads)"},
    {"- a\n- b\n",
     {NULL},
     0,
     "t.yaml:1:1: the config must be a mapping of settings (name, dataset, model, grid, cv, output, "
     "threads), got a list"},
    {"hello\n",
     {NULL},
     0,
     "t.yaml:1:1: the config must be a mapping of settings (name, dataset, model, grid, cv, output, "
     "threads), got 'hello'"},
    /* keys */
    {"modle:\n  epochs: 5\n", {NULL}, 0, "t.yaml:1:1: unknown key 'modle' (did you mean 'model'?)"},
    {"model:\n  bach_size: 8\n",
     {NULL},
     0,
     "t.yaml:2:3: unknown key 'bach_size' in model (did you mean 'batch_size'?)"},
    {"model:\n  lr: 0.1\n",
     {NULL},
     0,
     "t.yaml:2:3: unknown key 'lr' in model (expected one of: batch_size, learning_rate, l1, "
     "l2, units, epochs, seed, type)"},
    {"threads: 1\nthreads: 2\n", {NULL}, 0, "t.yaml:2:1: duplicate key 'threads' (first at 1:1)"},
    {"threads: 1\nepochs: 2\n",
     {NULL},
     0,
     "t.yaml:2:1: unknown key 'epochs' (hyperparameters go under model: or grid:)"},
    {"? [a]\n: 1\n", {NULL}, 0, "t.yaml:1:3: keys must be names, got a list"},
    /* types */
    {"model:\n  epochs: abc\n", {NULL}, 0, "t.yaml:2:11: epochs must be a whole number, got 'abc'"},
    {"model:\n  epochs: \"50\"\n",
     {NULL},
     0,
     "t.yaml:2:11: epochs must be a whole number, got '50' (quoted, so a string)"},
    {"model:\n  l1: 1_000\n", {NULL}, 0, "t.yaml:2:7: l1 must be a number, got '1_000'"},
    {"model:\n  l1: nan\n", {NULL}, 0, "t.yaml:2:7: l1 must be a number, got 'nan'"},
    {"model: [1, 2]\n", {NULL}, 0, "t.yaml:1:8: model must be a mapping, got a list"},
    {"model:\n", {NULL}, 0, "t.yaml:1:7: model must be a mapping, got nothing"},
    {"name: [a]\n", {NULL}, 0, "t.yaml:1:7: name must be a string, got a list"},
    {"name: ''\n", {NULL}, 0, "t.yaml:1:7: name must not be empty"},
    /* values out of range (params_check) */
    {"model: {batch_size: 0}\n", {NULL}, 0, "t.yaml:1:21: batch_size must be >= 1, got 0"},
    {"model:\n  learning_rate: -1e-3\n",
     {NULL},
     0,
     "t.yaml:2:18: learning_rate must be > 0, got -1e-3"},
    {"model:\n  learning_rate: .inf\n",
     {NULL},
     0,
     "t.yaml:2:18: learning_rate must be a finite number, got .inf"},
    {"model:\n  l2: -0.5\n", {NULL}, 0, "t.yaml:2:7: l2 must be >= 0, got -0.5"},
    {"model:\n  seed: 4294967296\n",
     {NULL},
     0,
     "t.yaml:2:9: seed must be in 0..4294967295, got 4294967296"},
    {"model:\n  units: 2.5\n", {NULL}, 0, "t.yaml:2:10: units must be a whole number, got 2.5"},
    {"threads: -1\n",
     {NULL},
     0,
     "t.yaml:1:10: threads must be a whole number in 0..4096 (0 = all cores), got -1"},
    {"threads: many\n",
     {NULL},
     0,
     "t.yaml:1:10: threads must be a whole number in 0..4096, got 'many'"},
    {"threads: [2]\n",
     {NULL},
     0,
     "t.yaml:1:10: threads must be a whole number in 0..4096, got a list"},
    {"threads: 2.5\n",
     {NULL},
     0,
     "t.yaml:1:10: threads must be a whole number in 0..4096 (0 = all cores), got 2.5"},
    /* grids */
    {"grid: []\n", {NULL}, 0, "t.yaml:1:7: grid must not be an empty list"},
    {"grid: 5\n", {NULL}, 0, "t.yaml:1:7: grid must be a mapping or a list of mappings, got '5'"},
    {"grid:\n  - l2: [0.1]\n  - [1, 2]\n",
     {NULL},
     0,
     "t.yaml:3:5: each grid in the list must be a mapping, got a list"},
    {"grid:\n  batch_size: []\n", {NULL}, 0, "t.yaml:2:15: batch_size has an empty list of values"},
    {"grid:\n  batch_size: [8, 0, 16]\n", {NULL}, 0, "t.yaml:2:19: batch_size must be >= 1, got 0"},
    {"grid:\n  l2: [0.0]\n  seed: [1]\n  l2: [0.1]\n",
     {NULL},
     0,
     "t.yaml:4:3: duplicate key 'l2' in grid (first at 2:3)"},
    {"grid:\n  bach_size: [8]\n",
     {NULL},
     0,
     "t.yaml:2:3: unknown key 'bach_size' in grid (did you mean 'batch_size'?)"},
    {"grid:\n  seed: {ragne: [0, 5]}\n",
     {NULL},
     0,
     "t.yaml:2:10: unknown key 'ragne' in grid.seed (did you mean 'range'?)"},
    {"grid:\n  seed: {range: [0, 2], linspace: [0, 1, 2]}\n",
     {NULL},
     0,
     "t.yaml:2:9: seed must be a list of values or a mapping with one key (range, linspace or "
     "logspace), got a mapping with 2 keys"},
    {"grid:\n  seed: {range: [0, 5, 0]}\n", {NULL}, 0, "t.yaml:2:24: range step must not be 0"},
    {"grid:\n  seed: {range: [5, 0]}\n", {NULL}, 0, "t.yaml:2:17: range [5, 0] gives no values"},
    {"grid:\n  seed: {range: [0, 2.5]}\n",
     {NULL},
     0,
     "t.yaml:2:21: range values must be whole numbers, got 2.5"},
    {"grid:\n  seed: {range: 5}\n",
     {NULL},
     0,
     "t.yaml:2:17: range must be a list [start, stop] or [start, stop, step], got '5'"},
    {"grid:\n  l2: {linspace: [0, 1, 0]}\n",
     {NULL},
     0,
     "t.yaml:2:25: linspace num must be a whole number >= 1, got 0"},
    {"grid:\n  learning_rate: {logspace: [-3, -1]}\n",
     {NULL},
     0,
     "t.yaml:2:29: logspace must be a list [start, stop, num], got a list of 2"},
    {"grid:\n  units: {linspace: [1, 2, 3]}\n",
     {NULL},
     0,
     "t.yaml:2:10: linspace gives 1.5, but units must be a whole number"},
    {"grid:\n  seed: {range: [0, 50]}\n  l2: [0.0, 0.1, 0.2]\n",
     {NULL},
     100,
     "t.yaml:1:1: the grid has 150 runs, more than the limit of 100 (raise it with --max-runs)"},
    {"grid:\n  seed: {range: [0, 1000]}\n  epochs: {range: [1, 1002]}\n",
     {NULL},
     0,
     "t.yaml:1:1: the grid has 1001000 runs, more than the limit of 1000000 (raise it with "
     "--max-runs)"},
    {"grid:\n  - seed: {range: [0, 600000]}\n  - seed: {range: [0, 600000]}\n",
     {NULL},
     0,
     "t.yaml:1:1: the grids have 1200000 runs, more than the limit of 1000000 (raise it with "
     "--max-runs)"},
    {"grid:\n"
     "  batch_size: {range: [1, 1001]}\n"
     "  learning_rate: {range: [1, 1001]}\n"
     "  l1: {range: [0, 1000]}\n"
     "  l2: {range: [0, 1000]}\n"
     "  units: {range: [1, 1001]}\n"
     "  epochs: {range: [1, 1001]}\n"
     "  seed: {range: [0, 1000]}\n",
     {NULL},
     0,
     "t.yaml:1:1: the grid has more runs than can be counted (over 18446744073709551615), more "
     "than the limit of 1000000 (raise it with --max-runs)"},
    {"grid:\n  seed: {range: [0, 2000000]}\n",
     {NULL},
     0,
     "t.yaml:2:17: range [0, 2000000] gives 2000000 values, more than the limit of 1000000 runs "
     "(raise it with --max-runs)"},
    {"grid:\n  l2: {linspace: [0, 1, 1000001]}\n",
     {NULL},
     0,
     "t.yaml:2:25: linspace num 1000001 is more than the limit of 1000000 runs (raise it with "
     "--max-runs)"},
    /* dataset */
    {"dataset: iriss\n",
     {NULL},
     0,
     "t.yaml:1:10: dataset must be a built-in set (wdbc, iris, wine, digits, fashion_mnist) "
     "or a mapping with path:, got 'iriss'"},
    {"dataset:\n  path: a.csv\n  standardize: yes\n",
     {NULL},
     0,
     "t.yaml:3:16: standardize must be true or false, got 'yes'"},
    {"dataset:\n  path: a.csv\n  split: part\n  val_fraction: 0.3\n",
     {NULL},
     0,
     "t.yaml:4:3: give either split or val_fraction/test_fraction/split_seed in dataset, not "
     "both"},
    {"dataset:\n  builtin: wdbc\n  path: a.csv\n",
     {NULL},
     0,
     "t.yaml:3:3: give either builtin or path in dataset, not both"},
    {"dataset:\n  builtin: irs\n",
     {NULL},
     0,
     "t.yaml:2:12: builtin must be one of wdbc, iris, wine, digits, fashion_mnist, got irs"},
    {"dataset:\n  path: a.csv\n  val_fraction: 1\n",
     {NULL},
     0,
     "t.yaml:3:17: val_fraction must be > 0 and < 1, got 1"},
    {"dataset:\n  path: a.csv\n  split_seed: -1\n",
     {NULL},
     0,
     "t.yaml:3:15: split_seed must be a whole number in 0..4294967295, got -1"},
    {"dataset:\n  paht: a.csv\n",
     {NULL},
     0,
     "t.yaml:2:3: unknown key 'paht' in dataset (did you mean 'path'?)"},
    /* --set */
    {"model: {epochs: 5}\n",
     {"model.epochs=abc"},
     0,
     "--set model.epochs=abc: epochs must be a whole number, got 'abc'"},
    {"threads: 1\n",
     {"model.bach_size=8"},
     0,
     "--set model.bach_size=8: unknown key 'bach_size' in model (did you mean 'batch_size'?)"},
    {"threads: 1\n",
     {"modle.epochs=8"},
     0,
     "--set modle.epochs=8: unknown key 'modle' (did you mean 'model'?)"},
    {"threads: 1\n",
     {"model.epochs"},
     0,
     "--set model.epochs: expected KEY=VALUE, e.g. --set model.epochs=50"},
    {"threads: 1\n",
     {"model..epochs=5"},
     0,
     "--set model..epochs=5: KEY must be names joined by dots, e.g. model.epochs"},
    {"threads: 1\n", {"=5"}, 0, "--set =5: KEY must be names joined by dots, e.g. model.epochs"},
    {"threads: 1\n",
     {"grid.l2=[0,"},
     0,
     "--set grid.l2=[0,: invalid YAML: did not find expected node content (while parsing a "
     "flow node)"},
    {"threads: 1\n",
     {"grid.l2=*x"},
     0,
     "--set grid.l2=*x: YAML aliases (*x) are not supported; write the value out"},
    {"grid:\n  - l2: [0.1]\n",
     {"grid.l2=[0.2]"},
     0,
     "--set grid.l2=[0.2]: grid is a list of grids, so grid.KEY cannot say which one to "
     "change; replace the whole list with --set grid=[...]"},
    {"model: [1]\n", {"model.epochs=5"}, 0, "--set model.epochs=5: model is a list, not a mapping"},
    {"threads: 1\n", {"name="}, 0, "--set name=: name must not be empty"},
    {"threads: 1\n",
     {"grid.seed={range: [0, 3, 0]}"},
     0,
     "--set grid.seed={range: [0, 3, 0]}: range step must not be 0"},
    /* an override can make the file's grid too large: the grid key is in the file */
    {"grid:\n  l2: [0.1, 0.2]\n",
     {"grid.seed={range: [0, 60]}"},
     100,
     "t.yaml:1:1: the grid has 120 runs, more than the limit of 100 (raise it with --max-runs)"},
    /* a problem in the file is still found after the overrides */
    {"model:\n  epochs: 0\n", {"model.units=3"}, 0, "t.yaml:2:11: epochs must be >= 1, got 0"},
};

static void test_error_messages(void **state)
{
    (void)state;
    int n_failed = 0;
    for (size_t c = 0; c < sizeof ERROR_CASES / sizeof ERROR_CASES[0]; c++) {
        const error_case *test = &ERROR_CASES[c];
        int n_overrides = 0;
        while (n_overrides < 3 && test->overrides[n_overrides] != NULL)
            n_overrides++;
        sweep_config config;
        sweep_error err = {0};
        int status = load_with(test->text, NULL, test->overrides, n_overrides, test->max_runs,
                               &config, &err);
        if (status != -1 || err.kind != ERROR_INPUT || strcmp(err.message, test->message) != 0) {
            print_error("case %zu (%s): status %d, kind %d\n  got      %s\n  expected %s\n", c,
                        test->text, status, err.kind, err.message, test->message);
            n_failed++;
        }
        /* A failed load leaves the config empty. */
        assert_null(config.name);
        assert_null(config.text);
        assert_null(config.grids);
        assert_null(config.effective);
        assert_int_equal(config.n_grids, 0);
        config_free(&config);
    }
    assert_int_equal(n_failed, 0);
}

/* Messages of the checks on tags, names, repeated runs and bounds. Exact. */
static const error_case CHECK_CASES[] = {
    /* explicit tags are respected: !!str is a string like "10" */
    {"model:\n  epochs: !!str 10\n",
     {NULL},
     0,
     "t.yaml:2:11: epochs must be a whole number, got '10' (tagged !!str, so a string)"},
    {"model:\n  epochs: ! 10\n",
     {NULL},
     0,
     "t.yaml:2:11: epochs must be a whole number, got '10' (tagged !!str, so a string)"},
    {"threads: 1\n",
     {"model.epochs=!!str 10"},
     0,
     "--set model.epochs=!!str 10: epochs must be a whole number, got '10' (tagged !!str, so a "
     "string)"},
    {"name: !!int 5\n", {NULL}, 0, "t.yaml:1:7: name must be a string, got '5' (tagged !!int)"},
    {"model:\n  epochs: !!int 1.5\n",
     {NULL},
     0,
     "t.yaml:2:11: '1.5' is tagged !!int but is not an integer"},
    {"model:\n  epochs: !!float abc\n",
     {NULL},
     0,
     "t.yaml:2:11: 'abc' is tagged !!float but is not a number"},
    {"name: !!binary aGk=\n",
     {NULL},
     0,
     "t.yaml:1:7: unsupported YAML tag '!!binary' (known: !!str, !!int, !!float, !!bool, "
     "!!null, !!seq, !!map)"},
    {"name: !mine x\n",
     {NULL},
     0,
     "t.yaml:1:7: unsupported YAML tag '!mine' (known: !!str, !!int, !!float, !!bool, !!null, "
     "!!seq, !!map)"},
    {"model: !!seq {epochs: 3}\n", {NULL}, 0, "t.yaml:1:8: YAML tag '!!seq' on a mapping"},
    {"model: !!map 3\n", {NULL}, 0, "t.yaml:1:8: YAML tag '!!map' on a scalar"},
    {"dataset:\n  path: a.csv\n  standardize: !!str true\n",
     {NULL},
     0,
     "t.yaml:3:16: standardize must be true or false, got 'true' (tagged !!str, so a string)"},
    /* out-of-range numbers name the bound, also when too large for a double */
    {"model:\n  epochs: " DIGITS "\n",
     {NULL},
     0,
     "t.yaml:2:11: epochs must be <= 10000000, got 11111111111111111111111111111111111111111111"
     "1111..."},
    {"model:\n  units: 1e400\n", {NULL}, 0, "t.yaml:2:10: units must be <= 1000000, got 1e400"},
    {"grid:\n  batch_size: [8, 2000000000]\n",
     {NULL},
     0,
     "t.yaml:2:19: batch_size must be <= 1000000000, got 2000000000"},
    {"threads: 60000\n",
     {NULL},
     0,
     "t.yaml:1:10: threads must be a whole number in 0..4096 (0 = all cores), got 60000"},
    /* name: is one plain file name in results/ */
    {"name: ../../escape\n",
     {NULL},
     0,
     "t.yaml:1:7: name must be a plain name (no '/', not '.' or '..', no control characters): "
     "it names results/<name>.h5, got ../../escape"},
    {"name: ..\n",
     {NULL},
     0,
     "t.yaml:1:7: name must be a plain name (no '/', not '.' or '..', no control characters): "
     "it names results/<name>.h5, got .."},
    {"name: \"a\\e[31mb\"\n",
     {NULL},
     0,
     "t.yaml:1:7: name must be a plain name (no '/', not '.' or '..', no control characters): "
     "it names results/<name>.h5, got a\\x1B[31mb"},
    {"threads: 1\n",
     {"name=a/b"},
     0,
     "--set name=a/b: name must be a plain name (no '/', not '.' or '..', no control "
     "characters): it names results/<name>.h5, got a/b"},
    /* a grid that gives the same run twice is refused, naming both places */
    {"grid:\n  seed: [0, 0, 1]\n",
     {NULL},
     0,
     "t.yaml:2:13: seed 0 is listed twice (first at 2:10), so the grid would train the same "
     "runs twice; remove one"},
    {"grid:\n  l2: [0.0, 0.01]\n  seed: [1, 2, 1]\n",
     {NULL},
     0,
     "t.yaml:3:16: seed 1 is listed twice (first at 3:10), so the grid would train the same "
     "runs twice; remove one"},
    {"grid:\n  - seed: [0, 1]\n  - seed: [1, 2]\n",
     {NULL},
     0,
     "t.yaml:3:5: grid 2 repeats a run of grid 1 (at 2:5): batch_size=32, "
     "learning_rate=0.10000000000000001, l1=0, l2=0, units=10, epochs=500, seed=1; the grids "
     "of a list must not overlap"},
    {"model: {l2: 0.5}\ngrid:\n  - {}\n  - l2: [0.5]\n",
     {NULL},
     0,
     "t.yaml:4:5: grid 2 repeats a run of grid 1 (at 3:5): batch_size=32, "
     "learning_rate=0.10000000000000001, l1=0, l2=0.5, units=10, epochs=500, seed=42; the "
     "grids of a list must not overlap"},
    {"grid:\n  l2: {linspace: [0, 0, 3]}\n",
     {NULL},
     0,
     "t.yaml:2:7: l2 gives the value 0 twice (values 1 and 2), so the grid would train the "
     "same runs twice"},
    {"threads: 1\n",
     {"grid.seed=[3, 3]"},
     0,
     "--set grid.seed=[3, 3]: seed 3 is listed twice (first at --set grid.seed=[3, 3]), so the "
     "grid would train the same runs twice; remove one"},
};

static void test_check_messages(void **state)
{
    (void)state;
    int n_failed = 0;
    for (size_t c = 0; c < sizeof CHECK_CASES / sizeof CHECK_CASES[0]; c++) {
        const error_case *test = &CHECK_CASES[c];
        int n_overrides = test->overrides[0] != NULL;
        sweep_config config;
        sweep_error err = {0};
        int status = load_with(test->text, NULL, test->overrides, n_overrides, test->max_runs,
                               &config, &err);
        if (status != -1 || err.kind != ERROR_INPUT || strcmp(err.message, test->message) != 0) {
            print_error("case %zu: status %d, kind %d\n  got      %s\n  expected %s\n", c, status,
                        err.kind, err.message, test->message);
            n_failed++;
        }
        config_free(&config);
    }
    assert_int_equal(n_failed, 0);
}

/* Tags that say what the plain text would have said anyway are accepted. */
static void test_tags_accepted(void **state)
{
    (void)state;
    sweep_config config;
    load_ok("name: !!str 10\n"
            "model: !!map {epochs: !!int \"7\", l2: !!float 0.5, seed: !!int 0x10}\n"
            "dataset: !!map {path: a.csv, standardize: !!bool false}\n"
            "grid: !!seq [{seed: !!seq [1, 2]}]\n",
            NULL, NULL, 0, &config);
    assert_string_equal(config.name, "10");
    assert_int_equal(config.model.epochs, 7);
    assert_true(config.model.l2 == 0.5);
    assert_int_equal(config.model.seed, 16);
    assert_false(config.dataset.standardize);
    assert_int_equal(config.n_runs, 2);
    config_free(&config);
}

/* A message longer than the record keeps its end: the reason. */
static void test_long_message_keeps_the_reason(void **state)
{
    (void)state;
    static char path[3000];
    memset(path, 'p', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    sweep_config config;
    sweep_error err = {0};
    assert_int_equal(load_with("model:\n  epochs: 0\n", path, NULL, 0, 0, &config, &err), -1);
    const char *end = "pp:2:11: epochs must be >= 1, got 0";
    size_t length = strlen(err.message);
    assert_true(length > strlen(end));
    assert_string_equal(err.message + length - strlen(end), end);
    config_free(&config);
}

/* The check for repeated runs sorts: a million runs with one repeat at the
 * very end is found at once (a scan of pairs would take hours). */
static void test_duplicate_check_scales(void **state)
{
    (void)state;
    sweep_config config;
    sweep_error err = {0};
    const char *text = "grid:\n  - seed: {range: [0, 999999]}\n  - seed: [5]\n";
    assert_int_equal(load_with(text, NULL, NULL, 0, 0, &config, &err), -1);
    assert_string_equal(err.message,
                        "t.yaml:3:5: grid 2 repeats a run of grid 1 (at 2:5): batch_size=32, "
                        "learning_rate=0.10000000000000001, l1=0, l2=0, units=10, epochs=500, "
                        "seed=5; the grids of a list must not overlap");
    config_free(&config);
    load_ok("grid:\n  - seed: {range: [0, 999999]}\n  - seed: [999999]\n", NULL, NULL, 0, &config);
    assert_int_equal(config.n_runs, 1000000);
    config_free(&config);
}

/* Deep nesting is refused before anything recurses into it. */
static void test_nesting_limit(void **state)
{
    (void)state;
    char text[256] = "grid: ";
    for (int i = 0; i < 70; i++)
        strcat(text, "[");
    for (int i = 0; i < 70; i++)
        strcat(text, "]");
    strcat(text, "\n");
    sweep_config config;
    sweep_error err = {0};
    assert_int_equal(load_with(text, NULL, NULL, 0, 0, &config, &err), -1);
    /* The root mapping is level 1, so the 64th '[' (column 7 + 63) is level 65. */
    assert_string_equal(err.message, "t.yaml:1:70: nested deeper than 64 levels");
    config_free(&config);
}

static void test_missing_file(void **state)
{
    (void)state;
    sweep_config config;
    sweep_error err = {0};
    assert_int_equal(config_load(TEST_DATA_DIR "/configs/no_such.yaml", NULL, &config, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, TEST_DATA_DIR
                        "/configs/no_such.yaml: cannot open: No such file or directory");
    assert_null(config.path);
    config_free(&config);

    assert_int_equal(config_load(TEST_DATA_DIR "/configs", NULL, &config, &err), -1);
    assert_int_equal(err.kind, ERROR_INPUT);
    assert_string_equal(err.message, TEST_DATA_DIR "/configs: cannot read: Is a directory");
    config_free(&config);
}

/* model.type: a name from the model table, the default minibatch (whose
 * effective config has no type line, as before there was a choice), one
 * line per mistake, and not a grid key. */
static void test_model_type(void **state)
{
    (void)state;
    sweep_config config;
    load_ok("model:\n  type: multiclass\n  units: 100\ngrid:\n  seed: [1, 2]\n", NULL, NULL, 0,
            &config);
    assert_int_equal(config.model.model, MODEL_MULTICLASS);
    assert_int_equal(config.model.units, 100);
    assert_non_null(strstr(config.effective, "model:\n  type: \"multiclass\"\n  batch_size:"));
    char *effective = strdup(config.effective);
    config_free(&config);
    load_ok(effective, NULL, NULL, 0, &config); /* reads back the same */
    assert_int_equal(config.model.model, MODEL_MULTICLASS);
    assert_string_equal(config.effective, effective);
    config_free(&config);
    free(effective);

    load_ok("model:\n  epochs: 5\n", NULL, NULL, 0, &config);
    assert_int_equal(config.model.model, MODEL_MINIBATCH);
    assert_null(strstr(config.effective, "type"));
    config_free(&config);
    const char *overrides[] = {"model.type=multiclass"};
    load_ok("model:\n  type: minibatch\n", NULL, overrides, 1, &config);
    assert_int_equal(config.model.model, MODEL_MULTICLASS);
    config_free(&config);

    static const struct {
        const char *text, *message;
    } errors[] = {
        {"model:\n  type: mlp\n",
         "t.yaml:2:9: type must be one of: minibatch, multiclass, got mlp"},
        {"model:\n  tpye: multiclass\n", "t.yaml:2:3: unknown key 'tpye' in model (did you mean "
                                         "'type'?)"},
        {"grid:\n  type: [minibatch, multiclass]\n",
         "t.yaml:2:3: type cannot be swept: one sweep trains one model (set model: {type: ...}, "
         "one sweep per model)"},
    };
    for (size_t c = 0; c < sizeof errors / sizeof errors[0]; c++) {
        sweep_error err = {0};
        assert_int_equal(load_with(errors[c].text, NULL, NULL, 0, 0, &config, &err), -1);
        assert_int_equal(err.kind, ERROR_INPUT);
        assert_string_equal(err.message, errors[c].message);
        config_free(&config);
    }
}

/* A config may come from a pipe (`sweep <(make_config)`): it has no size
 * and is read to its end, unlike a data file. */
static void test_config_from_a_pipe(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    const char text[] = "name: piped\nmodel: {epochs: 3}\n";
    assert_int_equal(write(fds[1], text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    assert_int_equal(close(fds[1]), 0);
    char path[64];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    sweep_config config;
    sweep_error err = {0};
    if (config_load(path, NULL, &config, &err) != 0)
        fail_msg("unexpected error: %s", err.message);
    assert_string_equal(config.name, "piped");
    assert_int_equal(config.model.epochs, 3);
    assert_string_equal(config.text, text);
    config_free(&config);
    close(fds[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_type),
        cmocka_unit_test(test_full_config_from_file),
        cmocka_unit_test(test_effective_reads_back_the_same),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_documented_example),
        cmocka_unit_test(test_name_and_output_from_the_file_name),
        cmocka_unit_test(test_dataset_paths_and_splits),
        cmocka_unit_test(test_number_forms),
        cmocka_unit_test(test_grid_forms),
        cmocka_unit_test(test_set_scalars),
        cmocka_unit_test(test_set_lists),
        cmocka_unit_test(test_set_new_keys),
        cmocka_unit_test(test_set_grid_list_forms),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_check_messages),
        cmocka_unit_test(test_tags_accepted),
        cmocka_unit_test(test_long_message_keeps_the_reason),
        cmocka_unit_test(test_duplicate_check_scales),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_config_from_a_pipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
