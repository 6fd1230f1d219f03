/* results_read_attributes.c: a results file's root attributes read back
 * (the texts, counts and class names results_layout.c writes), each checked
 * for its kind and shape before use: an attribute edited by hand or damaged
 * is refused with a one-line ERROR_INPUT, and an absent one reads as "" or
 * -1, since files of earlier versions lack some of them.
 */
#include "results.h"
#include "results_reader.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

/* Open root attribute `name` if it exists and is a single value (*attribute
 * stays invalid when absent). */
static int open_attribute(const results_source *source, const char *name, hid_t *attribute,
                          sweep_error *err)
{
    *attribute = H5I_INVALID_HID;
    htri_t exists = H5Aexists(source->file, name);
    if (exists < 0)
        return results_damaged(err, source->path, "looking for attribute '%s'", name);
    if (exists == 0)
        return 0;
    hid_t opened = H5Aopen(source->file, name, H5P_DEFAULT);
    hid_t space = opened >= 0 ? H5Aget_space(opened) : H5I_INVALID_HID;
    int status = 0;
    if (space < 0)
        status = results_damaged(err, source->path, "opening attribute '%s'", name);
    else if (H5Sget_simple_extent_type(space) != H5S_SCALAR)
        status = results_not_valid(err, source->path, "attribute '%s' is not a single value", name);
    if (space >= 0)
        H5Sclose(space);
    if (status == 0)
        *attribute = opened;
    else if (opened >= 0)
        H5Aclose(opened);
    return status;
}

/* A text attribute of the root, "" when absent. Stored as variable-length
 * text (what sweep writes) or fixed-length (what some tools write). */
