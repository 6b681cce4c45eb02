// Dense row-major float32 tensors and their .npy form.
#include "stepformer/tensor.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/err.h"

size_t tensor_numel(const struct tensor *t)
{
    if (!t || !t->data || t->ndim <= 0)
        return 0;
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= (size_t)t->shape[i];
    return n;
}

int tensor_present(const struct tensor *t)
{
    return t && t->data && t->ndim > 0;
}

void tensor_wrap(struct tensor *t, float *data, int ndim, const int *shape)
{
    memset(t, 0, sizeof *t);
    t->data = data;
    t->ndim = ndim;
    for (int i = 0; i < ndim && i < SF_MAX_DIMS; i++)
        t->shape[i] = shape[i];
}

int tensor_alloc(struct tensor *t, struct arena *a, int ndim, const int *shape)
{
    memset(t, 0, sizeof *t);
    if (ndim <= 0 || ndim > SF_MAX_DIMS)
        return SF_ERR_SHAPE;
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0)
            return SF_ERR_SHAPE;
        if (n > SIZE_MAX / sizeof(float) / (size_t)shape[i])
            return SF_ERR_NOMEM;
        n *= (size_t)shape[i];
    }
    float *data = arena_alloc(a, n * sizeof(float));
    if (!data)
        return SF_ERR_NOMEM;
    tensor_wrap(t, data, ndim, shape);
    return SF_OK;
}

int tensor_alloc2(struct tensor *t, struct arena *a, int d0, int d1)
{
    int shape[2] = {d0, d1};
    return tensor_alloc(t, a, 2, shape);
}

int tensor_alloc3(struct tensor *t, struct arena *a, int d0, int d1, int d2)
{
    int shape[3] = {d0, d1, d2};
    return tensor_alloc(t, a, 3, shape);
}

int tensor_same_shape(const struct tensor *a, const struct tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

const char *tensor_shape_str(const struct tensor *t, char *buf, size_t size)
{
    size_t off = 0;
    off += (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < t->ndim && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, i ? ", %d" : "%d", t->shape[i]);
    if (t->ndim == 1 && off < size)
        off += (size_t)snprintf(buf + off, size - off, ",");
    if (off < size)
        snprintf(buf + off, size - off, ")");
    return buf;
}

int tensor_write_npy(const struct tensor *t, FILE *f)
{
    // Header: magic, version 1.0, little-endian u16 header length, then a Python dict literal
    // padded with spaces and a newline so that the data starts on a 64-byte boundary.
    char dict[256], shape[128];
    tensor_shape_str(t, shape, sizeof shape);
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                     shape);
    if (n < 0 || n > 200)
        return SF_ERR_ARG;
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)n + pad + 1;
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)n, f) != (size_t)n)
        return SF_ERR_IO;
    for (size_t i = 0; i < pad; i++)
        if (fputc(' ', f) == EOF)
            return SF_ERR_IO;
    if (fputc('\n', f) == EOF)
        return SF_ERR_IO;
    size_t count = tensor_numel(t);
    // Data: float32 little-endian (this program only builds on little-endian hosts).
    if (count && fwrite(t->data, sizeof(float), count, f) != count)
        return SF_ERR_IO;
    return fflush(f) == 0 ? SF_OK : SF_ERR_IO;
}
