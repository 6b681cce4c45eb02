// `stepformer eval`: a model's loss and perplexity on a text, and its accuracy on the
// corpus' agreement and pronoun items, with the attention heads that carry agreement.
#include "stepformer/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/fileio.h"
#include "stepformer/graph.h"
#include "stepformer/train.h"
#include "stepformer/utf8.h"

static const char eval_usage[] =
    "usage: stepformer eval [--model FILE] --data FILE [--windows N] [--items FILE]\n"
    "\n"
    "  --data FILE   text (or llm.c tokens): mean loss and perplexity over consecutive windows\n"
    "                of 128 tokens (the model's context when that is shorter)\n"
    "  --windows N   how many windows from the start of the data are read (default 400; 0:\n"
    "                all of them); the result says how many the data holds\n"
    "  --items FILE  test items (items.tsv from stepformer corpus; default: items.tsv beside\n"
    "                the data, if there is one): for each kind, how often the right next word\n"
    "                gets more probability than the wrong one; and, for agreement, the heads\n"
    "                whose attention from the verb goes to the subject noun\n";

#define EVAL_WINDOWS     400 // windows read unless --windows says otherwise
#define EVAL_MAX_WINDOWS 100000000
#define EVAL_WINDOW      128  // tokens per window (fewer when the context is shorter)
#define ITEM_LINE_MAX    2048 // bytes of an items file's line that are read as one
#define ITEM_FIELDS      5    // kind, prefix, right word, wrong word, position
#define MAX_KINDS        8    // kinds of items counted (the items of more are ignored)
#define KIND_MAX         32   // bytes of a kind's name that are kept, with its NUL
#define TOP_HEADS        3    // heads listed per position
// What data_loss read: the tokens scored, and the windows read of those the data holds.
struct eval_span {
    long tokens, windows, all_windows;
    int T; // tokens per window
};

// Mean cross-entropy over the first `windows` consecutive windows of T tokens (0: all).
static int data_loss(struct model *m, const struct token_data *td, long windows, double *loss,
                     struct eval_span *span, FILE *err)
{
    int T = m->cfg.n_ctx < EVAL_WINDOW ? m->cfg.n_ctx : EVAL_WINDOW;
    if ((size_t)T + 1 > td->n)
        T = (int)td->n - 1;
    if (T < 1) {
        fprintf(err, "stepformer: eval: the data needs at least 2 tokens\n");
        return 2;
    }
    struct graph g = {0};
    struct sf_diag d;
    struct tensor losses;
    int shape[1] = {T};
    float *buf = malloc(sizeof(float) * (size_t)T);
    tensor_wrap(&losses, buf, 1, shape);
    double sum = 0;
    long n = 0;
    int rc = buf ? 0 : SF_ERR_NOMEM;
    span->T = T;
    span->all_windows = (long)((td->n - 1) / (size_t)T);
    for (size_t start = 0; !rc && start + (size_t)T + 1 <= td->n && (!windows || n / T < windows);
         start += (size_t)T) {
        rc = g.nodes ? graph_set_input(&g, td->tokens + start, T, &d)
                     : graph_build(&g, m, td->tokens + start, T, OP_IMPL_FAST, &d);
        if (!rc)
            rc = graph_run_to_end(&g) < 0;
        float mean = 0;
        if (!rc)
            rc =
                op_xent(OP_IMPL_FAST, &losses, &mean, &graph_last(&g)->out, td->tokens + start + 1);
        sum += (double)mean * T;
        n += T;
    }
    graph_free(&g);
    free(buf);
    if (rc) {
        fprintf(err, "stepformer: eval: the forward pass failed: %s\n", sf_strerror(rc));
        return 2;
    }
    *loss = sum / (double)n;
    span->tokens = n;
    span->windows = n / T;
    return 0;
}

struct kind_stats {
    char kind[KIND_MAX];
    int right, total, skipped;
};

// An items file being scored: the model and its graph, and what the items add up to.
struct items_run {
    struct model *m;
    struct graph g;
    int *ids; // (n_ctx + 1)
    struct kind_stats kinds[MAX_KINDS];
    int n_kinds;
    int agree_items;
    // (2, L, H) mean attention onto the subject noun: [0] from the verb's own position, [1] from
    // the position that predicts the verb
    double *head_weight;
    const char *safe_path; // the file's name, escaped
    int line_no;
};

