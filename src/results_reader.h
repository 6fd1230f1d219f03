/* results_reader.h: what the parts of the results reader share.
 *
 * Internal to the results module, like results_writer.h: results_read.c
 * opens and checks a file and reads its datasets; results_read_attributes.c
 * its root attributes; results_read_cv.c its cross-validation. The source's
 * HDF5 ids make this header one that only those files include.
 */
#ifndef SWEEP_RESULTS_READER_H
#define SWEEP_RESULTS_READER_H

#include <stdbool.h>

#include <hdf5.h>

#include "results_source.h"

/* The loss curves are in every file; the accuracy curves only in files of
 * later versions, which have both or neither. */
#define CURVE_COUNT 4
#define LOSS_CURVES 2

struct results_source {
    char *path;           /* as given, for messages */
    long long file_bytes; /* its size when opened */
    hid_t file;
    hid_t curves[CURVE_COUNT]; /* (n_runs, n_epochs) in CURVE_NAMES' order; accuracy maybe absent */
    bool has_accuracy;
    size_t n_runs;
    size_t n_epochs;
};

/* A file that is not what `sweep` writes: ERROR_INPUT, "PATH: not a valid
 * sweep results file: WHAT". Returns -1. */
__attribute__((format(printf, 3, 4))) int results_not_valid(sweep_error *err, const char *path,
                                                            const char *what_fmt, ...);

/* An HDF5 call on the file failed: ERROR_INPUT, "PATH: truncated or damaged
 * (WHAT: HDF5's reason)". Returns -1. */
__attribute__((format(printf, 3, 4))) int results_damaged(sweep_error *err, const char *path,
                                                          const char *what_fmt, ...);

/* An integer type of 1, 2, 4 or 8 bytes. */
bool results_is_plain_integer(hid_t type);

/* The root attributes every file may carry (texts, counts, classes) into
 * `index`; absent ones read as "" or -1. */
int results_read_attributes(const results_source *source, results_index *index, sweep_error *err);

#endif
