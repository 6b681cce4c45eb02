// Tests of the training graph: node order, gradients of the whole model against finite
// differences of the float64 reference for every switch, the twins, and AdamW steps.
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
#include "stepformer/cli.h"
#include "stepformer/graph.h"
#include "stepformer/rng.h"
#include "stepformer/train.h"

static const struct adamw_params default_hp = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f};

// A small model with every parameter perturbed, so no gradient is trivially zero.
static void make_model(struct model *m, const struct model_config *cfg, uint64_t seed)
{
    assert_int_equal(model_init(m, cfg, NULL), 0);
    model_init_random(m, seed);
    struct rng r;
    rng_seed(&r, seed + 7);
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] += 0.1f * rng_normal(&r);
}

// Mean cross-entropy of the float64 reference.
static double reference_loss(const struct model *m, const int *ids, const int *targets, int n)
{
    int V = m->cfg.vocab_size;
    double *logits = malloc(sizeof(double) * (size_t)(n * V));
    assert_int_equal(reference_forward(m, ids, n, logits, NULL), 0);
    double loss = 0;
    for (int i = 0; i < n; i++) {
        double mx = -INFINITY, s = 0;
        for (int v = 0; v < V; v++)
            mx = fmax(mx, logits[i * V + v]);
        for (int v = 0; v < V; v++)
            s += exp(logits[i * V + v] - mx);
        loss += -(logits[i * V + targets[i]] - mx - log(s));
    }
    free(logits);
    return loss / n;
}

static void test_train_node_order(void **state)
{
    (void)state;
    struct model_config c;
    model_config_textbook(&c, 1, 2, 8, 13, 8);
    struct model m;
    make_model(&m, &c, 1);
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, &m, &default_hp), 0);
    int ids[4] = {1, 2, 3, 4}, targets[4] = {2, 3, 4, 5};
    struct graph g = {0};
    assert_int_equal(graph_build_train(&g, &m, ids, targets, 4, 4, OP_IMPL_FAST, &opt, NULL), 0);
    int F = g.n_forward, P = model_params(&m, NULL, 0);
    assert_int_equal(g.n_nodes, F + 1 + F + P);
    assert_string_equal(g.nodes[F].name, "loss.xent");
    assert_string_equal(g.nodes[F + 1].name, "grad.head.probs");
    assert_string_equal(g.nodes[F + 2].name, "grad.head.logits");
    assert_string_equal(g.nodes[2 * F].name, "grad.embed.tok");
    assert_string_equal(g.nodes[2 * F + 1].name, "adamw.wte");
    assert_string_equal(g.nodes[g.n_nodes - 1].name, "adamw.lnf.beta");
    for (int i = F; i < g.n_nodes; i++) {
        assert_true(strlen(g.nodes[i].explain) > 10);
        assert_true(strncmp(g.nodes[i].section, "10.3", 4) == 0);
    }
    // grad.X shows dL/d(output of X), with X's shape
    int q = graph_find(&g, "L0.attn.q"), gq = graph_find(&g, "grad.L0.attn.q");
    assert_true(tensor_same_shape(&g.nodes[gq].out, &g.nodes[q].out));
    // next block, backwards: the grads of block 0 end at grad.L0.ln1.stats
    assert_int_equal(graph_goto(&g, "grad.lnf.stats"), 1);
    assert_int_equal(graph_next_block(&g), 1);
    assert_string_equal(graph_last(&g)->name, "grad.L0.ln1.stats");
    struct sf_diag d;
    targets[2] = 13;
    graph_free(&g);
    assert_int_equal(graph_build_train(&g, &m, ids, targets, 4, 4, OP_IMPL_FAST, &opt, &d),
                     SF_ERR_RANGE);
    assert_non_null(strstr(d.msg, "target id 13 (position 2)"));
    optimizer_free(&opt);
    model_free(&m);
}

// d loss / d *w by central differences of the float64 reference, with the step as stored.
static double central_difference(struct model *m, float *w, float h, const int *ids,
                                 const int *targets)
{
    float keep = *w;
    *w = keep + h;
    double up = *w, lp = reference_loss(m, ids, targets, 5);
    *w = keep - h;
    double down = *w, lm = reference_loss(m, ids, targets, 5);
    *w = keep;
    return (lp - lm) / (up - down);
}

