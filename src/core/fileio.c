// Files: whole files read, files opened for reading, and files that may replace a user's data
// written to a temporary file, fsynced and renamed into place.
#include "stepformer/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "stepformer/text.h"

// Links followed before giving up, as the kernel does (ELOOP).
#define MAX_LINK_HOPS 40

// The target of the symbolic link p, malloc'd; NULL with errno set.
static char *read_link(const char *p)
{
    for (size_t cap = 256;; cap *= 2) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        ssize_t n = readlink(p, buf, cap);
        if (n < 0) {
            int e = errno;
            free(buf);
            errno = e;
            return NULL;
        }
        if ((size_t)n < cap) {
            buf[n] = '\0';
            return buf;
        }
        free(buf); // it may have been cut: try a larger buffer
    }
}

// The file a write to path replaces: path itself or, when path is a symbolic link, the file at
// the end of its chain of links (which need not exist yet), as a malloc'd string in *target.
static int resolve_target(const char *path, char **target, struct sf_diag *d)
{
    char *p = strdup(path);
    for (int hops = 0; p; hops++) {
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode)) {
            *target = p;
            return SF_OK;
        }
        if (hops == MAX_LINK_HOPS) {
            free(p);
            return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                               "more than %d symbolic links in a row (a loop?): point it at a "
                               "file",
                               MAX_LINK_HOPS);
        }
        char *link = read_link(p);
        if (!link) {
            int e = errno;
            free(p);
            return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot read the symbolic link (%s)",
                               strerror(e));
        }
        // A relative link is relative to the directory that holds the link.
        const char *slash = strrchr(p, '/');
        char *next = link;
        if (link[0] != '/' && slash) {
            size_t dir_len = (size_t)(slash - p) + 1, link_len = strlen(link);
            next = malloc(dir_len + link_len + 1);
            if (next) {
                memcpy(next, p, dir_len);
                memcpy(next + dir_len, link, link_len + 1);
            }
            free(link);
        }
        free(p);
        p = next;
    }
    return sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory");
}

// The directory that holds target, malloc'd: "." for a bare name, "/" for one in the root.
static char *dir_of(const char *target)
{
    const char *slash = strrchr(target, '/');
    size_t len = slash ? (size_t)(slash - target) : 0;
    char *dir = malloc(len + 2);
    if (!dir)
        return NULL;
    if (!slash)
        strcpy(dir, ".");
    else if (len == 0)
        strcpy(dir, "/");
    else {
        memcpy(dir, target, len);
        dir[len] = '\0';
    }
    return dir;
}

// If name is BASE.tmp-PID-XXXXXX (PID without leading zeros, XXXXXX six letters or digits),
// returns PID; else 0.
static long temp_owner(const char *name, const char *base, size_t base_len)
{
    if (strncmp(name, base, base_len) != 0 || strncmp(name + base_len, ".tmp-", 5) != 0)
        return 0;
    const char *s = name + base_len + 5;
    char digits[10];
    size_t n = strspn(s, "0123456789");
    long pid = 0;
    if (n == 0 || n >= sizeof digits || *s == '0' || s[n] != '-' || strlen(s + n + 1) != 6)
        return 0;
    memcpy(digits, s, n);
    digits[n] = '\0';
    text_parse_long(digits, 1, 999999999, TEXT_NUM_UNSIGNED, &pid);
    s += n;
    for (const char *c = s + 1; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
            return 0;
    return pid;
}

// Removes the temporary files beside target that a writer left when it was killed: those
// named for target whose process no longer exists. A running process's file is never
// touched, so writers running side by side do not disturb each other.
static void remove_stale_temps(const char *target)
{
    char *dir = dir_of(target);
    DIR *dp = dir ? opendir(dir) : NULL;
    free(dir);
    if (!dp)
        return; // creating the temporary file will say what is wrong
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    size_t base_len = strlen(base);
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        long pid = temp_owner(e->d_name, base, base_len);
        // kill(pid, 0) checks that the process exists; EPERM means it does (another user's).
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlinkat(dirfd(dp), e->d_name, 0);
    }
    closedir(dp);
}

