// What the fuzz harnesses share: in-memory files for path-taking loaders, data file paths.
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SF_FUZZ_SOURCE_ROOT
#define SF_FUZZ_SOURCE_ROOT "."
#endif

int fuzz_file_open(const uint8_t *data, size_t size, char *path, size_t n)
{
    int fd = (int)syscall(SYS_memfd_create, "stepformer-fuzz", 0);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, n, "/proc/self/fd/%d", fd);
    return fd;
}

void fuzz_file_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

static const char *under(const char *var, const char *dir, const char *rel, char *buf, size_t n)
{
    const char *v = getenv(var);
    if (v && *v)
        snprintf(buf, n, "%s/%s", v, rel);
    else
        snprintf(buf, n, "%s/%s/%s", SF_FUZZ_SOURCE_ROOT, dir, rel);
    return buf;
}

const char *fuzz_asset(const char *rel, char *buf, size_t n)
{
    return under("SF_ASSETS", "assets", rel, buf, n);
}

const char *fuzz_test_data(const char *rel, char *buf, size_t n)
{
    return under("SF_TEST_DATA", "tests/data", rel, buf, n);
}

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    memcpy(s, data, size);
    s[size] = 0;
    return s;
}
