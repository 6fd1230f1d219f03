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
 * Numbers follow the YAML 1.2 core schema (1, -1, .5, 1e-3, 0x10, 0o17,
 * .inf, .nan); a quoted scalar is a string, never a number. Only this file
 * includes yaml.h.
 */
#include "config.h"

#include "model.h"
#include "number.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define MAX_FILE_BYTES ((size_t)64 << 20)  /* a config is a page of text, not a data set */
#define MAX_NESTING 64                     /* the schema needs 5 levels */
#define MAX_SHOWN_TEXT 48                  /* bytes of user text quoted in a message */
#define DEFAULT_TARGET "target"
#define DEFAULT_VAL_FRACTION 0.2
#define DEFAULT_TEST_FRACTION 0.0
#define DEFAULT_SPLIT_SEED 42u
#define SETTINGS_LIST "name, dataset, model, grid, output, threads"

/* What a node's explicit YAML tag makes it; TAG_NONE: untagged, read by its
 * style (a plain scalar may be a number, a quoted one is a string). */
typedef enum {
    TAG_NONE = 0,
    TAG_STR,         /* !!str, or the non-specific ! on a scalar: a string */
    TAG_INT,         /* !!int: an integer, quoted or not */
    TAG_FLOAT,       /* !!float: a number, quoted or not */
    TAG_BOOL,        /* !!bool */
    TAG_NULL,        /* !!null */
    TAG_COLLECTION   /* !!seq or !!map on the matching node: nothing changes */
} yaml_tag;

#define KNOWN_TAGS "!!str, !!int, !!float, !!bool, !!null, !!seq, !!map"

/* What the dataset: mapping said, before defaults are filled in. */
typedef struct {
    const yaml_node_t *builtin_key;   /* key nodes of the options that exclude each other */
    const yaml_node_t *path_key;
    const yaml_node_t *split_key;
    const yaml_node_t *fraction_key;  /* the first of val_fraction, test_fraction, split_seed */
    char *builtin;                    /* a built-in set's name, or NULL (wdbc unless path) */
    char *path;                       /* as written, or NULL */
    char *target;                     /* or NULL for the default */
    char *split;                      /* or NULL */
    bool has_val_fraction, has_test_fraction, has_split_seed, has_standardize;
    double val_fraction;
    double test_fraction;
    uint32_t split_seed;
    bool standardize;
} dataset_choice;

/* Everything the reader needs while it walks the document. */
typedef struct {
    const char *path;                 /* the config as given, for messages */
    const char *const *overrides;     /* (n_overrides) "KEY=VALUE" */
    int n_overrides;
    size_t max_runs;                  /* resolved: never 0 */
    sweep_error *err;
    yaml_document_t document;         /* the file's tree with the overrides grafted in */
    bool have_document;
    int n_file_nodes;                 /* nodes 1..n_file_nodes come from the file */
    int *added_by;                    /* (n_added) override index of node n_file_nodes + 1 + i */
    unsigned char *added_tags;        /* (n_added) yaml_tag of node n_file_nodes + 1 + i */
    int n_added;
    int added_capacity;
    unsigned char *file_tags;         /* (n_file_tags) yaml_tag of node 1 + i */
    int n_file_tags;
    const yaml_node_t *grid_value;    /* the grid: value, for messages about its runs */
    const yaml_node_t *path_value;    /* the dataset's path: value */
    dataset_choice dataset;
} reader;

/* ---- positions and messages ------------------------------------------- */

static int out_of_memory(reader *r)
{
    return error_set(r->err, ERROR_RUNTIME, "out of memory");
}

/* Index of `node` in the document; libyaml counts from 1. */
static int node_index(const reader *r, const yaml_node_t *node)
{
    return (int)(node - r->document.nodes.start) + 1;
}

/* The override that made `node`, or -1 when it comes from the file. */
static int node_override(const reader *r, const yaml_node_t *node)
{
    int index = node_index(r, node);
    if (index <= r->n_file_nodes)
        return -1;
    return r->added_by[index - r->n_file_nodes - 1];
}

/* "CONFIG:LINE:COL" for a node of the file, "--set KEY=VALUE" for one made
 * by an override (an override is a one-liner: no position needed). */
static void describe_origin(const reader *r, const yaml_node_t *node, char *buf, size_t size)
{
    int override = node_override(r, node);
    if (override >= 0)
        snprintf(buf, size, "--set %s", r->overrides[override]);
    else
        snprintf(buf, size, "%s:%zu:%zu", r->path, node->start_mark.line + 1,
                 node->start_mark.column + 1);
}

/* A problem found while scanning text: at `mark` in the file, or in the
 * value of override `override` (>= 0). The text is never cut here: a long
 * message loses its middle in error_set, so the reason at its end stays. */
__attribute__((format(printf, 4, 0)))
static int mark_errorv(reader *r, int override, yaml_mark_t mark, const char *fmt, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    int length = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *what = length >= 0 ? malloc((size_t)length + 1) : NULL;
    if (what == NULL)
        return out_of_memory(r);
    vsnprintf(what, (size_t)length + 1, fmt, args);
    if (override >= 0)
        error_set(r->err, ERROR_INPUT, "--set %s: %s", r->overrides[override], what);
    else
        error_set(r->err, ERROR_INPUT, "%s:%zu:%zu: %s", r->path, mark.line + 1,
                  mark.column + 1, what);
    free(what);
    return -1;
}

__attribute__((format(printf, 4, 5)))
static int mark_error(reader *r, int override, yaml_mark_t mark, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    mark_errorv(r, override, mark, fmt, args);
    va_end(args);
    return -1;
}

__attribute__((format(printf, 3, 4)))
static int node_error(reader *r, const yaml_node_t *node, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    mark_errorv(r, node_override(r, node), node->start_mark, fmt, args);
    va_end(args);
    return -1;
}

/* A message of grid.c (which knows no positions) placed at `node`. */
static int relay_error(reader *r, const yaml_node_t *node, const sweep_error *inner)
{
    if (inner->kind == ERROR_RUNTIME)
        return error_set(r->err, ERROR_RUNTIME, "%s", inner->message);
    return node_error(r, node, "%s", inner->message);
}

