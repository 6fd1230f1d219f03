#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

/* Attempts at taking the lock when its file keeps changing under us. */
#define LOCK_ATTEMPTS 100

struct output_lock {
    char *target;      /* the output file (links followed) */
    char *path;        /* TARGET.lock */
    char *made_folder; /* the shallowest folder made for the output, or NULL */
    int fd;            /* open on `path`, holding LOCK_EX */
};

/* The pid written in a lock file, for the message; 0 if unreadable. */
static long read_holder(int fd)
{
    char text[32] = "";
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    return strtol(text, NULL, 10);
}

static int report_held(const char *output, int fd, sweep_error *err)
{
    long holder = read_holder(fd);
    if (holder > 0)
        return error_set(err, ERROR_RUNTIME,
                         "%s: another sweep (pid %ld) is writing it; wait for it or use -o", output,
                         holder);
    return error_set(err, ERROR_RUNTIME, "%s: another sweep is writing it; wait for it or use -o",
                     output);
}

/* A lock file holds nothing but a pid and a newline (or nothing yet, when
 * its maker has just created it). */
static bool holds_only_a_pid(int fd)
{
    char text[32];
    ssize_t n = pread(fd, text, sizeof text, 0);
    if (n < 0 || n == (ssize_t)sizeof text)
        return false;
    for (ssize_t i = 0; i < n; i++)
        if ((text[i] < '0' || text[i] > '9') && text[i] != '\n')
            return false;
    return true;
}

/* Open the lock file without following a link. 1: opened (*fd); 0: what
 * was there was a link or a FIFO, now removed (a name only: the file it led
 * to is untouched), try again; -1: error, among them a plain file of
 * someone else's at the name, which removing would destroy. */
static int open_lock_file(const char *path, int *fd, sweep_error *err)
{
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
    struct stat info;
    bool foreign = false;
    if (*fd < 0) {
        foreign = errno == ELOOP; /* a symbolic link */
        if (!foreign)
            return error_set(err, ERROR_RUNTIME, "cannot create %s: %s", path, strerror(errno));
    } else if (fstat(*fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_nlink != 1) {
        /* A FIFO, or a hard link to some other file: truncating it would
         * destroy that file. */
        close(*fd);
        *fd = -1;
        foreign = true;
    } else if (!holds_only_a_pid(*fd)) {
        close(*fd);
        *fd = -1;
        return error_set(err, ERROR_INPUT,
                         "%s: exists and is not a lock file of sweep's; "
                         "remove or rename it",
                         path);
    }
    if (!foreign)
        return 1;
    if (unlink(path) != 0 && errno != ENOENT)
        return error_set(err, ERROR_RUNTIME, "cannot replace %s (not a lock file of sweep's): %s",
                         path, strerror(errno));
    return 0;
}

/* Lock `lock->path`, which other sweeps may be creating and removing at the
 * same time. The holder removes the file on release; if that happens between
 * our open and our flock we would hold a lock on a file nobody else sees, so
 * after locking we check that the name still leads to our file. */
static int take_lock_file(output_lock *lock, const char *output, sweep_error *err)
{
    for (int attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
        int opened = open_lock_file(lock->path, &lock->fd, err);
        if (opened < 0)
            return -1;
        if (opened == 0)
            continue;
        if (flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK)
                return report_held(output, lock->fd, err);
            return error_set(err, ERROR_RUNTIME, "cannot lock %s: %s", lock->path, strerror(errno));
        }
        struct stat held, named;
        if (fstat(lock->fd, &held) == 0 && lstat(lock->path, &named) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino)
            return 0;
        close(lock->fd);
        lock->fd = -1;
    }
    return error_set(err, ERROR_RUNTIME, "cannot lock %s: it keeps being replaced", lock->path);
}

static void lock_free(output_lock *lock)
{
    if (lock->fd >= 0)
        close(lock->fd);
    free(lock->target);
    free(lock->path);
    free(lock->made_folder);
    free(lock);
}

int output_lock_acquire(const char *path, output_lock **out, sweep_error *err)
{
    int status = -1;
    output_lock *lock = calloc(1, sizeof *lock);
    *out = NULL;
    if (lock == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    lock->fd = -1;
    if (paths_follow_links(path, &lock->target, err) != 0)
        goto cleanup;
    size_t size = strlen(lock->target) + sizeof ".lock";
    lock->path = malloc(size);
    if (lock->path == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    snprintf(lock->path, size, "%s.lock", lock->target);
    if (paths_make_parent_folders_noting(lock->target, &lock->made_folder, err) != 0 ||
        take_lock_file(lock, path, err) != 0)
        goto cleanup;
    char pid[32];
    int length = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(lock->fd, 0) != 0 || pwrite(lock->fd, pid, (size_t)length, 0) != length) {
        error_set(err, ERROR_RUNTIME, "cannot write %s: %s", lock->path, strerror(errno));
        unlink(lock->path);
        goto cleanup;
    }
    *out = lock;
    lock = NULL;
    status = 0;
cleanup:
    if (lock != NULL) {
        if (lock->made_folder != NULL)
            paths_remove_made_folders(lock->target, lock->made_folder);
        lock_free(lock);
    }
    return status;
}

void output_lock_release(output_lock *lock)
{
    if (lock == NULL)
        return;
    /* Unlink while still holding the lock, so that nobody locks the old file
     * after we let go (see take_lock_file). */
    unlink(lock->path);
    struct stat info;
    if (lock->made_folder != NULL && lstat(lock->target, &info) != 0 && errno == ENOENT)
        paths_remove_made_folders(lock->target, lock->made_folder);
    lock_free(lock);
}
