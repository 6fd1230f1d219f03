/* results.c: the results file, written through the HDF5 C library.
 *
 * The layout follows the netCDF-4 conventions (as netcdf-c's libhdf5 writes
 * them) so that netCDF readers, h5netcdf and xarray see named dimensions:
 *
 *   - a dimension is a 1-D dataset of the same name made a dimension scale
 *     (H5DSset_scale), holding its coordinate values 0..n-1; every variable
 *     attaches the scale of each of its axes (H5DSattach_scale), which gives
 *     it the DIMENSION_LIST attribute readers resolve dimension names from;
 *   - the scales carry `_Netcdf4Dimid` (run = 0, epoch = 1) and the 2-D
 *     variables `_Netcdf4Coordinates` ({0, 1}), so dimension ids are fixed
 *     rather than guessed from the order of discovery;
 *   - links and attributes are created with creation order tracked and
 *     indexed, as netcdf-c requires to list them in the order written (h5py
 *     and xarray then list variables in that order too);
 *   - text is variable-length UTF-8 (netCDF's NC_STRING): h5py returns such
 *     attributes as str, and xarray returns such datasets as str;
 *   - `_NCProperties` names the writing software, as h5netcdf does.
 *
 * Crash-safety groundwork: everything is created, and the file flushed, before
 * the first run trains; a run's row is then written with `status` last and
 * flushed, so a reader of an interrupted file trusts exactly the rows whose
 * status says done or failed.
 *
 * Errors: HDF5's automatic printing of its error stack is turned off; the
 * innermost entry of the stack (where the cause is named, e.g. "No space left
 * on device") becomes the end of our one-line message.
 */
#include "results.h"

#include "paths.h"
#include "results_source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

/* Deflate level. Loss curves are mostly mantissa noise: on the curves of
 * configs/batch_grid.yaml shuffle + deflate keep ~80% of the raw size (~94%
 * without shuffle, which lines up the shared sign and exponent bytes), and
 * levels 1 to 9 differ by less than 0.3%, so a middle level costs nothing. */
#define CURVE_DEFLATE_LEVEL 4
/* A chunk of the curves holds at least this many values (4 KiB) ... */
#define CURVE_CHUNK_MIN_VALUES 512
/* ... and at most this many epochs (1 MiB, HDF5's default chunk cache). */
#define CURVE_CHUNK_MAX_EPOCHS 131072
/* Values per write of the coordinate variables, to bound the buffer. */
#define INDEX_BLOCK 4096
/* Type-conversion buffer of a write. HDF5's default is 1 MiB, allocated and
 * zeroed on every write that converts (the `failure` string does): that was
 * most of the time of writing a run. A row of one run needs far less. */
#define CONVERSION_BUFFER_BYTES 65536

/* Bytes of a run's `failure` text in the file (train.h's buffer). */
#define FAILURE_BYTES ((size_t)sizeof(((run_result *)0)->failure))

struct results_writer {
    char *path;              /* the file as given, for messages */
    char *target_path;       /* the file written: PATH, or the file a link PATH leads to */
    char *partial_path;      /* TARGET.partial: where the file is built before it is renamed */
    bool compressed;         /* final form (compressed curves) rather than in-place form */
    train_params *runs;      /* (n_runs) copy, to rebuild the file compressed at the end */
    results_meta meta;       /* copy of the root attributes; strings owned */
    hid_t file;
    hid_t string_type;       /* variable-length UTF-8 string (attributes) */
    hid_t failure_type;      /* FAILURE_BYTES-long UTF-8 string (the failure dataset) */
    hid_t transfer;          /* dataset-transfer properties of every write */
    hid_t train_loss;        /* (n_runs, max_epochs) float64 */
    hid_t val_loss;          /* (n_runs, max_epochs) float64 */
    hid_t train_score;       /* (n_runs) float64 */
    hid_t val_score;         /* (n_runs) float64 */
    hid_t test_score;        /* (n_runs) float64 */
    hid_t seconds;           /* (n_runs) float64 */
    hid_t failure;           /* (n_runs) string */
    hid_t status;            /* (n_runs) int8 */
    size_t n_runs;
    int max_epochs;          /* the longest run's epochs: the curves' width */
    int *run_epochs;         /* (n_runs) each run's epochs, to check results against */
};

/* ---- error messages ---------------------------------------------------- */

/* Report a failed HDF5 call as "cannot write results file PATH: WHAT: REASON".
 * Must be called before any other HDF5 call, which would clear the stack. */
__attribute__((format(printf, 3, 4)))
static int hdf5_error(sweep_error *err, const char *path, const char *what_fmt, ...)
{
    char what[256];
    va_list args;
    va_start(args, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, args);
    va_end(args);

    char reason[512];
    results_hdf5_reason(reason, sizeof reason);
    return error_set(err, ERROR_RUNTIME, "cannot write results file %s: %s: %s", path, what,
                     reason);
}

/* ---- the output path --------------------------------------------------- */

/* May `path` be written? A folder or an existing file (without --overwrite)
 * is refused before anything is built. --overwrite replaces a file by
 * renaming the new one over it, never by truncating it: a program still
 * reading the old file (h5py, xarray) keeps reading it intact. Only regular
 * files are replaced, never devices or FIFOs. A symbolic link is written
 * through: the file it leads to is the one replaced, the link stays a link
 * (a link to a missing file is refused: it may have been planted to make
 * sweep create a file elsewhere). */
static int check_output_path(const char *path, bool overwrite, sweep_error *err)
{
    struct stat info;
    if (lstat(path, &info) != 0) {
        if (errno == ENOENT)
            return 0;
        return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", path, strerror(errno));
    }
    char *target = NULL;
    if (paths_follow_links(path, &target, err) != 0)
        return -1;
    int status = -1;
    if (stat(target, &info) == 0 && S_ISDIR(info.st_mode))
        error_set(err, ERROR_INPUT, "%s: is a folder, not a file", path);
    else if (!overwrite)
        error_set(err, ERROR_INPUT, "%s: exists (use --overwrite to replace it)", path);
    else if (lstat(target, &info) != 0 || !S_ISREG(info.st_mode))
        error_set(err, ERROR_INPUT, "%s: not a regular file (refusing to replace it)", path);
    else
        status = 0;
    free(target);
    return status;
}

/* fsync the folder holding `path`, so that a rename in it is durable. */
static void sync_parent_folder(const char *path)
{
    char *folder = strdup(path);
    if (folder == NULL)
        return;
    char *last_slash = strrchr(folder, '/');
    const char *name = ".";
    if (last_slash == folder)
        name = "/";
    else if (last_slash != NULL) {
        *last_slash = '\0';
        name = folder;
    }
    int fd = open(name, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(folder);
}

/* ---- small HDF5 helpers ------------------------------------------------- */

/* Write an attribute: a scalar when count is 0, else a 1-D array. */
static int write_attribute(const results_writer *writer, hid_t object, const char *name,
                           hid_t file_type, hid_t memory_type, hsize_t count,
                           const void *values, sweep_error *err)
{
    int status = -1;
    hid_t space = H5I_INVALID_HID, attribute = H5I_INVALID_HID;
    space = count == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, NULL);
    if (space < 0) {
        hdf5_error(err, writer->path, "attribute %s", name);
        goto cleanup;
    }
    attribute = H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attribute < 0 || H5Awrite(attribute, memory_type, values) < 0) {
        hdf5_error(err, writer->path, "attribute %s", name);
        goto cleanup;
    }
    status = 0;
