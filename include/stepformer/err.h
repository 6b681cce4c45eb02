// Status codes (one X-macro table with messages), parser diagnostics and the always-on assert.
#ifndef STEPFORMER_ERR_H
#define STEPFORMER_ERR_H

#include <stddef.h>

// X(name, value, message)
#define SF_STATUS_LIST(X)                                                                          \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(IO, -2, "cannot read or write the file")                                                     \
    X(FORMAT, -3, "the file is not in a format stepformer reads")                                  \
    X(VERSION, -4, "unsupported file version")                                                     \
    X(TRUNCATED, -5, "the file is shorter than its header says")                                   \
    X(SHAPE, -6, "tensor shapes do not match")                                                     \
    X(RANGE, -7, "a value is outside the allowed range")                                           \
    X(NONFINITE, -8, "a value is NaN or infinite")                                                 \
    X(ARG, -9, "invalid argument")                                                                 \
    X(NOTFOUND, -10, "no such name")                                                               \
    X(TOKEN, -11, "the text cannot be tokenized")                                                  \
    X(EMPTY, -12, "the input is empty")                                                            \
    X(TOOLONG, -13, "the input is longer than the model's context")

enum sf_status {
    SF_OK = 0,
#define SF_X(name, value, msg) SF_ERR_##name = value,
    SF_STATUS_LIST(SF_X)
#undef SF_X
};

// The message for a status code ("ok" for 0, "unknown error" for codes not in the table).
const char *sf_strerror(int status);

// Bytes of a message buffer: a sentence that may quote a file name or a value (escaped) and say
// what is wrong and what to do.
#define SF_MSG_MAX 1200

// A diagnostic filled by parsers and loaders: where the problem is and what to do.
// line and col are 1-based; 0 means "not applicable". msg is a full sentence.
struct sf_diag {
    char file[256];
    int line;
    int col;
    char msg[512];
};

// Clears d (safe on NULL).
void sf_diag_clear(struct sf_diag *d);
// Fills d (safe on NULL) with a printf-style message; file may be NULL. Returns status
// so callers can write `return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0, "...")`.
// A file name or message too long for its field is cut and ends in "...".
int sf_diag_set(struct sf_diag *d, int status, const char *file, int line, int col, const char *fmt,
                ...) __attribute__((format(printf, 6, 7)));
// Formats d as "file:line:col: msg" (omitting parts that are empty) into buf.
const char *sf_diag_format(const struct sf_diag *d, char *buf, size_t size);

// Impossible states: a broken invariant is a bug, never bad input (bad input is an SF_ERR_*
// status). SF_ASSERT stays on in every build (NDEBUG does not remove it). On failure it runs
// the restore hook, so the terminal is usable again, then prints "stepformer: FILE:LINE:
// assertion failed: COND" to stderr and aborts. SF_UNREACHABLE(why) marks a place no input can
// reach (a switch over every value of an enum) in the same way.
#define SF_ASSERT(cond)     ((cond) ? (void)0 : sf_assert_fail(__FILE__, __LINE__, #cond))
#define SF_UNREACHABLE(why) sf_assert_fail(__FILE__, __LINE__, why)

// The function a failing SF_ASSERT calls first (NULL: none); the terminal code registers the
// one that restores the screen when it sets the terminal up. Besides the terminal handle in
// src/tui, the hook is the one file-scope mutable variable (all other state hangs off struct
// app): an assert fires anywhere, with no context at hand. It runs at most once.
void sf_assert_set_hook(void (*restore)(void));
// What SF_ASSERT calls on failure: the hook, the message, abort().
_Noreturn void sf_assert_fail(const char *file, int line, const char *cond);

#endif
