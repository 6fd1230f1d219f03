/* lock.h: one writer per results file.
 *
 * A sweep holds an exclusive flock(2) on a lock file beside its output for
 * as long as it may write it (creating it, writing runs, compressing it at
 * the end). A second sweep on the same output is refused at once, naming the
 * first one's process. The kernel drops the lock when the holder dies, so a
 * killed sweep never leaves a stale lock; the file itself is removed on
 * release.
 *
 * The lock belongs to the file, not to its name: an output that is a
 * symbolic link is locked beside the file the link leads to (TARGET.lock),
 * and every spelling of a path names the same lock file, since it lives in
 * the output's own folder. The lock file is never opened through a link and
 * never truncated unless it is a plain file of its own (one name) holding
 * only a pid: a symbolic link, a hard link or a FIFO found at its name is
 * removed (a name only: what it leads to is untouched), and any other plain
 * file is someone's data and refused.
 *
 * The lock also remembers the folders it made for the output (mkdir -p): if
 * the output does not exist when the lock is released (the sweep failed
 * before creating it), they are removed again.
 */
#ifndef SWEEP_LOCK_H
#define SWEEP_LOCK_H

#include "error.h"

typedef struct output_lock output_lock;

/* Take the lock of the results file `path` (creating its folder if needed).
 * ERROR_RUNTIME "OUT: another sweep (pid N) is writing it" when taken;
 * ERROR_INPUT for a link to a missing file (see paths_follow_links) and for
 * "OUT.lock: exists and is not a lock file of sweep's; remove or rename it". */
int output_lock_acquire(const char *path, output_lock **out, sweep_error *err);

/* Remove the lock file and drop the lock; remove the folders made for the
 * output when the output was not created. NULL is allowed. */
void output_lock_release(output_lock *lock);

#endif
