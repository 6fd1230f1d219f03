/* fuzz_config.c: libFuzzer entry point for the config reader (config.c and
 * the grid expansion it feeds).
 *
 * The input is a whole config file. Comment lines at its very top may carry
 * options, so that the corpus stays readable YAML and the fuzzer can reach
 * the --set and --max-runs paths from the input alone:
 *
 *   #set KEY=VALUE       one --set override per line (at most MAX_OVERRIDES)
 *   #max-runs N          config_options.max_runs (0 or absent: the default;
 *                        larger than the default: the default)
 *
 * Every input is loaded twice: once with the options above, once more with
 * fixed overrides grafted into whatever tree the input makes and a tight
 * run limit. A crash, a leak or a sanitizer report is a bug, and so is any
 * broken promise of config.h, checked with abort() so that the fuzzer keeps
 * the input:
 *   - a failure is ERROR_INPUT with a one-line message and an empty config
 *     (ERROR_RUNTIME, i.e. out of memory, means the input got past a limit);
 *   - a success has n_runs <= the limit, and grid_expand gives exactly n_runs
 *     runs (this is where the runs are allocated, so a grid that slipped past
 *     the limit shows up as a huge allocation under -malloc_limit_mb);
 *   - the effective text loads again to the same runs and the same text
 *     ("Loading it again gives the same runs and the same effective text";
 *     checked for effective texts up to MAX_RELOADED_TEXT bytes).
 *
 * Built two ways: with clang -fsanitize=fuzzer (CMake option SWEEP_FUZZ,
 * scripts/fuzz) and with any compiler as a plain function that
 * tests/fuzz/corpus_driver.c calls on every file of tests/fuzz/corpus/config.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OVERRIDES 8
#define MAX_RELOADED_TEXT (64 * 1024) /* bytes of effective text loaded again */
/* A path with a folder, so that relative data paths are resolved. */
#define FUZZ_CONFIG_PATH "fuzz/config.yaml"

/* Options read from the "#set" / "#max-runs" lines at the top of the input. */
typedef struct {
    char *overrides[MAX_OVERRIDES]; /* NUL-terminated copies of the lines' rest */
    int n_overrides;
    size_t max_runs;
} header_options;

static void header_options_free(header_options *header)
{
    for (int i = 0; i < header->n_overrides; i++)
        free(header->overrides[i]);
    memset(header, 0, sizeof *header);
}

static bool starts_with(const char *line, size_t length, const char *prefix)
{
    size_t n = strlen(prefix);
    return length >= n && memcmp(line, prefix, n) == 0;
}

/* Reads the option lines at the top of `text`; stops at the first other line. */
static void read_header(const char *text, size_t size, header_options *header)
{
    memset(header, 0, sizeof *header);
    size_t at = 0;
    while (at < size) {
        const char *line = text + at;
        const char *newline = memchr(line, '\n', size - at);
        size_t length = newline != NULL ? (size_t)(newline - line) : size - at;
        if (starts_with(line, length, "#set ") && header->n_overrides < MAX_OVERRIDES) {
            size_t n = length - 5;
            char *copy = malloc(n + 1);
            if (copy == NULL)
                abort();
            memcpy(copy, line + 5, n);
            copy[n] = '\0'; /* a NUL inside the line simply ends the override early */
            header->overrides[header->n_overrides++] = copy;
        } else if (starts_with(line, length, "#max-runs ")) {
            char digits[24] = "";
            size_t n = length - 10 < sizeof digits - 1 ? length - 10 : sizeof digits - 1;
            memcpy(digits, line + 10, n);
            header->max_runs = (size_t)strtoull(digits, NULL, 10);
            /* A user who raises --max-runs accepts grids, and allocations,
             * that large; the fuzzer looks for inputs that get past it. */
            if (header->max_runs > CONFIG_DEFAULT_MAX_RUNS)
                header->max_runs = CONFIG_DEFAULT_MAX_RUNS;
        } else {
            break;
        }
        at += length + 1;
    }
}

/* A config that failed must be empty: every pointer NULL, every count 0. */
static void check_empty(const sweep_config *config)
{
    sweep_config zero;
    memset(&zero, 0, sizeof zero);
    if (memcmp(config, &zero, sizeof zero) != 0) {
        fprintf(stderr, "fuzz_config: a failed load left data in the config\n");
        abort();
    }
}

