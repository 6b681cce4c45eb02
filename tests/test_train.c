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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "reference_model.h"
#include "stepformer/checkpoint.h"
#include "stepformer/cli.h"
#include "stepformer/fileio.h"
#include "stepformer/graph.h"
#include "stepformer/rng.h"
#include "stepformer/train.h"

static const struct adamw_params default_hp = SF_ADAMW_DEFAULTS;

// A small model with every parameter perturbed, so no gradient is trivially zero.
static void make_model(struct model *m, const struct model_config *cfg, uint64_t seed)
{
    assert_int_equal(model_init(m, cfg, NULL), 0);
    model_init_random(m, seed);
    struct rng r;
    rng_seed(&r, seed + 7);
    for (size_t i = 0; i < m->n_params; i++)
        m->block[i] += 0.1f * rng_normal(&r);
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
    struct adamw_params hp = SF_ADAMW_DEFAULTS;
    hp.lr = 1e-2f;
    hp.weight_decay = 0.0f;
    struct optimizer opt;
    assert_int_equal(optimizer_init(&opt, &m, &hp), 0);
    int ids[6] = {1, 2, 3, 4, 5, 6}, targets[6] = {2, 3, 4, 5, 6, 7};
    float first = 0, last = 0;
    float *before = malloc(sizeof(float) * m.n_params);
    for (int step = 0; step < 10; step++) {
        struct graph g = {0};
        assert_int_equal(graph_build_train(&g, &m, ids, targets, 6, 6, OP_IMPL_FAST, &opt, NULL),
                         0);
        memcpy(before, m.block, sizeof(float) * m.n_params);
        assert_int_equal(graph_run_to_end(&g), 1);
        opt.step++;
        if (step == 0) {
            first = g.loss;
            int a = graph_find(&g, "adamw.L0.ffn.w1");
            const struct tensor *delta = &g.nodes[a].out;
            size_t off = (size_t)(m.layers[0].w1.data - m.block);
            for (size_t i = 0; i < tensor_numel(delta); i++)
                assert_true(fabsf(m.block[off + i] - (before[off + i] + delta->data[i])) < 1e-6f);
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

// `stepformer train --help` states the AdamW defaults it uses, SF_ADAMW_DEFAULTS.
static void test_train_help_states_the_adamw_defaults(void **state)
{
    (void)state;
    const char *args[] = {"--help", NULL};
    struct captured c = train_cli(args, NULL);
    assert_int_equal(c.status, 0);
    // "(defaults LR, WEIGHT-DECAY, BETA1, BETA2, EPS)", as the options are listed
    const char *s = strstr(c.out, "(defaults ");
    assert_non_null(s);
    s += strlen("(defaults ");
    const struct adamw_params hp = SF_ADAMW_DEFAULTS;
    const float want[] = {hp.lr, hp.weight_decay, hp.beta1, hp.beta2, hp.eps};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *end;
        double v = strtod(s, &end);
        assert_true(end > s);
        assert_true((float)v == want[i]);
        s = end + (*end == ',' ? 2 : 0);
    }
    assert_int_equal(*s, ')');
    free(c.out);
    free(c.err);
}

// Training stopped after some steps and resumed (with the settings of its state) ends with the
// same weights as one run.
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

    // Stopped after 5 steps, resumed with the run's settings from its state.
    const char *two[] = {"--data",  text, "--config",  "textbook,layers=1,heads=2,dim=16,ctx=8",
                         "--seq",   "8",  "--batch",   "2",
                         "--steps", "5",  "--shuffle", "--out",
                         b,         NULL};
    c = train_cli(two, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "step 5/5"));
    free(c.out);
    free(c.err);
    const char *rest[] = {"--data", text, "--steps", "12", "--out", b, "--resume", NULL};
    c = train_cli(rest, NULL);
    assert_int_equal(c.status, 0);
    assert_non_null(strstr(c.out, "at step 5\n"));
    assert_non_null(strstr(c.out, "step 6/12"));
    free(c.out);
    free(c.err);
    size_t la, lb;
    char *ma = test_slurp(a, &la), *mb = test_slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ma, mb, la);
    free(ma);
    free(mb);

    // Bad data stops the run with a message and leaves the checkpoint as it was.
    char bad[512];
    test_tmp_path(bad, sizeof bad, "train_empty.txt");
    f = fopen(bad, "wb");
    fclose(f);
    ma = test_slurp(b, &la);
    const char *broken[] = {"--data", bad,     "--seq", "8",        "--steps",
                            "20",     "--out", b,       "--resume", NULL};
    c = train_cli(broken, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "empty"));
    mb = test_slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ma, mb, la);
    free(ma);
    free(mb);
    free(c.out);
    free(c.err);
    const char *short_data[] = {
        "--data", text, "--config", "textbook,layers=1,heads=2,dim=16,ctx=8",
        "--seq",  "8",  "--batch",  "4096",
        "--out",  b,    NULL};
    c = train_cli(short_data, NULL);
    assert_int_equal(c.status, 2);
    assert_non_null(strstr(c.err, "fewer than one batch needs"));
    free(c.out);
    free(c.err);
}

