// Fuzz harness: training data (token_data_load: llm.c token files or text) and vocabularies
// built from text (tokenizer_build_from_file). The first byte picks which; the rest is the file.
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "stepformer/checkpoint.h"
#include "stepformer/train.h"

static struct model words; // the textbook model, loaded on the first input (test-only state)
static int loaded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sf_diag d;
    sf_diag_clear(&d);
    if (!loaded) {
        char p[4096];
        if (checkpoint_load(&words, fuzz_asset("models/textbook.sfm", p, sizeof p), &d))
            abort();
        loaded = 1;
    }
    if (size == 0)
        return 0;
    char path[64];
    int fd = fuzz_file_open(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    if (data[0] % 3 == 0) {
        struct token_data td = {0};
        if (token_data_load(&td, path, &words.tok, words.cfg.vocab_size, &d) == 0) {
            struct batcher b;
            int in[2 * 4], tg[2 * 4];
            if (batcher_init(&b, &td, 2, 4, data[0] & 4, 7, &d) == 0)
                for (int i = 0; i < 3; i++)
                    batcher_next(&b, in, tg);
        }
        token_data_free(&td);
    } else {
        struct tokenizer t = {0};
        if (tokenizer_build_from_file(&t, data[0] % 3 == 1 ? TOK_WORD : TOK_CHAR, path, &d) == 0) {
            int ids[64], n = 0;
            tokenizer_encode(&t, "the keys to the cabinet", ids, 64, &n, &d);
        }
        tokenizer_free(&t);
    }
    fuzz_file_close(fd);
    return 0;
}
