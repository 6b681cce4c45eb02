// Tests of the op graph and its stepper: node names and order for every model switch, the
// stepper's moves, and whole-model numbers against independent float64 implementations.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "reference_model.h"
#include "stepformer/checkpoint.h"
#include "stepformer/graph.h"
#include "stepformer/rng.h"
#include "stepformer/sampler.h"

// A small model with every parameter perturbed (so biases, gamma and beta all matter).
static void make_model(struct model *m, struct model_config *cfg, uint64_t seed)
{
    struct sf_diag d;
    assert_int_equal(model_init(m, cfg, &d), 0);
    model_init_random(m, seed);
    struct rng r;
    rng_seed(&r, seed + 1);
    int np = model_params(m, NULL, 0);
    struct param_ref *refs = calloc((size_t)np, sizeof *refs);
    model_params(m, refs, np);
    for (int i = 0; i < np; i++) {
        size_t n = tensor_numel(refs[i].t);
        int is_gain = strstr(refs[i].name, "gamma") != NULL;
        for (size_t j = 0; j < n; j++)
            refs[i].t->data[j] += (is_gain ? 0.2f : 0.05f) * rng_normal(&r);
        // Larger query/key weights make the attention clearly non-uniform.
        if (strstr(refs[i].name, "attn.wq") || strstr(refs[i].name, "attn.wk"))
            for (size_t j = 0; j < n; j++)
                refs[i].t->data[j] *= 4.0f;
    }
    free(refs);
}

static void small_config(struct model_config *c)
{
    model_config_textbook(c, 2, 3, 24, 37, 16);
    c->d_ff = 40;
}

static const char *const prenorm_block[] = {
    "ln1.stats",   "ln1.norm",   "ln1.affine", "attn.q",       "attn.k",     "attn.v",
    "attn.scores", "attn.scale", "attn.mask",  "attn.softmax", "attn.mix",   "attn.concat",
    "attn.proj",   "resid1",     "ln2.stats",  "ln2.norm",     "ln2.affine", "ffn.up",
    "ffn.act",     "ffn.down",   "resid2"};
static const char *const postnorm_block[] = {
    "attn.q",       "attn.k",     "attn.v",      "attn.scores", "attn.scale", "attn.mask",
    "attn.softmax", "attn.mix",   "attn.concat", "attn.proj",   "resid1",     "ln1.stats",
    "ln1.norm",     "ln1.affine", "ffn.up",      "ffn.act",     "ffn.down",   "resid2",
    "ln2.stats",    "ln2.norm",   "ln2.affine"};

static void check_names(const struct graph *g, const struct model_config *c)
{
    int i = 0;
    char want[64];
    assert_string_equal(g->nodes[i++].name, "embed.tok");
    if (c->pos != POS_NONE)
        assert_string_equal(g->nodes[i++].name, "embed.pos");
    const char *const *block = c->norm == NORM_PRE ? prenorm_block : postnorm_block;
    for (int l = 0; l < c->n_layer; l++)
        for (int k = 0; k < 21; k++) {
            snprintf(want, sizeof want, "L%d.%s", l, block[k]);
            assert_string_equal(g->nodes[i].name, want);
            assert_int_equal(g->nodes[i].layer, l);
            i++;
        }
    if (c->final_norm) {
        assert_string_equal(g->nodes[i++].name, "lnf.stats");
        assert_string_equal(g->nodes[i++].name, "lnf.norm");
        assert_string_equal(g->nodes[i++].name, "lnf.affine");
    }
    assert_string_equal(g->nodes[i++].name, "head.logits");
    assert_string_equal(g->nodes[i++].name, "head.probs");
    assert_int_equal(i, g->n_nodes);
}

static void check_names_one_switch(struct model_config *c, void *ctx)
{
    (void)ctx;
    int ids[5] = {1, 2, 3, 4, 5};
    struct model m = {0};
    make_model(&m, c, 7);
    struct graph g = {0};
    assert_int_equal(graph_build(&g, &m, ids, 5, OP_IMPL_FAST, NULL), 0);
    check_names(&g, c);
    for (int i = 0; i < g.n_nodes; i++) {
        assert_true(strlen(g.nodes[i].section) > 0);
        assert_true(strlen(g.nodes[i].explain) > 10);
    }
    graph_free(&g);
    model_free(&m);
}

static void test_graph_names_every_switch(void **state)
{
    (void)state;
    struct model_config base;
    small_config(&base);
    assert_int_equal(test_for_each_switch(&base, check_names_one_switch, NULL), 96);
}

