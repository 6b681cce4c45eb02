// Hugging Face GPT-2 folders: config.json (jansson) and model.safetensors, mapped, with the
// weights read in place where the file allows it.
//
// Hugging Face's Conv1D stores weights (in, out), the textbook's x W orientation the model
// uses, so nothing is transposed (llm.c's files, written from nn.Linear, are (out, in) and
// are). A tensor of an F32 file whose bytes are 4-byte aligned is used where it lies: the
// model points into the file's private mapping (training writes copy the touched pages, and
// the file never changes). Two kinds are copied once into the model's block instead: F16 and
// BF16 tensors, widened to f32, and the attention weights c_attn (d, 3d), whose rows hold
// W^Q | W^K | W^V side by side while the model keeps three (d, d) matrices (for GPT-2 small,
// 85 MB of its 498 MB). A copied tensor's mapped pages are dropped once read, so resident
// memory stays near the size of the f32 weights either way.
#include "stepformer/hf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stepformer/fileio.h"

#define CONFIG_MAX_BYTES (1u << 20)

// A config.json field: absent, or a whole number in [lo, hi].
static int config_int(const json_t *root, const char *key, const char *what, long lo, long hi,
                      int *out, const char *name, struct sf_diag *d)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0, "config.json has no \"%s\" (%s)", key,
                           what);
    if (!json_is_integer(v)) {
        const char *kind = json_is_string(v)   ? "a string"
                           : json_is_real(v)   ? "a fraction"
                           : json_is_array(v)  ? "a list"
                           : json_is_object(v) ? "an object"
                                               : "true, false or null";
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "\"%s\" must be a whole number (%s), not %s", key, what, kind);
    }
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "\"%s\" is %lld; it must be from %ld to %ld", key, (long long)x, lo, hi);
    *out = (int)x;
    return SF_OK;
}

// activation_function: the engine has ReLU and GPT-2's tanh GELU.
static int config_act(const json_t *root, struct model_config *c, const char *name,
                      struct sf_diag *d)
{
    json_t *v = json_object_get(root, "activation_function");
    if (!v)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "config.json has no \"activation_function\" (gelu_new for GPT-2)");
    const char *s = json_string_value(v);
    if (s && (strcmp(s, "gelu_new") == 0 || strcmp(s, "gelu_pytorch_tanh") == 0))
        c->act = ACT_GELU;
    else if (s && strcmp(s, "relu") == 0)
        c->act = ACT_RELU;
    else
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "activation_function '%.40s' is not one stepformer runs: it has GPT-2's "
                           "tanh GELU (gelu_new, gelu_pytorch_tanh) and relu",
                           s ? s : "(not a string)");
    return SF_OK;
}

// The switches GPT-2 leaves optional: n_inner, tie_word_embeddings, model_type and the
// attention variants stepformer does not run.
static int config_optional(const json_t *root, struct model_config *c, const char *name,
                           struct sf_diag *d)
{
    json_t *v = json_object_get(root, "n_inner");
    if (v && !json_is_null(v)) {
        int rc = config_int(root, "n_inner", "the FFN width; null for 4 n_embd", 1, SF_MAX_DFF,
                            &c->d_ff, name, d);
        if (rc)
            return rc;
    }
    v = json_object_get(root, "tie_word_embeddings");
    if (v && !json_is_boolean(v))
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "\"tie_word_embeddings\" must be true or false");
    c->tied = !v || json_is_true(v);
    v = json_object_get(root, "model_type");
    if (v && (!json_is_string(v) || strcmp(json_string_value(v), "gpt2") != 0))
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "model_type '%.40s' is not GPT-2: stepformer reads GPT-2-family "
                           "checkpoints (model_type gpt2)",
                           json_is_string(v) ? json_string_value(v) : "(not a string)");
    if (json_is_true(json_object_get(root, "scale_attn_by_inverse_layer_idx")) ||
        json_is_false(json_object_get(root, "scale_attn_weights")))
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "the attention scaling this config asks for (scale_attn_weights false "
                           "or scale_attn_by_inverse_layer_idx true) is not GPT-2's 1/sqrt(d_k)");
    return SF_OK;
}