// ---- Checkpoints and --resume as a user meets them.

#define SMALL_CONFIG "textbook,layers=1,heads=2,dim=16,ctx=8"

// Runs cmd_train; fails (showing both outputs) unless it returns status and its output and
// error output hold out_has and err_has (either may be NULL).
static void expect_train(const char *const *args, const volatile sig_atomic_t *stop, int status,
                         const char *out_has, const char *err_has)
{
    struct captured c = train_cli(args, stop);
    if (c.status != status || (out_has && !strstr(c.out, out_has)) ||
        (err_has && !strstr(c.err, err_has)))
        fail_msg("status %d (wanted %d), wanted \"%s\" / \"%s\"\n--- out:\n%s\n--- err:\n%s",
                 c.status, status, out_has ? out_has : "", err_has ? err_has : "", c.out, c.err);
    free(c.out);
    free(c.err);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_bytes(const char *path, const char *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    fclose(f);
}

// Fails unless the file holds exactly these bytes.
static void assert_file_holds(const char *path, const char *bytes, size_t len)
{
    size_t n;
    char *got = test_slurp(path, &n);
    if (n != len || memcmp(got, bytes, len) != 0)
        fail_msg("%s changed (%zu bytes, was %zu)", path, n, len);
    free(got);
}

// The run's state and model file are one checkpoint: a model file from another step is
// noticed. The one before the state's (a run stopped between writing the two) is written
// again from the state and the run ends where an uninterrupted one does; a missing one too;
// any other is refused with the choices, and nothing is written.
static void test_train_resume_notices_a_model_from_another_step(void **state)
{
    (void)state;
    char text[512], ref[512], out[512], out_state[600];
    test_tmp_path(text, sizeof text, "train_steps.txt");
    test_tmp_path(ref, sizeof ref, "train_steps_ref.sfm");
    test_tmp_path(out, sizeof out, "train_steps.sfm");
    snprintf(out_state, sizeof out_state, "%s.state", out);
    test_write_keys_text(text);
    unlink(out);
    unlink(out_state);
    const char *one[] = {"--data", text,      "--config", SMALL_CONFIG, "--seq", "8", "--batch",
                         "2",      "--steps", "8",        "--shuffle",  "--out", ref, NULL};
    expect_train(one, NULL, 0, "saved", NULL);
    const char *first[] = {"--data", text,      "--config", SMALL_CONFIG, "--seq", "8", "--batch",
                           "2",      "--steps", "5",        "--shuffle",  "--out", out, NULL};
    expect_train(first, NULL, 0, "saved", NULL);
    size_t len5, len6, len_state;
    char *model5 = test_slurp(out, &len5);
    const char *to6[] = {"--data", text, "--steps", "6", "--out", out, "--resume", NULL};
    expect_train(to6, NULL, 0, "step 6/6", NULL);
    char *model6 = test_slurp(out, &len6);

    // Stopped after the state of step 6 was written and before the model: OUT is step 5's.
    write_bytes(out, model5, len5);
    expect_train(to6, NULL, 0, "was the model from before the checkpoint of step 6", NULL);
    assert_file_holds(out, model6, len6);
    const char *to8[] = {"--data", text, "--steps", "8", "--out", out, "--resume", NULL};
    expect_train(to8, NULL, 0, "step 8/8", NULL);
    size_t len_ref;
    char *model_ref = test_slurp(ref, &len_ref);
    assert_file_holds(out, model_ref, len_ref);

    // Another model at OUT (two checkpoints old): refused, and nothing changes.
    write_bytes(out, model5, len5);
    char *state8 = test_slurp(out_state, &len_state);
    expect_train(to8, NULL, 2, NULL, "is not the model saved with");
    expect_train(to8, NULL, 2, NULL, "move");
    expect_train(to8, NULL, 2, NULL, "without --resume");
    assert_file_holds(out, model5, len5);
    assert_file_holds(out_state, state8, len_state);

    // Moved away: the state alone is the checkpoint.
    unlink(out);
    expect_train(to8, NULL, 0, "was missing: written again from", NULL);
    assert_file_holds(out, model_ref, len_ref);
    free(model5);
    free(model6);
    free(model_ref);
    free(state8);
}

// --lr and the other AdamW options apply when resuming (and are said), and the run's own
// values are kept when they are not given; --batch, --seq, --seed, --shuffle and --data,
// which would change the batches, are refused when they differ.
static void test_train_resume_applies_optimizer_flags(void **state)
{
    (void)state;
    char text[512], other[512], out[512], out_state[600];
    test_tmp_path(text, sizeof text, "train_flags.txt");
    test_tmp_path(other, sizeof other, "train_flags_other.txt");
    test_tmp_path(out, sizeof out, "train_flags.sfm");
    snprintf(out_state, sizeof out_state, "%s.state", out);
    test_write_keys_text(text);
    FILE *f = fopen(other, "wb");
    assert_non_null(f);
    for (int i = 0; i < 300; i++)
        fputs("the table is on the keys . ", f);
    fclose(f);
    const char *first[] = {"--data",  text, "--config", SMALL_CONFIG, "--seq", "8", "--batch", "2",
                           "--steps", "4",  "--lr",     "2e-3",       "--out", out, NULL};
    expect_train(first, NULL, 0, "saved", NULL);
    size_t len4, len;
    char *model4 = test_slurp(out, &len4);
    // With a learning rate of 0 AdamW changes nothing (the decay is lr * weight decay too).
    const char *frozen[] = {"--data",         text,  "--steps", "6", "--lr",     "0",
                            "--weight-decay", "0.5", "--out",   out, "--resume", NULL};
    expect_train(frozen, NULL, 0,
                 "at step 4 with --lr 0 (the run used 0.002), --weight-decay 0.5 (the run used "
                 "0.01)\n",
                 NULL);
    assert_file_holds(out, model4, len4);
    struct train_state st;
    struct sf_diag d;
    assert_int_equal(train_state_load(out_state, &st, &d), 0);
    assert_int_equal(st.step, 6);
    assert_true(st.hp.lr == 0.0f && st.hp.weight_decay == 0.5f);
    assert_int_equal(st.B, 2);
    train_state_free(&st);
    // Not given again: the run's (now 0) learning rate stays.
    const char *same[] = {"--data", text, "--steps", "7", "--out", out, "--resume", NULL};
    expect_train(same, NULL, 0, "resuming", NULL);
    expect_train(same, NULL, 0, "at step 7\n", NULL);
    assert_file_holds(out, model4, len4);
    const char *moving[] = {"--data", text,      "--steps", "8",     "--lr", "1e-3",     "--seq",
                            "8",      "--batch", "2",       "--out", out,    "--resume", NULL};
    expect_train(moving, NULL, 0, "with --lr 0.001 (the run used 0)", NULL);
    char *model8 = test_slurp(out, &len);
    assert_true(len == len4 && memcmp(model8, model4, len) != 0);
    free(model8);

    // What would change the batches is refused, naming the option and the run's value.
    const char *batch[] = {"--data", text,    "--batch", "4",        "--steps",
                           "9",      "--out", out,       "--resume", NULL};
    expect_train(batch, NULL, 2, NULL, "--batch 4: the run saved in");
    expect_train(batch, NULL, 2, NULL, "used --batch 2");
    const char *seq[] = {"--data", text,    "--seq", "4",        "--steps",
                         "9",      "--out", out,     "--resume", NULL};
    expect_train(seq, NULL, 2, NULL, "used --seq 8");
    const char *seed[] = {"--data", text,    "--seed", "9",        "--steps",
                          "9",      "--out", out,      "--resume", NULL};
    expect_train(seed, NULL, 2, NULL, "used --seed 1337");
    const char *shuffle[] = {"--data", text, "--shuffle", "--steps", "9",
                             "--out",  out,  "--resume",  NULL};
    expect_train(shuffle, NULL, 2, NULL, "took its batches in order");
    const char *data[] = {"--data", other, "--steps", "9", "--out", out, "--resume", NULL};
    expect_train(data, NULL, 2, NULL, "is not the data the run saved in");
    assert_true(len == len4);
    free(model4);
}

// Puts v at offset off (little-endian) of a state file image.
static void put_le(char *buf, size_t off, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        buf[off + (size_t)i] = (char)(v >> (8 * i));
}

static uint64_t get_le(const char *buf, size_t off, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)(unsigned char)buf[off + (size_t)i] << (8 * i);
    return v;
}