// Every row of the role table is complete: a kind, a name, a symbol, a section and an
// explanation.
static void test_graph_role_table_rows_are_complete(void **state)
{
    (void)state;
    for (int r = 0; r < ROLE_COUNT; r++) {
        const struct node_role_info *info = node_role_info((enum node_role)r);
        assert_true(info->kind >= 0 && info->kind < OPK_COUNT);
        assert_true(strlen(info->unit) + strlen(info->op) > 0);
        assert_true(strlen(info->symbol) > 0);
        assert_non_null(info->matrix);
        assert_true(strlen(info->section) > 0);
        assert_true(strlen(info->explain) > 10);
    }
}

// 1 for the op kinds of the forward pass; 0 for the loss, the optimizer and sampling.
static int forward_kind(enum op_kind k)
{
    switch (k) {
    case OPK_XENT:
    case OPK_GRAD:
    case OPK_ADAMW:
    case OPK_SAMPLE_TEMPERATURE:
    case OPK_SAMPLE_PROBS:
    case OPK_SAMPLE_TRUNCATE:
    case OPK_SAMPLE_RENORM:
    case OPK_SAMPLE_DRAW:
    case OPK_SAMPLE_APPEND:
        return 0;
    default:
        return 1;
    }
}

// One node against its role: the role's kind and texts, the name the role gives it (grad.X
// and adamw.P after the node or parameter they point at), and found again by its role.
static void check_role(const struct graph *g, int i)
{
    const struct node *n = &g->nodes[i];
    char want[2 * SF_NODE_NAME_MAX];
    assert_true(n->role >= 0 && n->role < ROLE_COUNT);
    const struct node_role_info *info = node_role_info(n->role);
    assert_int_equal(n->kind, info->kind);
    assert_ptr_equal(n->section, info->section);
    if (n->role == ROLE_GRAD) {
        assert_true(n->fwd >= 0 && n->fwd < g->n_forward && !n->param);
        const struct node *f = &g->nodes[n->fwd];
        snprintf(want, sizeof want, "grad.%s", f->name);
        assert_int_equal(n->layer, f->layer);
        assert_ptr_equal(n->out.data, f->dout.data);
        assert_true(strlen(n->explain) > 10); // what f's backward step computes
        assert_true(i >= g->n_forward);
    } else if (n->role == ROLE_ADAMW) {
        assert_true(n->param >= g->params && n->param < g->params + g->n_params);
        assert_int_equal(n->fwd, -1);
        snprintf(want, sizeof want, "adamw.%s", n->param->name);
        assert_ptr_equal(n->explain, info->explain);
    } else {
        assert_int_equal(n->fwd, -1);
        assert_null(n->param);
        assert_ptr_equal(n->explain, info->explain);
        int k = n->layer >= 0 ? snprintf(want, sizeof want, "L%d.", n->layer) : 0;
        snprintf(want + k, sizeof want - (size_t)k, "%s%s%s", info->unit, info->unit[0] ? "." : "",
                 info->op);
        assert_int_equal(graph_find_role(g, n->layer, n->role), i);
        assert_int_equal(i < g->n_forward, forward_kind(n->kind));
    }
    assert_string_equal(n->name, want);
}

struct role_census {
    int seen[ROLE_COUNT];
};

static void check_roles_one_switch(struct model_config *c, void *ctx)
{
    struct role_census *census = ctx;
    int ids[6] = {1, 2, 3, 4, 5, 6}, targets[6] = {2, 3, 4, 5, 6, 7};
    struct model m = {0};
    make_model(&m, c, 7);
    struct sampler s;
    sampler_init(&s, 0, 0.8f, 3, 0.9f, 1);
    struct adamw_params hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f};
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, &m, &hp), 0);
    struct graph g[3] = {{0}};
    assert_int_equal(graph_build(&g[0], &m, ids, 5, OP_IMPL_FAST, NULL), 0);
    assert_int_equal(graph_build_generate(&g[1], &m, ids, 5, OP_IMPL_FAST, &s, NULL), 0);
    assert_int_equal(graph_build_train(&g[2], &m, ids, targets, 6, 3, OP_IMPL_FAST, &opt, NULL),
                     0); // two sequences of three
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < g[k].n_nodes; i++) {
            check_role(&g[k], i);
            census->seen[g[k].nodes[i].role]++;
        }
        graph_free(&g[k]);
    }
    optimizer_free(&opt);
    model_free(&m);
}

