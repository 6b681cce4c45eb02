// Choosing the next token from the model's distribution (J&M ch. 10.2): top-k and top-p
// truncation, renormalisation, then greedy or random choice. The temperature is applied to
// the logits by the graph's sample.temperature node.
#ifndef STEPFORMER_SAMPLER_H
#define STEPFORMER_SAMPLER_H

#include "stepformer/rng.h"

struct sampler {
    int greedy;        // 1: always the most probable token
    float temperature; // > 0; 1 leaves the distribution as it is
    int top_k;         // 0: no limit
    float top_p;       // 1: no limit
    struct rng rng;    // for random draws
    double last_u;     // the uniform number the last random draw compared (NaN: none yet)
};

void sampler_init(struct sampler *s, int greedy, float temperature, int top_k, float top_p,
                  uint64_t seed);
// Keeps the k most probable tokens, then of those the fewest whose mass reaches top_p
// (V^(p)), and zeroes the rest (without renormalising). order (V) gets the token ids by
// falling probability. Returns how many are kept.
int sampler_cut(const struct sampler *s, float *probs, int V, int *order);
// Divides probs by their sum, so what was kept sums to 1 again.
void sampler_renorm(float *probs, int V);
// sampler_cut, then sampler_renorm.
int sampler_truncate(const struct sampler *s, float *probs, int V, int *order);
// The most probable token (greedy), or a draw from probs (which must sum to 1): a uniform u
// in [0, 1) (kept in s->last_u) against the running mass of the tokens in id order, the first
// whose bin [mass before, mass after) holds u.
int sampler_draw(struct sampler *s, const float *probs, int V);

#endif
