// Text that shows numbers, and numbers read from text. Formatting is printf-style, except that a
// number never prints as a negative zero, so the same value reads the same whatever the last
// bits of its computation were. Reading takes a whole string as one number in a range; every
// option, lesson directive, typed value and file field that holds a number is read here.
#ifndef STEPFORMER_TEXT_H
#define STEPFORMER_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

// snprintf, except that a floating-point conversion (%f %e %g %a and their capitals) whose
// printed digits are all zero carries no minus sign: -0.0001 at "%.2f" prints "0.00", and
// -0.0 prints "0". -inf keeps its sign. Returns what snprintf returns: the length of the whole
// text, of which at most size - 1 bytes are written (always terminated when size > 0), or -1
// for a conversion it does not know (%n, %ls, %Lf), which it never prints.
int text_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int text_vformat(char *buf, size_t size, const char *fmt, va_list ap);

// How much text around a number text_parse_* accept. With no flag, s is the number and nothing
// else: no white space before or after it, a '+' or '-' sign allowed.
enum text_num_flags {
    TEXT_NUM_SPACE_BEFORE = 1, // white space before it (' ', tab, newline, CR, VT, FF: isspace)
    TEXT_NUM_SPACE_AFTER = 2,  // spaces (' ' only) after it
    TEXT_NUM_UNSIGNED = 4,     // no sign: it starts with a digit (or a double with '.')
    // text_parse_double: a number too close to 0 to be held at a double's full precision (it
    // rounds to a subnormal or to 0) is taken as what it rounds to, instead of refused.
    TEXT_NUM_UNDERFLOW = 8,
};

// Reads the whole of s as one decimal number inside [lo, hi] into *out: 0, or -1 (*out
// untouched) when s holds anything else or the number is out of range (overflowing the type
// included). The grammar is strtol's in base 10, and strtod's for a double (C locale: a decimal
// point, an exponent, hexadecimal floats; "inf" and "nan" are refused, as nothing that is not
// finite is in range). errno is left as it was.
int text_parse_long(const char *s, long lo, long hi, unsigned flags, long *out);
int text_parse_double(const char *s, double lo, double hi, unsigned flags, double *out);
// The same for the unsigned 64-bit range (a seed): a '-' sign is refused.
int text_parse_u64(const char *s, uint64_t lo, uint64_t hi, unsigned flags, uint64_t *out);

// The edit distance (insertions, deletions, substitutions) between a and b, over their first
// 63 bytes.
int text_edit_distance(const char *a, const char *b);
// The index of the name nearest to word (n bytes) among count names, when it is near enough to
// be a typo (at most a third of its length away, 2 at least); -1 when none is.
int text_nearest(const char *word, size_t n, const char *const *names, int count);

#endif