static uint32_t f32_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

// A state file whose values a run could not have written is refused when it is read, with a
// message naming the file and the value: each case sets one field (offsets as assets/README.md
// gives them) and writes the checksum again, so the value itself is what is checked.
static void test_train_state_file_values_are_checked(void **state)
{
    (void)state;
    char text[512], out[512], out_state[600];
    test_tmp_path(text, sizeof text, "train_bad_state.txt");
    test_tmp_path(out, sizeof out, "train_bad_state.sfm");
    snprintf(out_state, sizeof out_state, "%s.state", out);
    test_write_keys_text(text);
    const char *first[] = {"--data", text,      "--config", SMALL_CONFIG, "--seq", "8", "--batch",
                           "2",      "--steps", "2",        "--out",      out,     NULL};
    expect_train(first, NULL, 0, "saved", NULL);
    size_t len;
    char *good = test_slurp(out_state, &len);
    uint64_t model_bytes = get_le(good, 128, 8), n_params = get_le(good, 64, 8);
    size_t m0 = 152 + (size_t)model_bytes, v0 = m0 + 4 * (size_t)n_params;
    assert_int_equal(len, v0 + 4 * n_params + 8);
    assert_int_equal(get_le(good, len - 8, 8), sf_fnv1a(SF_FNV1A_INIT, good, len - 8));
    const struct {
        size_t off;
        uint64_t value;
        int bytes;
        const char *says;
    } cases[] = {
        {40, f32_bits(NAN), 4, "learning rate (--lr) it holds is nan"},
        {40, f32_bits(-1e-3f), 4, "learning rate (--lr) it holds is -0.001"},
        {44, f32_bits(1.0f), 4, "--beta1 it holds is 1,"},
        {48, f32_bits(INFINITY), 4, "--beta2 it holds is inf"},
        {52, f32_bits(0.0f), 4, "--eps it holds is 0,"},
        {24, 2147483647, 4, "the step it holds, 2147483647, is outside 0..100000000"},
        {24, 100000001, 4, "the step it holds, 100000001"},
        {24, 0xffffffffu, 4, "the step it holds, 4294967295"},
        {16, 0, 4, "it says --batch 0"},
        {20, 100000, 4, "--seq 100000"},
        {28, 2, 4, "a yes/no field"},
        {88, 1u << 30, 8, "data position 1073741824"},
        {v0 + 8, f32_bits(-1.0f), 4, "the second moment of parameter 2 is -1"},
        {m0 + 4, f32_bits(NAN), 4, "the first moment of parameter 1 is nan"},
        {v0, f32_bits(INFINITY), 4, "the second moment of parameter 0 is inf"},
        {8, 1, 4, "version 1, from an older stepformer"},
        {8, 3, 4, "training state version 3 is not supported"},
        {12, 100, 4, "the header size field says 100 bytes"},
        {64, n_params + 1, 8, "do not fit the file's"},
    };
    char *bad = malloc(len);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(bad, good, len);
        put_le(bad, cases[k].off, cases[k].value, cases[k].bytes);
        put_le(bad, len - 8, sf_fnv1a(SF_FNV1A_INIT, bad, len - 8), 8);
        write_bytes(out_state, bad, len);
        const char *resume[] = {"--data", text, "--steps", "4", "--out", out, "--resume", NULL};
        struct captured c = train_cli(resume, NULL);
        if (c.status != 2 || !strstr(c.err, cases[k].says) || !strstr(c.err, out_state) ||
            strstr(c.out, "step 3/"))
            fail_msg("case %zu (%s): status %d\n%s", k, cases[k].says, c.status, c.err);
        free(c.out);
        free(c.err);
    }
    // A changed byte without a new checksum: damaged. A file cut short: its sizes do not fit.
    memcpy(bad, good, len);
    bad[v0 + 5] ^= 1;
    write_bytes(out_state, bad, len);
    const char *resume[] = {"--data", text, "--steps", "4", "--out", out, "--resume", NULL};
    expect_train(resume, NULL, 2, NULL, "its checksum does not match its contents");
    write_bytes(out_state, good, len - 9);
    expect_train(resume, NULL, 2, NULL, "do not fit the file's");
    write_bytes(out_state, good, len);
    expect_train(resume, NULL, 0, "step 4/4", NULL);
    free(bad);
    free(good);
}

