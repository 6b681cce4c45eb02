// Status messages and diagnostics.
#include "stepformer/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sf_strerror(int status)
{
    switch (status) {
    case SF_OK:
        return "ok";
#define SF_X(name, value, msg)                                                                     \
    case SF_ERR_##name:                                                                            \
        return msg;
        SF_STATUS_LIST(SF_X)
#undef SF_X
    }
    return "unknown error";
}

void sf_diag_clear(struct sf_diag *d)
{
    if (d)
        memset(d, 0, sizeof *d);
}

int sf_diag_set(struct sf_diag *d, int status, const char *file, int line, int col, const char *fmt,
                ...)
{
    if (!d)
        return status;
    snprintf(d->file, sizeof d->file, "%s", file ? file : "");
    d->line = line;
    d->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return status;
}

const char *sf_diag_format(const struct sf_diag *d, char *buf, size_t size)
{
    if (!d->file[0])
        snprintf(buf, size, "%s", d->msg);
    else if (d->line <= 0)
        snprintf(buf, size, "%s: %s", d->file, d->msg);
    else if (d->col <= 0)
        snprintf(buf, size, "%s:%d: %s", d->file, d->line, d->msg);
    else
        snprintf(buf, size, "%s:%d:%d: %s", d->file, d->line, d->col, d->msg);
    return buf;
}
