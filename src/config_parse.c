/* config_parse.c: YAML text into the reader's document. libyaml's event
 * parser checks the syntax first (refusing aliases, a second document,
 * nesting deeper than MAX_NESTING and unknown tags, and recording each
 * node's tag), then yaml_parser_load builds the tree. Used for the file and
 * for each --set value. */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 64 /* the schema needs 5 levels */
#define KNOWN_TAGS "!!str, !!int, !!float, !!bool, !!null, !!seq, !!map"

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
    if (core == NULL ||
        !(strcmp(core, "str") == 0 || strcmp(core, "int") == 0 || strcmp(core, "float") == 0 ||
          strcmp(core, "bool") == 0 || strcmp(core, "null") == 0 || strcmp(core, "seq") == 0 ||
          strcmp(core, "map") == 0))
        return mark_error(r, override, event->start_mark,
                          "unsupported YAML tag '%s%s' (known: " KNOWN_TAGS ")", prefix, shown);
    const char *kind = is_scalar                                  ? "a scalar"
                       : event->type == YAML_SEQUENCE_START_EVENT ? "a list"
                                                                  : "a mapping";
    bool fits = is_scalar
                    ? strcmp(core, "seq") != 0 && strcmp(core, "map") != 0
                    : strcmp(core, event->type == YAML_SEQUENCE_START_EVENT ? "seq" : "map") == 0;
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
    return mark_error(r, override, event->start_mark, "'%s' is tagged !!%s but is not %s", clipped,
                      core,
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
int scan_text(reader *r, const char *text, size_t size, int override, unsigned char **tags,
              int *n_tags_out)
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
                problem = mark_error(r, override, event.start_mark, "nested deeper than %d levels",
                                     MAX_NESTING);
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
int load_text(reader *r, const char *text, size_t size, int override, yaml_document_t *document,
              bool *loaded)
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

int load_file_document(reader *r, const char *text, size_t size)
{
    if (scan_text(r, text, size, -1, &r->file_tags, &r->n_file_tags) < 0 ||
        load_text(r, text, size, -1, &r->document, &r->have_document) < 0)
        return -1;
    r->n_file_nodes = (int)(r->document.nodes.top - r->document.nodes.start);

    const yaml_node_t *root = yaml_document_get_root_node(&r->document);
    char settings[160];
    top_level_keys(settings, sizeof settings);
    if (root == NULL || is_null(r, root)) {
        yaml_mark_t start = {0, 0, 0};
        return mark_error(r, -1, root != NULL ? root->start_mark : start,
                          "the config is empty; expected a mapping of settings (%s)", settings);
    }
    if (root->type != YAML_MAPPING_NODE) {
        char expected[200];
        snprintf(expected, sizeof expected, "a mapping of settings (%s)", settings);
        return type_error(r, root, "the config", expected);
    }
    return 0;
}
