/* results_read_cv.c: reading back a results file's cross-validation (the
 * cv_* root attributes and the per-run `fold` and `repeat`), see
 * results_source.h. A file made before cross-validation existed has none
 * of them and reads as a file without cv, so that it still resumes and
 * merges. */
#include "results_source.h"

#include <stdlib.h>

#define NOT_VALID "%s: not a valid sweep results file: "

/* The cv_* attributes: all absent (no cv), or settings within the config's
 * bounds. */
static int read_cv_attributes(const results_source *source, const char *path, fold_settings *cv,
                              sweep_error *err)
{
    long long folds = -1, repeats = -1, shuffle = -1, seed = -1;
    if (results_source_count_attribute(source, "cv_folds", &folds, err) != 0 ||
        results_source_count_attribute(source, "cv_repeats", &repeats, err) != 0 ||
        results_source_count_attribute(source, "cv_shuffle", &shuffle, err) != 0 ||
        results_source_count_attribute(source, "cv_seed", &seed, err) != 0)
        return -1;
    *cv = (fold_settings){0};
    if (folds == -1 && repeats == -1 && shuffle == -1 && seed == -1)
        return 0;
    if (folds < 2 || folds > 1000 || repeats < 1 || repeats > 1000 || shuffle < 0 || shuffle > 1 ||
        seed < 0 || seed > 4294967295LL)
        return error_set(err, ERROR_INPUT,
                         NOT_VALID "cv_folds %lld, cv_repeats %lld, cv_shuffle %lld, cv_seed "
                                   "%lld are not cross-validation settings",
                         path, folds, repeats, shuffle, seed);
    *cv = (fold_settings){.n_splits = (int)folds,
                          .n_repeats = (int)repeats,
                          .shuffle = shuffle == 1,
                          .seed = (uint32_t)seed};
    return 0;
}

/* Each run's `fold` and `repeat`: within the cv settings, or -1 in both
 * without cv. */
static int read_run_folds(const results_source *source, const char *path, results_index *index,
                          double *folds, double *repeats, sweep_error *err)
{
    if (results_source_read_reals(source, "fold", folds, err) != 0 ||
        results_source_read_reals(source, "repeat", repeats, err) != 0)
        return -1;
    const fold_settings *cv = &index->cv;
    for (size_t run = 0; run < index->n_runs; run++) {
        double fold = folds[run], repeat = repeats[run];
        bool none = fold == PARAMS_NO_FOLD && repeat == PARAMS_NO_FOLD && cv->n_splits == 0;
        bool within = cv->n_splits > 0 && fold >= 0 && fold < cv->n_splits &&
                      fold == (double)(int)fold && repeat >= 0 && repeat < cv->n_repeats &&
                      repeat == (double)(int)repeat;
        if (!none && !within)
            return error_set(err, ERROR_INPUT,
                             NOT_VALID "run %zu has fold %.17g and repeat %.17g, but cv_folds "
                                       "is %d and cv_repeats %d",
                             path, run, fold, repeat, cv->n_splits, cv->n_repeats);
        index->runs[run].fold = none ? PARAMS_NO_FOLD : (int)fold;
        index->runs[run].repeat = none ? PARAMS_NO_FOLD : (int)repeat;
    }
    return 0;
}

int results_read_folds(const results_source *source, const char *path, results_index *index,
                       sweep_error *err)
{
    for (size_t run = 0; run < index->n_runs; run++)
        index->runs[run].fold = index->runs[run].repeat = PARAMS_NO_FOLD;
    if (read_cv_attributes(source, path, &index->cv, err) != 0)
        return -1;
    bool has_fold = results_source_has(source, "fold");
    if (has_fold != results_source_has(source, "repeat"))
        return error_set(err, ERROR_INPUT, NOT_VALID "it has only one of 'fold' and 'repeat'",
                         path);
    if (!has_fold) {
        if (index->cv.n_splits == 0)
            return 0;
        return error_set(err, ERROR_INPUT,
                         NOT_VALID "cv_folds is %d but it has no 'fold' of each run", path,
                         index->cv.n_splits);
    }
    int status = -1;
    double *folds = malloc(index->n_runs * sizeof *folds);
    double *repeats = malloc(index->n_runs * sizeof *repeats);
    if (folds == NULL || repeats == NULL)
        error_set(err, ERROR_RUNTIME, "out of memory");
    else
        status = read_run_folds(source, path, index, folds, repeats, err);
    free(folds);
    free(repeats);
    return status;
}
