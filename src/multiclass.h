/* multiclass.h: the textbook's chapter 7-1 MultiClassNetwork, trained one
 * minibatch at a time by vectorized kernels.
 *
 * n_features -> units (sigmoid) -> K classes (softmax), cross-entropy loss,
 * SGD with L1/L2 penalties on the weights (not the biases). The
 * floating-point evaluation order, which the results depend on bit for bit,
 * is written down at the top of multiclass.c; tests/reference_multiclass.c
 * is the plain scalar code of that order, and the tests require the kernels
 * to reproduce it exactly on every instruction set (simd.h).
 *
 * Layout: as in network.h, the hidden units are the vector lanes of w1, b1,
 * a1 and e1 (`stride` doubles per row, padding kept at zero in the weights);
 * the classes are the lanes of w2, b2 and the output arrays (`class_stride`
 * doubles per row). w2 is also kept transposed (w2t), so that the hidden
 * error can run with the units in the lanes too. Nothing here allocates.
 */
#ifndef SWEEP_MULTICLASS_H
#define SWEEP_MULTICLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "params.h"
#include "rng.h"
#include "simd.h"

typedef struct {
    int n_features;   /* inputs */
    int units;        /* hidden units */
    int classes;      /* K >= 2 */
    int stride;       /* multiclass_stride(isa, units) */
    int class_stride; /* multiclass_stride(isa, classes) */
    simd_isa isa;     /* the kernels' instruction set */
    double *w1;       /* (n_features, stride): w1[f][h] */
    double *b1;       /* (stride) */
    double *w2;       /* (units, class_stride): w2[h][k] */
    double *w2t;      /* (classes, stride): w2t[k][h] = w2[h][k] */
    double *b2;       /* (class_stride) */
} multiclass_net;

/* Scratch of a pass over at most `capacity` rows. */
typedef struct {
    int capacity;   /* rows */
    double *a1;     /* (capacity, stride) hidden activations */
    double *e1;     /* (capacity, stride) error reaching the hidden layer */
    double *z2;     /* (capacity, class_stride) output before the softmax */
    double *err;    /* (capacity, class_stride) softmax - one-hot target */
    double *sum_w1; /* (n_features, stride) sums of dw1 before dividing by m */
    double *sum_w2; /* (units, class_stride) sums of dw2 */
    double *sum_b1; /* (stride) sums of db1 */
    /* The input lists of the pass's rows, cut into chunks of
     * MULTICLASS_CHUNK features. Row lists (the forward sums; the w1
     * gradient of a row alone): each row's nonzero inputs, in feature
     * order, row after row. Pair lists (the w1 gradient of a training
     * batch): the rows go in groups of two (rows 2g and 2g + 1; the last
     * group of an odd count holds one row), a group's entries the features
     * where either of its rows is nonzero, each chunk's in
     * MULTICLASS_PAIR_PARTS parts: the features where both rows are
     * nonzero (with both values), then those where only the first is (its
     * value), then only the second (its value), each part in feature
     * order. */
    int *row_start;        /* (rows * chunks + 1) the first entry of row r's chunk c at
                          r * chunks + c */
    int *row_index;        /* (entries) feature * input_stride: where its row of w1 (and of
                          sum_w1) starts */
    double *row_value;     /* (entries) the row's value of the entry's feature */
    int *input_start;      /* (groups * chunks * MULTICLASS_PAIR_PARTS + 1) the first entry
                          of part p of group g's chunk c at (g * chunks + c) *
                          MULTICLASS_PAIR_PARTS + p; groups = (rows + 1) / 2 */
    int *input_index;      /* (entries) as row_index */
    int input_stride;      /* the net's stride */
    int chunks;            /* (n_features + MULTICLASS_CHUNK - 1) / MULTICLASS_CHUNK */
    double *input_value_a; /* (entries) the group's first row's value of the entry's
                              feature */
    double *input_value_b; /* (entries) its second row's */
    /* With a coded data set (value_codes.h), the lists hold each input's
     * one-byte code instead of its value: the same entries, a byte each. */
    const double *code_table; /* the codes' values (NULL: the data set is not coded) */
    const uint8_t *codes;     /* the train rows' codes, as x (NULL: list the values) */
    bool coded;               /* the last listing wrote codes, not values */
    uint8_t *row_code;        /* (entries) as row_value */
    uint8_t *input_code_a;    /* (entries) as input_value_a */
    uint8_t *input_code_b;    /* (entries) as input_value_b */
    /* Which inputs of a row are nonzero, one bit per feature, mask_words
     * words per row: the lists are built from these bits. */
    int mask_words;        /* (n_features + 63) / 64 */
    const uint64_t *masks; /* the train rows' (multiclass_row_masks), set by the caller */
    uint64_t *chunk_masks; /* (capacity * mask_words) for the evaluated rows */
} multiclass_scratch;

