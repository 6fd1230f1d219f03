/* paths.h: small file-system helpers shared by the results writer and the
 * output lock. */
#ifndef SWEEP_PATHS_H
#define SWEEP_PATHS_H

#include "error.h"

/* mkdir -p of the folder part of `path` (nothing when it has none). */
int paths_make_parent_folders(const char *path, sweep_error *err);

#endif
