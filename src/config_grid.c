/* config_grid.c: the grid: setting (one mapping or a list of them, value
 * lists or range/linspace/logspace generators) and the check that no run
 * is given twice, naming both places. */
#include "config_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- grid --------------------------------------------------------------- */

/* The written items of a generator's list, "0, 10, 2", for messages. */
static void written_items(reader *r, const yaml_node_t *list, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (yaml_node_item_t *item = list->data.sequence.items.start;
         item < list->data.sequence.items.top && used < size; item++) {
        const yaml_node_t *node = yaml_document_get_node(&r->document, *item);
        char clipped[64];
        clip_text(scalar_text(node), node->data.scalar.length, clipped, sizeof clipped);
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 item > list->data.sequence.items.start ? ", " : "", clipped);
    }
}

/* With `generate` false only *n_values is set (and *values is NULL): the
 * grid's size is checked before any generated value is allocated. */
static int read_range(reader *r, const yaml_node_t *list, bool generate, double **values,
                      int *n_values)
{
    int n_items = (int)(list->data.sequence.items.top - list->data.sequence.items.start);
    if (n_items != 2 && n_items != 3) {
        char shown[64];
        snprintf(shown, sizeof shown, "a list of %d", n_items);
        return node_error(r, list,
                          "range must be a list [start, stop] or [start, stop, step], got %s",
                          shown);
    }
    double bounds[3] = {0, 0, 1};
    for (int i = 0; i < n_items; i++) {
        const yaml_node_t *item =
            yaml_document_get_node(&r->document, list->data.sequence.items.start[i]);
        if (read_number(r, item, "range values", "whole numbers", &bounds[i]) < 0)
            return -1;
        if (!is_whole(bounds[i]))
            return value_error(r, item, "range values", "must be whole numbers");
        if (fabs(bounds[i]) > 9007199254740992.0)
            return value_error(r, item, "range values", "must be between -2^53 and 2^53");
        if (i == 2 && bounds[i] == 0)
            return node_error(r, item, "range step must not be 0");
    }

    sweep_error inner = {0};
    size_t count = 0;
    char written[160];
    if (grid_range_count(bounds[0], bounds[1], bounds[2], &count, &inner) < 0)
        return relay_error(r, list, &inner);
    written_items(r, list, written, sizeof written);
    if (count == 0)
        return node_error(r, list, "range [%s] gives no values", written);
    if (count > r->max_runs)
        return node_error(r, list,
                          "range [%s] gives %zu values, more than the limit of %zu runs (raise "
                          "it with --max-runs)",
                          written, count, r->max_runs);
    if (count > INT_MAX)
        return node_error(r, list, "range [%s] gives %zu values, too many", written, count);
    if (!generate) {
        *values = NULL;
        *n_values = (int)count;
        return 0;
    }
    if (grid_range(bounds[0], bounds[1], bounds[2], values, n_values, &inner) < 0)
        return relay_error(r, list, &inner);
    return 0;
}

/* linspace or logspace: [start, stop, num]; `generate` as for read_range. */
static int read_spaced(reader *r, const char *generator, const yaml_node_t *list, bool generate,
                       double **values, int *n_values)
{
    int n_items = (int)(list->data.sequence.items.top - list->data.sequence.items.start);
    if (n_items != 3)
        return node_error(r, list, "%s must be a list [start, stop, num], got a list of %d",
                          generator, n_items);
    const char *roles[3] = {"start", "stop", "num"};
    double numbers[3];
    for (int i = 0; i < 3; i++) {
        const yaml_node_t *item =
            yaml_document_get_node(&r->document, list->data.sequence.items.start[i]);
        char name[32];
        snprintf(name, sizeof name, "%s %s", generator, roles[i]);
        if (read_number(r, item, name, i < 2 ? "a number" : "a whole number >= 1", &numbers[i]) < 0)
            return -1;
        if (i < 2 && !isfinite(numbers[i]))
            return value_error(r, item, name, "must be a finite number");
        if (i == 2 && (!is_whole(numbers[i]) || numbers[i] < 1))
            return value_error(r, item, name, "must be a whole number >= 1");
        if (i == 2 && numbers[i] > (double)r->max_runs)
            return node_error(r, item,
                              "%s %.0f is more than the limit of %zu runs (raise it with "
                              "--max-runs)",
                              name, numbers[i], r->max_runs);
        if (i == 2 && numbers[i] > INT_MAX)
            return value_error(r, item, name, "must be <= 2147483647");
    }
    sweep_error inner = {0};
    int num = (int)numbers[2];
    if (!generate) {
        *values = NULL;
        *n_values = num;
        return 0;
    }
    int status = strcmp(generator, "linspace") == 0
                     ? grid_linspace(numbers[0], numbers[1], num, values, &inner)
                     : grid_logspace(numbers[0], numbers[1], num, values, &inner);
    if (status < 0)
        return relay_error(r, list, &inner);
    *n_values = num;
    return 0;
}

