// Writing files that may replace a user's data: temporary file, fsync, rename into place.
#ifndef STEPFORMER_FILEIO_H
#define STEPFORMER_FILEIO_H

#include <stdio.h>

#include "stepformer/err.h"

// Writes the content produced by fn(f, ctx) to a temporary file beside path, flushes and
// fsyncs it, then renames it over path. fn returns 0 or a negative SF_ERR_*. On any failure
// the temporary file is removed, an existing file at path is untouched, and d names the file
// and the reason.
typedef int (*sf_write_fn)(FILE *f, const void *ctx);
int sf_write_atomic(const char *path, sf_write_fn fn, const void *ctx, struct sf_diag *d);

// Opens an existing regular file for reading. A missing file, a directory or an unreadable
// one fills d with the path and "cannot open the <what>: reason" and gives NULL.
FILE *sf_open_read(const char *path, const char *what, struct sf_diag *d);

#endif
