/* file_read.h: a whole file into memory.
 *
 * The config reader and the data-set reader both parse text held whole in
 * memory. They word their messages differently (a config error names the
 * file, a data file the config position of its path:), so this module
 * reports what went wrong as a status and the caller says it.
 */
#ifndef SWEEP_FILE_READ_H
#define SWEEP_FILE_READ_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    FILE_READ_OK = 0,
    FILE_READ_CANNOT_OPEN, /* open or fstat failed: `error` says why */
    FILE_READ_NOT_REGULAR, /* regular_only and it is a folder, a device, a FIFO ... */
    FILE_READ_TOO_LARGE,   /* more than max_bytes (by its size, or read so far) */
    FILE_READ_CANNOT_READ, /* a read failed: `error` says why */
    FILE_READ_NO_MEMORY
} file_read_status;

typedef struct {
    int error;        /* errno of CANNOT_OPEN or CANNOT_READ, else 0 */
    const char *kind; /* NOT_REGULAR: "a directory", "a FIFO" ... */
    long long size;   /* TOO_LARGE: the size fstat gave, or -1 when the file grew
                                   past max_bytes while it was read (a pipe has no size) */
} file_read_problem;

typedef struct {
    size_t max_bytes;  /* a larger file is refused (TOO_LARGE) */
    bool regular_only; /* refuse anything but a regular file, before reading: a
                                   FIFO is opened without blocking so that it can be refused.
                                   false: a pipe (`sweep <(make_config)`) is read like a file */
} file_read_options;

/* On FILE_READ_OK, *text (malloc'd, the caller frees it) holds *size bytes
 * followed by one '\0' that *size does not count. On any other status *text
 * is NULL, *size 0, and `problem` (may be NULL) says more. */
file_read_status file_read_whole(const char *path, const file_read_options *options, char **text,
                                 size_t *size, file_read_problem *problem);

#endif
