/* results_bytes.c: an existing results file checked as bytes, before HDF5
 * reads it.
 *
 * HDF5 trusts the sizes a file states: a truncated file, or a global heap
 * whose stated size is damaged, makes it read past its buffers. These
 * checks read the file with plain system calls and name the problem in
 * words a user can act on (see results_source.h).
 */
#include "results_source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes read at a time when the file is scanned for global heaps. */
#define SCAN_BLOCK (1 << 20)
/* The largest global heap collection read whole: it holds the root
 * attributes' text, two copies of a config of at most 64 MiB and a little. */
#define MAX_COLLECTION_BYTES (256ULL << 20)

static unsigned long long little_endian(const unsigned char *bytes, int size)
{
    unsigned long long value = 0;
    for (int i = size - 1; i >= 0; i--)
        value = value << 8 | bytes[i];
    return value;
}

/* Before HDF5 sees the file: is it a regular file, does it start with the
 * HDF5 signature, and is it as long as its superblock says? A truncated
 * file is named as such here, in words a user can act on, rather than by
 * whatever part of HDF5 first reads past the end. */
static int check_superblock(const char *path, long long *file_bytes, int *length_size,
                            sweep_error *err)
{
    static const unsigned char SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[64];
    struct stat info;
    /* O_NONBLOCK: a FIFO named as a part must not hang the open. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return error_set(err, ERROR_INPUT, "%s: cannot read it: %s", path, strerror(errno));
    ssize_t got = -1;
    int saved_errno = 0;
    bool regular = fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
    if (regular) {
        got = pread(fd, head, sizeof head, 0);
        saved_errno = errno;
    }
    close(fd);
    if (!regular)
        return error_set(err, ERROR_INPUT, "%s: %s", path,
                         S_ISDIR(info.st_mode) ? "is a folder, not a results file"
                                               : "not a regular file");
    if (got < 0)
        return error_set(err, ERROR_INPUT, "%s: cannot read it: %s", path, strerror(saved_errno));
    *file_bytes = (long long)info.st_size;
    if (got < (ssize_t)sizeof SIGNATURE || memcmp(head, SIGNATURE, sizeof SIGNATURE) != 0)
        return error_set(err, ERROR_INPUT, "%s: not a valid sweep results file: not an HDF5 file",
                         path);
    /* Superblock versions 0 and 1 keep the address size at byte 13 and the
     * addresses from byte 24 (28); versions 2 and 3 at byte 9 and from 12.
     * The end-of-file address is the third address. */
    int version = head[8];
    if (version > 3)
        return 0; /* a newer layout: HDF5 judges it */
    int address_size = version <= 1 ? head[13] : head[9];
    *length_size = version <= 1 ? head[14] : head[10];
    size_t at = version == 0 ? 24 : version == 1 ? 28 : 12;
    if (address_size != 2 && address_size != 4 && address_size != 8)
        return error_set(err, ERROR_INPUT,
                         "%s: truncated or damaged (its HDF5 superblock "
                         "gives addresses of %d bytes)",
                         path, address_size);
    if ((ssize_t)(at + 3 * (size_t)address_size) > got)
        return error_set(err, ERROR_INPUT, "%s: truncated or damaged (only %zd bytes)", path, got);
    unsigned long long base = little_endian(&head[at], address_size);
    unsigned long long end = little_endian(&head[at + 2 * (size_t)address_size], address_size);
    if (base > ULLONG_MAX - end || base + end > (unsigned long long)info.st_size)
        return error_set(err, ERROR_INPUT,
                         "%s: truncated or damaged (%lld bytes, of the %llu "
                         "its HDF5 superblock records)",
                         path, (long long)info.st_size, base > ULLONG_MAX - end ? end : base + end);
    return 0;
}

/* HDF5 1.10 trusts the object sizes written in a global heap collection
 * (where variable-length text, such as the config attributes, is kept): a
 * damaged size makes H5HG_read copy far past the collection (found by
 * tests/fuzz/fuzz_results.c). So each collection is walked here first, the
 * way HDF5 walks it, and every object must lie inside its collection.
 * `offset`: where the signature "GCOL" was found. */
