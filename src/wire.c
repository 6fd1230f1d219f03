/* wire.c: packing and unpacking the messages of an MPI sweep. See wire.h. */
#include "wire.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

/* ---- building and reading byte strings ---------------------------------- */

typedef struct {
    unsigned char *bytes; /* (capacity) */
    size_t size;
    size_t capacity;
    bool failed; /* out of memory: every later put is dropped */
} packer;

typedef struct {
    const unsigned char *bytes; /* (size) */
    size_t size;
    size_t offset;
    bool failed; /* read past the end, or a bad count */
} unpacker;

static void put(packer *out, const void *value, size_t size)
{
    if (out->failed || size == 0)
        return;
    if (out->size + size > out->capacity) {
        size_t capacity = out->capacity > 0 ? out->capacity : 256;
        while (capacity < out->size + size)
            capacity *= 2;
        unsigned char *grown = realloc(out->bytes, capacity);
        if (grown == NULL) {
            out->failed = true;
            return;
        }
        out->bytes = grown;
        out->capacity = capacity;
    }
    memcpy(out->bytes + out->size, value, size);
    out->size += size;
}

static void put_int(packer *out, int64_t value)
{
    put(out, &value, sizeof value);
}

static void put_double(packer *out, double value)
{
    put(out, &value, sizeof value);
}

/* Hand the bytes over, or report the packer's failure. */
static int finish_packing(packer *out, void **bytes, size_t *size, sweep_error *err)
{
    if (out->failed) {
        free(out->bytes);
        *bytes = NULL;
        *size = 0;
        return error_set(err, ERROR_RUNTIME, "out of memory for a message");
    }
    *bytes = out->bytes;
    *size = out->size;
    return 0;
}

static void get(unpacker *in, void *value, size_t size)
{
    if (in->failed || size > in->size - in->offset) {
        in->failed = true;
        memset(value, 0, size);
        return;
    }
    memcpy(value, in->bytes + in->offset, size);
    in->offset += size;
}

static int64_t get_int(unpacker *in)
{
    int64_t value;
    get(in, &value, sizeof value);
    return value;
}

static double get_double(unpacker *in)
{
    double value;
    get(in, &value, sizeof value);
    return value;
}

/* A count read from the message, checked to be in [0, max]. */
static size_t get_count(unpacker *in, int64_t max)
{
    int64_t value = get_int(in);
    if (value < 0 || value > max) {
        in->failed = true;
        return 0;
    }
    return (size_t)value;
}

/* The message must have been read to its end without a fault. */
static int finish_unpacking(const unpacker *in, const char *what, sweep_error *err)
{
    if (in->failed || in->offset != in->size)
        return error_set(err, ERROR_RUNTIME, "a malformed %s message (%zu bytes)", what, in->size);
    return 0;
}

/* ---- broadcast packets --------------------------------------------------- */

int wire_packet_kind(const void *bytes, size_t size)
{
    unpacker in = {bytes, size, 0, false};
    int64_t kind = get_int(&in);
    if (in.failed || (kind != WIRE_START && kind != WIRE_FINISH))
        return -1;
    return (int)kind;
}

int wire_pack_start(const wire_settings *settings, const dataset *data, void **bytes, size_t *size,
                    sweep_error *err)
{
    packer out = {0};
    size_t name_length = data->name != NULL ? strlen(data->name) : 0;
    put_int(&out, WIRE_START);
    put_int(&out, settings->threads);
    put_int(&out, (int64_t)settings->n_runs);
    put_int(&out, (int64_t)name_length);
    put(&out, data->name, name_length);
    put_int(&out, data->n_features);
    put_int(&out, data->n_train);
    put_int(&out, data->n_val);
    put_int(&out, data->n_test);
    /* The classes: a rank's model needs K, its results file the names. */
    int n_classes = data->class_names != NULL ? data->n_classes : 0;
    put_int(&out, n_classes);
    for (int c = 0; c < n_classes; c++) {
        size_t length = strlen(data->class_names[c]);
        put_int(&out, (int64_t)length);
        put(&out, data->class_names[c], length);
    }
    put_int(&out, settings->cv.n_splits);
    put_int(&out, settings->cv.n_repeats);
    put_int(&out, settings->cv.shuffle);
    put_int(&out, settings->cv.seed);
    put_int(&out, settings->standardize_folds);
    put_int(&out, settings->code_values);
    return finish_packing(&out, bytes, size, err);
}

