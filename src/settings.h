/* settings.h: the sweep-wide settings that are whole numbers with bounds,
 * in one table read by the command line (src/main.c) and the config reader.
 *
 * A bound is written once, here: the options' checks, the config's checks
 * and every message that states a range take it from SETTING_INFO, so a
 * changed bound cannot leave a message or the other reader behind.
 */
#ifndef SWEEP_SETTINGS_H
#define SWEEP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

/* The grid size refused without --max-runs (and the most values a range or
 * linspace may give); a macro because merge.c and the fuzz harness compare
 * sizes with it. */
#define CONFIG_DEFAULT_MAX_RUNS 1000000

typedef enum {
    SETTING_THREADS,    /* -j N, threads: N */
    SETTING_MAX_RUNS,   /* --max-runs N */
    SETTING_SHARDS,     /* N of --shard K/N */
    SETTING_CV_FOLDS,   /* cv.folds: K of the k-fold split */
    SETTING_CV_REPEATS, /* cv.repeats: R, RepeatedStratifiedKFold */
    SETTING_CV_SEED,    /* cv.seed: random_state of the fold shuffle */
    SETTING_COUNT
} setting_id;

typedef struct {
    const char *name;       /* as messages call it ("threads") */
    const char *config_key; /* the config's key, or NULL: command line only */
    const char *option;     /* the command-line option, or NULL: config only */
    long long min;          /* the smallest allowed value */
    long long max;          /* the largest */
    const char *note;       /* said after the range, "(0 = all cores)", or NULL */
} setting_info;

extern const setting_info SETTING_INFO[SETTING_COUNT];

/* "a whole number in 0..4096": what a value must be, for "NAME must be
 * EXPECTED, got 'abc'". */
void settings_expected(setting_id id, char *text, size_t size);

/* "must be a whole number in 0..4096 (0 = all cores)": the whole rule. */
void settings_rule(setting_id id, char *text, size_t size);

/* Whether `value` is a whole number within the setting's bounds. */
bool settings_allows(setting_id id, double value);

#endif
