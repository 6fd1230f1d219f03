/* config_emit.c: the effective configuration, the config after --set in
 * one canonical YAML text that reads back as the same runs, and the --set
 * arguments joined one per line. */
#include "config_internal.h"
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text that grows as it is printed into; `failed` after a failed allocation. */
typedef struct {
    char *data;
    size_t length;
    size_t capacity;
    bool failed;
} text_buffer;

__attribute__((format(printf, 2, 3))) static void buffer_printf(text_buffer *buffer,
                                                                const char *fmt, ...)
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
            buffer_printf(buffer, "\\x%02X", c[1]); /* U+0080..U+009F */
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
int build_effective(reader *r, sweep_config *out)
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
    /* only with cross-validation, so that other configs keep their text */
    if (out->cv.n_splits > 0)
        buffer_printf(&text, "cv:\n  folds: %d\n  shuffle: %s\n  seed: %lu\n  repeats: %d\n",
                      out->cv.n_splits, out->cv.shuffle ? "true" : "false",
                      (unsigned long)out->cv.seed, out->cv.n_repeats);
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
int join_overrides(reader *r, sweep_config *out)
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
