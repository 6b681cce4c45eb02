// The training loop's pieces: one graph of B sequences reused for every batch, the step,
// evaluation, and the training state file written beside the model.
#include "stepformer/train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stepformer/checkpoint.h"
#include "stepformer/fileio.h"

int trainer_init(struct trainer *t, struct model *m, int B, int T, const struct adamw_params *hp,
                 enum op_impl impl, struct sf_diag *d)
{
    memset(t, 0, sizeof *t);
    t->model = m;
    t->B = B;
    t->T = T;
    t->impl = impl;
    if (optimizer_init(&t->opt, m, hp))
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory for the optimizer");
    int n = B * T;
    int *zeros = calloc((size_t)n, sizeof *zeros);
    if (!zeros) {
        trainer_free(t);
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    int rc = graph_build_train(&t->graph, m, zeros, zeros, n, T, impl, &t->opt, d);
    free(zeros);
    if (rc)
        trainer_free(t);
    return rc;
}

void trainer_free(struct trainer *t)
{
    graph_free(&t->graph);
    optimizer_free(&t->opt);
    memset(t, 0, sizeof *t);
}

int trainer_step(struct trainer *t, const int *inputs, const int *targets, float *loss,
                 struct sf_diag *d)
{
    int rc = graph_set_tokens(&t->graph, inputs, targets, d);
    if (rc)
        return rc;
    rc = graph_run_to_end(&t->graph);
    if (rc < 0)
        return sf_diag_set(d, rc, NULL, 0, 0, "%s failed: %s", graph_current(&t->graph)->name,
                           sf_strerror(rc));
    *loss = t->graph.loss;
    t->opt.step++;
    return SF_OK;
}

int trainer_eval(struct trainer *t, struct batcher *b, int batches, float *loss, struct sf_diag *d)
{
    int n = t->B * t->T;
    int *in = malloc(sizeof *in * (size_t)n), *tg = malloc(sizeof *tg * (size_t)n);
    int loss_node = graph_find(&t->graph, "loss.xent"), rc = SF_OK;
    double sum = 0;
    if (!in || !tg)
        rc = sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (int k = 0; k < batches && !rc; k++) {
        batcher_next(b, in, tg);
        rc = graph_set_tokens(&t->graph, in, tg, d);
        if (!rc) {
            // Forward and loss only: the backward and update nodes are not reached.
            int moved = graph_goto_index(&t->graph, loss_node);
            if (moved < 0)
                rc = sf_diag_set(d, moved, NULL, 0, 0, "evaluation failed: %s", sf_strerror(moved));
        }
        sum += t->graph.loss;
    }
    free(in);
    free(tg);
    *loss = batches > 0 ? (float)(sum / batches) : 0.0f;
    return rc;
}

// ---- The training state file (assets/README.md has the table), little-endian:
// magic "SFSTATE1", u32 version 2, u32 header bytes 152, u32 B, u32 T, u32 step, u32 shuffle,
// u32 kernels, u32 seed, 5 x f32 (lr, beta1, beta2, eps, weight decay), u32 previous model
// present, u64 n_params, u64 data tokens, u64 data hash, u64 data position, 4 x u64 random
// state, u64 model bytes, u64 model hash, u64 previous model hash; then the model file, the
// n_params first moments and the n_params second moments (f32); then u64 FNV-1a of all the
// bytes before it.

#define STATE_MAGIC        "SFSTATE1"
#define STATE_VERSION      2
#define STATE_HEADER_BYTES 152

// Where each field of the header starts.
enum state_at {
    STATE_AT_VERSION = 8,
    STATE_AT_HEADER_BYTES = 12, // the magic and the version come before
    STATE_AT_BATCH = 16,
    STATE_AT_SEQ = 20,
    STATE_AT_STEP = 24,
    STATE_AT_SHUFFLE = 28,
    STATE_AT_KERNELS = 32,
    STATE_AT_SEED = 36,
    STATE_AT_HP = 40, // lr, beta1, beta2, eps, weight decay
    STATE_AT_HAS_PREV = 60,
    STATE_AT_N_PARAMS = 64,
    STATE_AT_DATA_TOKENS = 72,
    STATE_AT_DATA_HASH = 80,
    STATE_AT_DATA_POS = 88,
    STATE_AT_RNG = 96, // 4 x u64
    STATE_AT_MODEL_BYTES = 128,
    STATE_AT_MODEL_HASH = 136,
    STATE_AT_PREV_HASH = 144,
};

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static float get_f32(const unsigned char *p)
{
    uint32_t u = get_u32(p);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

struct digest {
    uint64_t bytes, hash;
};

static int digest_bytes(void *ctx, const void *p, size_t n)
{
    struct digest *g = ctx;
    g->bytes += n;
    g->hash = sf_fnv1a(g->hash, p, n);
    return SF_OK;
}

int train_model_digest(const struct model *m, uint64_t *bytes, uint64_t *hash)
{
    struct digest g = {0, SF_FNV1A_INIT};
    int rc = checkpoint_emit(m, digest_bytes, &g);
    *bytes = g.bytes;
    *hash = g.hash;
    return rc;
}

uint64_t train_state_bytes(size_t n_params, uint64_t model_bytes)
{
    return STATE_HEADER_BYTES + model_bytes + 8 * (uint64_t)n_params + 8;
}

// Writes bytes and adds them to the checksum.
struct state_out {
    FILE *f;
    uint64_t hash;
};

static int out_bytes(void *ctx, const void *p, size_t n)
{
    struct state_out *o = ctx;
    o->hash = sf_fnv1a(o->hash, p, n);
    return fwrite(p, 1, n, o->f) == n ? SF_OK : SF_ERR_IO;
}

struct state_ctx {
    const struct trainer *t;
    const struct batcher *b;
    const struct train_run *run;
    uint64_t model_bytes, model_hash;
};

static int write_state(FILE *f, const void *ctx)
{
    const struct state_ctx *sc = ctx;
    const struct trainer *t = sc->t;
    const struct train_run *run = sc->run;
    unsigned char h[STATE_HEADER_BYTES] = {0};
    memcpy(h, STATE_MAGIC, 8);
    put_u32(h + STATE_AT_VERSION, STATE_VERSION);
    put_u32(h + STATE_AT_HEADER_BYTES, STATE_HEADER_BYTES);
    put_u32(h + STATE_AT_BATCH, (uint32_t)t->B);
    put_u32(h + STATE_AT_SEQ, (uint32_t)t->T);
    put_u32(h + STATE_AT_STEP, (uint32_t)t->opt.step);
    put_u32(h + STATE_AT_SHUFFLE, sc->b->shuffle ? 1 : 0);
    put_u32(h + STATE_AT_KERNELS, t->impl == OP_IMPL_FAST ? 1 : 0);
    put_u32(h + STATE_AT_SEED, run->seed);
    const float hp[5] = {t->opt.hp.lr, t->opt.hp.beta1, t->opt.hp.beta2, t->opt.hp.eps,
                         t->opt.hp.weight_decay};
    for (int i = 0; i < 5; i++) {
        uint32_t u;
        memcpy(&u, &hp[i], 4);
        put_u32(h + STATE_AT_HP + 4 * i, u);
    }
    put_u32(h + STATE_AT_HAS_PREV, run->has_prev ? 1 : 0);
    put_u64(h + STATE_AT_N_PARAMS, (uint64_t)t->opt.n_params);
    put_u64(h + STATE_AT_DATA_TOKENS, run->data_tokens);
    put_u64(h + STATE_AT_DATA_HASH, run->data_hash);
    put_u64(h + STATE_AT_DATA_POS, (uint64_t)sc->b->pos);
    for (int i = 0; i < 4; i++)
        put_u64(h + STATE_AT_RNG + 8 * i, sc->b->rng.s[i]);
    put_u64(h + STATE_AT_MODEL_BYTES, sc->model_bytes);
    put_u64(h + STATE_AT_MODEL_HASH, sc->model_hash);
    put_u64(h + STATE_AT_PREV_HASH, run->has_prev ? run->prev_hash : 0);
    struct state_out o = {f, SF_FNV1A_INIT};
    size_t n = t->opt.n_params;
    int rc = out_bytes(&o, h, sizeof h);
    if (!rc)
        rc = checkpoint_emit(t->model, out_bytes, &o);
    if (!rc)
        rc = out_bytes(&o, t->opt.m, sizeof(float) * n);
    if (!rc)
        rc = out_bytes(&o, t->opt.v, sizeof(float) * n);
    if (rc)
        return rc;
    unsigned char sum[8];
    put_u64(sum, o.hash);
    return fwrite(sum, 1, 8, f) == 8 ? SF_OK : SF_ERR_IO;
}

int train_state_save(const char *path, const struct trainer *t, const struct batcher *b,
                     const struct train_run *run, uint64_t *model_hash, struct sf_diag *d)
{
    struct state_ctx sc = {t, b, run, 0, 0};
    int rc = checkpoint_check(t->model, path, d);
    if (rc)
        return rc;
    train_model_digest(t->model, &sc.model_bytes, &sc.model_hash);
    rc = sf_write_atomic(path, write_state, &sc, d);
    if (!rc && model_hash)
        *model_hash = sc.model_hash;
    return rc;
}

void train_state_free(struct train_state *s)
{
    model_free(&s->model);
    free(s->m);
    free(s->v);
    memset(s, 0, sizeof *s);
}

// Says the state at path holds a value it cannot hold; always SF_ERR_RANGE.
#define STATE_BAD(d, path, ...) sf_diag_set(d, SF_ERR_RANGE, path, 0, 0, __VA_ARGS__)

static const char state_damaged[] =
    "the file is damaged or was not written by stepformer: start the run over without --resume";

// Checks the settings in s (decoded from the header h) against the limits `stepformer train`
// has; the raw fields of h go into the messages.
static int check_settings(const struct train_state *s, const unsigned char *h, const char *path,
                          struct sf_diag *d)
{
    const struct {
        const char *name;
        float v, lo, hi;
    } hp[] = {{"learning rate (--lr)", s->hp.lr, 0.0f, (float)SF_TRAIN_MAX_LR},
              {"--beta1", s->hp.beta1, 0.0f, (float)SF_TRAIN_MAX_BETA},
              {"--beta2", s->hp.beta2, 0.0f, (float)SF_TRAIN_MAX_BETA},
              {"--eps", s->hp.eps, (float)SF_TRAIN_MIN_EPS, (float)SF_TRAIN_MAX_EPS},
              {"--weight-decay", s->hp.weight_decay, 0.0f, (float)SF_TRAIN_MAX_LR}};
    for (size_t i = 0; i < sizeof hp / sizeof hp[0]; i++)
        if (!(hp[i].v >= hp[i].lo && hp[i].v <= hp[i].hi))
            return STATE_BAD(d, path, "the %s it holds is %g, outside %g to %g: %s", hp[i].name,
                             (double)hp[i].v, (double)hp[i].lo, (double)hp[i].hi, state_damaged);
    uint32_t B = get_u32(h + STATE_AT_BATCH), T = get_u32(h + STATE_AT_SEQ);
    uint32_t step = get_u32(h + STATE_AT_STEP);
    if (B < 1 || B > SF_TRAIN_MAX_BATCH || T < 1 || T > SF_MAX_CTX)
        return STATE_BAD(d, path, "it says --batch %u --seq %u, outside 1..%d and 1..%d: %s", B, T,
                         SF_TRAIN_MAX_BATCH, SF_MAX_CTX, state_damaged);
    if (step > SF_TRAIN_MAX_STEPS)
        return STATE_BAD(d, path, "the step it holds, %u, is outside 0..%d: %s", step,
                         SF_TRAIN_MAX_STEPS, state_damaged);
    if (get_u32(h + STATE_AT_SHUFFLE) > 1 || get_u32(h + STATE_AT_KERNELS) > 1 ||
        get_u32(h + STATE_AT_HAS_PREV) > 1)
        return STATE_BAD(d, path, "a yes/no field holds another value: %s", state_damaged);
    if (s->seed > SF_TRAIN_MAX_SEED)
        return STATE_BAD(d, path, "the seed it holds, %u, is outside 0..%d: %s", s->seed,
                         SF_TRAIN_MAX_SEED, state_damaged);
    if (s->data_tokens < (uint64_t)B * T + 1 || s->pos > s->data_tokens)
        return STATE_BAD(d, path,
                         "its data position %llu and data size %llu do not fit --batch %u "
                         "--seq %u: %s",
                         (unsigned long long)s->pos, (unsigned long long)s->data_tokens, B, T,
                         state_damaged);
    if ((s->rng[0] | s->rng[1] | s->rng[2] | s->rng[3]) == 0)
        return STATE_BAD(d, path, "its random state is all zeros, which no seed gives: %s",
                         state_damaged);
    return SF_OK;
}

// Decodes the fixed header (already checked for magic and version). The integer fields are
// used only after check_settings has accepted them.
static void decode_header(struct train_state *s, const unsigned char *h)
{
    const unsigned char *hp = h + STATE_AT_HP;
    s->B = (int)(get_u32(h + STATE_AT_BATCH) & 0x7fffffff);
    s->T = (int)(get_u32(h + STATE_AT_SEQ) & 0x7fffffff);
    s->step = (int)(get_u32(h + STATE_AT_STEP) & 0x7fffffff);
    s->shuffle = get_u32(h + STATE_AT_SHUFFLE) == 1;
    s->impl = get_u32(h + STATE_AT_KERNELS) == 1 ? OP_IMPL_FAST : OP_IMPL_REF;
    s->seed = get_u32(h + STATE_AT_SEED);
    s->hp = (struct adamw_params){.lr = get_f32(hp),
                                  .beta1 = get_f32(hp + 4),
                                  .beta2 = get_f32(hp + 8),
                                  .eps = get_f32(hp + 12),
                                  .weight_decay = get_f32(hp + 16)};
    s->has_prev = get_u32(h + STATE_AT_HAS_PREV) == 1;
    s->data_tokens = get_u64(h + STATE_AT_DATA_TOKENS);
    s->data_hash = get_u64(h + STATE_AT_DATA_HASH);
    s->pos = get_u64(h + STATE_AT_DATA_POS);
    for (int i = 0; i < 4; i++)
        s->rng[i] = get_u64(h + STATE_AT_RNG + 8 * i);
    s->model_bytes = get_u64(h + STATE_AT_MODEL_BYTES);
    s->model_hash = get_u64(h + STATE_AT_MODEL_HASH);
    s->prev_hash = get_u64(h + STATE_AT_PREV_HASH);
}

// The checksum of the first len - 8 bytes of f against the last 8, and the hash of the model
// bytes [STATE_HEADER_BYTES, STATE_HEADER_BYTES + model_bytes).
static int check_sums(FILE *f, uint64_t len, uint64_t model_bytes, uint64_t *model_hash)
{
    enum { CHUNK = 65536 };
    unsigned char *buf = malloc(CHUNK);
    if (!buf)
        return SF_ERR_NOMEM;
    int rc = SF_OK;
    uint64_t h = SF_FNV1A_INIT, mh = SF_FNV1A_INIT, at = 0,
             model_end = STATE_HEADER_BYTES + model_bytes;
    if (fseek(f, 0, SEEK_SET) != 0)
        rc = SF_ERR_IO;
    while (!rc && at < len - 8) {
        size_t want = len - 8 - at < CHUNK ? (size_t)(len - 8 - at) : CHUNK;
        if (fread(buf, 1, want, f) != want) {
            rc = SF_ERR_IO;
            break;
        }
        h = sf_fnv1a(h, buf, want);
        // the part of this chunk inside the model
        uint64_t lo = at > STATE_HEADER_BYTES ? at : STATE_HEADER_BYTES;
        uint64_t hi = at + want < model_end ? at + want : model_end;
        if (lo < hi)
            mh = sf_fnv1a(mh, buf + (lo - at), (size_t)(hi - lo));
        at += want;
    }
    if (!rc && fread(buf, 1, 8, f) != 8)
        rc = SF_ERR_IO;
    if (!rc && get_u64(buf) != h)
        rc = SF_ERR_FORMAT;
    free(buf);
    *model_hash = mh;
    return rc;
}

// The header (into h, STATE_HEADER_BYTES) of a file of len bytes: its magic, version and
// size. 0, or an error with d filled.
static int read_state_header(FILE *f, uint64_t len, unsigned char *h, const char *path,
                             struct sf_diag *d)
{
    const size_t rest = STATE_HEADER_BYTES - STATE_AT_HEADER_BYTES;
    if (len < STATE_AT_HEADER_BYTES ||
        fread(h, 1, STATE_AT_HEADER_BYTES, f) != STATE_AT_HEADER_BYTES ||
        memcmp(h, STATE_MAGIC, 8) != 0)
        return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                           "not a stepformer training state (magic \"%s\")", STATE_MAGIC);
    uint32_t version = get_u32(h + STATE_AT_VERSION);
    if (version == 1)
        return sf_diag_set(d, SF_ERR_VERSION, path, 0, 0,
                           "a training state of version 1, from an older stepformer, which kept "
                           "the weights only in the model file: it cannot be resumed exactly; "
                           "start the run over without --resume, or train on from the model with "
                           "--model (and new optimizer moments)");
    if (version != STATE_VERSION)
        return sf_diag_set(d, SF_ERR_VERSION, path, 0, 0,
                           "training state version %u is not supported (this stepformer reads "
                           "version %d)",
                           version, STATE_VERSION);
    if (len < STATE_HEADER_BYTES + 8 || fread(h + STATE_AT_HEADER_BYTES, 1, rest, f) != rest)
        return sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0, "truncated inside the header: %s",
                           state_damaged);
    if (get_u32(h + STATE_AT_HEADER_BYTES) != STATE_HEADER_BYTES)
        return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                           "the header size field says %u bytes; version 2 headers are %d",
                           get_u32(h + STATE_AT_HEADER_BYTES), STATE_HEADER_BYTES);
    return SF_OK;
}

