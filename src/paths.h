/* paths.h: small file-system helpers shared by the results writer and the
 * output lock: where the output really is, and the folders made for it. */
#ifndef SWEEP_PATHS_H
#define SWEEP_PATHS_H

#include <stdbool.h>

#include "error.h"

/* mkdir -p of the folder part of `path` (nothing when it has none). If it
 * fails half-way, the folders it made are removed again. */
int paths_make_parent_folders(const char *path, sweep_error *err);

/* The same, telling what it made: *made is the shallowest folder it created
 * (malloc'ed; free it), or NULL when every folder existed already. */
int paths_make_parent_folders_noting(const char *path, char **made, sweep_error *err);

/* Undo paths_make_parent_folders_noting: rmdir the folders of `path` from
 * the deepest up to and including `made`, stopping at the first one that is
 * not empty (something else now lives there). `made` NULL: nothing. */
void paths_remove_made_folders(const char *path, const char *made);

/* The file `path` names once symbolic links in its last component are
 * followed (a relative link target is taken from the link's folder):
 * `path` itself when it is not a link. *target is malloc'ed. ERROR_INPUT
 * "PATH: a symbolic link to a missing file (TARGET)" for a dangling link and
 * "PATH: too many levels of symbolic links" for a loop. */
int paths_follow_links(const char *path, char **target, sweep_error *err);

/* Do `a` and `b` name the same existing file (device and inode, links
 * followed)? false when either is missing. */
bool paths_same_file(const char *a, const char *b);

#endif
