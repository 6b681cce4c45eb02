// `stepformer trace`: the scripting face of the engine. Lists the op graph, prints node
// summaries, or writes one node's output as a NumPy .npy file.
#include "stepformer/cli.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/fileio.h"
#include "stepformer/graph.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

static const char trace_usage[] =
    "usage: stepformer trace [--model FILE] [--tokenizer FILE] (--prompt TEXT | --ids 3,1,4)\n"
    "                        [--train] [--targets 1,4,1] [--generate]\n"
    "                        [--list | --op NAME | --param-grad NAME] [--out FILE.npy]\n"
    "                        [--impl fast|ref]\n"
    "       stepformer trace [--model FILE] [--tokenizer FILE] --vocab [--limit N]\n"
    "\n"
    "  --model FILE      a stepformer model, an llm.c GPT-2 checkpoint or a Hugging Face\n"
    "                    GPT-2 folder (config.json, model.safetensors) (default: shipped)\n"
    "  --tokenizer FILE  an llm.c tokenizer file, for --prompt with an llm.c checkpoint\n"
    "  --prompt TEXT     the input, tokenized with the model's tokenizer\n"
    "  --ids LIST        the input as comma-separated token ids\n"
    "  --list            print every node: name, output shape, level, section, explanation\n"
    "  --names           print every name --op takes, one a line, with the training and\n"
    "                    sampling nodes (for scripts and shell completion; needs no input)\n"
    "  --tokens          print the input's tokens: position, id and piece\n"
    "  --vocab           print the model's vocabulary, one token a line: id and piece\n"
    "                    (quoted for characters and GPT-2's byte pieces, so a leading space\n"
    "                    shows); no input needed. --limit N: the first N only\n"
    "  --op NAME         run up to node NAME and print its output (or write it with --out)\n"
    "  --out FILE.npy    write the --op output as a float32 .npy in C order\n"
    "  --impl fast|ref   the kernel twin to run (default fast; ref is the reference loops)\n"
    "  --train           one training iteration: the forward pass, loss.xent, grad.<op> for\n"
    "                    every op in reverse, adamw.<parameter> (torch's AdamW defaults)\n"
    "  --targets LIST    the next-token targets, one per input token (default: the input\n"
    "                    shifted by one, so N tokens train N-1 positions); implies --train\n"
    "  --generate        add the sampling nodes after the pass (greedy): sample.temperature,\n"
    "                    sample.probs, sample.truncate, sample.renorm, sample.draw,\n"
    "                    sample.append (implied by --op sample.*)\n"
    "  --param-grad NAME after the backward pass, print or write dL/dNAME for a parameter\n"
    "                    (names: --train --list); implies --train\n"
    "Without --list, --op or --param-grad: runs everything and prints a summary per node.\n";

static const char *const level_names[] = {"op", "sublayer", "block"};

#define SHAPE_MAX 64 // a shape as text: "(8, 4, 16, 16)"

static void print_list(const struct graph *g, FILE *out)
{
    char shape[SHAPE_MAX];
    fprintf(out, "# %d nodes for an input of %d tokens\n", g->n_nodes, g->n_tokens);
    fprintf(out, "%-18s %-16s %-8s %s\n", "# name", "shape", "level", "section: explanation");
    for (int i = 0; i < g->n_nodes; i++) {
        const struct node *n = &g->nodes[i];
        fprintf(out, "%-18s %-16s %-8s %s: %s\n", n->name,
                tensor_shape_str(&n->out, shape, sizeof shape), level_names[n->level], n->section,
                n->explain);
    }
}

