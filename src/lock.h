/* lock.h: one writer per results file.
 *
 * A sweep holds an exclusive flock(2) on OUT.lock for as long as it may
 * write OUT (creating it, writing runs, compressing it at the end). A second
 * sweep on the same output is refused at once, naming the first one's
 * process. The kernel drops the lock when the holder dies, so a killed sweep
 * never leaves a stale lock; the file itself is removed on release.
 */
#ifndef SWEEP_LOCK_H
#define SWEEP_LOCK_H

#include "error.h"

typedef struct output_lock output_lock;

/* Take the lock of the results file `path` (creating its folder if needed).
 * ERROR_RUNTIME "OUT: another sweep (pid N) is writing it" when taken. */
int output_lock_acquire(const char *path, output_lock **out, sweep_error *err);

/* Remove the lock file and drop the lock. NULL is allowed. */
void output_lock_release(output_lock *lock);

#endif
