/* config.c: reading a sweep's YAML file with libyaml's document API.
 *
 * Four passes over the text. (1) libyaml's event parser checks the syntax and
 * refuses aliases, a second document and absurd nesting, so that everything
 * later sees a plain tree. (2) yaml_parser_load builds that tree. (3) Each
 * --set value is parsed the same way and grafted into the tree, remembering
 * which override made each new node so that messages can point at it.
 * (4) The tree is interpreted from tables of {key, node type, handler}, as
 * canonical/netplan's parse.c does, stopping at the first problem.
 *
 * The passes live in files of their own, sharing config_internal.h:
 * config_parse.c (1, 2), config_override.c (3), config_node.c (messages,
 * scalars and keys for 4), config_grid.c (the grid: of 4) and config_emit.c
 * (the effective configuration). This file holds the schema of the other
 * settings, the defaults and the entry points.
 *
 * Numbers follow the YAML 1.2 core schema (1, -1, .5, 1e-3, 0x10, 0o17,
 * .inf, .nan); a quoted scalar is a string, never a number. Only the
 * config*.c files include yaml.h.
 */
#include "config_internal.h"
#include "file_read.h"
#include "model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES ((size_t)64 << 20) /* a config is a page of text, not a data set */
#define DEFAULT_TARGET "target"
#define DEFAULT_VAL_FRACTION 0.2
#define DEFAULT_TEST_FRACTION 0.0
#define DEFAULT_SPLIT_SEED 42u

/* ---- the other settings ------------------------------------------------- */

/* The name becomes the default output, results/<name>.h5, so it must stay
 * one plain file name inside results/. */
static int handle_name(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    (void)key;
    char **name = &((sweep_config *)target)->name;
    if (read_string(r, value, "name", name) < 0)
        return -1;
    bool control = false;
    for (const unsigned char *c = (const unsigned char *)*name; *c; c++)
        control = control || *c < 0x20 || *c == 0x7F;
    if (strchr(*name, '/') != NULL || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0 ||
        control)
        return value_error(r, value, "name",
                           "must be a plain name (no '/', not '.' or '..', no control "
                           "characters): it names results/<name>.h5");
    return 0;
}

static int handle_output(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    (void)key;
    return read_string(r, value, "output", &((sweep_config *)target)->output);
}

/* Bounds and words from the settings table, shared with -j. */
static int handle_threads(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    (void)key;
    const char *name = SETTING_INFO[SETTING_THREADS].config_key;
    double threads = 0;
    char expected[80], rule[120];
    settings_expected(SETTING_THREADS, expected, sizeof expected);
    if (read_number(r, value, name, expected, &threads) < 0)
        return -1;
    if (!settings_allows(SETTING_THREADS, threads)) {
        settings_rule(SETTING_THREADS, rule, sizeof rule);
        return value_error(r, value, name, rule);
    }
    ((sweep_config *)target)->threads = (int)threads;
    return 0;
}

/* model.type: the name of a model of the table (model.h). */
static int read_model_type(reader *r, const yaml_node_t *value, sweep_config *out)
{
    char *name = NULL;
    if (read_string(r, value, "type", &name) < 0)
        return -1;
    int id = model_find(name);
    free(name);
    if (id < 0)
        return value_error(r, value, "type", "must be one of: minibatch, multiclass");
    out->model.model = (model_id)id;
    return 0;
}

static int handle_model(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    (void)key;
    sweep_config *out = target;
    /* the hyperparameters, then `type` (index PARAM_COUNT) */
    const char *names[PARAM_COUNT + 1];
    for (int id = 0; id < PARAM_COUNT; id++)
        names[id] = PARAM_INFO[id].name;
    names[PARAM_COUNT] = "type";
    const yaml_node_t *first_seen[PARAM_COUNT + 1] = {0};
    for (yaml_node_pair_t *pair = value->data.mapping.pairs.start;
         pair < value->data.mapping.pairs.top; pair++) {
        const yaml_node_t *param_key = yaml_document_get_node(&r->document, pair->key);
        const yaml_node_t *param_value = yaml_document_get_node(&r->document, pair->value);
        int id = 0;
        double number = 0;
        if (match_key(r, param_key, names, PARAM_COUNT + 1, "model", first_seen, &id) < 0)
            return -1;
        if (id == PARAM_COUNT) {
            if (read_model_type(r, param_value, out) < 0)
                return -1;
            continue;
        }
        if (read_param(r, param_value, (param_id)id, &number) < 0)
            return -1;
        params_set(&out->model, (param_id)id, number);
    }
    return 0;
}

/* The dataset mapping's keys; they write into a dataset_choice. */

static int either_or_error(reader *r, const yaml_node_t *key, const char *one, const char *other)
{
    return node_error(r, key, "give either %s or %s in dataset, not both", one, other);
}

