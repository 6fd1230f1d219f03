/* params.h: the hyperparameters of one training run, and their schema.
 *
 * Every module that names a hyperparameter (config reader, grid expansion,
 * results writer, dry-run table, summary) goes through the table here, so a
 * new hyperparameter is added in one place.
 */
#ifndef SWEEP_PARAMS_H
#define SWEEP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which network a run trains (model.type; model.h has each one's table
 * entry). One setting for the whole sweep, not a grid key: see README. */
typedef enum {
    MODEL_MINIBATCH = 0,  /* chapter 6-3's MinibatchNetwork, two classes (the default) */
    MODEL_MULTICLASS = 1, /* chapter 7-1's MultiClassNetwork, K >= 2 classes */
    MODEL_COUNT
} model_id;

typedef struct {
    int batch_size;       /* rows per minibatch, >= 1 (larger than n_train means full batch) */
    double learning_rate; /* SGD step, > 0 */
    double l1;            /* L1 strength, >= 0 */
    double l2;            /* L2 strength, >= 0 */
    int units;            /* hidden units, >= 1 */
    int epochs;           /* passes over the train rows, >= 1 */
    uint32_t seed;        /* numpy legacy seed for init and shuffles, 0..2^32-1 */
    model_id model;       /* the network (sweep-wide; not in PARAM_INFO) */
    /* Cross-validation: which repeat and fold this run's val rows are
     * (dataset_folds); PARAMS_NO_FOLD in both without cv. Not hyperparameters
     * (not in PARAM_INFO): every grid point is trained once per fold. */
    int fold;
    int repeat;
} train_params;

/* fold and repeat of a run made without cross-validation. */
#define PARAMS_NO_FOLD (-1)

/* The order here is the order of the results file's per-run datasets and of
 * the dry-run table's columns. */
typedef enum {
    PARAM_BATCH_SIZE,
    PARAM_LEARNING_RATE,
    PARAM_L1,
    PARAM_L2,
    PARAM_UNITS,
    PARAM_EPOCHS,
    PARAM_SEED,
    PARAM_COUNT
} param_id;

typedef struct {
    const char *name;     /* as written in YAML and in the results file */
    bool is_integer;      /* values must be whole numbers */
    double min;           /* smallest allowed value (or bound, see min_exclusive) */
    bool min_exclusive;   /* true: value must be > min, not >= min */
    double max;           /* largest allowed value */
    double default_value; /* the textbook's value */
} param_info;

extern const param_info PARAM_INFO[PARAM_COUNT];

/* The textbook's defaults: units 10, learning rate 0.1, 500 epochs, batch 32,
 * no regularization, seed 42. */
train_params params_defaults(void);

/* Index of the parameter called `name`, or -1. */
int params_find(const char *name);

/* Value of one parameter as a double (integers are exact). */
double params_get(const train_params *params, param_id id);

/* Set one parameter; the value must already have passed params_check(). */
void params_set(train_params *params, param_id id, double value);

/* Orders runs by their hyperparameters in table order, then by repeat and
 * fold: <0, 0 (the same run), >0. Used to match the runs of a config to
 * those of a file. */
int params_compare(const train_params *a, const train_params *b);

/* "batch_size=32, learning_rate=0.10000000000000001, ..." (%.17g, so that a
 * message names the run exactly), then ", repeat=R, fold=K" under
 * cross-validation, cut to `size`. */
void params_describe(const train_params *params, char *text, size_t size);

/* NULL when `value` is allowed for `id`, else `text` (size >= 64) filled
 * with what is wrong, bounds taken from PARAM_INFO: "must be >= 1",
 * "must be <= 10000000" (also for a number too large for a double),
 * "must be a whole number", "must be in 0..4294967295". */
const char *params_check(param_id id, double value, char *text, size_t size);

#endif
