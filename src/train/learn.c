// Learning from scratch on the textbook corpus, one step at a time: the run behind the learn
// view, with its losses and evaluations kept for the curve.
#include "stepformer/learn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/clock.h"

void learn_free(struct learn *l)
{
    trainer_free(&l->tr);
    graph_free(&l->item_graph);
    token_data_free(&l->train);
    token_data_free(&l->valid);
    corpus_text_free(&l->corpus);
    free(l->items);
    free(l->item_ids);
    free(l->in);
    free(l->tg);
    free(l->loss);
    free(l->evals);
    l->model.tok = (struct tokenizer){0}; // borrowed from the template
    model_free(&l->model);
    memset(l, 0, sizeof *l);
}

// The agreement items of the held-out items text (kind, prefix, right, wrong, position per
// line), cut in place; at most max (0: all).
static int parse_items(struct learn *l, int max)
{
    int cap = 0;
    for (const char *p = l->corpus.items; p && *p; p++)
        cap += *p == '\n';
    l->items = calloc((size_t)cap + 1, sizeof *l->items);
    if (!l->items)
        return SF_ERR_NOMEM;
    char *save = NULL;
    for (char *line = strtok_r(l->corpus.items, "\n", &save); line && (!max || l->n_items < max);
         line = strtok_r(NULL, "\n", &save)) {
        char *f[5];
        int n = 0;
        for (char *t = line; n < 5 && t; n++) {
            f[n] = t;
            t = strchr(t, '\t');
            if (t)
                *t++ = '\0';
        }
        if (n == 5 && strcmp(f[0], "agreement") == 0)
            l->items[l->n_items++] = (struct learn_item){f[1], f[2], f[3]};
    }
    return SF_OK;
}

void learn_agreement(struct learn *l, int *right, int *total)
{
    *right = *total = 0;
    for (int i = 0; i < l->n_items; i++) {
        int n;
        const struct learn_item *it = &l->items[i];
        double lw = item_logprob(&l->model, &l->item_graph, l->item_ids, it->prefix, it->wrong,
                                 l->o.impl, &n);
        double lr = item_logprob(&l->model, &l->item_graph, l->item_ids, it->prefix, it->right,
                                 l->o.impl, &n);
        if (isnan(lw) || isnan(lr))
            continue;
        *total += 1;
        *right += lr > lw;
    }
}

// The held-out loss (the same first batches every time) and the agreement items, now.
static int evaluate(struct learn *l, struct sf_diag *d)
{
    if (l->n_evals == l->max_evals)
        return SF_OK;
    struct learn_eval *e = &l->evals[l->n_evals];
    e->step = l->step;
    l->valid_batches.pos = 0;
    int rc = trainer_eval(&l->tr, &l->valid_batches, l->o.eval_batches, &e->heldout, d);
    if (rc)
        return rc;
    learn_agreement(l, &e->right, &e->total);
    l->n_evals++;
    return SF_OK;
}

// The corpus in memory, encoded with the template's tokenizer, and its batches.
static int load_corpus(struct learn *l, struct sf_diag *d)
{
    struct corpus_options co = {l->o.corpus_seed, l->o.sentences, l->o.heldout};
    int V = l->model.cfg.vocab_size, rc = corpus_generate_text(&co, &l->corpus, d);
    if (!rc)
        rc = token_data_from_text(&l->train, l->corpus.train, l->corpus.train_len,
                                  "the corpus' training text", &l->model.tok, V, d);
    if (!rc)
        rc = token_data_from_text(&l->valid, l->corpus.valid, l->corpus.valid_len,
                                  "the corpus' held-out text", &l->model.tok, V, d);
    if (!rc)
        rc = batcher_init(&l->batches, &l->train, l->o.B, l->o.T, 0, l->o.seed, d);
    if (!rc)
        rc = batcher_init(&l->valid_batches, &l->valid, l->o.B, l->o.T, 0, l->o.seed, d);
    if (!rc && parse_items(l, l->o.agree_items))
        rc = sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return rc;
}

int learn_init(struct learn *l, const struct model *tmpl, const struct learn_options *o,
               struct sf_diag *d)
{
    memset(l, 0, sizeof *l);
    l->o = *o;
    if (o->steps < 1 || o->steps > SF_LEARN_MAX_STEPS || o->B < 1 || o->T < 1 ||
        o->T > tmpl->cfg.n_ctx || o->eval_every < 1)
        return sf_diag_set(d, SF_ERR_RANGE, NULL, 0, 0,
                           "steps must be 1 to %d, the sequence 1 to the context (%d)",
                           SF_LEARN_MAX_STEPS, tmpl->cfg.n_ctx);
    if (tmpl->tok.kind != TOK_WORD)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0,
                           "learning on the textbook corpus needs a word-level vocabulary, as "
                           "the shipped textbook model has");
    int rc = model_init(&l->model, &tmpl->cfg, d);
    if (rc)
        return rc;
    model_init_random(&l->model, o->seed);
    l->model.tok = tmpl->tok;
    size_t n = (size_t)o->B * (size_t)o->T;
    l->max_evals = o->steps / o->eval_every + 2;
    l->in = malloc(sizeof *l->in * n);
    l->tg = malloc(sizeof *l->tg * n);
    l->loss = calloc((size_t)o->steps, sizeof *l->loss);
    l->evals = calloc((size_t)l->max_evals, sizeof *l->evals);
    l->item_ids = malloc(sizeof *l->item_ids * (size_t)(tmpl->cfg.n_ctx + 1));
    if (!l->in || !l->tg || !l->loss || !l->evals || !l->item_ids)
        rc = sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (!rc)
        rc = load_corpus(l, d);
    struct adamw_params hp = SF_ADAMW_DEFAULTS;
    hp.lr = o->lr;
    if (!rc)
        rc = trainer_init(&l->tr, &l->model, o->B, o->T, &hp, o->impl, d);
    if (!rc)
        rc = evaluate(l, d);
    if (rc)
        learn_free(l);
    return rc;
}

int learn_step(struct learn *l, struct sf_diag *d)
{
    if (l->step >= l->o.steps)
        return 0;
    double start = sf_now_ms();
    batcher_next(&l->batches, l->in, l->tg);
    int rc = trainer_step(&l->tr, l->in, l->tg, &l->loss[l->step], d);
    if (rc)
        return rc < 0 ? rc : -rc;
    l->step++;
    l->train_ms += sf_now_ms() - start;
    if (l->step % l->o.eval_every == 0 || l->step == l->o.steps)
        rc = evaluate(l, d);
    return rc ? (rc < 0 ? rc : -rc) : 1;
}

const struct learn_eval *learn_last_eval(const struct learn *l)
{
    return l->n_evals ? &l->evals[l->n_evals - 1] : NULL;
}