// "12345 bytes", "1.5 MB": a size for a message.
static const char *size_text(char *buf, size_t size, uint64_t bytes)
{
    if (bytes < 10000)
        snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
    else if (bytes < 10000000)
        snprintf(buf, size, "%.1f kB", (double)bytes / 1e3);
    else if (bytes < 10000000000ULL)
        snprintf(buf, size, "%.1f MB", (double)bytes / 1e6);
    else
        snprintf(buf, size, "%.1f GB", (double)bytes / 1e9);
    return buf;
}

// Fills d for a write that failed with errno e (0 when unknown) and status rc.
static int write_failed(struct sf_diag *d, const char *path, int rc, int e)
{
    if (e == ENOSPC || e == EDQUOT)
        return sf_diag_set(d, rc, path, 0, 0,
                           "the disk is full (%s): free some space or write to another disk, "
                           "then try again; the old file, if any, is unchanged",
                           strerror(e));
    return sf_diag_set(d, rc, path, 0, 0,
                       "cannot write the file (%s); the old file, if any, is unchanged",
                       e ? strerror(e) : sf_strerror(rc));
}

// Creates target's temporary file: *tmp gets its malloc'd name, *fd the open descriptor.
static int make_temp(const char *target, const char *path, char **tmp, int *fd, struct sf_diag *d)
{
    size_t size = strlen(target) + 48;
    char *name = malloc(size);
    if (!name)
        return sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory");
    snprintf(name, size, "%s.tmp-%ld-XXXXXX", target, (long)getpid());
    *fd = mkstemp(name);
    if (*fd < 0) {
        int e = errno;
        free(name);
        if (e == ENOSPC || e == EDQUOT)
            return write_failed(d, path, SF_ERR_IO, e);
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "cannot create a file beside it (%s): check the directory exists "
                           "and is writable",
                           strerror(e));
    }
    *tmp = name;
    return SF_OK;
}

// Makes a rename in target's directory survive a power cut. Some file systems cannot sync
// a directory; the rename itself has happened either way.
static void sync_dir(const char *target)
{
    char *dir = dir_of(target);
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    free(dir);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

// Opens the temporary file for a write that replaces path: w->f is where the content goes.
static int begin_write(struct sf_write *w, const char *path, struct sf_diag *d)
{
    memset(w, 0, sizeof *w);
    int fd;
    int rc = resolve_target(path, &w->target, d);
    if (rc)
        return rc;
    remove_stale_temps(w->target);
    w->path = strdup(path);
    rc = w->path ? make_temp(w->target, path, &w->tmp, &fd, d)
                 : sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory");
    if (rc) {
        sf_write_abort(w);
        return rc;
    }
    // mkstemp makes the file private; give it the mode the file has, or else the usual one.
    struct stat st;
    mode_t mode;
    if (stat(w->target, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(022);
        umask(mask);
        mode = 0666 & ~mask;
    }
    fchmod(fd, mode);
    w->f = fdopen(fd, "wb");
    if (!w->f) {
        close(fd);
        sf_write_abort(w);
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot open a temporary file for writing");
    }
    return SF_OK;
}

int sf_write_begin(struct sf_write *w, const char *path, struct sf_diag *d)
{
    char *target = NULL;
    memset(w, 0, sizeof *w);
    int rc = resolve_target(path, &target, d);
    if (rc)
        return rc;
    struct stat st;
    int dir = stat(target, &st) == 0 && S_ISDIR(st.st_mode);
    free(target);
    if (dir)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "is a directory: give the name of a file to write");
    return begin_write(w, path, d);
}

int sf_write_commit(struct sf_write *w, int rc, int e, struct sf_diag *d)
{
    if (!w->f) {
        sf_write_abort(w);
        return sf_diag_set(d, SF_ERR_IO, NULL, 0, 0, "no file is being written");
    }
    FILE *f = w->f;
    w->f = NULL;
    if (rc != SF_ERR_IO)
        e = 0;
    if (rc == 0 && fflush(f) != 0) {
        e = errno;
        rc = SF_ERR_IO;
    }
    if (rc == 0 && fsync(fileno(f)) != 0) {
        e = errno;
        rc = SF_ERR_IO;
    }
    if (fclose(f) != 0 && (rc == 0 || (rc == SF_ERR_IO && e == 0))) {
        e = errno;
        rc = SF_ERR_IO;
    }
    if (rc == 0 && rename(w->tmp, w->target) != 0) {
        e = errno;
        rc = SF_ERR_IO;
    }
    if (rc == 0) {
        sync_dir(w->target);
        free(w->tmp); // renamed: nothing is left to remove
        w->tmp = NULL;
    } else {
        write_failed(d, w->path, rc, e);
    }
    sf_write_abort(w);
    return rc;
}

void sf_write_abort(struct sf_write *w)
{
    if (w->f)
        fclose(w->f);
    if (w->tmp)
        unlink(w->tmp);
    free(w->tmp);
    free(w->target);
    free(w->path);
    memset(w, 0, sizeof *w);
}

int sf_write_atomic(const char *path, sf_write_fn fn, const void *ctx, struct sf_diag *d)
{
    struct sf_write w;
    int rc = begin_write(&w, path, d);
    if (rc)
        return rc;
    // The writer's errno says why an fwrite failed (a full disk, say): keep it.
    errno = 0;
    rc = fn(w.f, ctx);
    return sf_write_commit(&w, rc, errno, d);
}

int sf_write_check(const char *path, uint64_t bytes, struct sf_diag *d)
{
    char *target = NULL, *tmp = NULL;
    int fd;
    int rc = resolve_target(path, &target, d);
    if (rc)
        return rc;
    struct stat st;
    if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
        free(target);
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "is a directory: give the name of a file to write");
    }
    remove_stale_temps(target);
    rc = make_temp(target, path, &tmp, &fd, d);
    if (rc) {
        free(target);
        return rc;
    }
    // Reserving the blocks is what writing them would need; file systems that cannot
    // reserve (EINVAL, EOPNOTSUPP) are not checked.
    int e = 0;
    if (bytes > (uint64_t)INT64_MAX)
        e = EFBIG;
    else if (bytes > 0)
        e = posix_fallocate(fd, 0, (off_t)bytes);
    struct statvfs vfs;
    uint64_t avail = fstatvfs(fd, &vfs) == 0 ? (uint64_t)vfs.f_bavail * vfs.f_frsize : 0;
    close(fd);
    unlink(tmp);
    free(tmp);
    free(target);
    char need[32], have[32];
    if (e == ENOSPC || e == EDQUOT)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "the disk is full: writing it needs %s and %s are free; free some "
                           "space or write to another disk",
                           size_text(need, sizeof need, bytes),
                           size_text(have, sizeof have, avail));
    if (e == EFBIG)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "its file system cannot hold a file of %s: write to another disk",
                           size_text(need, sizeof need, bytes));
    return SF_OK;
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

