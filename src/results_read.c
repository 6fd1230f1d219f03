/* results_read.c: reading an existing results file back (--resume, merge).
 *
 * Such a file is an input: it may be truncated by a full disk, damaged, or
 * edited by hand with h5py. Nothing of it is used before it is checked (see
 * results_source.h): the superblock against the file's size and its global
 * heaps (results_bytes.c), then every dataset read by its rank, shape and
 * type, so that a dataset shorter than `status` can never be read into a
 * buffer sized by `status`; then the values themselves (status codes, hyperparameters, run numbers). A file
 * that is not what `sweep` writes is refused rather than half-used, with
 * ERROR_INPUT (exit status 2): it is a bad input, not a failure of the
 * system.
 */
#include "results.h"
#include "results_reader.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

/* Deflate, the only compression `sweep` uses, shrinks data by at most about
 * 1032:1, so a curve value (8 bytes) takes at least 1/129 of a byte of the
 * file (every chunk of a file `sweep` wrote is allocated). A file that
 * claims more values than this bound is damaged or hostile: reading it
 * would take time and memory out of all proportion to its size. */
#define MAX_VALUES_PER_BYTE 256

static const char *const CURVE_NAMES[CURVE_COUNT] = {"train_loss", "val_loss", "train_acc",
                                                     "val_acc"};


/* What a dataset must hold. */
typedef enum {
    HOLDS_INTEGERS,  /* whole numbers (`status`, `run`) */
    HOLDS_FLOATS,    /* IEEE floats (scores, seconds, curves) */
    HOLDS_NUMBERS,   /* either (hyperparameters: params_check judges) */
    HOLDS_FIXED_TEXT /* fixed-length strings (`failure`) */
} holds_kind;

/* ---- messages ------------------------------------------------------------ */

typedef struct {
    char text[512];
    bool found;
} hdf5_reason;

/* Walked upward, entry 0 is the innermost: the function that met the problem
 * and named it. The outer entries only repeat "unable to ..." up the calls. */
static herr_t take_innermost_entry(unsigned n, const H5E_error2_t *entry, void *data)
{
    hdf5_reason *reason = data;
    if (n != 0 || reason->found)
        return 0;
    const char *desc = entry->desc;
    if (desc == NULL || desc[0] == '\0') {
        if (H5Eget_msg(entry->min_num, NULL, reason->text, sizeof reason->text) < 0)
            return 0;
    } else {
        /* A failed system call is described as "..., errno = 28, error
         * message = 'No space left on device', ..."; the quoted part is what
         * a user needs. */
        const char *marker = "error message = '";
        const char *start = strstr(desc, marker);
        const char *end = start != NULL ? strchr(start + strlen(marker), '\'') : NULL;
        if (end != NULL) {
            start += strlen(marker);
            snprintf(reason->text, sizeof reason->text, "%.*s", (int)(end - start), start);
        } else {
            snprintf(reason->text, sizeof reason->text, "%s", desc);
        }
    }
    reason->found = reason->text[0] != '\0';
    return 0;
}

void results_hdf5_reason(char *text, size_t size)
{
    hdf5_reason reason = {.found = false};
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost_entry, &reason) < 0 || !reason.found)
        snprintf(reason.text, sizeof reason.text, "HDF5 error");
    for (char *c = reason.text; *c != '\0'; c++) /* keep the message one line */
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    snprintf(text, size, "%s", reason.text);
}

/* A file that is not what `sweep` writes. */
int results_not_valid(sweep_error *err, const char *path, const char *what_fmt, ...)
{
    char what[512];
    va_list args;
    va_start(args, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, args);
    va_end(args);
    return error_set(err, ERROR_INPUT, "%s: not a valid sweep results file: %s", path, what);
}

/* An HDF5 call on the file failed: its structure or data is broken. */
int results_damaged(sweep_error *err, const char *path, const char *what_fmt, ...)
{
    char what[256], reason[512];
    results_hdf5_reason(reason, sizeof reason);
    va_list args;
    va_start(args, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, args);
    va_end(args);
    return error_set(err, ERROR_INPUT, "%s: truncated or damaged (%s: %s)", path, what, reason);
}

/* ---- the layout ------------------------------------------------------------- */

