// Internal: the fast kernel twins (cblas and vectorised loops in ops_blas.c), with the same
// signatures as the reference twins in ops_ref.h, which they fall back on.
#ifndef STEPFORMER_OPS_BLAS_H
#define STEPFORMER_OPS_BLAS_H

#include "ops_ref.h"
#include "stepformer/ops.h"

SF_OPS_TWINS(fast_)
SF_OPS_GRAD_TWINS(fast_)

// The BLAS library and the kernel it runs, e.g. "OpenBLAS 0.3.21 ... SkylakeX".
const char *fast_backend_name(void);

#endif