// Ctrl-C (or any stop) before this run's first step writes nothing: no untrained model ever
// replaces --out, and a resumed run's checkpoint stays as it was.
static void test_train_ctrl_c_before_the_first_step_writes_nothing(void **state)
{
    (void)state;
    char text[512], out[512], out_state[600];
    test_tmp_path(text, sizeof text, "train_stop.txt");
    test_tmp_path(out, sizeof out, "train_stop.sfm");
    snprintf(out_state, sizeof out_state, "%s.state", out);
    test_write_keys_text(text);
    unlink(out);
    unlink(out_state);
    volatile sig_atomic_t stop = SIGINT;
    const char *fresh[] = {"--data", text,      "--config", SMALL_CONFIG, "--seq", "8", "--batch",
                           "2",      "--steps", "3",        "--out",      out,     NULL};
    expect_train(fresh, &stop, 130, NULL, "interrupted before the first step: nothing was written");
    assert_false(file_exists(out));
    assert_false(file_exists(out_state));
    expect_train(fresh, NULL, 0, "saved", NULL);
    size_t lm, ls;
    char *model = test_slurp(out, &lm), *st = test_slurp(out_state, &ls);
    // an existing model is not replaced by an untrained one either
    expect_train(fresh, &stop, 130, NULL, "nothing was written");
    const char *resume[] = {"--data", text, "--steps", "9", "--out", out, "--resume", NULL};
    stop = SIGTERM;
    expect_train(resume, &stop, 128 + SIGTERM, NULL, "interrupted by SIGTERM before the first");
    assert_file_holds(out, model, lm);
    assert_file_holds(out_state, st, ls);
    free(model);
    free(st);
}

