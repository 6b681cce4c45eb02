// safetensors files: the JSON header (read by jansson) checked against the data it describes,
// and exact conversions between float and the 16-bit float formats.
#include "stepformer/hf.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_N_DTYPES] = {
    [ST_F32] = {"F32", 4},   [ST_F16] = {"F16", 2},         [ST_BF16] = {"BF16", 2},
    [ST_F64] = {"F64", 8},   [ST_I64] = {"I64", 8},         [ST_I32] = {"I32", 4},
    [ST_I16] = {"I16", 2},   [ST_I8] = {"I8", 1},           [ST_U8] = {"U8", 1},
    [ST_BOOL] = {"BOOL", 1}, [ST_U16] = {"U16", 2},         [ST_U32] = {"U32", 4},
    [ST_U64] = {"U64", 8},   [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E5M2] = {"F8_E5M2", 1},
};

const char *st_dtype_name(enum st_dtype t)
{
    return (unsigned)t < ST_N_DTYPES ? dtypes[t].name : "?";
}

size_t st_dtype_size(enum st_dtype t)
{
    return (unsigned)t < ST_N_DTYPES ? dtypes[t].size : 0;
}

static float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

// IEEE binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. Subnormals are frac 2^-24.
float st_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, frac = h & 0x3ffu;
    if (exp == 0x1f) // infinity or NaN (the payload kept in the top fraction bits)
        return bits_f32(sign | 0x7f800000u | frac << 13);
    if (exp != 0)
        return bits_f32(sign | (exp + 112) << 23 | frac << 13);
    float mag = (float)frac * 0x1p-24f; // exact: frac < 2^10
    return sign ? -mag : mag;
}

// bfloat16 is the top half of a float32.
float st_bf16_to_f32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

uint16_t st_f32_to_bf16(float f)
{
    uint32_t u = f32_bits(f);
    if (isnan(f))
        return (uint16_t)(u >> 16 | 0x40u); // stays a (quiet) NaN
    u += 0x7fffu + ((u >> 16) & 1u);        // round to nearest, ties to even
    return (uint16_t)(u >> 16);
}

uint16_t st_f32_to_f16(float f)
{
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)(u >> 16 & 0x8000u);
    float a = fabsf(f);
    if (isnan(f))
        return sign | 0x7e00u;
    if (a >= 65520.0f) // rounds up past the largest half, 65504
        return sign | 0x7c00u;
    if (a < 0x1p-14f) {
        // Subnormal: a multiple of 2^-24; rintf rounds ties to even in the default mode.
        return sign | (uint16_t)rintf(a * 0x1p24f);
    }
    uint32_t au = f32_bits(a);
    uint32_t mant = au & 0x7fffffu, exp = (au >> 23) - 112; // exp >= 1 here
    uint32_t h = exp << 10 | mant >> 13, rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++; // a carry into the exponent is the right result
    return sign | (uint16_t)h;
}

void st_free(struct st_file *st)
{
    for (int i = 0; i < st->n; i++)
        free(st->t[i].name);
    free(st->t);
    memset(st, 0, sizeof *st);
}

const struct st_tensor *st_find(const struct st_file *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->t[i].name, name) == 0)
            return &st->t[i];
    return NULL;
}

static int cmp_begin(const void *a, const void *b)
{
    const struct st_tensor *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : strcmp(x->name, y->name);
}