/* {range: [...]}, {linspace: [...]} or {logspace: [...]}; every value it
 * gives must be allowed for parameter `id`. With `generate` false it is only
 * checked and counted (*values NULL), see handle_grid. */
static int read_generator(reader *r, const yaml_node_t *mapping, param_id id, bool generate,
                          double **values, int *n_values)
{
    static const char *const GENERATORS[] = {"range", "linspace", "logspace"};
    const char *name = PARAM_INFO[id].name;
    int n_pairs = (int)(mapping->data.mapping.pairs.top - mapping->data.mapping.pairs.start);
    if (n_pairs != 1)
        return node_error(r, mapping,
                          "%s must be a list of values or a mapping with one key (range, "
                          "linspace or logspace), got a mapping with %d keys",
                          name, n_pairs);

    const yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
    const yaml_node_t *key = yaml_document_get_node(&r->document, pair->key);
    const yaml_node_t *list = yaml_document_get_node(&r->document, pair->value);
    const yaml_node_t *first_seen[3] = {0};
    char context[64];
    int which = 0;
    snprintf(context, sizeof context, "grid.%s", name);
    if (match_key(r, key, GENERATORS, 3, context, first_seen, &which) < 0)
        return -1;
    const char *generator = GENERATORS[which];
    if (list->type != YAML_SEQUENCE_NODE)
        return type_error(r, list, generator,
                          which == 0 ? "a list [start, stop] or [start, stop, step]"
                                     : "a list [start, stop, num]");
    if ((which == 0 ? read_range(r, list, generate, values, n_values)
                    : read_spaced(r, generator, list, generate, values, n_values)) < 0)
        return -1;
    if (!generate)
        return 0;

    for (int i = 0; i < *n_values; i++) {
        char problem_text[80];
        const char *problem = params_check(id, (*values)[i], problem_text, sizeof problem_text);
        if (problem != NULL) {
            char shown[32];
            format_double((*values)[i], shown, sizeof shown);
            free(*values);
            *values = NULL;
            return node_error(r, mapping, "%s gives %s, but %s %s", generator, shown, name,
                              problem);
        }
    }
    return 0;
}

/* The values of one grid key: a number, a list of numbers or a generator.
 * A generator is only counted here (values NULL); fill_generators makes its
 * values once the grid's size is known to be within the limit. */
static int read_grid_values(reader *r, const yaml_node_t *node, param_id id, double **values,
                            int *n_values)
{
    int status = -1;
    double *read = NULL;
    int n_read = 0;

    if (node->type == YAML_MAPPING_NODE) {
        if (read_generator(r, node, id, false, &read, &n_read) < 0)
            goto cleanup;
    } else if (node->type == YAML_SEQUENCE_NODE) {
        n_read = (int)(node->data.sequence.items.top - node->data.sequence.items.start);
        if (n_read == 0) {
            node_error(r, node, "%s has an empty list of values", PARAM_INFO[id].name);
            goto cleanup;
        }
        read = malloc((size_t)n_read * sizeof *read);
        if (read == NULL) {
            out_of_memory(r);
            goto cleanup;
        }
        for (int i = 0; i < n_read; i++) {
            const yaml_node_t *item =
                yaml_document_get_node(&r->document, node->data.sequence.items.start[i]);
            if (read_param(r, item, id, &read[i]) < 0)
                goto cleanup;
        }
    } else {
        /* A single value is a one-value list. */
        n_read = 1;
        read = malloc(sizeof *read);
        if (read == NULL) {
            out_of_memory(r);
            goto cleanup;
        }
        if (read_param(r, node, id, &read[0]) < 0)
            goto cleanup;
    }
    *values = read;
    *n_values = n_read;
    read = NULL;
    status = 0;
cleanup:
    free(read);
    return status;
}