// The file as a whole against its header h (decoded into s): its length, its checksums and
// its settings; then f is at the model. 0, or an error with d filled.
static int check_state_file(FILE *f, const struct train_state *s, const unsigned char *h,
                            uint64_t len, uint64_t n, const char *path, struct sf_diag *d)
{
    uint64_t model_hash = 0, want = train_state_bytes((size_t)n, s->model_bytes);
    // The sizes in the header against the file's length, before anything is allocated.
    if (s->model_bytes > len || n > len / 8 || len != want)
        return sf_diag_set(d, len < want ? SF_ERR_TRUNCATED : SF_ERR_FORMAT, path, 0, 0,
                           "the header says a model of %llu bytes and %llu parameters, which do "
                           "not fit the file's %llu bytes: %s",
                           (unsigned long long)s->model_bytes, (unsigned long long)n,
                           (unsigned long long)len, state_damaged);
    int rc = check_sums(f, len, s->model_bytes, &model_hash);
    if (rc == SF_ERR_IO || rc == SF_ERR_NOMEM)
        return sf_diag_set(d, rc, path, 0, 0, "%s",
                           rc == SF_ERR_IO ? "read error" : "out of memory");
    if (rc || model_hash != s->model_hash)
        return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                           "its checksum does not match its contents (a disk error, or a copy "
                           "that was cut short): %s",
                           state_damaged);
    if ((rc = check_settings(s, h, path, d)) != 0)
        return rc;
    if (fseek(f, STATE_HEADER_BYTES, SEEK_SET) != 0)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "read error");
    return SF_OK;
}