/* The class names at the end of a start message; each count is checked
 * against what is left of the message before it is allocated. */
static void get_class_names(unpacker *in, dataset *data)
{
    size_t n_classes = get_count(in, (int64_t)((in->size - in->offset) / sizeof(int64_t)));
    if (in->failed || n_classes == 0)
        return;
    data->class_names = calloc(n_classes, sizeof *data->class_names);
    if (data->class_names == NULL) {
        in->failed = true;
        return;
    }
    data->n_classes = (int)n_classes;
    for (size_t c = 0; c < n_classes && !in->failed; c++) {
        size_t length = get_count(in, (int64_t)(in->size - in->offset));
        char *name = in->failed ? NULL : malloc(length + 1);
        if (name == NULL) {
            in->failed = true;
            break;
        }
        get(in, name, length);
        name[length] = '\0';
        data->class_names[c] = name;
    }
}

/* The cross-validation settings (and whether to code the data set) at the
 * very end of a start message, in the config's bounds (settings.h);
 * folds_assign checks them again. */
static void get_cv(unpacker *in, wire_settings *settings)
{
    fold_settings *cv = &settings->cv;
    cv->n_splits = (int)get_count(in, SETTING_INFO[SETTING_CV_FOLDS].max);
    cv->n_repeats = (int)get_count(in, SETTING_INFO[SETTING_CV_REPEATS].max);
    cv->shuffle = get_count(in, 1) == 1;
    cv->seed = (uint32_t)get_count(in, SETTING_INFO[SETTING_CV_SEED].max);
    settings->standardize_folds = get_count(in, 1) == 1;
    settings->code_values = get_count(in, 1) == 1;
    if (cv->n_splits == 1 || (cv->n_splits > 0 && cv->n_repeats < 1))
        in->failed = true;
}