// Every node of every graph kind (forward, generation, training) for every combination of the
// model switches has a role whose row it matches, and every role occurs.
static void test_graph_every_node_has_its_role(void **state)
{
    (void)state;
    struct model_config base;
    small_config(&base);
    struct role_census census = {{0}};
    assert_int_equal(test_for_each_switch(&base, check_roles_one_switch, &census), 96);
    for (int r = 0; r < ROLE_COUNT; r++)
        if (!census.seen[r])
            fail_msg("no node has the role of row %d (%s)", r,
                     node_role_info((enum node_role)r)->op);
}

static void test_graph_shapes_as_documented(void **state)
{
    (void)state;
    struct model_config c;
    small_config(&c);
    struct model m = {0};
    make_model(&m, &c, 3);
    int ids[6] = {0, 36, 5, 5, 9, 1};
    struct graph g = {0};
    assert_int_equal(graph_build(&g, &m, ids, 6, OP_IMPL_FAST, NULL), 0);
    const struct {
        const char *name;
        int ndim, s0, s1, s2;
    } want[] = {
        {"embed.tok", 2, 6, 24, 0},      {"L0.ln1.stats", 2, 6, 2, 0},
        {"L0.attn.q", 3, 3, 6, 8},       {"L1.attn.v", 3, 3, 6, 8},
        {"L0.attn.scores", 3, 3, 6, 6},  {"L0.attn.mask", 3, 3, 6, 6},
        {"L1.attn.softmax", 3, 3, 6, 6}, {"L0.attn.concat", 2, 6, 24, 0},
        {"L0.ffn.up", 2, 6, 40, 0},      {"head.logits", 2, 6, 37, 0},
        {"head.probs", 2, 6, 37, 0},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        int i = graph_find(&g, want[k].name);
        assert_true(i >= 0);
        const struct tensor *t = &g.nodes[i].out;
        assert_int_equal(t->ndim, want[k].ndim);
        assert_int_equal(t->shape[0], want[k].s0);
        assert_int_equal(t->shape[1], want[k].s1);
        if (want[k].ndim == 3)
            assert_int_equal(t->shape[2], want[k].s2);
    }
    graph_free(&g);
    model_free(&m);
}

static int observed;
static void count_observer(const struct graph *g, const struct node *n, void *user)
{
    (void)user;
    assert_ptr_equal(n, graph_last(g));
    observed++;
}

static void test_graph_stepper_moves(void **state)
{
    (void)state;
    struct model_config c;
    small_config(&c);
    struct model m = {0};
    make_model(&m, &c, 5);
    int ids[4] = {3, 1, 4, 1};
    struct graph g = {0};
    graph_set_observer(&g, count_observer, NULL);
    assert_int_equal(graph_build(&g, &m, ids, 4, OP_IMPL_FAST, NULL), 0);
    observed = 0;
    assert_null(graph_last(&g));
    assert_int_equal(graph_back(&g), 0);
    assert_int_equal(graph_step(&g), 1);
    assert_string_equal(graph_last(&g)->name, "embed.tok");
    assert_int_equal(observed, 1);

    // next block: the input encoding ends at embed.pos
    assert_int_equal(graph_next_block(&g), 1);
    assert_string_equal(graph_last(&g)->name, "embed.pos");
    // next sublayer: the attention sublayer ends at the residual add
    assert_int_equal(graph_next_sublayer(&g), 1);
    assert_string_equal(graph_last(&g)->name, "L0.resid1");
    assert_int_equal(graph_next_sublayer(&g), 1);
    assert_string_equal(graph_last(&g)->name, "L0.resid2");
    assert_int_equal(graph_next_block(&g), 1);
    assert_string_equal(graph_last(&g)->name, "L1.resid2");

    // Back keeps outputs: stepping back and forth changes no number and runs no kernel.
    int i = graph_find(&g, "L1.attn.softmax");
    assert_int_equal(graph_goto(&g, "L1.attn.softmax"), 1);
    assert_int_equal(g.cursor, i + 1);
    size_t n = tensor_numel(&g.nodes[i].out);
    float *copy = malloc(n * sizeof *copy);
    memcpy(copy, g.nodes[i].out.data, n * sizeof *copy);
    int computed = g.computed;
    for (int k = 0; k < 5; k++)
        assert_int_equal(graph_back(&g), 1);
    assert_int_equal(g.computed, computed);
    assert_false(graph_node_done(&g, i));
    assert_int_equal(graph_goto(&g, "L1.attn.softmax"), 1);
    assert_true(graph_node_done(&g, i));
    assert_memory_equal(copy, g.nodes[i].out.data, n * sizeof *copy);
    free(copy);

    // goto backwards is free, goto an unknown name is an error
    assert_int_equal(graph_goto(&g, "embed.tok"), 1);
    assert_int_equal(g.cursor, 1);
    assert_int_equal(graph_goto(&g, "L9.attn.q"), SF_ERR_NOTFOUND);

    observed = 0;
    graph_reset(&g);
    assert_int_equal(g.cursor, 0);
    assert_int_equal(graph_run_to_end(&g), 1);
    assert_int_equal(observed, g.n_nodes);
    assert_null(graph_current(&g));
    assert_int_equal(graph_step(&g), 0);
    assert_int_equal(graph_next_block(&g), 0);

    // Rows of head.probs are distributions.
    const struct tensor *p = &g.nodes[graph_find(&g, "head.probs")].out;
    for (int r = 0; r < p->shape[0]; r++) {
        double s = 0;
        for (int v = 0; v < p->shape[1]; v++)
            s += p->data[r * p->shape[1] + v];
        assert_true(fabs(s - 1.0) < 1e-5);
    }

    // A new input rebuilds the graph and returns to the start.
    int ids2[2] = {7, 8};
    assert_int_equal(graph_set_input(&g, ids2, 2, NULL), 0);
    assert_int_equal(g.cursor, 0);
    assert_int_equal(g.n_tokens, 2);
    assert_int_equal(g.nodes[graph_find(&g, "head.logits")].out.shape[0], 2);
    graph_free(&g);
    model_free(&m);
}

