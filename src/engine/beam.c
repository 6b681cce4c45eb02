// Beam search over the forward graph's next-token distribution.
#include "stepformer/beam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int beam_init(struct beam_search *s, const struct model *m, enum op_impl impl, int width,
              const int *prompt, int n, int max_new)
{
    memset(s, 0, sizeof *s);
    s->model = m;
    s->impl = impl;
    s->width = width < 1 ? 1 : width;
    s->cap = n + (max_new > 0 ? max_new : 0);
    s->live = 1;
    int V = m->cfg.vocab_size, W = s->width;
    s->beams = calloc((size_t)W, sizeof *s->beams);
    s->cand = calloc((size_t)W * (size_t)W, sizeof *s->cand);
    s->lp = malloc(sizeof(float) * (size_t)V);
    s->order = malloc(sizeof(int) * (size_t)V);
    int ok = s->beams && s->cand && s->lp && s->order;
    for (int b = 0; ok && b < W; b++)
        ok = (s->beams[b].ids = malloc(sizeof(int) * (size_t)s->cap)) != NULL;
    for (int c = 0; ok && c < W * W; c++)
        ok = (s->cand[c].ids = malloc(sizeof(int) * (size_t)s->cap)) != NULL;
    if (!ok) {
        beam_free(s);
        return SF_ERR_NOMEM;
    }
    memcpy(s->beams[0].ids, prompt, sizeof(int) * (size_t)n);
    s->beams[0].n = n;
    return 0;
}

static int by_logp(const void *a, const void *b)
{
    const struct beam *x = a, *y = b;
    return (x->logp < y->logp) - (x->logp > y->logp);
}

// The next-token distribution after ids (the last n_ctx of them: what the model can see).
static const float *last_probs(struct beam_search *s, const int *ids, int n, struct sf_diag *d)
{
    int ctx = s->model->cfg.n_ctx, len = n < ctx ? n : ctx;
    ids += n - len;
    int rc = s->g.nodes ? graph_set_input(&s->g, ids, len, d)
                        : graph_build(&s->g, s->model, ids, len, s->impl, d);
    if (!rc && graph_goto_index(&s->g, graph_find_role(&s->g, -1, ROLE_HEAD_PROBS)) < 0)
        rc = sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0, "the forward pass failed");
    return rc ? NULL : graph_last(&s->g)->out.data + (size_t)(len - 1) * s->model->cfg.vocab_size;
}

int beam_step(struct beam_search *s, struct sf_diag *d)
{
    int V = s->model->cfg.vocab_size, W = s->width, nc = 0;
    if (s->beams[0].n >= s->cap)
        return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, 0, "the beams are full (%d tokens)", s->cap);
    struct sampler order_only;
    sampler_init(&order_only, 1, 1.0f, 0, 1.0f, 0);
    for (int b = 0; b < s->live; b++) {
        const float *p = last_probs(s, s->beams[b].ids, s->beams[b].n, d);
        if (!p)
            return SF_ERR_ARG;
        memcpy(s->lp, p, sizeof(float) * (size_t)V);
        sampler_cut(&order_only, s->lp, V, s->order); // keeps all: only for the order
        for (int k = 0; k < W && k < V; k++) {
            struct beam *c = &s->cand[nc++];
            memcpy(c->ids, s->beams[b].ids, sizeof(int) * (size_t)s->beams[b].n);
            c->n = s->beams[b].n;
            c->ids[c->n++] = s->order[k];
            c->logp = s->beams[b].logp + log(fmax(s->lp[s->order[k]], 1e-30));
        }
    }
    qsort(s->cand, (size_t)nc, sizeof *s->cand, by_logp);
    s->live = nc < W ? nc : W;
    for (int b = 0; b < s->live; b++) { // swap the winners' buffers into the beams
        int *t = s->beams[b].ids;
        s->beams[b] = s->cand[b];
        s->cand[b].ids = t;
    }
    return 0;
}

void beam_free(struct beam_search *s)
{
    for (int b = 0; s->beams && b < s->width; b++)
        free(s->beams[b].ids);
    for (int c = 0; s->cand && c < s->width * s->width; c++)
        free(s->cand[c].ids);
    free(s->beams);
    free(s->cand);
    free(s->lp);
    free(s->order);
    graph_free(&s->g);
    memset(s, 0, sizeof *s);
}
