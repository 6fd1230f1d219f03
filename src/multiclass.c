/* multiclass.c: forward, softmax, backward and SGD update of the multi-class
 * network (chapter 7-1's MultiClassNetwork).
 *
 * EVALUATION ORDER (the conventions of network.c: "Σ ... in k order" is
 * acc = 0.0; acc += term for k = 0, 1, ...; no fused multiply-adds; exp and
 * log are fastmath_exp and fastmath_log):
 *
 *   z1[r][h]  = (Σ_f x[r][f] * w1[f][h], in f order) + b1[h]
 *   a1[r][h]  = 1.0 / (1.0 + exp(-max(z1, -100)))
 *   z2[r][k]  = (Σ_h a1[r][h] * w2[h][k], in h order) + b2[k]
 *   p[r][k]   = exp(max(z2[r][k], -100))
 *   a[r][k]   = p[r][k] / (Σ_k p[r][k], in k order)      (no max-subtraction: the book's)
 *   err[r][k] = a[r][k] - y[r][k],   y one-hot (1.0 at the row's class, else 0.0)
 *   dw2[h][k] = (Σ_r a1[r][h] * err[r][k], in r order) / m
 *   db2       = (Σ_r Σ_k err[r][k], row-major order) / m  (one scalar for every class)
 *   e1[r][h]  = ((Σ_k err[r][k] * w2[h][k], in k order) * a1[r][h]) * (1.0 - a1[r][h])
 *   dw1[f][h] = (Σ_r x[r][f] * e1[r][h], in r order) / m
 *   db1[h]    = (Σ_r e1[r][h], in r order) / m
 *   dw[i]     = dw[i] + (l1 * sign(w[i]) + l2 * w[i]) / m    for w1 and w2
 *   w[i]      = w[i] - learning_rate * dw[i]                 for all four
 *   loss row  = -log(c), c = a[r][class] clipped to [1e-10, 1 - 1e-10] (the
 *               book's Σ_k -y log(a) over a one-hot row: the other terms
 *               are +0.0); rows added to a running total in r order
 *   reg_loss  = l1 * (S|w1| + S|w2|) + (l2 / 2) * (S w1^2 + S w2^2)
 *
 * m is the batch's row count as a double. This is numpy's arithmetic
 * expression for expression; only the order inside numpy's sums (BLAS, the
 * pairwise np.sum) differs, by a few ulps. tests/reference_multiclass.c is
 * this order as plain scalar loops.
 *
 * The kernels (multiclass_simd.inc) skip zero inputs: half of
 * fashion-MNIST's pixels are 0, and adding an exact +-0.0 product to a sum
 * started at +0.0 never changes it (see mc_hidden_block). The rows' nonzero
 * inputs are listed once per batch (list_inputs), a chunk of features at a
 * time: each row's own (the row lists), and, for a training batch, two
 * rows at a time (the pair lists: the features where either row is
 * nonzero, in three parts per chunk: both rows, only the first, only the
 * second). The forward sums walk each row's list alone,
 * its sums in registers over a chunk (partial sums wait in a1 between
 * chunks): one row's 26 vector operations per nonzero input of 100 units
 * run faster than a pair's 52 per entry of their union (1.33 times the
 * rows' nonzero inputs). The w1 gradient, bound by the loads and stores of
 * sum_w1 rather than by the arithmetic, adds a pair's terms to sum_w1 in
 * row order, each vector of sum_w1 loaded and stored once for both rows:
 * both rows' terms where both are nonzero, one row's where only it is, so
 * every sum gets exactly the terms of the rows taken one at a time, and no
 * zero input adds a term (0 * inf would be NaN). The
 * softmax's exps run on vectors (vexp: fastmath_exp's bits); its sums, the
 * divisions and the losses are scalar. When the rows come with one-byte
 * codes into a table of their values (value_codes.h), the lists hold the
 * codes and the kernels read each value from the table: the same doubles,
 * a byte to list instead of eight.
 */
#include "multiclass.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fastmath.h"

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

int multiclass_stride(simd_isa isa, int count)
{
    const int lanes = simd_lanes(isa);
    return (count + lanes - 1) / lanes * lanes;
}

/* Entries of room past the input lists: the vector listing (mc_list_inputs)
 * stores 16 entries at a time. */
enum { LIST_SLACK = 16 };

