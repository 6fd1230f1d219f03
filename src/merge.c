/* merge.c: one results file from the parts of a sweep. See merge.h. */
#include "merge.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "grid.h"
#include "lock.h"
#include "results.h"
#include "sweep.h"

/* Runs named when some are missing; the rest are counted. */
#define MISSING_NAMED 10

/* The next line of `text` at *at that is not a top-level `name:`,
 * `output:` or `threads:` (which change no result); NULL at the end.
 * *length: its length without the newline. */
static const char *next_result_line(const char **at, size_t *length)
{
    while (**at != '\0') {
        const char *line = *at;
        const char *end = strchr(line, '\n');
        *length = end != NULL ? (size_t)(end - line) : strlen(line);
        *at = end != NULL ? end + 1 : line + *length;
        if (strncmp(line, "name:", 5) != 0 && strncmp(line, "output:", 7) != 0 &&
            strncmp(line, "threads:", 8) != 0)
            return line;
    }
    return NULL;
}

/* Do two effective configs describe the same runs? If not, `what` says
 * where they first differ. */
static bool same_effective_config(const char *a, const char *b, char *what, size_t size)
{
    const char *at_a = a, *at_b = b;
    for (;;) {
        size_t length_a = 0, length_b = 0;
        const char *line_a = next_result_line(&at_a, &length_a);
        const char *line_b = next_result_line(&at_b, &length_b);
        if (line_a == NULL && line_b == NULL)
            return true;
        if (line_a == NULL || line_b == NULL || length_a != length_b ||
            memcmp(line_a, line_b, length_a) != 0) {
            /* A missing line reads as empty; long ones are cut. */
            int shown_a = line_a != NULL ? (int)(length_a < 80 ? length_a : 80) : 0;
            int shown_b = line_b != NULL ? (int)(length_b < 80 ? length_b : 80) : 0;
            snprintf(what, size, "their effective configs differ: '%.*s' and '%.*s'", shown_a,
                     line_a != NULL ? line_a : "", shown_b, line_b != NULL ? line_b : "");
            return false;
        }
    }
}

/* Is part `b` from the same sweep as part `a`? */
static int check_same_sweep(const results_index *a, const char *path_a, const results_index *b,
                            const char *path_b, sweep_error *err)
{
    char what[400];
    if (strcmp(a->model, b->model) != 0)
        return error_set(err, ERROR_INPUT,
                         "%s: not from the same sweep as %s: runs of model %s, not %s", path_b,
                         path_a, b->model, a->model);
    if (strcmp(a->data_checksum, b->data_checksum) != 0)
        return error_set(err, ERROR_INPUT,
                         "%s: not from the same sweep as %s: made from other data (data_checksum "
                         "%s, not %s)",
                         path_b, path_a, b->data_checksum, a->data_checksum);
    if (!folds_same_settings(&a->cv, &b->cv)) {
        char theirs[96], ours[96];
        folds_describe(&b->cv, theirs, sizeof theirs);
        folds_describe(&a->cv, ours, sizeof ours);
        return error_set(err, ERROR_INPUT,
                         "%s: not from the same sweep as %s: made with %s, not %s", path_b, path_a,
                         theirs, ours);
    }
    if (!same_effective_config(a->effective_config, b->effective_config, what, sizeof what))
        return error_set(err, ERROR_INPUT, "%s: not from the same sweep as %s: %s", path_b, path_a,
                         what);
    return 0;
}

/* The grid of the parts, expanded again from their effective config. */
static int expand_grid(const results_index *part, const char *path, train_params **runs,
                       size_t *n_runs, sweep_error *err)
{
    sweep_config config = {0};
    sweep_error why = {0};
    long long largest = part->grid_runs > (long long)part->n_runs ? part->grid_runs
                                                                  : (long long)part->n_runs;
    config_options options = {
        .max_runs = largest > CONFIG_DEFAULT_MAX_RUNS ? (size_t)largest : 0,
    };
    const char *text = part->effective_config;
    int status = config_load_text(text, strlen(text), path, &options, &config, &why);
    if (status == 0)
        status = grid_expand(&config.model, config.grids, config.n_grids, config.n_runs, runs,
                             n_runs, &why);
    /* The file's cv attributes must be what its effective config says. */
    if (status == 0 && !folds_same_settings(&config.cv, &part->cv))
        status = error_set(&why, ERROR_INPUT, "its cv_* attributes are not its config's cv");
    if (status == 0 && config.cv.n_splits > 0)
        status = grid_cross_folds(&config.cv, runs, n_runs, &why);
    config_free(&config);
    if (status != 0)
        return error_set(err, ERROR_INPUT, "%s: its effective_config does not expand: %s", path,
                         why.message);
    return 0;
}