// The backward pass's gradient of every parameter tensor, at a sample of entries, against
// central differences of the float64 reference's loss.
static void check_model_gradients(struct model_config *c, void *ctx)
{
    int *count = ctx; // [0] models, [1] samples checked, [2] samples skipped at a kink
    struct model m;
    make_model(&m, c, (uint64_t)(50 + count[0]++));
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, &m, &default_hp), 0);
    int ids[5] = {3, 0, 12, 7, 7}, targets[5] = {0, 12, 7, 7, 1};
    struct graph g = {0};
    assert_int_equal(graph_build_train(&g, &m, ids, targets, 5, 5, OP_IMPL_FAST, &opt, NULL), 0);
    assert_int_equal(graph_goto(&g, "grad.embed.tok"), 1); // the whole backward, no update
    double ref = reference_loss(&m, ids, targets, 5);
    assert_true(fabs(g.loss - ref) < 1e-5 * fmax(1.0, ref));
    int np = model_params(&m, NULL, 0);
    struct param_ref refs[64];
    model_params(&m, refs, np);
    struct rng r;
    rng_seed(&r, 3);
    char what[96];
    for (int p = 0; p < np; p++) {
        size_t n = tensor_numel(refs[p].t);
        struct tensor grad = optimizer_grad(&opt, &m, refs[p].t);
        for (int s = 0; s < 3; s++) {
            size_t i = (size_t)(rng_u64(&r) % n);
            if (!strcmp(refs[p].name, "wte") || !strcmp(refs[p].name, "wpe"))
                i = (size_t)(ids[s] % refs[p].t->shape[0]) * (size_t)refs[p].t->shape[1] +
                    (size_t)s; // rows that are used
            float *w = &refs[p].t->data[i];
            double numeric = central_difference(&m, w, 1e-4f, ids, targets);
            // A ReLU kink between the two points spoils the difference: a smaller step
            // disagrees then, and the sample is skipped.
            if (fabs(numeric - central_difference(&m, w, 1e-5f, ids, targets)) >
                1e-3 * fabs(numeric) + 1e-6) {
                count[2]++;
                continue;
            }
            count[1]++;
            if (fabs(numeric - grad.data[i]) > 2e-3 * fabs(numeric) + 2e-5)
                fail_msg("%s: d loss / d %s[%zu] is %.7g, finite differences %.7g",
                         test_switches_str(c, what, sizeof what), refs[p].name, i, grad.data[i],
                         numeric);
        }
    }
    graph_free(&g);
    optimizer_free(&opt);
    model_free(&m);
}

static void test_train_gradients_every_switch(void **state)
{
    (void)state;
    struct model_config base;
    model_config_textbook(&base, 2, 2, 8, 13, 8);
    base.d_ff = 12;
    int count[3] = {0, 0, 0};
    assert_int_equal(test_for_each_switch(&base, check_model_gradients, count), 96);
    assert_true(count[2] * 50 < count[1]); // under 2% of the samples sit on a ReLU kink
}

static void test_train_twins_agree_on_gradients(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 2, 2, 16, 21, 8);
    struct model m;
    make_model(&m, &c, 4);
    int ids[6] = {1, 5, 9, 20, 0, 3}, targets[6] = {5, 9, 20, 0, 3, 3};
    float *grads[2];
    for (int t = 0; t < 2; t++) {
        struct optimizer opt;
        assert_int_equal(optimizer_init(&opt, &m, &default_hp), 0);
        struct graph g = {0};
        assert_int_equal(graph_build_train(&g, &m, ids, targets, 6, 6, (enum op_impl)t, &opt, NULL),
                         0);
        assert_int_equal(graph_goto(&g, "grad.embed.tok"), 1);
        grads[t] = malloc(sizeof(float) * m.n_params);
        memcpy(grads[t], opt.grads, sizeof(float) * m.n_params);
        graph_free(&g);
        optimizer_free(&opt);
    }
    assert_close(grads[1], grads[0], m.n_params, 1e-5, 1e-3, "parameter gradients");
    free(grads[0]);
    free(grads[1]);
    model_free(&m);
}