multiclass_sizes multiclass_array_sizes(simd_isa isa, int n_features, int units, int classes,
                                        int capacity)
{
    const size_t stride = (size_t)multiclass_stride(isa, units);
    const size_t class_stride = (size_t)multiclass_stride(isa, classes);
    const size_t rows = (size_t)capacity;
    const size_t chunks = ((size_t)n_features + MULTICLASS_CHUNK - 1) / MULTICLASS_CHUNK;
    const size_t groups = (rows + 1) / 2; /* of two rows: see list_inputs */
    const size_t row_entries = rows * (size_t)n_features + LIST_SLACK;
    return (multiclass_sizes){
        .w1 = (size_t)n_features * stride,
        .b1 = stride,
        .w2 = (size_t)units * class_stride,
        .w2t = (size_t)classes * stride,
        .b2 = class_stride,
        .a1 = rows * stride,
        .e1 = rows * stride,
        .z2 = rows * class_stride,
        .err = rows * class_stride,
        .sum_w1 = (size_t)n_features * stride,
        .sum_w2 = (size_t)units * class_stride,
        .sum_b1 = stride,
        .row_start = rows * chunks + 1,
        .row_index = row_entries,
        .row_value = row_entries,
        .input_start = groups * chunks * MULTICLASS_PAIR_PARTS + 1,
        .input_index = groups * (size_t)n_features + LIST_SLACK,
        .input_value_a = groups * (size_t)n_features + LIST_SLACK,
        .input_value_b = groups * (size_t)n_features + LIST_SLACK,
        .row_code = row_entries,
        .input_code = groups * (size_t)n_features + LIST_SLACK,
        .mask_words = ((size_t)n_features + 63) / 64,
        .chunk_masks = rows * (((size_t)n_features + 63) / 64),
    };
}

/* w2t = the transpose of w2 (its padding stays zero). */
static void transpose_w2(multiclass_net *net)
{
    for (int k = 0; k < net->classes; k++)
        for (int h = 0; h < net->units; h++)
            net->w2t[(size_t)k * net->stride + h] = net->w2[(size_t)h * net->class_stride + k];
}

void multiclass_init(multiclass_net *net, numpy_rng *rng)
{
    const size_t stride = (size_t)net->stride, class_stride = (size_t)net->class_stride;
    memset(net->w1, 0, (size_t)net->n_features * stride * sizeof(double));
    memset(net->b1, 0, stride * sizeof(double));
    memset(net->w2, 0, (size_t)net->units * class_stride * sizeof(double));
    memset(net->w2t, 0, (size_t)net->classes * stride * sizeof(double));
    memset(net->b2, 0, class_stride * sizeof(double));
    for (int f = 0; f < net->n_features; f++)
        for (int h = 0; h < net->units; h++)
            net->w1[(size_t)f * stride + h] = rng_gauss(rng); /* normal(0, 1) */
    for (int h = 0; h < net->units; h++)
        for (int k = 0; k < net->classes; k++)
            net->w2[(size_t)h * class_stride + k] = rng_gauss(rng);
    transpose_w2(net);
}

double multiclass_reg_loss(const multiclass_net *net, double l1, double l2)
{
    double abs_w1 = 0.0, abs_w2 = 0.0, square_w1 = 0.0, square_w2 = 0.0;
    for (int f = 0; f < net->n_features; f++) {
        const double *row = net->w1 + (size_t)f * net->stride;
        for (int h = 0; h < net->units; h++) {
            abs_w1 += fabs(row[h]);
            square_w1 += row[h] * row[h];
        }
    }
    for (int h = 0; h < net->units; h++) {
        const double *row = net->w2 + (size_t)h * net->class_stride;
        for (int k = 0; k < net->classes; k++) {
            abs_w2 += fabs(row[k]);
            square_w2 += row[k] * row[k];
        }
    }
    return l1 * (abs_w1 + abs_w2) + l2 / 2.0 * (square_w1 + square_w2);
}

/* Where the mask functions read a row's inputs: its doubles, or its codes
 * with a table of which codes are nonzero. */
typedef struct {
    const double *x;
    const uint8_t *codes;
    const uint64_t *nonzero; /* (256) 1 where the code's value != 0.0 (NaN too) */
    int n_features;
} mask_source;