static int config_fields(const json_t *root, struct model_config *c, const char *name,
                         struct sf_diag *d)
{
    int L = 0, H = 0, C = 0, V = 0, T = 0, rc;
    const char *pos_key = json_object_get(root, "n_positions") ? "n_positions" : "n_ctx";
    if ((rc = config_int(root, "n_layer", "the number of blocks", 1, SF_MAX_LAYERS, &L, name, d)) ||
        (rc = config_int(root, "n_head", "attention heads per block", 1, SF_MAX_HEADS, &H, name,
                         d)) ||
        (rc = config_int(root, "n_embd", "the model width", 1, SF_MAX_DMODEL, &C, name, d)) ||
        (rc = config_int(root, "vocab_size", "rows of wte", 1, SF_MAX_VOCAB, &V, name, d)) ||
        (rc = config_int(root, pos_key, "rows of wpe, the longest input", 1, SF_MAX_CTX, &T, name,
                         d)))
        return rc;
    model_config_gpt2(c, L, H, C, V, T);
    json_t *eps = json_object_get(root, "layer_norm_epsilon");
    if (!eps)
        return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                           "config.json has no \"layer_norm_epsilon\" (1e-05 for GPT-2)");
    double e = json_number_value(eps);
    if (!json_is_number(eps) || !(e > 0.0) || e > 1.0)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "\"layer_norm_epsilon\" must be a number above 0 and at most 1 (1e-05 "
                           "for GPT-2)");
    c->ln_eps = (float)e;
    if ((rc = config_act(root, c, name, d)) || (rc = config_optional(root, c, name, d)))
        return rc;
    if (C % H != 0)
        return sf_diag_set(d, SF_ERR_RANGE, name, 0, 0,
                           "n_embd %d is not a multiple of n_head %d: each head needs n_embd / "
                           "n_head columns",
                           C, H);
    return SF_OK;
}

int hf_config_parse(struct model_config *c, const char *text, size_t len, const char *name,
                    struct sf_diag *d)
{
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return sf_diag_set(d, SF_ERR_FORMAT, name, err.line > 0 ? err.line : 0,
                           err.column > 0 ? err.column : 0, "not JSON: %s", err.text);
    int rc = json_is_object(root) ? config_fields(root, c, name, d)
                                  : sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                                                "not a configuration: the JSON is not an object");
    json_decref(root);
    if (!rc) {
        rc = model_config_check(c, d);
        if (rc) {
            char msg[sizeof d->msg];
            snprintf(msg, sizeof msg, "%s", d->msg);
            sf_diag_set(d, rc, name, 0, 0, "%s", msg);
        }
    }
    return rc;
}

// One tensor of the file and where it goes: rows x cols (rows 1 for a vector), split into
// `parts` equal column blocks (c_attn holds q | k | v), block p into dst[p] (rows, cols/parts).
struct hf_job {
    char name[64];
    int vector; // 1: the file's shape is (cols)
    uint64_t rows, cols;
    int parts;
    struct tensor *dst[3];
    int in_place; // 1: dst point into the file's mapping
};

static void job(struct hf_job *j, const char *name, int vector, uint64_t rows, uint64_t cols,
                struct tensor *a, struct tensor *b, struct tensor *c)
{
    snprintf(j->name, sizeof j->name, "%s", name);
    j->vector = vector;
    j->rows = rows;
    j->cols = cols;
    j->parts = b ? 3 : 1;
    j->dst[0] = a;
    j->dst[1] = b;
    j->dst[2] = c;
    j->in_place = 0;
}

// The file's tensors for configuration c in the model's order; m NULL gives names and shapes
// only. out holds 2 + 12 L + 3 entries. Returns the count.
static int hf_jobs(struct hf_job *out, struct model *m, const struct model_config *c)
{
    uint64_t C = (uint64_t)c->d_model, F = (uint64_t)c->d_ff;
    int n = 0;
#define T(field) (m ? &m->field : NULL)
    job(&out[n++], "wte.weight", 0, (uint64_t)c->vocab_size, C, T(wte), NULL, NULL);
    job(&out[n++], "wpe.weight", 0, (uint64_t)c->n_ctx, C, T(wpe), NULL, NULL);
    for (int l = 0; l < c->n_layer; l++) {
        char nm[64];
#define J(suffix, vec, rows, cols, a, b, cc)                                                       \
    (snprintf(nm, sizeof nm, "h.%d.%s", l, suffix),                                                \
     job(&out[n++], nm, vec, rows, cols, T(layers[l].a), b, cc))
        J("ln_1.weight", 1, 1, C, ln1_g, NULL, NULL);
        J("ln_1.bias", 1, 1, C, ln1_b, NULL, NULL);
        J("attn.c_attn.weight", 0, C, 3 * C, wq, T(layers[l].wk), T(layers[l].wv));
        J("attn.c_attn.bias", 1, 1, 3 * C, bq, T(layers[l].bk), T(layers[l].bv));
        J("attn.c_proj.weight", 0, C, C, wo, NULL, NULL);
        J("attn.c_proj.bias", 1, 1, C, bo, NULL, NULL);
        J("ln_2.weight", 1, 1, C, ln2_g, NULL, NULL);
        J("ln_2.bias", 1, 1, C, ln2_b, NULL, NULL);
        J("mlp.c_fc.weight", 0, C, F, w1, NULL, NULL);
        J("mlp.c_fc.bias", 1, 1, F, b1, NULL, NULL);
        J("mlp.c_proj.weight", 0, F, C, w2, NULL, NULL);
        J("mlp.c_proj.bias", 1, 1, C, b2, NULL, NULL);
#undef J
    }
    job(&out[n++], "ln_f.weight", 1, 1, C, T(lnf_g), NULL, NULL);
    job(&out[n++], "ln_f.bias", 1, 1, C, T(lnf_b), NULL, NULL);
    if (!c->tied)
        job(&out[n++], "lm_head.weight", 0, (uint64_t)c->vocab_size, C, T(wout), NULL, NULL);
#undef T
    return n;
}