/* User text as it may appear in a one-line message: at most MAX_SHOWN_TEXT
 * bytes (cut between UTF-8 characters). Control bytes are kept: error_set
 * shows them as \xNN; a NUL, which would end the text, is written so here. */
static void clip_text(const char *text, size_t length, char *buf, size_t size)
{
    size_t n = length;
    bool cut = false;
    if (n > MAX_SHOWN_TEXT) {
        n = MAX_SHOWN_TEXT;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
        cut = true;
    }
    size_t out = 0;
    for (size_t i = 0; i < n && out + 8 < size; i++) {
        if (text[i] == '\0') {
            memcpy(buf + out, "\\x00", 4);
            out += 4;
        } else {
            buf[out++] = text[i];
        }
    }
    if (cut) {
        memcpy(buf + out, "...", 3);
        out += 3;
    }
    buf[out] = '\0';
}

static const char *scalar_text(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* The explicit tag of `node` (scan_text recorded it), TAG_NONE without one. */
static yaml_tag node_tag(const reader *r, const yaml_node_t *node)
{
    int index = node_index(r, node);
    if (index <= r->n_file_nodes)
        return index <= r->n_file_tags ? (yaml_tag)r->file_tags[index - 1] : TAG_NONE;
    return (yaml_tag)r->added_tags[index - r->n_file_nodes - 1];
}

static bool text_is_null(const char *text, size_t length)
{
    return length == 0 || strcmp(text, "~") == 0 || strcmp(text, "null") == 0 ||
           strcmp(text, "Null") == 0 || strcmp(text, "NULL") == 0;
}

/* YAML's null: an empty plain scalar (as in `model:`), ~ or null, or !!null. */
static bool is_null(const reader *r, const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE)
        return false;
    yaml_tag tag = node_tag(r, node);
    if (tag == TAG_NULL)
        return true;
    if (tag != TAG_NONE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    return text_is_null(scalar_text(node), node->data.scalar.length);
}

/* What a value is, for "X must be Y, got Z" messages. */
static void describe_value(const reader *r, const yaml_node_t *node, char *buf, size_t size)
{
    static const char *const TAG_NAMES[] = {
        [TAG_INT] = "!!int", [TAG_FLOAT] = "!!float", [TAG_BOOL] = "!!bool"};
    char clipped[64];
    yaml_tag tag = node->type == YAML_SCALAR_NODE ? node_tag(r, node) : TAG_NONE;
    if (node->type == YAML_MAPPING_NODE) {
        snprintf(buf, size, "a mapping");
    } else if (node->type == YAML_SEQUENCE_NODE) {
        snprintf(buf, size, "a list");
    } else if (is_null(r, node)) {
        snprintf(buf, size, "nothing");
    } else {
        clip_text(scalar_text(node), node->data.scalar.length, clipped, sizeof clipped);
        if (tag == TAG_STR)
            snprintf(buf, size, "'%s' (tagged !!str, so a string)", clipped);
        else if (tag == TAG_INT || tag == TAG_FLOAT || tag == TAG_BOOL)
            snprintf(buf, size, "'%s' (tagged %s)", clipped, TAG_NAMES[tag]);
        else if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            snprintf(buf, size, "'%s'", clipped);
        else
            snprintf(buf, size, "'%s' (quoted, so a string)", clipped);
    }
}

/* "NAME must be EXPECTED, got 'abc'": the value has the wrong type. */
static int type_error(reader *r, const yaml_node_t *node, const char *name, const char *expected)
{
    char shown[128];
    describe_value(r, node, shown, sizeof shown);
    return node_error(r, node, "%s must be %s, got %s", name, expected, shown);
}

/* "NAME PROBLEM, got 0": a number of the right type but not allowed. */
static int value_error(reader *r, const yaml_node_t *node, const char *name, const char *problem)
{
    char clipped[64];
    clip_text(scalar_text(node), node->data.scalar.length, clipped, sizeof clipped);
    return node_error(r, node, "%s %s, got %s", name, problem, clipped);
}

/* The shortest %g that reads back as the same double (Python's repr rule). */
static void format_double(double value, char *buf, size_t size)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (!isfinite(value) || strtod(buf, NULL) == value)
            return;
    }
}

/* ---- scalars ------------------------------------------------------------ */


static bool is_hex_digit(char c)
{
    return number_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The value of text written as a YAML 1.2 core-schema number; false for
 * anything else. Overflow gives +-inf, which callers refuse with the bound.
 * strtod assumes the C locale's decimal point. */
static bool text_number(const char *text, size_t length, double *value)
{
    if (length == 0 || strlen(text) != length)
        return false;
    if (strcmp(text, ".nan") == 0 || strcmp(text, ".NaN") == 0 || strcmp(text, ".NAN") == 0) {
        *value = NAN;
        return true;
    }
    const char *p = text;
    bool negative = false;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0) {
        *value = negative ? -INFINITY : INFINITY;
        return true;
    }
    if (p == text && p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
        int base = p[1] == 'x' ? 16 : 8;
        const char *digits = p + 2;
        if (*digits == '\0')
            return false;
        for (const char *q = digits; *q; q++)
            if (base == 16 ? !is_hex_digit(*q) : (*q < '0' || *q > '7'))
                return false;
        errno = 0;
        unsigned long long whole = strtoull(digits, NULL, base);
        *value = errno == ERANGE ? INFINITY : (double)whole;
        return true;
    }
    /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    p = number_skip_decimal(p);
    if (p == NULL || *p != '\0')
        return false;
    char *end = NULL;
    *value = strtod(text, &end);
    return end == text + length;
}

/* The core schema's integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. */
static bool text_is_integer(const char *text, size_t length)
{
    double ignored;
    if (!text_number(text, length, &ignored))
        return false;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'o'))
        return true;
    const char *p = text + (text[0] == '+' || text[0] == '-');
    while (number_is_digit(*p))
        p++;
    return *p == '\0' && p > text + (text[0] == '+' || text[0] == '-');
}

static bool text_bool(const char *text, bool *value)
{
    if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 || strcmp(text, "TRUE") == 0) {
        *value = true;
        return true;
    }
    if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 ||
        strcmp(text, "FALSE") == 0) {
        *value = false;
        return true;
    }
    return false;
}

/* A number: a plain scalar written as one, or a scalar tagged !!int or
 * !!float (whose text scan_text checked). Not a quoted or !!str scalar. */
