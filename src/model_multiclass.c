/* model_multiclass.c: the textbook's chapter 7-1 MultiClassNetwork as a
 * model (model.h): one run of MultiClassNetwork.fit, then its scores.
 *
 * The sequence of the numpy code, step for step:
 *   seed(seed) ONCE; w1 = normal(0, 1, (d, units)), w2 = normal(0, 1,
 *   (units, K)) (multiclass_init); every epoch: order = permutation(n_train),
 *   continuing the same stream (chapter 6 seeds again here, chapter 7 does
 *   not); consecutive slices of batch_size rows of that order are the
 *   batches (the last one shorter), each trained by multiclass_train_batch.
 *
 * LOSS ORDER (see multiclass.c for the kernels' order):
 *   train_loss[e] = ((Σ_b batch_loss[b], in batch order from 0.0) + reg) / n_train
 *     where batch_loss[b] is multiclass_train_batch's (the outputs before
 *     that batch's update) and reg multiclass_reg_loss with the end-of-epoch
 *     weights;
 *   val_loss[e]   = ((Σ_r over the val rows in file order from 0.0) + reg) / n_val.
 * Scores after the last epoch: the share of rows whose argmax of z2 (first
 * maximum) is the row's class, on the train, val and test rows.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "multiclass.h"
#include "rng.h"
#include "value_codes.h"

/* Rows per forward pass of the evaluations: any count gives the same bits,
 * since the losses go into one running total. */
enum { EVALUATION_ROWS = 256 };

typedef struct {
    simd_isa isa;
    model_buffer w1, b1, w2, w2t, b2;
    model_buffer a1, e1, z2, err, sum_w1, sum_w2, sum_b1, input_value_a, input_value_b, row_value;
    int *input_start, *input_index, *row_start, *row_index, *order;
    size_t input_start_capacity, input_index_capacity, row_start_capacity, row_index_capacity;
    size_t order_capacity;
    /* the train rows' nonzero bits, the val rows', and room for a chunk of
       other evaluated rows' */
    uint64_t *masks, *val_masks, *chunk_masks;
    size_t masks_capacity, val_masks_capacity, chunk_masks_capacity;
    /* the train and val rows as codes into `table` when their values fit
       it (coded), and the input lists' codes */
    value_table table;
    bool coded;
    uint8_t *own_codes, *own_val_codes, *row_code, *input_code_a, *input_code_b;
    const uint8_t *train_codes, *val_codes; /* the data set's, or own_codes and own_val_codes */
    size_t own_codes_capacity, own_val_codes_capacity, row_code_capacity, input_code_a_capacity,
        input_code_b_capacity;
    /* the run in progress */
    multiclass_net net;
    multiclass_scratch scratch;
    numpy_rng rng;
    int batch_rows;
    /* the val rows the last epoch scored right, with the weights as they
       still are (the final val score is the same count) */
    int last_val_correct;
    bool val_scored;
} multiclass_state;

static void *multiclass_new(simd_isa isa)
{
    multiclass_state *state = calloc(1, sizeof(multiclass_state));
    if (state != NULL)
        state->isa = isa;
    return state;
}

static void multiclass_delete(void *opaque)
{
    multiclass_state *state = opaque;
    if (state == NULL)
        return;
    model_buffer *buffers[] = {&state->w1,
                               &state->b1,
                               &state->w2,
                               &state->w2t,
                               &state->b2,
                               &state->a1,
                               &state->e1,
                               &state->z2,
                               &state->err,
                               &state->sum_w1,
                               &state->sum_w2,
                               &state->sum_b1,
                               &state->input_value_a,
                               &state->input_value_b,
                               &state->row_value};
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        model_buffer_free(buffers[i]);
    free(state->input_start);
    free(state->input_index);
    free(state->row_start);
    free(state->row_index);
    free(state->masks);
    free(state->val_masks);
    free(state->chunk_masks);
    free(state->own_codes);
    free(state->own_val_codes);
    free(state->row_code);
    free(state->input_code_a);
    free(state->input_code_b);
    free(state->order);
    free(state);
}

/* Every target a class 0..K-1 (the dataset module guarantees it for the
 * data it loads; a wrong one would index out of the rows). */
