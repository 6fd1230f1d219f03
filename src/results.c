/* results.c: the results file, written through the HDF5 C library.
 *
 * This file owns the file's life: the output path, building the file as
 * TARGET.partial and renaming it when complete, writing runs, closing and
 * compacting. The layout is created by results_layout.c, rows are carried
 * over from existing files by results_copy.c (results_writer.h).
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
#include "results_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

/* Type-conversion buffer of a write. HDF5's default is 1 MiB, allocated and
 * zeroed on every write that converts (the `failure` string does): that was
 * most of the time of writing a run. A row of one run needs far less. */
#define CONVERSION_BUFFER_BYTES 65536

/* ---- error messages ---------------------------------------------------- */

/* Report a failed HDF5 call as "cannot write results file PATH: WHAT: REASON".
 * Must be called before any other HDF5 call, which would clear the stack. */
int results_hdf5_error(sweep_error *err, const char *path, const char *what_fmt, ...)
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
    if ((from->run_numbers != NULL && numbers == NULL) || to->shard == NULL || to->model == NULL ||
        !names_copied || to->config_text == NULL || to->config_path == NULL ||
        to->overrides == NULL || to->effective_config == NULL || to->version == NULL ||
        to->start_time_utc == NULL || to->host == NULL || to->dataset_name == NULL ||
        to->data_checksum == NULL) {
        meta_free(to);
        return false;
    }
    return true;
}

static results_writer *writer_new(const char *path, const char *target, const results_meta *meta,
                                  const train_params *runs, size_t n_runs, bool compressed)
{
    results_writer *writer = calloc(1, sizeof *writer);
    if (writer == NULL)
        return NULL;
    hid_t *ids[] = {&writer->file,        &writer->string_type, &writer->failure_type,
                    &writer->transfer,    &writer->train_loss,  &writer->val_loss,
                    &writer->train_score, &writer->val_score,   &writer->test_score,
                    &writer->seconds,     &writer->failure,     &writer->status,
                    &writer->train_acc,   &writer->val_acc};
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

/* Close the writer's datasets, types and properties (not its file). */
int results_writer_close_objects(results_writer *writer, sweep_error *err)
{
    int status = 0;
    hid_t *datasets[] = {&writer->train_loss, &writer->val_loss,   &writer->train_score,
                         &writer->val_score,  &writer->test_score, &writer->seconds,
                         &writer->failure,    &writer->status,     &writer->train_acc,
                         &writer->val_acc};
    for (size_t i = 0; i < sizeof datasets / sizeof datasets[0]; i++) {
        if (*datasets[i] >= 0 && H5Dclose(*datasets[i]) < 0 && status == 0)
            status = results_hdf5_error(err, writer->path, "closing a dataset");
        *datasets[i] = H5I_INVALID_HID;
    }
    hid_t *others[] = {&writer->string_type, &writer->failure_type};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        if (*others[i] >= 0 && H5Tclose(*others[i]) < 0 && status == 0)
            status = results_hdf5_error(err, writer->path, "closing a type");
        *others[i] = H5I_INVALID_HID;
    }
    if (writer->transfer >= 0 && H5Pclose(writer->transfer) < 0 && status == 0)
        status = results_hdf5_error(err, writer->path, "closing properties");
    writer->transfer = H5I_INVALID_HID;
    return status;
}

/* Close whatever HDF5 objects are open; -1 (err filled) when closing the
 * file fails, which is when HDF5 writes out what it still caches. */
static int writer_close_file(results_writer *writer, sweep_error *err)
{
    int status = results_writer_close_objects(writer, err);
    if (writer->file >= 0 && H5Fclose(writer->file) < 0 && status == 0)
        status = results_hdf5_error(err, writer->path, "closing the file");
    writer->file = H5I_INVALID_HID;
    return status;
}

