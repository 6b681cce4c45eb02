// The next-token numbers kept beside the pass for the panels: the distribution sampling draws
// from at the last position (recomputed when the logits or the settings change), and the pass
// without the interventions in force (a second pass on the same input, run in slices, kept
// until the input changes).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/fileio.h"
#include "stepformer/text.h"
#include "stepformer/clock.h"
#include "app_priv.h"

// 1 when a head is switched off or the positions are dropped.
static int intervening(const struct app *a)
{
    const struct model_config *c = &a->model.cfg;
    if (a->no_positions)
        return 1;
    for (int i = 0; a->head_off && i < c->n_layer * c->n_head; i++)
        if (a->head_off[i])
            return 1;
    return 0;
}

// 1 when sampling draws from something else than y: a random draw (not greedy, not beam
// search) with a temperature other than 1 or a top-k / top-p cut.
static int sampling_changes_y(const struct app *a)
{
    const struct sampler *s = &a->sampler;
    int V = a->model.cfg.vocab_size;
    return !s->greedy && a->beam <= 1 &&
           (s->temperature != 1.0f || (s->top_k > 0 && s->top_k < V) || s->top_p < 1.0f);
}

// out (V) = the distribution sampling draws from for logits u (V): softmax(u / tau) with the
// graph's kernel, cut to top-k / top-p and renormalised, as the sample.* nodes compute it.
// Returns how many tokens are kept, or -1 without memory.
static int sampled_from(const struct app *a, const float *u, float *out)
{
    int V = a->model.cfg.vocab_size;
    float *t = malloc(sizeof *t * (size_t)V);
    int *order = malloc(sizeof *order * (size_t)V);
    int kept = -1;
    if (t && order) {
        for (int v = 0; v < V; v++)
            t[v] = u[v] / a->sampler.temperature;
        struct tensor in, y;
        tensor_wrap(&in, t, 1, &V);
        tensor_wrap(&y, out, 1, &V);
        if (op_softmax_rows(a->impl, &y, &in) == 0)
            kept = sampler_truncate(&a->sampler, out, V, order);
    }
    free(t);
    free(order);
    return kept;
}

// The key of what sampled was computed from: the logits and the settings.
static uint64_t sampled_key(const struct app *a, const float *u)
{
    const struct sampler *s = &a->sampler;
    uint64_t h = sf_fnv1a(SF_FNV1A_INIT, u, sizeof *u * (size_t)a->model.cfg.vocab_size);
    h = sf_fnv1a(h, &s->temperature, sizeof s->temperature);
    h = sf_fnv1a(h, &s->top_k, sizeof s->top_k);
    return sf_fnv1a(h, &s->top_p, sizeof s->top_p);
}

static void update_sampled(struct app *a)
{
    struct app_next *x = &a->next;
    int V = a->model.cfg.vocab_size, n = a->fwd.n_tokens;
    int lg = graph_find_role(&a->fwd, -1,
                             a->model.cfg.tied ? ROLE_HEAD_LOGITS_TIED : ROLE_HEAD_LOGITS_UNTIED);
    x->aux.sampled = x->aux.sampled_without = NULL;
    if (!sampling_changes_y(a) || lg < 0 || !graph_node_done(&a->fwd, lg))
        return;
    const float *u = a->fwd.nodes[lg].out.data + (size_t)(n - 1) * V;
    uint64_t key = sampled_key(a, u);
    if (!x->sampled && !(x->sampled = malloc(sizeof(float) * 2 * (size_t)V)))
        return;
    if (!x->sampled_valid || key != x->key) {
        x->sampled_valid = (x->aux.kept = sampled_from(a, u, x->sampled)) >= 0;
        x->key = key;
        x->without_sampled_valid = 0;
    }
    if (!x->sampled_valid)
        return;
    x->aux.sampled = x->sampled;
    if (x->aux.without && !x->without_sampled_valid)
        x->without_sampled_valid = sampled_from(a, x->without_logits, x->sampled + V) >= 0;
    if (x->aux.without && x->without_sampled_valid)
        x->aux.sampled_without = x->sampled + V;
}

