#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Links are followed at most this many times, like the kernel's own limit
 * for a whole path (MAXSYMLINKS). */
#define MAX_LINKS_FOLLOWED 40

/* Cut the last component off `folder` in place ("a/b//c" -> "a/b"); false
 * when nothing is left to cut. */
static bool cut_last_component(char *folder)
{
    char *last_slash = strrchr(folder, '/');
    if (last_slash == NULL || last_slash == folder)
        return false;
    while (last_slash > folder && last_slash[-1] == '/')
        last_slash--;
    if (last_slash == folder)
        return false;
    *last_slash = '\0';
    return true;
}

/* rmdir `folder` and its parents up to and including `made`. */
static void remove_folders_up_to(char *folder, const char *made)
{
    size_t made_length = strlen(made);
    for (;;) {
        if (strlen(folder) < made_length || rmdir(folder) != 0)
            return;
        if (strcmp(folder, made) == 0 || !cut_last_component(folder))
            return;
    }
}

int paths_make_parent_folders_noting(const char *path, char **made, sweep_error *err)
{
    int status = -1;
    char *folder = strdup(path);
    *made = NULL;
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
        if (mkdir(folder, 0777) == 0) {
            if (*made == NULL && (*made = strdup(folder)) == NULL) {
                rmdir(folder);
                error_set(err, ERROR_RUNTIME, "out of memory");
                goto cleanup;
            }
        } else if (errno != EEXIST) {
            error_set(err, ERROR_RUNTIME, "cannot create folder %s: %s", folder, strerror(errno));
            /* A path too deep for the system fails only after thousands of
             * folders were made: none of them may stay behind. */
            if (*made != NULL && cut_last_component(folder))
                remove_folders_up_to(folder, *made);
            goto cleanup;
        }
        folder[end] = saved;
    }
    status = 0;
cleanup:
    if (status != 0) {
        free(*made);
        *made = NULL;
    }
    free(folder);
    return status;
}

int paths_make_parent_folders(const char *path, sweep_error *err)
{
    char *made = NULL;
    int status = paths_make_parent_folders_noting(path, &made, err);
    free(made);
    return status;
}

void paths_remove_made_folders(const char *path, const char *made)
{
    if (made == NULL)
        return;
    char *folder = strdup(path);
    if (folder != NULL && cut_last_component(folder))
        remove_folders_up_to(folder, made);
    free(folder);
}

/* `link`'s target read from the file system, taken from the link's folder
 * when relative; NULL (err filled) when unreadable. */
static char *read_link_target(const char *link, sweep_error *err)
{
    char target[PATH_MAX];
    ssize_t length = readlink(link, target, sizeof target);
    if (length < 0 || (size_t)length >= sizeof target) {
        error_set(err, ERROR_RUNTIME, "cannot read the symbolic link %s: %s", link,
                  length < 0 ? strerror(errno) : "target too long");
        return NULL;
    }
    const char *last_slash = strrchr(link, '/');
    size_t folder_length = target[0] == '/' || last_slash == NULL ? 0
                                                                  : (size_t)(last_slash - link) + 1;
    char *joined = malloc(folder_length + (size_t)length + 1);
    if (joined == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory");
        return NULL;
    }
    memcpy(joined, link, folder_length);
    memcpy(joined + folder_length, target, (size_t)length);
    joined[folder_length + (size_t)length] = '\0';
    return joined;
}

int paths_follow_links(const char *path, char **target, sweep_error *err)
{
    char *current = strdup(path);
    *target = NULL;
    if (current == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    for (int hops = 0; hops <= MAX_LINKS_FOLLOWED; hops++) {
        struct stat info;
        bool found = lstat(current, &info) == 0;
        bool missing = !found && errno == ENOENT;
        if (!found || !S_ISLNK(info.st_mode)) {
            /* Missing at the end of a link: a dangling link. Any other
             * problem is reported by whoever creates the file. */
            if (hops > 0 && missing) {
                error_set(err, ERROR_INPUT,
                          "%s: a symbolic link to a missing file (%s); sweep "
                          "writes through a link only into an existing file",
                          path, current);
                free(current);
                return -1;
            }
            *target = current;
            return 0;
        }
        char *next = read_link_target(current, err);
        free(current);
        if (next == NULL)
            return -1;
        current = next;
    }
    free(current);
    return error_set(err, ERROR_INPUT, "%s: too many levels of symbolic links", path);
}

bool paths_same_file(const char *a, const char *b)
{
    struct stat first, second;
    return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev &&
           first.st_ino == second.st_ino;
}
