/* config_cv.c: the cv: mapping (cross-validation), see config.h.
 *
 * Its whole-number keys take their bounds and words from settings.h, like
 * threads:. The defaults are scikit-learn's: StratifiedKFold(n_splits,
 * shuffle=False, random_state=None) and RepeatedStratifiedKFold, which
 * always shuffles; a seed without shuffle is kept but has no effect, as
 * scikit-learn ignores random_state then.
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

/* A whole number within the settings table's bounds for `id`. */
static int read_setting(reader *r, const yaml_node_t *value, setting_id id, double *number)
{
    const char *name = SETTING_INFO[id].config_key;
    char expected[80], rule[120];
    settings_expected(id, expected, sizeof expected);
    if (read_number(r, value, name, expected, number) < 0)
        return -1;
    if (!settings_allows(id, *number)) {
        settings_rule(id, rule, sizeof rule);
        return value_error(r, value, name, rule);
    }
    return 0;
}

static int handle_cv_folds(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                           void *target)
{
    (void)key;
    cv_choice *choice = target;
    double folds = 0;
    if (read_setting(r, value, SETTING_CV_FOLDS, &folds) < 0)
        return -1;
    choice->settings.n_splits = (int)folds;
    choice->has_folds = true;
    return 0;
}

static int handle_cv_repeats(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                             void *target)
{
    cv_choice *choice = target;
    double repeats = 0;
    if (read_setting(r, value, SETTING_CV_REPEATS, &repeats) < 0)
        return -1;
    choice->settings.n_repeats = (int)repeats;
    choice->repeats_key = key;
    return 0;
}

static int handle_cv_seed(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    (void)key;
    cv_choice *choice = target;
    double seed = 0;
    if (read_setting(r, value, SETTING_CV_SEED, &seed) < 0)
        return -1;
    choice->settings.seed = (uint32_t)seed;
    return 0;
}

static int handle_cv_shuffle(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                             void *target)
{
    cv_choice *choice = target;
    if (!scalar_bool(r, value, &choice->settings.shuffle))
        return type_error(r, value, "cv.shuffle", "true or false");
    choice->has_shuffle = true;
    choice->shuffle_key = key;
    return 0;
}

static const key_rule CV_RULES[] = {
    {"folds", YAML_NO_NODE, NULL, handle_cv_folds}, /* its words come from settings.h */
    {"shuffle", YAML_SCALAR_NODE, "true or false", handle_cv_shuffle},
    {"seed", YAML_NO_NODE, NULL, handle_cv_seed},
    {"repeats", YAML_NO_NODE, NULL, handle_cv_repeats},
};

int handle_cv(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    (void)key;
    (void)target;
    cv_choice *choice = &r->cv;
    memset(choice, 0, sizeof *choice);
    choice->node = value;
    choice->settings.n_repeats = 1;
    if (walk_mapping(r, value, CV_RULES, (int)(sizeof CV_RULES / sizeof CV_RULES[0]), "cv",
                     choice) < 0)
        return -1;
    if (!choice->has_folds)
        return node_error(r, value, "cv needs folds: (the number of folds K, e.g. cv: {folds: 5})");
    if (choice->settings.n_repeats > 1) {
        /* RepeatedStratifiedKFold: the same folds R times would be one run
         * R times over, so repeats always shuffle. */
        if (choice->has_shuffle && !choice->settings.shuffle)
            return node_error(r, choice->shuffle_key,
                              "cv.shuffle: false with repeats: %d would repeat the same folds; "
                              "repeats always shuffle (RepeatedStratifiedKFold): remove "
                              "shuffle: or set it to true",
                              choice->settings.n_repeats);
        choice->settings.shuffle = true;
    }
    return 0;
}

/* The settings into the config, and the runs they multiply checked against
 * the grid's limit, reported at the cv: mapping. */
int finish_cv(reader *r, sweep_config *out)
{
    const cv_choice *choice = &r->cv;
    if (choice->node == NULL)
        return 0;
    out->cv = choice->settings;
    size_t per_point = (size_t)choice->settings.n_splits * (size_t)choice->settings.n_repeats;
    if (out->n_runs > r->max_runs / per_point)
        return node_error(r, choice->node,
                          "cv: %zu grid points x %zu fold runs each is more than %zu runs "
                          "(raise --max-runs if this is intended)",
                          out->n_runs, per_point, r->max_runs);
    return 0;
}
