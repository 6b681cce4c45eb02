// The line editor: UTF-8 text with a cursor, moved and edited a whole character at a time.
#include "stepformer/line_edit.h"

#include <string.h>

#include "stepformer/utf8.h"

// The length of the character that starts at byte i (< e->len): a whole UTF-8 character, one
// byte that does not start one, or the rest of the text when it cuts a character short.
static int char_len(const struct line_edit *e, int i)
{
    uint32_t cp;
    int k = utf8_decode(e->text + i, (size_t)(e->len - i), 0, &cp);
    return k > 0 ? k : k < 0 ? 1 : e->len - i;
}

// The start of the character that ends at or contains byte `at` - 1 (at > 0): characters are
// found from the start of the text, since a byte alone does not say where a character starts.
static int char_before(const struct line_edit *e, int at)
{
    int i = 0;
    for (;;) {
        int next = i + char_len(e, i);
        if (next >= at)
            return i;
        i = next;
    }
}

// The largest character start at or before byte `at` (deleting can join stray bytes into one
// character, with the cursor inside it).
static int char_start(const struct line_edit *e, int at)
{
    if (at >= e->len)
        return e->len;
    if (at <= 0)
        return 0;
    return char_before(e, at + 1);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

// Removes bytes [from, to) and puts the cursor at from.
static void cut(struct line_edit *e, int from, int to)
{
    memmove(e->text + from, e->text + to, (size_t)(e->len - to) + 1);
    e->len -= to - from;
    e->cursor = char_start(e, from);
}

void line_edit_clear(struct line_edit *e)
{
    e->text[0] = 0;
    e->len = e->cursor = 0;
}

void line_edit_set(struct line_edit *e, const char *text)
{
    size_t n = strlen(text);
    e->len = (int)(n < sizeof e->text ? n : utf8_cut(text, n, sizeof e->text - 1));
    memcpy(e->text, text, (size_t)e->len);
    e->text[e->len] = 0;
    e->cursor = e->len;
}

enum line_edit_result line_edit_insert(struct line_edit *e, int cp)
{
    // Characters only: no control (C0, DEL, C1), no surrogate, nothing above U+10FFFF.
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff)
        return LINE_EDIT_REFUSED;
    char u[4];
    int n = utf8_encode((uint32_t)cp, u);
    if (e->len + n >= (int)sizeof e->text)
        return LINE_EDIT_FULL;
    memmove(e->text + e->cursor + n, e->text + e->cursor, (size_t)(e->len - e->cursor) + 1);
    memcpy(e->text + e->cursor, u, (size_t)n);
    e->len += n;
    e->cursor += n;
    return LINE_EDIT_INSERTED;
}

// The start of the word before the cursor: spaces before it, then the characters up to the
// space before them (the word rubout of a Unix terminal).
static int word_start(const struct line_edit *e)
{
    int i = e->cursor;
    while (i > 0 && is_space(e->text[i - 1]))
        i = char_before(e, i);
    while (i > 0 && !is_space(e->text[i - 1]))
        i = char_before(e, i);
    return i;
}

int line_edit_apply(struct line_edit *e, enum sf_edit cmd)
{
    int len = e->len, cursor = e->cursor;
    if (e->cursor > e->len) // text set from outside: the cursor stays inside it
        e->cursor = e->len;
    switch (cmd) {
    case SF_EDIT_LEFT:
        if (e->cursor > 0)
            e->cursor = char_before(e, e->cursor);
        break;
    case SF_EDIT_RIGHT:
        if (e->cursor < e->len)
            e->cursor += char_len(e, e->cursor);
        break;
    case SF_EDIT_HOME:
        e->cursor = 0;
        break;
    case SF_EDIT_END:
        e->cursor = e->len;
        break;
    case SF_EDIT_BACKSPACE:
        if (e->cursor > 0)
            cut(e, char_before(e, e->cursor), e->cursor);
        break;
    case SF_EDIT_DELETE:
        if (e->cursor < e->len)
            cut(e, e->cursor, e->cursor + char_len(e, e->cursor));
        break;
    case SF_EDIT_KILL_START:
        cut(e, 0, e->cursor);
        break;
    case SF_EDIT_KILL_WORD:
        cut(e, word_start(e), e->cursor);
        break;
    case SF_EDIT_KILL_END:
        cut(e, e->cursor, e->len);
        break;
    case SF_EDIT_NONE:
    case SF_EDIT_ACCEPT:
    case SF_EDIT_CANCEL:
    case SF_EDIT_COMPLETE:
    case SF_EDIT_COUNT:
        break;
    }
    return e->len != len || e->cursor != cursor;
}

// The characters in bytes [from, to) of the line.
static int chars_between(const struct line_edit *e, int from, int to)
{
    int n = 0;
    for (int i = from; i < to; i += char_len(e, i))
        n++;
    return n;
}

int line_edit_chars(const struct line_edit *e)
{
    return chars_between(e, 0, e->len);
}

int line_edit_cursor_chars(const struct line_edit *e)
{
    return chars_between(e, 0, e->cursor < e->len ? e->cursor : e->len);
}

// The byte offset of character k (0 .. the number of characters).
static int byte_of_char(const struct line_edit *e, int k)
{
    int i = 0;
    for (; k > 0 && i < e->len; k--)
        i += char_len(e, i);
    return i;
}

// Appends to buf at *o as much of s (n bytes) as fits, in whole characters.
static void put(char *buf, size_t size, size_t *o, const char *s, size_t n)
{
    size_t k = *o + 1 < size ? utf8_cut(s, n, size - 1 - *o) : 0;
    memcpy(buf + *o, s, k);
    *o += k;
    buf[*o] = 0;
}

int line_edit_view(const struct line_edit *e, int cols, char *buf, size_t size, int *cursor_col)
{
    int n = line_edit_chars(e), c = line_edit_cursor_chars(e), at_end = c == n;
    int first = 0, shown = n, left = 0, right = 0; // characters [first, first + shown)
    if (cols < 3)
        cols = 3;
    if (n + at_end > cols) {
        if (at_end) { // "…", the end, the cursor cell
            left = 1, first = n - (cols - 2);
        } else if (c >= n - (cols - 1)) { // "…" and the end, the cursor on it
            left = 1, first = n - (cols - 1);
        } else if (c < cols - 1) { // the start and "…"
            right = 1, first = 0;
        } else { // "…", the part around the cursor, "…"
            left = right = 1, first = c - (cols - 2) / 2;
        }
        shown = cols - left - right - at_end;
    }
    size_t o = 0;
    if (size == 0)
        return 0;
    buf[0] = 0;
    if (left)
        put(buf, size, &o, "…", strlen("…"));
    int from = byte_of_char(e, first), to = byte_of_char(e, first + shown);
    put(buf, size, &o, e->text + from, (size_t)(to - from));
    if (right)
        put(buf, size, &o, "…", strlen("…"));
    if (at_end)
        put(buf, size, &o, "_", 1);
    *cursor_col = left + (c - first);
    return left + shown + right + at_end;
}