// mean, standard deviation, min and max over the finite entries, and the count of -inf.
static void print_summary(const struct node *n, FILE *out)
{
    size_t count = tensor_numel(&n->out), finite = 0, neg_inf = 0;
    double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < count; i++) {
        double v = n->out.data[i];
        if (isinf(v) && v < 0) {
            neg_inf++;
            continue;
        }
        if (!isfinite(v))
            continue;
        finite++;
        sum += v;
        sq += v * v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    double mean = finite ? sum / (double)finite : 0;
    double var = finite ? sq / (double)finite - mean * mean : 0;
    char shape[SHAPE_MAX], line[256];
    text_format(line, sizeof line, "%-18s %-16s mean %11.6f  std %10.6f  min %11.6f  max %11.6f",
                n->name, tensor_shape_str(&n->out, shape, sizeof shape), mean,
                sqrt(var > 0 ? var : 0), finite ? lo : 0, finite ? hi : 0);
    fputs(line, out);
    if (neg_inf)
        fprintf(out, "  (-inf x %zu)", neg_inf);
    fputc('\n', out);
}

// Prints a tensor as text: one line per row of the last dimension, blocks separated by a
// line naming their leading indices.
static void print_tensor(const char *name, const struct tensor *t, FILE *out)
{
    char shape[SHAPE_MAX];
    fprintf(out, "# %s %s\n", name, tensor_shape_str(t, shape, sizeof shape));
    int cols = t->shape[t->ndim - 1];
    size_t rows = tensor_numel(t) / (size_t)cols;
    int rows_per_block = t->ndim >= 2 ? t->shape[t->ndim - 2] : 1;
    for (size_t r = 0; r < rows; r++) {
        if (t->ndim >= 3 && r % (size_t)rows_per_block == 0)
            fprintf(out, "# [%zu]\n", r / (size_t)rows_per_block);
        for (int c = 0; c < cols; c++)
            fprintf(out, c ? " %.7g" : "%.7g", t->data[r * (size_t)cols + (size_t)c]);
        fputc('\n', out);
    }
}

static int write_npy(FILE *f, const void *ctx)
{
    return tensor_write_npy(ctx, f);
}

static void print_suggestions(const struct graph *g, const char *name, FILE *err)
{
    const char *near[3];
    int k = graph_suggest(g, name, near, 3);
    char safe[SF_MSG_MAX];
    fprintf(err, "stepformer: trace: no op called '%s'", utf8_safe(safe, sizeof safe, name));
    for (int i = 0; i < k; i++)
        fprintf(err, "%s%s", i ? ", " : "; did you mean ", near[i]);
    fprintf(err, "? (stepformer trace --list shows them all)\n");
}

struct trace_opts {
    const char *model_path, *tok_path, *ids_arg, *prompt, *targets_arg, *op, *param_grad;
    const char *out_path, *impl_arg, *limit_arg;
    int list, train, tokens, generate, names, vocab;
    long limit; // --vocab --limit N; 0: every token
    enum op_impl impl;
};