// What can be checked is checked before the first step: a missing or unwritable --out
// directory, an --out that is a directory, and a vocabulary the model file cannot hold.
static void test_train_checks_before_the_first_step(void **state)
{
    (void)state;
    char text[512], dir[512], out[700], huge[512];
    test_tmp_path(text, sizeof text, "train_check.txt");
    test_fresh_dir(dir, sizeof dir, "train_check_dir");
    test_write_keys_text(text);
    const char *args[] = {"--data", text,      "--config", SMALL_CONFIG, "--seq", "8", "--batch",
                          "2",      "--steps", "3",        "--out",      out,     NULL};
    snprintf(out, sizeof out, "%s/missing/m.sfm", dir);
    struct captured c = train_cli(args, NULL);
    if (c.status != 2 || strstr(c.out, "step 1/") || !strstr(c.err, "missing/m.sfm") ||
        !strstr(c.err, "check the directory exists"))
        fail_msg("missing directory: status %d\n%s\n%s", c.status, c.out, c.err);
    free(c.out);
    free(c.err);
    // A directory nobody may write to (root may write anywhere, but not into /proc).
    if (geteuid() != 0) {
        snprintf(out, sizeof out, "%s/m.sfm", dir);
        chmod(dir, 0555);
    } else {
        snprintf(out, sizeof out, "/proc/stepformer-test-%ld.sfm", (long)getpid());
    }
    c = train_cli(args, NULL);
    chmod(dir, 0755);
    if (c.status != 2 || strstr(c.out, "step 1/") || !strstr(c.err, "cannot create a file"))
        fail_msg("read-only directory: status %d\n%s\n%s", c.status, c.out, c.err);
    free(c.out);
    free(c.err);
    snprintf(out, sizeof out, "%s", dir);
    expect_train(args, NULL, 2, NULL, "is a directory");
    // A word the model file could not hold.
    test_tmp_path(huge, sizeof huge, "train_huge_word.txt");
    FILE *f = fopen(huge, "wb");
    assert_non_null(f);
    fputs("the keys .\nso long ", f);
    for (int i = 0; i < 5000; i++)
        fputc('a', f);
    fputs(" .\n", f);
    fclose(f);
    snprintf(out, sizeof out, "%s/m.sfm", dir);
    args[1] = huge;
    c = train_cli(args, NULL);
    char where[600];
    snprintf(where, sizeof where, "%s:2:9: a word of 5000 bytes (\"aaaa", huge);
    if (c.status != 2 || strstr(c.out, "step 1/") || !strstr(c.err, where) ||
        !strstr(c.err, "at most 4096 bytes"))
        fail_msg("long word: status %d\n%s\n%s", c.status, c.out, c.err);
    free(c.out);
    free(c.err);
    assert_false(file_exists(out));
}

