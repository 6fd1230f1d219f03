/* error.h: how library code reports failure.
 *
 * Library functions never exit: they return 0 on success or -1 on failure and
 * fill a caller-owned sweep_error. Only main() turns the kind into an exit
 * status, so a test can call any function and inspect the message.
 *
 * A message is safe to print on a terminal: bytes that came from a file or an
 * argument and are not printable text (control bytes such as ESC, C1 controls,
 * line and paragraph separators, bidirectional overrides, bytes that are not
 * valid UTF-8) are shown as \xNN. A message longer than the record loses its
 * middle ("…"), never its end, which is where the reason is.
 */
#ifndef SWEEP_ERROR_H
#define SWEEP_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    ERROR_NONE = 0,
    ERROR_RUNTIME = 1, /* I/O, memory, HDF5: exit status 1 */
    ERROR_INPUT = 2    /* usage, config or data-file error: exit status 2 */
} error_kind;

typedef struct {
    error_kind kind;    /* ERROR_NONE until error_set() is called */
    char message[1024]; /* one line, no trailing newline; "file:line:col: what" for input */
} sweep_error;

/* Record an error and return -1, so that `return error_set(...)` reads well.
 * A NULL err is allowed (the message is dropped). */
int error_set(sweep_error *err, error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a va_list. */
int error_setv(sweep_error *err, error_kind kind, const char *fmt, va_list args)
    __attribute__((format(printf, 3, 0)));

/* Clear an error back to ERROR_NONE. */
void error_clear(sweep_error *err);

/* `text` as a message shows it, into out[size] (size >= 8): unprintable
 * bytes as \xNN and, when it does not fit, the middle replaced by "…". For
 * printing user text outside an error (warnings, tables). */
void error_printable(const char *text, char *out, size_t size);

#endif