static int read_text_attribute(const results_source *source, const char *name, char **text,
                               sweep_error *err)
{
    hid_t attribute = H5I_INVALID_HID, stored = H5I_INVALID_HID, memory = H5I_INVALID_HID;
    char *value = NULL;
    int status = -1;
    *text = NULL;
    if (open_attribute(source, name, &attribute, err) != 0)
        goto cleanup;
    if (attribute < 0) {
        *text = strdup("");
        status = *text != NULL ? 0 : error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    stored = H5Aget_type(attribute);
    if (stored < 0 || H5Tget_class(stored) != H5T_STRING) {
        results_not_valid(err, source->path, "attribute '%s' is not text", name);
        goto cleanup;
    }
    bool variable = H5Tis_variable_str(stored) > 0;
    size_t size = variable ? sizeof value : H5Tget_size(stored);
    /* A fixed-length text's bytes are in the file, so cannot outnumber them. */
    if (size < 1 || size > (size_t)source->file_bytes) {
        results_not_valid(err, source->path, "attribute '%s' claims %zu bytes", name, size);
        goto cleanup;
    }
    memory = H5Tcopy(H5T_C_S1);
    char *fixed = variable ? NULL : calloc(size + 1, 1);
    if (memory < 0 || H5Tset_size(memory, variable ? H5T_VARIABLE : size) < 0 ||
        H5Tset_cset(memory, H5Tget_cset(stored)) < 0 || (!variable && fixed == NULL) ||
        H5Aread(attribute, memory, variable ? (void *)&value : (void *)fixed) < 0) {
        free(fixed);
        results_damaged(err, source->path, "reading attribute '%s'", name);
        goto cleanup;
    }
    *text = variable ? strdup(value != NULL ? value : "") : fixed;
    status = *text != NULL ? 0 : error_set(err, ERROR_RUNTIME, "out of memory");
cleanup:
    if (value != NULL)
        H5free_memory(value);
    if (memory >= 0)
        H5Tclose(memory);
    if (stored >= 0)
        H5Tclose(stored);
    if (attribute >= 0)
        H5Aclose(attribute);
    return status;
}

/* A whole-number attribute of the root, -1 when absent. */
int results_source_count_attribute(const results_source *source, const char *name, long long *value,
                                   sweep_error *err)
{
    hid_t attribute = H5I_INVALID_HID, stored = H5I_INVALID_HID;
    int status = -1;
    *value = -1;
    if (open_attribute(source, name, &attribute, err) != 0)
        goto cleanup;
    if (attribute < 0) {
        status = 0;
        goto cleanup;
    }
    stored = H5Aget_type(attribute);
    if (stored < 0 || !results_is_plain_integer(stored)) {
        results_not_valid(err, source->path, "attribute '%s' is not a whole number", name);
        goto cleanup;
    }
    if (H5Aread(attribute, H5T_NATIVE_LLONG, value) < 0) {
        *value = -1;
        results_damaged(err, source->path, "reading attribute '%s'", name);
        goto cleanup;
    }
    status = 0;
cleanup:
    if (stored >= 0)
        H5Tclose(stored);
    if (attribute >= 0)
        H5Aclose(attribute);
    return status;
}

/* Most classes a target may have (labels.h allows 10,000). */
#define RESULTS_MAX_CLASSES 10000

/* `n_classes` and `class_names` (a 1-D array of text, one per class), both
 * optional; when either is there, both must be and must agree. */
static int read_class_names(const results_source *source, results_index *index, sweep_error *err)
{
    long long n_classes = -1;
    hid_t attribute = H5I_INVALID_HID, space = H5I_INVALID_HID, stored = H5I_INVALID_HID;
    hid_t memory = H5I_INVALID_HID;
    char **values = NULL;
    hsize_t count = 0;
    int status = -1;
    index->n_classes = -1;
    if (results_source_count_attribute(source, "n_classes", &n_classes, err) != 0)
        goto cleanup;
    htri_t exists = H5Aexists(source->file, "class_names");
    if (exists < 0) {
        results_damaged(err, source->path, "looking for attribute 'class_names'");
        goto cleanup;
    }
    if (n_classes == -1 && exists == 0) {
        status = 0;
        goto cleanup;
    }
    if (n_classes < 2 || n_classes > RESULTS_MAX_CLASSES || exists == 0) {
        results_not_valid(err, source->path,
                          exists == 0 ? "'n_classes' without 'class_names'"
                                      : "'n_classes' is %lld, not in 2..%d",
                          n_classes, RESULTS_MAX_CLASSES);
        goto cleanup;
    }
    attribute = H5Aopen(source->file, "class_names", H5P_DEFAULT);
    space = attribute >= 0 ? H5Aget_space(attribute) : H5I_INVALID_HID;
    stored = attribute >= 0 ? H5Aget_type(attribute) : H5I_INVALID_HID;
    if (space < 0 || stored < 0) {
        results_damaged(err, source->path, "opening attribute 'class_names'");
        goto cleanup;
    }
    if (H5Sget_simple_extent_ndims(space) != 1 ||
        H5Sget_simple_extent_dims(space, &count, NULL) != 1 || count != (hsize_t)n_classes ||
        H5Tget_class(stored) != H5T_STRING || H5Tis_variable_str(stored) <= 0) {
        results_not_valid(err, source->path, "'class_names' is not a list of %lld texts",
                          n_classes);
        goto cleanup;
    }
    values = calloc((size_t)count, sizeof *values);
    index->class_names = calloc((size_t)count, sizeof *index->class_names);
    memory = H5Tcopy(H5T_C_S1);
    if (values == NULL || index->class_names == NULL || memory < 0) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    index->n_classes = (int)count; /* from here results_index_free frees the names */
    if (H5Tset_size(memory, H5T_VARIABLE) < 0 || H5Tset_cset(memory, H5T_CSET_UTF8) < 0 ||
        H5Aread(attribute, memory, values) < 0) {
        results_damaged(err, source->path, "reading attribute 'class_names'");
        goto cleanup;
    }
    for (hsize_t k = 0; k < count; k++)
        if ((index->class_names[k] = strdup(values[k] != NULL ? values[k] : "")) == NULL) {
            error_set(err, ERROR_RUNTIME, "out of memory");
            goto cleanup;
        }
    status = 0;
cleanup:
    if (values != NULL) {
        for (hsize_t k = 0; k < count; k++)
            if (values[k] != NULL)
                H5free_memory(values[k]);
        free(values);
    }
    if (memory >= 0)
        H5Tclose(memory);
    if (stored >= 0)
        H5Tclose(stored);
    if (space >= 0)
        H5Sclose(space);
    if (attribute >= 0)
        H5Aclose(attribute);
    return status;
}

int results_read_attributes(const results_source *source, results_index *index, sweep_error *err)
{
    struct {
        const char *name;
        char **text;
    } texts[] = {{"dataset", &index->dataset_name},
                 {"data_checksum", &index->data_checksum},
                 {"config", &index->config_text},
                 {"config_path", &index->config_path},
                 {"overrides", &index->overrides},
                 {"effective_config", &index->effective_config},
                 {"version", &index->version},
                 {"start_time_utc", &index->start_time_utc},
                 {"host", &index->host},
                 {"shard", &index->shard},
                 {"model", &index->model}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (read_text_attribute(source, texts[i].name, texts[i].text, err) != 0)
            return -1;
    if (index->model[0] == '\0') { /* made before models could be chosen */
        free(index->model);
        if ((index->model = strdup("minibatch")) == NULL)
            return error_set(err, ERROR_RUNTIME, "out of memory");
    }
    struct {
        const char *name;
        int *value;
    } counts[] = {{"n_train", &index->n_train}, {"n_val", &index->n_val},
                  {"n_test", &index->n_test},   {"n_features", &index->n_features},
                  {"threads", &index->threads}, {"ranks", &index->ranks}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        long long value = -1;
        if (results_source_count_attribute(source, counts[i].name, &value, err) != 0)
            return -1;
        *counts[i].value = value >= INT_MIN && value <= INT_MAX ? (int)value : -1;
    }
    if (results_source_count_attribute(source, "grid_runs", &index->grid_runs, err) != 0)
        return -1;
    return read_class_names(source, index, err);
}