// Makes the directories for a file path of exactly len bytes under base and writes it to
// path; every part of it is at most 200 bytes.
static void long_path(char *path, const char *base, size_t len)
{
    size_t n = (size_t)snprintf(path, len + 1, "%s", base);
    assert_true(n + 2 < len);
    mkdir(path, 0755);
    while (len - n - 1 > 200) {
        size_t part = len - n - 1 - 200 < 150 ? len - n - 1 - 200 : 150;
        if (part < 50)
            part = 50;
        path[n++] = '/';
        memset(path + n, 'd', part);
        n += part;
        path[n] = '\0';
        mkdir(path, 0755);
    }
    path[n++] = '/';
    memset(path + n, 'm', len - n);
    path[len] = '\0';
}

// --out of any length: the state goes beside the model as OUT.state, never over the model or
// under a cut name, and a path the system cannot hold is refused before training.
static void test_train_out_paths_of_any_length(void **state)
{
    (void)state;
    char text[512], base[512], cmd[700];
    test_tmp_path(text, sizeof text, "train_paths.txt");
    test_tmp_path(base, sizeof base, "train_paths");
    test_write_keys_text(text);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
    const size_t lens[] = {1017, 1018, 1020, 1022, 1023, 1024, 1025, 2000};
    char *path = malloc(5000), *state_path = malloc(5100);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        long_path(path, base, lens[k]);
        snprintf(state_path, 5100, "%s.state", path);
        const char *args[] = {"--data", text,      "--config", SMALL_CONFIG, "--seq",
                              "8",      "--batch", "2",        "--steps",    "1",
                              "--out",  path,      NULL};
        expect_train(args, NULL, 0, "saved", NULL);
        struct model m;
        struct train_state st;
        struct sf_diag d;
        if (checkpoint_load(&m, path, &d))
            fail_msg("--out of %zu bytes: the model does not load: %s", lens[k], d.msg);
        model_free(&m);
        if (train_state_load(state_path, &st, &d))
            fail_msg("--out of %zu bytes: the state does not load: %s", lens[k], d.msg);
        train_state_free(&st);
        // exactly the two files, in the directory of the path
        char *slash = strrchr(path, '/'), *dir_cmd = malloc(strlen(path) + 64);
        *slash = '\0';
        sprintf(dir_cmd, "test $(ls -A '%s' | grep -c '^m') -eq 2", path);
        *slash = '/';
        if (system(dir_cmd) != 0)
            fail_msg("--out of %zu bytes: not exactly the model and its state beside it", lens[k]);
        free(dir_cmd);
        unlink(path);
        unlink(state_path);
    }
    // Longer than a path may be: refused with the reason, before the first step.
    memset(path, 'p', 4500);
    path[4500] = '\0';
    const char *args[] = {"--data", text,      "--config", SMALL_CONFIG, "--seq", "8", "--batch",
                          "2",      "--steps", "1",        "--out",      path,    NULL};
    struct captured c = train_cli(args, NULL);
    if (c.status != 2 || strstr(c.out, "step 1/") || !strstr(c.err, "too long") ||
        !strstr(c.err, "..."))
        fail_msg("a path of 4500 bytes: status %d\n%s", c.status, c.err);
    free(c.out);
    free(c.err);
    free(path);
    free(state_path);
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
        cmocka_unit_test(test_train_help_states_the_adamw_defaults),
        cmocka_unit_test(test_train_resume_matches_one_run),
        cmocka_unit_test(test_train_resume_notices_a_model_from_another_step),
        cmocka_unit_test(test_train_resume_applies_optimizer_flags),
        cmocka_unit_test(test_train_state_file_values_are_checked),
        cmocka_unit_test(test_train_ctrl_c_before_the_first_step_writes_nothing),
        cmocka_unit_test(test_train_checks_before_the_first_step),
        cmocka_unit_test(test_train_out_paths_of_any_length),
        cmocka_unit_test(test_train_matches_float64_torch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
