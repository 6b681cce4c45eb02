// The lesson parser's side of worked examples (@worked), private to src/lesson.
#ifndef STEPFORMER_LESSON_WORKED_H
#define STEPFORMER_LESSON_WORKED_H

#include "stepformer/lesson.h"

// Applies one '@worked ...' line to w (its argument: s, n bytes, starting at column col of
// line `line`); every problem goes to d at its column. *on gets 0 after '@worked off', 1
// after anything else that was read.
void lesson_worked_directive(struct lesson_worked *w, int *on, const char *s, size_t n, int col,
                             int line, struct lesson_diags *d);

#endif