// Running the adamw nodes changes every parameter by the reported update, and the loss
// goes down over a few steps on one batch.
static void test_train_adamw_nodes_update_the_model(void **state)
{
    (void)state;
    struct model_config c;
    model_config_textbook(&c, 1, 2, 16, 11, 8);
    struct model m;
    make_model(&m, &c, 9);
    struct adamw_params hp = {1e-2f, 0.9f, 0.999f, 1e-8f, 0.0f};
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, &m, &hp), 0);
    int ids[6] = {1, 2, 3, 4, 5, 6}, targets[6] = {2, 3, 4, 5, 6, 7};
    float first = 0, last = 0;
    float *before = malloc(sizeof(float) * m.n_params);
    for (int step = 0; step < 10; step++) {
        struct graph g = {0};
        assert_int_equal(graph_build_train(&g, &m, ids, targets, 6, 6, OP_IMPL_FAST, &opt, NULL),
                         0);
        memcpy(before, m.params, sizeof(float) * m.n_params);
        assert_int_equal(graph_run_to_end(&g), 1);
        opt.step++;
        if (step == 0) {
            first = g.loss;
            int a = graph_find(&g, "adamw.L0.ffn.w1");
            const struct tensor *delta = &g.nodes[a].out;
            size_t off = (size_t)(m.layers[0].w1.data - m.params);
            for (size_t i = 0; i < tensor_numel(delta); i++)
                assert_true(fabsf(m.params[off + i] - (before[off + i] + delta->data[i])) < 1e-6f);
        }
        last = g.loss;
        graph_free(&g);
    }
    assert_true(last < first - 0.1f);
    free(before);
    optimizer_free(&opt);
    model_free(&m);
}

// A batch of two sequences in one graph is the same as the two sequences apart: the loss is
// their mean and the gradients their mean.
static void test_train_batch_equals_separate_sequences(void **state)
{
    (void)state;
    struct model_config c;
    model_config_gpt2(&c, 2, 2, 16, 21, 4);
    struct model m;
    make_model(&m, &c, 6);
    int ids[8] = {1, 5, 9, 20, 0, 3, 3, 7}, targets[8] = {5, 9, 20, 0, 3, 3, 7, 2};
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, &m, &default_hp), 0);
    struct graph g = {0};
    struct sf_diag d;
    assert_int_equal(graph_build_train(&g, &m, ids, targets, 8, 4, OP_IMPL_FAST, &opt, &d), 0);
    assert_int_equal(graph_goto(&g, "grad.embed.tok"), 1);
    float batch_loss = g.loss;
    float *batch_grads = malloc(sizeof(float) * m.n_params);
    memcpy(batch_grads, opt.grads, sizeof(float) * m.n_params);
    // each sequence has its own heads: (B H, T, T) attention
    const struct tensor *mask = &g.nodes[graph_find(&g, "L0.attn.mask")].out;
    assert_int_equal(mask->shape[0], 4);
    assert_int_equal(mask->shape[1], 4);
    assert_true(isinf(mask->data[1]) && !isinf(mask->data[4]));
    graph_free(&g);

    float *sum = calloc(m.n_params, sizeof(float));
    double loss = 0;
    for (int s = 0; s < 2; s++) {
        assert_int_equal(
            graph_build_train(&g, &m, ids + 4 * s, targets + 4 * s, 4, 4, OP_IMPL_FAST, &opt, &d),
            0);
        assert_int_equal(graph_goto(&g, "grad.embed.tok"), 1);
        loss += g.loss / 2;
        for (size_t i = 0; i < m.n_params; i++)
            sum[i] += opt.grads[i] / 2;
        graph_free(&g);
    }
    assert_true(fabs(batch_loss - loss) < 1e-5);
    assert_close(batch_grads, sum, m.n_params, 1e-6, 1e-4, "batched gradients");
    // a sequence longer than the context is refused, a batch of short ones is not
    assert_int_equal(graph_build_train(&g, &m, ids, targets, 8, 8, OP_IMPL_FAST, &opt, &d),
                     SF_ERR_TOOLONG);
    assert_int_equal(graph_build_train(&g, &m, ids, targets, 8, 3, OP_IMPL_FAST, &opt, &d),
                     SF_ERR_ARG);
    free(sum);
    free(batch_grads);
    optimizer_free(&opt);
    model_free(&m);
}

