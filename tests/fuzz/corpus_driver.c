/* corpus_driver.c: runs a fuzz target's corpus as a plain regression test.
 *
 *   corpus_config [--heap-mb N] tests/fuzz/corpus/config [MORE_DIRS_OR_FILES...]
 *
 * Linked with one of fuzz_config.c / fuzz_csv.c in place of libFuzzer's
 * main(): every regular file of each folder (in name order, so a failure is
 * repeatable) is read whole and passed to LLVMFuzzerTestOneInput, the same
 * entry point the fuzzer calls. The target abort()s on a broken promise and
 * the sanitizers (build-asan/) stop on memory errors, so reaching the end
 * means every input passed. An empty or missing folder is a failure: a test
 * that read nothing could not fail. Outside ASan builds the heap is capped
 * at N MiB (default 256; RLIMIT_DATA counts reserved, not just touched,
 * memory), so that an input making a reader allocate far more than it is
 * long fails too.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

/* Without AddressSanitizer (which maps terabytes of shadow memory) the heap
 * is capped, so that an input that gets the readers to allocate far more
 * than it is long fails the test ("out of memory" is a finding to the
 * targets) instead of passing slowly. The ASan runtime defines __asan_init
 * whether or not this file itself was compiled with -fsanitize=address. */
extern void __asan_init(void) __attribute__((weak));

#define DEFAULT_HEAP_MB 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The whole file; the buffer has at least one byte so it is never NULL. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
    int status = -1;
    uint8_t *buffer = NULL;
    FILE *file = fopen(path, "rb");
    struct stat info;
    if (file == NULL || fstat(fileno(file), &info) != 0) {
        fprintf(stderr, "corpus_driver: %s: %s\n", path, strerror(errno));
        goto cleanup;
    }
    size_t length = (size_t)info.st_size;
    buffer = malloc(length + 1);
    if (buffer == NULL || fread(buffer, 1, length, file) != length) {
        fprintf(stderr, "corpus_driver: %s: cannot read %zu bytes\n", path, length);
        goto cleanup;
    }
    *data = buffer;
    *size = length;
    buffer = NULL;
    status = 0;
cleanup:
    if (file != NULL)
        fclose(file);
    free(buffer);
    return status;
}

/* One input, copied into a buffer of exactly its size so that ASan sees a
 * read one byte past the end (libFuzzer does the same). */
static int run_file(const char *path)
{
    uint8_t *data = NULL;
    size_t size = 0;
    if (read_file(path, &data, &size) != 0)
        return -1;
    uint8_t *exact = malloc(size > 0 ? size : 1);
    if (exact == NULL) {
        free(data);
        return -1;
    }
    memcpy(exact, data, size);
    free(data);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of `folder`; adds their number to *n_inputs. */
static int run_folder(const char *folder, size_t *n_inputs)
{
    int status = -1;
    char **names = NULL;
    size_t n_names = 0, capacity = 0;
    DIR *dir = opendir(folder);
    if (dir == NULL) {
        fprintf(stderr, "corpus_driver: %s: %s\n", folder, strerror(errno));
        return -1;
    }
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        if (entry->d_name[0] == '.')
            continue;
        if (n_names == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            char **grown = realloc(names, capacity * sizeof *names);
            if (grown == NULL)
                goto cleanup;
            names = grown;
        }
        if ((names[n_names] = strdup(entry->d_name)) == NULL)
            goto cleanup;
        n_names++;
    }
    qsort(names, n_names, sizeof *names, compare_names);
    for (size_t i = 0; i < n_names; i++) {
        char path[4096];
        struct stat info;
        snprintf(path, sizeof path, "%s/%s", folder, names[i]);
        if (stat(path, &info) != 0 || !S_ISREG(info.st_mode))
            continue;
        if (run_file(path) != 0)
            goto cleanup;
        ++*n_inputs;
    }
    status = 0;
cleanup:
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    closedir(dir);
    return status;
}

int main(int argc, char **argv)
{
    long heap_mb = DEFAULT_HEAP_MB;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--heap-mb") == 0) {
        char *end = NULL;
        heap_mb = strtol(argv[2], &end, 10);
        if (end == argv[2] || *end != '\0' || heap_mb < 1 || heap_mb > (1L << 20))
            heap_mb = 0;
        first = 3;
    }
    if (argc <= first || heap_mb == 0) {
        fprintf(stderr, "usage: %s [--heap-mb N] CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    if (__asan_init == NULL) {
        rlim_t bytes = (rlim_t)heap_mb << 20;
        struct rlimit cap = {bytes, bytes};
        if (setrlimit(RLIMIT_DATA, &cap) != 0)
            fprintf(stderr, "corpus_driver: cannot cap the heap: %s\n", strerror(errno));
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t n_inputs = 0;
    for (int i = first; i < argc; i++) {
        struct stat info;
        if (stat(argv[i], &info) != 0) {
            fprintf(stderr, "corpus_driver: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (S_ISDIR(info.st_mode) ? run_folder(argv[i], &n_inputs) != 0 : run_file(argv[i]) != 0)
            return 1;
        if (!S_ISDIR(info.st_mode))
            n_inputs++;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds =
        (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
    if (n_inputs == 0) {
        fprintf(stderr, "corpus_driver: no inputs found\n");
        return 1;
    }
    printf("corpus_driver: %zu inputs passed in %.3f s\n", n_inputs, seconds);
    return 0;
}