// Parses the options; returns 0, 1 after --help, or 2 after a message.
static int parse_opts(int argc, char **argv, struct trace_opts *o, FILE *out, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->impl_arg = "fast";
    const struct {
        const char *name;
        const char **dest;
    } opts[] = {{"--model", &o->model_path},      {"--tokenizer", &o->tok_path},
                {"--ids", &o->ids_arg},           {"--prompt", &o->prompt},
                {"--targets", &o->targets_arg},   {"--op", &o->op},
                {"--param-grad", &o->param_grad}, {"--out", &o->out_path},
                {"--impl", &o->impl_arg},         {"--limit", &o->limit_arg}};
    for (int i = 0; i < argc; i++) {
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(trace_usage, out);
            return 1;
        }
        if (cli_flag(argv, i, "--list")) {
            o->list = 1;
            continue;
        }
        if (cli_flag(argv, i, "--names")) {
            o->names = 1;
            continue;
        }
        if (cli_flag(argv, i, "--tokens")) {
            o->tokens = 1;
            continue;
        }
        if (cli_flag(argv, i, "--vocab")) {
            o->vocab = 1;
            continue;
        }
        if (cli_flag(argv, i, "--train")) {
            o->train = 1;
            continue;
        }
        if (cli_flag(argv, i, "--generate")) {
            o->generate = 1;
            continue;
        }
        int r = 0;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !r; k++)
            r = cli_value(argc, argv, &i, opts[k].name, opts[k].dest);
        char safe[SF_MSG_MAX];
        if (r < 0) {
            fprintf(err, "stepformer: trace: %s needs a value (see stepformer trace --help)\n",
                    utf8_safe(safe, sizeof safe, argv[i]));
            return 2;
        }
        if (r == 0)
            return cli_unknown_option(err, "trace", argv[i], trace_usage);
    }
    if (cli_parse_impl(o->impl_arg, &o->impl)) {
        char safe[SF_MSG_MAX];
        fprintf(err, "stepformer: trace: --impl '%s': use fast or ref\n",
                utf8_safe(safe, sizeof safe, o->impl_arg));
        return 2;
    }
    if (o->limit_arg && (!o->vocab || cli_parse_int(o->limit_arg, 0, INT_MAX, &o->limit))) {
        if (o->vocab)
            return cli_bad_int(err, "trace", "--limit", o->limit_arg, 0, INT_MAX);
        fprintf(err, "stepformer: trace: --limit goes with --vocab\n");
        return 2;
    }
    if (o->vocab && (o->list || o->op || o->param_grad || o->tokens || o->train || o->generate ||
                     o->ids_arg || o->prompt || o->targets_arg)) {
        fprintf(err, "stepformer: trace: --vocab lists the model's tokens and takes no input or "
                     "other action (only --model, --tokenizer and --limit)\n");
        return 2;
    }
    if (o->out_path && !o->op && !o->param_grad) {
        fprintf(err, "stepformer: trace: --out needs --op NAME or --param-grad NAME (what to "
                     "write)\n");
        return 2;
    }
    if (o->list + !!o->op + !!o->param_grad > 1) {
        fprintf(err, "stepformer: trace: give one of --list, --op and --param-grad\n");
        return 2;
    }
    // Training nodes are asked for by name or by flag.
    if (o->targets_arg || o->param_grad ||
        (o->op && (!strncmp(o->op, "loss.", 5) || !strncmp(o->op, "grad.", 5) ||
                   !strncmp(o->op, "adamw.", 6))))
        o->train = 1;
    if (o->op && !strncmp(o->op, "sample.", 7))
        o->generate = 1;
    if (o->train && o->generate) {
        fprintf(err, "stepformer: trace: --train and --generate (sample.* ops) do not mix\n");
        return 2;
    }
    return 0;
}

// For training: targets from --targets, or else the input shifted by one (the inputs lose
// their last token, the targets their first), as in llm.c and the textbook's figure.
static int training_targets(const struct trace_opts *o, int *ids, int *n, int **targets, FILE *err)
{
    if (!o->targets_arg) {
        if (*n < 2) {
            fprintf(err, "stepformer: trace: training on the input shifted by one needs at "
                         "least 2 tokens (or give --targets)\n");
            return SF_ERR_EMPTY;
        }
        *targets = malloc(sizeof **targets * (size_t)(*n - 1));
        if (!*targets)
            return SF_ERR_NOMEM;
        memcpy(*targets, ids + 1, sizeof **targets * (size_t)(*n - 1));
        (*n)--;
        return SF_OK;
    }
    int count = 0;
    struct sf_diag d;
    int rc = cli_parse_ids("--targets", o->targets_arg, targets, &count, &d);
    if (rc) {
        cli_print_diag(err, NULL, &d);
        return rc;
    }
    if (count != *n) {
        fprintf(err,
                "stepformer: trace: --targets has %d ids but the input has %d tokens: "
                "give one target per input token\n",
                count, *n);
        return SF_ERR_ARG;
    }
    return SF_OK;
}

