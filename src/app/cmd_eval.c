// `stepformer eval`: a model's loss and perplexity on a text, and its accuracy on the
// corpus' agreement and pronoun items, with the attention heads that carry agreement.
#include "stepformer/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/graph.h"
#include "stepformer/train.h"
#include "stepformer/utf8.h"

static const char eval_usage[] =
    "usage: stepformer eval [--model FILE] --data FILE [--items FILE]\n"
    "\n"
    "  --data FILE   text (or llm.c tokens): mean loss and perplexity over windows of the\n"
    "                model's context\n"
    "  --items FILE  test items (items.tsv from stepformer corpus; default: items.tsv beside\n"
    "                the data, if there is one): for each kind, how often the right next word\n"
    "                gets more probability than the wrong one; and, for agreement, the heads\n"
    "                whose attention from the verb goes to the subject noun\n";

#define EVAL_MAX_WINDOWS 400

// Mean cross-entropy over consecutive windows of T tokens.
static int data_loss(struct model *m, const struct token_data *td, double *loss, long *count,
                     FILE *err)
{
    int T = m->cfg.n_ctx < 128 ? m->cfg.n_ctx : 128;
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
    for (size_t start = 0; !rc && start + (size_t)T + 1 <= td->n && n / T < EVAL_MAX_WINDOWS;
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
        return 1;
    }
    *loss = sum / (double)n;
    *count = n;
    return 0;
}

#define KIND_MAX 32 // bytes of an item kind's name that are kept, with its NUL

struct kind_stats {
    char kind[KIND_MAX];
    int right, total, skipped;
};

// Runs prefix + " " + word through g and returns the log-probability of the word's tokens
// given the prefix; *n_prefix gets the prefix's token count. NAN when the text cannot be
// encoded, does not fit the context, or the word adds no token.
static double continuation_logprob(struct model *m, struct graph *g, int *ids, const char *prefix,
                                   const char *word, int *n_prefix)
{
    char text[2300];
    int n = 0, total = 0;
    snprintf(text, sizeof text, "%s %s", prefix, word);
    if (tokenizer_encode(&m->tok, prefix, ids, m->cfg.n_ctx, &n, NULL) || n < 1)
        return NAN;
    int head[8];
    int keep = n < 8 ? n : 8;
    memcpy(head, ids, sizeof(int) * (size_t)keep);
    if (tokenizer_encode(&m->tok, text, ids, m->cfg.n_ctx, &total, NULL) || total <= n ||
        memcmp(head, ids, sizeof(int) * (size_t)keep) != 0)
        return NAN;
    for (int i = n; i < total; i++)
        if (ids[i] == m->tok.unk_id)
            return NAN;
    struct sf_diag d;
    int rc = g->nodes ? graph_set_input(g, ids, total, &d)
                      : graph_build(g, m, ids, total, OP_IMPL_FAST, &d);
    if (rc || graph_run_to_end(g) < 0)
        return NAN;
    const float *p = graph_last(g)->out.data;
    double lp = 0;
    for (int i = n; i < total; i++)
        lp += log((double)p[(size_t)(i - 1) * m->cfg.vocab_size + ids[i]]);
    *n_prefix = n;
    return lp;
}