// The model inside (the header's model_bytes), which must have the header's n parameters and
// room for its sequence length. 0, or an error with d filled.
static int read_state_model(FILE *f, struct train_state *s, uint64_t n, const char *path,
                            struct sf_diag *d)
{
    int rc = checkpoint_read_native(&s->model, f, path, (long)s->model_bytes, d);
    if (rc)
        return rc;
    if (s->model.n_params != n)
        return sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                           "the header says %llu parameters, the model inside has %zu: %s",
                           (unsigned long long)n, s->model.n_params, state_damaged);
    if (s->T > s->model.cfg.n_ctx)
        return STATE_BAD(d, path, "it says --seq %d, longer than its model's context (%d): %s",
                         s->T, s->model.cfg.n_ctx, state_damaged);
    return SF_OK;
}

// The optimizer's n first moments, then its n second moments: finite, and the second never
// negative. 0, or an error with d filled.
static int read_state_moments(FILE *f, struct train_state *s, uint64_t n, const char *path,
                              struct sf_diag *d)
{
    s->m = malloc(sizeof(float) * (n ? n : 1));
    s->v = malloc(sizeof(float) * (n ? n : 1));
    if (!s->m || !s->v)
        return sf_diag_set(d, SF_ERR_NOMEM, path, 0, 0, "out of memory for the moments");
    if (fread(s->m, sizeof(float), n, f) != n || fread(s->v, sizeof(float), n, f) != n)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0, "read error in the moments");
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(s->m[i]) || !isfinite(s->v[i]))
            return STATE_BAD(d, path,
                             "the %s moment of parameter %zu is %g, not a finite number: %s",
                             isfinite(s->m[i]) ? "second" : "first", i,
                             (double)(isfinite(s->m[i]) ? s->v[i] : s->m[i]), state_damaged);
        if (s->v[i] < 0.0f)
            return STATE_BAD(d, path,
                             "the second moment of parameter %zu is %g, but second moments are "
                             "averages of squares, never negative: %s",
                             i, (double)s->v[i], state_damaged);
    }
    return SF_OK;
}

