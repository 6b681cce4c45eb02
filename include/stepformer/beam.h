// Beam search (J&M ch. 10.2): keeps the `width` continuations of highest total
// log-probability, extending each by its `width` most probable next tokens at every step.
#ifndef STEPFORMER_BEAM_H
#define STEPFORMER_BEAM_H

#include "stepformer/graph.h"

struct beam {
    int *ids; // the prompt and what was added
    int n;
    double logp; // log-probability of what was added
};

struct beam_search {
    const struct model *model; // borrowed
    enum op_impl impl;         // the kernel twin of the forward passes
    int width, cap, live;      // live: beams in use (1 at the start)
    struct beam *beams, *cand; // (width), (width * width)
    float *lp;                 // (V) scratch
    int *order;                // (V) scratch
    struct graph g;
};

// Starts from the prompt; room for max_new added tokens. Returns 0 or SF_ERR_NOMEM.
int beam_init(struct beam_search *s, const struct model *m, enum op_impl impl, int width,
              const int *prompt, int n, int max_new);
// Extends every live beam by one token and keeps the best `width`, best first. Returns 0,
// SF_ERR_RANGE when the room is used up, or an error from the graph (d says which).
int beam_step(struct beam_search *s, struct sf_diag *d);
void beam_free(struct beam_search *s);

#endif