// Writes t to path (atomically) or prints it; returns the exit status.
static int emit_tensor(const char *name, const struct tensor *t, const char *path, FILE *out,
                       FILE *err)
{
    char shape[SHAPE_MAX];
    if (!path) {
        print_tensor(name, t, out);
        return 0;
    }
    struct sf_diag d;
    sf_diag_clear(&d);
    if (sf_write_atomic(path, write_npy, t, &d)) {
        cli_print_diag(err, "trace", &d);
        return 2;
    }
    char safe[SF_MSG_MAX];
    fprintf(out, "wrote %s: %s %s float32\n", utf8_safe(safe, sizeof safe, path), name,
            tensor_shape_str(t, shape, sizeof shape));
    return 0;
}

static void print_params(const struct graph *g, FILE *out)
{
    char shape[SHAPE_MAX];
    fprintf(out, "# %d parameter tensors (for --param-grad)\n", g->n_params);
    for (int p = 0; p < g->n_params; p++)
        fprintf(out, "%-18s %s\n", g->params[p].name,
                tensor_shape_str(g->params[p].t, shape, sizeof shape));
}

// --vocab: the model's tokens, one a line (id and piece), after a line that counts them and
// says what kind they are; the first `limit` only when limit > 0.
static int print_vocab(const struct model *m, long limit, FILE *out, FILE *err)
{
    const struct tokenizer *t = &m->tok;
    if (t->kind == TOK_NONE) {
        fprintf(err,
                "stepformer: trace: this model has no tokenizer, so its %d ids have no pieces: "
                "give --tokenizer FILE (llm.c's gpt2_tokenizer.bin for GPT-2)\n",
                m->cfg.vocab_size);
        return 2;
    }
    static const char *const kinds[] = {"", "characters", "words and punctuation",
                                        "GPT-2 byte-level BPE pieces"};
    int shown = limit > 0 && limit < t->n ? (int)limit : t->n;
    fprintf(out, "# %d tokens: %s%s", t->n, kinds[t->kind],
            tokenizer_lowercase_only(t) ? ", lower-case only (typed text is lower-cased)" : "");
    if (shown < t->n)
        fprintf(out, "; the first %d (--limit)", shown);
    fprintf(out, "\n# id piece%s\n", t->kind == TOK_WORD ? "" : " (quoted)");
    char piece[1024];
    for (int id = 0; id < shown; id++) {
        tokenizer_piece_str(t, id, piece, sizeof piece);
        if (t->kind == TOK_WORD)
            fprintf(out, "%d %s\n", id, piece);
        else
            fprintf(out, "%d \"%s\"\n", id, piece);
    }
    if (shown < t->n)
        fprintf(out, "# %d more (--limit 0 lists them all)\n", t->n - shown);
    return 0;
}

// The input as the model sees it: position, id and piece, and a notice for unknown words.
static void print_tokens(const struct model *m, const int *ids, int n, FILE *out)
{
    char piece[256];
    int unknown = 0;
    fprintf(out, "# %d tokens\n# pos id piece\n", n);
    for (int i = 0; i < n; i++) {
        int unk = ids[i] == m->tok.unk_id;
        unknown += unk;
        fprintf(out, "%d %d %s%s\n", i, ids[i],
                tokenizer_piece_str(&m->tok, ids[i], piece, sizeof piece),
                unk ? "   (unknown: not in the model's vocabulary)" : "");
    }
    if (unknown)
        fprintf(out, "# %d unknown word%s became %s\n", unknown, unknown == 1 ? "" : "s",
                tokenizer_piece_str(&m->tok, m->tok.unk_id, piece, sizeof piece));
}

static int run_to(struct graph *g, int idx, FILE *err)
{
    int rc = graph_goto_index(g, idx);
    if (rc < 0) {
        fprintf(err, "stepformer: trace: %s failed: %s\n", g->nodes[idx].name, sf_strerror(rc));
        return 2;
    }
    return 0;
}