int train_state_load(const char *path, struct train_state *s, struct sf_diag *d)
{
    memset(s, 0, sizeof *s);
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "no saved training state was found here: --resume continues a run "
                           "that `stepformer train` saved with this --out; make one by running "
                           "the same command without --resume (it saves at the end, every "
                           "--save-every steps and on Ctrl-C)");
    FILE *f = sf_open_read(path, "training state", d);
    if (!f)
        return SF_ERR_IO;
    unsigned char h[STATE_HEADER_BYTES];
    uint64_t len = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0, n = 0;
    int rc = read_state_header(f, len, h, path, d);
    if (!rc) {
        decode_header(s, h);
        n = get_u64(h + STATE_AT_N_PARAMS);
        rc = check_state_file(f, s, h, len, n, path, d);
    }
    if (!rc)
        rc = read_state_model(f, s, n, path, d);
    if (!rc)
        rc = read_state_moments(f, s, n, path, d);
    fclose(f);
    if (rc)
        train_state_free(s);
    return rc;
}

void trainer_resume(struct trainer *t, struct batcher *b, struct train_state *s)
{
    free(t->opt.m);
    free(t->opt.v);
    t->opt.m = s->m;
    t->opt.v = s->v;
    s->m = s->v = NULL;
    t->opt.step = s->step;
    b->pos = (size_t)s->pos;
    for (int i = 0; i < 4; i++)
        b->rng.s[i] = s->rng[i];
}
