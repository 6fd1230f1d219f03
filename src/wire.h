/* wire.h: the messages between the ranks of an MPI sweep, as bytes.
 *
 * Rank 0 broadcasts a start packet (the sweep's settings and the data set's
 * shapes, name and classes, so that no other rank reads a file), then each
 * of the data set's arrays in a broadcast of its own, and, at the very end,
 * a finish packet (the exit status every rank returns). The arrays travel
 * apart so that a rank keeps the very buffer it received as its array: a
 * packed copy of fashion-MNIST would hold another 440 MB on every rank
 * (and on rank 0 while it sends). In between it sends each rank runs
 * one at a time (index, hyperparameters, model, fold and repeat), and each
 * rank sends back every finished run: index, status, scores, seconds,
 * failure text and the four curves (losses, accuracies) without their trailing NaN fill (the values run_result_init
 * puts there), so that a failed run costs only the epochs it trained.
 *
 * Numbers travel in their memory form (see cluster.h), so a run's results
 * arrive bit for bit. Every unpack checks sizes and counts and refuses a
 * malformed message with ERROR_RUNTIME, never reading past its end.
 */
#ifndef SWEEP_WIRE_H
#define SWEEP_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "params.h"
#include "train.h"

/* What a broadcast packet is. */
typedef enum {
    WIRE_START = 1, /* settings and data set: a sweep begins */
    WIRE_FINISH = 2 /* the exit status: the program ends */
} wire_packet;

/* What every other rank needs to train: the worker threads asked for (the
 * -j or threads: value, 0 = all cores, resolved on each rank), how many runs
 * there are to train, and (in the start packet and the arrays after it) the
 * data set. */
typedef struct {
    int threads;
    size_t n_runs;
    /* Cross-validation (n_splits 0: none): the data set sent is then the
     * rows before standardization, and each rank builds the folds from it
     * (dataset_folds_build with `standardize_folds`), the same bits as
     * rank 0's, instead of receiving repeats x folds copies. */
    fold_settings cv;
    bool standardize_folds;
    /* Rank 0 coded the data set's features (dataset_code_values): each
     * rank codes its copy too, once, rather than every run its own. */
    bool code_values;
} wire_settings;

/* The kind of a broadcast packet, or -1 when it is malformed. */
int wire_packet_kind(const void *bytes, size_t size);

/* Each pack returns a malloc'd buffer (for cluster_send or
 * cluster_broadcast, then free). */
int wire_pack_start(const wire_settings *settings, const dataset *data, void **bytes, size_t *size,
                    sweep_error *err);
/* `data` receives the shapes, name and classes, and no arrays yet (NULL:
 * wire_adopt_array gives them); its feature names are not sent (NULL). */
int wire_unpack_start(const void *bytes, size_t size, wire_settings *settings, dataset *data,
                      sweep_error *err);

/* The data set's arrays, in the order they travel after the start packet:
 * x_train, y_train, x_val, y_val, x_test, y_test. */
enum { WIRE_N_ARRAYS = 6 };

/* Array `which` (0 .. WIRE_N_ARRAYS-1) of `data`, broadcast as it is, and its
 * size in bytes by the shapes. */
const double *wire_array(const dataset *data, int which, size_t *size);

/* Make a received broadcast array `which` of `data`, whose shapes the start
 * packet gave: `data` then owns `bytes` (no copy). A size that does not fit
 * the shapes is refused with ERROR_RUNTIME. Either way `bytes` is no longer
 * the caller's (an empty array is freed, the data set's stays NULL). */
int wire_adopt_array(dataset *data, int which, void *bytes, size_t size, sweep_error *err);

int wire_pack_finish(int exit_status, void **bytes, size_t *size, sweep_error *err);
int wire_unpack_finish(const void *bytes, size_t size, int *exit_status, sweep_error *err);

int wire_pack_work(size_t index, const train_params *params, void **bytes, size_t *size,
                   sweep_error *err);
int wire_unpack_work(const void *bytes, size_t size, size_t *index, train_params *params,
                     sweep_error *err);

int wire_pack_result(size_t index, const run_result *result, void **bytes, size_t *size,
                     sweep_error *err);
/* `result` is initialized here (run_result_free frees it, also on error). */
int wire_unpack_result(const void *bytes, size_t size, size_t *index, run_result *result,
                       sweep_error *err);

/* A single whole number (a count, a signal, a mode). */
int wire_pack_number(long long value, void **bytes, size_t *size, sweep_error *err);
int wire_unpack_number(const void *bytes, size_t size, long long *value, sweep_error *err);

/* An error: its kind and one-line message. */
int wire_pack_error(const sweep_error *error, void **bytes, size_t *size, sweep_error *err);
int wire_unpack_error(const void *bytes, size_t size, sweep_error *error, sweep_error *err);

#endif
