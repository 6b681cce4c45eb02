// Numbers in text: formatting (snprintf with no negative zero) and reading (a whole string).
#include "stepformer/text.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Writes s (n bytes) at offset *len of buf, as much as fits before the terminator.
static void put(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
    if (*len + 1 < size) {
        size_t room = size - 1 - *len, k = n < room ? n : room;
        memcpy(buf + *len, s, k);
        buf[*len + k] = 0;
    }
    *len += n;
}

// 1 when the printed mantissa (the part before an exponent) has no digit but 0.
static int prints_zero(const char *s, char conv)
{
    if (conv == 'a' || conv == 'A')
        return 0; // hex floats: only an exact zero prints as zero, and x != 0 was checked
    for (; *s && *s != 'e' && *s != 'E'; s++)
        if (*s >= '1' && *s <= '9')
            return 0;
    return 1;
}

// One floating-point conversion under spec (e.g. "%8.3f"), with no negative zero.
static void put_float(char *buf, size_t size, size_t *len, const char *spec, char conv, double x)
{
    char num[512];
    int n = snprintf(num, sizeof num, spec, x);
    if (n < 0)
        return;
    if (signbit(x) && !isinf(x) && (size_t)n < sizeof num) {
        char pos[512];
        int m = snprintf(pos, sizeof pos, spec, fabs(x));
        if (m >= 0 && (size_t)m < sizeof pos && (isnan(x) || x == 0 || prints_zero(pos, conv))) {
            put(buf, size, len, pos, (size_t)m);
            return;
        }
    }
    if ((size_t)n < sizeof num) {
        put(buf, size, len, num, (size_t)n);
        return;
    }
    // longer than num (a huge width): as snprintf would, without the sign check
    size_t at = *len < size ? *len : size;
    n = snprintf(size > at ? buf + at : NULL, size > at ? size - at : 0, spec, x);
    *len += (size_t)(n > 0 ? n : 0);
}

// Appends the decimal value v to spec at *k (for a '*' width or precision).
static void spec_int(char *spec, size_t *k, size_t cap, long v)
{
    int n = snprintf(spec + *k, cap - *k, "%ld", v);
    *k += n > 0 ? (size_t)n : 0;
    if (*k >= cap)
        *k = cap - 1;
}

int text_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    size_t len = 0;
    if (size > 0)
        buf[0] = 0;
    const char *p = fmt;
    while (*p) {
        const char *lit = p;
        while (*p && *p != '%')
            p++;
        put(buf, size, &len, lit, (size_t)(p - lit));
        if (!*p)
            break;
        p++; // past '%'
        if (*p == '%') {
            put(buf, size, &len, "%", 1);
            p++;
            continue;
        }
        // The conversion's spec with '*' replaced by the numbers it takes.
        char spec[64];
        size_t k = 0;
        spec[k++] = '%';
        while (*p && strchr("-+ #0", *p) && k < 16)
            spec[k++] = *p++;
        if (*p == '*') {
            int w = va_arg(ap, int);
            if (w < 0) {
                spec[k++] = '-';
                w = -w;
            }
            spec_int(spec, &k, 40, w);
            p++;
        } else {
            while (*p >= '0' && *p <= '9' && k < 40)
                spec[k++] = *p++;
        }
        if (*p == '.') {
            p++;
            if (*p == '*') {
                int prec = va_arg(ap, int);
                if (prec >= 0) {
                    spec[k++] = '.';
                    spec_int(spec, &k, 52, prec);
                }
                p++;
            } else {
                spec[k++] = '.';
                while (*p >= '0' && *p <= '9' && k < 52)
                    spec[k++] = *p++;
            }
        }
        char lm[3] = {0}; // length modifier
        if (*p && strchr("hljztL", *p)) {
            lm[0] = *p++;
            if ((lm[0] == 'h' || lm[0] == 'l') && *p == lm[0])
                lm[1] = *p++;
        }
        char conv = *p;
        if (!conv || lm[0] == 'L' || (lm[0] == 'l' && (conv == 'c' || conv == 's')) ||
            !strchr("diouxXcspfFeEgGaA", conv))
            return -1;
        p++;
        memcpy(spec + k, lm, strlen(lm));
        k += strlen(lm);
        spec[k++] = conv;
        spec[k] = 0;
        if (strchr("fFeEgGaA", conv)) {
            put_float(buf, size, &len, spec, conv, va_arg(ap, double));
            continue;
        }
        size_t at = len < size ? len : size;
        char *dst = size > at ? buf + at : NULL;
        size_t room = size > at ? size - at : 0;
        int n;
        int is_signed = conv == 'd' || conv == 'i';
        if (conv == 's')
            n = snprintf(dst, room, spec, va_arg(ap, const char *));
        else if (conv == 'p')
            n = snprintf(dst, room, spec, va_arg(ap, void *));
        else if (conv == 'c')
            n = snprintf(dst, room, spec, va_arg(ap, int));
        else if (lm[0] == 'l' && lm[1] == 'l')
            n = is_signed ? snprintf(dst, room, spec, va_arg(ap, long long))
                          : snprintf(dst, room, spec, va_arg(ap, unsigned long long));
        else if (lm[0] == 'l')
            n = is_signed ? snprintf(dst, room, spec, va_arg(ap, long))
                          : snprintf(dst, room, spec, va_arg(ap, unsigned long));
        else if (lm[0] == 'z')
            n = snprintf(dst, room, spec, va_arg(ap, size_t));
        else if (lm[0] == 'j')
            n = is_signed ? snprintf(dst, room, spec, va_arg(ap, intmax_t))
                          : snprintf(dst, room, spec, va_arg(ap, uintmax_t));
        else if (lm[0] == 't')
            n = snprintf(dst, room, spec, va_arg(ap, ptrdiff_t));
        else // int and smaller (hh, h): promoted to int
            n = is_signed ? snprintf(dst, room, spec, va_arg(ap, int))
                          : snprintf(dst, room, spec, va_arg(ap, unsigned));
        len += (size_t)(n > 0 ? n : 0);
    }
    return len > (size_t)2147483647 ? -1 : (int)len;
}

