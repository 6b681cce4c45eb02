// Test items of the textbook corpus: the log-probability of a word after a prefix, which both
// `stepformer eval` and the learn view's agreement accuracy score items with.
#include "stepformer/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ITEM_TEXT_MAX 2048 // bytes of prefix + " " + word
#define PREFIX_KEPT   8    // first tokens of a prefix that the word after it must not change

double item_logprob(struct model *m, struct graph *g, int *ids, const char *prefix,
                    const char *word, enum op_impl impl, int *n_prefix)
{
    char text[ITEM_TEXT_MAX];
    int n = 0, total = 0;
    snprintf(text, sizeof text, "%s %s", prefix, word);
    if (tokenizer_encode(&m->tok, prefix, ids, m->cfg.n_ctx, &n, NULL) || n < 1)
        return NAN;
    int head[PREFIX_KEPT];
    int keep = n < PREFIX_KEPT ? n : PREFIX_KEPT;
    memcpy(head, ids, sizeof(int) * (size_t)keep);
    if (tokenizer_encode(&m->tok, text, ids, m->cfg.n_ctx, &total, NULL) || total <= n ||
        memcmp(head, ids, sizeof(int) * (size_t)keep) != 0)
        return NAN;
    for (int i = n; i < total; i++)
        if (ids[i] == m->tok.unk_id)
            return NAN;
    struct sf_diag d;
    int rc =
        g->nodes ? graph_set_input(g, ids, total, &d) : graph_build(g, m, ids, total, impl, &d);
    if (rc || graph_run_to_end(g) < 0)
        return NAN;
    const float *p = graph_last(g)->out.data;
    double lp = 0;
    for (int i = n; i < total; i++)
        lp += log((double)p[(size_t)(i - 1) * m->cfg.vocab_size + ids[i]]);
    *n_prefix = n;
    return lp;
}
