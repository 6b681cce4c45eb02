// UTF-8: characters decoded, encoded, counted and stepped over; text from files made safe for a
// terminal (control characters and broken bytes escaped), and cut at character boundaries.
#include "stepformer/utf8.h"

#include <stdint.h>
#include <string.h>

int utf8_decode(const char *str, size_t n, unsigned flags, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char b = s[0], lo = 0x80, hi = 0xbf; // lo, hi: the range of the second byte
    int lax = (flags & UTF8_LAX) != 0, len;
    uint32_t c;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    // A continuation byte; strictly, C0 and C1 too (they start only overlong 2-byte forms).
    if (b < (lax ? 0xc0 : 0xc2))
        return -1;
    if (b < 0xe0) {
        len = 2, c = b & 0x1fu;
    } else if (b < 0xf0) {
        len = 3, c = b & 0x0fu;
        if (!lax) {
            lo = b == 0xe0 ? 0xa0 : 0x80; // E0 80..9F would be overlong
            hi = b == 0xed ? 0x9f : 0xbf; // ED A0..BF would be a surrogate
        }
    } else if (b < (lax ? 0xf8 : 0xf5)) {
        len = 4, c = b & 0x07u;
        if (!lax) {
            lo = b == 0xf0 ? 0x90 : 0x80; // F0 80..8F would be overlong
            hi = b == 0xf4 ? 0x8f : 0xbf; // F4 90.. would be above U+10FFFF
        }
    } else {
        return -1;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return 0;
        if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
            return -i;
        c = c << 6 | (s[i] & 0x3fu);
    }
    *cp = c;
    return len;
}

int utf8_encode(uint32_t cp, char *out)
{
    unsigned char *u = (unsigned char *)out;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        return 1;
    }
    int len = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : cp < 0x200000 ? 4 : 0;
    // The last bytes carry 6 bits each, from the end; the lead byte the rest after its marker.
    for (int i = len - 1; i > 0; i--, cp >>= 6)
        u[i] = (unsigned char)(0x80 | (cp & 0x3fu));
    if (len)
        u[0] = (unsigned char)((len == 2 ? 0xc0 : len == 3 ? 0xe0 : 0xf0) | cp);
    return len;
}

// A continuation byte: 10xxxxxx.
static int continues(char b)
{
    return ((unsigned char)b & 0xc0) == 0x80;
}

size_t utf8_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += !continues(s[i]);
    return count;
}

size_t utf8_next(const char *s, size_t n, size_t i)
{
    for (i++; i < n && continues(s[i]); i++)
        ;
    return i;
}

size_t utf8_prev(const char *s, size_t i)
{
    for (i--; i > 0 && continues(s[i]); i--)
        ;
    return i;
}

// The shown form of the character at s (n >= 1 bytes) in out (at most 6 bytes), its length
// in *len. Returns the bytes of s it stands for; 0 when more != 0 and the character's other
// bytes may still come.
static size_t escape_one(const unsigned char *s, size_t n, int more, unsigned flags, char *out,
                         size_t *len)
{
    static const char hex[] = "0123456789abcdef";
    uint32_t cp = 0;
    int k = utf8_decode((const char *)s, n, 0, &cp);
    if (k == 0 && more)
        return 0;
    int keep = (flags & UTF8_KEEP_LINES) && (cp == '\n' || cp == '\t');
    if (k <= 0 || ((cp < 0x20 || cp == 0x7f) && !keep)) { // \xNN for the (first) byte
        unsigned char b = s[0];
        out[0] = '\\', out[1] = 'x', out[2] = hex[b >> 4], out[3] = hex[b & 15];
        *len = 4;
        return 1;
    }
    if (cp >= 0x80 && cp <= 0x9f) { // a C1 control: \u0080 .. \u009f
        memcpy(out, "\\u00", 4);
        out[4] = hex[cp >> 4], out[5] = hex[cp & 15];
        *len = 6;
        return (size_t)k;
    }
    memcpy(out, s, (size_t)k);
    *len = (size_t)k;
    return (size_t)k;
}

size_t utf8_escape(char *buf, size_t size, const char *s, size_t n, unsigned flags)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    if (size == 0)
        return 0;
    while (i < n) {
        char shown[8];
        size_t len, k = escape_one(u + i, n - i, 0, flags, shown, &len);
        if (o + len + 1 > size)
            break;
        memcpy(buf + o, shown, len);
        o += len;
        i += k;
    }
    buf[o] = '\0';
    return i;
}

const char *utf8_safe(char *buf, size_t size, const char *s)
{
    utf8_escape(buf, size, s, strlen(s), 0);
    return buf;
}

const char *utf8_column(char *buf, size_t size, const char *s, int width)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, o = 0;
    int chars = 0;
    if (size == 0)
        return buf;
    while (i < n) {
        char shown[8];
        size_t len, k = escape_one(u + i, n - i, 0, 0, shown, &len);
        int w = shown[0] == '\\' && len > 1 ? (int)len : 1; // an escape, or one character
        if (chars + w > width || o + len + 1 > size)
            break;
        memcpy(buf + o, shown, len);
        o += len;
        i += k;
        chars += w;
    }
    for (; chars < width && o + 1 < size; chars++)
        buf[o++] = ' ';
    buf[o] = '\0';
    return buf;
}

size_t utf8_cut(const char *s, size_t n, size_t max)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int k = utf8_decode(s + i, n - i, 0, &cp);
        if (k == 0) // a character that s cuts short
            break;
        size_t step = k > 0 ? (size_t)k : 1;
        if (i + step > max)
            break;
        i += step;
    }
    return i;
}

void utf8_stream_init(struct utf8_stream *t, FILE *f, unsigned flags)
{
    memset(t, 0, sizeof *t);
    t->f = f;
    t->flags = flags;
}

void utf8_stream_put(struct utf8_stream *t, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    char shown[8];
    size_t len, k;
    if (t->n_held > 0 && n > 0) {
        // The held start and the first new bytes: enough for any character that begins in the
        // held bytes, or all of the new ones (then the character may still be incomplete).
        unsigned char w[8];
        size_t held = (size_t)t->n_held, take = n < 4 ? n : 4, wn = held + take, i = 0;
        memcpy(w, t->held, held);
        memcpy(w + held, p, take);
        while (i < held) {
            k = escape_one(w + i, wn - i, take == n, t->flags, shown, &len);
            if (k == 0) { // still cut short (wn - i < 4): hold it all, p included
                memcpy(t->held, w + i, wn - i);
                t->n_held = (int)(wn - i);
                return;
            }
            fwrite(shown, 1, len, t->f);
            i += k;
        }
        p += i - held;
        n -= i - held;
        t->n_held = 0;
    }
    while (n > 0) {
        k = escape_one(p, n, 1, t->flags, shown, &len);
        if (k == 0) { // the start of a character whose other bytes come with the next piece
            memcpy(t->held, p, n);
            t->n_held = (int)n;
            return;
        }
        fwrite(shown, 1, len, t->f);
        p += k;
        n -= k;
    }
}

void utf8_stream_end(struct utf8_stream *t)
{
    char shown[8];
    size_t len;
    for (int i = 0; i < t->n_held; i++) {
        escape_one(t->held + i, 1, 0, t->flags, shown, &len);
        fwrite(shown, 1, len, t->f);
    }
    t->n_held = 0;
}

void utf8_write(FILE *f, const char *s, size_t n, unsigned flags)
{
    struct utf8_stream t;
    utf8_stream_init(&t, f, flags);
    utf8_stream_put(&t, s, n);
    utf8_stream_end(&t);
}