// --names: every name --op takes on this model: the nodes of a training iteration (the
// forward pass, loss.xent, grad.*, adamw.*), then the sampling nodes. The input is two tokens
// of id 0, as the names do not depend on it. The exit status.
static int trace_names(struct model *m, enum op_impl impl, FILE *out, FILE *err)
{
    int ids[2] = {0, 0};
    struct graph g = {0};
    struct optimizer opt = {0};
    struct sampler greedy;
    struct adamw_params hp = SF_ADAMW_DEFAULTS;
    struct sf_diag d;
    sf_diag_clear(&d);
    sampler_init(&greedy, 1, 1.0f, 0, 1.0f, 1);
    int rc = optimizer_init(&opt, m, &hp)
                 ? SF_ERR_NOMEM
                 : graph_build_train(&g, m, ids, ids + 1, 1, 1, impl, &opt, &d);
    for (int i = 0; !rc && i < g.n_nodes; i++)
        fprintf(out, "%s\n", g.nodes[i].name);
    graph_free(&g);
    if (!rc && (rc = graph_build_generate(&g, m, ids, 1, impl, &greedy, &d)) == 0)
        for (int i = 0; i < g.n_nodes; i++)
            if (!strncmp(g.nodes[i].name, "sample.", 7))
                fprintf(out, "%s\n", g.nodes[i].name);
    graph_free(&g);
    optimizer_free(&opt);
    if (rc)
        cli_print_diag(err, "trace", &d);
    return rc ? 2 : 0;
}

// What one run of `stepformer trace` builds: the model, the input and the graph over it.
struct trace_run {
    struct model m;
    struct graph g;
    struct optimizer opt;  // --train
    struct sampler greedy; // --generate
    int *ids, *targets, n; // (n) the input and, for --train, the targets
};

// The input, from --ids or --prompt; for --list alone, one token (two for --train), as the
// listing needs it only for its shapes. 0, or -1 after a message.
static int trace_input(const struct trace_opts *o, struct trace_run *r, FILE *out, FILE *err)
{
    if (o->list && !o->ids_arg && !o->prompt) {
        r->n = o->train ? 2 : 1;
        r->ids = calloc((size_t)r->n, sizeof *r->ids);
        if (!r->ids)
            return -1;
        fprintf(out, "# no --prompt or --ids given: shapes are for N = 1\n");
        return 0;
    }
    return cli_input_print(&r->m, o->ids_arg, o->prompt, &r->ids, &r->n, err) ? -1 : 0;
}

// The graph: one training iteration (with torch's AdamW defaults), the forward pass and the
// greedy sampling nodes, or the forward pass. 0, or the exit status after a message.
static int trace_graph(const struct trace_opts *o, struct trace_run *r, FILE *err)
{
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc;
    if (o->train) {
        struct adamw_params hp = SF_ADAMW_DEFAULTS;
        if (training_targets(o, r->ids, &r->n, &r->targets, err))
            return 2;
        if (optimizer_init(&r->opt, &r->m, &hp)) {
            fprintf(err, "stepformer: trace: out of memory for the gradients\n");
            return 2;
        }
        rc = graph_build_train(&r->g, &r->m, r->ids, r->targets, r->n, r->n, o->impl, &r->opt, &d);
    } else if (o->generate) {
        sampler_init(&r->greedy, 1, 1.0f, 0, 1.0f, 1);
        rc = graph_build_generate(&r->g, &r->m, r->ids, r->n, o->impl, &r->greedy, &d);
    } else {
        rc = graph_build(&r->g, &r->m, r->ids, r->n, o->impl, &d);
    }
    if (rc) {
        cli_print_diag(err, "trace", &d);
        return 2;
    }
    return 0;
}

// --op NAME: runs up to the op and prints or writes its output. The exit status.
static int trace_op(const struct trace_opts *o, struct graph *g, FILE *out, FILE *err)
{
    int idx = graph_find(g, o->op);
    if (idx < 0) {
        print_suggestions(g, o->op, err);
        return 2;
    }
    int status = run_to(g, idx, err);
    if (!status)
        status = emit_tensor(g->nodes[idx].name, &g->nodes[idx].out, o->out_path, out, err);
    // loss.xent is per position and their mean: the mean is the loss, so it is printed too.
    if (!status && g->nodes[idx].role == ROLE_LOSS_XENT)
        fprintf(out, "# mean %.6f: the loss, the mean over the %d positions\n", (double)g->loss,
                g->n_tokens);
    return status;
}

