/* value_codes.h: a matrix of doubles as one-byte codes into a table of its
 * distinct values.
 *
 * Image data (fashion-MNIST's pixels k/255) takes at most 256 distinct
 * values. Coded, a row of 784 inputs is 784 bytes instead of 6,272, and the
 * multi-class network's input lists carry a byte per input instead of a
 * double: the listing of a training batch, which reads rows scattered over
 * the data set, runs about 2.5 times faster (docs/performance_multiclass.md). A code
 * stands for a value's exact bits, so the kernels compute with the very
 * doubles of the data set: coding never changes a result.
 */
#ifndef SWEEP_VALUE_CODES_H
#define SWEEP_VALUE_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    VALUE_CODES_MAX = 256,   /* distinct values a table holds */
    VALUE_CODES_SLOTS = 1024 /* its hash slots: at most a quarter full */
};

/* The distinct values met so far, by bit pattern; code 0 is +0.0. */
typedef struct {
    double value[VALUE_CODES_MAX];
    int count;
    uint64_t slot_bits[VALUE_CODES_SLOTS];
    int16_t slot_code[VALUE_CODES_SLOTS]; /* -1: free */
} value_table;

/* An empty table but for +0.0 (code 0). */
void value_table_init(value_table *table);

/* codes[i] = the code of x[i] for i < n, adding new values to the table.
 * Returns false, with the table and codes unusable, when x holds more
 * distinct values than the table can. */
bool value_codes_encode(const double *x, size_t n, value_table *table, uint8_t *codes);

#endif