// The file's tensor for a job: its name as is, or with "transformer." before it.
static const struct st_tensor *job_find(const struct st_file *st, const struct hf_job *j)
{
    const struct st_tensor *t = st_find(st, j->name);
    if (!t && strncmp(j->name, "lm_head", 7) != 0) {
        char full[80];
        snprintf(full, sizeof full, "transformer.%s", j->name);
        t = st_find(st, full);
    }
    return t;
}

static const char *shape_str(char *buf, size_t size, const uint64_t *shape, int ndim)
{
    size_t o = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < ndim && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%llu", i ? ", " : "",
                              (unsigned long long)shape[i]);
    if (o < size)
        snprintf(buf + o, size - o, "%s)", ndim == 1 ? "," : "");
    return buf;
}

// Every tensor present, readable and of the right shape, before anything is allocated.
static int check_jobs(const struct hf_job *jobs, int n, const struct st_file *st, const char *name,
                      struct sf_diag *d)
{
    for (int i = 0; i < n; i++) {
        const struct hf_job *j = &jobs[i];
        const struct st_tensor *t = job_find(st, j);
        if (!t)
            return sf_diag_set(d, SF_ERR_NOTFOUND, name, 0, 0,
                               "the tensor %s is missing (looked for '%s'%s)", j->name, j->name,
                               strncmp(j->name, "lm_head", 7) ? " and 'transformer.' before it"
                                                              : ": tie_word_embeddings is false");
        uint64_t want[2] = {j->vector ? j->cols : j->rows, j->cols};
        int ndim = j->vector ? 1 : 2;
        if (t->ndim != ndim || t->shape[0] != want[0] || (ndim == 2 && t->shape[1] != want[1])) {
            char w[64], f[160];
            return sf_diag_set(d, SF_ERR_SHAPE, name, 0, 0,
                               "the tensor %s has shape %s; config.json implies %s", t->name,
                               shape_str(f, sizeof f, t->shape, t->ndim),
                               shape_str(w, sizeof w, want, ndim));
        }
        if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
            return sf_diag_set(d, SF_ERR_FORMAT, name, 0, 0,
                               "the tensor %s is stored as %s; weights are read from F32, F16 or "
                               "BF16",
                               t->name, st_dtype_name(t->dtype));
    }
    return SF_OK;
}

// n values of dtype at src (little-endian, any alignment) into dst as float.
static void convert(float *dst, const unsigned char *src, enum st_dtype dtype, size_t n)
{
    if (dtype == ST_F32) {
        memcpy(dst, src, n * sizeof(float)); // the host is little-endian, as the file
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        dst[i] = dtype == ST_F16 ? st_f16_to_f32(h) : st_bf16_to_f32(h);
    }
}

// The mapped pages wholly inside t's bytes are read: give them back (a file mapping reads
// them again from the file if touched).
static void release(const struct st_file *st, const struct st_tensor *t)
{
    if (!st->mapped)
        return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)(st->data + t->begin), b = (uintptr_t)(st->data + t->end);
    a = (a + page - 1) / page * page;
    b = b / page * page;
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

// 1 when one of x[0..n) is NaN or infinite (all exponent bits set): eight independent
// accumulators and no early exit, so the loop runs at the speed of the copy before it.
static int any_nonfinite(const float *x, size_t n)
{
    uint32_t acc[8] = {0}, e = 0x7f800000u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint32_t u[8];
        memcpy(u, x + i, sizeof u);
        for (int k = 0; k < 8; k++)
            acc[k] |= (u[k] & e) == e;
    }
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        acc[0] |= (u & e) == e;
    }
    return (acc[0] | acc[1] | acc[2] | acc[3] | acc[4] | acc[5] | acc[6] | acc[7]) != 0;
}