cleanup:
    if (attribute >= 0 && H5Aclose(attribute) < 0 && status == 0)
        status = hdf5_error(err, writer->path, "attribute %s", name);
    if (space >= 0)
        H5Sclose(space);
    return status;
}

static int write_text_attribute(const results_writer *writer, hid_t object, const char *name,
                                const char *text, sweep_error *err)
{
    const char *value = text != NULL ? text : "";
    return write_attribute(writer, object, name, writer->string_type, writer->string_type, 0,
                           &value, err);
}

static int write_int_attribute(const results_writer *writer, hid_t object, const char *name,
                               long long value, sweep_error *err)
{
    /* int32 where it fits, as netCDF's NC_INT; run counts may need int64. */
    bool fits_int32 = value >= INT32_MIN && value <= INT32_MAX;
    return write_attribute(writer, object, name, fits_int32 ? H5T_STD_I32LE : H5T_STD_I64LE,
                           H5T_NATIVE_LLONG, 0, &value, err);
}

/* `_NCProperties` is a fixed-length ASCII string in netcdf-c and h5netcdf. */
static int write_nc_properties(const results_writer *writer, const char *version,
                               sweep_error *err)
{
    int status = -1;
    hid_t type = H5I_INVALID_HID;
    char text[160];
    unsigned major = 0, minor = 0, release = 0;
    if (H5get_libversion(&major, &minor, &release) < 0) {
        hdf5_error(err, writer->path, "attribute _NCProperties");
        goto cleanup;
    }
    snprintf(text, sizeof text, "version=2,sweep=%s,hdf5=%u.%u.%u",
             version != NULL ? version : "unknown", major, minor, release);
    type = H5Tcopy(H5T_C_S1);
    if (type < 0 || H5Tset_size(type, strlen(text)) < 0 ||
        H5Tset_strpad(type, H5T_STR_NULLTERM) < 0 || H5Tset_cset(type, H5T_CSET_ASCII) < 0) {
        hdf5_error(err, writer->path, "attribute _NCProperties");
        goto cleanup;
    }
    if (write_attribute(writer, writer->file, "_NCProperties", type, type, 0, text, err) < 0)
        goto cleanup;
    status = 0;
cleanup:
    if (type >= 0)
        H5Tclose(type);
    return status;
}

/* A dataset-creation property list with attribute order tracked (netCDF-4
 * lists attributes in creation order) and, if `fill` is given, a fill value:
 * what every element reads as until a run's row is written. Space is
 * allocated at creation when `early`, so that writing a run later only
 * overwrites bytes in place and changes no file metadata. */
static hid_t make_creation_properties(const results_writer *writer, const char *name,
                                      hid_t fill_type, const void *fill, bool early,
                                      sweep_error *err)
{
    hid_t properties = H5Pcreate(H5P_DATASET_CREATE);
    if (properties < 0 ||
        H5Pset_attr_creation_order(properties, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_obj_track_times(properties, false) < 0 ||
        (fill != NULL && H5Pset_fill_value(properties, fill_type, fill) < 0) ||
        (early && H5Pset_alloc_time(properties, H5D_ALLOC_TIME_EARLY) < 0)) {
        hdf5_error(err, writer->path, "dataset %s", name);
        if (properties >= 0)
            H5Pclose(properties);
        return H5I_INVALID_HID;
    }
    return properties;
}

static hid_t create_dataset(const results_writer *writer, const char *name, hid_t type,
                            int rank, const hsize_t *dims, hid_t properties, sweep_error *err)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0) {
        hdf5_error(err, writer->path, "dataset %s", name);
        return H5I_INVALID_HID;
    }
    hid_t variable = H5Dcreate2(writer->file, name, type, space, H5P_DEFAULT, properties,
                               H5P_DEFAULT);
    if (variable < 0)
        hdf5_error(err, writer->path, "dataset %s", name);
    H5Sclose(space);
    return variable;
}

/* Write `count` values from `values` into a 1-D dataset at [start, start+count),
 * or into row `start` of a 2-D dataset at columns [0, count). */
static int write_slab(const results_writer *writer, hid_t variable, const char *name, int rank,
                      hsize_t start, hsize_t count, hid_t memory_type, const void *values,
                      sweep_error *err)
{
    int status = -1;
    hid_t file_space = H5I_INVALID_HID, memory_space = H5I_INVALID_HID;
    hsize_t offset[2] = {start, 0};
    hsize_t extent[2] = {rank == 1 ? count : 1, count};
    file_space = H5Dget_space(variable);
    memory_space = H5Screate_simple(1, &count, NULL);
    if (file_space < 0 || memory_space < 0 ||
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, offset, NULL, extent, NULL) < 0 ||
        H5Dwrite(variable, memory_type, memory_space, file_space, writer->transfer,
                 values) < 0) {
        hdf5_error(err, writer->path, "writing %s", name);
        goto cleanup;
    }
    status = 0;
cleanup:
    if (memory_space >= 0)
        H5Sclose(memory_space);
    if (file_space >= 0)
        H5Sclose(file_space);
    return status;
}

/* ---- the layout --------------------------------------------------------- */

/* The end of every create_* function below: the creation properties are
 * closed either way; on failure the half-made dataset too. */
static hid_t finish_variable(hid_t properties, hid_t variable, bool made)
{
    if (properties >= 0)
        H5Pclose(properties);
    if (made)
        return variable;
    if (variable >= 0)
        H5Dclose(variable);
    return H5I_INVALID_HID;
}

/* A dimension: int64 coordinate values (`values`, or 0..size-1 when NULL),
 * made a dimension scale. */
static hid_t create_dimension(const results_writer *writer, const char *name, hsize_t size,
                              const size_t *values, int netcdf_dimid, const char *long_name,
                              sweep_error *err)
{
    hid_t properties = H5I_INVALID_HID, scale = H5I_INVALID_HID;
    properties = make_creation_properties(writer, name, 0, NULL, true, err);
    if (properties < 0)
        goto fail;
    scale = create_dataset(writer, name, H5T_STD_I64LE, 1, &size, properties, err);
    if (scale < 0)
        goto fail;
    int64_t block[INDEX_BLOCK];
    for (hsize_t start = 0; start < size; start += INDEX_BLOCK) {
        hsize_t count = size - start < INDEX_BLOCK ? size - start : INDEX_BLOCK;
        for (hsize_t i = 0; i < count; i++)
            block[i] = (int64_t)(values != NULL ? values[start + i] : start + i);
        if (write_slab(writer, scale, name, 1, start, count, H5T_NATIVE_INT64, block, err) < 0)
            goto fail;
    }
    if (H5DSset_scale(scale, name) < 0) {
        hdf5_error(err, writer->path, "dimension %s", name);
        goto fail;
    }
    int32_t dimid = netcdf_dimid;
    if (write_attribute(writer, scale, "_Netcdf4Dimid", H5T_STD_I32LE, H5T_NATIVE_INT32, 0,
                        &dimid, err) < 0 ||
        write_text_attribute(writer, scale, "long_name", long_name, err) < 0)
        goto fail;
    return finish_variable(properties, scale, true);
fail:
    return finish_variable(properties, scale, false);
}

