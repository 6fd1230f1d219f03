/* file_read.c: a whole file into memory, see file_read.h. */
#include "file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

/* Reads `file` to its end, growing the buffer by doubling. One byte past
 * max_bytes is enough to know a file grew too big. */
static file_read_status read_to_end(FILE *file, size_t max_bytes, char **text_out, size_t *size_out,
                                    file_read_problem *problem)
{
    char *text = NULL;
    size_t size = 0, capacity = 0;
    file_read_status status = FILE_READ_OK;
    for (;;) {
        if (size == capacity) {
            if (capacity > max_bytes)
                break;
            capacity = capacity ? capacity * 2 : (size_t)1 << 12;
            if (capacity > max_bytes)
                capacity = max_bytes + 1;
            char *grown = realloc(text, capacity + 1); /* + 1: the closing '\0' */
            if (grown == NULL) {
                status = FILE_READ_NO_MEMORY;
                goto cleanup;
            }
            text = grown;
        }
        size_t n_read = fread(text + size, 1, capacity - size, file);
        size += n_read;
        if (n_read == 0 && ferror(file)) {
            problem->error = errno;
            status = FILE_READ_CANNOT_READ;
            goto cleanup;
        }
        if (n_read == 0)
            break;
    }
    if (size > max_bytes) {
        problem->size = -1;
        status = FILE_READ_TOO_LARGE;
        goto cleanup;
    }
    if (text == NULL && (text = malloc(1)) == NULL) {
        status = FILE_READ_NO_MEMORY;
        goto cleanup;
    }
    text[size] = '\0';
    *text_out = text;
    *size_out = size;
    text = NULL;
cleanup:
    free(text);
    return status;
}

file_read_status file_read_whole(const char *path, const file_read_options *options, char **text,
                                 size_t *size, file_read_problem *problem)
{
    file_read_problem ignored;
    if (problem == NULL)
        problem = &ignored;
    problem->error = 0;
    problem->kind = NULL;
    problem->size = 0;
    *text = NULL;
    *size = 0;

    file_read_status status = FILE_READ_OK;
    FILE *file = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | (options->regular_only ? O_NONBLOCK : 0));
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0) {
        problem->error = errno;
        status = FILE_READ_CANNOT_OPEN;
        goto cleanup;
    }
    if (options->regular_only && !S_ISREG(info.st_mode)) {
        problem->kind = file_kind(info.st_mode);
        status = FILE_READ_NOT_REGULAR;
        goto cleanup;
    }
    if (S_ISREG(info.st_mode) && (unsigned long long)info.st_size > options->max_bytes) {
        problem->size = (long long)info.st_size;
        status = FILE_READ_TOO_LARGE;
        goto cleanup;
    }
    file = fdopen(fd, "rb");
    if (file == NULL) {
        problem->error = errno;
        status = FILE_READ_CANNOT_READ;
        goto cleanup;
    }
    fd = -1;
    status = read_to_end(file, options->max_bytes, text, size, problem);
cleanup:
    if (file != NULL)
        fclose(file);
    if (fd >= 0)
        close(fd);
    return status;
}
