/* results_compact.c: the compressed final form of a results file, built in
 * memory while the runs are written (see results_writer.h).
 *
 * The curves of the final form are chunked by blocks of whole runs
 * (results_curve_chunk_runs). Once every run of a block has been written to
 * the working file, thread 0 reads the block's curves back from it and
 * writes them into the copy, whose chunks bypass HDF5's chunk cache: each
 * is deflated as it is written, during the sweep, on the core that writes
 * results. At the end only the blocks still incomplete then (runs kept by
 * --resume, the last runs trained) and the per-run values are copied, and
 * the copy's image is written beside the file and renamed over it.
 *
 * The copy is an optimisation, never a second source of truth: whatever
 * goes wrong with it (memory, an HDF5 error) drops it, and results_close
 * rewrites the working file at the end as it always did.
 */
#include "results_writer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

/* The copy lives in memory until the end, and then once more as the image
 * written out: sweeps whose curves exceed this many bytes (uncompressed; 4
 * curves of n_runs x max_epochs doubles) are rewritten at the end instead.
 * 128 MiB holds 8,000 runs of 500 epochs or 80,000 of 50. */
#define COMPACT_IN_MEMORY_MAX_BYTES ((double)(128u << 20))

struct results_compaction {
    results_writer *copy; /* the final form, in memory */
    size_t block_runs;    /* runs per block: one chunk row of the curves */
    size_t n_blocks;
    size_t *written;   /* (n_blocks) runs of each block written so far */
    bool *run_written; /* (n_runs) counted in `written` */
    bool *copied;      /* (n_blocks) the block is in the copy */
    double *rows;      /* (block_runs x max_epochs) one block of one curve */
    bool given_up;     /* dropped after a failure: not started again */
};

static void compaction_drop(struct results_compaction *compaction)
{
    if (compaction->copy != NULL) {
        sweep_error ignored;
        results_writer_delete(compaction->copy, &ignored);
        compaction->copy = NULL;
    }
    free(compaction->written);
    free(compaction->run_written);
    free(compaction->copied);
    free(compaction->rows);
    compaction->written = NULL;
    compaction->run_written = NULL;
    compaction->copied = NULL;
    compaction->rows = NULL;
    compaction->given_up = true;
}

void results_compaction_free(results_writer *writer)
{
    if (writer->compaction == NULL)
        return;
    compaction_drop(writer->compaction);
    free(writer->compaction);
    writer->compaction = NULL;
}

size_t results_compaction_blocks_copied(const results_writer *writer)
{
    const struct results_compaction *compaction = writer->compaction;
    size_t copied = 0;
    for (size_t block = 0;
         compaction != NULL && !compaction->given_up && block < compaction->n_blocks; block++)
        copied += compaction->copied[block];
    return copied;
}

/* The copy, its layout made, when the sweep's curves fit in memory. */
static struct results_compaction *compaction_new(const results_writer *writer)
{
    struct results_compaction *compaction = calloc(1, sizeof *compaction);
    if (compaction == NULL)
        return NULL;
    compaction->given_up = true;
    double curve_bytes = 4.0 * 8.0 * (double)writer->n_runs * writer->max_epochs;
    if (curve_bytes > COMPACT_IN_MEMORY_MAX_BYTES)
        return compaction;
    size_t block_runs = (size_t)results_curve_chunk_runs(writer);
    size_t n_blocks = (writer->n_runs + block_runs - 1) / block_runs;
    compaction->block_runs = block_runs;
    compaction->n_blocks = n_blocks;
    compaction->written = calloc(n_blocks, sizeof *compaction->written);
    compaction->copied = calloc(n_blocks, sizeof *compaction->copied);
    compaction->run_written = calloc(writer->n_runs, sizeof *compaction->run_written);
    compaction->rows = malloc(block_runs * (size_t)writer->max_epochs * sizeof *compaction->rows);
    compaction->copy = results_writer_in_memory(writer);
    if (compaction->written == NULL || compaction->copied == NULL ||
        compaction->run_written == NULL || compaction->rows == NULL || compaction->copy == NULL) {
        compaction_drop(compaction);
        return compaction;
    }
    compaction->given_up = false;
    return compaction;
}

static size_t block_size(const results_writer *writer, const struct results_compaction *compaction,
                         size_t block)
{
    size_t first = block * compaction->block_runs;
    size_t left = writer->n_runs - first;
    return left < compaction->block_runs ? left : compaction->block_runs;
}

/* Read rows [first, first + count) of a curve of the working file into
 * `rows` and write them to the same rows of the copy. */
static int copy_curve_rows(const results_writer *writer, hid_t from, hid_t to, size_t first,
                           size_t count, double *rows)
{
    int status = -1;
    hsize_t offset[2] = {first, 0}, extent[2] = {count, (hsize_t)writer->max_epochs};
    hid_t memory = H5Screate_simple(2, extent, NULL);
    hid_t from_space = H5Dget_space(from), to_space = H5Dget_space(to);
    if (memory >= 0 && from_space >= 0 && to_space >= 0 &&
        H5Sselect_hyperslab(from_space, H5S_SELECT_SET, offset, NULL, extent, NULL) >= 0 &&
        H5Sselect_hyperslab(to_space, H5S_SELECT_SET, offset, NULL, extent, NULL) >= 0 &&
        H5Dread(from, H5T_NATIVE_DOUBLE, memory, from_space, writer->transfer, rows) >= 0 &&
        H5Dwrite(to, H5T_NATIVE_DOUBLE, memory, to_space, H5P_DEFAULT, rows) >= 0)
        status = 0;
    if (memory >= 0)
        H5Sclose(memory);
    if (from_space >= 0)
        H5Sclose(from_space);
    if (to_space >= 0)
        H5Sclose(to_space);
    return status;
}