/* The bits of features first..first+count-1 of row r; in a register:
 * or-ing into memory bit by bit waits on the previous store every time. */
static uint64_t mask_word(const mask_source *src, int r, int first, int count)
{
    const size_t start = (size_t)r * (size_t)src->n_features + (size_t)first;
    uint64_t bits = 0;
    if (src->codes != NULL) {
        const uint8_t *code = src->codes + start;
        int b = 0;
        for (; b + 8 <= count; b += 8) { /* constant shifts, eight independent lookups */
            const uint64_t *nz = src->nonzero;
            const uint64_t byte = nz[code[b]] | nz[code[b + 1]] << 1 | nz[code[b + 2]] << 2 |
                                  nz[code[b + 3]] << 3 | nz[code[b + 4]] << 4 |
                                  nz[code[b + 5]] << 5 | nz[code[b + 6]] << 6 |
                                  nz[code[b + 7]] << 7;
            bits |= byte << b;
        }
        for (; b < count; b++)
            bits |= src->nonzero[code[b]] << b;
    } else
        for (int b = 0; b < count; b++)
            bits |= (uint64_t)(src->x[start + (size_t)b] != 0.0) << b;
    return bits;
}

static void row_masks(const mask_source *src, int n, int mask_words, uint64_t *masks)
{
    for (int r = 0; r < n; r++)
        for (int w = 0; w < mask_words; w++) {
            const int first = w * 64;
            const int count = src->n_features - first < 64 ? src->n_features - first : 64;
            masks[(size_t)r * (size_t)mask_words + (size_t)w] = mask_word(src, r, first, count);
        }
}

void multiclass_row_masks(const double *x, int n_features, int n, int mask_words, uint64_t *masks)
{
    const mask_source src = {.x = x, .n_features = n_features};
    row_masks(&src, n, mask_words, masks);
}

void multiclass_row_masks_coded(const uint8_t *codes, const double *table, int n_features, int n,
                                int mask_words, uint64_t *masks)
{
    uint64_t nonzero[256];
    for (int code = 0; code < 256; code++)
        nonzero[code] = table[code] != 0.0;
    const mask_source src = {.codes = codes, .nonzero = nonzero, .n_features = n_features};
    row_masks(&src, n, mask_words, masks);
}

/* Row r of the batch: its place in x (rows NULL: r). */
static size_t batch_row(const int *rows, int r)
{
    return (size_t)(rows != NULL ? rows[r] : r);
}

/* Groups between the one being listed and the one being prefetched. */
enum { LIST_PREFETCH_AHEAD = 1 };

/* Fetches the lines of row r of the batch (if any) and of its mask ahead of
 * its listing: the batch's rows are scattered over x. */
static void prefetch_row(const double *x, const uint8_t *codes, int n_features,
                         const uint64_t *masks, int mask_words, const int *rows, int m, int r)
{
    if (r >= m)
        return;
    const size_t row_bytes = (size_t)n_features * (codes != NULL ? 1 : sizeof(double));
    const char *ahead = codes != NULL ? (const char *)(codes + batch_row(rows, r) * row_bytes)
                                      : (const char *)(x + batch_row(rows, r) * (size_t)n_features);
    for (size_t byte = 0; byte < row_bytes; byte += 64)
        __builtin_prefetch(ahead + byte);
    const char *mask = (const char *)(masks + batch_row(rows, r) * (size_t)mask_words);
    for (size_t byte = 0; byte < (size_t)mask_words * sizeof(uint64_t); byte += 64)
        __builtin_prefetch(mask + byte);
}

/* Row r's list (see multiclass_scratch) from `entries` on: every feature
 * where the row is nonzero, in order, with the start of every chunk of
 * MULTICLASS_CHUNK features; its codes (code_row) or else its values.
 * Returns the entries after it. */
static int list_row_scalar(const double *row, const uint8_t *code_row, const uint64_t *mask, int r,
                           int entries, multiclass_scratch *s)
{
    int *start = s->row_start + (size_t)r * (size_t)s->chunks;
    int chunk = 0, chunk_end = MULTICLASS_CHUNK;
    start[0] = entries;
    for (int w = 0; w < s->mask_words; w++)
        for (uint64_t bits = mask[w]; bits != 0; bits &= bits - 1) {
            const int f = w * 64 + __builtin_ctzll(bits);
            for (; f >= chunk_end; chunk_end += MULTICLASS_CHUNK)
                start[++chunk] = entries;
            s->row_index[entries] = f * s->input_stride;
            if (code_row != NULL)
                s->row_code[entries] = code_row[f];
            else
                s->row_value[entries] = row[f];
            entries++;
        }
    while (chunk + 1 < s->chunks)
        start[++chunk] = entries;
    return entries;
}