static void test_graph_suggests_near_names(void **state)
{
    (void)state;
    struct model_config c;
    small_config(&c);
    struct model m = {0};
    make_model(&m, &c, 5);
    int ids[1] = {0};
    struct graph g = {0};
    assert_int_equal(graph_build(&g, &m, ids, 1, OP_IMPL_FAST, NULL), 0);
    const char *near[3];
    assert_int_equal(graph_suggest(&g, "L0.attn.sofmax", near, 3), 3);
    assert_string_equal(near[0], "L0.attn.softmax");
    assert_int_equal(graph_suggest(&g, "head.logit", near, 1), 1);
    assert_string_equal(near[0], "head.logits");
    graph_free(&g);
    model_free(&m);
}

static void test_graph_rejects_bad_input(void **state)
{
    (void)state;
    struct model_config c;
    small_config(&c);
    struct model m = {0};
    make_model(&m, &c, 5);
    struct graph g = {0};
    struct sf_diag d;
    int ids[17] = {0};
    assert_int_equal(graph_build(&g, &m, ids, 0, OP_IMPL_FAST, &d), SF_ERR_EMPTY);
    assert_non_null(strstr(d.msg, "empty"));
    assert_int_equal(graph_build(&g, &m, ids, 17, OP_IMPL_FAST, &d), SF_ERR_TOOLONG);
    assert_non_null(strstr(d.msg, "17 tokens"));
    assert_non_null(strstr(d.msg, "16"));
    ids[2] = 37;
    assert_int_equal(graph_build(&g, &m, ids, 3, OP_IMPL_FAST, &d), SF_ERR_RANGE);
    assert_non_null(strstr(d.msg, "token id 37"));
    ids[2] = -1;
    assert_int_equal(graph_build(&g, &m, ids, 3, OP_IMPL_FAST, &d), SF_ERR_RANGE);
    assert_null(g.nodes);
    graph_free(&g);
    model_free(&m);
}

