/* config_node.c: what the config reader says about one node of the
 * document: its position ("CONFIG:LINE:COL" or the --set that made it),
 * messages in that form, scalars read as numbers, booleans and strings,
 * and mapping keys matched against a table (with a suggestion for a
 * misspelt one). */
#include "config_internal.h"

#include "number.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN_TEXT 48 /* bytes of user text quoted in a message */

/* ---- positions and messages ------------------------------------------- */

int out_of_memory(reader *r)
{
    return error_set(r->err, ERROR_RUNTIME, "out of memory");
}

/* Index of `node` in the document; libyaml counts from 1. */
static int node_index(const reader *r, const yaml_node_t *node)
{
    return (int)(node - r->document.nodes.start) + 1;
}

/* The override that made `node`, or -1 when it comes from the file. */
int node_override(const reader *r, const yaml_node_t *node)
{
    int index = node_index(r, node);
    if (index <= r->n_file_nodes)
        return -1;
    return r->added_by[index - r->n_file_nodes - 1];
}

/* "CONFIG:LINE:COL" for a node of the file, "--set KEY=VALUE" for one made
 * by an override (an override is a one-liner: no position needed). */
void describe_origin(const reader *r, const yaml_node_t *node, char *buf, size_t size)
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
__attribute__((format(printf, 4, 0))) static int mark_errorv(reader *r, int override,
                                                             yaml_mark_t mark, const char *fmt,
                                                             va_list args)
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
        error_set(r->err, ERROR_INPUT, "%s:%zu:%zu: %s", r->path, mark.line + 1, mark.column + 1,
                  what);
    free(what);
    return -1;
}

__attribute__((format(printf, 4, 5))) int mark_error(reader *r, int override, yaml_mark_t mark,
                                                     const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    mark_errorv(r, override, mark, fmt, args);
    va_end(args);
    return -1;
}

__attribute__((format(printf, 3, 4))) int node_error(reader *r, const yaml_node_t *node,
                                                     const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    mark_errorv(r, node_override(r, node), node->start_mark, fmt, args);
    va_end(args);
    return -1;
}

/* A message of grid.c (which knows no positions) placed at `node`. */
int relay_error(reader *r, const yaml_node_t *node, const sweep_error *inner)
{
    if (inner->kind == ERROR_RUNTIME)
        return error_set(r->err, ERROR_RUNTIME, "%s", inner->message);
    return node_error(r, node, "%s", inner->message);
}

/* User text as it may appear in a one-line message: at most MAX_SHOWN_TEXT
 * bytes (cut between UTF-8 characters). Control bytes are kept: error_set
 * shows them as \xNN; a NUL, which would end the text, is written so here. */
void clip_text(const char *text, size_t length, char *buf, size_t size)
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

const char *scalar_text(const yaml_node_t *node)
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

bool text_is_null(const char *text, size_t length)
{
    return length == 0 || strcmp(text, "~") == 0 || strcmp(text, "null") == 0 ||
           strcmp(text, "Null") == 0 || strcmp(text, "NULL") == 0;
}

/* YAML's null: an empty plain scalar (as in `model:`), ~ or null, or !!null. */
bool is_null(const reader *r, const yaml_node_t *node)
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
    static const char *const TAG_NAMES[] =
        {[TAG_INT] = "!!int", [TAG_FLOAT] = "!!float", [TAG_BOOL] = "!!bool"};
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
int type_error(reader *r, const yaml_node_t *node, const char *name, const char *expected)
{
    char shown[128];
    describe_value(r, node, shown, sizeof shown);
    return node_error(r, node, "%s must be %s, got %s", name, expected, shown);
}

/* "NAME PROBLEM, got 0": a number of the right type but not allowed. */
int value_error(reader *r, const yaml_node_t *node, const char *name, const char *problem)
{
    char clipped[64];
    clip_text(scalar_text(node), node->data.scalar.length, clipped, sizeof clipped);
    return node_error(r, node, "%s %s, got %s", name, problem, clipped);
}

/* The shortest %g that reads back as the same double (Python's repr rule). */
void format_double(double value, char *buf, size_t size)
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
bool text_number(const char *text, size_t length, double *value)
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
bool text_is_integer(const char *text, size_t length)
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

bool text_bool(const char *text, bool *value)
{
    if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 || strcmp(text, "TRUE") == 0) {
        *value = true;
        return true;
    }
    if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 || strcmp(text, "FALSE") == 0) {
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

bool scalar_bool(const reader *r, const yaml_node_t *node, bool *value)
{
    if (node->type != YAML_SCALAR_NODE)
        return false;
    yaml_tag tag = node_tag(r, node);
    bool plain = tag == TAG_NONE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!plain && tag != TAG_BOOL)
        return false;
    return text_bool(scalar_text(node), value);
}

bool is_whole(double value)
{
    return isfinite(value) && value == floor(value);
}

/* A number, or "NAME must be EXPECTED, got ...". */
int read_number(reader *r, const yaml_node_t *node, const char *name, const char *expected,
                double *value)
{
    if (!scalar_number(r, node, value))
        return type_error(r, node, name, expected);
    return 0;
}

/* A hyperparameter's value, checked against the schema in params.c. */
int read_param(reader *r, const yaml_node_t *node, param_id id, double *value)
{
    const param_info *info = &PARAM_INFO[id];
    if (read_number(r, node, info->name, info->is_integer ? "a whole number" : "a number", value) <
        0)
        return -1;
    char problem_text[80];
    const char *problem = params_check(id, *value, problem_text, sizeof problem_text);
    if (problem != NULL)
        return value_error(r, node, info->name, problem);
    return 0;
}

/* A non-empty string, copied into *out (replacing what was there). */
int read_string(reader *r, const yaml_node_t *node, const char *name, char **out)
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
int match_key(reader *r, const yaml_node_t *key, const char *const *names, int n_names,
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
            return node_error(r, key, "duplicate key '%s'%s (first at %s)", names[i], in_context,
                              first);
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
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s", i > 0 ? ", " : "",
                                 names[i]);
    return node_error(r, key, "unknown key '%s'%s (expected one of: %s)", clipped, in_context,
                      expected);
}

const char *const *param_names(void)
{
    static const char *names[PARAM_COUNT];
    for (int id = 0; id < PARAM_COUNT; id++)
        names[id] = PARAM_INFO[id].name;
    return names;
}

/* Hands each pair of `mapping` to the handler of its key, in written order. */
int walk_mapping(reader *r, const yaml_node_t *mapping, const key_rule *rules, int n_rules,
                 const char *context, void *target)
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