static int handle_dataset_builtin(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                                  void *target)
{
    dataset_choice *choice = target;
    if (choice->path_key != NULL)
        return either_or_error(r, key, "path", "builtin");
    char *name = NULL;
    if (read_string(r, value, "builtin", &name) < 0)
        return -1;
    if (!dataset_is_builtin(name)) {
        free(name);
        return value_error(r, value, "builtin", "must be one of " DATASET_BUILTIN_NAMES);
    }
    free(choice->builtin);
    choice->builtin = name;
    choice->builtin_key = key;
    return 0;
}

static int handle_dataset_path(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                               void *target)
{
    dataset_choice *choice = target;
    if (choice->builtin_key != NULL)
        return either_or_error(r, key, "builtin", "path");
    choice->path_key = key;
    r->path_value = value;
    return read_string(r, value, "path", &choice->path);
}

static int handle_dataset_target(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                                 void *target)
{
    (void)key;
    return read_string(r, value, "target", &((dataset_choice *)target)->target);
}

static int handle_dataset_split(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                                void *target)
{
    dataset_choice *choice = target;
    if (choice->fraction_key != NULL)
        return either_or_error(r, key, "val_fraction/test_fraction/split_seed", "split");
    choice->split_key = key;
    return read_string(r, value, "split", &choice->split);
}

/* The stratified split's settings exclude a split column. */
static int note_fraction_key(reader *r, const yaml_node_t *key, dataset_choice *choice)
{
    if (choice->split_key != NULL)
        return either_or_error(r, key, "split", "val_fraction/test_fraction/split_seed");
    if (choice->fraction_key == NULL)
        choice->fraction_key = key;
    return 0;
}

static int handle_dataset_val_fraction(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                                       void *target)
{
    dataset_choice *choice = target;
    if (note_fraction_key(r, key, choice) < 0 ||
        read_number(r, value, "val_fraction", "a number", &choice->val_fraction) < 0)
        return -1;
    if (!(choice->val_fraction > 0 && choice->val_fraction < 1))
        return value_error(r, value, "val_fraction", "must be > 0 and < 1");
    choice->has_val_fraction = true;
    return 0;
}

static int handle_dataset_test_fraction(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                                        void *target)
{
    dataset_choice *choice = target;
    if (note_fraction_key(r, key, choice) < 0 ||
        read_number(r, value, "test_fraction", "a number", &choice->test_fraction) < 0)
        return -1;
    if (!(choice->test_fraction >= 0 && choice->test_fraction < 1))
        return value_error(r, value, "test_fraction", "must be >= 0 and < 1");
    choice->has_test_fraction = true;
    return 0;
}

static int handle_dataset_split_seed(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                                     void *target)
{
    dataset_choice *choice = target;
    double seed = 0;
    if (note_fraction_key(r, key, choice) < 0 ||
        read_number(r, value, "split_seed", "a whole number", &seed) < 0)
        return -1;
    if (!is_whole(seed) || seed < 0 || seed > 4294967295.0)
        return value_error(r, value, "split_seed", "must be a whole number in 0..4294967295");
    choice->split_seed = (uint32_t)seed;
    choice->has_split_seed = true;
    return 0;
}

static int handle_dataset_standardize(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                                      void *target)
{
    (void)key;
    dataset_choice *choice = target;
    if (!scalar_bool(r, value, &choice->standardize))
        return type_error(r, value, "standardize", "true or false");
    choice->has_standardize = true;
    return 0;
}

static const key_rule DATASET_RULES[] = {
    {"builtin", YAML_SCALAR_NODE, "a string", handle_dataset_builtin},
    {"path", YAML_SCALAR_NODE, "a string", handle_dataset_path},
    {"target", YAML_SCALAR_NODE, "a string", handle_dataset_target},
    {"split", YAML_SCALAR_NODE, "a string", handle_dataset_split},
    {"val_fraction", YAML_SCALAR_NODE, "a number", handle_dataset_val_fraction},
    {"test_fraction", YAML_SCALAR_NODE, "a number", handle_dataset_test_fraction},
    {"split_seed", YAML_SCALAR_NODE, "a whole number", handle_dataset_split_seed},
    {"standardize", YAML_SCALAR_NODE, "true or false", handle_dataset_standardize},
};

static int handle_dataset(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    (void)key;
    (void)target;
    if (value->type == YAML_MAPPING_NODE)
        return walk_mapping(r, value, DATASET_RULES,
                            (int)(sizeof DATASET_RULES / sizeof DATASET_RULES[0]), "dataset",
                            &r->dataset);
    if (value->type == YAML_SCALAR_NODE && dataset_is_builtin(scalar_text(value))) {
        free(r->dataset.builtin);
        r->dataset.builtin = strdup(scalar_text(value));
        return r->dataset.builtin != NULL ? 0 : out_of_memory(r);
    }
    return type_error(r, value, "dataset",
                      "a built-in set (" DATASET_BUILTIN_NAMES ") or a mapping with path:");
}

