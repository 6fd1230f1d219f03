/* idx.c: IDX unsigned-byte arrays through zlib (see idx.h). */
#include "idx.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_TYPE_UBYTE 0x08

/* gzread takes an unsigned count; read large arrays in pieces. */
#define IDX_READ_CHUNK ((size_t)1 << 20)

/* Read up to `size` bytes; *got is how many arrived before the end. */
static int read_bytes(gzFile file, const char *path, void *buffer, size_t size, size_t *got,
                      sweep_error *err)
{
    unsigned char *bytes = buffer;
    *got = 0;
    while (*got < size) {
        size_t want = size - *got < IDX_READ_CHUNK ? size - *got : IDX_READ_CHUNK;
        int n = gzread(file, bytes + *got, (unsigned)want);
        if (n < 0) {
            int code = 0;
            const char *message = gzerror(file, &code);
            /* zlib starts its message with the path; ours already does. */
            size_t path_length = strlen(path);
            if (strncmp(message, path, path_length) == 0 &&
                strncmp(message + path_length, ": ", 2) == 0)
                message += path_length + 2;
            return error_set(err, code == Z_ERRNO ? ERROR_RUNTIME : ERROR_INPUT,
                             "%s: cannot read: %s", path,
                             code == Z_ERRNO ? strerror(errno) : message);
        }
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* Check the magic and the sizes against `shape`; fills out->dims/n_values. */
static int read_header(gzFile file, const char *path, const idx_shape *shape, idx_array *out,
                       sweep_error *err)
{
    unsigned char magic[4];
    size_t got = 0;
    if (read_bytes(file, path, magic, sizeof magic, &got, err) != 0)
        return -1;
    if (got < sizeof magic)
        return error_set(err, ERROR_INPUT, "%s: truncated: %zu bytes, shorter than an IDX header",
                         path, got);
    if (magic[0] != 0 || magic[1] != 0 || magic[2] != IDX_TYPE_UBYTE)
        return error_set(err, ERROR_INPUT,
                         "%s: not an IDX file of unsigned bytes (magic %02x %02x %02x %02x, "
                         "expected 00 00 08 0%d)",
                         path, magic[0], magic[1], magic[2], magic[3], shape->n_dims);
    if (magic[3] != shape->n_dims)
        return error_set(err, ERROR_INPUT, "%s: %d dimensions, expected %d", path, magic[3],
                         shape->n_dims);

    unsigned char sizes[4 * IDX_MAX_DIMS];
    size_t size_bytes = 4 * (size_t)shape->n_dims;
    if (read_bytes(file, path, sizes, size_bytes, &got, err) != 0)
        return -1;
    if (got < size_bytes)
        return error_set(err, ERROR_INPUT, "%s: truncated inside the header", path);
    size_t total = 1;
    for (int d = 0; d < shape->n_dims; d++) {
        const unsigned char *b = sizes + 4 * d;
        uint32_t size = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (size == 0 || size > shape->max_dims[d])
            return error_set(err, ERROR_INPUT, "%s: dimension %d has size %lu, expected 1..%lu",
                             path, d + 1, (unsigned long)size, (unsigned long)shape->max_dims[d]);
        if (total > SIZE_MAX / size)
            return error_set(err, ERROR_INPUT, "%s: the sizes multiply beyond memory", path);
        out->dims[d] = size;
        total *= size;
    }
    out->n_dims = shape->n_dims;
    out->n_values = total;
    return 0;
}

/* The values, in a buffer that grows with what the file really holds: a
 * header that claims more than the file has costs no more memory than the
 * file's data. */
static int read_values(gzFile file, const char *path, idx_array *out, sweep_error *err)
{
    size_t capacity = 0, got = 0;
    while (got < out->n_values) {
        if (got == capacity) {
            capacity = capacity == 0 ? IDX_READ_CHUNK : capacity * 2;
            if (capacity > out->n_values)
                capacity = out->n_values;
            unsigned char *grown = realloc(out->values, capacity);
            if (grown == NULL)
                return error_set(err, ERROR_RUNTIME, "%s: out of memory for %zu bytes", path,
                                 capacity);
            out->values = grown;
        }
        size_t want = capacity - got, n = 0;
        if (read_bytes(file, path, out->values + got, want, &n, err) != 0)
            return -1;
        got += n;
        if (n < want)
            break; /* the end of the file */
    }
    if (got < out->n_values)
        return error_set(err, ERROR_INPUT, "%s: truncated: %zu data bytes expected, %zu found",
                         path, out->n_values, got);
    return 0;
}

int idx_read_ubyte(const char *path, const idx_shape *shape, idx_array *out, sweep_error *err)
{
    int status = -1;
    memset(out, 0, sizeof *out);
    gzFile file = gzopen(path, "rb");
    if (file == NULL) {
        error_set(err, errno == ENOENT || errno == EACCES ? ERROR_INPUT : ERROR_RUNTIME,
                  "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        goto cleanup;
    }
    if (read_header(file, path, shape, out, err) != 0)
        goto cleanup;
    if (read_values(file, path, out, err) != 0)
        goto cleanup;
    unsigned char extra;
    size_t got = 0;
    if (read_bytes(file, path, &extra, 1, &got, err) != 0)
        goto cleanup;
    if (got != 0) {
        error_set(err, ERROR_INPUT,
                  "%s: more data than the header's sizes say (%zu values); wrong counts?", path,
                  out->n_values);
        goto cleanup;
    }
    status = 0;

cleanup:
    if (file != NULL)
        gzclose(file);
    if (status != 0)
        idx_array_free(out);
    return status;
}

void idx_array_free(idx_array *array)
{
    free(array->values);
    memset(array, 0, sizeof *array);
}