static int attach_dimension(const results_writer *writer, hid_t variable, const char *name,
                            hid_t scale, unsigned axis, sweep_error *err)
{
    if (H5DSattach_scale(variable, scale, axis) < 0)
        return hdf5_error(err, writer->path, "attaching dimension %u of %s", axis, name);
    return 0;
}

/* One (run) dataset per hyperparameter, in params.h's order, with the
 * values of the expanded runs. Integers are stored as int32, or as int64
 * where the range needs it (the uint32 seed). */
static int create_hyperparameters(const results_writer *writer, const train_params *runs,
                                  hid_t run_scale, sweep_error *err)
{
    int status = -1;
    hid_t properties = H5I_INVALID_HID, variable = H5I_INVALID_HID;
    hsize_t n_runs = writer->n_runs;
    double *reals = malloc(writer->n_runs * sizeof *reals);        /* (n_runs) */
    int64_t *integers = malloc(writer->n_runs * sizeof *integers); /* (n_runs) */
    if (reals == NULL || integers == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    for (int id = 0; id < PARAM_COUNT; id++) {
        const param_info *info = &PARAM_INFO[id];
        properties = make_creation_properties(writer, info->name, 0, NULL, true, err);
        if (properties < 0)
            goto cleanup;
        hid_t file_type = !info->is_integer ? H5T_IEEE_F64LE
                          : info->max > INT32_MAX ? H5T_STD_I64LE : H5T_STD_I32LE;
        variable = create_dataset(writer, info->name, file_type, 1, &n_runs, properties, err);
        if (variable < 0)
            goto cleanup;
        for (size_t run = 0; run < writer->n_runs; run++) {
            reals[run] = params_get(&runs[run], (param_id)id);
            integers[run] = (int64_t)reals[run];   /* exact: whole numbers in range */
        }
        if (write_slab(writer, variable, info->name, 1, 0, n_runs,
                       info->is_integer ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE,
                       info->is_integer ? (const void *)integers : (const void *)reals,
                       err) < 0 ||
            write_text_attribute(writer, variable, "long_name", "hyperparameter", err) < 0 ||
            attach_dimension(writer, variable, info->name, run_scale, 0, err) < 0)
            goto cleanup;
        /* Closing writes out what HDF5 still buffers of the values. */
        hid_t written = variable;
        variable = H5I_INVALID_HID;
        if (H5Dclose(written) < 0) {
            hdf5_error(err, writer->path, "writing %s", info->name);
            goto cleanup;
        }
        H5Pclose(properties);
        properties = H5I_INVALID_HID;
    }
    status = 0;
cleanup:
    if (variable >= 0)
        H5Dclose(variable);
    if (properties >= 0)
        H5Pclose(properties);
    free(reals);
    free(integers);
    return status;
}

/* A float64 (run) result, NaN until its run is written. `units` may be NULL. */
static hid_t create_run_real(const results_writer *writer, const char *name,
                             const char *long_name, const char *units, hid_t run_scale,
                             sweep_error *err)
{
    hid_t properties = H5I_INVALID_HID, variable = H5I_INVALID_HID;
    hsize_t n_runs = writer->n_runs;
    double fill = NAN;
    properties = make_creation_properties(writer, name, H5T_NATIVE_DOUBLE, &fill, true, err);
    if (properties < 0)
        goto fail;
    variable = create_dataset(writer, name, H5T_IEEE_F64LE, 1, &n_runs, properties, err);
    if (variable < 0 ||
        write_attribute(writer, variable, "_FillValue", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                        &fill, err) < 0 ||
        write_text_attribute(writer, variable, "long_name", long_name, err) < 0 ||
        (units != NULL && write_text_attribute(writer, variable, "units", units, err) < 0) ||
        attach_dimension(writer, variable, name, run_scale, 0, err) < 0)
        goto fail;
    return finish_variable(properties, variable, true);
fail:
    return finish_variable(properties, variable, false);
}

/* `status` (run) int8: 0 pending (the fill), 1 done, 2 failed, described the
 * CF way (flag_values, flag_meanings). No _FillValue attribute: readers that
 * honour it would turn every pending run into a missing value. */
static hid_t create_status(const results_writer *writer, hid_t run_scale, sweep_error *err)
{
    hid_t properties = H5I_INVALID_HID, variable = H5I_INVALID_HID;
    hsize_t n_runs = writer->n_runs;
    int8_t pending = RUN_PENDING;
    const int8_t flag_values[3] = {RUN_PENDING, RUN_DONE, RUN_FAILED};
    properties = make_creation_properties(writer, "status", H5T_NATIVE_INT8, &pending, true,
                                          err);
    if (properties < 0)
        goto fail;
    variable = create_dataset(writer, "status", H5T_STD_I8LE, 1, &n_runs, properties, err);
    if (variable < 0 ||
        write_text_attribute(writer, variable, "long_name", "run status", err) < 0 ||
        write_attribute(writer, variable, "flag_values", H5T_STD_I8LE, H5T_NATIVE_INT8, 3,
                        flag_values, err) < 0 ||
        write_text_attribute(writer, variable, "flag_meanings", "pending done failed", err) < 0 ||
        attach_dimension(writer, variable, "status", run_scale, 0, err) < 0)
        goto fail;
    return finish_variable(properties, variable, true);
fail:
    return finish_variable(properties, variable, false);
}

/* `failure` (run) text, "" until a failed run is written. Fixed-length
 * UTF-8 (FAILURE_BYTES, NUL-padded) rather than variable-length: writing a
 * variable-length string allocates in the file's global heap, a change of
 * structure that a kill could cut in half; a fixed-length row is rewritten in
 * place. `_Encoding` makes xarray decode it to str (h5py: .asstr()). */
static hid_t create_failure(const results_writer *writer, hid_t run_scale, sweep_error *err)
{
    hid_t properties = H5I_INVALID_HID, variable = H5I_INVALID_HID;
    hsize_t n_runs = writer->n_runs;
    properties = make_creation_properties(writer, "failure", 0, NULL, !writer->compressed, err);
    if (properties < 0)
        goto fail;
    variable = create_dataset(writer, "failure", writer->failure_type, 1, &n_runs, properties,
                             err);
    if (variable < 0 ||
        write_text_attribute(writer, variable, "long_name",
                             "why the run failed (empty unless status is failed)", err) < 0 ||
        write_text_attribute(writer, variable, "_Encoding", "utf-8", err) < 0 ||
        attach_dimension(writer, variable, "failure", run_scale, 0, err) < 0)
        goto fail;
    return finish_variable(properties, variable, true);
fail:
    return finish_variable(properties, variable, false);
}

/* A (run, epoch) float64 curve, NaN until written and past a run's epochs.
 *
 * Chunks hold whole rows: one run's curve, or for short curves a few runs
 * (>= 512 values, 4 KiB, so that the chunk index and the per-chunk deflate
 * overhead stay small next to the data). Writing a finished run then touches
 * a single chunk per curve, and for curves of 512+ epochs never rewrites a
 * chunk holding another run's finished curve; reading every curve is one pass
 * over n_runs / runs_per_chunk chunks. Curves longer than 131072 epochs are
 * split so that one chunk fits HDF5's default 1 MiB chunk cache. */
static hid_t create_curve(const results_writer *writer, const char *name, const char *long_name,
                          hid_t run_scale, hid_t epoch_scale, sweep_error *err)
{
    hid_t properties = H5I_INVALID_HID, variable = H5I_INVALID_HID;
    hsize_t dims[2] = {writer->n_runs, (hsize_t)writer->max_epochs};
    hsize_t epochs_per_chunk = dims[1] < CURVE_CHUNK_MAX_EPOCHS ? dims[1] : CURVE_CHUNK_MAX_EPOCHS;
    hsize_t runs_per_chunk = CURVE_CHUNK_MIN_VALUES / epochs_per_chunk;
    if (runs_per_chunk < 1)
        runs_per_chunk = 1;
    if (runs_per_chunk > dims[0])
        runs_per_chunk = dims[0];
    hsize_t chunk[2] = {runs_per_chunk, epochs_per_chunk};
    double fill = NAN;
    const int32_t coordinates[2] = {0, 1};   /* the _Netcdf4Dimid of run and epoch */

    /* While runs are written: every chunk allocated (and NaN-filled) now, so
     * a run's row is overwritten in place. Final form: compressed, which
     * needs chunks allocated as they are written. */
    properties = make_creation_properties(writer, name, H5T_NATIVE_DOUBLE, &fill,
                                          !writer->compressed, err);
    if (properties < 0)
        goto fail;
    if (H5Pset_chunk(properties, 2, chunk) < 0 ||
        (writer->compressed && (H5Pset_shuffle(properties) < 0 ||
                                H5Pset_deflate(properties, CURVE_DEFLATE_LEVEL) < 0))) {
        hdf5_error(err, writer->path, "dataset %s", name);
        goto fail;
    }
    variable = create_dataset(writer, name, H5T_IEEE_F64LE, 2, dims, properties, err);
    if (variable < 0 ||
        write_attribute(writer, variable, "_FillValue", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0,
                        &fill, err) < 0 ||
        write_text_attribute(writer, variable, "long_name", long_name, err) < 0 ||
        write_attribute(writer, variable, "_Netcdf4Coordinates", H5T_STD_I32LE,
                        H5T_NATIVE_INT32, 2, coordinates, err) < 0 ||
        attach_dimension(writer, variable, name, run_scale, 0, err) < 0 ||
        attach_dimension(writer, variable, name, epoch_scale, 1, err) < 0)
        goto fail;
    return finish_variable(properties, variable, true);
fail:
    return finish_variable(properties, variable, false);
}

static int write_root_attributes(const results_writer *writer, const results_meta *meta,
                                 sweep_error *err)
{
    hid_t root = writer->file;
    if (write_text_attribute(writer, root, "title", "sweep: hyperparameter sweep results",
                             err) < 0 ||
        write_text_attribute(writer, root, "Conventions", "CF-1.8", err) < 0 ||
        write_text_attribute(writer, root, "config_path", meta->config_path, err) < 0 ||
        write_text_attribute(writer, root, "config", meta->config_text, err) < 0 ||
        write_text_attribute(writer, root, "overrides", meta->overrides, err) < 0 ||
        write_text_attribute(writer, root, "effective_config", meta->effective_config, err) < 0 ||
        write_text_attribute(writer, root, "version", meta->version, err) < 0 ||
        write_text_attribute(writer, root, "start_time_utc", meta->start_time_utc, err) < 0 ||
        write_text_attribute(writer, root, "host", meta->host, err) < 0 ||
        write_text_attribute(writer, root, "data_checksum", meta->data_checksum, err) < 0 ||
        write_int_attribute(writer, root, "threads", meta->threads, err) < 0 ||
        write_text_attribute(writer, root, "dataset", meta->dataset_name, err) < 0 ||
        write_int_attribute(writer, root, "n_train", meta->n_train, err) < 0 ||
        write_int_attribute(writer, root, "n_val", meta->n_val, err) < 0 ||
        write_int_attribute(writer, root, "n_test", meta->n_test, err) < 0 ||
        write_int_attribute(writer, root, "n_features", meta->n_features, err) < 0 ||
        write_attribute(writer, root, "n_runs", H5T_STD_I64LE, H5T_NATIVE_INT64, 0,
                        &(int64_t){(int64_t)writer->n_runs}, err) < 0 ||
        write_int_attribute(writer, root, "ranks", meta->ranks > 0 ? meta->ranks : 1, err) < 0)
        return -1;
    if (write_text_attribute(writer, root, "model",
                             meta->model != NULL ? meta->model : "minibatch", err) < 0)
        return -1;
    if (meta->n_classes > 0 &&
        (write_int_attribute(writer, root, "n_classes", meta->n_classes, err) < 0 ||
         (meta->class_names != NULL &&
          write_attribute(writer, root, "class_names", writer->string_type, writer->string_type,
                          (hsize_t)meta->n_classes, meta->class_names, err) < 0)))
        return -1;
    /* Only a shard's file says so: a whole grid's file has no such attribute. */
    if (meta->shard != NULL && meta->shard[0] != '\0' &&
        (write_text_attribute(writer, root, "shard", meta->shard, err) < 0 ||
         write_attribute(writer, root, "grid_runs", H5T_STD_I64LE, H5T_NATIVE_INT64, 0,
                         &(int64_t){(int64_t)meta->grid_runs}, err) < 0))
        return -1;
    if (write_nc_properties(writer, meta->version, err) < 0)
        return -1;
    return 0;
}

/* Every variable, in the order readers list them: the hyperparameters, then
 * the per-run results, then the curves (the dimensions come first). */
static int create_layout(results_writer *writer, const train_params *runs, sweep_error *err)
{
    int status = -1;
    hid_t run_scale = H5I_INVALID_HID, epoch_scale = H5I_INVALID_HID;
    run_scale = create_dimension(writer, "run", writer->n_runs, writer->meta.run_numbers, 0,
                                 "run index: position in the expanded grid", err);
    if (run_scale < 0)
        goto cleanup;
    epoch_scale = create_dimension(writer, "epoch", (hsize_t)writer->max_epochs, NULL, 1,
                                   "epoch index (0: after the first pass over the train rows)",
                                   err);
    if (epoch_scale < 0)
        goto cleanup;
    if (create_hyperparameters(writer, runs, run_scale, err) < 0)
        goto cleanup;
    if ((writer->status = create_status(writer, run_scale, err)) < 0 ||
        (writer->train_score = create_run_real(writer, "train_score",
                                               "accuracy on the train rows", NULL, run_scale,
                                               err)) < 0 ||
        (writer->val_score = create_run_real(writer, "val_score",
                                             "accuracy on the val rows", NULL, run_scale,
                                             err)) < 0 ||
        (writer->test_score = create_run_real(writer, "test_score",
                                              "accuracy on the test rows (NaN without any)",
                                              NULL, run_scale, err)) < 0 ||
        (writer->seconds = create_run_real(writer, "seconds", "wall time of the training",
                                           "s", run_scale, err)) < 0 ||
        (writer->failure = create_failure(writer, run_scale, err)) < 0 ||
        (writer->train_loss = create_curve(writer, "train_loss",
                                           "loss on the train rows after each epoch",
                                           run_scale, epoch_scale, err)) < 0 ||
        (writer->val_loss = create_curve(writer, "val_loss",
                                         "loss on the val rows after each epoch", run_scale,
                                         epoch_scale, err)) < 0)
        goto cleanup;
    status = 0;
cleanup:
    /* Closing writes out what HDF5 still buffers of the coordinates. */
    if (epoch_scale >= 0 && H5Dclose(epoch_scale) < 0 && status == 0)
        status = hdf5_error(err, writer->path, "writing epoch");
    if (run_scale >= 0 && H5Dclose(run_scale) < 0 && status == 0)
        status = hdf5_error(err, writer->path, "writing run");
    return status;
}

/* ---- the writer --------------------------------------------------------- */

static char *copy_text(const char *text)
{
    return strdup(text != NULL ? text : "");
}

static void meta_free(results_meta *meta)
{
    free((char *)meta->config_text);
    free((char *)meta->config_path);
    free((char *)meta->overrides);
    free((char *)meta->effective_config);
    free((char *)meta->version);
    free((char *)meta->start_time_utc);
    free((char *)meta->host);
    free((char *)meta->dataset_name);
    free((char *)meta->data_checksum);
    free((char *)meta->shard);
    free((char *)meta->model);
    if (meta->class_names != NULL)
        for (int k = 0; k < meta->n_classes; k++)
            free((char *)meta->class_names[k]);
    free((char **)meta->class_names);
    free((size_t *)meta->run_numbers);
    memset(meta, 0, sizeof *meta);
}

/* A copy of `from` (with its n_runs run numbers) whose strings and arrays
 * the writer owns; false when out of memory. */
static bool meta_copy(const results_meta *from, size_t n_runs, results_meta *to)
{
    *to = *from;
    to->config_text = copy_text(from->config_text);
    to->config_path = copy_text(from->config_path);
    to->overrides = copy_text(from->overrides);
    to->effective_config = copy_text(from->effective_config);
    to->version = copy_text(from->version);
    to->start_time_utc = copy_text(from->start_time_utc);
    to->host = copy_text(from->host);
    to->dataset_name = copy_text(from->dataset_name);
    to->data_checksum = copy_text(from->data_checksum);
    to->shard = copy_text(from->shard);
    to->model = copy_text(from->model != NULL ? from->model : "minibatch");
    to->class_names = NULL;
    bool names_copied = true;
    if (from->class_names != NULL && from->n_classes > 0) {
        char **names = calloc((size_t)from->n_classes, sizeof *names);
        for (int k = 0; names != NULL && k < from->n_classes; k++)
            names_copied &= (names[k] = copy_text(from->class_names[k])) != NULL;
        names_copied &= names != NULL;
        to->class_names = (const char *const *)names;
    }
    to->run_numbers = NULL;
    size_t *numbers = NULL;
    if (from->run_numbers != NULL) {
        numbers = malloc((n_runs > 0 ? n_runs : 1) * sizeof *numbers);
        if (numbers != NULL)
            memcpy(numbers, from->run_numbers, n_runs * sizeof *numbers);
        to->run_numbers = numbers;
    }
    if ((from->run_numbers != NULL && numbers == NULL) || to->shard == NULL ||
        to->model == NULL || !names_copied ||
        to->config_text == NULL || to->config_path == NULL || to->overrides == NULL ||
        to->effective_config == NULL || to->version == NULL || to->start_time_utc == NULL ||
        to->host == NULL || to->dataset_name == NULL || to->data_checksum == NULL) {
        meta_free(to);
        return false;
    }
    return true;
}

static results_writer *writer_new(const char *path, const char *target,
                                  const results_meta *meta, const train_params *runs,
                                  size_t n_runs, bool compressed)
{
    results_writer *writer = calloc(1, sizeof *writer);
    if (writer == NULL)
        return NULL;
    hid_t *ids[] = {&writer->file, &writer->string_type, &writer->failure_type,
                    &writer->transfer, &writer->train_loss, &writer->val_loss,
                    &writer->train_score, &writer->val_score, &writer->test_score,
                    &writer->seconds, &writer->failure, &writer->status};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        *ids[i] = H5I_INVALID_HID;
    writer->n_runs = n_runs;
    writer->compressed = compressed;
    writer->path = strdup(path);
    writer->target_path = strdup(target);
    size_t partial_size = strlen(target) + sizeof ".partial";
    writer->partial_path = malloc(partial_size);
    writer->run_epochs = malloc(n_runs * sizeof *writer->run_epochs);
    writer->runs = malloc(n_runs * sizeof *writer->runs);
    bool have_meta = meta_copy(meta, n_runs, &writer->meta);
    if (writer->path == NULL || writer->target_path == NULL || writer->partial_path == NULL ||
        writer->run_epochs == NULL || writer->runs == NULL || !have_meta) {
        if (have_meta)
            meta_free(&writer->meta);
        free(writer->path);
        free(writer->target_path);
        free(writer->partial_path);
        free(writer->run_epochs);
        free(writer->runs);
        free(writer);
        return NULL;
    }
    snprintf(writer->partial_path, partial_size, "%s.partial", target);
    memcpy(writer->runs, runs, n_runs * sizeof *runs);
    for (size_t run = 0; run < n_runs; run++) {
        writer->run_epochs[run] = runs[run].epochs;
        if (runs[run].epochs > writer->max_epochs)
            writer->max_epochs = runs[run].epochs;
    }
    return writer;
}

/* Close whatever HDF5 objects are open; -1 (err filled) when closing the
 * file fails, which is when HDF5 writes out what it still caches. */
static int writer_close_file(results_writer *writer, sweep_error *err)
{
    int status = 0;
    hid_t *datasets[] = {&writer->train_loss, &writer->val_loss, &writer->train_score,
                         &writer->val_score, &writer->test_score, &writer->seconds,
                         &writer->failure, &writer->status};
    for (size_t i = 0; i < sizeof datasets / sizeof datasets[0]; i++) {
        if (*datasets[i] >= 0 && H5Dclose(*datasets[i]) < 0 && status == 0)
            status = hdf5_error(err, writer->path, "closing a dataset");
        *datasets[i] = H5I_INVALID_HID;
    }
    hid_t *others[] = {&writer->string_type, &writer->failure_type};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        if (*others[i] >= 0 && H5Tclose(*others[i]) < 0 && status == 0)
            status = hdf5_error(err, writer->path, "closing a type");
        *others[i] = H5I_INVALID_HID;
    }
    if (writer->transfer >= 0 && H5Pclose(writer->transfer) < 0 && status == 0)
        status = hdf5_error(err, writer->path, "closing properties");
    writer->transfer = H5I_INVALID_HID;
    if (writer->file >= 0 && H5Fclose(writer->file) < 0 && status == 0)
        status = hdf5_error(err, writer->path, "closing the file");
    writer->file = H5I_INVALID_HID;
    return status;
}

