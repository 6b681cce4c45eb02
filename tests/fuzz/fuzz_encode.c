// Fuzz harness: encoding text with each kind of tokenizer (GPT-2 byte-pair merges, words,
// characters), then decoding it. The first byte picks the tokenizer (below 0x80: by its value
// mod 3 a small llm.c BPE file, words, characters; from 0x80: GPT-2's own vocab.json and
// merges.txt); the rest is the text.
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/checkpoint.h"
#include "stepformer/tokenizer.h"

// The tokenizers, loaded on the first input and kept for the process (test-only state).
static struct tokenizer bpe, gpt2;
static struct model words, chars;
static int loaded;

static void load(void)
{
    char path[4096];
    struct sf_diag d;
    sf_diag_clear(&d);
    if (tokenizer_load_llmc(&bpe, fuzz_test_data("gpt2_tiny_tokenizer.bin", path, sizeof path),
                            &d) ||
        checkpoint_load(&words, fuzz_asset("models/textbook.sfm", path, sizeof path), &d) ||
        checkpoint_load(&chars, fuzz_asset("models/chars.sfm", path, sizeof path), &d)) {
        fprintf(stderr, "fuzz_encode: %s: %s\n", d.file, d.msg);
        abort();
    }
    char merges[4096];
    if (tokenizer_load_vocab_merges(&gpt2, fuzz_test_data("gpt2/encoder.json", path, sizeof path),
                                    fuzz_test_data("gpt2/vocab.bpe", merges, sizeof merges), &d)) {
        fprintf(stderr, "fuzz_encode: %s: %s\n", d.file, d.msg);
        abort();
    }
    loaded = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loaded)
        load();
    if (size == 0)
        return 0;
    struct tokenizer *t = data[0] >= 0x80    ? &gpt2
                          : data[0] % 3 == 0 ? &bpe
                          : data[0] % 3 == 1 ? &words.tok
                                             : &chars.tok;
    char *text = fuzz_text(data + 1, size - 1);
    int max = (int)size + 16;
    int *ids = malloc(sizeof(int) * (size_t)max);
    if (text && ids) {
        int n = 0;
        struct sf_diag d;
        sf_diag_clear(&d);
        if (tokenizer_encode(t, text, ids, max, &n, &d) == 0) {
            size_t cap = 64 * (size_t)n + 64;
            char *back = malloc(cap);
            if (back)
                tokenizer_decode(t, ids, n, back, cap);
            free(back);
        }
    }
    free(ids);
    free(text);
    return 0;
}
