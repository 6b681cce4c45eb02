// UTF-8 text from files (token pieces, decoded text, lesson titles, file and model names) made
// safe to show on a terminal, and cut at character boundaries.
//
// A terminal obeys the control characters it receives: ESC starts sequences that retitle,
// clear or recolour it, and so do the C1 controls (CSI is U+009B, or the single byte 0x9B on a
// terminal in an 8-bit mode). Every piece of text that came from a file goes through
// utf8_escape (or a function built on it) before it is printed or drawn, so the terminal shows
// such text instead of acting on it:
//   - valid UTF-8 that is not a control character is kept as it is (é, ∑, 漢字);
//   - a C0 control byte (0x00-0x1F) and DEL (0x7F) show as \xNN (ESC as \x1b, a newline as \x0a),
//     except newline and tab with UTF8_KEEP_LINES (multi-line text);
//   - a C1 control character (U+0080-U+009F, two bytes in UTF-8) shows as \u0080-\u009f;
//   - a byte that is not part of valid UTF-8 (a stray continuation byte, an overlong form, a
//     surrogate, a code point above U+10FFFF, a sequence cut short) shows as \xNN, one per byte.
// A backslash is kept as it is: an escape stands out to a reader, and text never turns one into
// a control character.
#ifndef STEPFORMER_UTF8_H
#define STEPFORMER_UTF8_H

#include <stddef.h>
#include <stdio.h>

enum utf8_flags {
    UTF8_KEEP_LINES = 1, // newline and tab are kept (the text is shown as lines)
};

// Writes s (n bytes, any content) into buf escaped as above, whole characters and whole escapes
// only: it stops before the first one that does not fit. buf is NUL-terminated when size > 0.
// Returns the number of bytes of s it has written out (n when everything fit).
size_t utf8_escape(char *buf, size_t size, const char *s, size_t n, unsigned flags);
// The NUL-terminated s escaped on one line (newline and tab escaped too) into buf; returns buf,
// for a printf argument.
const char *utf8_safe(char *buf, size_t size, const char *s);
// utf8_safe cut to at most width characters (never inside a character or an escape) and
// padded with spaces to width: printf's %-W.Ws counted in characters instead of bytes.
const char *utf8_column(char *buf, size_t size, const char *s, int width);

// The length of the longest start of s (n bytes) that is at most max bytes long and does not
// end inside a UTF-8 character; a character that s itself cuts short at its end (text cut by
// snprintf) is left out too. A byte that is not valid UTF-8 counts as one character.
size_t utf8_cut(const char *s, size_t n, size_t max);

// Text printed piece by piece (a generated token at a time): a UTF-8 character whose bytes
// arrive in two pieces is held until the rest comes, so it is neither cut nor escaped.
struct utf8_stream {
    FILE *f;
    unsigned flags;
    unsigned char held[4]; // the start of a character still waiting for its other bytes
    int n_held;
};

void utf8_stream_init(struct utf8_stream *t, FILE *f, unsigned flags);
// Writes s (n bytes) escaped to the stream (not flushed).
void utf8_stream_put(struct utf8_stream *t, const char *s, size_t n);
// The end of the text: bytes still held (a character cut short) are written as \xNN.
void utf8_stream_end(struct utf8_stream *t);
// s (n bytes) escaped to f in one go.
void utf8_write(FILE *f, const char *s, size_t n, unsigned flags);

#endif
