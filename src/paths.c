#include "paths.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int paths_make_parent_folders(const char *path, sweep_error *err)
{
    int status = -1;
    char *folder = strdup(path);
    if (folder == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        goto cleanup;
    }
    char *last_slash = strrchr(folder, '/');
    if (last_slash == NULL) {
        status = 0;
        goto cleanup;
    }
    *last_slash = '\0';
    size_t length = strlen(folder);
    /* Each prefix ending before a '/' (and the whole folder), shortest first;
     * the prefix "" of an absolute path is the root and skipped. */
    for (size_t end = 1; end <= length; end++) {
        if (folder[end] != '/' && folder[end] != '\0')
            continue;
        char saved = folder[end];
        folder[end] = '\0';
        if (mkdir(folder, 0777) != 0 && errno != EEXIST) {
            error_set(err, ERROR_RUNTIME, "cannot create folder %s: %s", folder, strerror(errno));
            goto cleanup;
        }
        folder[end] = saved;
    }
    status = 0;
cleanup:
    free(folder);
    return status;
}