static int nonfinite_at(const struct hf_job *j, const struct st_tensor *t, const float *x, size_t w,
                        size_t r, int p, const char *name, struct sf_diag *d)
{
    size_t c = 0;
    while (isfinite(x[c]))
        c++;
    char at[48];
    if (j->vector)
        snprintf(at, sizeof at, "[%zu]", c + (size_t)p * w);
    else
        snprintf(at, sizeof at, "[%zu, %zu]", r, c + (size_t)p * w);
    return sf_diag_set(d, SF_ERR_NONFINITE, name, 0, 0,
                       "the tensor %s holds %s at %s: a model with it computes only NaN", t->name,
                       isnan(x[c]) ? "NaN" : "infinity", at);
}

// Converts one tensor row by row into its place in the block, or checks it where it lies;
// either way each row is checked for NaN and infinity while it is in the cache. A copied
// tensor's mapped pages are given back.
static int read_job(const struct hf_job *j, const struct st_file *st, const char *name,
                    struct sf_diag *d)
{
    const struct st_tensor *t = job_find(st, j);
    size_t es = st_dtype_size(t->dtype), w = (size_t)(j->cols / (uint64_t)j->parts);
    const unsigned char *src = st->data + t->begin;
    int rc = SF_OK;
    for (size_t r = 0; r < j->rows && !rc; r++)
        for (int p = 0; p < j->parts && !rc; p++) {
            float *x = j->dst[p]->data + r * w;
            if (!j->in_place)
                convert(x, src + (r * (size_t)j->cols + (size_t)p * w) * es, t->dtype, w);
            if (any_nonfinite(x, w))
                rc = nonfinite_at(j, t, x, w, r, p, name, d);
        }
    if (!j->in_place)
        release(st, t);
    return rc;
}

// Points a job's tensors into the file when its bytes can be used as they are: a writable
// private mapping, F32, 4-byte aligned, and each part contiguous (a vector, or one part).
// Returns the floats pointed.
static size_t point_in_place(struct hf_job *j, const struct st_file *st)
{
    const struct st_tensor *t = job_find(st, j);
    if (!st->writable || t->dtype != ST_F32 || (!j->vector && j->parts > 1))
        return 0;
    unsigned char *src = st->writable + t->begin;
    if ((uintptr_t)src % sizeof(float) != 0)
        return 0;
    size_t w = (size_t)(j->cols / (uint64_t)j->parts);
    for (int p = 0; p < j->parts; p++)
        j->dst[p]->data = (float *)(void *)src + (size_t)p * w;
    j->in_place = 1;
    return (size_t)(j->rows * j->cols);
}