int text_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = text_vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

// Where the number of s starts, after the white space flags allow before it; NULL when the text
// before it is not allowed (white space, which strto* would skip, or a sign).
static const char *number_start(const char *s, unsigned flags)
{
    if (flags & TEXT_NUM_SPACE_BEFORE)
        while (isspace((unsigned char)*s))
            s++;
    if (isspace((unsigned char)*s) || ((flags & TEXT_NUM_UNSIGNED) && (*s == '+' || *s == '-')))
        return NULL;
    return s;
}

// 1 when strto* read a number from start up to end and only what flags allow follows it.
static int number_whole(const char *start, const char *end, unsigned flags)
{
    if (end == start) // no number at all
        return 0;
    if (flags & TEXT_NUM_SPACE_AFTER)
        while (*end == ' ')
            end++;
    return *end == '\0';
}

int text_parse_long(const char *s, long lo, long hi, unsigned flags, long *out)
{
    const char *p = number_start(s, flags);
    char *end;
    int saved = errno, ok = 0;
    if (p) {
        errno = 0;
        long v = strtol(p, &end, 10);
        ok = !errno && number_whole(p, end, flags) && v >= lo && v <= hi;
        if (ok)
            *out = v;
    }
    errno = saved;
    return ok ? 0 : -1;
}

int text_parse_u64(const char *s, uint64_t lo, uint64_t hi, unsigned flags, uint64_t *out)
{
    const char *p = number_start(s, flags);
    char *end;
    int saved = errno, ok = 0;
    if (p && *p != '-') { // strtoull would negate it
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        ok = !errno && number_whole(p, end, flags) && v >= lo && v <= hi;
        if (ok)
            *out = (uint64_t)v;
    }
    errno = saved;
    return ok ? 0 : -1;
}

int text_parse_double(const char *s, double lo, double hi, unsigned flags, double *out)
{
    const char *p = number_start(s, flags);
    char *end;
    int saved = errno, ok = 0;
    if (p) {
        errno = 0;
        double v = strtod(p, &end);
        // ERANGE: an overflow (then v is infinite) or an underflow.
        ok = number_whole(p, end, flags) && isfinite(v) &&
             (errno != ERANGE || (flags & TEXT_NUM_UNDERFLOW)) && v >= lo && v <= hi;
        if (ok)
            *out = v;
    }
    errno = saved;
    return ok ? 0 : -1;
}

int text_edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63)
        la = 63;
    if (lb > 63)
        lb = 63;
    int prev[64], cur[64];
    for (int j = 0; j <= lb; j++)
        prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        for (int j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
    }
    return prev[lb];
}

int text_nearest(const char *word, size_t n, const char *const *names, int count)
{
    char w[64];
    snprintf(w, sizeof w, "%.*s", (int)(n < sizeof w - 1 ? n : sizeof w - 1), word);
    int best = -1, best_d = 0, len = (int)strlen(w), far = len / 3 > 2 ? len / 3 : 2;
    for (int i = 0; i < count; i++) {
        int d = text_edit_distance(w, names[i]);
        if (d <= far && (best < 0 || d < best_d))
            best = i, best_d = d;
    }
    return best;
}