/* Copy the four curves of one block; the block's runs are all written. */
static int copy_block(const results_writer *writer, struct results_compaction *compaction,
                      size_t block)
{
    const results_writer *copy = compaction->copy;
    hid_t from[4] = {writer->train_loss, writer->val_loss, writer->train_acc, writer->val_acc};
    hid_t to[4] = {copy->train_loss, copy->val_loss, copy->train_acc, copy->val_acc};
    size_t first = block * compaction->block_runs, count = block_size(writer, compaction, block);
    for (int c = 0; c < 4; c++)
        if (copy_curve_rows(writer, from[c], to[c], first, count, compaction->rows) != 0)
            return -1;
    compaction->copied[block] = true;
    /* The copy grows as blocks are deflated into it; a file that compresses
     * worse than the bound assumed is rewritten at the end instead. */
    hsize_t size = 0;
    if (H5Fget_filesize(copy->file, &size) < 0 || (double)size > COMPACT_IN_MEMORY_MAX_BYTES)
        return -1;
    return 0;
}

void results_compaction_note_run(results_writer *writer, size_t run)
{
    if (writer->compressed)
        return;
    if (writer->compaction == NULL && (writer->compaction = compaction_new(writer)) == NULL)
        return;
    struct results_compaction *compaction = writer->compaction;
    if (compaction->given_up)
        return;
    size_t block = run / compaction->block_runs;
    /* A run written again (a sweep does not, a caller may) after its block
     * was copied: the copy would miss the later write. */
    if (compaction->copied[block]) {
        compaction_drop(compaction);
        return;
    }
    if (compaction->run_written[run])
        return;
    compaction->run_written[run] = true;
    if (++compaction->written[block] == block_size(writer, compaction, block) &&
        copy_block(writer, compaction, block) != 0)
        compaction_drop(compaction);
}

/* The per-run values (scores, seconds, failure, status) of every run, read
 * whole from the working file, into the copy. */
static int copy_run_values(const results_writer *writer, const results_writer *copy)
{
    size_t n = writer->n_runs;
    hid_t reals_from[4] = {writer->train_score, writer->val_score, writer->test_score,
                           writer->seconds};
    hid_t reals_to[4] = {copy->train_score, copy->val_score, copy->test_score, copy->seconds};
    double *reals = malloc(n * sizeof *reals);
    char *failures = malloc(n * FAILURE_BYTES);
    int8_t *status = malloc(n);
    int rc = reals != NULL && failures != NULL && status != NULL ? 0 : -1;
    for (int c = 0; c < 4 && rc == 0; c++)
        if (H5Dread(reals_from[c], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, writer->transfer, reals) <
                0 ||
            H5Dwrite(reals_to[c], H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, reals) < 0)
            rc = -1;
    if (rc == 0 &&
        (H5Dread(writer->failure, writer->failure_type, H5S_ALL, H5S_ALL, writer->transfer,
                 failures) < 0 ||
         H5Dwrite(copy->failure, copy->failure_type, H5S_ALL, H5S_ALL, copy->transfer, failures) <
             0 ||
         H5Dread(writer->status, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, writer->transfer, status) < 0 ||
         H5Dwrite(copy->status, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0))
        rc = -1;
    free(reals);
    free(failures);
    free(status);
    return rc;
}

/* The copy's file as bytes (its objects closed, the file flushed); the copy
 * is deleted either way. NULL on failure. */
static void *take_image(struct results_compaction *compaction, size_t *size)
{
    results_writer *copy = compaction->copy;
    compaction->copy = NULL;
    sweep_error ignored;
    void *image = NULL;
    if (results_writer_close_objects(copy, &ignored) == 0 &&
        H5Fflush(copy->file, H5F_SCOPE_LOCAL) >= 0) {
        ssize_t length = H5Fget_file_image(copy->file, NULL, 0);
        image = length > 0 ? malloc((size_t)length) : NULL;
        if (image != NULL && H5Fget_file_image(copy->file, image, (size_t)length) != length) {
            free(image);
            image = NULL;
        }
        *size = length > 0 ? (size_t)length : 0;
    }
    results_writer_delete(copy, &ignored);
    return image;
}

int results_compaction_finish(results_writer *writer, sweep_error *err)
{
    struct results_compaction *compaction = writer->compaction;
    if (compaction == NULL || compaction->given_up)
        return 0;
    for (size_t block = 0; block < compaction->n_blocks; block++)
        if (!compaction->copied[block] && copy_block(writer, compaction, block) != 0) {
            compaction_drop(compaction);
            return 0;
        }
    size_t size = 0;
    void *image = copy_run_values(writer, compaction->copy) == 0 ? take_image(compaction, &size)
                                                                 : NULL;
    compaction_drop(compaction);
    if (image == NULL)
        return 0;
    /* The working file is closed (and complete) before its copy replaces it. */
    int status = results_writer_close_objects(writer, err);
    if (status == 0 && H5Fclose(writer->file) < 0)
        status = results_hdf5_error(err, writer->path, "closing the file");
    writer->file = H5I_INVALID_HID;
    if (status == 0 && results_put_image_in_place(writer, image, size, err) != 0) {
        char reason[sizeof err->message];
        snprintf(reason, sizeof reason, "%s", err->message);
        error_set(err, ERROR_RUNTIME, "%s (compressing; the uncompressed file is complete)",
                  reason);
        status = -1;
    }
    free(image);
    return status == 0 ? 1 : -1;
}