// Runs the graph with both kernel twins and checks logits (relative to the largest) and the
// attention weights against the float64 per-token reference.
static void compare_with_reference(struct model *m, const int *ids, int n, const char *what)
{
    const struct model_config *c = &m->cfg;
    int V = c->vocab_size, H = c->n_head, L = c->n_layer;
    double *logits = malloc(sizeof(double) * (size_t)(n * V));
    double *attn = malloc(sizeof(double) * (size_t)(L * H * n * n));
    assert_int_equal(reference_forward(m, ids, n, logits, attn), 0);
    double maxabs = 0;
    for (int i = 0; i < n * V; i++)
        maxabs = fmax(maxabs, fabs(logits[i]));
    for (int impl = 0; impl < 2; impl++) {
        struct graph g = {0};
        assert_int_equal(graph_build(&g, m, ids, n, (enum op_impl)impl, NULL), 0);
        assert_int_equal(graph_run_to_end(&g), 1);
        const float *u = g.nodes[graph_find(&g, "head.logits")].out.data;
        for (int i = 0; i < n * V; i++) {
            if (fabs(u[i] - logits[i]) > 1e-4 * maxabs)
                fail_msg("%s (%s): logit %d is %.9g, reference %.9g", what, impl ? "fast" : "ref",
                         i, u[i], logits[i]);
        }
        char name[32];
        for (int l = 0; l < L; l++) {
            snprintf(name, sizeof name, "L%d.attn.softmax", l);
            const float *a = g.nodes[graph_find(&g, name)].out.data;
            const double *ra = attn + (size_t)l * H * n * n;
            for (int i = 0; i < H * n * n; i++)
                if (fabs(a[i] - ra[i]) > 1e-5)
                    fail_msg("%s (%s): %s[%d] is %.9g, reference %.9g", what, impl ? "fast" : "ref",
                             name, i, a[i], ra[i]);
        }
        graph_free(&g);
    }
    free(logits);
    free(attn);
}

static void compare_one_switch(struct model_config *c, void *ctx)
{
    int *count = ctx;
    int ids[9] = {4, 0, 36, 11, 11, 2, 30, 7, 19};
    struct model m = {0};
    make_model(&m, c, (uint64_t)(100 + (*count)++));
    char what[96];
    compare_with_reference(&m, ids, 9, test_switches_str(c, what, sizeof what));
    model_free(&m);
}

// The graph's outputs are not zeroed when it is built: every op must write all of its output
// before anything reads it. With the memory filled with NaN bytes first, a training graph
// (forward, loss, backward, AdamW) of every switch gives the same bits as one on zeroed memory.
static void fill_one_switch(struct model_config *c, void *ctx)
{
    int *count = ctx;
    int ids[9] = {4, 0, 36, 11, 11, 2, 30, 7, 19}, tg[9] = {0, 36, 11, 11, 2, 30, 7, 19, 5};
    struct model m[2];
    float *out[2] = {NULL, NULL};
    size_t total = 0;
    for (int k = 0; k < 2; k++) {
        make_model(&m[k], c, (uint64_t)(300 + *count));
        struct adamw_params hp = SF_ADAMW_DEFAULTS;
        struct optimizer opt;
        assert_int_equal(optimizer_init(&opt, &m[k], &hp), 0);
        arena_debug_fill(k == 0 ? -1 : 0xff);
        struct graph g = {0};
        assert_int_equal(graph_build_train(&g, &m[k], ids, tg, 9, 9, OP_IMPL_FAST, &opt, NULL), 0);
        arena_debug_fill(-1);
        assert_int_equal(graph_run_to_end(&g), 1);
        total = 0;
        for (int i = 0; i < g.n_nodes; i++)
            total += tensor_numel(&g.nodes[i].out) + tensor_numel(&g.nodes[i].dout);
        out[k] = malloc(total * sizeof(float));
        size_t at = 0;
        for (int i = 0; i < g.n_nodes; i++) {
            const struct tensor *t[2] = {&g.nodes[i].out, &g.nodes[i].dout};
            for (int j = 0; j < 2; j++) {
                size_t n = tensor_numel(t[j]);
                if (n)
                    memcpy(out[k] + at, t[j]->data, n * sizeof(float));
                at += n;
            }
        }
        graph_free(&g);
        optimizer_free(&opt);
    }
    char what[96];
    if (memcmp(out[0], out[1], total * sizeof(float)) != 0)
        fail_msg("%s: an op read memory it had not written",
                 test_switches_str(c, what, sizeof what));
    assert_params_equal(&m[0], &m[1]);
    for (int k = 0; k < 2; k++) {
        free(out[k]);
        model_free(&m[k]);
    }
    (*count)++;
}

static void test_graph_outputs_need_no_zeroing(void **state)
{
    (void)state;
    struct model_config base;
    small_config(&base);
    int count = 0;
    assert_int_equal(test_for_each_switch(&base, fill_one_switch, &count), 96);
}

static void test_graph_matches_reference_every_switch(void **state)
{
    (void)state;
    struct model_config base;
    small_config(&base);
    int count = 0;
    assert_int_equal(test_for_each_switch(&base, compare_one_switch, &count), 96);
}

