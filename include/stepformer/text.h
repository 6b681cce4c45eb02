// Text that shows numbers: printf-style formatting in which a number never prints as a negative
// zero, so the same value reads the same whatever the last bits of its computation were.
#ifndef STEPFORMER_TEXT_H
#define STEPFORMER_TEXT_H

#include <stdarg.h>
#include <stddef.h>

// snprintf, except that a floating-point conversion (%f %e %g %a and their capitals) whose
// printed digits are all zero carries no minus sign: -0.0001 at "%.2f" prints "0.00", and
// -0.0 prints "0". -inf keeps its sign. Returns what snprintf returns: the length of the whole
// text, of which at most size - 1 bytes are written (always terminated when size > 0), or -1
// for a conversion it does not know (%n, %ls, %Lf), which it never prints.
int text_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int text_vformat(char *buf, size_t size, const char *fmt, va_list ap);

#endif