static bool is_plain_float(hid_t type)
{
    hid_t known[4] = {H5T_IEEE_F64LE, H5T_IEEE_F32LE, H5T_IEEE_F64BE, H5T_IEEE_F32BE};
    for (int i = 0; i < 4; i++)
        if (H5Tequal(type, known[i]) > 0)
            return true;
    return false;
}

bool results_is_plain_integer(hid_t type)
{
    size_t size = H5Tget_size(type);
    return H5Tget_class(type) == H5T_INTEGER && (size == 1 || size == 2 || size == 4 || size == 8);
}

/* What a type is, for a message. */
static const char *type_phrase(hid_t type)
{
    switch (H5Tget_class(type)) {
    case H5T_INTEGER:
        return results_is_plain_integer(type) ? "whole numbers" : "unusual integers";
    case H5T_FLOAT:
        return is_plain_float(type) ? "floats" : "unusual floats";
    case H5T_STRING:
        return H5Tis_variable_str(type) > 0 ? "variable-length text" : "text";
    case H5T_COMPOUND:
        return "records";
    case H5T_ENUM:
        return "enumerated values";
    default:
        return "values of another kind";
    }
}

static bool holds(hid_t type, holds_kind kind)
{
    switch (kind) {
    case HOLDS_INTEGERS:
        return results_is_plain_integer(type);
    case HOLDS_FLOATS:
        return is_plain_float(type);
    case HOLDS_NUMBERS:
        return results_is_plain_integer(type) || is_plain_float(type);
    case HOLDS_FIXED_TEXT:
        return H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) == 0;
    }
    return false;
}

static const char *const KIND_PHRASES[] = {"whole numbers", "floats", "numbers",
                                           "fixed-length text"};

/* Open dataset `name` and check that it has `rank` dimensions (dims) and
 * holds `kind`; the caller closes it. */
static hid_t open_checked(const results_source *source, const char *name, int rank, holds_kind kind,
                          hsize_t dims[2], sweep_error *err)
{
    const char *path = source->path;
    hid_t variable = H5I_INVALID_HID, space = H5I_INVALID_HID, type = H5I_INVALID_HID;
    bool good = false;
    htri_t exists = H5Lexists(source->file, name, H5P_DEFAULT);
    if (exists <= 0) {
        if (exists < 0)
            results_damaged(err, path, "looking for '%s'", name);
        else
            results_not_valid(err, path, "no '%s' dataset", name);
        goto cleanup;
    }
    variable = H5Dopen2(source->file, name, H5P_DEFAULT);
    if (variable < 0) {
        results_damaged(err, path, "opening '%s'", name);
        goto cleanup;
    }
    space = H5Dget_space(variable);
    type = H5Dget_type(variable);
    if (space < 0 || type < 0) {
        results_damaged(err, path, "reading the shape of '%s'", name);
        goto cleanup;
    }
    int found_rank =
        H5Sget_simple_extent_type(space) == H5S_SIMPLE ? H5Sget_simple_extent_ndims(space) : 0;
    if (found_rank != rank) {
        results_not_valid(err, path, "'%s' has %d dimension%s, not %d", name, found_rank,
                          found_rank == 1 ? "" : "s", rank);
        goto cleanup;
    }
    if (H5Sget_simple_extent_dims(space, dims, NULL) != rank) {
        results_damaged(err, path, "reading the shape of '%s'", name);
        goto cleanup;
    }
    if (!holds(type, kind)) {
        results_not_valid(err, path, "'%s' holds %s, not %s", name, type_phrase(type),
                          KIND_PHRASES[kind]);
        goto cleanup;
    }
    good = true;
cleanup:
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (!good && variable >= 0) {
        H5Dclose(variable);
        variable = H5I_INVALID_HID;
    }
    return variable;
}

/* A (run) dataset of the file: n_runs values of `kind`. */
static int check_per_run(const results_source *source, const char *name, holds_kind kind,
                         sweep_error *err)
{
    hsize_t dims[2] = {0, 0};
    hid_t variable = open_checked(source, name, 1, kind, dims, err);
    if (variable < 0)
        return -1;
    H5Dclose(variable);
    if (dims[0] != source->n_runs)
        return results_not_valid(err, source->path,
                                 "'%s' has %llu values, but 'status' has %zu runs", name,
                                 (unsigned long long)dims[0], source->n_runs);
    return 0;
}