/* One mapping of hyperparameter -> values, keys kept in written order. */
static int read_grid_mapping(reader *r, const yaml_node_t *mapping, grid_spec *grid)
{
    const yaml_node_t *first_seen[PARAM_COUNT] = {0};
    for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
         pair < mapping->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = yaml_document_get_node(&r->document, pair->key);
        const yaml_node_t *value = yaml_document_get_node(&r->document, pair->value);
        int id = 0;
        /* one model per sweep: its results file describes one network */
        if (key->type == YAML_SCALAR_NODE && strcmp(scalar_text(key), "type") == 0)
            return node_error(r, key,
                              "type cannot be swept: one sweep trains one model "
                              "(set model: {type: ...}, one sweep per model)");
        /* folds split the data; they are not a setting a model is compared by */
        if (key->type == YAML_SCALAR_NODE && strcmp(scalar_text(key), "cv") == 0)
            return node_error(r, key,
                              "cv cannot be swept: it is a top-level setting of the whole "
                              "sweep (cv: {folds: K}), and every grid point is trained on "
                              "every fold");
        if (match_key(r, key, param_names(), PARAM_COUNT, "grid", first_seen, &id) < 0)
            return -1;
        /* Duplicates were refused, so there is room: n_keys < PARAM_COUNT. */
        int k = grid->n_keys;
        if (read_grid_values(r, value, (param_id)id, &grid->values[k], &grid->n_values[k]) < 0)
            return -1;
        grid->keys[k] = (param_id)id;
        grid->n_keys++;
    }
    return 0;
}

/* The values of the generators that read_grid_mapping only counted; pairs
 * and keys are in the same order. */
static int fill_generators(reader *r, const yaml_node_t *mapping, grid_spec *grid)
{
    int k = 0;
    for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
         pair < mapping->data.mapping.pairs.top; pair++, k++) {
        const yaml_node_t *value = yaml_document_get_node(&r->document, pair->value);
        if (value->type == YAML_MAPPING_NODE &&
            read_generator(r, value, grid->keys[k], true, &grid->values[k], &grid->n_values[k]) < 0)
            return -1;
    }
    return 0;
}

/* Two passes, so that a grid too large is refused before anything the size
 * of the grid is allocated: the first reads every key and counts the values
 * of range, linspace and logspace; only when the runs are within the limit
 * does the second generate those values (a few lines of ranges could
 * otherwise ask for gigabytes, key by key, before the count refuses them). */
