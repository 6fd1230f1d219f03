/* error.h: how library code reports failure.
 *
 * Library functions never exit: they return 0 on success or -1 on failure and
 * fill a caller-owned sweep_error. Only main() turns the kind into an exit
 * status, so a test can call any function and inspect the message.
 */
#ifndef SWEEP_ERROR_H
#define SWEEP_ERROR_H

#include <stddef.h>

typedef enum {
    ERROR_NONE = 0,
    ERROR_RUNTIME = 1, /* I/O, memory, HDF5: exit status 1 */
    ERROR_INPUT = 2    /* usage, config or data-file error: exit status 2 */
} error_kind;

typedef struct {
    error_kind kind;      /* ERROR_NONE until error_set() is called */
    char message[1024];   /* one line, no trailing newline; "file:line:col: what" for input */
} sweep_error;

/* Record an error and return -1, so that `return error_set(...)` reads well.
 * A NULL err is allowed (the message is dropped). */
int error_set(sweep_error *err, error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear an error back to ERROR_NONE. */
void error_clear(sweep_error *err);

#endif
