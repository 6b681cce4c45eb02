// Writing files that may replace a user's data: temporary file, fsync, rename into place.
#include "stepformer/fileio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sf_write_atomic(const char *path, sf_write_fn fn, const void *ctx, struct sf_diag *d)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory");
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "cannot create a file beside it (%s): check the directory exists "
                           "and is writable",
                           strerror(e));
    }
    // mkstemp makes the file private; give it the mode the file has, or else the usual one.
    struct stat st;
    mode_t mode;
    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(022);
        umask(mask);
        mode = 0666 & ~mask;
    }
    fchmod(fd, mode);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        free(tmp);
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot open a temporary file for writing");
    }
    int rc = fn(f, ctx);
    int e = 0;
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
        e = errno;
        rc = SF_ERR_IO;
    }
    if (fclose(f) != 0 && rc == 0) {
        e = errno;
        rc = SF_ERR_IO;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        e = errno;
        rc = SF_ERR_IO;
    }
    if (rc) {
        unlink(tmp);
        sf_diag_set(d, rc, path, 0, 0,
                    "cannot write the file (%s); the old file, if any, is "
                    "unchanged",
                    e ? strerror(e) : sf_strerror(rc));
    }
    free(tmp);
    return rc;
}

FILE *sf_open_read(const char *path, const char *what, struct sf_diag *d)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot open the %s: %s", what, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        sf_diag_set(d, SF_ERR_IO, path, 0, 0, "is a directory, not a %s", what);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot open the %s: %s", what, strerror(errno));
    return f;
}