static int writer_delete(results_writer *writer, sweep_error *err)
{
    int status = writer_close_file(writer, err);
    meta_free(&writer->meta);
    free(writer->runs);
    free(writer->run_epochs);
    free(writer->partial_path);
    free(writer->target_path);
    free(writer->path);
    free(writer);
    return status;
}

/* File access without HDF5's own lock: readers may look at a file while a
 * sweep writes it (what they see is consistent: status is written last), and
 * writers are kept apart by sweep's lock file instead (see lock.h). */
static hid_t make_file_access(const char *path, sweep_error *err)
{
    hid_t file_access = H5Pcreate(H5P_FILE_ACCESS);
    if (file_access < 0) {
        hdf5_error(err, path, "file properties");
        return H5I_INVALID_HID;
    }
#if H5_VERSION_GE(1, 10, 7)
    if (H5Pset_file_locking(file_access, false, true) < 0) {
        hdf5_error(err, path, "file properties");
        H5Pclose(file_access);
        return H5I_INVALID_HID;
    }
#endif
    return file_access;
}

/* Carry over into the new file, from one old file at `old_path`, the rows
 * of the runs whose origin names it as `source`: new run i takes old run
 * origins[i].row. The curves go row by row; the per-run values into the
 * caller's columns (4, n) (train/val/test score, seconds), `status` (n) and
 * `failure` (n, FAILURE_BYTES), written once every source is read. The old
 * file is an input: results_source checks it before any of it is read, and
 * its problems are ERROR_INPUT (see results_source.h). */