// Golden values for an llm.c checkpoint, made by tests/tools/make_golden.py (float64,
// per-token loops) and stored in tests/data.
static void test_graph_llmc_checkpoint_matches_golden(void **state)
{
    (void)state;
    char path[512];
    struct model m = {0};
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&m, test_data_path(path, sizeof path, "gpt2_tiny.bin"), &d),
                     0);
    double *glogits = NULL, *gattn = NULL, maxabs = 0;
    int shape[4], ndim, ids[64];
    int n = test_llmc_golden(ids, 64, m.cfg.vocab_size, &glogits, &maxabs);
    long nl = (long)n * m.cfg.vocab_size;
    for (int impl = 0; impl < 2; impl++) {
        struct graph g = {0};
        assert_int_equal(graph_build(&g, &m, ids, n, (enum op_impl)impl, &d), 0);
        assert_int_equal(graph_run_to_end(&g), 1);
        const struct tensor *u = &g.nodes[graph_find(&g, "head.logits")].out;
        assert_int_equal(u->shape[1], m.cfg.vocab_size);
        for (long i = 0; i < nl; i++)
            if (fabs(u->data[i] - glogits[i]) > 1e-4 * maxabs)
                fail_msg("logit %ld: %.9g vs golden %.9g", i, u->data[i], glogits[i]);
        for (int l = 0; l < m.cfg.n_layer; l++) {
            char name[32], file[64];
            snprintf(name, sizeof name, "L%d.attn.softmax", l);
            snprintf(file, sizeof file, "gpt2_tiny_L%d_attn.npy", l);
            long na = test_read_npy(test_data_path(path, sizeof path, file), &gattn, shape, &ndim);
            const struct tensor *a = &g.nodes[graph_find(&g, name)].out;
            assert_int_equal(na, (long)tensor_numel(a));
            for (long i = 0; i < na; i++)
                if (fabs(a->data[i] - gattn[i]) > 1e-5)
                    fail_msg("%s[%ld]: %.9g vs golden %.9g", name, i, a->data[i], gattn[i]);
            free(gattn);
            gattn = NULL;
        }
        graph_free(&g);
    }
    free(glogits);
    model_free(&m);
}

// The two kernel twins agree on every node of the graph.
static void test_graph_twins_agree_on_every_node(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 2, 4, 32, 50, 12);
    struct model m = {0};
    make_model(&m, &c, 11);
    int ids[10] = {1, 49, 2, 3, 5, 8, 13, 21, 34, 0};
    struct graph a = {0}, b = {0};
    assert_int_equal(graph_build(&a, &m, ids, 10, OP_IMPL_REF, NULL), 0);
    assert_int_equal(graph_build(&b, &m, ids, 10, OP_IMPL_FAST, NULL), 0);
    assert_int_equal(graph_run_to_end(&a), 1);
    assert_int_equal(graph_run_to_end(&b), 1);
    for (int i = 0; i < a.n_nodes; i++)
        assert_close(b.nodes[i].out.data, a.nodes[i].out.data, tensor_numel(&a.nodes[i].out), 1e-4,
                     1e-4, a.nodes[i].name);
    graph_free(&a);
    graph_free(&b);
    model_free(&m);
}

// The sampling nodes after the forward pass, step by step (J&M 10.2).
static void test_graph_sampling_nodes(void **state)
{
    (void)state;
    struct model_config c;
    small_config(&c);
    struct model m = {0};
    make_model(&m, &c, 21);
    int ids[4] = {3, 1, 4, 1};
    struct sampler s;
    sampler_init(&s, 1, 0.5f, 3, 1.0f, 1);
    struct graph g = {0};
    assert_int_equal(graph_build_generate(&g, &m, ids, 4, OP_IMPL_FAST, &s, NULL), 0);
    const char *names[] = {"sample.temperature", "sample.probs", "sample.truncate",
                           "sample.renorm",      "sample.draw",  "sample.append"};
    for (int k = 0; k < 6; k++)
        assert_string_equal(g.nodes[g.n_nodes - 6 + k].name, names[k]);
    assert_int_equal(graph_run_to_end(&g), 1);
    int V = c.vocab_size;
    const float *u = g.nodes[graph_find(&g, "head.logits")].out.data + 3 * V;
    const float *t = g.nodes[graph_find(&g, "sample.temperature")].out.data;
    const float *p = g.nodes[graph_find(&g, "sample.probs")].out.data;
    const float *cut = g.nodes[graph_find(&g, "sample.truncate")].out.data;
    const float *r = g.nodes[graph_find(&g, "sample.renorm")].out.data;
    double sum = 0, kept = 0;
    int nonzero = 0, best = 0;
    for (int v = 0; v < V; v++) {
        assert_true(fabsf(t[v] - u[v] / 0.5f) < 1e-5f); // u / tau
        sum += p[v];
        nonzero += cut[v] > 0;
        kept += r[v];
        best = p[v] > p[best] ? v : best;
    }
    assert_true(fabs(sum - 1) < 1e-5 && fabs(kept - 1) < 1e-5);
    assert_int_equal(nonzero, 3);    // top-k = 3
    assert_int_equal(g.drawn, best); // greedy
    const float *app = g.nodes[graph_find(&g, "sample.append")].out.data;
    assert_true(app[0] == 3 && app[3] == 1 && app[4] == (float)best);
    graph_free(&g);
    model_free(&m);
}