// --param-grad NAME: runs the whole backward pass and prints or writes dL/dNAME. The exit
// status.
static int trace_param_grad(const struct trace_opts *o, struct graph *g, FILE *out, FILE *err)
{
    int p = 0;
    while (p < g->n_params && strcmp(g->params[p].name, o->param_grad) != 0)
        p++;
    if (p == g->n_params) {
        char safe[SF_MSG_MAX];
        fprintf(err,
                "stepformer: trace: no parameter called '%s' (stepformer trace --train --list "
                "shows them all)\n",
                utf8_safe(safe, sizeof safe, o->param_grad));
        return 2;
    }
    int status = run_to(g, graph_find(g, "grad.embed.tok"), err); // the whole backward
    return status ? status : emit_tensor(o->param_grad, &g->param_grads[p], o->out_path, out, err);
}

// Runs every node and prints a summary of each (and the loss of a training iteration). The
// exit status.
static int trace_summary(const struct trace_opts *o, struct graph *g, FILE *out, FILE *err)
{
    int rc, status = 0;
    while (!status && (rc = graph_step(g)) != 0) {
        if (rc < 0) {
            fprintf(err, "stepformer: trace: %s failed: %s\n", graph_current(g)->name,
                    sf_strerror(rc));
            status = 2;
        } else {
            print_summary(graph_last(g), out);
        }
    }
    if (!status && o->train)
        fprintf(out, "loss %.6f (mean cross-entropy before the update)\n", g->loss);
    return status;
}

// What the options ask of the graph: the list, one op's output, one parameter's gradient or
// a summary of every node. The exit status.
static int trace_report(const struct trace_opts *o, struct graph *g, FILE *out, FILE *err)
{
    if (o->list) {
        print_list(g, out);
        if (o->train)
            print_params(g, out);
        return 0;
    }
    if (o->op)
        return trace_op(o, g, out, err);
    if (o->param_grad)
        return trace_param_grad(o, g, out, err);
    return trace_summary(o, g, out, err);
}

int cmd_trace(int argc, char **argv, FILE *out, FILE *err)
{
    struct trace_opts o;
    int status = parse_opts(argc, argv, &o, out, err);
    if (status)
        return status == 1 ? 0 : status;
    struct trace_run r = {0};
    status = 2;
    if (o.vocab) {
        if (!cli_load_model_print(&r.m, o.model_path, o.tok_path, err))
            status = print_vocab(&r.m, o.limit, out, err);
        model_free(&r.m);
        return status;
    }
    if (o.names) {
        if (!cli_load_model_print(&r.m, o.model_path, o.tok_path, err))
            status = trace_names(&r.m, o.impl, out, err);
    } else if (!cli_load_model_print(&r.m, o.model_path, o.tok_path, err) &&
               !trace_input(&o, &r, out, err)) {
        if (o.tokens) {
            print_tokens(&r.m, r.ids, r.n, out);
            status = 0;
        } else if ((status = trace_graph(&o, &r, err)) == 0) {
            status = trace_report(&o, &r.g, out, err);
        }
    }
    if (!status && o.train && !o.targets_arg && (o.ids_arg || o.prompt)) // said once
        fprintf(err,
                "stepformer: trace: note: the targets are the input shifted by one, so its %d "
                "tokens train %d position%s (inputs: tokens 0-%d, targets: tokens 1-%d); "
                "--targets gives one per token\n",
                r.n + 1, r.n, r.n == 1 ? "" : "s", r.n - 1, r.n);
    graph_free(&r.g);
    optimizer_free(&r.opt);
    free(r.ids);
    free(r.targets);
    model_free(&r.m);
    return status;
}
