/* csv.h: rows of comma-separated fields from text in memory.
 *
 * Only the plain dialect that numeric data files use: fields separated by
 * commas, no quoting (a '"' is rejected with a message, since half-supported
 * quoting would silently mis-split a line), "\n" or "\r\n" line endings.
 * Spaces and tabs around a field are trimmed. Lines that are empty or only
 * whitespace are skipped, like pandas' skip_blank_lines, so a trailing newline,
 * a missing one and a blank last line all read the same. A UTF-8 byte-order
 * mark at the start (spreadsheet exports) is skipped. A NUL byte anywhere is
 * an error: it means the file is not text. There is no line-length limit:
 * the reader works on one copy of the whole text.
 *
 * This module knows nothing about what the fields mean; dataset_csv.c does.
 */
#ifndef SWEEP_CSV_H
#define SWEEP_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct {
    char *text;              /* owned copy of the input plus a NUL; fields are cut in place */
    size_t size;             /* bytes of input in `text` (without the added NUL) */
    size_t next;             /* offset of the first unread byte */
    size_t next_line;        /* 1-based line number of the byte at `next` */
    const char *source_name; /* borrowed; starts every message: "my.csv:17: ..." */
    size_t line;             /* 1-based line number of the row last returned */
    char **fields;           /* (n_fields) NUL-terminated, trimmed, pointing into `text` */
    size_t n_fields;         /* fields of the row last returned */
    size_t fields_capacity;  /* allocated length of `fields` */
} csv_reader;

/* Copy `text` (size bytes, need not be NUL-terminated) and check it for NUL
 * bytes. `source_name` must outlive the reader. On failure the reader is left
 * closed (safe to close again). */
int csv_reader_open(csv_reader *reader, const char *text, size_t size, const char *source_name,
                    sweep_error *err);

/* Read the next non-blank line into reader->fields / n_fields / line.
 * Sets *got_row to false at the end of the text. Fails (ERROR_INPUT) on a
 * quote character or a carriage return that does not end a line. */
int csv_next_row(csv_reader *reader, bool *got_row, sweep_error *err);

void csv_reader_close(csv_reader *reader);

#endif
