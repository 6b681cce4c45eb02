// Lesson diagnostics: messages at file:line:col, errors, warnings and notes, printed as a
// compiler prints them.
#include "stepformer/lesson.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/utf8.h"

void lesson_diags_init(struct lesson_diags *d, const char *file)
{
    memset(d, 0, sizeof *d);
    snprintf(d->file, sizeof d->file, "%s", file ? file : "");
}

void lesson_diag_vadd(struct lesson_diags *d, int error, int line, int col, const char *fmt,
                      va_list ap)
{
    if (!d)
        return;
    if (error == LESSON_WARNING)
        d->warnings++;
    else if (error)
        d->errors++;
    else
        d->notes++;
    if (d->n >= LESSON_MAX_DIAGS)
        return;
    struct lesson_msg *m = &d->msgs[d->n++];
    m->line = line;
    m->col = col;
    m->error = error;
    vsnprintf(m->text, sizeof m->text, fmt, ap);
}

void lesson_diag_add(struct lesson_diags *d, int error, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lesson_diag_vadd(d, error, line, col, fmt, ap);
    va_end(ap);
}

void lesson_diags_print(const struct lesson_diags *d, FILE *f)
{
    for (int i = 0; i < d->n; i++) {
        const struct lesson_msg *m = &d->msgs[i];
        fprintf(f, "%s", d->file);
        if (m->line)
            fprintf(f, ":%d", m->line);
        if (m->line && m->col)
            fprintf(f, ":%d", m->col);
        fprintf(f, ": %s: %s\n",
                m->error == LESSON_WARNING ? "warning"
                : m->error                 ? "error"
                                           : "note",
                m->text);
    }
    int dropped = d->errors + d->notes + d->warnings - d->n;
    if (dropped > 0)
        fprintf(f, "%s: note: %d more messages not shown; fix the ones above first\n", d->file,
                dropped);
}