// Interventions: a head switched off contributes nothing, and it changes the prediction;
// dropping the positions leaves embed.pos equal to embed.tok. Both survive a new input.
static void test_graph_interventions(void **state)
{
    (void)state;
    struct model_config c;
    small_config(&c);
    struct model m = {0};
    make_model(&m, &c, 9);
    int ids[5] = {3, 1, 4, 1, 5};
    struct graph g = {0};
    assert_int_equal(graph_build(&g, &m, ids, 5, OP_IMPL_FAST, NULL), 0);
    assert_int_equal(graph_run_to_end(&g), 1);
    int probs = graph_find(&g, "head.probs"), mix = graph_find(&g, "L1.attn.mix");
    size_t V = (size_t)c.vocab_size * 5, head = 5 * (size_t)(c.d_model / c.n_head);
    float *before = malloc(V * sizeof(float));
    memcpy(before, g.nodes[probs].out.data, V * sizeof(float));

    unsigned char off[2 * 3] = {0};
    off[1 * 3 + 2] = 1; // layer 1, head 2
    struct intervention iv = {off, 0};
    graph_set_intervention(&g, &iv);
    assert_int_equal(g.cursor, 0);
    assert_int_equal(graph_run_to_end(&g), 1);
    const float *h2 = g.nodes[mix].out.data + 2 * head;
    for (size_t i = 0; i < head; i++)
        assert_true(h2[i] == 0.0f);
    float nonzero = 0, diff = 0;
    for (size_t i = 0; i < head; i++)
        nonzero += fabsf(g.nodes[mix].out.data[head + i]); // head 1 is untouched
    for (size_t i = 0; i < V; i++)
        diff += fabsf(g.nodes[probs].out.data[i] - before[i]);
    assert_true(nonzero > 0 && diff > 1e-4f);

    iv = (struct intervention){NULL, 1};
    graph_set_intervention(&g, &iv);
    int ids2[3] = {2, 7, 2};
    assert_int_equal(graph_set_input(&g, ids2, 3, NULL), 0); // kept across the rebuild
    assert_int_equal(graph_goto(&g, "embed.pos"), 1);
    const struct tensor *tok = &g.nodes[0].out, *pos = &g.nodes[1].out;
    assert_memory_equal(tok->data, pos->data, tensor_numel(tok) * sizeof(float));
    free(before);
    graph_free(&g);
    model_free(&m);
}

// The logit lens at the last block is the LM head itself: the same argmax and probability,
// with a final norm (pre-norm) and without one (post-norm); before a block runs there is
// nothing to read.
static void test_graph_logit_lens(void **state)
{
    (void)state;
    for (int post = 0; post < 2; post++) {
        struct model_config c;
        small_config(&c);
        c.norm = post ? NORM_POST : NORM_PRE;
        c.final_norm = !post;
        struct model m = {0};
        make_model(&m, &c, 11);
        int ids[6] = {3, 1, 4, 1, 5, 9}, top[6];
        float prob[6];
        struct graph g = {0};
        assert_int_equal(graph_build(&g, &m, ids, 6, OP_IMPL_FAST, NULL), 0);
        assert_int_equal(graph_logit_lens(&g, 0, top, prob), SF_ERR_ARG);
        assert_int_equal(graph_goto(&g, "L0.resid1"), 1);
        assert_int_equal(graph_logit_lens(&g, 0, top, prob), SF_ERR_ARG);
        assert_int_equal(graph_next_block(&g), 1);
        assert_int_equal(graph_logit_lens(&g, 0, top, prob), 0);
        assert_int_equal(graph_logit_lens(&g, c.n_layer, top, prob), SF_ERR_ARG);
        assert_int_equal(graph_run_to_end(&g), 1);
        assert_int_equal(graph_logit_lens(&g, c.n_layer - 1, top, prob), 0);
        const float *p = graph_last(&g)->out.data;
        for (int i = 0; i < 6; i++) {
            int best = 0;
            for (int t = 1; t < c.vocab_size; t++)
                best = p[i * c.vocab_size + t] > p[i * c.vocab_size + best] ? t : best;
            assert_int_equal(top[i], best);
            assert_true(fabsf(prob[i] - p[i * c.vocab_size + best]) < 1e-5f);
        }
        graph_free(&g);
        model_free(&m);
    }
}

