/* fuzz_results.c: libFuzzer entry point for reading results files back
 * (results_read.c, and the copy path of results.c and merge.c).
 *
 * The input is a whole results file. It is written to a temporary folder
 * and then, as `sweep` would:
 *   1. merged alone into another file (`sweep merge OUT PART`: the index,
 *      the grid expanded from its effective_config, the lock, the copy of
 *      every finished row, and, when every run is in, the compressed
 *      rewrite, which reads the merged file back);
 *   2. read as an index, and resumed into itself (`sweep --resume` with the
 *      file's own runs: every finished row copied into a new file built
 *      beside it, then renamed over it).
 * A crash, a leak or a sanitizer report is a bug, and so is any broken
 * promise, checked with abort() so that the fuzzer keeps the input:
 *   - a failure is ERROR_INPUT with a one-line message (ERROR_RUNTIME means
 *     the input got past the checks into an I/O or memory failure);
 *   - nothing is left behind: no OUT.lock, no OUT.partial, and no OUT after
 *     a failed merge;
 *   - a read index has at least one run, and status codes 0, 1 or 2.
 *
 * The temporary folder is in /dev/shm when there is one: every file sweep
 * writes is fsync'ed, which on a disk would cost more than the rest.
 *
 * Built two ways: with clang -fsanitize=fuzzer (CMake option SWEEP_FUZZ,
 * scripts/fuzz) and with any compiler as a plain function that
 * tests/fuzz/corpus_driver.c calls on every file of tests/fuzz/corpus/results.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge.h"
#include "results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char folder[64];
static char part_path[128], out_path[128];
static FILE *report; /* merge's report of missing runs: /dev/null */

static void remove_folder(void)
{
    const char *names[] = {part_path, out_path};
    for (size_t i = 0; i < 2; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s.partial", names[i]);
        unlink(path);
        snprintf(path, sizeof path, "%s.lock", names[i]);
        unlink(path);
        unlink(names[i]);
    }
    rmdir(folder);
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_results: %s%s%s\n", what, detail[0] != '\0' ? ": " : "", detail);
    abort();
}

static void set_up(void)
{
    struct stat info;
    const char *base = stat("/dev/shm", &info) == 0 && S_ISDIR(info.st_mode) &&
                               access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : "/tmp";
    snprintf(folder, sizeof folder, "%s/fuzz_results.XXXXXX", base);
    if (mkdtemp(folder) == NULL)
        fail("cannot make a temporary folder", folder);
    snprintf(part_path, sizeof part_path, "%s/part.h5", folder);
    snprintf(out_path, sizeof out_path, "%s/out.h5", folder);
    report = fopen("/dev/null", "w");
    if (report == NULL)
        fail("cannot open /dev/null", "");
    atexit(remove_folder);
}

static bool exists(const char *path, const char *suffix)
{
    char name[160];
    struct stat info;
    snprintf(name, sizeof name, "%s%s", path, suffix);
    return lstat(name, &info) == 0;
}

static void write_input(const uint8_t *data, size_t size)
{
    unlink(part_path);
    FILE *file = fopen(part_path, "wb");
    if (file == NULL || fwrite(data, 1, size, file) != size || fclose(file) != 0)
        fail("cannot write the input to", part_path);
}

static void check_error(const sweep_error *err, const char *stage)
{
    if (err->kind != ERROR_INPUT || err->message[0] == '\0' || strchr(err->message, '\n') != NULL) {
        fprintf(stderr, "fuzz_results: %s: bad error report (kind %d): '%s'\n", stage,
                (int)err->kind, err->message);
        abort();
    }
}

static void check_nothing_left(const char *path, const char *stage)
{
    if (exists(path, ".lock"))
        fail(stage, "left a lock file behind");
    if (exists(path, ".partial"))
        fail(stage, "left a .partial file behind");
}

static void merge_alone(void)
{
    unlink(out_path);
    const char *parts[1] = {part_path};
    merge_options options = {.output = out_path, .parts = parts, .n_parts = 1};
    merge_outcome outcome;
    sweep_error err = {0};
    if (merge_parts(&options, report, &outcome, &err) != 0) {
        check_error(&err, "merge");
        if (exists(out_path, ""))
            fail("merge", "a failed merge wrote its output");
    }
    check_nothing_left(out_path, "merge");
}

static void check_index(const results_index *index)
{
    if (index->n_runs < 1)
        fail("index", "no runs");
    for (size_t run = 0; run < index->n_runs; run++)
        if ((int)index->summaries[run].status < RUN_PENDING ||
            (int)index->summaries[run].status > RUN_FAILED || index->run_numbers[run] < 0)
            fail("index", "a status or run number out of range");
}

/* --resume with the file's own runs: every finished row is carried over. */
static void resume_into_itself(void)
{
    results_index index;
    sweep_error err = {0};
    if (results_read_index(part_path, &index, &err) != 0) {
        check_error(&err, "index");
        return;
    }
    check_index(&index);
    long long *copy_from = malloc(index.n_runs * sizeof *copy_from);
    if (copy_from == NULL)
        fail("out of memory", "");
    for (size_t run = 0; run < index.n_runs; run++)
        copy_from[run] = index.summaries[run].status != RUN_PENDING ? (long long)run : -1;
    results_meta meta = {
        .config_text = index.config_text,
        .effective_config = index.effective_config,
        .version = "fuzz",
        .dataset_name = index.dataset_name,
        .data_checksum = index.data_checksum,
        .n_train = index.n_train,
        .n_val = index.n_val,
        .n_test = index.n_test,
        .n_features = index.n_features,
    };
    results_writer *writer = NULL;
    if (results_create_resumed(part_path, &meta, index.runs, index.n_runs, copy_from, &writer,
                               &err) != 0)
        check_error(&err, "resume");
    else if (results_close(writer, false, &err) != 0)
        fail("closing the resumed file", err.message);
    check_nothing_left(part_path, "resume");
    free(copy_from);
    results_index_free(&index);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (folder[0] == '\0')
        set_up();
    write_input(data, size);
    merge_alone();
    resume_into_itself();
    return 0;
}
