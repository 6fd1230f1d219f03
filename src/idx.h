/* idx.h: unsigned-byte arrays in the IDX format of MNIST and fashion-MNIST.
 *
 * An IDX file is a 4-byte magic (0, 0, type, number of dimensions), one
 * big-endian 32-bit size per dimension, then the values in row-major order.
 * Only type 0x08 (unsigned byte) is read, the type of every MNIST-like file.
 * Files may be gzip-compressed or plain (zlib reads both).
 *
 * The files come from outside, so every header field is checked before
 * anything is allocated from it: the magic, the number of dimensions, each
 * size against a caller's bound, and the total. Even then the buffer grows
 * with the data actually read, so a header that claims more than its file
 * holds costs no more memory than the file. The data must be exactly as long
 * as the header says (a truncated file and trailing bytes are both errors).
 */
#ifndef SWEEP_IDX_H
#define SWEEP_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define IDX_MAX_DIMS 3

typedef struct {
    unsigned char *values; /* (n_values) row-major */
    int n_dims;
    uint32_t dims[IDX_MAX_DIMS];
    size_t n_values; /* product of dims */
} idx_array;

/* What the caller accepts: a file with another number of dimensions, or a
 * size above its bound, is refused before the values are allocated. */
typedef struct {
    int n_dims; /* 1 (labels) or 3 (images) */
    uint32_t max_dims[IDX_MAX_DIMS];
} idx_shape;

/* Read `path` into `out` (values malloc'ed). On failure `out` is empty and
 * err says "PATH: what", e.g. "...: truncated: 7840000 data bytes expected,
 * 1000 found". */
int idx_read_ubyte(const char *path, const idx_shape *shape, idx_array *out, sweep_error *err);

void idx_array_free(idx_array *array);

#endif
