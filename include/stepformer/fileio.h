// Files: whole files read, files opened for reading, and files that may replace a user's data
// written to a temporary file, fsynced and renamed into place.
#ifndef STEPFORMER_FILEIO_H
#define STEPFORMER_FILEIO_H

#include <stdint.h>
#include <stdio.h>

#include "stepformer/err.h"

// Writes the content produced by fn(f, ctx) to a temporary file beside path, flushes and
// fsyncs it, then renames it over path and fsyncs the directory. fn returns 0 or a negative
// SF_ERR_*. On any failure the temporary file is removed, an existing file at path is
// untouched, and d names the file and the reason (a full disk is said to be one: fn's errno
// is kept when it returns SF_ERR_IO).
//
// When path is a symbolic link the content goes to the file the link leads to (the temporary
// file beside that file, renamed over it), and the link stays.
//
// The temporary file is named PATH.tmp-PID-XXXXXX (PID the writer's process id, XXXXXX
// random). Before writing, files of that form beside PATH whose process no longer exists
// (left by a writer that was killed) are removed; those of running processes are kept.
typedef int (*sf_write_fn)(FILE *f, const void *ctx);
int sf_write_atomic(const char *path, sf_write_fn fn, const void *ctx, struct sf_diag *d);

// The same, for content written bit by bit (a recording made as it happens): sf_write_begin
// creates the temporary file beside path (as above; path must not be a directory) and opens
// w->f on it, or fills d with the path and the reason. sf_write_commit ends the write: with rc
// 0 it flushes, fsyncs and renames the file into place; with rc < 0 (the writer's failure, e
// its errno when rc is SF_ERR_IO) it removes the temporary file and d says why, as
// sf_write_atomic does. sf_write_abort removes the temporary file; it is safe on a zeroed or
// finished struct. Until the end, only the temporary file (PATH.tmp-PID-XXXXXX) holds the
// content: a process killed before then leaves it, and the next write to path removes it.
struct sf_write {
    FILE *f;      // where the content goes (NULL once ended)
    char *path;   // as given, for messages
    char *target; // the file replaced (path, or where its symbolic links lead)
    char *tmp;    // the temporary file beside target
};
int sf_write_begin(struct sf_write *w, const char *path, struct sf_diag *d);
int sf_write_commit(struct sf_write *w, int rc, int e, struct sf_diag *d);
void sf_write_abort(struct sf_write *w);

// Checks, without touching path, that sf_write_atomic could write `bytes` bytes there: path
// is not a directory, a temporary file can be created beside it and that many bytes can be
// reserved on its disk. The trial file is removed again. 0, or SF_ERR_IO with d saying why.
int sf_write_check(const char *path, uint64_t bytes, struct sf_diag *d);

// Opens an existing regular file for reading. A missing file, a directory or an unreadable
// one fills d with the path and "cannot open the <what>: reason" and gives NULL.
FILE *sf_open_read(const char *path, const char *what, struct sf_diag *d);

// Reads the whole of a regular file of at most max bytes into a malloc'd buffer with a NUL
// after its last byte; *len gets its size. It never waits on a FIFO or a device: anything but
// a regular file is refused. NULL on failure, *status (when not NULL) set to SF_ERR_IO,
// SF_ERR_RANGE (too big) or SF_ERR_NOMEM, and d naming the path and the reason ("cannot open
// the <what>: ...", "is [a directory,] not a regular file: name the <what> itself", "is N bytes;
// a <what> is at most M", "cannot read the <what>: ...").
char *sf_read_file(const char *path, const char *what, size_t max, size_t *len, int *status,
                   struct sf_diag *d);

// FNV-1a, 64 bits, over bytes: for each byte h = (h ^ byte) * 0x100000001b3, starting from
// SF_FNV1A_INIT (or from the hash of the bytes before, to continue it).
#define SF_FNV1A_INIT 0xcbf29ce484222325ULL
uint64_t sf_fnv1a(uint64_t h, const void *bytes, size_t n);
// The FNV-1a of a whole file's bytes into *hash: 0; SF_ERR_NOTFOUND when there is no such
// file; SF_ERR_IO, with d filled, when it cannot be read.
int sf_fnv1a_file(const char *path, uint64_t *hash, struct sf_diag *d);

#endif