// The kind called name (as much of it as is kept, cut between characters), added when it is
// new; -1 when MAX_KINDS kinds are counted already.
static int kind_index(struct items_run *r, const char *name)
{
    int k = 0, kl = (int)utf8_cut(name, strlen(name), KIND_MAX - 1);
    while (k < r->n_kinds &&
           (strncmp(r->kinds[k].kind, name, (size_t)kl) != 0 || r->kinds[k].kind[kl] != '\0'))
        k++;
    if (k < r->n_kinds)
        return k;
    if (r->n_kinds == MAX_KINDS)
        return -1;
    memset(&r->kinds[k], 0, sizeof r->kinds[k]);
    snprintf(r->kinds[k].kind, sizeof r->kinds[k].kind, "%.*s", kl, name);
    r->n_kinds++;
    return k;
}

// Adds the attention onto the subject noun (at position focus) from the verb (at n) and from
// the position before it, per layer and head, of the graph that ran the right continuation.
static void add_attention(struct items_run *r, int n, long focus)
{
    int L = r->m->cfg.n_layer, H = r->m->cfg.n_head, N = r->g.n_tokens;
    r->agree_items++;
    for (int l = 0; l < L; l++) {
        char name[SF_NODE_NAME_MAX];
        snprintf(name, sizeof name, "L%d.attn.softmax", l);
        const float *a = r->g.nodes[graph_find(&r->g, name)].out.data; // (H, N, N)
        for (int h = 0; h < H; h++) {
            r->head_weight[l * H + h] += a[((size_t)h * N + n) * N + focus];
            r->head_weight[L * H + l * H + h] += a[((size_t)h * N + n - 1) * N + focus];
        }
    }
}

// One line of the items file: kind, prefix, right word, wrong word, position of the subject
// noun. A blank line, an item of a kind too many and an item that cannot be scored count as
// nothing (the last as skipped). 0, or 2 after a message.
static int score_item(struct items_run *r, char *line, FILE *err)
{
    char *fields[ITEM_FIELDS], *save = NULL;
    int nf = 0;
    line[strcspn(line, "\n")] = '\0';
    for (char *t = strtok_r(line, "\t", &save); t && nf < ITEM_FIELDS;
         t = strtok_r(NULL, "\t", &save))
        fields[nf++] = t;
    if (nf == 0)
        return 0;
    if (nf != ITEM_FIELDS) {
        fprintf(err,
                "stepformer: eval: %s:%d: expected %d tab-separated fields (kind, prefix, right, "
                "wrong, position), found %d\n",
                r->safe_path, r->line_no, ITEM_FIELDS, nf);
        return 2;
    }
    int k = kind_index(r, fields[0]);
    if (k < 0)
        return 0;
    // The wrong word first, so that the graph holds the right one for the attention.
    int n = 0, n2 = 0;
    long focus;
    double lw = item_logprob(r->m, &r->g, r->ids, fields[1], fields[3], OP_IMPL_FAST, &n2);
    double lr = item_logprob(r->m, &r->g, r->ids, fields[1], fields[2], OP_IMPL_FAST, &n);
    if (isnan(lw) || isnan(lr) || cli_parse_int(fields[4], 0, 100000, &focus)) {
        r->kinds[k].skipped++;
        return 0;
    }
    r->kinds[k].total++;
    r->kinds[k].right += lr > lw;
    // Token positions name words only for a word-level vocabulary.
    if (r->m->tok.kind == TOK_WORD && focus < n && strcmp(fields[0], "agreement") == 0)
        add_attention(r, n, focus);
    return 0;
}

// Accuracy per kind, then the heads that attend most to the subject noun.
static void print_items(struct items_run *r, FILE *out)
{
    char kind[4 * KIND_MAX]; // a kind's name escaped (4 bytes for one byte at most)
    int L = r->m->cfg.n_layer, H = r->m->cfg.n_head;
    for (int k = 0; k < r->n_kinds; k++)
        fprintf(out, "%s accuracy %.1f%% (%d of %d items%s)\n",
                utf8_safe(kind, sizeof kind, r->kinds[k].kind),
                r->kinds[k].total ? 100.0 * r->kinds[k].right / r->kinds[k].total : 0.0,
                r->kinds[k].right, r->kinds[k].total,
                r->kinds[k].skipped ? ", some skipped: words not in the vocabulary" : "");
    for (int from = 0; r->agree_items && from < 2; from++) {
        double *w = r->head_weight + (size_t)from * L * H;
        fprintf(out,
                "attention onto the subject noun from %s, averaged over %d agreement items "
                "(largest first):\n",
                from ? "the word before the verb (where the verb is predicted)" : "the verb",
                r->agree_items);
        for (int shown = 0; shown < TOP_HEADS && shown < L * H; shown++) {
            int best = 0;
            for (int i = 1; i < L * H; i++)
                if (w[i] > w[best])
                    best = i;
            fprintf(out, "  layer %d head %d: %.3f\n", best / H, best % H,
                    w[best] / r->agree_items);
            w[best] = -1;
        }
    }
}