static bool scalar_number(const reader *r, const yaml_node_t *node, double *value)
{
    if (node->type != YAML_SCALAR_NODE)
        return false;
    yaml_tag tag = node_tag(r, node);
    bool plain = tag == TAG_NONE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!plain && tag != TAG_INT && tag != TAG_FLOAT)
        return false;
    return text_number(scalar_text(node), node->data.scalar.length, value);
}

static bool scalar_bool(const reader *r, const yaml_node_t *node, bool *value)
{
    if (node->type != YAML_SCALAR_NODE)
        return false;
    yaml_tag tag = node_tag(r, node);
    bool plain = tag == TAG_NONE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!plain && tag != TAG_BOOL)
        return false;
    return text_bool(scalar_text(node), value);
}

static bool is_whole(double value)
{
    return isfinite(value) && value == floor(value);
}

/* A number, or "NAME must be EXPECTED, got ...". */
static int read_number(reader *r, const yaml_node_t *node, const char *name,
                       const char *expected, double *value)
{
    if (!scalar_number(r, node, value))
        return type_error(r, node, name, expected);
    return 0;
}

/* A hyperparameter's value, checked against the schema in params.c. */
static int read_param(reader *r, const yaml_node_t *node, param_id id, double *value)
{
    const param_info *info = &PARAM_INFO[id];
    if (read_number(r, node, info->name, info->is_integer ? "a whole number" : "a number",
                    value) < 0)
        return -1;
    char problem_text[80];
    const char *problem = params_check(id, *value, problem_text, sizeof problem_text);
    if (problem != NULL)
        return value_error(r, node, info->name, problem);
    return 0;
}

/* A non-empty string, copied into *out (replacing what was there). */
static int read_string(reader *r, const yaml_node_t *node, const char *name, char **out)
{
    yaml_tag tag = node->type == YAML_SCALAR_NODE ? node_tag(r, node) : TAG_NONE;
    if (node->type != YAML_SCALAR_NODE || tag == TAG_INT || tag == TAG_FLOAT || tag == TAG_BOOL)
        return type_error(r, node, name, "a string");
    if (is_null(r, node) || node->data.scalar.length == 0)
        return node_error(r, node, "%s must not be empty", name);
    if (strlen(scalar_text(node)) != node->data.scalar.length)
        return node_error(r, node, "%s must not contain NUL characters", name);
    char *copy = strdup(scalar_text(node));
    if (copy == NULL)
        return out_of_memory(r);
    free(*out);
    *out = copy;
    return 0;
}

/* ---- keys --------------------------------------------------------------- */

static char lower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Optimal string alignment distance (Levenshtein plus adjacent swaps),
 * ignoring ASCII case; SIZE_MAX for strings too long to be a misspelt key. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { LONGEST = 64 };
    size_t n_a = strlen(a), n_b = strlen(b);
    if (n_a > LONGEST || n_b > LONGEST)
        return SIZE_MAX;
    /* Three rows of the dynamic-programming table: i-2, i-1 and i. */
    size_t rows[3][LONGEST + 1];
    for (size_t j = 0; j <= n_b; j++)
        rows[0][j] = j;
    for (size_t i = 1; i <= n_a; i++) {
        size_t *before = rows[(i + 1) % 3], *previous = rows[(i + 2) % 3], *current = rows[i % 3];
        current[0] = i;
        for (size_t j = 1; j <= n_b; j++) {
            size_t cost = lower_ascii(a[i - 1]) == lower_ascii(b[j - 1]) ? 0 : 1;
            size_t best = previous[j] + 1;
            if (current[j - 1] + 1 < best)
                best = current[j - 1] + 1;
            if (previous[j - 1] + cost < best)
                best = previous[j - 1] + cost;
            if (i > 1 && j > 1 && lower_ascii(a[i - 1]) == lower_ascii(b[j - 2]) &&
                lower_ascii(a[i - 2]) == lower_ascii(b[j - 1]) && before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            current[j] = best;
        }
    }
    return rows[n_a % 3][n_b];
}

/* The name `key` was probably meant to be: within a third of its length and
 * at most 3 edits, so that "lr" does not become "l1". NULL when none is. */
static const char *closest_name(const char *key, const char *const *names, int n_names)
{
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (int i = 0; i < n_names; i++) {
        size_t distance = edit_distance(key, names[i]);
        if (distance <= 3 && distance * 3 <= strlen(names[i]) && distance < best_distance) {
            best = names[i];
            best_distance = distance;
        }
    }
    return best;
}

/* Which of `names` the mapping key `key` is. Refuses keys that are not
 * scalars, unknown keys (naming the closest valid one, or all of them) and
 * repeated ones; first_seen[i] remembers where name i was seen. `context` is
 * "model", "grid" ... or NULL at the top level. */
static int match_key(reader *r, const yaml_node_t *key, const char *const *names, int n_names,
                     const char *context, const yaml_node_t **first_seen, int *which)
{
    char in_context[80] = "";
    if (context != NULL)
        snprintf(in_context, sizeof in_context, " in %s", context);
    if (key->type != YAML_SCALAR_NODE) {
        char shown[128];
        describe_value(r, key, shown, sizeof shown);
        return node_error(r, key, "keys%s must be names, got %s", in_context, shown);
    }
    const char *text = scalar_text(key);
    for (int i = 0; i < n_names; i++) {
        if (strcmp(text, names[i]) != 0 || strlen(text) != key->data.scalar.length)
            continue;
        if (first_seen[i] != NULL) {
            char first[512];
            if (node_override(r, first_seen[i]) >= 0)
                describe_origin(r, first_seen[i], first, sizeof first);
            else
                snprintf(first, sizeof first, "%zu:%zu", first_seen[i]->start_mark.line + 1,
                         first_seen[i]->start_mark.column + 1);
            return node_error(r, key, "duplicate key '%s'%s (first at %s)", names[i],
                              in_context, first);
        }
        first_seen[i] = key;
        *which = i;
        return 0;
    }

    char clipped[64];
    clip_text(text, key->data.scalar.length, clipped, sizeof clipped);
    if (context == NULL && params_find(text) >= 0)
        return node_error(r, key, "unknown key '%s' (hyperparameters go under model: or grid:)",
                          clipped);
    const char *suggestion = closest_name(text, names, n_names);
    if (suggestion != NULL)
        return node_error(r, key, "unknown key '%s'%s (did you mean '%s'?)", clipped, in_context,
                          suggestion);
    char expected[256] = "";
    size_t used = 0;
    for (int i = 0; i < n_names && used < sizeof expected; i++)
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s",
                                 i > 0 ? ", " : "", names[i]);
    return node_error(r, key, "unknown key '%s'%s (expected one of: %s)", clipped, in_context,
                      expected);
}

