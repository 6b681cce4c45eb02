// `stepformer trace`: the scripting face of the engine. Lists the op graph, prints node
// summaries, or writes one node's output as a NumPy .npy file.
#include "stepformer/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/fileio.h"
#include "stepformer/graph.h"

static const char trace_usage[] =
    "usage: stepformer trace [--model FILE] [--tokenizer FILE] (--prompt TEXT | --ids 3,1,4)\n"
    "                        [--list | --op NAME [--out FILE.npy]] [--impl fast|ref]\n"
    "\n"
    "  --model FILE      a stepformer model or an llm.c GPT-2 checkpoint (default: shipped)\n"
    "  --tokenizer FILE  an llm.c tokenizer file, for --prompt with an llm.c checkpoint\n"
    "  --prompt TEXT     the input, tokenized with the model's tokenizer\n"
    "  --ids LIST        the input as comma-separated token ids\n"
    "  --list            print every node: name, output shape, level, section, explanation\n"
    "  --op NAME         run up to node NAME and print its output (or write it with --out)\n"
    "  --out FILE.npy    write the --op output as a float32 .npy in C order\n"
    "  --impl fast|ref   the kernel twin to run (default fast; ref is the reference loops)\n"
    "Without --list or --op: runs the whole pass and prints a summary line per node.\n";

static const char *const level_names[] = {"op", "sublayer", "block"};

static void print_list(const struct graph *g, FILE *out)
{
    char shape[64];
    fprintf(out, "# %d nodes for an input of %d tokens\n", g->n_nodes, g->n_tokens);
    fprintf(out, "%-18s %-16s %-8s %s\n", "# name", "shape", "level", "section: explanation");
    for (int i = 0; i < g->n_nodes; i++) {
        const struct node *n = &g->nodes[i];
        fprintf(out, "%-18s %-16s %-8s %s: %s\n", n->name, tensor_shape_str(&n->out, shape, 64),
                level_names[n->level], n->section, n->explain);
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
    char shape[64];
    fprintf(out, "%-18s %-16s mean %11.6f  std %10.6f  min %11.6f  max %11.6f", n->name,
            tensor_shape_str(&n->out, shape, sizeof shape), mean, sqrt(var > 0 ? var : 0),
            finite ? lo : 0, finite ? hi : 0);
    if (neg_inf)
        fprintf(out, "  (-inf x %zu)", neg_inf);
    fputc('\n', out);
}

// Prints a tensor as text: one line per row of the last dimension, blocks separated by a
// line naming their leading indices.
static void print_tensor(const struct node *n, FILE *out)
{
    const struct tensor *t = &n->out;
    char shape[64];
    fprintf(out, "# %s %s\n", n->name, tensor_shape_str(t, shape, sizeof shape));
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
    fprintf(err, "stepformer: trace: no op called '%s'", name);
    for (int i = 0; i < k; i++)
        fprintf(err, "%s%s", i ? ", " : "; did you mean ", near[i]);
    fprintf(err, "? (stepformer trace --list shows them all)\n");
}

int cmd_trace(int argc, char **argv, FILE *out, FILE *err)
{
    const char *model_path = NULL, *tok_path = NULL, *ids_arg = NULL, *prompt = NULL;
    const char *op = NULL, *out_path = NULL, *impl_arg = "fast";
    int list = 0;
    const struct {
        const char *name;
        const char **dest;
    } opts[] = {{"--model", &model_path},
                {"--tokenizer", &tok_path},
                {"--ids", &ids_arg},
                {"--prompt", &prompt},
                {"--op", &op},
                {"--out", &out_path},
                {"--impl", &impl_arg}};
    for (int i = 0; i < argc; i++) {
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(trace_usage, out);
            return 0;
        }
        if (cli_flag(argv, i, "--list")) {
            list = 1;
            continue;
        }
        int r = 0;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !r; k++)
            r = cli_value(argc, argv, &i, opts[k].name, opts[k].dest);
        if (r < 0) {
            fprintf(err, "stepformer: trace: %s needs a value (see stepformer trace --help)\n",
                    argv[i]);
            return 2;
        }
        if (r == 0) {
            fprintf(err, "stepformer: trace: unknown option '%s' (see stepformer trace --help)\n",
                    argv[i]);
            return 2;
        }
    }
    enum op_impl impl;
    if (strcmp(impl_arg, "fast") == 0) {
        impl = OP_IMPL_FAST;
    } else if (strcmp(impl_arg, "ref") == 0) {
        impl = OP_IMPL_REF;
    } else {
        fprintf(err, "stepformer: trace: --impl '%s': use fast or ref\n", impl_arg);
        return 2;
    }
    if (out_path && !op) {
        fprintf(err, "stepformer: trace: --out needs --op NAME (the node to write)\n");
        return 2;
    }
    if (list && op) {
        fprintf(err, "stepformer: trace: give --list or --op, not both\n");
        return 2;
    }

    struct model m = {0};
    struct graph g = {0};
    int *ids = NULL, n = 0, status = 2;
    if (cli_load_model(&m, model_path, tok_path, err))
        goto done;
    if (list && !ids_arg && !prompt) {
        // The listing needs an input only for its shapes: use one token.
        ids = calloc(1, sizeof *ids);
        n = 1;
        if (!ids)
            goto done;
        fprintf(out, "# no --prompt or --ids given: shapes are for N = 1\n");
    } else if (cli_input(&m, ids_arg, prompt, &ids, &n, err)) {
        goto done;
    }
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = graph_build(&g, &m, ids, n, impl, &d);
    if (rc) {
        char buf[900];
        fprintf(err, "stepformer: trace: %s\n", sf_diag_format(&d, buf, sizeof buf));
        status = rc == SF_ERR_NOMEM ? 1 : 2;
        goto done;
    }
    if (list) {
        print_list(&g, out);
        status = 0;
        goto done;
    }
    if (op) {
        int idx = graph_find(&g, op);
        if (idx < 0) {
            print_suggestions(&g, op, err);
            goto done;
        }
        rc = graph_goto_index(&g, idx);
        if (rc < 0) {
            fprintf(err, "stepformer: trace: %s failed: %s\n", op, sf_strerror(rc));
            status = 1;
            goto done;
        }
        const struct node *node = &g.nodes[idx];
        if (out_path) {
            rc = sf_write_atomic(out_path, write_npy, &node->out, &d);
            if (rc) {
                char buf[900];
                fprintf(err, "stepformer: trace: %s\n", sf_diag_format(&d, buf, sizeof buf));
                status = 1;
                goto done;
            }
            char shape[64];
            fprintf(out, "wrote %s: %s %s float32\n", out_path, node->name,
                    tensor_shape_str(&node->out, shape, sizeof shape));
        } else {
            print_tensor(node, out);
        }
        status = 0;
        goto done;
    }
    for (;;) {
        rc = graph_step(&g);
        if (rc < 0) {
            fprintf(err, "stepformer: trace: %s failed: %s\n", graph_current(&g)->name,
                    sf_strerror(rc));
            status = 1;
            goto done;
        }
        if (rc == 0)
            break;
        print_summary(graph_last(&g), out);
    }
    status = 0;
done:
    graph_free(&g);
    free(ids);
    model_free(&m);
    return status;
}
