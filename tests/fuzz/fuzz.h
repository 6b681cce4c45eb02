// What the fuzz harnesses share: the entry point each one defines (libFuzzer's), a path for
// the loaders that read files, and where the data files they need are.
#ifndef STEPFORMER_FUZZ_H
#define STEPFORMER_FUZZ_H

#include <stddef.h>
#include <stdint.h>

// Runs one input; returns 0 (libFuzzer's contract). Defined once per harness.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// Puts data in an anonymous in-memory file and writes a path to it into path ("/proc/self/fd/N")
// for loaders that take a path. Returns the descriptor to pass to fuzz_file_close, or -1.
int fuzz_file_open(const uint8_t *data, size_t size, char *path, size_t n);
void fuzz_file_close(int fd);

// The path of a shipped file (relative to assets/) or a test data file (relative to
// tests/data/), from SF_ASSETS / SF_TEST_DATA like the tests, else the source tree's.
const char *fuzz_asset(const char *rel, char *buf, size_t n);
const char *fuzz_test_data(const char *rel, char *buf, size_t n);

// data as a NUL-terminated string (a malloc'd copy; NULs inside stay and end it early).
char *fuzz_text(const uint8_t *data, size_t size);

#endif