_Static_assert(MULTICLASS_CHUNK <= 64, "mask_bits gives a chunk's bits in one word");

/* The bits of features first..first + count - 1 of a row's mask (count at
 * most 64), the first feature's in bit 0. */
static uint64_t mask_bits(const uint64_t *mask, int first, int count)
{
    const int word = first / 64, shift = first % 64;
    uint64_t bits = mask[word] >> shift;
    if (shift != 0 && shift + count > 64)
        bits |= mask[word + 1] << (64 - shift);
    return count == 64 ? bits : bits & ((UINT64_C(1) << count) - 1);
}

/* Group g's pair list (see multiclass_scratch) from `entries` on, of its
 * rows row_a and row_b (NULL for the last row of an odd count): in each
 * chunk the features where both rows are nonzero, then those where only
 * row_a is, then only row_b, each part in feature order, with the values
 * or codes of the rows its terms use (the others 0.0 or code 0; the
 * AVX-512 listing leaves them as they were). Returns the entries after
 * it. */
static int list_pair_scalar(const double *row_a, const double *row_b, const uint8_t *code_a,
                            const uint8_t *code_b, const uint64_t *mask_a, const uint64_t *mask_b,
                            int n_features, int g, int entries, multiclass_scratch *s)
{
    int *start = s->input_start + (size_t)g * (size_t)s->chunks * MULTICLASS_PAIR_PARTS;
    for (int c = 0; c < s->chunks; c++) {
        const int first = c * MULTICLASS_CHUNK;
        const int count = n_features - first < MULTICLASS_CHUNK ? n_features - first
                                                                : MULTICLASS_CHUNK;
        const uint64_t in_a = mask_bits(mask_a, first, count);
        const uint64_t in_b = row_b != NULL ? mask_bits(mask_b, first, count) : 0;
        const uint64_t parts[MULTICLASS_PAIR_PARTS] = {in_a & in_b, in_a & ~in_b, in_b & ~in_a};
        for (int part = 0; part < MULTICLASS_PAIR_PARTS; part++) {
            *start++ = entries;
            for (uint64_t bits = parts[part]; bits != 0; bits &= bits - 1) {
                const int f = first + __builtin_ctzll(bits);
                s->input_index[entries] = f * s->input_stride;
                if (code_a != NULL) {
                    s->input_code_a[entries] = part != 2 ? code_a[f] : 0;
                    s->input_code_b[entries] = part != 1 ? code_b[f] : 0;
                } else {
                    s->input_value_a[entries] = part != 2 ? row_a[f] : 0.0;
                    s->input_value_b[entries] = part != 1 ? row_b[f] : 0.0;
                }
                entries++;
            }
        }
    }
    return entries;
}

/* The input lists of the m rows from their bit masks: the row lists, and
 * with `pairs` the pair lists too (see multiclass_scratch); codes where
 * `codes` is not NULL, else values. */
static void list_inputs_scalar(const double *x, const uint8_t *codes, int n_features,
                               const int *rows, int m, const uint64_t *masks, bool pairs,
                               multiclass_scratch *s)
{
    const int words = s->mask_words, groups = (m + 1) / 2;
    int row_entries = 0, pair_entries = 0;
    for (int g = 0; g < groups; g++) {
        const int r = 2 * g;
        const bool pair = r + 1 < m;
        prefetch_row(x, codes, n_features, masks, words, rows, m, r + 2 * LIST_PREFETCH_AHEAD);
        prefetch_row(x, codes, n_features, masks, words, rows, m, r + 2 * LIST_PREFETCH_AHEAD + 1);
        const size_t at_a = batch_row(rows, r) * (size_t)n_features;
        const size_t at_b = pair ? batch_row(rows, r + 1) * (size_t)n_features : 0;
        const double *row_a = x + at_a, *row_b = pair ? x + at_b : NULL;
        const uint8_t *code_a = codes != NULL ? codes + at_a : NULL;
        const uint8_t *code_b = codes != NULL && pair ? codes + at_b : NULL;
        const uint64_t *mask_a = masks + batch_row(rows, r) * (size_t)words;
        const uint64_t *mask_b = pair ? masks + batch_row(rows, r + 1) * (size_t)words : NULL;
        if (pairs)
            pair_entries = list_pair_scalar(row_a, row_b, code_a, code_b, mask_a, mask_b,
                                            n_features, g, pair_entries, s);
        row_entries = list_row_scalar(row_a, code_a, mask_a, r, row_entries, s);
        if (pair)
            row_entries = list_row_scalar(row_b, code_b, mask_b, r + 1, row_entries, s);
    }
    s->row_start[(size_t)m * (size_t)s->chunks] = row_entries;
    if (pairs)
        s->input_start[(size_t)groups * (size_t)s->chunks * MULTICLASS_PAIR_PARTS] = pair_entries;
}

