/* settings.c: the table of sweep-wide settings, see settings.h. */
#include "settings.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>

const setting_info SETTING_INFO[SETTING_COUNT] = {
    /* The most worker threads a sweep may ask for, by threads: or by -j. */
    [SETTING_THREADS] = {"threads", "threads", "-j", 0, 4096, "(0 = all cores)"},
    [SETTING_MAX_RUNS] = {"max runs", NULL, "--max-runs", 1, LLONG_MAX, NULL},
    [SETTING_SHARDS] = {"shards", NULL, "--shard", 1, 1000000, NULL},
    /* Folds and repeats multiply the runs; the grid's max-runs check sees
     * the product, these bounds only keep the numbers sane. */
    [SETTING_CV_FOLDS] = {"folds", "cv.folds", NULL, 2, 1000, NULL},
    [SETTING_CV_REPEATS] = {"repeats", "cv.repeats", NULL, 1, 1000, NULL},
    /* numpy's RandomState takes seeds 0..2^32-1 */
    [SETTING_CV_SEED] = {"seed", "cv.seed", NULL, 0, 4294967295LL, NULL},
};

void settings_expected(setting_id id, char *text, size_t size)
{
    snprintf(text, size, "a whole number in %lld..%lld", SETTING_INFO[id].min,
             SETTING_INFO[id].max);
}

void settings_rule(setting_id id, char *text, size_t size)
{
    const setting_info *info = &SETTING_INFO[id];
    snprintf(text, size, "must be a whole number in %lld..%lld%s%s", info->min, info->max,
             info->note != NULL ? " " : "", info->note != NULL ? info->note : "");
}

bool settings_allows(setting_id id, double value)
{
    /* (double)LLONG_MAX rounds up to 2^63, which is not allowed: compare
     * below it. Every bound here is exact as a double otherwise. */
    const setting_info *info = &SETTING_INFO[id];
    double max = (double)info->max;
    bool below_max = info->max == LLONG_MAX ? value < max : value <= max;
    return isfinite(value) && value == floor(value) && value >= (double)info->min && below_max;
}
