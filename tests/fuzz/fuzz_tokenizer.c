// Fuzz harness: llm.c tokenizer files (tokenizer_load_llmc). A file that loads decodes every id
// and encodes a sample text (through byte-pair merges when its pieces allow).
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file_open(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    struct tokenizer t = {0};
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = tokenizer_load_llmc(&t, path, &d);
    fuzz_file_close(fd);
    if (rc)
        return 0;
    int ids[256], n = t.n < 256 ? t.n : 256;
    for (int i = 0; i < n; i++)
        ids[i] = i;
    char text[4096], piece[64];
    tokenizer_decode(&t, ids, n, text, sizeof text);
    for (int i = -1; i <= n; i++)
        tokenizer_piece_str(&t, i, piece, sizeof piece);
    static const char sample[] =
        "So long, and thanks for all the fish!\n  The keys' 42 caf\xc3\xa9s";
    int out[128], got = 0;
    tokenizer_encode(&t, sample, out, 128, &got, &d);
    tokenizer_free(&t);
    return 0;
}