// Writes an llm.c token file: header (magic, version, count) and uint16 tokens; cut < 0
// writes it whole.
static void write_tokens(const char *path, const int *tokens, int n, int cut)
{
    unsigned char buf[1024 + 2 * 4096] = {0};
    uint32_t header[3] = {SF_LLMC_TOKENS_MAGIC, 1, (uint32_t)n};
    memcpy(buf, header, sizeof header);
    for (int i = 0; i < n; i++) {
        buf[1024 + 2 * i] = (unsigned char)(tokens[i] & 0xff);
        buf[1024 + 2 * i + 1] = (unsigned char)(tokens[i] >> 8);
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(buf, 1, cut >= 0 ? (size_t)cut : 1024 + 2 * (size_t)n, f);
    fclose(f);
}

static void test_train_batches_follow_llmc(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "train_tokens.bin");
    int tokens[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    write_tokens(path, tokens, 9, -1);
    struct token_data td;
    struct sf_diag d;
    assert_int_equal(token_data_load(&td, path, NULL, 50, &d), 0);
    assert_int_equal(td.n, 9);
    struct batcher b;
    assert_int_equal(batcher_init(&b, &td, 2, 4, 0, 1, &d), 0); // exactly B*T+1 tokens
    int in[8], tg[8];
    for (int k = 0; k < 3; k++) { // one batch, repeated
        batcher_next(&b, in, tg);
        assert_int_equal(in[0], 1);
        assert_int_equal(in[7], 8);
        assert_int_equal(tg[0], 2);
        assert_int_equal(tg[7], 9);
    }
    assert_int_equal(batcher_init(&b, &td, 2, 2, 0, 1, &d), 0);
    batcher_next(&b, in, tg);
    batcher_next(&b, in, tg);
    assert_int_equal(in[0], 5); // the second batch follows the first
    batcher_next(&b, in, tg);
    assert_int_equal(in[0], 1); // and the third would run past the end: wrap
    assert_int_equal(batcher_init(&b, &td, 3, 3, 0, 1, &d), SF_ERR_RANGE);
    assert_non_null(strstr(d.msg, "9 tokens, fewer than one batch needs (B*T+1 = 10)"));
    token_data_free(&td);
}

static void test_train_bad_data_files(void **state)
{
    (void)state;
    char path[512];
    struct token_data td;
    struct sf_diag d;
    int tokens[5] = {1, 2, 3, 400, 5};
    test_tmp_path(path, sizeof path, "train_bad.bin");
    write_tokens(path, tokens, 5, -1);
    assert_int_equal(token_data_load(&td, path, NULL, 300, &d), SF_ERR_RANGE);
    assert_non_null(strstr(d.msg, "token 3 is id 400"));
    write_tokens(path, tokens, 5, 1024 + 7);
    assert_int_equal(token_data_load(&td, path, NULL, 500, &d), SF_ERR_TRUNCATED);
    assert_non_null(strstr(d.msg, "header says 5 tokens but the file holds 3"));
    write_tokens(path, tokens, 5, 100);
    assert_int_equal(token_data_load(&td, path, NULL, 500, &d), SF_ERR_TRUNCATED);
    FILE *f = fopen(path, "wb");
    fclose(f);
    assert_int_equal(token_data_load(&td, path, NULL, 500, &d), SF_ERR_EMPTY);
    assert_string_equal(d.file, path);
    assert_int_equal(token_data_load(&td, "no/such/data.txt", NULL, 500, &d), SF_ERR_IO);
    // text through a tokenizer: an unknown word without <unk> names its line and column
    const char *pieces[] = {"the", "keys", "are"};
    struct tokenizer tok;
    assert_int_equal(tokenizer_init(&tok, TOK_WORD, 3, pieces, NULL), 0);
    f = fopen(path, "wb");
    fputs("the keys are\nthe keys is", f);
    fclose(f);
    assert_int_equal(token_data_load(&td, path, &tok, 3, &d), SF_ERR_TOKEN);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.col, 10);
    tokenizer_free(&tok);
}

static void test_train_vocabulary_from_text(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "train_vocab.txt");
    FILE *f = fopen(path, "wb");
    fputs("the cat . the dog . the cat", f);
    fclose(f);
    struct tokenizer t;
    struct sf_diag d;
    assert_int_equal(tokenizer_build_from_file(&t, TOK_WORD, path, &d), 0);
    assert_int_equal(t.n, 5);
    assert_string_equal(t.pieces[0], "<unk>");
    assert_string_equal(t.pieces[1], "the"); // by falling count
    assert_string_equal(t.pieces[2], ".");   // ties in byte order
    assert_string_equal(t.pieces[3], "cat");
    tokenizer_free(&t);
    assert_int_equal(tokenizer_build_from_file(&t, TOK_CHAR, path, &d), 0);
    assert_string_equal(t.pieces[1], " ");
    tokenizer_free(&t);
}

struct captured {
    char *out, *err;
    size_t out_len, err_len;
    int status;
};