/* Features per chunk of the forward sums and of the w1 gradient, so that
 * the rows of w1 (or sum_w1) a chunk reads stay in the L1 cache while
 * every row of the batch passes over them (48 x 100 units: 40 KB of the
 * 48 KB; measured fastest of 16 to 64 and one chunk, docs/performance_multiclass.md);
 * a multiple of 16 (the AVX-512 listing); the bits are the same for any
 * value. */
#define MULTICLASS_CHUNK 48

/* Parts of a chunk of a pair list: both rows nonzero, only the first, only
 * the second (see multiclass_scratch). */
#define MULTICLASS_PAIR_PARTS 3

/* The nonzero bits of the n rows of x (n, n_features) into masks
 * (n * mask_words), bit f % 64 of word f / 64 for feature f. */
void multiclass_row_masks(const double *x, int n_features, int n, int mask_words, uint64_t *masks);

/* The same bits from the rows' one-byte codes (value_codes.h) into
 * `table` (of its used codes; a code's input is nonzero where its value
 * != 0.0, as above): a byte read per input instead of a double. */
void multiclass_row_masks_coded(const uint8_t *codes, const double *table, int n_features, int n,
                                int mask_words, uint64_t *masks);

/* Doubles per row of `count` lanes at `isa`: count rounded up to the lanes. */
int multiclass_stride(simd_isa isa, int count);

/* Sizes of the arrays (in elements) for these shapes; see the structs. */
typedef struct {
    size_t w1, b1, w2, w2t, b2;
    size_t a1, e1, z2, err, sum_w1, sum_w2, sum_b1;
    size_t row_start, row_index, row_value;
    size_t input_start, input_index, input_value_a, input_value_b;
    size_t row_code, input_code; /* bytes, each of the code arrays */
    size_t mask_words, chunk_masks;
} multiclass_sizes;
multiclass_sizes multiclass_array_sizes(simd_isa isa, int n_features, int units, int classes,
                                        int capacity);

/* MultiClassNetwork.init_weights after the caller's single seed: w1 from
 * n_features * units normals row by row, then w2 from units * classes
 * normals row by row; biases and padding zero. The shapes, isa and arrays
 * of `net` must be set. */
void multiclass_init(multiclass_net *net, numpy_rng *rng);

/* The textbook's `training` on the m rows x[rows[i]] (x (n, n_features)
 * row-major, y (n) the classes as doubles; scratch->masks those of x, and
 * scratch->codes its codes or NULL): forward, softmax, backward,
 * penalties, SGD update. Returns the batch's loss, Σ over its rows in order
 * (from 0.0) of -log(clip(softmax_class, 1e-10, 1 - 1e-10)) with the
 * outputs before the update; *correct counts the rows whose argmax of z2
 * (the first maximum) is their class. m <= scratch->capacity. */
double multiclass_train_batch(multiclass_net *net, const double *x, const double *y,
                              const int *rows, int m, const train_params *params,
                              multiclass_scratch *scratch, int *correct);

/* Forward pass over the n rows of x, in chunks of the scratch's capacity:
 * adds each row's loss (as above) to `loss_total` in row
 * order and returns it; *correct receives the number of rows whose argmax of z2 (the first
 * maximum, like numpy) equals y. `masks` are the n rows' nonzero bits
 * (multiclass_row_masks), or NULL to make them chunk by chunk; `codes` the
 * rows' codes into scratch->code_table (with masks; 16 bytes readable past
 * the last row), or NULL to list the values. */
double multiclass_evaluate(const multiclass_net *net, const double *x, const double *y, int n,
                           const uint64_t *masks, const uint8_t *codes, double loss_total,
                           int *correct, multiclass_scratch *scratch);

/* reg_loss: l1 (S|w1| + S|w2|) + l2/2 (S w1^2 + S w2^2), each S a sum in
 * row-major order of the unpadded arrays from 0.0. */
double multiclass_reg_loss(const multiclass_net *net, double l1, double l2);

#endif