static const char *const *param_names(void)
{
    static const char *names[PARAM_COUNT];
    for (int id = 0; id < PARAM_COUNT; id++)
        names[id] = PARAM_INFO[id].name;
    return names;
}

/* One key of a mapping: what its value must be and who interprets it. */
typedef int (*value_handler)(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                             void *target);

typedef struct {
    const char *key;
    yaml_node_type_t type;   /* YAML_NO_NODE: the handler checks the type itself */
    const char *expected;    /* what `type` is, in words, for messages */
    value_handler handle;
} key_rule;

enum { MAX_RULES = 16 };

/* Hands each pair of `mapping` to the handler of its key, in written order. */
static int walk_mapping(reader *r, const yaml_node_t *mapping, const key_rule *rules,
                        int n_rules, const char *context, void *target)
{
    const char *names[MAX_RULES];
    const yaml_node_t *first_seen[MAX_RULES] = {0};
    for (int i = 0; i < n_rules; i++)
        names[i] = rules[i].key;
    for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
         pair < mapping->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = yaml_document_get_node(&r->document, pair->key);
        const yaml_node_t *value = yaml_document_get_node(&r->document, pair->value);
        int which = 0;
        if (match_key(r, key, names, n_rules, context, first_seen, &which) < 0)
            return -1;
        const key_rule *rule = &rules[which];
        if (rule->type != YAML_NO_NODE && value->type != rule->type)
            return type_error(r, value, rule->key, rule->expected);
        if (rule->handle(r, key, value, target) < 0)
            return -1;
    }
    return 0;
}

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
        return node_error(r, list, "range must be a list [start, stop] or [start, stop, step], got %s",
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
        if (read_number(r, item, name, i < 2 ? "a number" : "a whole number >= 1",
                        &numbers[i]) < 0)
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
            return node_error(r, key, "type cannot be swept: one sweep trains one model "
                                      "(set model: {type: ...}, one sweep per model)");
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
            read_generator(r, value, grid->keys[k], true, &grid->values[k],
                           &grid->n_values[k]) < 0)
            return -1;
    }
    return 0;
}

/* Two passes, so that a grid too large is refused before anything the size
 * of the grid is allocated: the first reads every key and counts the values
 * of range, linspace and logspace; only when the runs are within the limit
 * does the second generate those values (a few lines of ranges could
 * otherwise ask for gigabytes, key by key, before the count refuses them). */
static int handle_grid(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target)
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
static const yaml_node_t *grid_value_node(reader *r, const yaml_node_t *mapping, int k,
                                          int index, bool *generated)
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
static int check_duplicate_runs(reader *r, const sweep_config *out)
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

static int handle_output(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                         void *target)
{
    (void)key;
    return read_string(r, value, "output", &((sweep_config *)target)->output);
}

static int handle_threads(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                          void *target)
{
    (void)key;
    double threads = 0;
    if (read_number(r, value, "threads", "a whole number in 0.." SWEEP_TEXT(SWEEP_MAX_THREADS),
                    &threads) < 0)
        return -1;
    if (!is_whole(threads) || threads < 0 || threads > SWEEP_MAX_THREADS)
        return value_error(r, value, "threads", SWEEP_THREADS_RULE);
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

static int handle_dataset_val_fraction(reader *r, const yaml_node_t *key,
                                       const yaml_node_t *value, void *target)
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

static int handle_dataset_test_fraction(reader *r, const yaml_node_t *key,
                                        const yaml_node_t *value, void *target)
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

static int handle_dataset_split_seed(reader *r, const yaml_node_t *key,
                                     const yaml_node_t *value, void *target)
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

static int handle_dataset_standardize(reader *r, const yaml_node_t *key,
                                      const yaml_node_t *value, void *target)
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

static int handle_dataset(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                          void *target)
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
    {"output", YAML_SCALAR_NODE, "a string", handle_output},
    {"threads", YAML_SCALAR_NODE, "a whole number in 0.." SWEEP_TEXT(SWEEP_MAX_THREADS),
     handle_threads},
};

/* ---- reading text into the document ------------------------------------- */

/* libyaml's description of a syntax error, at its position. `text` is what
 * was parsed (reader errors give a byte offset, not a line). */
static int parser_error(reader *r, const yaml_parser_t *parser, int override, const char *text,
                        size_t size)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return out_of_memory(r);
    yaml_mark_t mark = parser->problem_mark;
    char detail[512];
    const char *problem = parser->problem != NULL ? parser->problem : "cannot be parsed";
    if (parser->error == YAML_READER_ERROR) {
        memset(&mark, 0, sizeof mark);
        for (size_t i = 0; i < parser->problem_offset && i < size; i++) {
            if (text[i] == '\n') {
                mark.line++;
                mark.column = 0;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                mark.column++;
            }
        }
        if (parser->problem_value >= 0)
            snprintf(detail, sizeof detail, "%s (byte 0x%02X)", problem, parser->problem_value);
        else
            snprintf(detail, sizeof detail, "%s", problem);
    } else if (parser->context != NULL && override >= 0) {
        snprintf(detail, sizeof detail, "%s (%s)", problem, parser->context);
    } else if (parser->context != NULL) {
        snprintf(detail, sizeof detail, "%s (%s at %zu:%zu)", problem, parser->context,
                 parser->context_mark.line + 1, parser->context_mark.column + 1);
    } else {
        snprintf(detail, sizeof detail, "%s", problem);
    }
    return mark_error(r, override, mark, "invalid YAML: %s", detail);
}

/* The tag of a node event as the config means it, or -1 after reporting a
 * tag it does not know or one that does not fit the node (!!map on a
 * scalar, !!int on text that is no integer). */