static int copy_rows_from(results_writer *writer, const char *old_path, int source,
                          const results_origin *origins, double *new_columns,
                          int8_t *new_status, char *new_failure, sweep_error *err)
{
    int status = -1;
    results_source *old = NULL;
    size_t n = writer->n_runs;
    double *columns = NULL;      /* (4, n_old) train/val/test score, seconds */
    int8_t *old_status = NULL;   /* (n_old) */
    char *old_failure = NULL;    /* (n_old, FAILURE_BYTES) */
    double *row = NULL;          /* (max_epochs) */

    if (results_source_open(old_path, &old, err) != 0)
        goto cleanup;
    size_t n_old = results_source_runs(old);
    columns = malloc(n_old * 4 * sizeof *columns);
    old_status = malloc(n_old);
    old_failure = malloc(n_old * FAILURE_BYTES);
    row = malloc((size_t)writer->max_epochs * sizeof *row);
    if (columns == NULL || old_status == NULL || old_failure == NULL || row == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    const char *column_names[4] = {"train_score", "val_score", "test_score", "seconds"};
    for (int c = 0; c < 4; c++)
        if (results_source_read_reals(old, column_names[c], &columns[c * n_old], err) != 0)
            goto cleanup;
    if (results_source_read_status(old, old_status, err) != 0 ||
        results_source_read_failures(old, old_failure, FAILURE_BYTES, err) != 0)
        goto cleanup;
    const char *curve_names[2] = {"train_loss", "val_loss"};
    hid_t new_curves[2] = {writer->train_loss, writer->val_loss};
    for (size_t run = 0; run < n; run++) {
        if (origins[run].source != source)
            continue;
        long long from = origins[run].row;
        if (from < 0 || (unsigned long long)from >= n_old) {
            error_set(err, ERROR_INPUT, "%s: not a valid sweep results file: no run %lld to copy "
                      "(it has %zu)", old_path, from, n_old);
            goto cleanup;
        }
        for (int c = 0; c < 4; c++)
            new_columns[c * n + run] = columns[c * n_old + (size_t)from];
        new_status[run] = old_status[from];
        memcpy(&new_failure[run * FAILURE_BYTES], &old_failure[(size_t)from * FAILURE_BYTES],
               FAILURE_BYTES);
        size_t epochs = (size_t)writer->run_epochs[run];
        for (int c = 0; c < 2; c++)
            if (results_source_read_curve(old, curve_names[c], (size_t)from, epochs, row,
                                          err) != 0 ||
                write_slab(writer, new_curves[c], curve_names[c], 2, run, epochs,
                           H5T_NATIVE_DOUBLE, row, err) < 0)
                goto cleanup;
    }
    status = 0;
cleanup:
    results_source_close(old);
    free(columns);
    free(old_status);
    free(old_failure);
    free(row);
    return status;
}

/* Carry over rows of old files: new run i takes row origins[i].row of file
 * sources[origins[i].source] (nothing when the source is < 0). The per-run
 * values are written as whole columns at the end. */
static int copy_rows(results_writer *writer, const char *const *sources, int n_sources,
                     const results_origin *origins, sweep_error *err)
{
    int status = -1;
    size_t n = writer->n_runs;
    double *new_columns = malloc(n * 4 * sizeof *new_columns);   /* (4, n) */
    int8_t *new_status = calloc(n, 1);                           /* (n) */
    char *new_failure = calloc(n, FAILURE_BYTES);                /* (n, FAILURE_BYTES) */
    if (new_columns == NULL || new_status == NULL || new_failure == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < 4 * n; i++)
        new_columns[i] = NAN;
    for (int source = 0; source < n_sources; source++) {
        bool used = false;
        for (size_t run = 0; run < n && !used; run++)
            used = origins[run].source == source;
        if (used && copy_rows_from(writer, sources[source], source, origins, new_columns,
                                   new_status, new_failure, err) < 0)
            goto cleanup;
    }
    const char *column_names[4] = {"train_score", "val_score", "test_score", "seconds"};
    hid_t new_column_ids[4] = {writer->train_score, writer->val_score, writer->test_score,
                               writer->seconds};
    for (int c = 0; c < 4; c++)
        if (write_slab(writer, new_column_ids[c], column_names[c], 1, 0, n, H5T_NATIVE_DOUBLE,
                       &new_columns[c * n], err) < 0)
            goto cleanup;
    if (write_slab(writer, writer->failure, "failure", 1, 0, n, writer->failure_type,
                   new_failure, err) < 0 ||
        write_slab(writer, writer->status, "status", 1, 0, n, H5T_NATIVE_INT8, new_status,
                   err) < 0)
        goto cleanup;
    status = 0;
cleanup:
    free(new_columns);
    free(new_status);
    free(new_failure);
    return status;
}

/* Is the plain file `partial` one that a killed sweep left: empty (killed
 * as it was created), an HDF5 file, or one whose superblock HDF5 had not
 * yet written (zeros)? Anything else is someone's data that happens to have
 * the name, and removing it would destroy it. */
static bool left_by_a_sweep(const char *partial)
{
    static const unsigned char hdf5_signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    static const unsigned char not_yet_written[8] = {0};
    unsigned char start[sizeof hdf5_signature];
    int fd = open(partial, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = pread(fd, start, sizeof start, 0);
    close(fd);
    return n == 0 ||
           (n == (ssize_t)sizeof start &&
            (memcmp(start, hdf5_signature, sizeof start) == 0 ||
             memcmp(start, not_yet_written, sizeof start) == 0));
}

/* Make room for TARGET.partial. Whatever is at that name is a .partial left
 * by a killed sweep (the lock keeps live sweeps away) or was planted there:
 * it is unlinked, never opened, so a symbolic or hard link there leaves its
 * target untouched. The name is then created exclusively: first here, so
 * that the user gets the system's reason for a refusal, then, once removed
 * again, by HDF5 with O_EXCL, which refuses anything planted in between. */
static int create_partial_exclusively(const char *partial, sweep_error *err)
{
    struct stat info;
    if (lstat(partial, &info) == 0 && S_ISREG(info.st_mode) && info.st_nlink == 1 &&
        !left_by_a_sweep(partial))
        return error_set(err, ERROR_INPUT, "%s: exists and is not a file of sweep's; remove or "
                         "rename it", partial);
    if (unlink(partial) != 0 && errno != ENOENT)
        return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", partial, strerror(errno));
    int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", partial, strerror(errno));
    close(fd);
    if (unlink(partial) != 0)
        return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", partial, strerror(errno));
    return 0;
}

/* Build the whole file as TARGET.partial (optionally carrying rows over from
 * `sources`, see copy_rows), put it on disk (flush, fsync) and rename it to
 * TARGET (PATH, or the file the link PATH leads to: the link stays). Until
 * the rename, TARGET is untouched; after it, TARGET is complete. The file
 * stays open for writing runs. */
static int build_file(results_writer *writer, const char *const *sources, int n_sources,
                      const results_origin *origins, sweep_error *err)
{
    int status = -1;
    hid_t file_creation = H5I_INVALID_HID, file_access = H5I_INVALID_HID;
    const char *partial = writer->partial_path;
    bool created = false;

    if (create_partial_exclusively(partial, err) < 0)
        goto cleanup;
    created = true;
    file_creation = H5Pcreate(H5P_FILE_CREATE);
    file_access = make_file_access(partial, err);
    if (file_creation < 0 || file_access < 0 ||
        H5Pset_link_creation_order(file_creation,
                                   H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(file_creation,
                                   H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0) {
        hdf5_error(err, writer->path, "file properties");
        goto cleanup;
    }
    writer->file = H5Fcreate(partial, H5F_ACC_EXCL, file_creation, file_access);
    if (writer->file < 0) {
        hdf5_error(err, writer->path, "creating the file");
        goto cleanup;
    }
    writer->transfer = H5Pcreate(H5P_DATASET_XFER);
    if (writer->transfer < 0 ||
        H5Pset_buffer(writer->transfer, CONVERSION_BUFFER_BYTES, NULL, NULL) < 0) {
        hdf5_error(err, writer->path, "transfer properties");
        goto cleanup;
    }
    writer->string_type = H5Tcopy(H5T_C_S1);
    writer->failure_type = H5Tcopy(H5T_C_S1);
    if (writer->string_type < 0 || H5Tset_size(writer->string_type, H5T_VARIABLE) < 0 ||
        H5Tset_cset(writer->string_type, H5T_CSET_UTF8) < 0 || writer->failure_type < 0 ||
        H5Tset_size(writer->failure_type, FAILURE_BYTES) < 0 ||
        H5Tset_strpad(writer->failure_type, H5T_STR_NULLPAD) < 0 ||
        H5Tset_cset(writer->failure_type, H5T_CSET_UTF8) < 0) {
        hdf5_error(err, writer->path, "string type");
        goto cleanup;
    }
    if (write_root_attributes(writer, &writer->meta, err) < 0 ||
        create_layout(writer, writer->runs, err) < 0)
        goto cleanup;
    if (n_sources > 0 && copy_rows(writer, sources, n_sources, origins, err) < 0)
        goto cleanup;
    if (H5Fflush(writer->file, H5F_SCOPE_LOCAL) < 0) {
        hdf5_error(err, writer->path, "flushing");
        goto cleanup;
    }
    /* Durable before it takes the name: a rename can reach the disk before
     * the data it names. */
    void *handle = NULL;
    if (H5Fget_vfd_handle(writer->file, H5P_DEFAULT, &handle) < 0 || handle == NULL ||
        fsync(*(int *)handle) != 0) {
        error_set(err, ERROR_RUNTIME, "cannot write results file %s: fsync: %s", writer->path,
                  strerror(errno));
        goto cleanup;
    }
    if (rename(partial, writer->target_path) != 0) {
        error_set(err, ERROR_RUNTIME, "cannot create %s: %s", writer->path, strerror(errno));
        goto cleanup;
    }
    created = false;
    sync_parent_folder(writer->path);
    status = 0;
cleanup:
    if (file_access >= 0)
        H5Pclose(file_access);
    if (file_creation >= 0)
        H5Pclose(file_creation);
    if (status != 0) {
        sweep_error ignored;   /* the first error is the one to report */
        writer_close_file(writer, &ignored);
        if (created)
            unlink(partial);
    }
    return status;
}

/* What every entry point does first. */
static int start_hdf5(const char *path, size_t n_runs, sweep_error *err)
{
    /* HDF5 1.10 leaves a half-destroyed file behind when H5Fclose fails (say
     * on a full disk), and its exit handler then crashes closing it again
     * (HDFGroup/hdf5 issue 2257, fixed in 1.14): a sweep that should exit
     * with status 1 would die of SIGSEGV. We close everything ourselves, so
     * the handler is not needed. Only effective before HDF5's first use,
     * which in the program is here. */
    H5dont_atexit();
    /* Our messages replace HDF5's multi-line stack dumps on stderr. */
    if (H5Eset_auto2(H5E_DEFAULT, NULL, NULL) < 0)
        return error_set(err, ERROR_RUNTIME, "cannot write results file %s: HDF5 does not start",
                         path);
    if (n_runs == 0)
        return error_set(err, ERROR_RUNTIME, "cannot write results file %s: no runs", path);
    return 0;
}

static int create_writer(const char *path, const results_meta *meta, const train_params *runs,
                         size_t n_runs, bool compressed, const char *const *sources,
                         int n_sources, const results_origin *origins, results_writer **out,
                         sweep_error *err)
{
    char *target = NULL;
    if (paths_follow_links(path, &target, err) != 0)
        return -1;
    results_writer *writer = writer_new(path, target, meta, runs, n_runs, compressed);
    free(target);
    if (writer == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    /* The file is built at TARGET.partial, whatever was there removed: it
     * cannot also be read from (a part of a merge so named). */
    for (int source = 0; source < n_sources; source++) {
        if (paths_same_file(sources[source], writer->partial_path)) {
            error_set(err, ERROR_INPUT, "%s: cannot read the file that %s is built in",
                      sources[source], path);
            sweep_error ignored;
            writer_delete(writer, &ignored);
            return -1;
        }
    }
    if (writer->max_epochs < 1) {
        writer_delete(writer, err);
        return error_set(err, ERROR_RUNTIME, "cannot write results file %s: no run has an epoch",
                         path);
    }
    if (build_file(writer, sources, n_sources, origins, err) < 0) {
        sweep_error ignored;
        writer_delete(writer, &ignored);
        return -1;
    }
    *out = writer;
    return 0;
}

/* Every run from the same row of one source, or (copy_from < 0) pending. */
static results_origin *single_source_origins(const long long *copy_from, size_t n_runs)
{
    results_origin *origins = malloc((n_runs > 0 ? n_runs : 1) * sizeof *origins);
    if (origins == NULL)
        return NULL;
    for (size_t run = 0; run < n_runs; run++) {
        long long from = copy_from != NULL ? copy_from[run] : (long long)run;
        origins[run] = (results_origin){from >= 0 ? 0 : -1, from};
    }
    return origins;
}

int results_create(const char *path, bool overwrite, const results_meta *meta,
                   const train_params *runs, size_t n_runs, results_writer **out,
                   sweep_error *err)
{
    *out = NULL;
    if (start_hdf5(path, n_runs, err) < 0 || paths_make_parent_folders(path, err) < 0 ||
        check_output_path(path, overwrite, err) < 0)
        return -1;
    return create_writer(path, meta, runs, n_runs, false, NULL, 0, NULL, out, err);
}

int results_create_resumed(const char *path, const results_meta *meta, const train_params *runs,
                           size_t n_runs, const long long *copy_from, results_writer **out,
                           sweep_error *err)
{
    *out = NULL;
    if (start_hdf5(path, n_runs, err) < 0)
        return -1;
    results_origin *origins = single_source_origins(copy_from, n_runs);
    if (origins == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    const char *sources[1] = {path};
    int status = create_writer(path, meta, runs, n_runs, false, sources, 1, origins, out, err);
    free(origins);
    return status;
}

int results_create_merged(const char *path, bool overwrite, const results_meta *meta,
                          const train_params *runs, size_t n_runs, const char *const *sources,
                          int n_sources, const results_origin *origins, results_writer **out,
                          sweep_error *err)
{
    *out = NULL;
    if (start_hdf5(path, n_runs, err) < 0 || paths_make_parent_folders(path, err) < 0 ||
        check_output_path(path, overwrite, err) < 0)
        return -1;
    for (size_t run = 0; run < n_runs; run++)
        if (origins[run].source >= n_sources)
            return error_set(err, ERROR_RUNTIME, "cannot write results file %s: run %zu comes "
                             "from source %d of %d", path, run, origins[run].source, n_sources);
    return create_writer(path, meta, runs, n_runs, false, sources, n_sources, origins, out, err);
}

int results_write_run(results_writer *writer, size_t run_index, const run_result *result,
                      sweep_error *err)
{
    if (run_index >= writer->n_runs)
        return error_set(err, ERROR_RUNTIME,
                         "cannot write results file %s: no run %zu (the file has %zu)",
                         writer->path, run_index, writer->n_runs);
    if (result->status != RUN_DONE && result->status != RUN_FAILED)
        return error_set(err, ERROR_RUNTIME,
                         "cannot write results file %s: run %zu is not finished",
                         writer->path, run_index);
    if (result->epochs != writer->run_epochs[run_index] || result->train_loss == NULL ||
        result->val_loss == NULL)
        return error_set(err, ERROR_RUNTIME,
                         "cannot write results file %s: run %zu has curves of %d epochs, "
                         "expected %d", writer->path, run_index, result->epochs,
                         writer->run_epochs[run_index]);

    /* NUL-padded to the fixed width; the struct's buffer need not hold a
     * terminator. */
    char failure[FAILURE_BYTES];
    memset(failure, 0, sizeof failure);
    if (result->status == RUN_FAILED)
        memcpy(failure, result->failure, strnlen(result->failure, sizeof result->failure));
    int8_t status = (int8_t)result->status;
    hsize_t run = run_index, epochs = (hsize_t)result->epochs;

    /* status last, after the rest is flushed: until it is on disk the run
     * reads as pending, whatever of its row got there before a kill. */
    if (write_slab(writer, writer->train_loss, "train_loss", 2, run, epochs, H5T_NATIVE_DOUBLE,
                   result->train_loss, err) < 0 ||
        write_slab(writer, writer->val_loss, "val_loss", 2, run, epochs, H5T_NATIVE_DOUBLE,
                   result->val_loss, err) < 0 ||
        write_slab(writer, writer->train_score, "train_score", 1, run, 1, H5T_NATIVE_DOUBLE,
                   &result->train_score, err) < 0 ||
        write_slab(writer, writer->val_score, "val_score", 1, run, 1, H5T_NATIVE_DOUBLE,
                   &result->val_score, err) < 0 ||
        write_slab(writer, writer->test_score, "test_score", 1, run, 1, H5T_NATIVE_DOUBLE,
                   &result->test_score, err) < 0 ||
        write_slab(writer, writer->seconds, "seconds", 1, run, 1, H5T_NATIVE_DOUBLE,
                   &result->seconds, err) < 0 ||
        write_slab(writer, writer->failure, "failure", 1, run, 1, writer->failure_type, failure,
                   err) < 0)
        return -1;
    if (H5Fflush(writer->file, H5F_SCOPE_LOCAL) < 0)
        return hdf5_error(err, writer->path, "flushing run %zu", run_index);
    if (write_slab(writer, writer->status, "status", 1, run, 1, H5T_NATIVE_INT8, &status,
                   err) < 0)
        return -1;
    if (H5Fflush(writer->file, H5F_SCOPE_LOCAL) < 0)
        return hdf5_error(err, writer->path, "flushing run %zu", run_index);
    return 0;
}

int results_close(results_writer *writer, bool compact, sweep_error *err)
{
    if (writer == NULL)
        return 0;
    if (!compact || writer->compressed)
        return writer_delete(writer, err);
    if (writer_close_file(writer, err) < 0) {
        sweep_error ignored;
        writer_delete(writer, &ignored);
        return -1;
    }
    /* The final form: the same rows, compressed, built beside the file. */
    int status = -1;
    results_origin *identity = single_source_origins(NULL, writer->n_runs);
    results_writer *compact_writer = NULL;
    if (identity == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    /* The file just written, by its own name: a link swapped meanwhile must
     * not redirect the rewrite. */
    const char *sources[1] = {writer->target_path};
    if (create_writer(writer->target_path, &writer->meta, writer->runs, writer->n_runs, true,
                      sources, 1, identity, &compact_writer, err) < 0) {
        /* Say that nothing was lost. */
        char reason[sizeof err->message];
        snprintf(reason, sizeof reason, "%s", err->message);
        error_set(err, ERROR_RUNTIME, "%s (compressing; the uncompressed file is complete)",
                  reason);
        goto cleanup;
    }
    status = writer_delete(compact_writer, err);
cleanup:
    free(identity);
    if (status != 0) {
        sweep_error ignored;
        writer_delete(writer, &ignored);
    } else {
        status = writer_delete(writer, err);
    }
    return status;
}
