/* model.h: the networks sweep can train, behind one interface.
 *
 * A model is one module (model_<name>.c) and one entry in the table of
 * model.c: its data requirements, a cost estimate for scheduling and
 * sharding, and its training split into the steps train_run (train.c)
 * drives: start (weight layout and initialization), one epoch (its train
 * and val losses), and the scores at the end. train.c keeps what every
 * model shares: the checks, the epoch loop, cancelling and the detection of
 * a diverged run. Each worker has one state per model (model_state_new),
 * reused across its runs so that the hot loop never allocates.
 */
#ifndef SWEEP_MODEL_H
#define SWEEP_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "params.h"
#include "simd.h"

/* What one epoch of a run gives: its losses and accuracies. The train
 * numbers come from the batches' forward passes (the weights change between
 * batches, as in the textbook's loss); the val numbers from the
 * end-of-epoch weights. */
typedef struct {
    double train_loss, val_loss;
    double train_acc, val_acc; /* correct predictions / rows */
} epoch_outcome;

/* Several runs of one model trained side by side, one run per vector lane:
 * runs that share the data set, batch_size, units and epochs (their seeds,
 * L1/L2 and learning rates may differ). Every lane does its run's
 * operations in the order the run alone does them, so each lane's numbers
 * are bit for bit those of the run trained alone. */
typedef struct {
    /* runs per pack with `isa` */
    int (*width)(simd_isa isa);
    /* whether runs like `params` gain from packing on `data` */
    bool (*worthwhile)(const train_params *params, const dataset *data);
    void *(*state_new)(simd_isa isa);
    void (*state_delete)(void *state);
    /* size the state for n_lanes (1 ... width) runs and initialize their weights */
    int (*start)(void *state, const dataset *data, const train_params *const *lanes, int n_lanes,
                 sweep_error *err);
    /* one epoch of every lane: outcomes[lane] */
    void (*epoch)(void *state, const dataset *data, epoch_outcome *outcomes);
    /* each lane's accuracies after the last epoch (arrays of n_lanes) */
    void (*scores)(void *state, const dataset *data, double *train, double *val, double *test);
} model_pack_ops;

typedef struct {
    const char *name; /* model.type in the config and the results file's `model` */
    /* 0 when the model can train on `data`, else ERROR_INPUT with a message */
    int (*check_data)(const dataset *data, sweep_error *err);
    /* the rough multiply-adds of a run (schedule.h: plain double arithmetic) */
    double (*cost)(const train_params *params, const dataset *data);
    /* per-worker memory whose kernels use `isa`; NULL when memory is short */
    void *(*state_new)(simd_isa isa);
    void (*state_delete)(void *state);
    /* size the state for the run and initialize the weights (-1 on error) */
    int (*start)(void *state, const dataset *data, const train_params *params, sweep_error *err);
    /* one epoch: the train loss and accuracy from the batches, val after it */
    void (*epoch)(void *state, const dataset *data, const train_params *params,
                  epoch_outcome *outcome);
    /* accuracies after the last epoch; test NaN without test rows */
    void (*scores)(void *state, const dataset *data, double *train, double *val, double *test);
    /* runs trained side by side; NULL: one at a time */
    const model_pack_ops *pack;
    /* whether its runs read the data set's one-byte codes of the features
       (dataset_code_values) when it has them */
    bool reads_codes;
} model_ops;

/* The entry of `id` (MODEL_MINIBATCH ... MODEL_COUNT - 1). */
const model_ops *model_get(model_id id);

/* The id of the model called `name`, or -1. */
int model_find(const char *name);

/* "minibatch, multiclass": the names, for messages. */
const char *model_names(void);

/* ---- for the models' own files ---- */

/* A growable, 64-byte aligned, zero-filled array of doubles. */
typedef struct {
    double *data;
    size_t capacity; /* elements allocated */
} model_buffer;

/* Make `buffer` hold at least `needed` doubles, zero-filled when it grows
 * (contents not kept). */
int model_buffer_reserve(model_buffer *buffer, size_t needed, sweep_error *err);
void model_buffer_free(model_buffer *buffer);

/* The same for ints (not aligned). */
int model_int_reserve(int **array, size_t *capacity, size_t needed, sweep_error *err);

extern const model_ops MODEL_MINIBATCH_OPS;
extern const model_ops MODEL_MULTICLASS_OPS;
extern const model_pack_ops MODEL_MINIBATCH_PACK_OPS;
extern const model_pack_ops MODEL_MULTICLASS_PACK_OPS;

#endif