/* Place every finished run of every part in the grid (origins[run]). */
static int place_runs(const merge_options *options, const results_index *parts,
                      const train_params *runs, size_t n_runs, results_origin *origins,
                      sweep_error *err)
{
    char ours[512], theirs[512];
    for (size_t run = 0; run < n_runs; run++)
        origins[run] = (results_origin){-1, -1};
    for (int p = 0; p < options->n_parts; p++) {
        const results_index *part = &parts[p];
        for (size_t row = 0; row < part->n_runs; row++) {
            long long number = part->run_numbers[row];
            if (number < 0 || (unsigned long long)number >= n_runs)
                return error_set(err, ERROR_INPUT,
                                 "%s: its run %lld is not in the grid of %zu "
                                 "runs",
                                 options->parts[p], number, n_runs);
            if (params_compare(&part->runs[row], &runs[number]) != 0) {
                params_describe(&part->runs[row], theirs, sizeof theirs);
                params_describe(&runs[number], ours, sizeof ours);
                return error_set(err, ERROR_INPUT,
                                 "%s: its run %lld (%s) is not the grid's "
                                 "run %lld (%s)",
                                 options->parts[p], number, theirs, number, ours);
            }
            run_status state = part->summaries[row].status;
            if (state != RUN_DONE && state != RUN_FAILED)
                continue;
            if (origins[number].source >= 0) {
                params_describe(&runs[number], ours, sizeof ours);
                return error_set(err, ERROR_INPUT,
                                 "run %lld (%s) is finished in both %s and "
                                 "%s; merge only one of them",
                                 number, ours, options->parts[origins[number].source],
                                 options->parts[p]);
            }
            origins[number] = (results_origin){p, (long long)row};
        }
    }
    return 0;
}

/* Append `text` to the growing string *out (of *used bytes); false when out
 * of memory. */
static bool append(char **out, size_t *used, const char *text)
{
    size_t length = strlen(text);
    char *grown = realloc(*out, *used + length + 1);
    if (grown == NULL)
        return false;
    memcpy(grown + *used, text, length + 1);
    *out = grown;
    *used += length;
    return true;
}