// The sinusoidal positions as assets/README.md defines them, computed here in float64: for
// position p (0 for the first token, restarting with each sequence of a batch) and column c of
// d, with j = floor(c / 2): PE[p][c] = sin(p / 10000^(2j / d)) for even c and cos(the same
// angle) for odd c (interleaved, not two halves), added to E[id] as it is (no sqrt(d) scale).
static double documented_pe(int p, int c, int d)
{
    int j = c / 2;
    double angle = (double)p / pow(10000.0, 2.0 * j / (double)d);
    return c % 2 == 0 ? sin(angle) : cos(angle);
}

// embed.pos - embed.tok of the shipped sinusoidal model (notebook) is PE, in one sequence and
// in a batch of two, under both kernel twins.
static void test_graph_sinusoidal_positions_as_documented(void **state)
{
    (void)state;
    char path[512];
    const char *assets = getenv("SF_ASSETS");
    snprintf(path, sizeof path, "%s/models/notebook.sfm", assets ? assets : "assets");
    struct model m = {0};
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&m, path, &d), 0);
    assert_int_equal(m.cfg.pos, POS_SINUSOIDAL);
    int D = m.cfg.d_model, ids[12] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8};
    for (int impl = 0; impl < 2; impl++)
        for (int seqs = 1; seqs <= 2; seqs++) {
            struct graph g = {0};
            struct optimizer opt = {0};
            const struct adamw_params hp = SF_ADAMW_DEFAULTS;
            enum op_impl im = impl ? OP_IMPL_FAST : OP_IMPL_REF;
            if (seqs == 1) {
                assert_int_equal(graph_build(&g, &m, ids, 12, im, &d), 0);
            } else { // two sequences of 6: positions 0-5 twice
                assert_int_equal(optimizer_init(&opt, &m, &hp), 0);
                assert_int_equal(graph_build_train(&g, &m, ids, ids, 12, 6, im, &opt, &d), 0);
            }
            int tok = graph_find(&g, "embed.tok"), pos = graph_find(&g, "embed.pos");
            assert_true(tok >= 0 && pos == tok + 1);
            assert_true(graph_goto_index(&g, pos) >= 0);
            const float *e = g.nodes[tok].out.data, *x = g.nodes[pos].out.data;
            double worst = 0;
            for (int i = 0; i < 12; i++)
                for (int c = 0; c < D; c++) {
                    size_t k = (size_t)i * (size_t)D + (size_t)c;
                    double want = (double)e[k] + documented_pe(i % (12 / seqs), c, D);
                    double off = fabs((double)x[k] - want);
                    worst = off > worst ? off : worst;
                }
            if (worst > 1e-5)
                fail_msg("impl %d, %d sequence(s): off the documented PE by %g", impl, seqs, worst);
            graph_free(&g);
            optimizer_free(&opt);
        }
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_names_every_switch),
        cmocka_unit_test(test_graph_sinusoidal_positions_as_documented),
        cmocka_unit_test(test_graph_role_table_rows_are_complete),
        cmocka_unit_test(test_graph_every_node_has_its_role),
        cmocka_unit_test(test_graph_shapes_as_documented),
        cmocka_unit_test(test_graph_stepper_moves),
        cmocka_unit_test(test_graph_suggests_near_names),
        cmocka_unit_test(test_graph_rejects_bad_input),
        cmocka_unit_test(test_graph_matches_reference_every_switch),
        cmocka_unit_test(test_graph_llmc_checkpoint_matches_golden),
        cmocka_unit_test(test_graph_twins_agree_on_every_node),
        cmocka_unit_test(test_graph_sampling_nodes),
        cmocka_unit_test(test_graph_interventions),
        cmocka_unit_test(test_graph_logit_lens),
        cmocka_unit_test(test_graph_outputs_need_no_zeroing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
