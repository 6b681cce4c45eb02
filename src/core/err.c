// Status messages, diagnostics and the always-on assert.
#include "stepformer/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/utf8.h"

// The restore hook of a failing assert (see err.h for why it is file-scope state).
static void (*assert_hook)(void);

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

// A text of `len` bytes was cut to fit buf (size bytes): ends it with "..." at the start of a
// UTF-8 character, so that a shortened file name or message is never taken for a whole one.
static void mark_cut(char *buf, size_t size, size_t len)
{
    if (len < size || size < 4)
        return;
    size_t end = utf8_prev(buf, size - 3); // the start of the character that holds byte size - 4
    memcpy(buf + end, "...", 4);
}

int sf_diag_set(struct sf_diag *d, int status, const char *file, int line, int col, const char *fmt,
                ...)
{
    if (!d)
        return status;
    int n = snprintf(d->file, sizeof d->file, "%s", file ? file : "");
    mark_cut(d->file, sizeof d->file, n > 0 ? (size_t)n : 0);
    d->line = line;
    d->col = col;
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    mark_cut(d->msg, sizeof d->msg, n > 0 ? (size_t)n : 0);
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

void sf_assert_set_hook(void (*restore)(void))
{
    assert_hook = restore;
}

void sf_assert_fail(const char *file, int line, const char *cond)
{
    // The terminal first: while curses owns the screen, the message would be lost. The hook
    // is taken out before it runs, so an assert inside it does not run it again.
    void (*restore)(void) = assert_hook;
    assert_hook = NULL;
    if (restore)
        restore();
    fprintf(stderr, "stepformer: %s:%d: assertion failed: %s\n", file, line, cond);
    abort();
}
