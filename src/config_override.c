/* config_override.c: --set KEY=VALUE. VALUE is parsed like the file and
 * grafted into the document at KEY (names joined by dots), creating the
 * mappings on the way; each new node remembers which override made it, so
 * that messages name the override instead of a file position. */
#include "config_internal.h"

#include "number.h"

#include <stdlib.h>
#include <string.h>

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
        index =
            record_added(r,
                         yaml_document_add_scalar(&r->document, node->tag, node->data.scalar.value,
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
                                : copy_node(r, from, from_tags, n_from_tags, pair->value, override);
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
int apply_override(reader *r, int override)
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
                         "--set %s: KEY must be names joined by dots, e.g. model.epochs", argument);

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
        yaml_node_type_t type = child > 0 ? yaml_document_get_node(&r->document, child)->type
                                          : YAML_NO_NODE;
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
