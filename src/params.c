#include "params.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const param_info PARAM_INFO[PARAM_COUNT] = {
    [PARAM_BATCH_SIZE] = {"batch_size", true, 1, false, 1e9, 32},
    [PARAM_LEARNING_RATE] = {"learning_rate", false, 0, true, HUGE_VAL, 0.1},
    [PARAM_L1] = {"l1", false, 0, false, HUGE_VAL, 0.0},
    [PARAM_L2] = {"l2", false, 0, false, HUGE_VAL, 0.0},
    [PARAM_UNITS] = {"units", true, 1, false, 1e6, 10},
    [PARAM_EPOCHS] = {"epochs", true, 1, false, 1e7, 500},
    [PARAM_SEED] = {"seed", true, 0, false, 4294967295.0, 42},
};

train_params params_defaults(void)
{
    train_params params = {.model = MODEL_MINIBATCH,
                           .fold = PARAMS_NO_FOLD,
                           .repeat = PARAMS_NO_FOLD};
    for (int id = 0; id < PARAM_COUNT; id++)
        params_set(&params, (param_id)id, PARAM_INFO[id].default_value);
    return params;
}

int params_find(const char *name)
{
    for (int id = 0; id < PARAM_COUNT; id++)
        if (strcmp(PARAM_INFO[id].name, name) == 0)
            return id;
    return -1;
}

double params_get(const train_params *params, param_id id)
{
    switch (id) {
    case PARAM_BATCH_SIZE:
        return params->batch_size;
    case PARAM_LEARNING_RATE:
        return params->learning_rate;
    case PARAM_L1:
        return params->l1;
    case PARAM_L2:
        return params->l2;
    case PARAM_UNITS:
        return params->units;
    case PARAM_EPOCHS:
        return params->epochs;
    case PARAM_SEED:
        return params->seed;
    case PARAM_COUNT:
        break;
    }
    return NAN;
}

void params_set(train_params *params, param_id id, double value)
{
    switch (id) {
    case PARAM_BATCH_SIZE:
        params->batch_size = (int)value;
        break;
    case PARAM_LEARNING_RATE:
        params->learning_rate = value;
        break;
    case PARAM_L1:
        params->l1 = value;
        break;
    case PARAM_L2:
        params->l2 = value;
        break;
    case PARAM_UNITS:
        params->units = (int)value;
        break;
    case PARAM_EPOCHS:
        params->epochs = (int)value;
        break;
    case PARAM_SEED:
        params->seed = (uint32_t)value;
        break;
    case PARAM_COUNT:
        break;
    }
}

int params_compare(const train_params *a, const train_params *b)
{
    for (int id = 0; id < PARAM_COUNT; id++) {
        double x = params_get(a, (param_id)id), y = params_get(b, (param_id)id);
        if (x != y)
            return x < y ? -1 : 1;
    }
    if (a->repeat != b->repeat)
        return a->repeat < b->repeat ? -1 : 1;
    if (a->fold != b->fold)
        return a->fold < b->fold ? -1 : 1;
    return 0;
}

void params_describe(const train_params *params, char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (int id = 0; id < PARAM_COUNT && used < size; id++) {
        int n = snprintf(text + used, size - used, "%s%s=%.17g", id > 0 ? ", " : "",
                         PARAM_INFO[id].name, params_get(params, (param_id)id));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (params->fold != PARAMS_NO_FOLD && used < size)
        snprintf(text + used, size - used, ", repeat=%d, fold=%d", params->repeat, params->fold);
}

/* A bound as a message shows it: whole bounds without a fraction. */
static void format_bound(double bound, char *text, size_t size)
{
    if (bound == floor(bound) && fabs(bound) < 1e17)
        snprintf(text, size, "%.0f", bound);
    else
        snprintf(text, size, "%g", bound);
}

const char *params_check(param_id id, double value, char *text, size_t size)
{
    const param_info *info = &PARAM_INFO[id];
    bool too_low = info->min_exclusive ? value <= info->min : value < info->min;
    bool too_high = value > info->max;
    bool not_whole = info->is_integer && isfinite(value) && value != floor(value);
    if (!isnan(value) && !too_low && !too_high && !not_whole && isfinite(value))
        return NULL;
    /* Only a value that is refused pays for formatting the bounds. */
    char min[32], max[32];
    format_bound(info->min, min, sizeof min);
    format_bound(info->max, max, sizeof max);
    /* A whole-number setting from 0 is stated as its range (the seed's). */
    bool as_range = info->is_integer && info->min == 0 && !info->min_exclusive;
    if (isnan(value) || (isinf(value) && !(too_low ? isfinite(info->min) : isfinite(info->max))))
        snprintf(text, size, "must be a finite number");
    else if ((too_low || too_high) && as_range)
        snprintf(text, size, "must be in %s..%s", min, max);
    else if (too_low)
        snprintf(text, size, "must be %s %s", info->min_exclusive ? ">" : ">=", min);
    else if (too_high)
        snprintf(text, size, "must be <= %s", max);
    else
        snprintf(text, size, "must be a whole number");
    return text;
}