static int writer_delete(results_writer *writer, sweep_error *err)
{
    results_compaction_free(writer);
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
 * writers are kept apart by sweep's lock file instead (see lock.h). With
 * `in_memory`, the file is only in memory (the core driver, no backing
 * store), and chunks bypass the chunk cache: a block of whole chunks is
 * compressed as it is written, not all at once when the file is closed. */
static hid_t make_file_access(const char *path, bool in_memory, sweep_error *err)
{
    hid_t file_access = H5Pcreate(H5P_FILE_ACCESS);
    if (file_access < 0) {
        results_hdf5_error(err, path, "file properties");
        return H5I_INVALID_HID;
    }
    if (in_memory && (H5Pset_fapl_core(file_access, (size_t)1 << 20, false) < 0 ||
                      H5Pset_cache(file_access, 0, 1, 0, 1.0) < 0)) {
        results_hdf5_error(err, path, "file properties");
        H5Pclose(file_access);
        return H5I_INVALID_HID;
    }
#if H5_VERSION_GE(1, 10, 7)
    if (H5Pset_file_locking(file_access, false, true) < 0) {
        results_hdf5_error(err, path, "file properties");
        H5Pclose(file_access);
        return H5I_INVALID_HID;
    }
#endif
    return file_access;
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
           (n == (ssize_t)sizeof start && (memcmp(start, hdf5_signature, sizeof start) == 0 ||
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
        return error_set(err, ERROR_INPUT,
                         "%s: exists and is not a file of sweep's; remove or "
                         "rename it",
                         partial);
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

/* Create the empty file at TARGET.partial (exclusively, see
 * create_partial_exclusively) with the properties and types every write
 * uses: creation order tracked, a small conversion buffer, the string
 * types. */
static int open_partial(results_writer *writer, bool in_memory, sweep_error *err)
{
    int status = -1;
    hid_t file_creation = H5I_INVALID_HID, file_access = H5I_INVALID_HID;
    const char *partial = writer->partial_path;
    file_creation = H5Pcreate(H5P_FILE_CREATE);
    file_access = make_file_access(partial, in_memory, err);
    if (file_creation < 0 || file_access < 0 ||
        H5Pset_link_creation_order(file_creation, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) <
            0 ||
        H5Pset_attr_creation_order(file_creation, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) <
            0) {
        results_hdf5_error(err, writer->path, "file properties");
        goto cleanup;
    }
    /* In memory the name is only a label: nothing exists at it. */
    writer->file =
        H5Fcreate(partial, in_memory ? H5F_ACC_TRUNC : H5F_ACC_EXCL, file_creation, file_access);
    if (writer->file < 0) {
        results_hdf5_error(err, writer->path, "creating the file");
        goto cleanup;
    }
    writer->transfer = H5Pcreate(H5P_DATASET_XFER);
    if (writer->transfer < 0 ||
        H5Pset_buffer(writer->transfer, CONVERSION_BUFFER_BYTES, NULL, NULL) < 0) {
        results_hdf5_error(err, writer->path, "transfer properties");
        goto cleanup;
    }
    writer->string_type = H5Tcopy(H5T_C_S1);
    writer->failure_type = H5Tcopy(H5T_C_S1);
    if (writer->string_type < 0 || H5Tset_size(writer->string_type, H5T_VARIABLE) < 0 ||
        H5Tset_cset(writer->string_type, H5T_CSET_UTF8) < 0 || writer->failure_type < 0 ||
        H5Tset_size(writer->failure_type, FAILURE_BYTES) < 0 ||
        H5Tset_strpad(writer->failure_type, H5T_STR_NULLPAD) < 0 ||
        H5Tset_cset(writer->failure_type, H5T_CSET_UTF8) < 0) {
        results_hdf5_error(err, writer->path, "string type");
        goto cleanup;
    }
    status = 0;
cleanup:
    if (file_access >= 0)
        H5Pclose(file_access);
    if (file_creation >= 0)
        H5Pclose(file_creation);
    return status;
}

/* Put the built file on disk (flush, fsync) and give it its name. */
static int put_in_place(results_writer *writer, sweep_error *err)
{
    if (H5Fflush(writer->file, H5F_SCOPE_LOCAL) < 0)
        return results_hdf5_error(err, writer->path, "flushing");
    /* Durable before it takes the name: a rename can reach the disk before
     * the data it names. */
    void *handle = NULL;
    if (H5Fget_vfd_handle(writer->file, H5P_DEFAULT, &handle) < 0 || handle == NULL ||
        fsync(*(int *)handle) != 0)
        return error_set(err, ERROR_RUNTIME, "cannot write results file %s: fsync: %s",
                         writer->path, strerror(errno));
    if (rename(writer->partial_path, writer->target_path) != 0)
        return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", writer->path, strerror(errno));
    return 0;
}

/* Build the whole file as TARGET.partial (optionally carrying rows over from
 * `sources`, see results_copy_rows), put it on disk (flush, fsync) and
 * rename it to TARGET (PATH, or the file the link PATH leads to: the link
 * stays). Until the rename, TARGET is untouched; after it, TARGET is
 * complete. The file stays open for writing runs. */
static int build_file(results_writer *writer, const char *const *sources, int n_sources,
                      const results_origin *origins, sweep_error *err)
{
    int status = -1;
    const char *partial = writer->partial_path;
    bool created = false;

    if (create_partial_exclusively(partial, err) < 0)
        goto cleanup;
    created = true;
    if (open_partial(writer, false, err) < 0 ||
        results_write_root_attributes(writer, &writer->meta, err) < 0 ||
        results_create_layout(writer, writer->runs, err) < 0)
        goto cleanup;
    if (n_sources > 0 && results_copy_rows(writer, sources, n_sources, origins, err) < 0)
        goto cleanup;
    if (put_in_place(writer, err) < 0)
        goto cleanup;
    created = false;
    sync_parent_folder(writer->path);
    status = 0;
cleanup:
    if (status != 0) {
        sweep_error ignored; /* the first error is the one to report */
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
                         size_t n_runs, bool compressed, const char *const *sources, int n_sources,
                         const results_origin *origins, results_writer **out, sweep_error *err)
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

results_writer *results_writer_in_memory(const results_writer *from)
{
    results_writer *writer =
        writer_new(from->path, from->target_path, &from->meta, from->runs, from->n_runs, true);
    if (writer == NULL)
        return NULL;
    sweep_error ignored; /* the caller falls back to the rewrite at the end */
    if (open_partial(writer, true, &ignored) < 0 ||
        results_write_root_attributes(writer, &writer->meta, &ignored) < 0 ||
        results_create_layout(writer, writer->runs, &ignored) < 0) {
        writer_delete(writer, &ignored);
        return NULL;
    }
    return writer;
}

int results_writer_delete(results_writer *writer, sweep_error *err)
{
    return writer_delete(writer, err);
}

/* Write all of `size` bytes to fd; false on an error (errno set). */
static bool write_all(int fd, const unsigned char *bytes, size_t size)
{
    while (size > 0) {
        ssize_t written = write(fd, bytes, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        bytes += written;
        size -= (size_t)written;
    }
    return true;
}

int results_put_image_in_place(const results_writer *writer, const void *image, size_t size,
                               sweep_error *err)
{
    const char *partial = writer->partial_path;
    if (create_partial_exclusively(partial, err) < 0)
        return -1;
    /* Exclusively and without following a link, as HDF5 creates it. */
    int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", partial, strerror(errno));
    /* Durable before it takes the name, as put_in_place. */
    bool written = write_all(fd, image, size) && fsync(fd) == 0;
    int error = errno;
    if (close(fd) != 0 && written) {
        written = false;
        error = errno;
    }
    if (!written) {
        unlink(partial);
        return error_set(err, ERROR_RUNTIME, "cannot write results file %s: %s", writer->path,
                         strerror(error));
    }
    if (rename(partial, writer->target_path) != 0) {
        error = errno;
        unlink(partial);
        return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", writer->path, strerror(error));
    }
    sync_parent_folder(writer->path);
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

int results_create_later(const char *path, bool overwrite, const results_meta *meta,
                         const train_params *runs, size_t n_runs, results_writer **out,
                         sweep_error *err)
{
    *out = NULL;
    if (start_hdf5(path, n_runs, err) < 0 || paths_make_parent_folders(path, err) < 0 ||
        check_output_path(path, overwrite, err) < 0)
        return -1;
    char *target = NULL;
    if (paths_follow_links(path, &target, err) != 0)
        return -1;
    results_writer *writer = writer_new(path, target, meta, runs, n_runs, false);
    free(target);
    if (writer == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    sweep_error ignored;
    if (writer->max_epochs < 1) {
        writer_delete(writer, &ignored);
        return error_set(err, ERROR_RUNTIME, "cannot write results file %s: no run has an epoch",
                         path);
    }
    /* What is at TARGET.partial, and whether it may be made, is told now;
     * results_build makes it again, exclusively. */
    if (create_partial_exclusively(writer->partial_path, err) < 0) {
        writer_delete(writer, &ignored);
        return -1;
    }
    *out = writer;
    return 0;
}

int results_build(results_writer *writer, sweep_error *err)
{
    if (writer->file >= 0)
        return 0;
    return build_file(writer, NULL, 0, NULL, err);
}

int results_set_data_checksum(results_writer *writer, const char *checksum, sweep_error *err)
{
    if (writer->file >= 0)
        return error_set(err, ERROR_RUNTIME, "%s: the data checksum comes after the file is built",
                         writer->path);
    char *copy = copy_text(checksum);
    if (copy == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    free((char *)writer->meta.data_checksum);
    writer->meta.data_checksum = copy;
    return 0;
}

int results_create(const char *path, bool overwrite, const results_meta *meta,
                   const train_params *runs, size_t n_runs, results_writer **out, sweep_error *err)
{
    if (results_create_later(path, overwrite, meta, runs, n_runs, out, err) != 0)
        return -1;
    if (results_build(*out, err) != 0) {
        sweep_error ignored;
        writer_delete(*out, &ignored);
        *out = NULL;
        return -1;
    }
    return 0;
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
            return error_set(err, ERROR_RUNTIME,
                             "cannot write results file %s: run %zu comes "
                             "from source %d of %d",
                             path, run, origins[run].source, n_sources);
    return create_writer(path, meta, runs, n_runs, false, sources, n_sources, origins, out, err);
}

/* Check that `result` may be stored as run `run_index`. */
static int check_result(const results_writer *writer, size_t run_index, const run_result *result,
                        sweep_error *err)
{
    if (run_index >= writer->n_runs)
        return error_set(err, ERROR_RUNTIME,
                         "cannot write results file %s: no run %zu (the file has %zu)",
                         writer->path, run_index, writer->n_runs);
    if (result->status != RUN_DONE && result->status != RUN_FAILED)
        return error_set(err, ERROR_RUNTIME,
                         "cannot write results file %s: run %zu is not finished", writer->path,
                         run_index);
    if (result->epochs != writer->run_epochs[run_index] || result->train_loss == NULL ||
        result->val_loss == NULL || result->train_acc == NULL || result->val_acc == NULL)
        return error_set(err, ERROR_RUNTIME,
                         "cannot write results file %s: run %zu has curves of %d epochs, "
                         "expected %d",
                         writer->path, run_index, result->epochs, writer->run_epochs[run_index]);
    return 0;
}

/* A run's row but its status. */
static int write_row(results_writer *writer, size_t run_index, const run_result *result,
                     sweep_error *err)
{
    /* NUL-padded to the fixed width; the struct's buffer need not hold a
     * terminator. */
    char failure[FAILURE_BYTES];
    memset(failure, 0, sizeof failure);
    if (result->status == RUN_FAILED)
        memcpy(failure, result->failure, strnlen(result->failure, sizeof result->failure));
    hsize_t run = run_index, epochs = (hsize_t)result->epochs;
    if (results_write_slab(writer, writer->train_loss, "train_loss", 2, run, epochs,
                           H5T_NATIVE_DOUBLE, result->train_loss, err) < 0 ||
        results_write_slab(writer, writer->val_loss, "val_loss", 2, run, epochs, H5T_NATIVE_DOUBLE,
                           result->val_loss, err) < 0 ||
        results_write_slab(writer, writer->train_acc, "train_acc", 2, run, epochs,
                           H5T_NATIVE_DOUBLE, result->train_acc, err) < 0 ||
        results_write_slab(writer, writer->val_acc, "val_acc", 2, run, epochs, H5T_NATIVE_DOUBLE,
                           result->val_acc, err) < 0 ||
        results_write_slab(writer, writer->train_score, "train_score", 1, run, 1, H5T_NATIVE_DOUBLE,
                           &result->train_score, err) < 0 ||
        results_write_slab(writer, writer->val_score, "val_score", 1, run, 1, H5T_NATIVE_DOUBLE,
                           &result->val_score, err) < 0 ||
        results_write_slab(writer, writer->test_score, "test_score", 1, run, 1, H5T_NATIVE_DOUBLE,
                           &result->test_score, err) < 0 ||
        results_write_slab(writer, writer->seconds, "seconds", 1, run, 1, H5T_NATIVE_DOUBLE,
                           &result->seconds, err) < 0 ||
        results_write_slab(writer, writer->failure, "failure", 1, run, 1, writer->failure_type,
                           failure, err) < 0)
        return -1;
    return 0;
}

int results_write_runs(results_writer *writer, size_t n_runs, const size_t *run_indices,
                       const run_result *const *results, sweep_error *err)
{
    /* The rows first, then one flush, then the statuses and a flush: until
     * its status is on disk a run reads as pending, whatever of its row got
     * there before a kill, and a status never goes before its row. One
     * flush for the rows of several runs writes a chunk they share once,
     * not once per run. After an error the runs before it are still
     * stored. */
    size_t n_rows = 0;
    int status = 0;
    if (writer->file < 0)
        return error_set(err, ERROR_RUNTIME, "cannot write results file %s: not built",
                         writer->path);
    while (n_rows < n_runs && status == 0) {
        status = check_result(writer, run_indices[n_rows], results[n_rows], err);
        if (status == 0)
            status = write_row(writer, run_indices[n_rows], results[n_rows], err);
        if (status == 0)
            n_rows++;
    }
    if (n_rows == 0)
        return status;
    if (H5Fflush(writer->file, H5F_SCOPE_LOCAL) < 0)
        return results_hdf5_error(err, writer->path, "flushing run %zu", run_indices[0]);
    for (size_t i = 0; i < n_rows; i++) {
        int8_t stored = (int8_t)results[i]->status;
        if (results_write_slab(writer, writer->status, "status", 1, run_indices[i], 1,
                               H5T_NATIVE_INT8, &stored, err) < 0)
            return -1;
    }
    if (H5Fflush(writer->file, H5F_SCOPE_LOCAL) < 0)
        return results_hdf5_error(err, writer->path, "flushing run %zu", run_indices[0]);
    for (size_t i = 0; i < n_rows; i++)
        results_compaction_note_run(writer, run_indices[i]);
    return status;
}

int results_write_run(results_writer *writer, size_t run_index, const run_result *result,
                      sweep_error *err)
{
    return results_write_runs(writer, 1, &run_index, &result, err);
}

int results_close(results_writer *writer, bool compact, sweep_error *err)
{
    if (writer == NULL)
        return 0;
    if (!compact || writer->compressed || writer->file < 0)
        return writer_delete(writer, err);
    int finished = results_compaction_finish(writer, err);
    if (finished != 0) {
        sweep_error ignored; /* after an error, the first one is reported */
        int status = writer_delete(writer, finished < 0 ? &ignored : err);
        return finished < 0 ? -1 : status;
    }
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