/* np.clip(v, low, high) with NaN passing through. */
static double clip(double v, double low, double high)
{
    return v < low ? low : (v > high ? high : v);
}

/* Row r's softmax from its p = exp(max(z2, -100)) (exp_rows, already in
 * err_row), then the row's loss; err becomes a - y. Returns the loss. */
static double softmax_row(const multiclass_net *net, double *err_row, int target)
{
    double total = 0.0;
    for (int k = 0; k < net->classes; k++)
        total += err_row[k];
    for (int k = 0; k < net->classes; k++)
        err_row[k] = err_row[k] / total;
    for (int k = net->classes; k < net->class_stride; k++)
        err_row[k] = 0.0; /* padding: keeps the padding of w2 at zero */
    double loss = -fastmath_log(clip(err_row[target], 1e-10, 1.0 - 1e-10));
    err_row[target] = err_row[target] - 1.0;
    return loss;
}

/* The first class of the largest z2, like numpy's argmax (a NaN counts as
 * the largest, as there). */
static int argmax_row(const double *z2_row, int classes)
{
    int best = 0;
    for (int k = 1; k < classes; k++)
        if (z2_row[k] > z2_row[best] || (isnan(z2_row[k]) && !isnan(z2_row[best])))
            best = k;
    return best;
}

/* ---- the kernels, one copy per instruction set ---- */

#define SIMD_SUFFIX generic
#define SIMD_LANES 2
#define SIMD_TARGET_ATTRIBUTE
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "multiclass_simd.inc"
#include "simd_end.inc"

#if defined(__x86_64__) || defined(__i386__)
#define MULTICLASS_X86_LEVELS 1
#define SIMD_SUFFIX avx2
#define SIMD_LANES 4
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "multiclass_simd.inc"
#include "simd_end.inc"

#define SIMD_SUFFIX avx512
#define SIMD_LANES 8
#define SIMD_TARGET_ATTRIBUTE __attribute__((target("avx512f,avx2")))
#include "simd_begin.inc"
#include "fastmath_simd.inc"
#include "multiclass_simd.inc"
#include "simd_end.inc"
#endif

/* The input lists of the m rows for the net's kernels, with `pairs` the
 * pair lists too, codes where `codes` is not NULL (see list_inputs_scalar;
 * the same lists on every instruction set). */
static void list_inputs(const multiclass_net *net, const double *x, const uint8_t *codes,
                        const int *rows, int m, const uint64_t *masks, bool pairs,
                        multiclass_scratch *s)
{
    s->input_stride = net->stride;
    s->chunks = (net->n_features + MULTICLASS_CHUNK - 1) / MULTICLASS_CHUNK;
    s->coded = codes != NULL;
#ifdef MULTICLASS_X86_LEVELS
    if (net->isa == SIMD_AVX512) {
        mc_list_inputs_avx512(x, codes, net->n_features, rows, m, masks, pairs, s);
        return;
    }
#endif
    list_inputs_scalar(x, codes, net->n_features, rows, m, masks, pairs, s);
}

static void forward(const multiclass_net *net, int m, multiclass_scratch *s)
{
#ifdef MULTICLASS_X86_LEVELS
    if (net->isa == SIMD_AVX512) {
        mc_forward_avx512(net, m, s);
        return;
    }
    if (net->isa == SIMD_AVX2) {
        mc_forward_avx2(net, m, s);
        return;
    }
#endif
    mc_forward_generic(net, m, s);
}