static int classify_tag(reader *r, int override, const yaml_event_t *event)
{
    static const char CORE[] = "tag:yaml.org,2002:";
    const char *tag = NULL;
    bool is_scalar = event->type == YAML_SCALAR_EVENT;
    if (is_scalar)
        tag = (const char *)event->data.scalar.tag;
    else if (event->type == YAML_SEQUENCE_START_EVENT)
        tag = (const char *)event->data.sequence_start.tag;
    else
        tag = (const char *)event->data.mapping_start.tag;
    if (tag == NULL)
        return TAG_NONE;
    /* "!" asks for no resolution: a scalar stays a string. */
    if (strcmp(tag, "!") == 0)
        return is_scalar ? TAG_STR : TAG_NONE;
    const char *core = strncmp(tag, CORE, sizeof CORE - 1) == 0 ? tag + sizeof CORE - 1 : NULL;
    const char *shown = core != NULL ? core : tag;
    const char *prefix = core != NULL ? "!!" : "";
    if (core == NULL || !(strcmp(core, "str") == 0 || strcmp(core, "int") == 0 ||
                          strcmp(core, "float") == 0 || strcmp(core, "bool") == 0 ||
                          strcmp(core, "null") == 0 || strcmp(core, "seq") == 0 ||
                          strcmp(core, "map") == 0))
        return mark_error(r, override, event->start_mark,
                          "unsupported YAML tag '%s%s' (known: " KNOWN_TAGS ")", prefix, shown);
    const char *kind = is_scalar ? "a scalar" : event->type == YAML_SEQUENCE_START_EVENT
                                                    ? "a list" : "a mapping";
    bool fits = is_scalar ? strcmp(core, "seq") != 0 && strcmp(core, "map") != 0
                          : strcmp(core, event->type == YAML_SEQUENCE_START_EVENT ? "seq"
                                                                                  : "map") == 0;
    if (!fits)
        return mark_error(r, override, event->start_mark, "YAML tag '!!%s' on %s", core, kind);
    if (!is_scalar)
        return TAG_COLLECTION;

    const char *text = (const char *)event->data.scalar.value;
    size_t length = event->data.scalar.length;
    double number;
    bool flag;
    char clipped[64];
    clip_text(text, length, clipped, sizeof clipped);
    if (strcmp(core, "str") == 0)
        return TAG_STR;
    if (strcmp(core, "int") == 0 && text_is_integer(text, length))
        return TAG_INT;
    if (strcmp(core, "float") == 0 && text_number(text, length, &number))
        return TAG_FLOAT;
    if (strcmp(core, "bool") == 0 && strlen(text) == length && text_bool(text, &flag))
        return TAG_BOOL;
    if (strcmp(core, "null") == 0 && strlen(text) == length && text_is_null(text, length))
        return TAG_NULL;
    return mark_error(r, override, event->start_mark, "'%s' is tagged !!%s but is not %s",
                      clipped, core,
                      strcmp(core, "int") == 0     ? "an integer"
                      : strcmp(core, "float") == 0 ? "a number"
                      : strcmp(core, "bool") == 0  ? "true or false"
                                                   : "null");
}

/* Appends `tag` to the tags of the nodes scanned so far. */
static int push_tag(reader *r, unsigned char **tags, int *n_tags, int *capacity, int tag)
{
    if (*n_tags == *capacity) {
        int grown_capacity = *capacity ? 2 * *capacity : 64;
        unsigned char *grown = realloc(*tags, (size_t)grown_capacity);
        if (grown == NULL)
            return out_of_memory(r);
        *tags = grown;
        *capacity = grown_capacity;
    }
    (*tags)[(*n_tags)++] = (unsigned char)tag;
    return 0;
}

/* Runs the text through the event parser before it is loaded: syntax
 * errors, aliases (the document API would share one node between places,
 * so a few lines could stand for a huge tree), nesting, a second document
 * and unknown tags are reported here. `override` is -1 for the file.
 * *tags receives the tag of each node in the order yaml_parser_load numbers
 * them (the order of their events, aliases being refused). */
static int scan_text(reader *r, const char *text, size_t size, int override,
                     unsigned char **tags, int *n_tags_out)
{
    int status = -1;
    int n_tags = 0, capacity = 0;
    yaml_parser_t parser;
    *tags = NULL;
    if (!yaml_parser_initialize(&parser))
        return out_of_memory(r);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, size);

    int depth = 0, n_documents = 0;
    for (;;) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            parser_error(r, &parser, override, text, size);
            goto cleanup;
        }
        yaml_event_type_t type = event.type;
        int problem = 0;
        if (type == YAML_ALIAS_EVENT) {
            problem = mark_error(r, override, event.start_mark,
                                 "YAML aliases (*%s) are not supported; write the value out",
                                 (const char *)event.data.alias.anchor);
        } else if (type == YAML_DOCUMENT_START_EVENT && ++n_documents > 1) {
            problem = mark_error(r, override, event.start_mark,
                                 "a second YAML document; a config is one document");
        } else if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
            if (++depth > MAX_NESTING)
                problem = mark_error(r, override, event.start_mark,
                                     "nested deeper than %d levels", MAX_NESTING);
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        if (problem == 0 && (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
                             type == YAML_MAPPING_START_EVENT)) {
            int tag = classify_tag(r, override, &event);
            problem = tag < 0 ? -1 : push_tag(r, tags, &n_tags, &capacity, tag);
        }
        yaml_event_delete(&event);
        if (problem < 0)
            goto cleanup;
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    status = 0;
cleanup:
    yaml_parser_delete(&parser);
    if (status < 0) {
        free(*tags);
        *tags = NULL;
        n_tags = 0;
    }
    *n_tags_out = n_tags;
    return status;
}

/* Parses `text` (already scanned) into `document`. */
static int load_text(reader *r, const char *text, size_t size, int override,
                     yaml_document_t *document, bool *loaded)
{
    int status = -1;
    yaml_parser_t parser;
    *loaded = false;
    if (!yaml_parser_initialize(&parser))
        return out_of_memory(r);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, size);
    if (!yaml_parser_load(&parser, document)) {
        parser_error(r, &parser, override, text, size);
        goto cleanup;
    }
    *loaded = true;
    status = 0;
cleanup:
    yaml_parser_delete(&parser);
    return status;
}

