// Fuzz harness: model files, native and llm.c checkpoints (checkpoint_read). A file that loads
// runs a forward pass on the reference kernels and is written back and read again.
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "stepformer/checkpoint.h"
#include "stepformer/graph.h"

// A file that loads may still be too large to run each time (its weights are in the file,
// so this bounds the work by the input's size).
#define FUZZ_MAX_PARAMS (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    struct model m = {0};
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = checkpoint_read(&m, f, "fuzz.sfm", &d);
    fclose(f);
    if (rc)
        return 0;
    if (m.n_params <= FUZZ_MAX_PARAMS) {
        int ids[2] = {0, m.cfg.vocab_size > 1 ? 1 : 0}, n = m.cfg.n_ctx >= 2 ? 2 : 1;
        struct graph g = {0};
        if (graph_build(&g, &m, ids, n, OP_IMPL_REF, &d) == 0)
            graph_run_to_end(&g);
        graph_free(&g);
        if (m.tok.kind != TOK_NONE) {
            char *copy = NULL;
            size_t len = 0;
            FILE *w = open_memstream(&copy, &len);
            if (w && checkpoint_write(&m, w) == 0) {
                fclose(w);
                w = NULL;
                FILE *r = fmemopen(copy, len, "rb");
                struct model back = {0};
                if (r && checkpoint_read(&back, r, "copy.sfm", &d) != 0)
                    abort(); // a model that was read must be written so that it reads back
                if (r)
                    fclose(r);
                model_free(&back);
            }
            if (w)
                fclose(w);
            free(copy);
        }
    }
    model_free(&m);
    return 0;
}
