// The stepper: runs the graph's nodes one at a time under a cursor; outputs are kept, so
// stepping back computes nothing.
#include "stepformer/graph.h"

#include <string.h>

#include "engine_impl.h"

// Zeroes the output of the heads switched off in this node's layer (out is (B H, T, d_k)).
static void heads_off(const struct graph *g, struct node *n)
{
    int H = g->model->cfg.n_head, B = g->n_tokens / g->seq_len;
    size_t head = (size_t)n->out.shape[1] * n->out.shape[2];
    for (int h = 0; h < H; h++)
        if (g->iv.head_off[n->layer * H + h])
            for (int b = 0; b < B; b++)
                memset(n->out.data + (size_t)(b * H + h) * head, 0, head * sizeof(float));
}

// Runs one node with the graph's kernel twin.
static int node_run(struct graph *g, struct node *n)
{
    enum op_impl im = g->impl;
    const struct tensor *const *in = n->in;
    switch (n->kind) {
    case OPK_EMBED_TOK:
        return op_embed_tok(im, &n->out, in[0], g->ids);
    case OPK_EMBED_POS:
        if (g->iv.no_positions) {
            memcpy(n->out.data, in[0]->data, tensor_numel(in[0]) * sizeof(float));
            return 0;
        }
        return in[1] ? op_embed_pos_learned(im, &n->out, in[0], in[1], g->seq_len)
                     : op_embed_pos_sinusoidal(im, &n->out, in[0], g->seq_len);
    case OPK_LN_STATS:
        return op_ln_stats(im, &n->out, in[0], n->scalar);
    case OPK_LN_NORM:
        return op_ln_norm(im, &n->out, in[0], in[1]);
    case OPK_LN_AFFINE:
        return op_ln_affine(im, &n->out, in[0], in[1], in[2]);
    case OPK_LINEAR_HEADS:
        return op_linear_heads(im, &n->out, in[0], in[1], in[2]);
    case OPK_SCORES:
        return op_attn_scores(im, &n->out, in[0], in[1]);
    case OPK_SCALE:
        return op_scale(im, &n->out, in[0], n->scalar);
    case OPK_MASK:
        return op_causal_mask(im, &n->out, in[0], g->seq_len);
    case OPK_SOFTMAX:
        return op_softmax_rows(im, &n->out, in[0]);
    case OPK_MIX: {
        int rc = op_attn_mix(im, &n->out, in[0], in[1]);
        if (!rc && g->iv.head_off)
            heads_off(g, n);
        return rc;
    }
    case OPK_CONCAT:
        return op_concat_heads(im, &n->out, in[0]);
    case OPK_LINEAR:
        return op_linear(im, &n->out, in[0], in[1], in[2]);
    case OPK_ADD:
        return op_add(im, &n->out, in[0], in[1]);
    case OPK_RELU:
        return op_relu(im, &n->out, in[0]);
    case OPK_GELU:
        return op_gelu(im, &n->out, in[0]);
    case OPK_UNEMBED:
        return op_unembed(im, &n->out, in[0], in[1]);
    case OPK_XENT:
    case OPK_GRAD:
    case OPK_ADAMW:
        return backward_run_node(g, n);
    case OPK_SAMPLE_TEMPERATURE:
    case OPK_SAMPLE_PROBS:
    case OPK_SAMPLE_TRUNCATE:
    case OPK_SAMPLE_RENORM:
    case OPK_SAMPLE_DRAW:
    case OPK_SAMPLE_APPEND:
        return sampling_run_node(g, n);
    case OPK_COUNT:
        break;
    }
    SF_UNREACHABLE("a node of no op kind");
}

const struct node *graph_current(const struct graph *g)
{
    return g->cursor < g->n_nodes ? &g->nodes[g->cursor] : NULL;
}

const struct node *graph_last(const struct graph *g)
{
    return g->cursor > 0 ? &g->nodes[g->cursor - 1] : NULL;
}

int graph_node_done(const struct graph *g, int i)
{
    return i >= 0 && i < g->cursor;
}

int graph_step(struct graph *g)
{
    if (g->cursor >= g->n_nodes)
        return 0;
    struct node *n = &g->nodes[g->cursor];
    // A node before the high-water mark already holds its output (inputs are unchanged), so
    // stepping forward again after a step back is free as well.
    if (g->cursor >= g->computed) {
        int rc = node_run(g, n);
        if (rc)
            return rc;
        g->computed = g->cursor + 1;
    }
    g->cursor++;
    if (g->observer)
        g->observer(g, n, g->observer_user);
    return 1;
}

int graph_back(struct graph *g)
{
    if (g->cursor <= 0)
        return 0;
    g->cursor--;
    return 1;
}

// Steps until a node of at least `level` has run (a level above NODE_LEVEL_BLOCK: to the
// end). Returns 1 if it moved, 0 at the end, <0 on error.
static int step_until_level(struct graph *g, int level)
{
    int moved = 0;
    for (;;) {
        int rc = graph_step(g);
        if (rc <= 0)
            return rc < 0 ? rc : moved;
        moved = 1;
        if ((int)g->nodes[g->cursor - 1].level >= level)
            return 1;
    }
}

int graph_next_sublayer(struct graph *g)
{
    return step_until_level(g, NODE_LEVEL_SUBLAYER);
}

int graph_next_block(struct graph *g)
{
    return step_until_level(g, NODE_LEVEL_BLOCK);
}

int graph_goto_index(struct graph *g, int index)
{
    if (index < 0 || index >= g->n_nodes)
        return SF_ERR_NOTFOUND;
    int target = index + 1;
    if (target == g->cursor)
        return 0;
    if (target < g->cursor) {
        g->cursor = target;
        return 1;
    }
    while (g->cursor < target) {
        int rc = graph_step(g);
        if (rc < 0)
            return rc;
    }
    return 1;
}

int graph_goto(struct graph *g, const char *name)
{
    int i = graph_find(g, name);
    return i < 0 ? SF_ERR_NOTFOUND : graph_goto_index(g, i);
}

int graph_run_to_end(struct graph *g)
{
    return step_until_level(g, NODE_LEVEL_BLOCK + 1);
}

void graph_reset(struct graph *g)
{
    g->cursor = 0;
}