/* `text` as one shell word (single-quoted unless plainly safe). */
static bool append_shell_word(char **out, size_t *used, const char *text)
{
    static const char SAFE[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_./=-+:,";
    bool plain = text[0] != '\0' && strspn(text, SAFE) == strlen(text);
    if (plain)
        return append(out, used, text);
    if (!append(out, used, "'"))
        return false;
    for (const char *c = text; *c != '\0'; c++) {
        char one[2] = {*c, '\0'};
        if (!append(out, used, *c == '\'' ? "'\\''" : one))
            return false;
    }
    return append(out, used, "'");
}

/* The command that trains the missing runs into OUT. */
static char *resume_command(const results_index *part, const char *output)
{
    char *command = NULL;
    size_t used = 0;
    bool ok = append(&command, &used, "sweep ") &&
              append_shell_word(&command, &used,
                                part->config_path[0] != '\0' ? part->config_path : "CONFIG");
    const char *at = part->overrides; /* one --set argument per line */
    while (ok && *at != '\0') {
        const char *end = strchr(at, '\n');
        size_t length = end != NULL ? (size_t)(end - at) : strlen(at);
        char *one = strndup(at, length);
        ok = one != NULL && (length == 0 || (append(&command, &used, " --set ") &&
                                             append_shell_word(&command, &used, one)));
        free(one);
        at = end != NULL ? end + 1 : at + length;
    }
    ok = ok && append(&command, &used, " -o ") && append_shell_word(&command, &used, output) &&
         append(&command, &used, " --resume");
    if (!ok) {
        free(command);
        return NULL;
    }
    return command;
}

static void report_missing(FILE *report, const merge_options *options, const results_index *parts,
                           const train_params *runs, size_t n_runs, const results_origin *origins,
                           size_t n_missing)
{
    fprintf(report, "sweep merge: %zu of %zu runs are in no part and stay pending in %s: run%s",
            n_missing, n_runs, options->output, n_missing == 1 ? "" : "s");
    size_t named = 0, first = n_runs;
    for (size_t run = 0; run < n_runs && named < MISSING_NAMED; run++) {
        if (origins[run].source >= 0)
            continue;
        if (named == 0)
            first = run;
        fprintf(report, "%s %zu", named > 0 ? "," : "", run);
        named++;
    }
    if (n_missing > named)
        fprintf(report, " and %zu more", n_missing - named);
    char described[512] = "";
    if (first < n_runs)
        params_describe(&runs[first], described, sizeof described);
    char *command = resume_command(&parts[0], options->output);
    fprintf(report, " (run %zu: %s); train them with: %s\n", first, described,
            command != NULL ? command : "sweep CONFIG --resume");
    free(command);
}

/* The root attributes of the merged file: the sweep's from the first part;
 * the run-time ones over all parts (earliest start, every host, all
 * threads and ranks). */
static int merged_meta(const results_index *parts, int n_parts, results_meta *meta, char **hosts,
                       sweep_error *err)
{
    const results_index *first = &parts[0];
    size_t used = 0;
    *hosts = NULL;
    const char *earliest = first->start_time_utc;
    int threads = 0, ranks = 0;
    for (int p = 0; p < n_parts; p++) {
        const char *host = parts[p].host;
        bool seen = false;
        for (int q = 0; q < p && !seen; q++)
            seen = strcmp(parts[q].host, host) == 0;
        if (!seen && host[0] != '\0' &&
            (!append(hosts, &used, used > 0 ? "," : "") || !append(hosts, &used, host)))
            return error_set(err, ERROR_RUNTIME, "out of memory");
        if (parts[p].start_time_utc[0] != '\0' &&
            (earliest[0] == '\0' || strcmp(parts[p].start_time_utc, earliest) < 0))
            earliest = parts[p].start_time_utc;
        threads += parts[p].threads > 0 ? parts[p].threads : 1;
        ranks += parts[p].ranks > 0 ? parts[p].ranks : 1;
    }
    *meta = (results_meta){
        .config_text = first->config_text,
        .config_path = first->config_path,
        .overrides = first->overrides,
        .effective_config = first->effective_config,
        .version = SWEEP_VERSION,
        .start_time_utc = earliest,
        .host = *hosts != NULL ? *hosts : "",
        .threads = threads,
        .dataset_name = first->dataset_name,
        .n_train = first->n_train,
        .n_val = first->n_val,
        .n_test = first->n_test,
        .n_features = first->n_features,
        .data_checksum = first->data_checksum,
        .model = first->model,
        .n_classes = first->n_classes > 0 ? first->n_classes : 0,
        .class_names = (const char *const *)first->class_names,
        .ranks = ranks,
        .cv = first->cv,
    };
    return 0;
}

/* Read every part's index (parts[0..n_parts)), each of the same sweep as
 * the first. */
static int read_parts(const merge_options *options, results_index *parts, sweep_error *err)
{
    size_t output_length = strlen(options->output);
    for (int p = 0; p < options->n_parts; p++) {
        /* OUT.partial is where OUT is built: it cannot be read meanwhile. */
        const char *part = options->parts[p];
        if (strncmp(part, options->output, output_length) == 0 &&
            strcmp(part + output_length, ".partial") == 0)
            return error_set(err, ERROR_INPUT, "%s: cannot merge the file that %s is built in",
                             part, options->output);
        if (results_read_index(part, &parts[p], err) != 0)
            return -1;
        if (p > 0 && check_same_sweep(&parts[0], options->parts[0], &parts[p], part, err) != 0)
            return -1;
    }
    return 0;
}

/* The runs of the merged file: done, failed, or in no part. */
static void count_outcome(const results_index *parts, const results_origin *origins, size_t n_runs,
                          merge_outcome *outcome)
{
    outcome->n_runs = n_runs;
    for (size_t run = 0; run < n_runs; run++) {
        if (origins[run].source < 0)
            outcome->n_missing++;
        else if (parts[origins[run].source].summaries[origins[run].row].status == RUN_FAILED)
            outcome->n_failed++;
        else
            outcome->n_done++;
    }
}

int merge_parts(const merge_options *options, FILE *report, merge_outcome *outcome,
                sweep_error *err)
{
    int rc = -1;
    int n_parts = options->n_parts;
    results_index *parts = calloc((size_t)(n_parts > 0 ? n_parts : 1), sizeof *parts);
    train_params *runs = NULL;
    size_t n_runs = 0;
    results_origin *origins = NULL;
    output_lock *lock = NULL;
    results_writer *writer = NULL;
    char *hosts = NULL;
    memset(outcome, 0, sizeof *outcome);
    if (parts == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    if (n_parts < 1) {
        error_set(err, ERROR_INPUT, "merge: no parts given (usage: sweep merge OUT PART...)");
        goto cleanup;
    }
    if (read_parts(options, parts, err) != 0)
        goto cleanup;
    if (expand_grid(&parts[0], options->parts[0], &runs, &n_runs, err) != 0)
        goto cleanup;
    origins = malloc((n_runs > 0 ? n_runs : 1) * sizeof *origins);
    if (origins == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for %zu runs", n_runs);
        goto cleanup;
    }
    if (place_runs(options, parts, runs, n_runs, origins, err) != 0)
        goto cleanup;
    count_outcome(parts, origins, n_runs, outcome);

    results_meta meta;
    if (merged_meta(parts, n_parts, &meta, &hosts, err) != 0)
        goto cleanup;
    if (output_lock_acquire(options->output, &lock, err) != 0)
        goto cleanup;
    if (results_create_merged(options->output, options->overwrite, &meta, runs, n_runs,
                              options->parts, n_parts, origins, &writer, err) != 0)
        goto cleanup;
    /* Compressed, like a finished sweep's, when every run is in. */
    results_writer *closing = writer;
    writer = NULL;
    if (results_close(closing, outcome->n_missing == 0, err) != 0)
        goto cleanup;
    if (outcome->n_missing > 0)
        report_missing(report, options, parts, runs, n_runs, origins, outcome->n_missing);
    rc = 0;
cleanup:
    if (writer != NULL) {
        sweep_error ignored;
        results_close(writer, false, &ignored);
    }
    output_lock_release(lock);
    for (int p = 0; parts != NULL && p < n_parts; p++)
        results_index_free(&parts[p]);
    free(parts);
    free(runs);
    free(origins);
    free(hosts);
    return rc;
}