// sf_read_file's failure: *status (when given) becomes code (sf_diag_set's, with d filled).
static char *read_failed(int *status, int code)
{
    if (status)
        *status = code;
    return NULL;
}

char *sf_read_file(const char *path, const char *what, size_t max, size_t *len, int *status,
                   struct sf_diag *d)
{
    // O_NONBLOCK: opening a FIFO with no writer returns at once; fstat then refuses it.
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return read_failed(status, sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot open the %s: %s",
                                               what, strerror(errno)));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int dir = S_ISDIR(st.st_mode);
        close(fd);
        return read_failed(status, sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                                               "is %snot a regular file: name the %s itself",
                                               dir ? "a directory, " : "", what));
    }
    if ((uint64_t)st.st_size > max || (uint64_t)st.st_size >= SIZE_MAX) {
        close(fd);
        return read_failed(status, sf_diag_set(d, SF_ERR_RANGE, path, 0, 0,
                                               "is %lld bytes; a %s is at most %zu",
                                               (long long)st.st_size, what, max));
    }
    size_t size = (size_t)st.st_size, n = 0;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return read_failed(status, sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0,
                                               "cannot read the %s: out of memory", what));
    }
    while (n < size) { // a file that shrinks while it is read ends where it ends
        ssize_t got = read(fd, buf + n, size - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return read_failed(status, sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                                                   "cannot read the %s: %s", what, strerror(e)));
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

uint64_t sf_fnv1a(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

int sf_fnv1a_file(const char *path, uint64_t *hash, struct sf_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        sf_diag_set(d, e == ENOENT ? SF_ERR_NOTFOUND : SF_ERR_IO, path, 0, 0,
                    "cannot read the file (%s)", strerror(e));
        return e == ENOENT ? SF_ERR_NOTFOUND : SF_ERR_IO;
    }
    unsigned char buf[65536];
    uint64_t h = SF_FNV1A_INIT;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = sf_fnv1a(h, buf, n);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot read the file");
    *hash = h;
    return SF_OK;
}
