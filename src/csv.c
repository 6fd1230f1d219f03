#include "csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank_char(char c)
{
    return c == ' ' || c == '\t';
}

/* 1-based line number of text[offset], counting from text[from] at line `line`. */
static size_t line_of_offset(const char *text, size_t from, size_t line, size_t offset)
{
    for (size_t i = from; i < offset; i++)
        if (text[i] == '\n')
            line++;
    return line;
}

int csv_reader_open(csv_reader *reader, const char *text, size_t size, const char *source_name,
                    sweep_error *err)
{
    memset(reader, 0, sizeof *reader);
    reader->source_name = source_name;

    const char *nul = memchr(text, '\0', size);
    if (nul != NULL) {
        size_t offset = (size_t)(nul - text);
        size_t line = line_of_offset(text, 0, 1, offset);
        size_t line_start = offset;
        while (line_start > 0 && text[line_start - 1] != '\n')
            line_start--;
        return error_set(err, ERROR_INPUT,
                         "%s:%zu: NUL byte at character %zu (this does not look like a text file)",
                         source_name, line, offset - line_start + 1);
    }
    if (size == SIZE_MAX)
        return error_set(err, ERROR_RUNTIME, "%s: text too large", source_name);

    reader->text = malloc(size + 1);
    if (reader->text == NULL)
        return error_set(err, ERROR_RUNTIME, "%s: out of memory copying %zu bytes", source_name,
                         size);
    memcpy(reader->text, text, size);
    reader->text[size] = '\0';
    reader->size = size;
    reader->next_line = 1;

    static const char utf8_bom[] = "\xEF\xBB\xBF";
    if (size >= 3 && memcmp(text, utf8_bom, 3) == 0)
        reader->next = 3;
    return 0;
}

/* Make room for at least `count` field pointers. */
static int reserve_fields(csv_reader *reader, size_t count, sweep_error *err)
{
    if (count <= reader->fields_capacity)
        return 0;
    size_t capacity = reader->fields_capacity ? reader->fields_capacity : 16;
    while (capacity < count)
        capacity *= 2;
    char **fields = realloc(reader->fields, capacity * sizeof *fields);
    if (fields == NULL)
        return error_set(err, ERROR_RUNTIME, "%s:%zu: out of memory for %zu fields",
                         reader->source_name, reader->line, count);
    reader->fields = fields;
    reader->fields_capacity = capacity;
    return 0;
}

/* Cut text[start, end) into fields at commas, trimming each in place. */
static int split_line(csv_reader *reader, size_t start, size_t end, sweep_error *err)
{
    char *text = reader->text;
    reader->n_fields = 0;
    size_t field_start = start;
    for (;;) {
        size_t field_end = field_start;
        while (field_end < end && text[field_end] != ',')
            field_end++;
        bool last = field_end == end;

        size_t first = field_start, stop = field_end;
        while (first < stop && is_blank_char(text[first]))
            first++;
        while (stop > first && is_blank_char(text[stop - 1]))
            stop--;
        /* text[stop] is a blank, a comma, '\r', '\n' or the final NUL: all
         * bytes no other field needs. */
        text[stop] = '\0';

        if (reserve_fields(reader, reader->n_fields + 1, err) != 0)
            return -1;
        reader->fields[reader->n_fields++] = text + first;
        if (last)
            return 0;
        field_start = field_end + 1;
    }
}

int csv_next_row(csv_reader *reader, bool *got_row, sweep_error *err)
{
    *got_row = false;
    char *text = reader->text;
    while (reader->next < reader->size) {
        size_t start = reader->next;
        const char *newline = memchr(text + start, '\n', reader->size - start);
        size_t end = newline ? (size_t)(newline - text) : reader->size;
        size_t line = reader->next_line;
        reader->next = newline ? end + 1 : reader->size;
        reader->next_line = line + 1;
        reader->line = line;

        if (end > start && text[end - 1] == '\r')
            end--;
        bool blank = true;
        for (size_t i = start; i < end; i++) {
            if (text[i] == '"')
                return error_set(err, ERROR_INPUT,
                                 "%s:%zu: quoted fields are not supported (found '\"' at "
                                 "character %zu); write plain numbers and names separated by "
                                 "commas",
                                 reader->source_name, line, i - start + 1);
            if (text[i] == '\r')
                return error_set(err, ERROR_INPUT,
                                 "%s:%zu: carriage return inside a line at character %zu "
                                 "(only \\n and \\r\\n line endings are supported)",
                                 reader->source_name, line, i - start + 1);
            if (!is_blank_char(text[i]))
                blank = false;
        }
        if (blank)
            continue;
        if (split_line(reader, start, end, err) != 0)
            return -1;
        *got_row = true;
        return 0;
    }
    return 0;
}

void csv_reader_close(csv_reader *reader)
{
    free(reader->text);
    free(reader->fields);
    memset(reader, 0, sizeof *reader);
}
