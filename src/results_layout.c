/* results_layout.c: every dataset and attribute of the results file.
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
 * Everything is created, with space allocated, before the first run trains
 * (see results.c).
 */
#include "results_writer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- small HDF5 helpers ------------------------------------------------- */

/* Write an attribute: a scalar when count is 0, else a 1-D array. */
static int write_attribute(const results_writer *writer, hid_t object, const char *name,
                           hid_t file_type, hid_t memory_type, hsize_t count, const void *values,
                           sweep_error *err)
{
    int status = -1;
    hid_t space = H5I_INVALID_HID, attribute = H5I_INVALID_HID;
    space = count == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, NULL);
    if (space < 0) {
        results_hdf5_error(err, writer->path, "attribute %s", name);
        goto cleanup;
    }
    attribute = H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attribute < 0 || H5Awrite(attribute, memory_type, values) < 0) {
        results_hdf5_error(err, writer->path, "attribute %s", name);
        goto cleanup;
    }
    status = 0;
cleanup:
    if (attribute >= 0 && H5Aclose(attribute) < 0 && status == 0)
        status = results_hdf5_error(err, writer->path, "attribute %s", name);
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
static int write_nc_properties(const results_writer *writer, const char *version, sweep_error *err)
{
    int status = -1;
    hid_t type = H5I_INVALID_HID;
    char text[160];
    unsigned major = 0, minor = 0, release = 0;
    if (H5get_libversion(&major, &minor, &release) < 0) {
        results_hdf5_error(err, writer->path, "attribute _NCProperties");
        goto cleanup;
    }
    snprintf(text, sizeof text, "version=2,sweep=%s,hdf5=%u.%u.%u",
             version != NULL ? version : "unknown", major, minor, release);
    type = H5Tcopy(H5T_C_S1);
    if (type < 0 || H5Tset_size(type, strlen(text)) < 0 ||
        H5Tset_strpad(type, H5T_STR_NULLTERM) < 0 || H5Tset_cset(type, H5T_CSET_ASCII) < 0) {
        results_hdf5_error(err, writer->path, "attribute _NCProperties");
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
        results_hdf5_error(err, writer->path, "dataset %s", name);
        if (properties >= 0)
            H5Pclose(properties);
        return H5I_INVALID_HID;
    }
    return properties;
}

static hid_t create_dataset(const results_writer *writer, const char *name, hid_t type, int rank,
                            const hsize_t *dims, hid_t properties, sweep_error *err)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (space < 0) {
        results_hdf5_error(err, writer->path, "dataset %s", name);
        return H5I_INVALID_HID;
    }
    hid_t variable =
        H5Dcreate2(writer->file, name, type, space, H5P_DEFAULT, properties, H5P_DEFAULT);
    if (variable < 0)
        results_hdf5_error(err, writer->path, "dataset %s", name);
    H5Sclose(space);
    return variable;
}

/* Write `count` values from `values` into a 1-D dataset at [start, start+count),
 * or into row `start` of a 2-D dataset at columns [0, count). */