static int run_items(struct model *m, const char *path, FILE *out, FILE *err)
{
    char safe_path[SF_MSG_MAX];
    char kind[4 * KIND_MAX]; // a kind's name escaped (4 bytes for one byte at most)
    utf8_safe(safe_path, sizeof safe_path, path);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(err, "stepformer: eval: %s: cannot open the items file\n", safe_path);
        return 2;
    }
    struct kind_stats kinds[8];
    int n_kinds = 0, L = m->cfg.n_layer, H = m->cfg.n_head, line_no = 0, agree_items = 0;
    // [0]: from the verb's own position; [1]: from the position that predicts the verb
    double *head_weight = calloc((size_t)(2 * L * H), sizeof *head_weight);
    int *ids = malloc(sizeof *ids * (size_t)(m->cfg.n_ctx + 1));
    char line[2048];
    struct graph g = {0};
    int status = (head_weight && ids) ? 0 : 1;
    while (!status && fgets(line, sizeof line, f)) {
        line_no++;
        char *fields[5], *save = NULL;
        int nf = 0;
        line[strcspn(line, "\n")] = '\0';
        for (char *t = strtok_r(line, "\t", &save); t && nf < 5; t = strtok_r(NULL, "\t", &save))
            fields[nf++] = t;
        if (nf == 0)
            continue;
        if (nf != 5) {
            fprintf(err,
                    "stepformer: eval: %s:%d: expected 5 tab-separated fields (kind, prefix, "
                    "right, wrong, position), found %d\n",
                    safe_path, line_no, nf);
            status = 2;
            break;
        }
        // Kinds are told apart by as much of their name as is kept (cut between characters).
        int k = 0, kl = (int)utf8_cut(fields[0], strlen(fields[0]), sizeof kinds[0].kind - 1);
        while (k < n_kinds &&
               (strncmp(kinds[k].kind, fields[0], (size_t)kl) != 0 || kinds[k].kind[kl] != '\0'))
            k++;
        if (k == n_kinds) {
            if (n_kinds == 8)
                continue;
            memset(&kinds[n_kinds], 0, sizeof kinds[0]);
            snprintf(kinds[n_kinds].kind, sizeof kinds[0].kind, "%.*s", kl, fields[0]);
            n_kinds++;
        }
        // The wrong word first, so that the graph holds the right one for the attention.
        int n = 0, n2 = 0;
        long focus;
        double lw = continuation_logprob(m, &g, ids, fields[1], fields[3], &n2);
        double lr = continuation_logprob(m, &g, ids, fields[1], fields[2], &n);
        if (isnan(lw) || isnan(lr) || cli_parse_int(fields[4], 0, 100000, &focus)) {
            kinds[k].skipped++;
            continue;
        }
        kinds[k].total++;
        kinds[k].right += lr > lw;
        // Token positions name words only for a word-level vocabulary.
        if (m->tok.kind != TOK_WORD || focus >= n)
            continue;
        if (strcmp(fields[0], "agreement") == 0) {
            agree_items++;
            for (int l = 0; l < L; l++) {
                char name[32];
                snprintf(name, sizeof name, "L%d.attn.softmax", l);
                const float *a = g.nodes[graph_find(&g, name)].out.data;
                int N = g.n_tokens;
                for (int h = 0; h < H; h++) {
                    head_weight[l * H + h] += a[((size_t)h * N + n) * N + focus];
                    head_weight[L * H + l * H + h] += a[((size_t)h * N + n - 1) * N + focus];
                }
            }
        }
    }
    fclose(f);
    graph_free(&g);
    for (int k = 0; !status && k < n_kinds; k++)
        fprintf(out, "%s accuracy %.1f%% (%d of %d items%s)\n",
                utf8_safe(kind, sizeof kind, kinds[k].kind),
                kinds[k].total ? 100.0 * kinds[k].right / kinds[k].total : 0.0, kinds[k].right,
                kinds[k].total,
                kinds[k].skipped ? ", some skipped: words not in the vocabulary" : "");
    for (int from = 0; !status && agree_items && from < 2; from++) {
        double *w = head_weight + (size_t)from * L * H;
        fprintf(out,
                "attention onto the subject noun from %s, averaged over %d agreement items "
                "(largest first):\n",
                from ? "the word before the verb (where the verb is predicted)" : "the verb",
                agree_items);
        for (int shown = 0; shown < 3 && shown < L * H; shown++) {
            int best = 0;
            for (int i = 1; i < L * H; i++)
                if (w[i] > w[best])
                    best = i;
            fprintf(out, "  layer %d head %d: %.3f\n", best / H, best % H, w[best] / agree_items);
            w[best] = -1;
        }
    }
    free(head_weight);
    free(ids);
    return status;
}

int cmd_eval(int argc, char **argv, FILE *out, FILE *err)
{
    const char *model_path = NULL, *data = NULL, *items = NULL;
    for (int i = 0; i < argc; i++) {
        int r = 0;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(eval_usage, out);
            return 0;
        }
        if (!(r = cli_value(argc, argv, &i, "--model", &model_path)) &&
            !(r = cli_value(argc, argv, &i, "--data", &data)))
            r = cli_value(argc, argv, &i, "--items", &items);
        if (r <= 0) {
            char safe[SF_MSG_MAX];
            fprintf(err, "stepformer: eval: %s '%s' (see stepformer eval --help)\n",
                    r < 0 ? "a value is missing after" : "unknown option",
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
    if (cli_load_model(&m, model_path, NULL, err))
        goto done;
    if (token_data_load(&td, data, &m.tok, m.cfg.vocab_size, &d)) {
        cli_print_diag(err, "eval", &d);
        goto done;
    }
    double loss;
    long count;
    if ((status = data_loss(&m, &td, &loss, &count, err)) != 0)
        goto done;
    fprintf(out, "loss %.4f perplexity %.3f over %ld tokens of %s\n", loss, exp(loss), count,
            utf8_safe(safe, sizeof safe, data));
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