// A non-negative JSON integer into *out, or -1.
static int get_u64(const json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

// One entry of the header: {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}.
static int parse_entry(struct st_tensor *t, const char *key, const json_t *v, uint64_t data_len,
                       const char *name, struct sf_diag *d)
{
    json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape");
    json_t *off = json_object_get(v, "data_offsets");
    if (!json_is_object(v) || !json_is_string(dt) || !json_is_array(shape) || !json_is_array(off) ||
        json_array_size(off) != 2)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "tensor '%.100s' in the header needs \"dtype\" (a string), \"shape\" "
                           "(a list) and \"data_offsets\" ([begin, end])",
                           key);
    int k = 0;
    while (k < ST_N_DTYPES && strcmp(dtypes[k].name, json_string_value(dt)) != 0)
        k++;
    if (k == ST_N_DTYPES)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "tensor '%.100s' has the unknown dtype '%.20s' (weights are read from "
                           "F32, F16 or BF16)",
                           key, json_string_value(dt));
    t->dtype = (enum st_dtype)k;
    if (json_array_size(shape) > ST_MAX_DIMS)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "tensor '%.100s' has %zu dimensions; at most %d are read", key,
                           json_array_size(shape), ST_MAX_DIMS);
    t->ndim = (int)json_array_size(shape);
    uint64_t bytes = dtypes[k].size, overflow = 0;
    for (int i = 0; i < t->ndim; i++) {
        if (get_u64(json_array_get(shape, (size_t)i), &t->shape[i]))
            return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                               "tensor '%.100s': shape entry %d is not a whole number >= 0", key,
                               i);
        if (t->shape[i] && bytes > UINT64_MAX / t->shape[i])
            overflow = 1;
        else
            bytes *= t->shape[i];
    }
    if (get_u64(json_array_get(off, 0), &t->begin) || get_u64(json_array_get(off, 1), &t->end))
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "tensor '%.100s': data_offsets must be two whole numbers >= 0", key);
    if (t->begin > t->end || t->end > data_len)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "tensor '%.100s': data_offsets [%llu, %llu] lie outside the %llu bytes "
                           "of data (the file is truncated or its header wrong)",
                           key, (unsigned long long)t->begin, (unsigned long long)t->end,
                           (unsigned long long)data_len);
    if (overflow || t->end - t->begin != bytes)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "tensor '%.100s': data_offsets [%llu, %llu] hold %llu bytes but its "
                           "shape and dtype %s need %s%llu",
                           key, (unsigned long long)t->begin, (unsigned long long)t->end,
                           (unsigned long long)(t->end - t->begin), dtypes[k].name,
                           overflow ? "more than " : "",
                           (unsigned long long)(overflow ? UINT64_MAX : bytes));
    t->name = strdup(key);
    return t->name ? SF_OK : sf_diag_set(d, SF_ERR_NOMEM, name, 0, 0, "out of memory");
}

static int parse_entries(struct st_file *st, const json_t *root, const char *name,
                         struct sf_diag *d)
{
    st->t = calloc(json_object_size(root) + 1, sizeof *st->t);
    if (!st->t)
        return sf_diag_set(d, SF_ERR_NOMEM, name, 0, 0, "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        if (strcmp(key, "__metadata__") == 0)
            continue;
        int rc = parse_entry(&st->t[st->n], key, v, st->data_len, name, d);
        if (rc)
            return rc;
        st->n++;
    }
    qsort(st->t, (size_t)st->n, sizeof *st->t, cmp_begin);
    for (int i = 1; i < st->n; i++)
        if (st->t[i].begin < st->t[i - 1].end)
            return sf_diag_set(
                d, SF_ERR_RANGE, name, 0, 0,
                "tensors '%.100s' and '%.100s' overlap in the data (bytes %llu-%llu "
                "and %llu-%llu)",
                st->t[i - 1].name, st->t[i].name, (unsigned long long)st->t[i - 1].begin,
                (unsigned long long)st->t[i - 1].end, (unsigned long long)st->t[i].begin,
                (unsigned long long)st->t[i].end);
    return SF_OK;
}

int st_parse(struct st_file *st, const unsigned char *buf, size_t len, const char *name,
             struct sf_diag *d)
{
    memset(st, 0, sizeof *st);
    if (len < 8)
        return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                           "truncated: %zu bytes, shorter than the 8-byte header length of a "
                           "safetensors file",
                           len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | buf[i];
    if (n > len - 8)
        return sf_diag_set(d, SF_ERR_TRUNCATED, name, 0, 0,
                           "the header length %llu is larger than the %zu bytes after it: the "
                           "file is truncated or not a safetensors file",
                           (unsigned long long)n, len - 8);
    if (n > ST_MAX_HEADER)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "the header length %llu is over the format's limit of %u bytes",
                           (unsigned long long)n, ST_MAX_HEADER);
    json_error_t err;
    json_t *root = json_loadb((const char *)buf + 8, (size_t)n, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        // Lines and columns count from the header's first byte, which is byte 8 of the file.
        return sf_diag_set(d, SF_ERR_FORMAT, name, err.line > 0 ? err.line : 0,
                           err.column > 0 ? err.column : 0,
                           "the safetensors header (bytes 8-%llu) is not JSON: %s",
                           (unsigned long long)(n + 7), err.text);
    int rc = SF_OK;
    if (!json_is_object(root))
        rc = sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                         "the safetensors header is JSON but not an object {name: tensor, ...}");
    st->data = buf + 8 + n;
    st->data_len = len - 8 - n;
    if (!rc)
        rc = parse_entries(st, root, name, d);
    json_decref(root);
    return rc;
}