static int check_targets(const dataset *data, const double *y, int n, const char *split,
                         sweep_error *err)
{
    for (int r = 0; r < n; r++)
        if (!(y[r] >= 0.0 && y[r] < data->n_classes && y[r] == floor(y[r])))
            return error_set(err, ERROR_INPUT, "%s: %s row %d: class %g is not in 0..%d",
                             data->name != NULL ? data->name : "data set", split, r, y[r],
                             data->n_classes - 1);
    return 0;
}

static int multiclass_check_data(const dataset *data, sweep_error *err)
{
    if (data->n_classes < 2)
        return error_set(err, ERROR_INPUT, "%s: model type multiclass needs >= 2 classes, has %d",
                         data->name != NULL ? data->name : "data set", data->n_classes);
    if (check_targets(data, data->y_train, data->n_train, "train", err) < 0 ||
        check_targets(data, data->y_val, data->n_val, "val", err) < 0 ||
        check_targets(data, data->y_test, data->n_test, "test", err) < 0)
        return -1;
    return 0;
}

static double multiclass_cost(const train_params *params, const dataset *data)
{
    /* forward and backward over every input and unit, the output layer
     * three times (forward, dw2, hidden error) per class, the val rows'
     * forward pass, and the weight update per batch */
    const double units = params->units, classes = data->n_classes;
    const double per_row = units * (2.0 * data->n_features + 3.0 * classes + 4.0);
    const double per_val_row = units * (data->n_features + classes + 2.0);
    const double n_batches = ceil((double)data->n_train / params->batch_size);
    const double per_batch = units * (data->n_features + classes) + 64.0;
    return (double)params->epochs *
           (data->n_train * per_row + data->n_val * per_val_row + n_batches * per_batch);
}