int results_write_slab(const results_writer *writer, hid_t variable, const char *name, int rank,
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
        H5Dwrite(variable, memory_type, memory_space, file_space, writer->transfer, values) < 0) {
        results_hdf5_error(err, writer->path, "writing %s", name);
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
        if (results_write_slab(writer, scale, name, 1, start, count, H5T_NATIVE_INT64, block, err) <
            0)
            goto fail;
    }
    if (H5DSset_scale(scale, name) < 0) {
        results_hdf5_error(err, writer->path, "dimension %s", name);
        goto fail;
    }
    int32_t dimid = netcdf_dimid;
    if (write_attribute(writer, scale, "_Netcdf4Dimid", H5T_STD_I32LE, H5T_NATIVE_INT32, 0, &dimid,
                        err) < 0 ||
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
        return results_hdf5_error(err, writer->path, "attaching dimension %u of %s", axis, name);
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
        hid_t file_type = !info->is_integer       ? H5T_IEEE_F64LE
                          : info->max > INT32_MAX ? H5T_STD_I64LE
                                                  : H5T_STD_I32LE;
        variable = create_dataset(writer, info->name, file_type, 1, &n_runs, properties, err);
        if (variable < 0)
            goto cleanup;
        for (size_t run = 0; run < writer->n_runs; run++) {
            reals[run] = params_get(&runs[run], (param_id)id);
            integers[run] = (int64_t)reals[run]; /* exact: whole numbers in range */
        }
        if (results_write_slab(writer, variable, info->name, 1, 0, n_runs,
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
            results_hdf5_error(err, writer->path, "writing %s", info->name);
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

/* An int32 (run) dataset of values known up front, from `values`. */
static int create_run_index(const results_writer *writer, const char *name, const char *long_name,
                            const int64_t *values, hid_t run_scale, sweep_error *err)
{
    hsize_t n_runs = writer->n_runs;
    hid_t properties = make_creation_properties(writer, name, 0, NULL, true, err);
    if (properties < 0)
        return -1;
    hid_t variable = create_dataset(writer, name, H5T_STD_I32LE, 1, &n_runs, properties, err);
    int status = -1;
    if (variable >= 0 &&
        results_write_slab(writer, variable, name, 1, 0, n_runs, H5T_NATIVE_INT64, values, err) >=
            0 &&
        write_text_attribute(writer, variable, "long_name", long_name, err) >= 0 &&
        attach_dimension(writer, variable, name, run_scale, 0, err) >= 0)
        status = 0;
    /* Closing writes out what HDF5 still buffers of the values. */
    if (variable >= 0 && H5Dclose(variable) < 0 && status == 0)
        status = results_hdf5_error(err, writer->path, "writing %s", name);
    H5Pclose(properties);
    return status;
}

/* `fold` and `repeat` of every run, after the hyperparameters: they say
 * which rows a run was scored on. Only under cross-validation, so that a
 * file without it has the layout it always had (scripts/compare.py, too,
 * reads a file without `fold` as one without cv). */
static int create_folds(const results_writer *writer, const train_params *runs, hid_t run_scale,
                        sweep_error *err)
{
    if (writer->meta.cv.n_splits <= 0)
        return 0;
    int64_t *values = malloc(writer->n_runs * sizeof *values); /* (n_runs) */
    if (values == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    for (size_t run = 0; run < writer->n_runs; run++)
        values[run] = runs[run].fold;
    int status = create_run_index(writer, "fold",
                                  "cross-validation fold whose rows were the val rows", values,
                                  run_scale, err);
    for (size_t run = 0; run < writer->n_runs; run++)
        values[run] = runs[run].repeat;
    if (status == 0)
        status = create_run_index(writer, "repeat", "cross-validation repeat of the fold", values,
                                  run_scale, err);
    free(values);
    return status;
}

/* A float64 (run) result, NaN until its run is written. `units` may be NULL. */
static hid_t create_run_real(const results_writer *writer, const char *name, const char *long_name,
                             const char *units, hid_t run_scale, sweep_error *err)
{
    hid_t properties = H5I_INVALID_HID, variable = H5I_INVALID_HID;
    hsize_t n_runs = writer->n_runs;
    double fill = NAN;
    properties = make_creation_properties(writer, name, H5T_NATIVE_DOUBLE, &fill, true, err);
    if (properties < 0)
        goto fail;
    variable = create_dataset(writer, name, H5T_IEEE_F64LE, 1, &n_runs, properties, err);
    if (variable < 0 ||
        write_attribute(writer, variable, "_FillValue", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &fill,
                        err) < 0 ||
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
    properties = make_creation_properties(writer, "status", H5T_NATIVE_INT8, &pending, true, err);
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
    variable = create_dataset(writer, "failure", writer->failure_type, 1, &n_runs, properties, err);
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

hsize_t results_curve_chunk_runs(const results_writer *writer)
{
    hsize_t epochs = (hsize_t)writer->max_epochs;
    hsize_t epochs_per_chunk = epochs < CURVE_CHUNK_MAX_EPOCHS ? epochs : CURVE_CHUNK_MAX_EPOCHS;
    hsize_t runs_per_chunk = CURVE_CHUNK_MIN_VALUES / epochs_per_chunk;
    if (runs_per_chunk < 1)
        runs_per_chunk = 1;
    if (runs_per_chunk > writer->n_runs)
        runs_per_chunk = writer->n_runs;
    return runs_per_chunk;
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
    hsize_t chunk[2] = {results_curve_chunk_runs(writer), epochs_per_chunk};
    double fill = NAN;
    const int32_t coordinates[2] = {0, 1}; /* the _Netcdf4Dimid of run and epoch */

    /* While runs are written: every chunk allocated (and NaN-filled) now, so
     * a run's row is overwritten in place. Final form: compressed, which
     * needs chunks allocated as they are written. */
    properties =
        make_creation_properties(writer, name, H5T_NATIVE_DOUBLE, &fill, !writer->compressed, err);
    if (properties < 0)
        goto fail;
    if (H5Pset_chunk(properties, 2, chunk) < 0 ||
        (writer->compressed &&
         (H5Pset_shuffle(properties) < 0 || H5Pset_deflate(properties, CURVE_DEFLATE_LEVEL) < 0))) {
        results_hdf5_error(err, writer->path, "dataset %s", name);
        goto fail;
    }
    variable = create_dataset(writer, name, H5T_IEEE_F64LE, 2, dims, properties, err);
    if (variable < 0 ||
        write_attribute(writer, variable, "_FillValue", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &fill,
                        err) < 0 ||
        write_text_attribute(writer, variable, "long_name", long_name, err) < 0 ||
        write_attribute(writer, variable, "_Netcdf4Coordinates", H5T_STD_I32LE, H5T_NATIVE_INT32, 2,
                        coordinates, err) < 0 ||
        attach_dimension(writer, variable, name, run_scale, 0, err) < 0 ||
        attach_dimension(writer, variable, name, epoch_scale, 1, err) < 0)
        goto fail;
    return finish_variable(properties, variable, true);
fail:
    return finish_variable(properties, variable, false);
}

int results_write_root_attributes(const results_writer *writer, const results_meta *meta,
                                  sweep_error *err)
{
    hid_t root = writer->file;
    if (write_text_attribute(writer, root, "title", "sweep: hyperparameter sweep results", err) <
            0 ||
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
    if (write_text_attribute(writer, root, "model", meta->model != NULL ? meta->model : "minibatch",
                             err) < 0)
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
    /* Only under cross-validation, like `fold` and `repeat`. */
    const fold_settings *cv = &meta->cv;
    if (cv->n_splits > 0 &&
        (write_int_attribute(writer, root, "cv_folds", cv->n_splits, err) < 0 ||
         write_int_attribute(writer, root, "cv_repeats", cv->n_repeats, err) < 0 ||
         write_int_attribute(writer, root, "cv_shuffle", cv->shuffle ? 1 : 0, err) < 0 ||
         write_attribute(writer, root, "cv_seed", H5T_STD_I64LE, H5T_NATIVE_INT64, 0,
                         &(int64_t){(int64_t)cv->seed}, err) < 0))
        return -1;
    if (write_nc_properties(writer, meta->version, err) < 0)
        return -1;
    return 0;
}

/* Every variable, in the order readers list them: the hyperparameters, then
 * the per-run results, then the curves (the dimensions come first). */
int results_create_layout(results_writer *writer, const train_params *runs, sweep_error *err)
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
    if (create_hyperparameters(writer, runs, run_scale, err) < 0 ||
        create_folds(writer, runs, run_scale, err) < 0)
        goto cleanup;
    if ((writer->status = create_status(writer, run_scale, err)) < 0 ||
        (writer->train_score = create_run_real(writer, "train_score", "accuracy on the train rows",
                                               NULL, run_scale, err)) < 0 ||
        (writer->val_score = create_run_real(writer, "val_score", "accuracy on the val rows", NULL,
                                             run_scale, err)) < 0 ||
        (writer->test_score = create_run_real(writer, "test_score",
                                              "accuracy on the test rows (NaN without any)", NULL,
                                              run_scale, err)) < 0 ||
        (writer->seconds = create_run_real(writer, "seconds", "wall time of the training", "s",
                                           run_scale, err)) < 0 ||
        (writer->failure = create_failure(writer, run_scale, err)) < 0 ||
        (writer->train_loss = create_curve(writer, "train_loss",
                                           "loss on the train rows after each epoch", run_scale,
                                           epoch_scale, err)) < 0 ||
        (writer->val_loss = create_curve(writer, "val_loss",
                                         "loss on the val rows after each epoch", run_scale,
                                         epoch_scale, err)) < 0)
        goto cleanup;
    /* After the loss curves, so that the variables older files have keep
     * their order. */
    if ((writer->train_acc = create_curve(writer, "train_acc",
                                          "accuracy on the train rows during each epoch's "
                                          "batches (the weights moving)",
                                          run_scale, epoch_scale, err)) < 0 ||
        (writer->val_acc = create_curve(writer, "val_acc",
                                        "accuracy on the val rows after each epoch", run_scale,
                                        epoch_scale, err)) < 0)
        goto cleanup;
    status = 0;
cleanup:
    /* Closing writes out what HDF5 still buffers of the coordinates. */
    if (epoch_scale >= 0 && H5Dclose(epoch_scale) < 0 && status == 0)
        status = results_hdf5_error(err, writer->path, "writing epoch");
    if (run_scale >= 0 && H5Dclose(run_scale) < 0 && status == 0)
        status = results_hdf5_error(err, writer->path, "writing run");
    return status;
}
