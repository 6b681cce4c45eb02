// The training nodes: cross-entropy, the backward step of every forward op, and AdamW; and the
// optimizer state they use.
#include "engine_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int optimizer_init(struct optimizer *o, const struct model *m, const struct adamw_params *hp)
{
    memset(o, 0, sizeof *o);
    o->hp = *hp;
    o->n_params = m->n_params;
    o->m = calloc(m->n_params, sizeof(float));
    o->v = calloc(m->n_params, sizeof(float));
    o->grads = calloc(m->n_params, sizeof(float));
    if (!o->m || !o->v || !o->grads) {
        optimizer_free(o);
        return SF_ERR_NOMEM;
    }
    return SF_OK;
}

void optimizer_free(struct optimizer *o)
{
    free(o->m);
    free(o->v);
    free(o->grads);
    memset(o, 0, sizeof *o);
}

// The slice of a per-parameter array (grads, m, v) that belongs to tensor p, whose first
// value is at offset in file order.
static struct tensor slice(float *base, size_t offset, const struct tensor *p)
{
    struct tensor t;
    tensor_wrap(&t, base + offset, p->ndim, p->shape);
    return t;
}

struct tensor optimizer_grad(const struct optimizer *o, const struct model *m,
                             const struct tensor *p)
{
    size_t at = model_param_offset(m, p);
    SF_ASSERT(at != SIZE_MAX);
    return slice(o->grads, at, p);
}

// loss.xent: starts the backward pass (every gradient to zero), computes the loss per
// position and its mean, and seeds dL/d(probs) of the mean.
static int run_xent(struct graph *g, struct node *n)
{
    for (int i = 0; i < g->n_forward; i++) {
        struct tensor *d = &g->nodes[i].dout;
        memset(d->data, 0, tensor_numel(d) * sizeof(float));
    }
    memset(g->opt->grads, 0, g->opt->n_params * sizeof(float));
    struct node *probs = &g->nodes[g->n_forward - 1];
    SF_ASSERT(probs->role == ROLE_HEAD_PROBS);
    int rc = op_xent(g->impl, &n->out, &g->loss, &probs->out, g->targets);
    if (rc)
        return rc;
    return op_xent_backward(g->impl, &probs->dout, &probs->out, g->targets,
                            1.0f / (float)g->n_tokens); // the mean over every position
}

// grad.X: X's output gradient is complete (every later op has run its backward); pass it to
// X's inputs.
static int run_grad(struct graph *g, const struct node *f)
{
    enum op_impl im = g->impl;
    const struct tensor *const *in = f->in;
    struct tensor *const *din = f->din;
    const struct tensor *dy = &f->dout;
    int rc = SF_OK;
    switch (f->kind) {
    case OPK_EMBED_TOK:
        return din[0] ? op_embed_tok_backward(im, din[0], dy, g->ids) : SF_OK;
    case OPK_EMBED_POS:
        if (din[0])
            rc = op_axpy(im, din[0], 1.0f, dy);
        if (!rc && din[1])
            rc = op_embed_pos_learned_backward(im, din[1], dy, g->seq_len);
        return rc;
    case OPK_LN_STATS:
        return din[0] ? op_ln_stats_backward(im, din[0], in[0], &f->out, dy) : SF_OK;
    case OPK_LN_NORM:
        return op_ln_norm_backward(im, din[0], din[1], in[0], in[1], dy);
    case OPK_LN_AFFINE:
        return op_ln_affine_backward(im, din[0], din[1], din[2], in[0], in[1], dy);
    case OPK_LINEAR_HEADS:
        return op_linear_heads_backward(im, din[0], din[1], din[2], in[0], in[1], dy);
    case OPK_SCORES:
        return op_attn_scores_backward(im, din[0], din[1], in[0], in[1], dy);
    case OPK_SCALE:
        return din[0] ? op_axpy(im, din[0], f->scalar, dy) : SF_OK;
    case OPK_MASK:
        return din[0] ? op_causal_mask_backward(im, din[0], dy, g->seq_len) : SF_OK;
    case OPK_SOFTMAX:
        return din[0] ? op_softmax_rows_backward(im, din[0], &f->out, dy) : SF_OK;
    case OPK_MIX:
        return op_attn_mix_backward(im, din[0], din[1], in[0], in[1], dy);
    case OPK_CONCAT:
        return din[0] ? op_concat_heads_backward(im, din[0], dy) : SF_OK;
    case OPK_LINEAR:
        return op_linear_backward(im, din[0], din[1], din[2], in[0], in[1], dy);
    case OPK_ADD:
        if (din[0])
            rc = op_axpy(im, din[0], 1.0f, dy);
        if (!rc && din[1])
            rc = op_axpy(im, din[1], 1.0f, dy);
        return rc;
    case OPK_RELU:
        return din[0] ? op_relu_backward(im, din[0], in[0], dy) : SF_OK;
    case OPK_GELU:
        return din[0] ? op_gelu_backward(im, din[0], in[0], dy) : SF_OK;
    case OPK_UNEMBED:
        return op_unembed_backward(im, din[0], din[1], in[0], in[1], dy);
    default: // the loss, backward, optimizer and sampling nodes never come before the loss
        break;
    }
    SF_UNREACHABLE("a backward step of a kind that has none");
}

// adamw.P: one AdamW step on parameter P with its gradient; the node's output is the change.
static int run_adamw(struct graph *g, struct node *n)
{
    struct optimizer *o = g->opt;
    struct tensor *p = n->param->t;
    size_t at = n->param->offset;
    struct tensor m = slice(o->m, at, p);
    struct tensor v = slice(o->v, at, p);
    struct tensor grad = slice(o->grads, at, p);
    return op_adamw(g->impl, p, &m, &v, &n->out, &grad, &o->hp, o->step + 1);
}

int backward_run_node(struct graph *g, struct node *n)
{
    switch (n->kind) {
    case OPK_XENT:
        return run_xent(g, n);
    case OPK_GRAD:
        return run_grad(g, &g->nodes[n->fwd]);
    case OPK_ADAMW:
        return run_adamw(g, n);
    default:
        SF_UNREACHABLE("a training step of another kind");
    }
}