static int run_items(struct model *m, const char *path, FILE *out, FILE *err)
{
    char safe_path[SF_MSG_MAX], line[ITEM_LINE_MAX];
    utf8_safe(safe_path, sizeof safe_path, path);
    struct sf_diag d;
    FILE *f = sf_open_read(path, "items file", &d);
    if (!f) {
        cli_print_diag(err, "eval", &d);
        return 2;
    }
    struct items_run r = {.m = m, .safe_path = safe_path};
    r.head_weight = calloc((size_t)(2 * m->cfg.n_layer * m->cfg.n_head), sizeof *r.head_weight);
    r.ids = malloc(sizeof *r.ids * (size_t)(m->cfg.n_ctx + 1));
    int status = (r.head_weight && r.ids) ? 0 : 2;
    while (!status && fgets(line, sizeof line, f)) {
        r.line_no++;
        status = score_item(&r, line, err);
    }
    fclose(f);
    graph_free(&r.g);
    if (!status)
        print_items(&r, out);
    free(r.head_weight);
    free(r.ids);
    return status;
}

int cmd_eval(int argc, char **argv, FILE *out, FILE *err)
{
    const char *model_path = NULL, *data = NULL, *items = NULL, *windows_arg = NULL;
    long windows = EVAL_WINDOWS;
    for (int i = 0; i < argc; i++) {
        int r = 0;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(eval_usage, out);
            return 0;
        }
        if (!(r = cli_value(argc, argv, &i, "--model", &model_path)) &&
            !(r = cli_value(argc, argv, &i, "--data", &data)) &&
            !(r = cli_value(argc, argv, &i, "--windows", &windows_arg)))
            r = cli_value(argc, argv, &i, "--items", &items);
        if (r > 0 && windows_arg && cli_parse_int(windows_arg, 0, EVAL_MAX_WINDOWS, &windows))
            return cli_bad_int(err, "eval", "--windows", windows_arg, 0, EVAL_MAX_WINDOWS);
        if (r == 0)
            return cli_unknown_option(err, "eval", argv[i], eval_usage);
        if (r < 0) {
            char safe[SF_MSG_MAX];
            fprintf(err, "stepformer: eval: %s needs a value (see stepformer eval --help)\n",
                    utf8_safe(safe, sizeof safe, argv[i]));
            return 2;
        }
    }
    if (!data) {
        fprintf(err, "stepformer: eval: --data FILE is needed\n");
        return 2;
    }
    struct model m = {0};
    struct token_data td = {0};
    struct sf_diag d;
    char safe[SF_MSG_MAX], beside[1024];
    int status = 2;
    sf_diag_clear(&d);
    if (cli_load_model_print(&m, model_path, NULL, err))
        goto done;
    if (token_data_load(&td, data, &m.tok, m.cfg.vocab_size, &d)) {
        cli_print_diag(err, "eval", &d);
        goto done;
    }
    double loss;
    struct eval_span span;
    if ((status = data_loss(&m, &td, windows, &loss, &span, err)) != 0)
        goto done;
    fprintf(out, "loss %.4f perplexity %.3f over %ld tokens of %s", loss, exp(loss), span.tokens,
            utf8_safe(safe, sizeof safe, data));
    if (span.windows < span.all_windows) // say what was left out
        fprintf(out, " (the first %ld of its %ld windows of %d tokens; --windows 0 reads all)",
                span.windows, span.all_windows, span.T);
    fputc('\n', out);
    if (!items) {
        const char *slash = strrchr(data, '/');
        snprintf(beside, sizeof beside, "%.*sitems.tsv", slash ? (int)(slash - data + 1) : 0, data);
        FILE *probe = fopen(beside, "r");
        if (probe) {
            fclose(probe);
            items = beside;
        }
    }
    if (items)
        status = run_items(&m, items, out, err);
done:
    token_data_free(&td);
    model_free(&m);
    return status;
}
