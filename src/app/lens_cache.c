// The logit lens of the forward pass: a row per block computed once per pass (a cache in the
// second half of each array), and the rows of the blocks that have run shown in the first half.
#include <stdlib.h>

#include "app_priv.h"

// 1 when block l of the forward pass has run.
static int block_done(const struct app *a, int l)
{
    return graph_node_done(&a->fwd, graph_block_end(&a->fwd, l));
}

// The rows of the blocks that have run (and are in the cache); -1 for the others.
static void show_rows(struct app *a)
{
    int L = a->lens.n_layer, n = a->lens.n;
    const int *cache_top = a->lens.top + (size_t)L * n;
    const float *cache_prob = a->lens.prob + (size_t)L * n;
    for (int l = 0; l < L; l++) {
        int have = l < a->lens_valid && block_done(a, l);
        for (int i = 0; i < n; i++) {
            size_t k = (size_t)l * n + i;
            a->lens.top[k] = have ? cache_top[k] : -1;
            a->lens.prob[k] = have ? cache_prob[k] : 0;
        }
    }
}

int app_lens_reset(struct app *a)
{
    int L = a->model.cfg.n_layer, n = a->fwd.n_tokens;
    app_lens_free(a);
    a->lens.top = malloc(sizeof(int) * (size_t)L * (size_t)n * 2);    // (2, L, n)
    a->lens.prob = malloc(sizeof(float) * (size_t)L * (size_t)n * 2); // (2, L, n)
    if (!a->lens.top || !a->lens.prob) {
        app_lens_free(a);
        return SF_ERR_NOMEM;
    }
    a->lens.n_layer = L;
    a->lens.n = n;
    a->lens_valid = 0;
    a->lens_failed = 0;
    show_rows(a);
    return 0;
}

void app_lens_free(struct app *a)
{
    free(a->lens.top);
    free(a->lens.prob);
    a->lens.top = NULL;
    a->lens.prob = NULL;
    a->lens.n_layer = a->lens.n = 0;
}

int app_lens_waiting(const struct app *a)
{
    return !a->train_view && a->lens.top && !a->lens_failed && a->lens_valid < a->lens.n_layer &&
           block_done(a, a->lens_valid);
}

void app_lens_update(struct app *a)
{
    if (!a->lens.top)
        return;
    if (app_lens_waiting(a)) {
        int l = a->lens_valid, L = a->lens.n_layer, n = a->lens.n;
        size_t at = (size_t)L * n + (size_t)l * n; // block l's row in the cache
        if (graph_logit_lens(&a->fwd, l, a->lens.top + at, a->lens.prob + at) == 0)
            a->lens_valid = l + 1;
        else // out of memory: the rows stay empty until the next pass
            a->lens_failed = 1;
    }
    show_rows(a);
}