// 1 when the pass without interventions is for the input on screen.
static int shadow_is_for_input(const struct app *a)
{
    const struct app_next *x = &a->next;
    return x->ids && x->n == a->fwd.n_tokens &&
           memcmp(x->ids, a->fwd.ids, sizeof(int) * (size_t)x->n) == 0;
}

// Asks for the pass without interventions on the input on screen (app_next_tick builds and
// runs it, so a key press never waits for it).
static void shadow_start(struct app *a)
{
    struct app_next *x = &a->next;
    int n = a->fwd.n_tokens;
    free(x->ids);
    free(x->without);
    x->without = NULL;
    x->done = x->failed = x->built = 0;
    x->ids = malloc(sizeof(int) * (size_t)n);
    x->n = n;
    if (!x->ids)
        x->failed = 1;
    else
        memcpy(x->ids, a->fwd.ids, sizeof(int) * (size_t)n);
}

void app_next_update(struct app *a)
{
    struct app_next *x = &a->next;
    x->aux.without = NULL;
    x->aux.without_pending = 0;
    if (a->train_view)
        return;
    if (intervening(a)) {
        if (!shadow_is_for_input(a))
            shadow_start(a);
        x->aux.without = x->done ? x->without : NULL;
        x->aux.without_pending = !x->done && !x->failed;
    } else { // its numbers stay for the input; its memory goes
        graph_free(&x->shadow);
        x->built = 0;
        if (!x->done)
            free(x->ids), x->ids = NULL, x->n = 0;
    }
    update_sampled(a);
}

int app_next_waiting(const struct app *a)
{
    return !a->train_view && a->next.aux.without_pending;
}

// Copies head.probs and the last row of head.logits out of the finished pass.
static void shadow_keep(struct app *a)
{
    struct app_next *x = &a->next;
    struct graph *g = &x->shadow;
    int V = a->model.cfg.vocab_size, probs = graph_find_role(g, -1, ROLE_HEAD_PROBS);
    int lg =
        graph_find_role(g, -1, a->model.cfg.tied ? ROLE_HEAD_LOGITS_TIED : ROLE_HEAD_LOGITS_UNTIED);
    size_t size = sizeof(float) * (size_t)x->n * V;
    x->without = malloc(size + sizeof(float) * (size_t)V);
    if (!x->without) {
        x->failed = 1;
        return;
    }
    memcpy(x->without, g->nodes[probs].out.data, size);
    x->without_logits = x->without + (size_t)x->n * V;
    memcpy(x->without_logits, g->nodes[lg].out.data + (size_t)(x->n - 1) * V,
           sizeof(float) * (size_t)V);
    x->done = 1;
    x->without_sampled_valid = 0;
}

void app_next_tick(struct app *a, int budget_ms)
{
    struct app_next *x = &a->next;
    struct graph *g = &x->shadow;
    if (!app_next_waiting(a))
        return;
    if (!x->built) { // one tick builds (a graph kept from the input before keeps its memory)
        int rc = g->nodes ? graph_set_input(g, x->ids, x->n, NULL)
                          : graph_build(g, &a->model, x->ids, x->n, a->impl, NULL);
        x->built = rc == 0;
        x->failed = rc != 0;
        app_next_update(a);
        return;
    }
    double start = sf_now_ms();
    while (g->cursor < g->n_nodes && sf_now_ms() - start <= budget_ms)
        if (graph_step(g) < 0) {
            x->failed = 1;
            break;
        }
    if (g->cursor >= g->n_nodes && !x->failed)
        shadow_keep(a);
    if (x->failed) {
        graph_free(g);
        x->built = 0;
    }
    app_next_update(a);
}

void app_next_free(struct app *a)
{
    struct app_next *x = &a->next;
    free(x->pinned);
    graph_free(&x->shadow);
    free(x->ids);
    free(x->without);
    free(x->sampled);
    memset(x, 0, sizeof *x);
}