static int load_file_document(reader *r, const char *text, size_t size)
{
    if (scan_text(r, text, size, -1, &r->file_tags, &r->n_file_tags) < 0 ||
        load_text(r, text, size, -1, &r->document, &r->have_document) < 0)
        return -1;
    r->n_file_nodes = (int)(r->document.nodes.top - r->document.nodes.start);

    const yaml_node_t *root = yaml_document_get_root_node(&r->document);
    if (root == NULL || is_null(r, root)) {
        yaml_mark_t start = {0, 0, 0};
        return mark_error(r, -1, root != NULL ? root->start_mark : start,
                          "the config is empty; expected a mapping of settings (" SETTINGS_LIST
                          ")");
    }
    if (root->type != YAML_MAPPING_NODE)
        return type_error(r, root, "the config", "a mapping of settings (" SETTINGS_LIST ")");
    return 0;
}

/* ---- --set KEY=VALUE ----------------------------------------------------- */

/* Notes that node `index`, just added, was made by override `override`
 * and carries `tag`. */
static int record_added(reader *r, int index, int override, yaml_tag tag)
{
    if (index == 0)
        return out_of_memory(r);
    if (r->n_added == r->added_capacity) {
        int capacity = r->added_capacity ? 2 * r->added_capacity : 16;
        int *grown = realloc(r->added_by, (size_t)capacity * sizeof *grown);
        if (grown == NULL)
            return out_of_memory(r);
        r->added_by = grown;
        unsigned char *grown_tags = realloc(r->added_tags, (size_t)capacity);
        if (grown_tags == NULL)
            return out_of_memory(r);
        r->added_tags = grown_tags;
        r->added_capacity = capacity;
    }
    /* Nodes are numbered in the order they are added. */
    r->added_tags[r->n_added] = (unsigned char)tag;
    r->added_by[r->n_added++] = override;
    return index;
}

static int add_scalar(reader *r, int override, const char *text, size_t length)
{
    return record_added(r,
                        yaml_document_add_scalar(&r->document, NULL, (const yaml_char_t *)text,
                                                 (int)length, YAML_PLAIN_SCALAR_STYLE),
                        override, TAG_NONE);
}

static int add_mapping(reader *r, int override)
{
    return record_added(r, yaml_document_add_mapping(&r->document, NULL, YAML_BLOCK_MAPPING_STYLE),
                        override, TAG_NONE);
}

/* Copies node `from_index` of `from` (and all below it) into the document,
 * with their tags (from_tags, by node number); the depth is bounded by
 * scan_text. Returns the new index or -1. */
static int copy_node(reader *r, yaml_document_t *from, const unsigned char *from_tags,
                     int n_from_tags, int from_index, int override)
{
    const yaml_node_t *node = yaml_document_get_node(from, from_index);
    yaml_tag tag = from_index <= n_from_tags ? (yaml_tag)from_tags[from_index - 1] : TAG_NONE;
    int index = -1;
    if (node->type == YAML_SCALAR_NODE) {
        index = record_added(r,
                             yaml_document_add_scalar(&r->document, node->tag,
                                                      node->data.scalar.value,
                                                      (int)node->data.scalar.length,
                                                      node->data.scalar.style),
                             override, tag);
    } else if (node->type == YAML_SEQUENCE_NODE) {
        index = record_added(r,
                             yaml_document_add_sequence(&r->document, node->tag,
                                                        node->data.sequence.style),
                             override, tag);
        for (yaml_node_item_t *item = node->data.sequence.items.start;
             index > 0 && item < node->data.sequence.items.top; item++) {
            int child = copy_node(r, from, from_tags, n_from_tags, *item, override);
            if (child < 0)
                return -1;
            if (!yaml_document_append_sequence_item(&r->document, index, child))
                return out_of_memory(r);
        }
    } else if (node->type == YAML_MAPPING_NODE) {
        index = record_added(r,
                             yaml_document_add_mapping(&r->document, node->tag,
                                                       node->data.mapping.style),
                             override, tag);
        for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
             index > 0 && pair < node->data.mapping.pairs.top; pair++) {
            int key = copy_node(r, from, from_tags, n_from_tags, pair->key, override);
            int value = key < 0 ? -1
                                : copy_node(r, from, from_tags, n_from_tags, pair->value,
                                            override);
            if (value < 0)
                return -1;
            if (!yaml_document_append_mapping_pair(&r->document, index, key, value))
                return out_of_memory(r);
        }
    }
    return index;
}

/* Parses VALUE and copies it into the document; an empty VALUE is null. */
static int graft_value(reader *r, int override, const char *text)
{
    yaml_document_t value;
    bool loaded = false;
    unsigned char *tags = NULL;
    int n_tags = 0, index = -1;
    if (scan_text(r, text, strlen(text), override, &tags, &n_tags) < 0 ||
        load_text(r, text, strlen(text), override, &value, &loaded) < 0)
        goto cleanup;
    if (yaml_document_get_root_node(&value) == NULL)
        index = add_scalar(r, override, "", 0);
    else
        index = copy_node(r, &value, tags, n_tags, 1, override);
cleanup:
    if (loaded)
        yaml_document_delete(&value);
    free(tags);
    return index;
}

/* Offset of the pair whose key is name[0..length) in mapping `mapping`, or -1. */
static int find_pair(reader *r, int mapping, const char *name, size_t length)
{
    const yaml_node_t *node = yaml_document_get_node(&r->document, mapping);
    for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top; pair++) {
        const yaml_node_t *key = yaml_document_get_node(&r->document, pair->key);
        if (key->type == YAML_SCALAR_NODE && key->data.scalar.length == length &&
            memcmp(key->data.scalar.value, name, length) == 0)
            return (int)(pair - node->data.mapping.pairs.start);
    }
    return -1;
}

static yaml_node_pair_t *pair_at(reader *r, int mapping, int offset)
{
    return yaml_document_get_node(&r->document, mapping)->data.mapping.pairs.start + offset;
}

/* Sets mapping[name] = value, adding the key when it is missing. */
static int set_pair(reader *r, int override, int mapping, const char *name, size_t length,
                    int value)
{
    int offset = find_pair(r, mapping, name, length);
    if (offset >= 0) {
        pair_at(r, mapping, offset)->value = value;
        return 0;
    }
    int key = add_scalar(r, override, name, length);
    if (key < 0)
        return -1;
    if (!yaml_document_append_mapping_pair(&r->document, mapping, key, value))
        return out_of_memory(r);
    return 0;
}