static struct captured train_cli(const char *const *args, const volatile sig_atomic_t *stop)
{
    char *argv[40];
    int argc = 0;
    while (args[argc] && argc < 39) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    struct captured c = {0};
    FILE *out = open_memstream(&c.out, &c.out_len), *err = open_memstream(&c.err, &c.err_len);
    c.status = cmd_train(argc, argv, out, err, stop);
    fclose(out);
    fclose(err);
    return c;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(*len + 1);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

// Interrupted (Ctrl-C) and resumed training ends with the same weights as one run.
static void test_train_resume_matches_one_run(void **state)
{
    (void)state;
    char text[512], a[512], b[512];
    test_tmp_path(text, sizeof text, "train_text.txt");
    test_tmp_path(a, sizeof a, "train_a.sfm");
    test_tmp_path(b, sizeof b, "train_b.sfm");
    FILE *f = fopen(text, "wb");
    for (int i = 0; i < 200; i++)
        fputs(i % 3 ? "the keys to the cabinet are on the table . "
                    : "so long and thanks for all the fish . ",
              f);
    fclose(f);
    const char *one[] = {"--data",  text, "--config",  "textbook,layers=1,heads=2,dim=16,ctx=8",
                         "--seq",   "8",  "--batch",   "2",
                         "--steps", "12", "--shuffle", "--out",
                         a,         NULL};
    struct captured c = train_cli(one, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "step 1/12 loss "));
    assert_non_null(strstr(c.out, "step 12/12 loss "));
    free(c.out);
    free(c.err);

    volatile sig_atomic_t stop = 1; // Ctrl-C before the first step
    const char *two[] = {"--data",  text, "--config",  "textbook,layers=1,heads=2,dim=16,ctx=8",
                         "--seq",   "8",  "--batch",   "2",
                         "--steps", "12", "--shuffle", "--out",
                         b,         NULL};
    c = train_cli(two, &stop);
    assert_int_equal(c.status, 130);
    assert_non_null(strstr(c.err, "interrupted at step 0"));
    free(c.out);
    free(c.err);
    const char *part[] = {"--data", text,        "--seq", "8", "--batch",  "2", "--steps",
                          "5",      "--shuffle", "--out", b,   "--resume", NULL};
    c = train_cli(part, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "step 1/5")); // the interruption came before step 1
    free(c.out);
    free(c.err);
    const char *rest[] = {"--data", text,        "--seq", "8", "--batch",  "2", "--steps",
                          "12",     "--shuffle", "--out", b,   "--resume", NULL};
    c = train_cli(rest, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "step 6/12"));
    free(c.out);
    free(c.err);
    size_t la, lb;
    char *ma = slurp(a, &la), *mb = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ma, mb, la);
    free(ma);
    free(mb);

    // Bad data stops the run with a message and leaves the checkpoint as it was.
    char bad[512];
    test_tmp_path(bad, sizeof bad, "train_empty.txt");
    f = fopen(bad, "wb");
    fclose(f);
    ma = slurp(b, &la);
    const char *broken[] = {"--data", bad,     "--seq", "8",        "--steps",
                            "20",     "--out", b,       "--resume", NULL};
    c = train_cli(broken, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "empty"));
    mb = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ma, mb, la);
    free(ma);
    free(mb);
    free(c.out);
    free(c.err);
    const char *short_data[] = {"--data", text,    "--seq", "8",        "--batch",
                                "4096",   "--out", b,       "--resume", NULL};
    c = train_cli(short_data, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "fewer than one batch needs"));
    free(c.out);
    free(c.err);
}

// Reads tests/data/NAME into a malloc'd double array; fails unless it holds want values.
static double *golden(const char *name, long want)
{
    char path[512];
    double *v = NULL;
    int shape[4], nd;
    long n = test_read_npy(test_data_path(path, sizeof path, name), &v, shape, &nd);
    if (n != want)
        fail_msg("%s: %ld values, expected %ld", name, n, want);
    return v;
}

