// The logit lens of the forward pass: a row per block computed once per pass (a cache in the
// second half of each array), and the rows of the blocks that have run shown in the first half.
#include <stdlib.h>

#include "app_priv.h"

// Sets up the logit lens for the forward graph's size (after a rebuild).
int app_lens_reset(struct app *a)
{
    int L = a->model.cfg.n_layer, n = a->fwd.n_tokens;
    free(a->lens.top);
    free(a->lens.prob);
    a->lens.top = malloc(sizeof(int) * (size_t)L * (size_t)n * 2);
    a->lens.prob = malloc(sizeof(float) * (size_t)L * (size_t)n * 2);
    if (!a->lens.top || !a->lens.prob)
        return SF_ERR_NOMEM;
    a->lens.n_layer = L;
    a->lens.n = n;
    a->lens_valid = 0;
    a->lens_pending = 0;
    return 0;
}

// The lens rows for blocks that have run: computed once per pass (a cache in the second half
// of each array), at most one new block per call (one block of GPT-2 is tens of
// milliseconds; lens_pending asks for another call), shown only while the block is done.
void app_lens_update(struct app *a)
{
    int computed = 0;
    a->lens_pending = 0;
    const struct graph *g = &a->fwd;
    int L = a->lens.n_layer, n = a->lens.n;
    int *cache_top = a->lens.top + (size_t)L * n;
    float *cache_prob = a->lens.prob + (size_t)L * n;
    for (int l = 0; l < L; l++) {
        int done = graph_node_done(g, graph_block_end(g, l));
        if (done && l == a->lens_valid) {
            if (computed)
                a->lens_pending = 1;
            else if (graph_logit_lens(g, l, cache_top + (size_t)l * n,
                                      cache_prob + (size_t)l * n) == 0)
                a->lens_valid = l + 1, computed = 1;
        }
        for (int i = 0; i < n; i++) {
            int have = done && l < a->lens_valid;
            a->lens.top[(size_t)l * n + i] = have ? cache_top[(size_t)l * n + i] : -1;
            a->lens.prob[(size_t)l * n + i] = have ? cache_prob[(size_t)l * n + i] : 0;
        }
    }
}