static int check_collection(int fd, const char *path, unsigned long long offset,
                            unsigned long long file_size, int length_size, sweep_error *err)
{
    unsigned char header[16];
    size_t header_size = 8 + (size_t)length_size;
    if (pread(fd, header, header_size, (off_t)offset) != (ssize_t)header_size || header[4] != 1)
        return 0; /* not a collection HDF5 would read (it checks the version) */
    unsigned long long size = little_endian(&header[8], length_size);
    if (size < header_size || size > file_size - offset || size > MAX_COLLECTION_BYTES)
        return error_set(err, ERROR_INPUT,
                         "%s: truncated or damaged (the global heap at byte "
                         "%llu claims %llu bytes)",
                         path, offset, size);
    unsigned char *bytes = malloc(size);
    if (bytes == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    int status = 0;
    if (pread(fd, bytes, size, (off_t)offset) != (ssize_t)size)
        status = error_set(err, ERROR_INPUT,
                           "%s: truncated or damaged (the global heap at "
                           "byte %llu does not read)",
                           path, offset);
    size_t object_header = 8 + (size_t)length_size;
    for (size_t at = header_size; status == 0 && at + object_header <= size;) {
        unsigned index = bytes[at] | (unsigned)bytes[at + 1] << 8;
        unsigned long long object_size = little_endian(&bytes[at + 8], length_size);
        /* Index 0 is the free space, whose size counts its header; the
         * others are padded to 8 bytes after their header. */
        unsigned long long need = index == 0           ? object_size
                                  : object_size > size ? size + 1
                                                       : object_header + (object_size + 7) / 8 * 8;
        if (need == 0 || need > size - at)
            status = error_set(err, ERROR_INPUT,
                               "%s: truncated or damaged (object %u of the "
                               "global heap at byte %llu claims %llu bytes)",
                               path, index, offset, object_size);
        at += (size_t)need;
    }
    free(bytes);
    return status;
}

/* A collection may be anywhere, so the whole file is scanned for its
 * signature: one sequential read, less than what --resume and merge then
 * read of the file anyway. */
static int check_global_heaps(const char *path, unsigned long long file_size, int length_size,
                              sweep_error *err)
{
    if (length_size != 2 && length_size != 4 && length_size != 8)
        return error_set(err, ERROR_INPUT,
                         "%s: truncated or damaged (its HDF5 superblock "
                         "gives lengths of %d bytes)",
                         path, length_size);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    unsigned char *window = malloc(SCAN_BLOCK + 3);
    int status = 0;
    if (fd < 0 || window == NULL)
        status = fd < 0
                     ? error_set(err, ERROR_INPUT, "%s: cannot read it: %s", path, strerror(errno))
                     : error_set(err, ERROR_RUNTIME, "out of memory");
    /* Windows overlap by 3 bytes, so that a signature across two is seen. */
    for (unsigned long long start = 0; status == 0 && start < file_size; start += SCAN_BLOCK) {
        ssize_t got = pread(fd, window, SCAN_BLOCK + 3, (off_t)start);
        if (got < 0) {
            status = error_set(err, ERROR_INPUT, "%s: cannot read it: %s", path, strerror(errno));
            break;
        }
        for (ssize_t at = 0; status == 0 && at + 4 <= got && at < SCAN_BLOCK; at++) {
            const unsigned char *found = memchr(&window[at], 'G', (size_t)(got - at));
            if (found == NULL)
                break;
            at = found - window;
            if (at < SCAN_BLOCK && at + 4 <= got && memcmp(found, "GCOL", 4) == 0)
                status = check_collection(fd, path, start + (unsigned long long)at, file_size,
                                          length_size, err);
        }
    }
    if (fd >= 0)
        close(fd);
    free(window);
    return status;
}

int results_check_bytes(const char *path, long long *file_bytes, sweep_error *err)
{
    int length_size = 8;
    if (check_superblock(path, file_bytes, &length_size, err) != 0 ||
        check_global_heaps(path, (unsigned long long)*file_bytes, length_size, err) != 0)
        return -1;
    return 0;
}
