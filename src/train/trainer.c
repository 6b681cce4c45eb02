// The training loop's pieces: one graph of B sequences reused for every batch, the step,
// evaluation, and the training state file written beside the model.
#include "stepformer/train.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

// ---- The training state file, little-endian:
// magic "SFSTATE1", u32 version 1, u32 B, u32 T, i32 step, u64 n_params, u64 data position,
// 4 x u64 random state, 5 x f32 (lr, beta1, beta2, eps, weight decay),
// n_params x f32 first moments, n_params x f32 second moments.

#define STATE_MAGIC        "SFSTATE1"
#define STATE_HEADER_BYTES 92

struct state_ctx {
    const struct trainer *t;
    const struct batcher *b;
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

static int write_state(FILE *f, const void *ctx)
{
    const struct state_ctx *sc = ctx;
    const struct trainer *t = sc->t;
    unsigned char h[STATE_HEADER_BYTES] = {0};
    memcpy(h, STATE_MAGIC, 8);
    put_u32(h + 8, 1);
    put_u32(h + 12, (uint32_t)t->B);
    put_u32(h + 16, (uint32_t)t->T);
    put_u32(h + 20, (uint32_t)t->opt.step);
    put_u64(h + 24, (uint64_t)t->opt.n_params);
    put_u64(h + 32, (uint64_t)sc->b->pos);
    for (int i = 0; i < 4; i++)
        put_u64(h + 40 + 8 * i, sc->b->rng.s[i]);
    const float hp[5] = {t->opt.hp.lr, t->opt.hp.beta1, t->opt.hp.beta2, t->opt.hp.eps,
                         t->opt.hp.weight_decay};
    for (int i = 0; i < 5; i++) {
        uint32_t u;
        memcpy(&u, &hp[i], 4);
        put_u32(h + 72 + 4 * i, u);
    }
    size_t n = t->opt.n_params;
    if (fwrite(h, 1, sizeof h, f) != sizeof h || fwrite(t->opt.m, sizeof(float), n, f) != n ||
        fwrite(t->opt.v, sizeof(float), n, f) != n)
        return SF_ERR_IO;
    return SF_OK;
}

int train_state_save(const char *path, const struct trainer *t, const struct batcher *b,
                     struct sf_diag *d)
{
    struct state_ctx sc = {t, b};
    return sf_write_atomic(path, write_state, &sc, d);
}

int train_state_load(const char *path, struct trainer *t, struct batcher *b, struct sf_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_diag_set(d, SF_ERR_IO, path, 0, 0,
                           "cannot open the training state (%s): --resume needs the .state file "
                           "written beside the model",
                           strerror(errno));
    unsigned char h[STATE_HEADER_BYTES];
    int rc = SF_OK;
    size_t n = t->opt.n_params;
    if (fread(h, 1, sizeof h, f) != sizeof h)
        rc = sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0, "truncated inside the header");
    else if (memcmp(h, STATE_MAGIC, 8) != 0)
        rc = sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0, "not a stepformer training state file");
    else if (get_u32(h + 8) != 1)
        rc = sf_diag_set(d, SF_ERR_VERSION, path, 0, 0,
                         "training state version %u is not supported", get_u32(h + 8));
    else if (get_u64(h + 24) != n)
        rc = sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0,
                         "the state is for a model of %llu parameters, not this one's %zu",
                         (unsigned long long)get_u64(h + 24), n);
    else if ((int)get_u32(h + 12) != t->B || (int)get_u32(h + 16) != t->T)
        rc = sf_diag_set(d, SF_ERR_ARG, path, 0, 0,
                         "the run used --batch %u --seq %u: resume with the same sizes",
                         get_u32(h + 12), get_u32(h + 16));
    else if (fread(t->opt.m, sizeof(float), n, f) != n || fread(t->opt.v, sizeof(float), n, f) != n)
        rc = sf_diag_set(d, SF_ERR_TRUNCATED, path, 0, 0, "truncated inside the moments");
    else if (fgetc(f) != EOF)
        rc = sf_diag_set(d, SF_ERR_FORMAT, path, 0, 0, "unexpected bytes after the moments");
    fclose(f);
    if (rc)
        return rc;
    t->opt.step = (int)get_u32(h + 20);
    b->pos = (size_t)get_u64(h + 32);
    if (b->pos >= b->td->n)
        b->pos = 0;
    for (int i = 0; i < 4; i++)
        b->rng.s[i] = get_u64(h + 40 + 8 * i);
    float hp[5];
    for (int i = 0; i < 5; i++) {
        uint32_t u = get_u32(h + 72 + 4 * i);
        memcpy(&hp[i], &u, 4);
    }
    t->opt.hp = (struct adamw_params){hp[0], hp[1], hp[2], hp[3], hp[4]};
    return SF_OK;
}
