// The logit lens: the LM head applied to the residual stream after any block.
#include "stepformer/graph.h"

#include <math.h>
#include <stdlib.h>

// The most probable entry of a row of logits and its softmax probability.
static void top_one(const float *row, int V, int *top, float *prob)
{
    int best = 0;
    for (int v = 1; v < V; v++)
        best = row[v] > row[best] ? v : best;
    double sum = 0;
    for (int v = 0; v < V; v++)
        sum += exp((double)row[v] - (double)row[best]);
    *top = best;
    *prob = (float)(1.0 / sum);
}

int graph_block_end(const struct graph *g, int layer)
{
    // Forward nodes come first; a grad.* node can carry a block's level as well.
    int n = g->n_forward ? g->n_forward : g->n_nodes;
    for (int i = 0; i < n; i++)
        if (g->nodes[i].layer == layer && g->nodes[i].level == NODE_LEVEL_BLOCK)
            return i;
    return -1;
}

int graph_logit_lens(const struct graph *g, int layer, int *top, float *prob)
{
    int idx = graph_block_end(g, layer);
    if (idx < 0 || !graph_node_done(g, idx))
        return SF_ERR_ARG;
    const struct model *m = g->model;
    const struct model_config *c = &m->cfg;
    int N = g->n_tokens, d = c->d_model, V = c->vocab_size;
    // The logits of at most CHUNK positions at a time: a long GPT-2 input would otherwise need
    // hundreds of megabytes at once.
    enum { CHUNK = 64 };
    int chunk = N < CHUNK ? N : CHUNK;
    float *h = malloc(sizeof(float) * (size_t)N * d);
    float *stats = malloc(sizeof(float) * (size_t)N * 2);
    float *u = malloc(sizeof(float) * (size_t)chunk * V);
    int rc = h && stats && u ? 0 : SF_ERR_NOMEM;
    struct tensor th, ts;
    tensor_wrap(&th, h, 2, (int[]){N, d});
    tensor_wrap(&ts, stats, 2, (int[]){N, 2});
    const struct tensor *x = &g->nodes[idx].out;
    if (!rc && c->final_norm) { // the final norm, as head.logits would see the stream
        rc = op_ln_stats(g->impl, &ts, x, c->ln_eps);
        rc = rc ? rc : op_ln_norm(g->impl, &th, x, &ts);
        rc = rc ? rc : op_ln_affine(g->impl, &th, &th, &m->lnf_g, &m->lnf_b);
    } else if (!rc) {
        for (size_t i = 0; i < (size_t)N * d; i++)
            h[i] = x->data[i];
    }
    for (int i0 = 0; !rc && i0 < N; i0 += chunk) {
        int rows = N - i0 < chunk ? N - i0 : chunk;
        struct tensor hc, tu;
        tensor_wrap(&hc, h + (size_t)i0 * d, 2, (int[]){rows, d});
        tensor_wrap(&tu, u, 2, (int[]){rows, V});
        rc = op_unembed(g->impl, &tu, &hc, model_unembedding(m));
        for (int r = 0; !rc && r < rows; r++)
            top_one(u + (size_t)r * V, V, &top[i0 + r], &prob[i0 + r]);
    }
    free(h);
    free(stats);
    free(u);
    return rc;
}
