// Choosing the next token: temperature, top-k, top-p, renormalisation, greedy or random draw.
#include "stepformer/sampler.h"

#include <math.h>
#include <stdlib.h>

void sampler_init(struct sampler *s, int greedy, float temperature, int top_k, float top_p,
                  uint64_t seed)
{
    s->greedy = greedy;
    s->temperature = temperature;
    s->top_k = top_k;
    s->top_p = top_p;
    s->last_u = NAN;
    rng_seed(&s->rng, seed);
}

struct ranked {
    float p;
    int id;
};

// Falling probability, ties by id.
static int by_prob(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? 1 : -1;
    return x->id - y->id;
}

int sampler_cut(const struct sampler *s, float *probs, int V, int *order)
{
    struct ranked *r = malloc(sizeof *r * (size_t)V);
    if (r) {
        for (int v = 0; v < V; v++)
            r[v] = (struct ranked){probs[v], v};
        qsort(r, (size_t)V, sizeof *r, by_prob);
        for (int v = 0; v < V; v++)
            order[v] = r[v].id;
        free(r);
    } else { // no memory to sort: keep everything, in id order
        for (int v = 0; v < V; v++)
            order[v] = v;
        return V;
    }
    int keep = (s->top_k > 0 && s->top_k < V) ? s->top_k : V;
    if (s->top_p < 1.0f) {
        // The smallest prefix of the sorted list whose mass reaches p.
        double mass = 0;
        int n = 0;
        while (n < keep && mass < s->top_p)
            mass += probs[order[n++]];
        keep = n;
    }
    for (int i = keep; i < V; i++)
        probs[order[i]] = 0.0f;
    return keep;
}

void sampler_renorm(float *probs, int V)
{
    double sum = 0;
    for (int v = 0; v < V; v++)
        sum += probs[v];
    if (sum > 0)
        for (int v = 0; v < V; v++)
            probs[v] = (float)(probs[v] / sum);
}

int sampler_truncate(const struct sampler *s, float *probs, int V, int *order)
{
    int keep = sampler_cut(s, probs, V, order);
    sampler_renorm(probs, V);
    return keep;
}

int sampler_draw(struct sampler *s, const float *probs, int V)
{
    if (s->greedy) {
        int best = 0;
        for (int v = 1; v < V; v++)
            if (probs[v] > probs[best])
                best = v;
        return best;
    }
    // Inverse CDF: the first token whose running mass passes a uniform draw.
    double u = rng_uniform(&s->rng), run = 0;
    s->last_u = u;
    int last = 0;
    for (int v = 0; v < V; v++) {
        if (probs[v] <= 0.0f)
            continue;
        last = v;
        run += probs[v];
        if (u < run)
            return v;
    }
    return last;
}
