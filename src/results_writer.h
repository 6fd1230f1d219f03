/* results_writer.h: what the parts of the results writer share.
 *
 * Internal to the results module. results.c owns the file's life (the
 * output path, building it as TARGET.partial and renaming it, writing runs,
 * closing and compacting); results_layout.c creates every dataset and
 * attribute of the netCDF-4 layout; results_copy.c carries rows over from
 * existing files (--resume, merge, compaction). They share the writer,
 * whose HDF5 ids make this header, unlike results.h, one that only the
 * results module's files include.
 */
#ifndef SWEEP_RESULTS_WRITER_H
#define SWEEP_RESULTS_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include <hdf5.h>

#include "results.h"

/* Bytes of a run's `failure` text in the file (train.h's buffer). */
#define FAILURE_BYTES ((size_t)sizeof(((run_result *)0)->failure))

struct results_writer {
    char *path;         /* the file as given, for messages */
    char *target_path;  /* the file written: PATH, or the file a link PATH leads to */
    char *partial_path; /* TARGET.partial: where the file is built before it is renamed */
    bool compressed;    /* final form (compressed curves) rather than in-place form */
    train_params *runs; /* (n_runs) copy, to rebuild the file compressed at the end */
    results_meta meta;  /* copy of the root attributes; strings owned */
    hid_t file;
    hid_t string_type;  /* variable-length UTF-8 string (attributes) */
    hid_t failure_type; /* FAILURE_BYTES-long UTF-8 string (the failure dataset) */
    hid_t transfer;     /* dataset-transfer properties of every write */
    hid_t train_loss;   /* (n_runs, max_epochs) float64 */
    hid_t val_loss;     /* (n_runs, max_epochs) float64 */
    hid_t train_acc;    /* (n_runs, max_epochs) float64 */
    hid_t val_acc;      /* (n_runs, max_epochs) float64 */
    hid_t train_score;  /* (n_runs) float64 */
    hid_t val_score;    /* (n_runs) float64 */
    hid_t test_score;   /* (n_runs) float64 */
    hid_t seconds;      /* (n_runs) float64 */
    hid_t failure;      /* (n_runs) string */
    hid_t status;       /* (n_runs) int8 */
    size_t n_runs;
    int max_epochs;  /* the longest run's epochs: the curves' width */
    int *run_epochs; /* (n_runs) each run's epochs, to check results against */
    /* The compressed final form, built in memory while runs are written
     * (results_compact.c); NULL until the first run, and after giving up. */
    struct results_compaction *compaction;
};

/* Report a failed HDF5 call as "cannot write results file PATH: WHAT: REASON"
 * (ERROR_RUNTIME); returns -1. Must be called before any other HDF5 call,
 * which would clear the stack. */
__attribute__((format(printf, 3, 4))) int results_hdf5_error(sweep_error *err, const char *path,
                                                             const char *what_fmt, ...);

/* Write `count` values from `values` into a 1-D dataset at [start, start+count),
 * or into row `start` of a 2-D dataset at columns [0, count). */
int results_write_slab(const results_writer *writer, hid_t variable, const char *name, int rank,
                       hsize_t start, hsize_t count, hid_t memory_type, const void *values,
                       sweep_error *err);

/* The root attributes of writer->meta (results_layout.c). */
int results_write_root_attributes(const results_writer *writer, const results_meta *meta,
                                  sweep_error *err);

/* Every dimension and variable, each run pending (results_layout.c); fills
 * the writer's dataset ids. */
int results_create_layout(results_writer *writer, const train_params *runs, sweep_error *err);

/* Runs per chunk of the curves (their first dimension; results_layout.c):
 * the same for the working and the final form of a file. */
hsize_t results_curve_chunk_runs(const results_writer *writer);

/* ---- the final form built as runs come (results_compact.c) ----
 *
 * A complete sweep ends with its file rewritten compressed. Done at the end,
 * that rewrite (reading every curve back and deflating it) kept every core
 * but one idle; so thread 0, the only writer, builds the compressed copy in
 * memory while the workers train: each time every run of a block of curve
 * chunks has been written, the block is copied. The working file is written
 * exactly as before (what reaches the disk when is unchanged); the copy only
 * replaces it at the end, by the same rename. */

/* Note that `run` was written (after its status reached the file). Never
 * fails: a compaction that cannot go on is dropped, and results_close then
 * rewrites the file at the end as before. */
void results_compaction_note_run(results_writer *writer, size_t run);

/* At results_close of a complete sweep: finish the copy (the blocks left,
 * the per-run values), close the working file and put the copy in its place.
 * 1 when done (the working file is closed), 0 when there is no copy to
 * finish (nothing was done: rewrite the file as before), -1 on an error
 * (err set: the working file, closed, is complete). */
int results_compaction_finish(results_writer *writer, sweep_error *err);

/* Drop the copy (an interrupted sweep, or an error). */
void results_compaction_free(results_writer *writer);

/* Blocks in the copy so far (0 without a copy, or after giving up). */
size_t results_compaction_blocks_copied(const results_writer *writer);

/* What results_compact.c needs of results.c: a compressed writer of the same
 * runs and root attributes whose file is in memory (HDF5's core driver, no
 * file on disk; NULL when it cannot be made); closing a writer's datasets
 * and types but not its file; writing a file image at TARGET.partial, on
 * disk, and renaming it to TARGET; deleting a writer. */
results_writer *results_writer_in_memory(const results_writer *from);
int results_writer_close_objects(results_writer *writer, sweep_error *err);
int results_put_image_in_place(const results_writer *writer, const void *image, size_t size,
                               sweep_error *err);
int results_writer_delete(results_writer *writer, sweep_error *err);

/* Carry over rows of old files: new run i takes row origins[i].row of file
 * sources[origins[i].source] (nothing when the source is < 0)
 * (results_copy.c). */
int results_copy_rows(results_writer *writer, const char *const *sources, int n_sources,
                      const results_origin *origins, sweep_error *err);

#endif