static void exp_rows(const multiclass_net *net, int m, multiclass_scratch *s)
{
#ifdef MULTICLASS_X86_LEVELS
    if (net->isa == SIMD_AVX512) {
        mc_exp_rows_avx512(net, m, s->z2, s->err);
        return;
    }
    if (net->isa == SIMD_AVX2) {
        mc_exp_rows_avx2(net, m, s->z2, s->err);
        return;
    }
#endif
    mc_exp_rows_generic(net, m, s->z2, s->err);
}

static void backward(const multiclass_net *net, int m, multiclass_scratch *s)
{
#ifdef MULTICLASS_X86_LEVELS
    if (net->isa == SIMD_AVX512) {
        mc_backward_avx512(net, m, s);
        return;
    }
    if (net->isa == SIMD_AVX2) {
        mc_backward_avx2(net, m, s);
        return;
    }
#endif
    mc_backward_generic(net, m, s);
}

static void apply_sgd(multiclass_net *net, int m, const multiclass_scratch *s,
                      const train_params *params)
{
#ifdef MULTICLASS_X86_LEVELS
    if (net->isa == SIMD_AVX512) {
        mc_apply_sgd_avx512(net, m, s, params);
        return;
    }
    if (net->isa == SIMD_AVX2) {
        mc_apply_sgd_avx2(net, m, s, params);
        return;
    }
#endif
    mc_apply_sgd_generic(net, m, s, params);
}

double multiclass_train_batch(multiclass_net *net, const double *x, const double *y,
                              const int *rows, int m, const train_params *params,
                              multiclass_scratch *scratch, int *correct)
{
    const size_t class_stride = (size_t)net->class_stride;
    list_inputs(net, x, scratch->code_table != NULL ? scratch->codes : NULL, rows, m,
                scratch->masks, true, scratch);
    forward(net, m, scratch);
    exp_rows(net, m, scratch);
    double loss = 0.0, err_total = 0.0;
    int right = 0;
    for (int r = 0; r < m; r++) {
        double *err_row = scratch->err + (size_t)r * class_stride;
        const int target = (int)y[rows[r]];
        right += argmax_row(scratch->z2 + (size_t)r * class_stride, net->classes) == target;
        loss += softmax_row(net, err_row, target);
        for (int k = 0; k < net->classes; k++)
            err_total += err_row[k];
    }
    backward(net, m, scratch);
    apply_sgd(net, m, scratch, params);
    const double db2 = err_total / (double)m;
    for (int k = 0; k < net->classes; k++)
        net->b2[k] = net->b2[k] - params->learning_rate * db2;
    transpose_w2(net);
    *correct = right;
    return loss;
}

double multiclass_evaluate(const multiclass_net *net, const double *x, const double *y, int n,
                           const uint64_t *masks, const uint8_t *codes, double loss_total,
                           int *correct, multiclass_scratch *scratch)
{
    const size_t class_stride = (size_t)net->class_stride;
    int right = 0;
    for (int start = 0; start < n; start += scratch->capacity) {
        const int m = n - start < scratch->capacity ? n - start : scratch->capacity;
        const double *chunk = x + (size_t)start * (size_t)net->n_features;
        const uint64_t *chunk_masks = scratch->chunk_masks;
        const uint8_t *chunk_codes = NULL;
        if (masks != NULL)
            chunk_masks = masks + (size_t)start * (size_t)scratch->mask_words;
        else
            multiclass_row_masks(chunk, net->n_features, m, scratch->mask_words,
                                 scratch->chunk_masks);
        if (masks != NULL && codes != NULL && scratch->code_table != NULL)
            chunk_codes = codes + (size_t)start * (size_t)net->n_features;
        list_inputs(net, chunk, chunk_codes, NULL, m, chunk_masks, false, scratch);
        forward(net, m, scratch);
        exp_rows(net, m, scratch);
        for (int r = 0; r < m; r++) { /* in row order: the losses go into one running sum */
            const size_t at = (size_t)r;
            const int target = (int)y[start + r];
            right += argmax_row(scratch->z2 + at * class_stride, net->classes) == target;
            loss_total += softmax_row(net, scratch->err + at * class_stride, target);
        }
    }
    *correct = right;
    return loss_total;
}