static bool is_key_character(char c)
{
    return number_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '-';
}

/* `dataset: iris` is short for {builtin: iris}: when --set turns it into a
 * mapping, the set stays -- unless the override names the data itself. */
static bool keeps_builtin(int mapping, const char *name, size_t length, const char *rest,
                          const char *end)
{
    size_t rest_length = (size_t)(end - rest);
    bool names_data = (rest_length == 4 && memcmp(rest, "path", 4) == 0) ||
                      (rest_length == 7 && memcmp(rest, "builtin", 7) == 0);
    return mapping == 1 && length == 7 && memcmp(name, "dataset", 7) == 0 && !names_data;
}

/* Applies "a.b.c=VALUE": walks (and creates) the mappings a and a.b, then
 * sets c. A scalar on the way (dataset: wdbc, an empty model:) is replaced
 * by a new mapping; a list cannot be walked into. */
static int apply_override(reader *r, int override)
{
    const char *argument = r->overrides[override];
    const char *equals = strchr(argument, '=');
    if (equals == NULL)
        return error_set(r->err, ERROR_INPUT,
                         "--set %s: expected KEY=VALUE, e.g. --set model.epochs=50", argument);
    bool valid = equals > argument && equals[-1] != '.' && argument[0] != '.';
    for (const char *c = argument; c < equals && valid; c++)
        valid = is_key_character(*c) || (*c == '.' && c[1] != '.');
    if (!valid)
        return error_set(r->err, ERROR_INPUT,
                         "--set %s: KEY must be names joined by dots, e.g. model.epochs",
                         argument);

    int value = graft_value(r, override, equals + 1);
    if (value < 0)
        return -1;
    int mapping = 1; /* the root, a mapping (checked by load_file_document) */
    const char *name = argument;
    for (;;) {
        const char *dot = memchr(name, '.', (size_t)(equals - name));
        size_t length = (size_t)((dot != NULL ? dot : equals) - name);
        if (dot == NULL)
            return set_pair(r, override, mapping, name, length, value);

        int offset = find_pair(r, mapping, name, length);
        int child = offset >= 0 ? pair_at(r, mapping, offset)->value : 0;
        yaml_node_type_t type =
            child > 0 ? yaml_document_get_node(&r->document, child)->type : YAML_NO_NODE;
        if (type == YAML_SEQUENCE_NODE && mapping == 1 && length == 4 &&
            memcmp(name, "grid", 4) == 0)
            return error_set(r->err, ERROR_INPUT,
                             "--set %s: grid is a list of grids, so grid.KEY cannot say which "
                             "one to change; replace the whole list with --set grid=[...]",
                             argument);
        if (type == YAML_SEQUENCE_NODE)
            return error_set(r->err, ERROR_INPUT, "--set %s: %.*s is a list, not a mapping",
                             argument, (int)(dot - argument), argument);
        if (type != YAML_MAPPING_NODE) {
            int scalar = child;
            child = add_mapping(r, override);
            if (child < 0 || set_pair(r, override, mapping, name, length, child) < 0)
                return -1;
            if (type == YAML_SCALAR_NODE && keeps_builtin(mapping, name, length, dot + 1, equals) &&
                set_pair(r, override, child, "builtin", 7, scalar) < 0)
                return -1;
        }
        mapping = child;
        name = dot + 1;
    }
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
    size_t size = strlen(r->path) + 64 +
                  (override >= 0 ? strlen(r->overrides[override]) : 0);
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
                            : builtin_split      ? spec.val_fraction
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
        choice->target != NULL ? choice->target
                               : (choice->path == NULL && spec.target != NULL ? spec.target
                                                                              : DEFAULT_TARGET);
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

/* Text that grows as it is printed into; `failed` after a failed allocation. */
typedef struct {
    char *data;
    size_t length;
    size_t capacity;
    bool failed;
} text_buffer;

__attribute__((format(printf, 2, 3)))
static void buffer_printf(text_buffer *buffer, const char *fmt, ...)
{
    if (buffer->failed)
        return;
    for (;;) {
        va_list args;
        va_start(args, fmt);
        size_t room = buffer->capacity - buffer->length;
        int n = vsnprintf(buffer->data ? buffer->data + buffer->length : NULL, room, fmt, args);
        va_end(args);
        if (n < 0) {
            buffer->failed = true;
            return;
        }
        if ((size_t)n < room) {
            buffer->length += (size_t)n;
            return;
        }
        size_t capacity = buffer->capacity ? buffer->capacity : 256;
        while (capacity - buffer->length <= (size_t)n)
            capacity *= 2;
        char *grown = realloc(buffer->data, capacity);
        if (grown == NULL) {
            buffer->failed = true;
            return;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
}

/* A YAML double-quoted string; every string is quoted so that none is read
 * back as a number, a boolean or null. The text is valid UTF-8 (libyaml
 * checked it); characters libyaml refuses raw (C1 controls, U+FFFE, U+FFFF)
 * or reads as line breaks (NEL U+0085, U+2028, U+2029), and the invisible
 * U+FEFF, are escaped so that the text reads back the same. */
static void buffer_quoted(text_buffer *buffer, const char *text)
{
    buffer_printf(buffer, "\"");
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            buffer_printf(buffer, "\\%c", *c);
        } else if (*c == '\n') {
            buffer_printf(buffer, "\\n");
        } else if (*c == '\t') {
            buffer_printf(buffer, "\\t");
        } else if (*c < 0x20 || *c == 0x7F) {
            buffer_printf(buffer, "\\x%02X", *c);
        } else if (c[0] == 0xC2 && c[1] >= 0x80 && c[1] <= 0x9F) {
            buffer_printf(buffer, "\\x%02X", c[1]);  /* U+0080..U+009F */
            c += 1;
        } else if ((c[0] == 0xE2 && c[1] == 0x80 && (c[2] == 0xA8 || c[2] == 0xA9)) ||
                   (c[0] == 0xEF && c[1] == 0xBB && c[2] == 0xBF) ||
                   (c[0] == 0xEF && c[1] == 0xBF && (c[2] == 0xBE || c[2] == 0xBF))) {
            /* 1110xxxx 10yyyyyy 10zzzzzz is the code point xxxxyyyyyyzzzzzz. */
            buffer_printf(buffer, "\\u%04X",
                          ((c[0] & 0x0Fu) << 12) | ((c[1] & 0x3Fu) << 6) | (c[2] & 0x3Fu));
            c += 2;
        } else {
            buffer_printf(buffer, "%c", *c);
        }
    }
    buffer_printf(buffer, "\"");
}

/* A value as YAML: whole-number parameters as integers, the others as
 * floats that read back as the same double, always with a '.' ("0.0",
 * "1.0e-05") so that YAML 1.1 readers such as PyYAML see floats too. */
static void buffer_param(text_buffer *buffer, param_id id, double value)
{
    if (PARAM_INFO[id].is_integer) {
        buffer_printf(buffer, "%.0f", value);
        return;
    }
    char shown[40];
    format_double(value, shown, sizeof shown);
    char *exponent = strchr(shown, 'e');
    if (strchr(shown, '.') != NULL)
        buffer_printf(buffer, "%s", shown);
    else if (exponent != NULL)
        buffer_printf(buffer, "%.*s.0%s", (int)(exponent - shown), shown, exponent);
    else
        buffer_printf(buffer, "%s.0", shown);
}

static void buffer_fraction(text_buffer *buffer, const char *name, double value)
{
    char shown[40];
    format_double(value, shown, sizeof shown);
    buffer_printf(buffer, "  %s: %s%s\n", name, shown,
                  strchr(shown, '.') != NULL || strchr(shown, 'e') != NULL ? "" : ".0");
}

/* The configuration after --set, complete and in one canonical form: every
 * setting, model with all its keys, grid as a list of mappings with explicit
 * value lists (or {} without a grid), strings double-quoted. Reading it
 * back gives the same runs and the same text. */
static int build_effective(reader *r, sweep_config *out)
{
    text_buffer text = {0};
    const dataset_spec *spec = &out->dataset;

    buffer_printf(&text, "name: ");
    buffer_quoted(&text, out->name);
    buffer_printf(&text, "\ndataset:\n");
    if (spec->path != NULL) {
        buffer_printf(&text, "  path: ");
        buffer_quoted(&text, out->dataset_name);
    } else {
        buffer_printf(&text, "  builtin: ");
        buffer_quoted(&text, out->dataset_name);
    }
    buffer_printf(&text, "\n  target: ");
    buffer_quoted(&text, spec->target);
    buffer_printf(&text, "\n");
    if (spec->split_column != NULL) {
        buffer_printf(&text, "  split: ");
        buffer_quoted(&text, spec->split_column);
        buffer_printf(&text, "\n");
    } else {
        buffer_fraction(&text, "val_fraction", spec->val_fraction);
        buffer_fraction(&text, "test_fraction", spec->test_fraction);
        buffer_printf(&text, "  split_seed: %lu\n", (unsigned long)spec->split_seed);
    }
    buffer_printf(&text, "  standardize: %s\nmodel:\n", spec->standardize ? "true" : "false");
    /* only when not the default, so that every existing file's effective
     * config stays as it was */
    if (out->model.model != MODEL_MINIBATCH)
        buffer_printf(&text, "  type: \"%s\"\n", model_get(out->model.model)->name);
    for (int id = 0; id < PARAM_COUNT; id++) {
        buffer_printf(&text, "  %s: ", PARAM_INFO[id].name);
        buffer_param(&text, (param_id)id, params_get(&out->model, (param_id)id));
        buffer_printf(&text, "\n");
    }
    buffer_printf(&text, "grid:%s\n", out->n_grids == 0 ? " {}" : "");
    for (int g = 0; g < out->n_grids; g++) {
        const grid_spec *grid = &out->grids[g];
        if (grid->n_keys == 0)
            buffer_printf(&text, "  - {}\n");
        for (int k = 0; k < grid->n_keys; k++) {
            buffer_printf(&text, "  %s %s: [", k == 0 ? "-" : " ", PARAM_INFO[grid->keys[k]].name);
            for (int v = 0; v < grid->n_values[k]; v++) {
                buffer_printf(&text, "%s", v > 0 ? ", " : "");
                buffer_param(&text, grid->keys[k], grid->values[k][v]);
            }
            buffer_printf(&text, "]\n");
        }
    }
    buffer_printf(&text, "output: ");
    buffer_quoted(&text, out->output);
    buffer_printf(&text, "\nthreads: %d\n", out->threads);

    if (text.failed) {
        free(text.data);
        return out_of_memory(r);
    }
    out->effective = text.data;
    return 0;
}

/* The --set arguments, each on its own line. */
static int join_overrides(reader *r, sweep_config *out)
{
    text_buffer text = {0};
    buffer_printf(&text, "%s", "");
    for (int i = 0; i < r->n_overrides; i++)
        buffer_printf(&text, "%s\n", r->overrides[i]);
    if (text.failed) {
        free(text.data);
        return out_of_memory(r);
    }
    out->overrides = text.data;
    return 0;
}

static int finish_config(reader *r, sweep_config *out)
{
    if (check_duplicate_runs(r, out) < 0)
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

int config_load_text(const char *text, size_t size, const char *path,
                     const config_options *options, sweep_config *out, sweep_error *err)
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
    int status = -1;
    char *text = NULL;
    size_t size = 0, capacity = 0;
    memset(out, 0, sizeof *out);

    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return error_set(err, ERROR_INPUT, "%s: cannot open: %s", path, strerror(errno));
    for (;;) {
        if (size == capacity) {
            if (capacity >= MAX_FILE_BYTES) {
                error_set(err, ERROR_INPUT, "%s: too large for a config (over %zu MiB)", path,
                          MAX_FILE_BYTES >> 20);
                goto cleanup;
            }
            capacity = capacity ? 2 * capacity : 4096;
            char *grown = realloc(text, capacity);
            if (grown == NULL) {
                error_set(err, ERROR_RUNTIME, "out of memory");
                goto cleanup;
            }
            text = grown;
        }
        size_t n = fread(text + size, 1, capacity - size, file);
        size += n;
        if (n == 0 && ferror(file)) {
            error_set(err, ERROR_INPUT, "%s: cannot read: %s", path, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
    }
    status = config_load_text(text, size, path, options, out, err);
cleanup:
    fclose(file);
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
