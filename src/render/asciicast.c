// asciicast v2 recordings: the header, output and resize events, JSON strings of valid UTF-8,
// times that never go back.
#include "stepformer/asciicast.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/utf8.h"

// The JSON escape of a character that is not written as it is, or NULL.
static const char *short_escape(uint32_t cp)
{
    switch (cp) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        return NULL;
    }
}

// Control characters (C0, DEL, C1) and the two separators JavaScript does not take in a string:
// written as \uXXXX.
static int needs_u_escape(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029;
}

long asciicast_json_chars(FILE *f, const char *s, size_t n, int final)
{
    size_t i = 0, run = 0; // s[run..i): plain characters not yet written
    int bad = 0;
    while (i < n) {
        uint32_t cp;
        int len = utf8_decode(s + i, n - i, 0, &cp);
        if (len == 0 && !final)
            break; // a character cut short: the caller keeps its bytes for later
        const char *esc = len > 0 ? short_escape(cp) : NULL;
        if (len > 0 && !esc && !needs_u_escape(cp)) {
            i += (size_t)len;
            continue;
        }
        if (i > run && fwrite(s + run, 1, i - run, f) != i - run)
            bad = 1;
        if (len <= 0) { // ill-formed (or cut short at the very end): one U+FFFD
            bad |= fputs("\xef\xbf\xbd", f) == EOF;
            i += len < 0 ? (size_t)-len : n - i;
        } else {
            bad |= esc ? fputs(esc, f) == EOF : fprintf(f, "\\u%04x", (unsigned)cp) < 0;
            i += (size_t)len;
        }
        run = i;
    }
    if (i > run && fwrite(s + run, 1, i - run, f) != i - run)
        bad = 1;
    return bad ? -1 : (long)i;
}

// Keeps the first failure of a write to the file; the status.
static int check_write(struct asciicast *c, int failed)
{
    if (failed && !c->status) {
        c->status = SF_ERR_IO;
        c->err_no = errno ? errno : EIO;
    }
    return c->status;
}

int asciicast_begin(struct asciicast *c, const char *path, struct sf_diag *d)
{
    memset(c, 0, sizeof *c);
    return sf_write_begin(&c->w, path, d);
}

// A JSON string: "s", escaped.
static int put_string(FILE *f, const char *s)
{
    return fputc('"', f) == EOF || asciicast_json_chars(f, s, strlen(s), 1) < 0 ||
           fputc('"', f) == EOF;
}

int asciicast_header(struct asciicast *c, const struct asciicast_header *h, double now_ms)
{
    if (c->status || !c->w.f)
        return c->status ? c->status : SF_ERR_ARG;
    FILE *f = c->w.f;
    errno = 0;
    int bad = fprintf(f, "{\"version\": 2, \"width\": %d, \"height\": %d, \"timestamp\": %lld",
                      h->width, h->height, h->timestamp) < 0;
    if (h->title && *h->title)
        bad |= fputs(", \"title\": ", f) == EOF || put_string(f, h->title);
    bad |= fputs(", \"env\": {", f) == EOF;
    const char *names[] = {"TERM", "SHELL"}, *values[] = {h->term, h->shell};
    for (int k = 0, n = 0; k < 2; k++)
        if (values[k] && *values[k]) {
            bad |= fprintf(f, "%s\"%s\": ", n++ ? ", " : "", names[k]) < 0;
            bad |= put_string(f, values[k]);
        }
    bad |= fputs("}}\n", f) == EOF || fflush(f) != 0;
    c->started = 1;
    c->t0_ms = now_ms;
    return check_write(c, bad);
}

// Starts an event line "[seconds, "code", " at now_ms: the time in microseconds since the
// header, never less than the event before's.
static int event_start(struct asciicast *c, double now_ms, const char *code)
{
    double us = floor((now_ms - c->t0_ms) * 1000.0 + 0.5);
    long long t = us > 0 && us < 9e15 ? (long long)us : 0;
    if (t < c->last_us)
        t = c->last_us;
    c->last_us = t;
    c->events++;
    return fprintf(c->w.f, "[%lld.%06lld, \"%s\", \"", t / 1000000, t % 1000000, code) < 0;
}

// Writes one "o" event of s[0..n) (final: a character cut short at the end is written as
// U+FFFD); the bytes consumed, or -1.
static long output_event(struct asciicast *c, double now_ms, const char *s, size_t n, int final)
{
    // Only the bytes of whole characters make the event: nothing is written if there are none.
    size_t whole = n;
    if (!final) {
        size_t i = n, back = 0;
        while (i > 0 && back < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
            i--, back++;
        uint32_t cp;
        if (i > 0 && (unsigned char)s[i - 1] >= 0xc0 &&
            utf8_decode(s + i - 1, n - i + 1, 0, &cp) == 0)
            whole = i - 1;
    }
    if (whole == 0)
        return 0;
    if (event_start(c, now_ms, "o"))
        return -1;
    long took = asciicast_json_chars(c->w.f, s, whole, final);
    if (took < 0 || fputs("\"]\n", c->w.f) == EOF || fflush(c->w.f) != 0)
        return -1;
    c->bytes += took;
    return took;
}

int asciicast_output(struct asciicast *c, double now_ms, const void *bytes, size_t n)
{
    if (c->status || !c->started)
        return c->status ? c->status : SF_ERR_ARG;
    if (n == 0)
        return 0;
    // The bytes held back from the event before come first.
    size_t total = (size_t)c->n_carry + n;
    char *buf = malloc(total);
    if (!buf)
        return SF_ERR_NOMEM;
    memcpy(buf, c->carry, (size_t)c->n_carry);
    memcpy(buf + c->n_carry, bytes, n);
    errno = 0;
    long took = output_event(c, now_ms, buf, total, 0);
    if (took >= 0) {
        c->n_carry = (int)(total - (size_t)took);
        memcpy(c->carry, buf + took, (size_t)c->n_carry);
    }
    free(buf);
    return check_write(c, took < 0);
}

int asciicast_resize(struct asciicast *c, double now_ms, int width, int height)
{
    if (c->status || !c->started)
        return c->status ? c->status : SF_ERR_ARG;
    errno = 0;
    int bad = event_start(c, now_ms, "r") || fprintf(c->w.f, "%dx%d\"]\n", width, height) < 0 ||
              fflush(c->w.f) != 0;
    return check_write(c, bad);
}

int asciicast_end(struct asciicast *c, struct sf_diag *d)
{
    if (!c->w.f)
        return sf_diag_set(d, SF_ERR_IO, NULL, 0, 0, "no recording is being written");
    if (!c->status && c->n_carry > 0) {
        errno = 0;
        long took = output_event(c, c->t0_ms + (double)c->last_us / 1000.0, (const char *)c->carry,
                                 (size_t)c->n_carry, 1);
        check_write(c, took < 0);
        c->n_carry = 0;
    }
    return sf_write_commit(&c->w, c->status, c->err_no, d);
}

void asciicast_free(struct asciicast *c)
{
    sf_write_abort(&c->w);
    memset(c, 0, sizeof *c);
}