/* Room for `count` bytes in *bytes. */
static int reserve_bytes(uint8_t **bytes, size_t *capacity, size_t count, sweep_error *err)
{
    if (count <= *capacity)
        return 0;
    free(*bytes);
    *capacity = 0;
    if ((*bytes = malloc(count)) == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for input codes");
    *capacity = count;
    return 0;
}

static int reserve_arrays(multiclass_state *ws, const multiclass_sizes *size, int n_train,
                          sweep_error *err)
{
    if (model_buffer_reserve(&ws->w1, size->w1, err) < 0 ||
        model_buffer_reserve(&ws->b1, size->b1, err) < 0 ||
        model_buffer_reserve(&ws->w2, size->w2, err) < 0 ||
        model_buffer_reserve(&ws->w2t, size->w2t, err) < 0 ||
        model_buffer_reserve(&ws->b2, size->b2, err) < 0 ||
        model_buffer_reserve(&ws->a1, size->a1, err) < 0 ||
        model_buffer_reserve(&ws->e1, size->e1, err) < 0 ||
        model_buffer_reserve(&ws->z2, size->z2, err) < 0 ||
        model_buffer_reserve(&ws->err, size->err, err) < 0 ||
        model_buffer_reserve(&ws->sum_w1, size->sum_w1, err) < 0 ||
        model_buffer_reserve(&ws->sum_w2, size->sum_w2, err) < 0 ||
        model_buffer_reserve(&ws->sum_b1, size->sum_b1, err) < 0 ||
        model_buffer_reserve(&ws->input_value_a, size->input_value_a, err) < 0 ||
        model_buffer_reserve(&ws->input_value_b, size->input_value_b, err) < 0 ||
        model_buffer_reserve(&ws->row_value, size->row_value, err) < 0 ||
        model_int_reserve(&ws->row_start, &ws->row_start_capacity, size->row_start, err) < 0 ||
        model_int_reserve(&ws->row_index, &ws->row_index_capacity, size->row_index, err) < 0 ||
        model_int_reserve(&ws->input_start, &ws->input_start_capacity, size->input_start, err) <
            0 ||
        model_int_reserve(&ws->input_index, &ws->input_index_capacity, size->input_index, err) <
            0 ||
        reserve_bytes(&ws->row_code, &ws->row_code_capacity, size->row_code, err) < 0 ||
        reserve_bytes(&ws->input_code_a, &ws->input_code_a_capacity, size->input_code, err) < 0 ||
        reserve_bytes(&ws->input_code_b, &ws->input_code_b_capacity, size->input_code, err) < 0)
        return -1;
    return model_int_reserve(&ws->order, &ws->order_capacity, (size_t)n_train, err);
}

/* Room for `words` mask words in *masks. */
static int reserve_words(uint64_t **masks, size_t *capacity, size_t words, sweep_error *err)
{
    if (words <= *capacity)
        return 0;
    free(*masks);
    *capacity = 0;
    if ((*masks = malloc(words * sizeof(uint64_t))) == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for row masks");
    *capacity = words;
    return 0;
}

/* The train and val rows as codes (value_codes.h): the data set's own
 * (dataset_code_values, one copy for every run), else made here at the
 * start of the run like the masks, when their values fit one table; 16
 * bytes of room after each array for the AVX-512 listing's reads. Sets
 * ws->coded, ws->train_codes and ws->val_codes. */
static int make_codes(multiclass_state *ws, const dataset *data, sweep_error *err)
{
    const size_t train = (size_t)data->n_train * (size_t)data->n_features;
    const size_t val = (size_t)data->n_val * (size_t)data->n_features;
    ws->coded = true;
    if (data->codes_train != NULL) {
        memcpy(ws->table.value, data->code_values, sizeof ws->table.value);
        ws->train_codes = data->codes_train;
        ws->val_codes = data->codes_val;
        return 0;
    }
    if (reserve_bytes(&ws->own_codes, &ws->own_codes_capacity, train + 16, err) < 0 ||
        reserve_bytes(&ws->own_val_codes, &ws->own_val_codes_capacity, val + 16, err) < 0)
        return -1;
    memset(ws->own_codes + train, 0, 16);
    memset(ws->own_val_codes + val, 0, 16);
    value_table_init(&ws->table);
    ws->coded = value_codes_encode(data->x_train, train, &ws->table, ws->own_codes) &&
                value_codes_encode(data->x_val, val, &ws->table, ws->own_val_codes);
    ws->train_codes = ws->coded ? ws->own_codes : NULL;
    ws->val_codes = ws->coded ? ws->own_val_codes : NULL;
    return 0;
}

/* The train and val rows' codes (make_codes) and nonzero bits, made at the
 * start of every run (from the codes where there are some: 0.04 s on
 * fashion-MNIST, 0.14 s from the doubles; a cache keyed on the data's
 * address could outlive the data), and room for other evaluated rows'. */
static int reserve_masks(multiclass_state *ws, const dataset *data, const multiclass_sizes *size,
                         sweep_error *err)
{
    const size_t train_words = (size_t)data->n_train * size->mask_words;
    const size_t val_words = (size_t)data->n_val * size->mask_words;
    if (reserve_words(&ws->chunk_masks, &ws->chunk_masks_capacity, size->chunk_masks, err) < 0 ||
        reserve_words(&ws->masks, &ws->masks_capacity, train_words, err) < 0 ||
        reserve_words(&ws->val_masks, &ws->val_masks_capacity, val_words, err) < 0)
        return -1;
    if (make_codes(ws, data, err) < 0)
        return -1;
    const int words = (int)size->mask_words;
    if (ws->coded) {
        multiclass_row_masks_coded(ws->train_codes, ws->table.value, data->n_features,
                                   data->n_train, words, ws->masks);
        multiclass_row_masks_coded(ws->val_codes, ws->table.value, data->n_features, data->n_val,
                                   words, ws->val_masks);
    } else {
        multiclass_row_masks(data->x_train, data->n_features, data->n_train, words, ws->masks);
        multiclass_row_masks(data->x_val, data->n_features, data->n_val, words, ws->val_masks);
    }
    return 0;
}

static int multiclass_start(void *opaque, const dataset *data, const train_params *params,
                            sweep_error *err)
{
    multiclass_state *ws = opaque;
    if (multiclass_check_data(data, err) < 0)
        return -1;
    const int n_train = data->n_train;
    ws->batch_rows = params->batch_size < n_train ? params->batch_size : n_train;
    const int capacity = ws->batch_rows > EVALUATION_ROWS ? ws->batch_rows : EVALUATION_ROWS;
    const multiclass_sizes size =
        multiclass_array_sizes(ws->isa, data->n_features, params->units, data->n_classes, capacity);
    if (reserve_arrays(ws, &size, n_train, err) < 0 || reserve_masks(ws, data, &size, err) < 0)
        return -1;
    ws->net = (multiclass_net){
        .n_features = data->n_features,
        .units = params->units,
        .classes = data->n_classes,
        .stride = multiclass_stride(ws->isa, params->units),
        .class_stride = multiclass_stride(ws->isa, data->n_classes),
        .isa = ws->isa,
        .w1 = ws->w1.data,
        .b1 = ws->b1.data,
        .w2 = ws->w2.data,
        .w2t = ws->w2t.data,
        .b2 = ws->b2.data,
    };
    ws->scratch = (multiclass_scratch){
        .capacity = capacity,
        .a1 = ws->a1.data,
        .e1 = ws->e1.data,
        .z2 = ws->z2.data,
        .err = ws->err.data,
        .sum_w1 = ws->sum_w1.data,
        .sum_w2 = ws->sum_w2.data,
        .sum_b1 = ws->sum_b1.data,
        .row_start = ws->row_start,
        .row_index = ws->row_index,
        .row_value = ws->row_value.data,
        .input_start = ws->input_start,
        .input_index = ws->input_index,
        .input_value_a = ws->input_value_a.data,
        .input_value_b = ws->input_value_b.data,
        .code_table = ws->coded ? ws->table.value : NULL,
        .codes = ws->coded ? ws->train_codes : NULL,
        .row_code = ws->row_code,
        .input_code_a = ws->input_code_a,
        .input_code_b = ws->input_code_b,
        .mask_words = (int)size.mask_words,
        .masks = ws->masks,
        .chunk_masks = ws->chunk_masks,
    };
    ws->val_scored = false;
    rng_seed(&ws->rng, params->seed); /* once: the shuffles continue the stream */
    multiclass_init(&ws->net, &ws->rng);
    return 0;
}

static void multiclass_epoch(void *opaque, const dataset *data, const train_params *params,
                             epoch_outcome *outcome)
{
    multiclass_state *ws = opaque;
    const int n_train = data->n_train, batch_rows = ws->batch_rows;
    rng_permutation(&ws->rng, ws->order, n_train);
    double loss = 0.0;
    int train_correct = 0;
    for (int start = 0; start < n_train; start += batch_rows) {
        int m = n_train - start < batch_rows ? n_train - start : batch_rows;
        int batch_correct;
        loss += multiclass_train_batch(&ws->net, data->x_train, data->y_train, ws->order + start, m,
                                       params, &ws->scratch, &batch_correct);
        train_correct += batch_correct;
    }
    double reg = multiclass_reg_loss(&ws->net, params->l1, params->l2);
    outcome->train_loss = (loss + reg) / n_train;
    outcome->train_acc = (double)train_correct / n_train;
    int val_correct;
    double val_total = multiclass_evaluate(&ws->net, data->x_val, data->y_val, data->n_val,
                                           ws->val_masks, ws->val_codes, 0.0, &val_correct,
                                           &ws->scratch);
    outcome->val_loss = (val_total + reg) / data->n_val;
    outcome->val_acc = (double)val_correct / data->n_val;
    ws->last_val_correct = val_correct;
    ws->val_scored = true;
}

static void multiclass_scores(void *opaque, const dataset *data, double *train, double *val,
                              double *test)
{
    multiclass_state *ws = opaque;
    int correct;
    multiclass_evaluate(&ws->net, data->x_train, data->y_train, data->n_train, ws->masks,
                        ws->train_codes, 0.0, &correct, &ws->scratch);
    *train = (double)correct / data->n_train;
    if (ws->val_scored)
        correct = ws->last_val_correct;
    else
        multiclass_evaluate(&ws->net, data->x_val, data->y_val, data->n_val, ws->val_masks,
                            ws->val_codes, 0.0, &correct, &ws->scratch);
    *val = (double)correct / data->n_val;
    *test = NAN;
    if (data->n_test > 0) {
        multiclass_evaluate(&ws->net, data->x_test, data->y_test, data->n_test, NULL, NULL, 0.0,
                            &correct, &ws->scratch);
        *test = (double)correct / data->n_test;
    }
}


const model_ops MODEL_MULTICLASS_OPS = {
    .name = "multiclass",
    .check_data = multiclass_check_data,
    .cost = multiclass_cost,
    .state_new = multiclass_new,
    .state_delete = multiclass_delete,
    .start = multiclass_start,
    .epoch = multiclass_epoch,
    .scores = multiclass_scores,
    .pack = &MODEL_MULTICLASS_PACK_OPS,
    .reads_codes = true,
};