// One training iteration and ten AdamW steps on one batch of the llm.c test checkpoint,
// against torch run in float64 (tests/tools/make_train_golden.py): the loss at each position,
// the gradients of a sample of parameters, and the loss of every step within 1e-4 relative.
static void test_train_matches_float64_torch(void **state)
{
    (void)state;
    char path[512];
    struct model m;
    struct sf_diag d;
    assert_int_equal(checkpoint_load(&m, test_data_path(path, sizeof path, "gpt2_tiny.bin"), &d),
                     0);
    double *tokens = golden("train_tokens.npy", 17), *losses = golden("train_losses.npy", 10);
    double *loss_pos = golden("train_loss_pos.npy", 16);
    int in[16], tg[16];
    for (int i = 0; i < 16; i++) {
        in[i] = (int)tokens[i];
        tg[i] = (int)tokens[i + 1];
    }
    struct adamw_params hp = {1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f};
    struct trainer t;
    assert_int_equal(trainer_init(&t, &m, 2, 8, &hp, OP_IMPL_FAST, &d), 0);

    // Step 0, through the backward pass only.
    assert_int_equal(graph_set_tokens(&t.graph, in, tg, &d), 0);
    assert_int_equal(graph_goto(&t.graph, "grad.embed.tok"), 1);
    const float *lp = t.graph.nodes[graph_find(&t.graph, "loss.xent")].out.data;
    for (int i = 0; i < 16; i++)
        if (fabs(lp[i] - loss_pos[i]) > 1e-4 * fabs(loss_pos[i]))
            fail_msg("loss at position %d: %.7f, torch %.7f", i, lp[i], loss_pos[i]);
    const struct {
        const char *file, *param;
        long n;
    } grads[] = {{"train_grad_wte.npy", "wte", 300 * 64},
                 {"train_grad_wpe.npy", "wpe", 32 * 64},
                 {"train_grad_L0_ln1_gamma.npy", "L0.ln1.gamma", 64},
                 {"train_grad_L0_attn_wq.npy", "L0.attn.wq", 64 * 64},
                 {"train_grad_L1_ffn_w2.npy", "L1.ffn.w2", 256 * 64},
                 {"train_grad_L1_ffn_b1.npy", "L1.ffn.b1", 256},
                 {"train_grad_lnf_gamma.npy", "lnf.gamma", 64}};
    for (size_t k = 0; k < sizeof grads / sizeof grads[0]; k++) {
        double *want = golden(grads[k].file, grads[k].n), scale = 0;
        struct tensor g = optimizer_grad(&t.opt, &m, model_param(&m, grads[k].param));
        for (long i = 0; i < grads[k].n; i++)
            scale = fmax(scale, fabs(want[i]));
        for (long i = 0; i < grads[k].n; i++)
            if (fabs(g.data[i] - want[i]) > 1e-4 * scale)
                fail_msg("d loss / d %s[%ld]: %.8g, torch %.8g", grads[k].param, i, g.data[i],
                         want[i]);
        free(want);
    }

    // Ten steps, each loss from the forward pass before its update.
    for (int step = 0; step < 10; step++) {
        float loss;
        assert_int_equal(trainer_step(&t, in, tg, &loss, &d), 0);
        if (fabs(loss - losses[step]) > 1e-4 * fabs(losses[step]))
            fail_msg("step %d: loss %.7f, float64 torch %.7f", step + 1, loss, losses[step]);
    }
    double *wq = golden("train_final_L0_attn_wq.npy", 64 * 64);
    for (int i = 0; i < 64 * 64; i++)
        if (fabs(m.layers[0].wq.data[i] - wq[i]) > 1e-5)
            fail_msg("W^Q[%d] after 10 steps: %.8f vs %.8f", i, m.layers[0].wq.data[i], wq[i]);
    double *row5 = golden("train_final_wte_row5.npy", 64);
    for (int i = 0; i < 64; i++)
        if (fabs(m.wte.data[5 * 64 + i] - row5[i]) > 1e-5)
            fail_msg("wte[5][%d] after 10 steps: %.8f vs %.8f", i, m.wte.data[5 * 64 + i], row5[i]);
    trainer_free(&t);
    model_free(&m);
    free(tokens);
    free(losses);
    free(loss_pos);
    free(wq);
    free(row5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_node_order),
        cmocka_unit_test(test_train_gradients_every_switch),
        cmocka_unit_test(test_train_twins_agree_on_gradients),
        cmocka_unit_test(test_train_adamw_nodes_update_the_model),
        cmocka_unit_test(test_train_batch_equals_separate_sequences),
        cmocka_unit_test(test_train_batches_follow_llmc),
        cmocka_unit_test(test_train_bad_data_files),
        cmocka_unit_test(test_train_vocabulary_from_text),
        cmocka_unit_test(test_train_resume_matches_one_run),
        cmocka_unit_test(test_train_matches_float64_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
