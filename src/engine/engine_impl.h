// Internal to the engine: what the stepper calls to run the training nodes (loss, backward,
// optimizer: backward.c) and the sampling nodes (sampling.c).
#ifndef STEPFORMER_ENGINE_IMPL_H
#define STEPFORMER_ENGINE_IMPL_H

#include "stepformer/graph.h"

// Runs a loss.xent, grad.* or adamw.* node. Returns 0 or a negative SF_ERR_*.
int backward_run_node(struct graph *g, struct node *n);

// Runs a sample.* node. Returns 0 or a negative SF_ERR_*.
int sampling_run_node(struct graph *g, struct node *n);

#endif
