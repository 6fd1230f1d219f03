/* multiclass_lists.c: the rows' stored input lists (multiclass_lists.h).
 *
 * A value's code is its place in the table, given in the order the values
 * first occur; values are told apart by their bits, so the table gives back
 * exactly the double of x (-0.0 is never listed: the masks hold x != 0.0).
 */
#include "multiclass_lists.h"

#include <limits.h>
#include <string.h>

size_t multiclass_count_inputs(const uint64_t *masks, int n, int mask_words)
{
    size_t count = 0;
    for (size_t w = 0; w < (size_t)n * (size_t)mask_words; w++)
        count += (size_t)__builtin_popcountll(masks[w]);
    return count;
}

/* Slots of the table of codes by value: a power of two, four per code, so
 * that the linear probes stay short. */
enum { CODE_SLOT_BITS = 10, CODE_SLOTS = 1 << CODE_SLOT_BITS };
_Static_assert(CODE_SLOTS >= 4 * MULTICLASS_CODES, "the table of codes stays a quarter full");

typedef struct {
    uint64_t bits[CODE_SLOTS];
    int16_t code[CODE_SLOTS]; /* -1: free */
    int n_codes;
    double *table;
} code_book;

/* The code of `value` by its bits (-0.0 and every NaN payload keep their
 * own), a new one if it has none yet; -1 past MULTICLASS_CODES values. */
static int code_of(code_book *book, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    /* the product's top bits (Fibonacci hashing): its low ones barely
       differ between values such as k/255 */
    size_t slot = (size_t)((bits * 0x9E3779B97F4A7C15u) >> (64 - CODE_SLOT_BITS));
    for (; book->code[slot] >= 0; slot = (slot + 1) % CODE_SLOTS)
        if (book->bits[slot] == bits)
            return book->code[slot];
    if (book->n_codes == MULTICLASS_CODES)
        return -1;
    book->bits[slot] = bits;
    book->code[slot] = (int16_t)book->n_codes;
    book->table[book->n_codes] = value;
    return book->n_codes++;
}

bool multiclass_fill_lists(const double *x, int n_features, int n, const uint64_t *masks,
                           int mask_words, int *start, uint16_t *feature, uint8_t *code,
                           double *table, multiclass_lists *lists)
{
    const int chunks = (n_features + MULTICLASS_CHUNK - 1) / MULTICLASS_CHUNK;
    if (n_features > UINT16_MAX + 1 || multiclass_count_inputs(masks, n, mask_words) >= INT_MAX)
        return false;
    code_book book; /* its bits are read only where a code is set */
    memset(book.code, 0xff, sizeof book.code);
    book.n_codes = 0;
    book.table = table;
    memset(table, 0, MULTICLASS_CODES * sizeof(double));
    int entries = 0;
    for (int r = 0; r < n; r++) {
        const double *row = x + (size_t)r * (size_t)n_features;
        int *row_start = start + (size_t)r * (size_t)chunks, chunk = 0;
        int chunk_end = MULTICLASS_CHUNK;
        row_start[0] = entries;
        for (int w = 0; w < mask_words; w++)
            for (uint64_t bits = masks[(size_t)r * (size_t)mask_words + (size_t)w]; bits != 0;
                 bits &= bits - 1) {
                const int f = w * 64 + __builtin_ctzll(bits), value_code = code_of(&book, row[f]);
                if (value_code < 0)
                    return false;
                for (; f >= chunk_end; chunk_end += MULTICLASS_CHUNK)
                    row_start[++chunk] = entries;
                feature[entries] = (uint16_t)f;
                code[entries] = (uint8_t)value_code;
                entries++;
            }
        while (chunk + 1 < chunks)
            row_start[++chunk] = entries;
    }
    start[(size_t)n * (size_t)chunks] = entries;
    *lists = (multiclass_lists){.chunks = chunks,
                                .start = start,
                                .feature = feature,
                                .code = code,
                                .table = table};
    return true;
}
