// Recordings of a session as asciicast v2 files, the format asciinema plays and uploads: one
// JSON header line, then one JSON array per event, [seconds, "o", "bytes written"] or
// [seconds, "r", "WIDTHxHEIGHT"]. The recorder is given the bytes the terminal was sent and the
// times; it needs no terminal. The file is written to a temporary file beside its name and put
// in place when the recording ends (fileio.h's sf_write_begin).
#ifndef STEPFORMER_ASCIICAST_H
#define STEPFORMER_ASCIICAST_H

#include <stddef.h>
#include <stdio.h>

#include "stepformer/err.h"
#include "stepformer/fileio.h"

struct asciicast {
    struct sf_write w;
    int started;             // the header is written
    double t0_ms;            // the clock (sf_now_ms) when the header was written
    long long last_us;       // the time of the last event, in microseconds: never decreases
    unsigned char carry[4];  // the start of a UTF-8 character whose other bytes have not come
    int n_carry;             //   (at most 3 bytes)
    int status, err_no;      // the first write that failed (SF_ERR_IO and its errno), or 0
    long long events, bytes; // written so far (bytes: of output)
};

// What the header says: the terminal's size when the recording starts, when (Unix time, in
// seconds), a title, and the TERM and SHELL of the environment (NULL or "" leave one out).
struct asciicast_header {
    int width, height;
    long long timestamp;
    const char *title;
    const char *term, *shell;
};

// Creates the temporary file for a recording into path. Bad paths (no such directory, not
// writable, a directory) fail here, with d naming the file and the reason, so the caller can
// say so before the session starts. 0 or a negative SF_ERR_*.
int asciicast_begin(struct asciicast *c, const char *path, struct sf_diag *d);
// Writes the header; now_ms (sf_now_ms) is time 0 of the events.
int asciicast_header(struct asciicast *c, const struct asciicast_header *h, double now_ms);
// One output event at now_ms: bytes as the terminal received them. The data is written as a
// JSON string of valid UTF-8: a character cut at the end of bytes is held back and goes with the
// next event; bytes that are not UTF-8 become U+FFFD. Nothing is written for n == 0 (or when
// every byte is held back).
int asciicast_output(struct asciicast *c, double now_ms, const void *bytes, size_t n);
// A resize event: the terminal is now width x height.
int asciicast_resize(struct asciicast *c, double now_ms, int width, int height);
// Ends the recording: a character still held back becomes U+FFFD, then the file is flushed,
// synced and renamed into place. On failure (a write that failed during the session, a full
// disk) the temporary file is removed and d names the file and the reason. 0 or SF_ERR_*.
int asciicast_end(struct asciicast *c, struct sf_diag *d);
// Drops a recording not ended (its temporary file is removed); safe on a zeroed or ended one.
void asciicast_free(struct asciicast *c);

// Writes s[0..n) to f as the inside of a JSON string (no quotes), as asciinema's own recorder
// writes it: " and \ escaped, \b \f \n \r \t, every other control character (C0, DEL, C1) and
// U+2028, U+2029 as \u00XX / \u20XX (ESC is \u001b), other valid UTF-8 as it is, and each
// ill-formed sequence (its maximal part, as utf8_decode reads it) as one U+FFFD. When final is
// 0 a character cut short at the end is not written. Returns the number of bytes of s consumed
// (n, or less by the bytes of that character), or -1 when writing to f fails.
long asciicast_json_chars(FILE *f, const char *s, size_t n, int final);

#endif