static const key_rule TOP_RULES[] = {
    {"name", YAML_SCALAR_NODE, "a string", handle_name},
    {"dataset", YAML_NO_NODE, NULL, handle_dataset},
    {"model", YAML_MAPPING_NODE, "a mapping", handle_model},
    {"grid", YAML_NO_NODE, NULL, handle_grid},
    {"cv", YAML_MAPPING_NODE, "a mapping such as {folds: 5, shuffle: true, seed: 0}", handle_cv},
    {"output", YAML_SCALAR_NODE, "a string", handle_output},
    {"threads", YAML_NO_NODE, NULL, handle_threads}, /* its words come from settings.h */
};

/* "name, dataset, ...": the keys of TOP_RULES, for messages that list them. */
void top_level_keys(char *text, size_t size)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < sizeof TOP_RULES / sizeof TOP_RULES[0] && used < size; i++)
        used +=
            (size_t)snprintf(text + used, size - used, "%s%s", i > 0 ? ", " : "", TOP_RULES[i].key);
}

/* ---- defaults and the effective configuration --------------------------- */

/* "a/b/batch_grid.yaml" -> "batch_grid"; like Python's Path.stem, a leading
 * dot does not start an extension. */
static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t length = dot != NULL && dot > base ? (size_t)(dot - base) : strlen(base);
    if (length == 0)
        return strdup("sweep");
    char *stem = malloc(length + 1);
    if (stem != NULL) {
        memcpy(stem, base, length);
        stem[length] = '\0';
    }
    return stem;
}

/* A relative data path is relative to the config file's folder. */
static char *resolve_data_path(const char *config_path, const char *data_path)
{
    const char *slash = strrchr(config_path, '/');
    if (data_path[0] == '/' || slash == NULL)
        return strdup(data_path);
    size_t folder = (size_t)(slash - config_path) + 1;
    char *resolved = malloc(folder + strlen(data_path) + 1);
    if (resolved != NULL) {
        memcpy(resolved, config_path, folder);
        strcpy(resolved + folder, data_path);
    }
    return resolved;
}

/* describe_origin's text in a new string, or NULL when out of memory. */
static char *node_origin(const reader *r, const yaml_node_t *node)
{
    int override = node_override(r, node);
    size_t size = strlen(r->path) + 64 + (override >= 0 ? strlen(r->overrides[override]) : 0);
    char *origin = malloc(size);
    if (origin != NULL)
        describe_origin(r, node, origin, size);
    return origin;
}

static char *copy_or_null(const char *text)
{
    return text != NULL ? strdup(text) : NULL;
}

/* Fills the dataset fields of `out` from what the mapping said and the defaults. */
static int finish_dataset(reader *r, sweep_config *out)
{
    dataset_choice *choice = &r->dataset;
    dataset_spec spec = dataset_spec_builtin(choice->builtin != NULL ? choice->builtin : "wdbc");
    /* Built-in sets without a split column are split the textbook's way
     * unless the config says otherwise; CSV files have their own defaults. */
    bool builtin_split = choice->path == NULL && spec.split_column == NULL;
    bool stratified = choice->fraction_key != NULL || (builtin_split && choice->split == NULL);
    const char *split = choice->split;

    if (choice->path != NULL) {
        out->dataset_name = strdup(choice->path);
        out->dataset_path = resolve_data_path(r->path, choice->path);
        out->dataset_origin = node_origin(r, r->path_value);
        if (out->dataset_name == NULL || out->dataset_path == NULL || out->dataset_origin == NULL)
            return out_of_memory(r);
        spec.builtin = NULL;
        spec.standardize = true;
        stratified = stratified || split == NULL;
    } else {
        out->dataset_name = strdup(spec.builtin);
        if (out->dataset_name == NULL)
            return out_of_memory(r);
        spec.builtin = out->dataset_name;
        if (split == NULL && !stratified)
            split = spec.split_column;
    }
    if (stratified) {
        split = NULL;
        spec.val_fraction = choice->has_val_fraction ? choice->val_fraction
                            : builtin_split          ? spec.val_fraction
                                                     : DEFAULT_VAL_FRACTION;
        spec.test_fraction = choice->has_test_fraction ? choice->test_fraction
                             : builtin_split           ? spec.test_fraction
                                                       : DEFAULT_TEST_FRACTION;
        spec.split_seed = choice->has_split_seed ? choice->split_seed
                          : builtin_split        ? spec.split_seed
                                                 : DEFAULT_SPLIT_SEED;
    }
    if (choice->has_standardize)
        spec.standardize = choice->standardize;
    const char *target_column =
        choice->target != NULL
            ? choice->target
            : (choice->path == NULL && spec.target != NULL ? spec.target : DEFAULT_TARGET);
    out->dataset_target = strdup(target_column);
    out->dataset_split = copy_or_null(split);
    if (out->dataset_target == NULL || (split != NULL && out->dataset_split == NULL))
        return out_of_memory(r);
    spec.path = out->dataset_path;
    spec.path_as_written = out->dataset_name;
    spec.path_origin = out->dataset_origin;
    spec.target = out->dataset_target;
    spec.split_column = out->dataset_split;
    out->dataset = spec;
    return 0;
}

