#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"

struct output_lock {
    char *path;   /* OUT.lock */
    int fd;       /* open on it, holding LOCK_EX */
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

int output_lock_acquire(const char *path, output_lock **out, sweep_error *err)
{
    int status = -1;
    output_lock *lock = calloc(1, sizeof *lock);
    *out = NULL;
    if (lock == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    lock->fd = -1;
    size_t size = strlen(path) + sizeof ".lock";
    lock->path = malloc(size);
    if (lock->path == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    snprintf(lock->path, size, "%s.lock", path);
    if (paths_make_parent_folders(path, err) != 0)
        goto cleanup;
    /* The holder removes the file on release; if that happens between our
     * open and our flock we would hold a lock on a file nobody else sees, so
     * after locking we check that the name still leads to our file. */
    for (int attempt = 0; attempt < 100; attempt++) {
        lock->fd = open(lock->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (lock->fd < 0) {
            error_set(err, ERROR_RUNTIME, "cannot create %s: %s", lock->path, strerror(errno));
            goto cleanup;
        }
        if (flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                long holder = read_holder(lock->fd);
                if (holder > 0)
                    error_set(err, ERROR_RUNTIME,
                              "%s: another sweep (pid %ld) is writing it; wait for it or use -o",
                              path, holder);
                else
                    error_set(err, ERROR_RUNTIME,
                              "%s: another sweep is writing it; wait for it or use -o", path);
            } else {
                error_set(err, ERROR_RUNTIME, "cannot lock %s: %s", lock->path, strerror(errno));
            }
            goto cleanup;
        }
        struct stat held, named;
        if (fstat(lock->fd, &held) == 0 && stat(lock->path, &named) == 0 &&
            held.st_dev == named.st_dev && held.st_ino == named.st_ino)
            break;
        close(lock->fd);
        lock->fd = -1;
    }
    if (lock->fd < 0) {
        error_set(err, ERROR_RUNTIME, "cannot lock %s: it keeps being replaced", lock->path);
        goto cleanup;
    }
    char pid[32];
    int length = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(lock->fd, 0) != 0 || pwrite(lock->fd, pid, (size_t)length, 0) != length) {
        error_set(err, ERROR_RUNTIME, "cannot write %s: %s", lock->path, strerror(errno));
        goto cleanup;
    }
    *out = lock;
    lock = NULL;
    status = 0;
cleanup:
    if (lock != NULL) {
        if (lock->fd >= 0)
            close(lock->fd);
        free(lock->path);
        free(lock);
    }
    return status;
}

void output_lock_release(output_lock *lock)
{
    if (lock == NULL)
        return;
    /* Unlink while still holding the lock, so that nobody locks the old file
     * after we let go (see output_lock_acquire). */
    unlink(lock->path);
    close(lock->fd);
    free(lock->path);
    free(lock);
}
