// Dense row-major float32 tensors that borrow their data (from an arena or a parameter block).
#ifndef STEPFORMER_TENSOR_H
#define STEPFORMER_TENSOR_H

#include <stddef.h>
#include <stdio.h>

#include "stepformer/arena.h"

#define SF_MAX_DIMS 4

// shape is outermost dimension first. ndim == 0 with data == NULL means "absent"
// (for example the bias of a model without biases).
struct tensor {
    float *data;
    int ndim;
    int shape[SF_MAX_DIMS];
};

size_t tensor_numel(const struct tensor *t);
int tensor_present(const struct tensor *t);
// Points t at `data` with the given shape (no allocation).
void tensor_wrap(struct tensor *t, float *data, int ndim, const int *shape);
// Allocates zeroed storage from the arena. Returns 0 or SF_ERR_NOMEM / SF_ERR_SHAPE.
int tensor_alloc(struct tensor *t, struct arena *a, int ndim, const int *shape);
// Convenience: shapes given as arguments (unused trailing dims ignored).
int tensor_alloc2(struct tensor *t, struct arena *a, int d0, int d1);
int tensor_alloc3(struct tensor *t, struct arena *a, int d0, int d1, int d2);
int tensor_same_shape(const struct tensor *a, const struct tensor *b);
// Writes "(2, 3, 4)" into buf.
const char *tensor_shape_str(const struct tensor *t, char *buf, size_t size);
// Writes t as a NumPy .npy (format 1.0, '<f4', C order). Returns 0 or SF_ERR_IO.
int tensor_write_npy(const struct tensor *t, FILE *f);

#endif
