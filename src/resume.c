/* resume.c: continuing a sweep into its results file. See resume.h. */
#include "resume.h"

#include <stdlib.h>
#include <string.h>

int resume_check_origin(const char *path, const results_index *index, const dataset *data,
                        const char *model, const char *checksum, const char *shard,
                        sweep_error *err)
{
    if (strcmp(index->model, model) != 0)
        return error_set(err, ERROR_INPUT,
                         "%s: cannot resume: it holds runs of model %s, the config trains %s", path,
                         index->model, model);
    if (index->data_checksum[0] != '\0' && strcmp(index->data_checksum, checksum) != 0)
        return error_set(err, ERROR_INPUT,
                         "%s: cannot resume: it was made from other data (%s, checksum %s; the "
                         "config's data %s has checksum %s)",
                         path, index->dataset_name, index->data_checksum, data->name, checksum);
    if (shard[0] != '\0' && strcmp(index->shard, shard) != 0) {
        if (index->shard[0] == '\0')
            return error_set(err, ERROR_INPUT,
                             "%s: cannot resume it as shard %s: it holds the "
                             "whole grid (resume it without --shard)",
                             path, shard);
        return error_set(err, ERROR_INPUT, "%s: cannot resume it as shard %s: it is shard %s", path,
                         shard, index->shard);
    }
    return 0;
}

int resume_check_cv(const char *path, const results_index *index, const fold_settings *cv,
                    sweep_error *err)
{
    if (folds_same_settings(&index->cv, cv))
        return 0;
    char theirs[96], ours[96];
    folds_describe(&index->cv, theirs, sizeof theirs);
    folds_describe(cv, ours, sizeof ours);
    return error_set(err, ERROR_INPUT,
                     "%s: cannot resume: its runs were made with %s, the config asks for %s "
                     "(their val rows differ; write to another output)",
                     path, theirs, ours);
}

/* A run of one of the two lists, for matching them by sorting. */
typedef struct {
    const train_params *params;
    size_t index;
} run_ref;

static int compare_run_refs(const void *left, const void *right)
{
    const run_ref *a = left, *b = right;
    int order = params_compare(a->params, b->params);
    if (order != 0)
        return order;
    return a->index < b->index ? -1 : (a->index > b->index);
}

int resume_match(const char *path, const results_index *index, const train_params *runs,
                 size_t n_runs, bool retry_failed, long long *copy_from, size_t *n_kept,
                 sweep_error *err)
{
    int status = -1;
    run_ref *ours = malloc((n_runs > 0 ? n_runs : 1) * sizeof *ours);
    run_ref *theirs = malloc((index->n_runs > 0 ? index->n_runs : 1) * sizeof *theirs);
    if (ours == NULL || theirs == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    for (size_t run = 0; run < n_runs; run++) {
        ours[run] = (run_ref){&runs[run], run};
        copy_from[run] = -1;
    }
    for (size_t run = 0; run < index->n_runs; run++)
        theirs[run] = (run_ref){&index->runs[run], run};
    qsort(ours, n_runs, sizeof *ours, compare_run_refs);
    qsort(theirs, index->n_runs, sizeof *theirs, compare_run_refs);
    size_t i = 0, j = 0, n_missing = 0, first_missing = 0;
    *n_kept = 0;
    while (j < index->n_runs) {
        int order = i < n_runs ? params_compare(ours[i].params, theirs[j].params) : 1;
        if (order < 0) {
            i++; /* a new run: trained */
            continue;
        }
        if (order > 0) {
            if (n_missing++ == 0 || theirs[j].index < first_missing)
                first_missing = theirs[j].index;
            j++;
            continue;
        }
        run_status state = index->summaries[theirs[j].index].status;
        if (state == RUN_DONE || (state == RUN_FAILED && !retry_failed)) {
            copy_from[ours[i].index] = (long long)theirs[j].index;
            (*n_kept)++;
        }
        i++;
        j++;
    }
    if (n_missing > 0) {
        char described[512];
        params_describe(&index->runs[first_missing], described, sizeof described);
        error_set(err, ERROR_INPUT,
                  "%s: cannot resume: %zu of its %zu runs are not in the config, e.g. run %zu "
                  "(%s); use -o for a new file, or --overwrite",
                  path, n_missing, index->n_runs, first_missing, described);
        goto cleanup;
    }
    status = 0;
cleanup:
    free(ours);
    free(theirs);
    return status;
}