static int finish_config(reader *r, sweep_config *out)
{
    if (check_duplicate_runs(r, out) < 0 || finish_cv(r, out) < 0)
        return -1;
    if (out->name == NULL && (out->name = file_stem(r->path)) == NULL)
        return out_of_memory(r);
    if (out->output == NULL) {
        out->output = malloc(strlen(out->name) + sizeof "results/.h5");
        if (out->output == NULL)
            return out_of_memory(r);
        sprintf(out->output, "results/%s.h5", out->name);
    }
    if (finish_dataset(r, out) < 0 || build_effective(r, out) < 0 || join_overrides(r, out) < 0)
        return -1;
    return 0;
}

/* ---- entry points ------------------------------------------------------- */

int config_load_text(const char *text, size_t size, const char *path, const config_options *options,
                     sweep_config *out, sweep_error *err)
{
    int status = -1;
    reader r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.path = path != NULL ? path : "<config>";
    r.err = err;
    r.max_runs = CONFIG_DEFAULT_MAX_RUNS;
    if (options != NULL) {
        r.overrides = options->overrides;
        r.n_overrides = options->overrides != NULL ? options->n_overrides : 0;
        if (options->max_runs != 0)
            r.max_runs = options->max_runs;
    }
    if (text == NULL)
        size = 0;

    out->path = strdup(r.path);
    out->text = malloc(size + 1);
    if (out->path == NULL || out->text == NULL) {
        out_of_memory(&r);
        goto cleanup;
    }
    if (size > 0)
        memcpy(out->text, text, size);
    out->text[size] = '\0';
    out->model = params_defaults();
    out->n_runs = 1;

    if (load_file_document(&r, out->text, size) < 0)
        goto cleanup;
    for (int i = 0; i < r.n_overrides; i++)
        if (apply_override(&r, i) < 0)
            goto cleanup;
    if (walk_mapping(&r, yaml_document_get_root_node(&r.document), TOP_RULES,
                     (int)(sizeof TOP_RULES / sizeof TOP_RULES[0]), NULL, out) < 0 ||
        finish_config(&r, out) < 0)
        goto cleanup;
    status = 0;
cleanup:
    if (r.have_document)
        yaml_document_delete(&r.document);
    free(r.added_by);
    free(r.added_tags);
    free(r.file_tags);
    free(r.dataset.builtin);
    free(r.dataset.path);
    free(r.dataset.target);
    free(r.dataset.split);
    if (status < 0)
        config_free(out);
    return status;
}

int config_load(const char *path, const config_options *options, sweep_config *out,
                sweep_error *err)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    size_t size = 0;
    file_read_problem problem;
    const file_read_options read_options = {.max_bytes = MAX_FILE_BYTES, .regular_only = false};
    switch (file_read_whole(path, &read_options, &text, &size, &problem)) {
    case FILE_READ_OK:
        break;
    case FILE_READ_CANNOT_OPEN:
    case FILE_READ_NOT_REGULAR: /* not asked for: a pipe is a fine config */
        return error_set(err, ERROR_INPUT, "%s: cannot open: %s", path, strerror(problem.error));
    case FILE_READ_TOO_LARGE:
        return error_set(err, ERROR_INPUT, "%s: too large for a config (over %zu MiB)", path,
                         MAX_FILE_BYTES >> 20);
    case FILE_READ_CANNOT_READ:
        return error_set(err, ERROR_INPUT, "%s: cannot read: %s", path, strerror(problem.error));
    case FILE_READ_NO_MEMORY:
        return error_set(err, ERROR_RUNTIME, "out of memory");
    }
    int status = config_load_text(text, size, path, options, out, err);
    free(text);
    return status;
}

void config_free(sweep_config *config)
{
    if (config == NULL)
        return;
    free(config->path);
    free(config->text);
    free(config->name);
    free(config->dataset_name);
    free(config->dataset_path);
    free(config->dataset_target);
    free(config->dataset_split);
    free(config->dataset_origin);
    for (int g = 0; g < config->n_grids; g++)
        grid_spec_free(&config->grids[g]);
    free(config->grids);
    free(config->output);
    free(config->overrides);
    free(config->effective);
    memset(config, 0, sizeof *config);
}
