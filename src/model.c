/* model.c: the table of models and the buffers they share. See model.h. */
#include "model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const model_ops *const MODELS[MODEL_COUNT] = {
    [MODEL_MINIBATCH] = &MODEL_MINIBATCH_OPS,
    [MODEL_MULTICLASS] = &MODEL_MULTICLASS_OPS,
};

const model_ops *model_get(model_id id)
{
    return (unsigned)id < MODEL_COUNT ? MODELS[id] : MODELS[MODEL_MINIBATCH];
}

int model_find(const char *name)
{
    for (int id = 0; id < MODEL_COUNT; id++)
        if (strcmp(MODELS[id]->name, name) == 0)
            return id;
    return -1;
}

const char *model_names(void)
{
    return "minibatch, multiclass";
}

int model_buffer_reserve(model_buffer *buffer, size_t needed, sweep_error *err)
{
    if (needed <= buffer->capacity)
        return 0;
    model_buffer_free(buffer);
    size_t rounded = (needed + 7) / 8 * 8; /* aligned_alloc: a multiple of the alignment */
    if (rounded > SIZE_MAX / sizeof(double))
        return error_set(err, ERROR_RUNTIME, "training arrays of %zu doubles are too large",
                         needed);
    /* 64 bytes: vectors do not straddle cache lines */
    buffer->data = aligned_alloc(64, rounded * sizeof(double));
    if (buffer->data == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for training arrays of %zu doubles",
                         needed);
    memset(buffer->data, 0, rounded * sizeof(double));
    buffer->capacity = rounded;
    return 0;
}

void model_buffer_free(model_buffer *buffer)
{
    free(buffer->data);
    buffer->data = NULL;
    buffer->capacity = 0;
}

int model_int_reserve(int **array, size_t *capacity, size_t needed, sweep_error *err)
{
    if (needed <= *capacity)
        return 0;
    free(*array);
    *capacity = 0;
    *array = needed <= SIZE_MAX / sizeof(int) ? malloc(needed * sizeof(int)) : NULL;
    if (*array == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for %zu row numbers", needed);
    *capacity = needed;
    return 0;
}