int wire_unpack_start(const void *bytes, size_t size, wire_settings *settings, dataset *data,
                      sweep_error *err)
{
    unpacker in = {bytes, size, 0, false};
    memset(data, 0, sizeof *data);
    memset(settings, 0, sizeof *settings);
    if (get_int(&in) != WIRE_START)
        in.failed = true;
    settings->threads = (int)get_count(&in, INT32_MAX);
    settings->n_runs = get_count(&in, INT64_MAX);
    size_t name_length = get_count(&in, (int64_t)(size - in.offset));
    data->name = malloc(name_length + 1);
    if (data->name == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for the data set");
    get(&in, data->name, name_length);
    data->name[in.failed ? 0 : name_length] = '\0';
    data->n_features = (int)get_count(&in, INT32_MAX);
    data->n_train = (int)get_count(&in, INT32_MAX);
    data->n_val = (int)get_count(&in, INT32_MAX);
    data->n_test = (int)get_count(&in, INT32_MAX);
    /* The counts allocate nothing here: each array's size is checked
     * against them when it arrives (wire_adopt_array). */
    get_class_names(&in, data);
    get_cv(&in, settings);
    if (finish_unpacking(&in, "start", err) != 0) {
        dataset_free(data);
        return -1;
    }
    return 0;
}

/* Where array `which` of `data` lives and how many doubles the shapes give
 * it; NULL for a `which` out of range. (Counts below INT32_MAX squared fit
 * a size_t.) */
static double **array_slot(dataset *data, int which, size_t *count)
{
    size_t features = (size_t)data->n_features;
    switch (which) {
    case 0:
        *count = (size_t)data->n_train * features;
        return &data->x_train;
    case 1:
        *count = (size_t)data->n_train;
        return &data->y_train;
    case 2:
        *count = (size_t)data->n_val * features;
        return &data->x_val;
    case 3:
        *count = (size_t)data->n_val;
        return &data->y_val;
    case 4:
        *count = (size_t)data->n_test * features;
        return &data->x_test;
    case 5:
        *count = (size_t)data->n_test;
        return &data->y_test;
    default:
        *count = 0;
        return NULL;
    }
}

const double *wire_array(const dataset *data, int which, size_t *size)
{
    dataset view = *data; /* the struct alone: array_slot needs a slot to point to */
    size_t count = 0;
    double **slot = array_slot(&view, which, &count);
    *size = count * sizeof(double);
    return slot != NULL ? *slot : NULL;
}

int wire_adopt_array(dataset *data, int which, void *bytes, size_t size, sweep_error *err)
{
    size_t count = 0;
    double **slot = array_slot(data, which, &count);
    if (slot == NULL || *slot != NULL || count > SIZE_MAX / sizeof(double) ||
        size != count * sizeof(double)) {
        free(bytes);
        return error_set(err, ERROR_RUNTIME, "a malformed data array %d (%zu bytes, %zu expected)",
                         which, size, count * sizeof(double));
    }
    if (count == 0) {
        free(bytes);
        return 0;
    }
    *slot = bytes;
    return 0;
}

int wire_pack_finish(int exit_status, void **bytes, size_t *size, sweep_error *err)
{
    packer out = {0};
    put_int(&out, WIRE_FINISH);
    put_int(&out, exit_status);
    return finish_packing(&out, bytes, size, err);
}

int wire_unpack_finish(const void *bytes, size_t size, int *exit_status, sweep_error *err)
{
    unpacker in = {bytes, size, 0, false};
    if (get_int(&in) != WIRE_FINISH)
        in.failed = true;
    *exit_status = (int)get_count(&in, 255);
    return finish_unpacking(&in, "finish", err);
}

/* ---- point-to-point messages -------------------------------------------- */

int wire_pack_work(size_t index, const train_params *params, void **bytes, size_t *size,
                   sweep_error *err)
{
    packer out = {0};
    put_int(&out, (int64_t)index);
    /* Through the schema: doubles hold every parameter exactly. */
    for (int id = 0; id < PARAM_COUNT; id++)
        put_double(&out, params_get(params, (param_id)id));
    put_int(&out, (int64_t)params->model);
    put_int(&out, params->fold);
    put_int(&out, params->repeat);
    return finish_packing(&out, bytes, size, err);
}

int wire_unpack_work(const void *bytes, size_t size, size_t *index, train_params *params,
                     sweep_error *err)
{
    unpacker in = {bytes, size, 0, false};
    *index = get_count(&in, INT64_MAX);
    *params = params_defaults();
    for (int id = 0; id < PARAM_COUNT; id++) {
        double value = get_double(&in);
        char problem[80];
        if (!in.failed && params_check((param_id)id, value, problem, sizeof problem) != NULL)
            in.failed = true;
        if (!in.failed)
            params_set(params, (param_id)id, value);
    }
    int64_t model = get_int(&in);
    if (model < 0 || model >= MODEL_COUNT)
        in.failed = true;
    else
        params->model = (model_id)model;
    /* -1 in both (no cv), or a fold and repeat within the config's bounds */
    int64_t fold = get_int(&in), repeat = get_int(&in);
    bool no_fold = fold == PARAMS_NO_FOLD && repeat == PARAMS_NO_FOLD;
    if (!no_fold && (fold < 0 || fold >= SETTING_INFO[SETTING_CV_FOLDS].max || repeat < 0 ||
                     repeat >= SETTING_INFO[SETTING_CV_REPEATS].max))
        in.failed = true;
    params->fold = (int)fold;
    params->repeat = (int)repeat;
    return finish_unpacking(&in, "work", err);
}

/* How many leading values of a curve to send: up to the last one that is
 * not bit for bit the fill of run_result_init. */
static size_t curve_length(const double *curve, int epochs)
{
    const double fill = NAN;
    size_t length = (size_t)epochs;
    while (length > 0 && memcmp(&curve[length - 1], &fill, sizeof fill) == 0)
        length--;
    return length;
}

int wire_pack_result(size_t index, const run_result *result, void **bytes, size_t *size,
                     sweep_error *err)
{
    packer out = {0};
    size_t failure_length = strnlen(result->failure, sizeof result->failure);
    const double *curves[4] = {result->train_loss, result->val_loss, result->train_acc,
                               result->val_acc};
    put_int(&out, (int64_t)index);
    put_int(&out, result->status);
    put_int(&out, result->epochs);
    put_int(&out, result->epochs_done);
    put_double(&out, result->train_score);
    put_double(&out, result->val_score);
    put_double(&out, result->test_score);
    put_double(&out, result->seconds);
    put_int(&out, (int64_t)failure_length);
    put(&out, result->failure, failure_length);
    for (int c = 0; c < 4; c++) {
        size_t length = curve_length(curves[c], result->epochs);
        put_int(&out, (int64_t)length);
        put(&out, curves[c], length * sizeof(double));
    }
    return finish_packing(&out, bytes, size, err);
}

int wire_unpack_result(const void *bytes, size_t size, size_t *index, run_result *result,
                       sweep_error *err)
{
    unpacker in = {bytes, size, 0, false};
    memset(result, 0, sizeof *result);
    *index = get_count(&in, INT64_MAX);
    int64_t status = get_int(&in);
    size_t epochs = get_count(&in, (int64_t)PARAM_INFO[PARAM_EPOCHS].max);
    size_t epochs_done = get_count(&in, (int64_t)epochs);
    double scores[4];
    for (int i = 0; i < 4; i++)
        scores[i] = get_double(&in);
    if (in.failed || epochs < 1 || (status != RUN_DONE && status != RUN_FAILED))
        return error_set(err, ERROR_RUNTIME, "a malformed result message (%zu bytes)", size);
    if (run_result_init(result, (int)epochs, err) != 0)
        return -1;
    result->status = (run_status)status;
    result->epochs_done = (int)epochs_done;
    result->train_score = scores[0];
    result->val_score = scores[1];
    result->test_score = scores[2];
    result->seconds = scores[3];
    size_t failure_length = get_count(&in, (int64_t)sizeof result->failure - 1);
    get(&in, result->failure, failure_length);
    double *curves[4] = {result->train_loss, result->val_loss, result->train_acc, result->val_acc};
    for (int c = 0; c < 4; c++) {
        size_t length = get_count(&in, (int64_t)epochs);
        get(&in, curves[c], length * sizeof(double));
    }
    if (finish_unpacking(&in, "result", err) != 0) {
        run_result_free(result);
        return -1;
    }
    return 0;
}

int wire_pack_number(long long value, void **bytes, size_t *size, sweep_error *err)
{
    packer out = {0};
    put_int(&out, value);
    return finish_packing(&out, bytes, size, err);
}

int wire_unpack_number(const void *bytes, size_t size, long long *value, sweep_error *err)
{
    unpacker in = {bytes, size, 0, false};
    *value = get_int(&in);
    return finish_unpacking(&in, "number", err);
}

int wire_pack_error(const sweep_error *error, void **bytes, size_t *size, sweep_error *err)
{
    packer out = {0};
    size_t length = strnlen(error->message, sizeof error->message);
    put_int(&out, error->kind);
    put_int(&out, (int64_t)length);
    put(&out, error->message, length);
    return finish_packing(&out, bytes, size, err);
}

int wire_unpack_error(const void *bytes, size_t size, sweep_error *error, sweep_error *err)
{
    unpacker in = {bytes, size, 0, false};
    memset(error, 0, sizeof *error);
    int64_t kind = get_int(&in);
    size_t length = get_count(&in, (int64_t)sizeof error->message - 1);
    get(&in, error->message, length);
    error->message[in.failed ? 0 : length] = '\0';
    error->kind = kind == ERROR_INPUT ? ERROR_INPUT : ERROR_RUNTIME;
    return finish_unpacking(&in, "error", err);
}
