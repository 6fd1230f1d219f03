/* multiclass_lists.h: the nonzero inputs of the multi-class network's rows,
 * listed once per run instead of once per batch (see multiclass.c). */
#ifndef SWEEP_MULTICLASS_LISTS_H
#define SWEEP_MULTICLASS_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Features per chunk of the forward sums and of the w1 gradient, so that
 * the rows of w1 (or sum_w1) a chunk reads stay in the L1 cache while
 * every row of the batch passes over them (48 x 100 units: 40 KB of the
 * 48 KB; measured fastest of 16 to 64 and one chunk, docs/performance.md);
 * a multiple of 16 (the AVX-512 listing); the bits are the same for any
 * value. */
#define MULTICLASS_CHUNK 48

/* The nonzero inputs of a set of rows, listed once per run
 * (multiclass_fill_lists) instead of once per batch: each row's list (its
 * nonzero inputs in feature order) cut into chunks of MULTICLASS_CHUNK
 * features, stored as a 16-bit feature number and an 8-bit code into a
 * table of the rows' distinct nonzero values (bit patterns), 3 bytes an
 * input (70 MB for fashion-MNIST's 23.4 million, whose pixels are k/255).
 * Rows with more than MULTICLASS_CODES distinct values have no such lists:
 * their batches are listed one by one. */
enum { MULTICLASS_CODES = 256 };
typedef struct {
    int chunks;              /* (n_features + MULTICLASS_CHUNK - 1) / MULTICLASS_CHUNK */
    const int *start;        /* (rows * chunks + 1) the first entry of row r's chunk c at
                                r * chunks + c */
    const uint16_t *feature; /* (entries) the entry's feature */
    const uint8_t *code;     /* (entries) its value: table[code] */
    const double *table;     /* (MULTICLASS_CODES) */
} multiclass_lists;

/* The nonzero inputs of the n rows of x under their masks (the entries of
 * their lists). */
size_t multiclass_count_inputs(const uint64_t *masks, int n, int mask_words);

/* Stores the n rows' lists (see multiclass_lists) into start (n * chunks +
 * 1), feature and code (multiclass_count_inputs entries) and table
 * (MULTICLASS_CODES), and points `lists` at them. Returns false, the
 * lists unusable, when the rows hold more than MULTICLASS_CODES distinct
 * nonzero values, n_features exceeds 65,536 or the entries INT_MAX. */
bool multiclass_fill_lists(const double *x, int n_features, int n, const uint64_t *masks,
                           int mask_words, int *start, uint16_t *feature, uint8_t *code,
                           double *table, multiclass_lists *lists);

#endif