// Asks for 2 MB pages for the parameter block about to be written: a fault per 2 MB instead of
// per 4 kB makes the copy of GPT-2 small's 500 MB about a third faster. Only advice.
static void huge_pages(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    uintptr_t huge = 2u << 20, a = ((uintptr_t)p + huge - 1) / huge * huge;
    uintptr_t b = ((uintptr_t)p + bytes) / huge * huge;
    if (b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

int hf_model_from_st(struct model *m, const struct model_config *c, const struct st_file *st,
                     const char *name, struct sf_diag *d)
{
    memset(m, 0, sizeof *m);
    char msg[sizeof d->msg];
    int rc = model_config_check(c, d);
    if (rc)
        return snprintf(msg, sizeof msg, "%s", d->msg),
               sf_diag_set(d, rc, name, 0, 0, "bad configuration: %s", msg);
    struct hf_job *jobs = calloc(2 + 12 * (size_t)c->n_layer + 3, sizeof *jobs);
    if (!jobs)
        return sf_diag_set(d, SF_ERR_NOMEM, name, 0, 0, "out of memory");
    int n = hf_jobs(jobs, NULL, c);
    rc = check_jobs(jobs, n, st, name, d);
    if (!rc && (rc = model_init_shapes(m, c, d)) != 0)
        snprintf(msg, sizeof msg, "%s", d->msg), sf_diag_set(d, rc, name, 0, 0, "%s", msg);
    if (!rc) {
        hf_jobs(jobs, m, c);
        for (int i = 0; i < n; i++)
            m->n_in_place += point_in_place(&jobs[i], st);
        if ((rc = model_alloc_rest(m, d)) != 0)
            snprintf(msg, sizeof msg, "%s", d->msg), sf_diag_set(d, rc, name, 0, 0, "%s", msg);
    }
    if (!rc) {
        huge_pages(m->block, m->n_block * sizeof(float));
        for (int i = 0; i < n && !rc; i++)
            rc = read_job(&jobs[i], st, name, d);
    }
    free(jobs);
    if (rc)
        model_free(m);
    return rc;
}

int hf_is_path(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return 1;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    return strcmp(base, "config.json") == 0 ||
           (n >= 12 && strcmp(base + n - 12, ".safetensors") == 0);
}

int hf_folder(const char *path, char *buf, size_t size)
{
    struct stat sb;
    size_t n = strlen(path);
    if (!(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        const char *slash = strrchr(path, '/');
        n = slash ? (size_t)(slash - path) + (slash == path) : 0;
    }
    while (n > 1 && path[n - 1] == '/') // "gpt2/" is the folder gpt2
        n--;
    if (n == 0)
        return snprintf(buf, size, ".") < (int)size ? SF_OK : SF_ERR_ARG;
    if (n >= size)
        return SF_ERR_ARG;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return SF_OK;
}

// Why a folder has no model.safetensors, naming what was looked for and what is there instead.
static int no_weights(const char *dir, const char *want, struct sf_diag *d)
{
    char other[4200];
    struct stat sb;
    snprintf(other, sizeof other, "%s/model.safetensors.index.json", dir);
    if (stat(other, &sb) == 0)
        return sf_diag_set(d, SF_ERR_NOTFOUND, want, 0, 0,
                           "not found; the folder holds a model split into several safetensors "
                           "files, which stepformer does not read (GPT-2 models come as one)");
    snprintf(other, sizeof other, "%s/pytorch_model.bin", dir);
    if (stat(other, &sb) == 0)
        return sf_diag_set(d, SF_ERR_NOTFOUND, want, 0, 0,
                           "not found; the folder has pytorch_model.bin, which stepformer does not "
                           "read: download model.safetensors, which the Hub serves beside it");
    return sf_diag_set(d, SF_ERR_NOTFOUND, want, 0, 0,
                       "not found: a Hugging Face model folder needs config.json and "
                       "model.safetensors");
}

// The mapped safetensors file at path into m, with configuration c.
static int load_weights(struct model *m, const struct model_config *c, const char *path,
                        struct sf_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot open the weights: %s",
                           strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "not a regular file: name model.safetensors or its folder");
    }
    size_t len = (size_t)sb.st_size;
    // Private and writable: training the model writes to its own copies of the touched pages.
    void *map = len >= 8 ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (map == MAP_FAILED)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot map the weights: %s", strerror(errno));
    struct st_file st;
    int rc = st_parse(&st, map ? map : (const unsigned char *)"", map ? len : (size_t)sb.st_size,
                      path, d);
    if (!rc) {
        st.mapped = 1;
        st.writable = (unsigned char *)map + (st.data - (const unsigned char *)map);
        madvise(map, len, MADV_SEQUENTIAL);
        rc = hf_model_from_st(m, c, &st, path, d);
    }
    st_free(&st);
    if (!rc && m->n_in_place > 0) { // the model keeps the mapping its tensors point into
        madvise(map, len, MADV_NORMAL);
        m->map = map;
        m->map_len = len;
    } else if (map) {
        munmap(map, len);
    }
    return rc;
}

int hf_load(struct model *m, const char *path, struct sf_diag *d)
{
    memset(m, 0, sizeof *m);
    char dir[4096], cfg_path[4200], st_path[4200];
    if (hf_folder(path, dir, sizeof dir))
        return sf_diag_set(d, SF_ERR_ARG, path, 0, 0, "the path is too long");
    struct stat sb;
    if (stat(path, &sb) != 0)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "cannot open the model: %s", strerror(errno));
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int named_weights = !S_ISDIR(sb.st_mode) && strcmp(base, "config.json") != 0;
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
    snprintf(st_path, sizeof st_path, "%s", named_weights ? path : "");
    if (!named_weights)
        snprintf(st_path, sizeof st_path, "%s/model.safetensors", dir);
    if (stat(cfg_path, &sb) != 0)
        return sf_diag_set(d, SF_ERR_NOTFOUND, cfg_path, 0, 0,
                           "not found: a Hugging Face model folder needs config.json (GPT-2's "
                           "sizes) beside model.safetensors");
    if (stat(st_path, &sb) != 0)
        return no_weights(dir, st_path, d);
    size_t len = 0;
    int rc = SF_OK;
    char *text = sf_read_file(cfg_path, "config.json", CONFIG_MAX_BYTES, &len, &rc, d);
    if (!text)
        return rc ? rc : SF_ERR_IO;
    struct model_config c;
    rc = hf_config_parse(&c, text, len, cfg_path, d);
    free(text);
    if (!rc)
        rc = load_weights(m, &c, st_path, d);
    return rc;
}
