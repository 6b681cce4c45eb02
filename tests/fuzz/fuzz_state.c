// Fuzz harness: the training state file (train_state_load). With an odd first byte the rest is
// read as it is; with an even one the harness first writes the correct checksums into it (the
// model's hash at byte 136 and the whole file's in its last 8 bytes), so that mutations get past
// them to the checks of every field, the model inside and the moments.
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/train.h"

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = size - 1;
    uint8_t *file = malloc(n ? n : 1);
    if (!file)
        return 0;
    memcpy(file, data + 1, n);
    if (!(data[0] & 1) && n >= 152 + 8) {
        uint64_t m = get_u64(file + 128);
        if (m <= n - 152 - 8)
            put_u64(file + 136, fnv1a(file + 152, (size_t)m));
        put_u64(file + n - 8, fnv1a(file, n - 8));
    }
    char path[64];
    int fd = fuzz_file_open(file, n, path, sizeof path);
    free(file);
    if (fd < 0)
        return 0;
    struct train_state s;
    struct sf_diag d;
    sf_diag_clear(&d);
    if (train_state_load(path, &s, &d) == 0)
        train_state_free(&s);
    fuzz_file_close(fd);
    return 0;
}
