#include "error.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What stands for the part of a long message that was left out. */
#define ELISION "\xE2\x80\xA6" /* U+2026 HORIZONTAL ELLIPSIS */
#define ELISION_BYTES 3

/* Length of the UTF-8 character at text[0..n), or 0 when the bytes there are
 * not a valid (shortest-form, non-surrogate) encoding. */
static size_t utf8_length(const unsigned char *text, size_t n)
{
    unsigned char lead = text[0];
    size_t length;
    unsigned char low = 0x80, high = 0xBF; /* allowed range of the second byte */
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0; /* overlong */
        if (lead == 0xED)
            high = 0x9F; /* UTF-16 surrogates */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90; /* overlong */
        if (lead == 0xF4)
            high = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < length || text[1] < low || text[1] > high)
        return 0;
    for (size_t i = 2; i < length; i++)
        if ((text[i] & 0xC0) != 0x80)
            return 0;
    return length;
}

/* Characters a terminal acts on instead of showing: C0 and C1 controls, DEL,
 * the line and paragraph separators and the bidirectional embeddings,
 * overrides and isolates (U+2028..U+202E, U+2066..U+2069). */
static bool is_unprintable(const unsigned char *c, size_t length)
{
    if (length == 1)
        return c[0] < 0x20 || c[0] == 0x7F;
    if (length == 2)
        return c[0] == 0xC2 && c[1] < 0xA0;
    if (length == 3 && c[0] == 0xE2 && c[1] == 0x80)
        return c[2] >= 0xA8 && c[2] <= 0xAE;
    if (length == 3 && c[0] == 0xE2 && c[1] == 0x81)
        return c[2] >= 0xA6 && c[2] <= 0xA9;
    return false;
}

/* The next unit of `text`: a printable character kept as it is, or one
 * unprintable or invalid byte shown as \xNN. Returns the bytes it takes in
 * `text` and sets *width to the bytes it takes when shown. */
static size_t next_unit(const unsigned char *text, size_t n, bool *escaped, size_t *width)
{
    size_t length = utf8_length(text, n);
    if (length == 0 || is_unprintable(text, length)) {
        *escaped = true;
        *width = 4;
        return 1;
    }
    *escaped = false;
    *width = length;
    return length;
}

static size_t put_unit(char *out, const unsigned char *unit, size_t length, bool escaped)
{
    if (escaped)
        return (size_t)sprintf(out, "\\x%02X", unit[0]);
    memcpy(out, unit, length);
    return length;
}

void error_printable(const char *text, char *out, size_t size)
{
    const unsigned char *bytes = (const unsigned char *)text;
    size_t n = strlen(text), shown = 0, used = 0;
    if (size < 8) {
        /* No room for an escape beside the ellipsis: nothing is shown. */
        if (size > 0)
            out[0] = '\0';
        return;
    }
    bool escaped;
    size_t width;
    for (size_t i = 0; i < n;) {
        i += next_unit(bytes + i, n - i, &escaped, &width);
        shown += width;
    }

    /* Without room for all of it: the head up to `head_room` shown bytes,
     * the ellipsis, then every unit that starts at or after `tail_from`. */
    size_t room = size - 1;
    bool shorten = shown > room;
    size_t head_room = shorten ? (room - ELISION_BYTES) / 2 : room;
    size_t tail_from = shorten ? shown - (room - ELISION_BYTES - head_room) : shown;
    size_t position = 0;
    bool elided = false;
    for (size_t i = 0; i < n;) {
        size_t length = next_unit(bytes + i, n - i, &escaped, &width);
        if (!shorten || position + width <= head_room) {
            used += put_unit(out + used, bytes + i, length, escaped);
        } else if (position >= tail_from) {
            used += put_unit(out + used, bytes + i, length, escaped);
        } else if (!elided) {
            memcpy(out + used, ELISION, ELISION_BYTES);
            used += ELISION_BYTES;
            elided = true;
        }
        position += width;
        i += length;
    }
    out[used] = '\0';
}

int error_setv(sweep_error *err, error_kind kind, const char *fmt, va_list args)
{
    if (err == NULL)
        return -1;
    err->kind = kind;
    va_list copy;
    va_copy(copy, args);
    int length = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *text = length >= 0 ? malloc((size_t)length + 1) : NULL;
    if (text == NULL) {
        /* No memory for the whole text: keep its start, as printable. */
        char start[sizeof err->message];
        vsnprintf(start, sizeof start, fmt, args);
        error_printable(start, err->message, sizeof err->message);
        return -1;
    }
    vsnprintf(text, (size_t)length + 1, fmt, args);
    error_printable(text, err->message, sizeof err->message);
    free(text);
    return -1;
}

int error_set(sweep_error *err, error_kind kind, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    error_setv(err, kind, fmt, args);
    va_end(args);
    return -1;
}

void error_clear(sweep_error *err)
{
    if (err == NULL)
        return;
    err->kind = ERROR_NONE;
    err->message[0] = '\0';
}