int handle_grid(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
{
    sweep_config *out = target;
    int n_grids = 0;
    r->grid_value = value;
    if (value->type == YAML_MAPPING_NODE) {
        /* grid: {} sweeps nothing: like no grid, the model is the one run. */
        n_grids = value->data.mapping.pairs.top > value->data.mapping.pairs.start ? 1 : 0;
    } else if (value->type == YAML_SEQUENCE_NODE) {
        n_grids = (int)(value->data.sequence.items.top - value->data.sequence.items.start);
        if (n_grids == 0)
            return node_error(r, value, "grid must not be an empty list");
    } else {
        return type_error(r, value, "grid", "a mapping or a list of mappings");
    }

    if (n_grids > 0) {
        out->grids = calloc((size_t)n_grids, sizeof *out->grids);
        if (out->grids == NULL)
            return out_of_memory(r);
        out->n_grids = n_grids;
    }
    if (value->type == YAML_MAPPING_NODE && n_grids == 1) {
        if (read_grid_mapping(r, value, &out->grids[0]) < 0)
            return -1;
    } else if (value->type == YAML_SEQUENCE_NODE) {
        for (int g = 0; g < n_grids; g++) {
            const yaml_node_t *item =
                yaml_document_get_node(&r->document, value->data.sequence.items.start[g]);
            if (item->type != YAML_MAPPING_NODE)
                return type_error(r, item, "each grid in the list", "a mapping");
            if (read_grid_mapping(r, item, &out->grids[g]) < 0)
                return -1;
        }
    }

    sweep_error inner = {0};
    if (grid_count(out->grids, out->n_grids, r->max_runs, &out->n_runs, &inner) < 0)
        return relay_error(r, key, &inner);
    for (int g = 0; g < n_grids; g++) {
        const yaml_node_t *mapping =
            value->type == YAML_MAPPING_NODE
                ? value
                : yaml_document_get_node(&r->document, value->data.sequence.items.start[g]);
        if (fill_generators(r, mapping, &out->grids[g]) < 0)
            return -1;
    }
    return 0;
}

/* ---- runs that repeat ---------------------------------------------------- */

/* "LINE:COL" of a node of the file, "--set KEY=VALUE" of one an override made:
 * the second place named in a message that already names the file. */
static void short_origin(const reader *r, const yaml_node_t *node, char *buf, size_t size)
{
    if (node_override(r, node) >= 0)
        describe_origin(r, node, buf, size);
    else
        snprintf(buf, size, "%zu:%zu", node->start_mark.line + 1, node->start_mark.column + 1);
}

/* The mapping of grid `g`: grid: itself, or item g of its list. */
static const yaml_node_t *grid_mapping(reader *r, int g)
{
    if (r->grid_value->type == YAML_MAPPING_NODE)
        return r->grid_value;
    return yaml_document_get_node(&r->document, r->grid_value->data.sequence.items.start[g]);
}

/* Where value `index` of key k of a grid mapping was written: its list item,
 * the scalar, or the generator mapping that made it (*generated). */
static const yaml_node_t *grid_value_node(reader *r, const yaml_node_t *mapping, int k, int index,
                                          bool *generated)
{
    const yaml_node_t *value =
        yaml_document_get_node(&r->document, mapping->data.mapping.pairs.start[k].value);
    *generated = value->type == YAML_MAPPING_NODE;
    if (value->type == YAML_SEQUENCE_NODE)
        return yaml_document_get_node(&r->document, value->data.sequence.items.start[index]);
    return value;
}

/* Runs first and second (first < second) are the same run: say where the
 * grid repeats itself. */
static int report_duplicate(reader *r, const sweep_config *out, const train_params *runs,
                            size_t first, size_t second)
{
    int g1 = 0, g2 = 0, at1[PARAM_COUNT] = {0}, at2[PARAM_COUNT] = {0};
    grid_locate(out->grids, out->n_grids, first, &g1, at1);
    grid_locate(out->grids, out->n_grids, second, &g2, at2);
    char where[512], run_text[512];
    if (g1 != g2) {
        const yaml_node_t *earlier = grid_mapping(r, g1);
        short_origin(r, earlier, where, sizeof where);
        params_describe(&runs[second], run_text, sizeof run_text);
        return node_error(r, grid_mapping(r, g2),
                          "grid %d repeats a run of grid %d (at %s): %s; the grids of a list "
                          "must not overlap",
                          g2 + 1, g1 + 1, where, run_text);
    }
    const grid_spec *grid = &out->grids[g1];
    int k = 0;
    while (k < grid->n_keys - 1 && at1[k] == at2[k])
        k++;
    const char *name = PARAM_INFO[grid->keys[k]].name;
    char shown[40];
    format_double(grid->values[k][at2[k]], shown, sizeof shown);
    const yaml_node_t *mapping = grid_mapping(r, g1);
    bool generated = false;
    const yaml_node_t *node1 = grid_value_node(r, mapping, k, at1[k], &generated);
    const yaml_node_t *node2 = grid_value_node(r, mapping, k, at2[k], &generated);
    if (generated)
        return node_error(r, node1,
                          "%s gives the value %s twice (values %d and %d), so the grid would "
                          "train the same runs twice",
                          name, shown, at1[k] + 1, at2[k] + 1);
    short_origin(r, node1, where, sizeof where);
    return node_error(r, node2,
                      "%s %s is listed twice (first at %s), so the grid would train the same "
                      "runs twice; remove one",
                      name, shown, where);
}

/* A grid that gives the same run twice would train copies and report a std
 * over identical runs: refused, naming both places. Sorting the runs keeps
 * this O(n log n) for a million of them. */
int check_duplicate_runs(reader *r, const sweep_config *out)
{
    if (out->n_grids == 0 || out->n_runs < 2)
        return 0;
    int status = -1;
    train_params *runs = NULL;
    size_t n_runs = 0, first = 0, second = 0;
    sweep_error inner = {0};
    if (grid_expand(&out->model, out->grids, out->n_grids, 0, &runs, &n_runs, &inner) < 0) {
        error_set(r->err, inner.kind, "%s", inner.message);
        goto cleanup;
    }
    int found = grid_find_duplicate(runs, n_runs, &first, &second, &inner);
    if (found < 0)
        error_set(r->err, inner.kind, "%s", inner.message);
    else if (found > 0)
        report_duplicate(r, out, runs, first, second);
    else
        status = 0;
cleanup:
    free(runs);
    return status;
}
