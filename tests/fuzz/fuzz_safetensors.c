// Fuzz harness: Hugging Face files. An even first byte: the rest is a safetensors file
// (st_parse), and one that parses is read as a GPT-2 of a fixed tiny shape (1 layer, 1 head,
// d 4, vocabulary 5, context 3) whose forward pass then runs. An odd first byte: the rest is a
// config.json (hf_config_parse).
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/graph.h"
#include "stepformer/hf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct sf_diag d;
    sf_diag_clear(&d);
    struct model_config c;
    if (data[0] & 1) {
        hf_config_parse(&c, (const char *)data + 1, size - 1, "config.json", &d);
        return 0;
    }
    // A copy, so that reads past the end are caught by the sanitizers at its exact length.
    unsigned char *buf = malloc(size - 1 ? size - 1 : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    struct st_file st;
    if (st_parse(&st, buf, size - 1, "model.safetensors", &d) == 0) {
        model_config_gpt2(&c, 1, 1, 4, 5, 3);
        struct model m;
        if (hf_model_from_st(&m, &c, &st, "model.safetensors", &d) == 0) {
            int ids[2] = {0, 4};
            struct graph g = {0};
            if (graph_build(&g, &m, ids, 2, OP_IMPL_REF, &d) == 0)
                graph_run_to_end(&g);
            graph_free(&g);
            model_free(&m);
        }
    }
    st_free(&st);
    free(buf);
    return 0;
}