static void check_error(const sweep_error *err)
{
    if (err->kind == ERROR_RUNTIME) {
        /* The only runtime error here is running out of memory, which a
         * hostile input must not cause within the memory caps of
         * corpus_driver.c and scripts/fuzz. */
        fprintf(stderr, "fuzz_config: runtime error: %s\n", err->message);
        abort();
    }
    if (err->kind == ERROR_NONE || err->message[0] == '\0' || strchr(err->message, '\n') != NULL) {
        fprintf(stderr, "fuzz_config: bad error report (kind %d): '%s'\n", (int)err->kind,
                err->message);
        abort();
    }
}

/* The runs the config promises, and the same again from its effective text. */
static void check_loaded(const sweep_config *config, size_t max_runs)
{
    size_t limit = max_runs != 0 ? max_runs : CONFIG_DEFAULT_MAX_RUNS;
    if (config->n_runs == 0 || config->n_runs > limit || config->effective == NULL) {
        fprintf(stderr, "fuzz_config: n_runs %zu with a limit of %zu\n", config->n_runs, limit);
        abort();
    }

    train_params *runs = NULL;
    size_t n_runs = 0;
    sweep_error err = {0};
    if (grid_expand(&config->model, config->grids, config->n_grids, limit, &runs, &n_runs, &err) !=
            0 ||
        n_runs != config->n_runs) {
        fprintf(stderr, "fuzz_config: grid_expand gave %zu runs for %zu: %s\n", n_runs,
                config->n_runs, err.message);
        abort();
    }

    /* The round trip is about the text's forms, not its size: a grid of a
     * million values has an effective text of megabytes whose YAML tree
     * alone would take the fuzzer's whole memory limit. */
    if (strlen(config->effective) > MAX_RELOADED_TEXT) {
        free(runs);
        return;
    }
    sweep_config again;
    config_options options = {.overrides = NULL, .n_overrides = 0, .max_runs = max_runs};
    if (config_load_text(config->effective, strlen(config->effective), config->path, &options,
                         &again, &err) != 0) {
        fprintf(stderr, "fuzz_config: the effective text does not load again: %s\n--\n%s--\n",
                err.message, config->effective);
        abort();
    }
    train_params *runs_again = NULL;
    size_t n_again = 0;
    if (strcmp(again.effective, config->effective) != 0 ||
        grid_expand(&again.model, again.grids, again.n_grids, limit, &runs_again, &n_again, &err) !=
            0 ||
        n_again != n_runs) {
        fprintf(stderr, "fuzz_config: the effective text reads back differently:\n--\n%s--\n%s--\n",
                config->effective, again.effective);
        abort();
    }
    for (size_t i = 0; i < n_runs; i++)
        for (int id = 0; id < PARAM_COUNT; id++)
            if (params_get(&runs[i], (param_id)id) != params_get(&runs_again[i], (param_id)id)) {
                fprintf(stderr, "fuzz_config: run %zu differs in %s after a reload\n", i,
                        PARAM_INFO[id].name);
                abort();
            }
    free(runs_again);
    config_free(&again);
    free(runs);
}

static void load_and_check(const char *text, size_t size, const char *const *overrides,
                           int n_overrides, size_t max_runs)
{
    sweep_config config;
    sweep_error err = {0};
    config_options options = {.overrides = overrides,
                              .n_overrides = n_overrides,
                              .max_runs = max_runs};
    if (config_load_text(text, size, FUZZ_CONFIG_PATH, &options, &config, &err) != 0) {
        check_error(&err);
        check_empty(&config);
        config_free(&config); /* must be harmless on the empty config */
        return;
    }
    check_loaded(&config, max_runs);
    config_free(&config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    header_options header;
    read_header(text, size, &header);
    load_and_check(text, size, (const char *const *)header.overrides, header.n_overrides,
                   header.max_runs);
    header_options_free(&header);

    /* Fixed overrides walk into, replace and extend the input's own tree
     * (a scalar or list where a mapping is expected, a missing key ...). */
    static const char *const fixed[] = {"model.epochs=3", "grid.seed={range: [0, 3]}",
                                        "dataset.standardize=false"};
    load_and_check(text, size, fixed, 3, 5);
    return 0;
}