/* Every dataset that --resume and merge read, against `status`. */
static int check_layout(results_source *source, sweep_error *err)
{
    const char *path = source->path;
    hsize_t dims[2] = {0, 0};
    hid_t status = open_checked(source, "status", 1, HOLDS_INTEGERS, dims, err);
    if (status < 0)
        return -1;
    H5Dclose(status);
    if (dims[0] < 1)
        return results_not_valid(err, path, "'status' holds no run");
    /* A run takes more than a byte of any file `sweep` writes. */
    if (dims[0] > (unsigned long long)source->file_bytes)
        return results_not_valid(err, path, "'status' claims %llu runs in a file of %lld bytes",
                                 (unsigned long long)dims[0], source->file_bytes);
    source->n_runs = (size_t)dims[0];
    static const char *const REALS[] = {"train_score", "val_score", "test_score", "seconds"};
    for (size_t i = 0; i < sizeof REALS / sizeof REALS[0]; i++)
        if (check_per_run(source, REALS[i], HOLDS_FLOATS, err) != 0)
            return -1;
    if (check_per_run(source, "run", HOLDS_INTEGERS, err) != 0 ||
        check_per_run(source, "failure", HOLDS_FIXED_TEXT, err) != 0)
        return -1;
    for (int id = 0; id < PARAM_COUNT; id++)
        if (check_per_run(source, PARAM_INFO[id].name, HOLDS_NUMBERS, err) != 0)
            return -1;
    htri_t found[2] = {H5Lexists(source->file, CURVE_NAMES[2], H5P_DEFAULT),
                       H5Lexists(source->file, CURVE_NAMES[3], H5P_DEFAULT)};
    if (found[0] < 0 || found[1] < 0)
        return results_damaged(err, path, "looking for the accuracy curves");
    if (found[0] != found[1])
        return results_not_valid(err, path, "'%s' without '%s'", CURVE_NAMES[found[0] > 0 ? 2 : 3],
                                 CURVE_NAMES[found[0] > 0 ? 3 : 2]);
    source->has_accuracy = found[0] > 0;
    int n_curves = source->has_accuracy ? CURVE_COUNT : LOSS_CURVES;
    for (int c = 0; c < n_curves; c++) {
        source->curves[c] = open_checked(source, CURVE_NAMES[c], 2, HOLDS_FLOATS, dims, err);
        if (source->curves[c] < 0)
            return -1;
        if (dims[0] != source->n_runs || dims[1] < 1)
            return results_not_valid(err, path,
                                     "'%s' has shape (%llu, %llu), but 'status' has %zu runs",
                                     CURVE_NAMES[c], (unsigned long long)dims[0],
                                     (unsigned long long)dims[1], source->n_runs);
        if (c > 0 && dims[1] != source->n_epochs)
            return results_not_valid(err, path, "'train_loss' has %zu epochs, '%s' %llu",
                                     source->n_epochs, CURVE_NAMES[c], (unsigned long long)dims[1]);
        source->n_epochs = (size_t)dims[1];
    }
    if (source->n_epochs >
        (unsigned long long)source->file_bytes * MAX_VALUES_PER_BYTE / source->n_runs)
        return results_not_valid(err, path,
                                 "its curves claim %zu runs of %zu epochs in a file of %lld bytes",
                                 source->n_runs, source->n_epochs, source->file_bytes);
    return 0;
}

/* ---- the source ------------------------------------------------------------- */

static hid_t make_reader_access(const char *path, sweep_error *err)
{
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    /* Strong close: closing the file closes whatever was left open in it,
     * so that no object of a bad file outlives the failed read. */
    if (access < 0 ||
        H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) < 0
#if H5_VERSION_GE(1, 10, 7)
        /* No HDF5 lock: a file may be read while a sweep writes it (see
         * results.c); sweep's own lock file keeps writers apart. */
        || H5Pset_file_locking(access, false, true) < 0
#endif
    ) {
        if (access >= 0)
            H5Pclose(access);
        error_set(err, ERROR_RUNTIME, "%s: cannot read it: HDF5 does not start", path);
        return H5I_INVALID_HID;
    }
    return access;
}

