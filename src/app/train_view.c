// The training view: one iteration (forward, loss, backward, AdamW) on the prompt, on a copy
// of the model so that the forward view keeps the original weights, and the mean loss before
// and after the update.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

void app_train_free(struct app *a)
{
    graph_free(&a->train);
    optimizer_free(&a->opt);
    free(a->loss_after_pos);
    a->loss_after_pos = NULL;
    a->train_model.tok = (struct tokenizer){0}; // borrowed from the model
    model_free(&a->train_model);
}

// Back from the training view to the forward pass (the shown model was never changed).
void app_train_leave(struct app *a)
{
    if (a->train_view) {
        app_train_free(a);
        a->train_view = 0;
    }
}

// The mean loss of the training model on the training inputs: the loss after the update; the
// loss at each position goes to a->loss_after_pos (when there is memory for it).
static float loss_after_update(struct app *a)
{
    struct graph g = {0};
    int n = a->fwd.n_tokens - 1, V = a->model.cfg.vocab_size;
    if (graph_build(&g, &a->train_model, a->fwd.ids, n, a->impl, NULL) ||
        graph_goto(&g, "head.probs") < 0) {
        graph_free(&g);
        return NAN;
    }
    const float *p = graph_last(&g)->out.data;
    double sum = 0;
    free(a->loss_after_pos);
    a->loss_after_pos = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) {
        double li = -log(fmax((double)p[(size_t)i * V + a->fwd.ids[i + 1]], 1e-30));
        if (a->loss_after_pos)
            a->loss_after_pos[i] = (float)li;
        sum += li;
    }
    graph_free(&g);
    return (float)(sum / n);
}

// Builds the training view: one iteration (forward, loss, backward, AdamW) on the prompt, on a
// copy of the model so that the forward view keeps the original weights. d says why it could
// not be built.
int app_train_build(struct app *a, struct sf_diag *d)
{
    if (a->fwd.n_tokens < 2)
        return sf_diag_set(d, SF_ERR_EMPTY, NULL, 0, 0,
                           "a training iteration needs a prompt of at least 2 tokens: press e to "
                           "edit it");
    app_train_free(a);
    int rc = model_init(&a->train_model, &a->model.cfg, d);
    if (!rc && (rc = model_copy_params(&a->train_model, &a->model)) != 0)
        sf_diag_set(d, rc, NULL, 0, 0, "out of memory for the copy of the model");
    if (!rc) {
        a->train_model.tok = a->model.tok;
        struct adamw_params hp = SF_ADAMW_DEFAULTS;
        hp.weight_decay = 0.0f; // one step on one sentence: the update alone, no decay
        rc = optimizer_init(&a->opt, &a->train_model, &hp);
    }
    if (!rc)
        rc = graph_build_train(&a->train, &a->train_model, a->fwd.ids, a->fwd.ids + 1,
                               a->fwd.n_tokens - 1, a->fwd.n_tokens - 1, a->impl, &a->opt, d);
    if (rc) {
        if (!d->msg[0])
            sf_diag_set(d, rc, NULL, 0, 0, "%s", sf_strerror(rc));
        app_train_free(a);
        return rc;
    }
    a->train_view = 1;
    a->loss_before = a->loss_after = NAN;
    a->target = -1;
    a->running = 0;
    a->view.row = a->fwd.n_tokens - 2;
    a->view.inspect = 0;
    return 0;
}

void app_train_after_move(struct app *a)
{
    if (!a->train_view)
        return;
    if (a->train.cursor >= a->train.n_nodes && isnan(a->loss_after))
        a->loss_after = loss_after_update(a);
    if (isnan(a->loss_before) && graph_find(&a->train, "loss.xent") < a->train.cursor)
        a->loss_before = a->train.loss;
}
