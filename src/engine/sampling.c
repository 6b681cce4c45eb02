// The sampling nodes: from the last position's logits to the next token, one step at a time.
#include "engine_impl.h"

#include <stdlib.h>
#include <string.h>

int sampling_run_node(struct graph *g, struct node *n)
{
    struct sampler *s = g->sampler;
    const struct tensor *in = n->in[0];
    int V = g->model->cfg.vocab_size;
    float *out = n->out.data;
    switch (n->kind) {
    case OPK_SAMPLE_TEMPERATURE: { // the last row of head.logits, divided by tau
        const float *u = in->data + (size_t)(g->n_tokens - 1) * V;
        for (int v = 0; v < V; v++)
            out[v] = u[v] / s->temperature;
        return SF_OK;
    }
    case OPK_SAMPLE_PROBS:
        return op_softmax_rows(g->impl, &n->out, in);
    case OPK_SAMPLE_TRUNCATE: {
        int *order = malloc(sizeof *order * (size_t)V);
        if (!order)
            return SF_ERR_NOMEM;
        memcpy(out, in->data, sizeof(float) * (size_t)V);
        sampler_cut(s, out, V, order);
        free(order);
        return SF_OK;
    }
    case OPK_SAMPLE_RENORM:
        memcpy(out, in->data, sizeof(float) * (size_t)V);
        sampler_renorm(out, V);
        return SF_OK;
    case OPK_SAMPLE_DRAW:
        g->drawn = sampler_draw(s, in->data, V);
        out[0] = (float)g->drawn;
        return SF_OK;
    case OPK_SAMPLE_APPEND:
        for (int i = 0; i < g->n_tokens; i++)
            out[i] = (float)g->ids[i];
        out[g->n_tokens] = in->data[0];
        return SF_OK;
    default:
        SF_UNREACHABLE("a sampling step of another kind");
    }
}