int results_source_open(const char *path, results_source **out, sweep_error *err)
{
    int status = -1;
    hid_t access = H5I_INVALID_HID;
    *out = NULL;
    results_source *source = calloc(1, sizeof *source);
    if (source == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    source->file = H5I_INVALID_HID;
    for (int c = 0; c < CURVE_COUNT; c++)
        source->curves[c] = H5I_INVALID_HID;
    source->path = strdup(path);
    if (source->path == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    /* Before HDF5's first use (see start_hdf5 in results.c); then our
     * messages replace HDF5's stack dumps on stderr, where a bad file is
     * expected. */
    H5dont_atexit();
    if (H5Eset_auto2(H5E_DEFAULT, NULL, NULL) < 0) {
        error_set(err, ERROR_RUNTIME, "%s: cannot read it: HDF5 does not start", path);
        goto cleanup;
    }
    if (results_check_bytes(path, &source->file_bytes, err) != 0)
        goto cleanup;
    access = make_reader_access(path, err);
    if (access < 0)
        goto cleanup;
    source->file = H5Fopen(path, H5F_ACC_RDONLY, access);
    if (source->file < 0) {
        results_damaged(err, path, "opening it");
        goto cleanup;
    }
    if (check_layout(source, err) != 0)
        goto cleanup;
    *out = source;
    source = NULL;
    status = 0;
cleanup:
    if (access >= 0)
        H5Pclose(access);
    results_source_close(source);
    return status;
}

size_t results_source_runs(const results_source *source)
{
    return source->n_runs;
}

size_t results_source_epochs(const results_source *source)
{
    return source->n_epochs;
}

bool results_source_has_accuracy(const results_source *source)
{
    return source->has_accuracy;
}

void results_source_close(results_source *source)
{
    if (source == NULL)
        return;
    for (int c = 0; c < CURVE_COUNT; c++)
        if (source->curves[c] >= 0)
            H5Dclose(source->curves[c]);
    if (source->file >= 0)
        H5Fclose(source->file);
    free(source->path);
    free(source);
}

/* ---- reading ---------------------------------------------------------------- */

/* All of (run) dataset `name` into values[n_runs] of `memory_type`. The
 * length is checked again here, right before the read, so that this read
 * can never overrun `values` whatever happened since the open. */
static int read_per_run(const results_source *source, const char *name, hid_t memory_type,
                        void *values, sweep_error *err)
{
    int status = -1;
    hid_t space = H5I_INVALID_HID;
    hid_t variable = H5Dopen2(source->file, name, H5P_DEFAULT);
    if (variable < 0) {
        results_damaged(err, source->path, "opening '%s'", name);
        goto cleanup;
    }
    space = H5Dget_space(variable);
    if (space < 0 || H5Sget_simple_extent_npoints(space) != (hssize_t)source->n_runs) {
        results_not_valid(err, source->path, "'%s' changed its length while being read", name);
        goto cleanup;
    }
    if (H5Dread(variable, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0) {
        results_damaged(err, source->path, "reading '%s'", name);
        goto cleanup;
    }
    status = 0;
cleanup:
    if (space >= 0)
        H5Sclose(space);
    if (variable >= 0)
        H5Dclose(variable);
    return status;
}

bool results_source_has(const results_source *source, const char *name)
{
    return H5Lexists(source->file, name, H5P_DEFAULT) > 0;
}

int results_source_read_reals(const results_source *source, const char *name, double *values,
                              sweep_error *err)
{
    return read_per_run(source, name, H5T_NATIVE_DOUBLE, values, err);
}

int results_source_read_status(const results_source *source, int8_t *status, sweep_error *err)
{
    /* Read wide: a value like 257 must be refused, not narrowed to 1. */
    long long *wide = malloc(source->n_runs * sizeof *wide);
    if (wide == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    int rc = read_per_run(source, "status", H5T_NATIVE_LLONG, wide, err);
    for (size_t run = 0; rc == 0 && run < source->n_runs; run++) {
        if (wide[run] != RUN_PENDING && wide[run] != RUN_DONE && wide[run] != RUN_FAILED)
            rc = results_not_valid(err, source->path,
                                   "the status of run %zu is %lld (0 pending, 1 done or 2 failed)",
                                   run, wide[run]);
        status[run] = (int8_t)wide[run];
    }
    free(wide);
    return rc;
}

int results_source_read_failures(const results_source *source, char *texts, size_t width,
                                 sweep_error *err)
{
    hid_t variable = H5Dopen2(source->file, "failure", H5P_DEFAULT);
    hid_t stored = variable >= 0 ? H5Dget_type(variable) : H5I_INVALID_HID;
    hid_t memory = H5Tcopy(H5T_C_S1);
    int status = -1;
    /* Same character set as stored: HDF5 converts lengths, not encodings. */
    if (variable < 0 || stored < 0 || memory < 0 || H5Tset_size(memory, width) < 0 ||
        H5Tset_strpad(memory, H5T_STR_NULLPAD) < 0 || H5Tset_cset(memory, H5Tget_cset(stored)) < 0)
        results_damaged(err, source->path, "reading '%s'", "failure");
    else
        status = read_per_run(source, "failure", memory, texts, err);
    if (memory >= 0)
        H5Tclose(memory);
    if (stored >= 0)
        H5Tclose(stored);
    if (variable >= 0)
        H5Dclose(variable);
    return status;
}

static int curve_index(const char *name)
{
    for (int c = 0; c < CURVE_COUNT; c++)
        if (strcmp(name, CURVE_NAMES[c]) == 0)
            return c;
    return -1;
}

int results_source_read_curve(const results_source *source, const char *name, size_t row,
                              size_t count, double *values, sweep_error *err)
{
    int c = curve_index(name);
    if (c < 0 || source->curves[c] < 0)
        return error_set(err, ERROR_RUNTIME, "%s: no curve '%s' to read", source->path, name);
    if (row >= source->n_runs || count < 1 || count > source->n_epochs)
        return results_not_valid(err, source->path,
                                 "run %zu of %zu has %zu epochs, but its curves hold %zu", row,
                                 source->n_runs, count, source->n_epochs);
    int status = -1;
    hsize_t offset[2] = {row, 0}, extent[2] = {1, count}, length = count;
    hid_t space = H5Dget_space(source->curves[c]);
    hid_t memory = H5Screate_simple(1, &length, NULL);
    if (space < 0 || memory < 0 ||
        H5Sselect_hyperslab(space, H5S_SELECT_SET, offset, NULL, extent, NULL) < 0 ||
        H5Dread(source->curves[c], H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, values) < 0)
        results_damaged(err, source->path, "reading '%s' of run %zu", name, row);
    else
        status = 0;
    if (memory >= 0)
        H5Sclose(memory);
    if (space >= 0)
        H5Sclose(space);
    return status;
}

/* ---- the index ------------------------------------------------------------ */

/* The hyperparameters of every run, each checked as a config's would be. */
static int read_hyperparameters(const results_source *source, results_index *index, double *values,
                                sweep_error *err)
{
    for (int id = 0; id < PARAM_COUNT; id++) {
        const char *name = PARAM_INFO[id].name;
        if (results_source_read_reals(source, name, values, err) != 0)
            return -1;
        for (size_t run = 0; run < index->n_runs; run++) {
            char problem_text[96];
            const char *problem =
                params_check((param_id)id, values[run], problem_text, sizeof problem_text);
            if (problem != NULL)
                return results_not_valid(err, source->path, "'%s' of run %zu is %.17g: it %s", name,
                                         run, values[run], problem);
            params_set(&index->runs[run], (param_id)id, values[run]);
        }
    }
    for (size_t run = 0; run < index->n_runs; run++)
        if ((size_t)index->runs[run].epochs > source->n_epochs)
            return results_not_valid(err, source->path,
                                     "run %zu has %d epochs, but its curves hold %zu", run,
                                     index->runs[run].epochs, source->n_epochs);
    return 0;
}

/* The val loss of each run's last epoch, for the summary of a resumed sweep. */
static int read_final_losses(const results_source *source, results_index *index, sweep_error *err)
{
    int status = -1;
    hid_t curve = source->curves[1]; /* val_loss */
    hid_t space = H5Dget_space(curve);
    hid_t memory = H5Screate(H5S_SCALAR);
    if (space < 0 || memory < 0) {
        results_damaged(err, source->path, "reading 'val_loss'");
        goto cleanup;
    }
    for (size_t run = 0; run < index->n_runs; run++) {
        hsize_t point[2] = {run, (hsize_t)index->runs[run].epochs - 1};
        index->summaries[run].final_val_loss = NAN;
        if (H5Sselect_elements(space, H5S_SELECT_SET, 1, point) < 0 ||
            H5Dread(curve, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT,
                    &index->summaries[run].final_val_loss) < 0) {
            results_damaged(err, source->path, "reading 'val_loss' of run %zu", run);
            goto cleanup;
        }
    }
    status = 0;
cleanup:
    if (memory >= 0)
        H5Sclose(memory);
    if (space >= 0)
        H5Sclose(space);
    return status;
}

/* The `run` coordinate: each run's place in the whole grid, >= 0. */
static int read_run_numbers(const results_source *source, results_index *index, sweep_error *err)
{
    if (read_per_run(source, "run", H5T_NATIVE_LLONG, index->run_numbers, err) != 0)
        return -1;
    for (size_t run = 0; run < index->n_runs; run++)
        if (index->run_numbers[run] < 0)
            return results_not_valid(err, source->path, "'run' of row %zu is %lld", run,
                                     index->run_numbers[run]);
    return 0;
}

/* Status and scores of every run into index->summaries, through the
 * caller's buffers of n_runs values. */
static int read_summaries(const results_source *source, results_index *index, int8_t *states,
                          double *values, sweep_error *err)
{
    if (results_source_read_status(source, states, err) != 0)
        return -1;
    for (size_t run = 0; run < index->n_runs; run++)
        index->summaries[run].status = (run_status)states[run];
    if (results_source_read_reals(source, "val_score", values, err) != 0)
        return -1;
    for (size_t run = 0; run < index->n_runs; run++)
        index->summaries[run].val_score = values[run];
    if (results_source_read_reals(source, "test_score", values, err) != 0)
        return -1;
    for (size_t run = 0; run < index->n_runs; run++)
        index->summaries[run].test_score = values[run];
    return 0;
}

int results_read_index(const char *path, results_index *out, sweep_error *err)
{
    int status = -1;
    results_source *source = NULL;
    double *values = NULL; /* (n_runs) one hyperparameter or score */
    int8_t *states = NULL; /* (n_runs) status */
    memset(out, 0, sizeof *out);
    if (results_source_open(path, &source, err) != 0)
        goto cleanup;
    size_t n = source->n_runs;
    out->n_runs = n;
    out->has_accuracy = source->has_accuracy;
    out->runs = calloc(n, sizeof *out->runs);
    out->summaries = malloc(n * sizeof *out->summaries);
    out->run_numbers = malloc(n * sizeof *out->run_numbers);
    values = malloc(n * sizeof *values);
    states = malloc(n);
    if (out->runs == NULL || out->summaries == NULL || out->run_numbers == NULL || values == NULL ||
        states == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    if (read_summaries(source, out, states, values, err) != 0 ||
        read_hyperparameters(source, out, values, err) != 0 ||
        read_final_losses(source, out, err) != 0 || read_run_numbers(source, out, err) != 0 ||
        results_read_attributes(source, out, err) != 0 ||
        results_read_folds(source, path, out, err) != 0)
        goto cleanup;
    status = 0;
cleanup:
    results_source_close(source);
    free(values);
    free(states);
    if (status != 0)
        results_index_free(out);
    return status;
}

void results_index_free(results_index *index)
{
    char *texts[] = {index->config_text,  index->config_path,
                     index->overrides,    index->effective_config,
                     index->version,      index->start_time_utc,
                     index->host,         index->shard,
                     index->dataset_name, index->data_checksum,
                     index->model};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        free(texts[i]);
    if (index->class_names != NULL)
        for (int k = 0; k < index->n_classes; k++)
            free(index->class_names[k]);
    free(index->class_names);
    free(index->run_numbers);
    free(index->runs);
    free(index->summaries);
    memset(index, 0, sizeof *index);
}
