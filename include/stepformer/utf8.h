// UTF-8: characters read, written, counted and stepped over; text from files (token pieces,
// decoded text, lesson titles, file and model names) made safe to show on a terminal, and cut at
// character boundaries. Every piece of code that looks inside UTF-8 does it through this header.
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
#include <stdint.h>
#include <stdio.h>

enum utf8_flags {
    UTF8_KEEP_LINES = 1, // utf8_escape and the stream: newline and tab are kept (text as lines)
    UTF8_LAX = 2,        // utf8_decode: the lax reading below
};

// Reading one character. utf8_decode reads it strictly (RFC 3629: no overlong form, no
// surrogate, nothing above U+10FFFF), as the escaping and cutting below do. With UTF8_LAX it
// reads what the lead byte announces (110xxxxx: 2 bytes, 1110xxxx: 3, 11110xxx: 4, each further
// byte 10xxxxxx), overlong forms, surrogates and values up to 0x1FFFFF included: how the cell
// grid and the character tokenizer have always split text.
//
// Decodes the character at s (n >= 1 bytes available) into *cp. Returns its length (1-4); 0
// when s[0..n) is the start of a character whose other bytes are not there (text cut short);
// -k when s does not start a character: its first k bytes (at least 1) are the lead byte and
// the continuation bytes accepted after it before the one that does not fit.
int utf8_decode(const char *s, size_t n, unsigned flags, uint32_t *cp);
// Writes cp (below 0x200000: what either reading gives) as UTF-8 into out (4 bytes of room).
// Returns its length (1-4), or 0 for a larger value. cp is not checked further: a caller that
// takes characters only refuses controls, surrogates and values above U+10FFFF first.
int utf8_encode(uint32_t cp, char *out);

// Characters told apart by their first bytes alone: every byte that is not a continuation byte
// (10xxxxxx) starts one. On valid text this agrees with utf8_decode; a stray continuation byte
// belongs to the character before it. Fast, for counting columns and stepping over text that
// is shown.
// The number of characters in s[0..n).
size_t utf8_count(const char *s, size_t n);
// The start of the character after the one at byte i (i < n): i + 1 and past the continuation
// bytes that follow, at most n.
size_t utf8_next(const char *s, size_t n, size_t i);
// The start of the character before byte i (i > 0): byte i - 1, or the nearest byte before it
// that is not a continuation byte (0 at the least).
size_t utf8_prev(const char *s, size_t i);

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
