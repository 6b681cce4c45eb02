// Fuzz harness: Hugging Face / OpenAI tokenizer files. The first byte picks what the rest is:
// 0 vocab.json (with a small fixed merges.txt), 1 merges.txt (with a small fixed vocab.json of
// the 256 bytes and "ab", "abc"), 2 tokenizer.json. A tokenizer that loads encodes a sample
// text and decodes it.
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/tokenizer.h"

// A vocab.json of the 256 bytes, spelled as GPT-2 spells them, then "ab" and "abc".
static size_t small_vocab(char *out, size_t size)
{
    size_t o = (size_t)snprintf(out, size, "{");
    for (int b = 0, extra = 0; b < 256; b++) {
        int printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
        unsigned cp = printable ? (unsigned)b : 256u + (unsigned)extra++;
        char u[8];
        if (cp == '"' || cp == '\\')
            snprintf(u, sizeof u, "\\%c", (char)cp);
        else if (cp < 0x80)
            snprintf(u, sizeof u, "%c", (char)cp);
        else
            snprintf(u, sizeof u, "%c%c", (char)(0xc0 | cp >> 6), (char)(0x80 | (cp & 0x3f)));
        o += (size_t)snprintf(out + o, size - o, "\"%s\": %d, ", u, b);
    }
    o += (size_t)snprintf(out + o, size - o, "\"ab\": 256, \"abc\": 257}");
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || data[0] > 2)
        return 0;
    static const char merges[] = "#version: 0.2\na b\nab c\n";
    char vocab[8192], fixed_path[64], path[64];
    size_t vlen = small_vocab(vocab, sizeof vocab);
    int fixed = data[0] == 0 ? fuzz_file_open((const uint8_t *)merges, sizeof merges - 1,
                                              fixed_path, sizeof fixed_path)
                : data[0] == 1
                    ? fuzz_file_open((const uint8_t *)vocab, vlen, fixed_path, sizeof fixed_path)
                    : -1;
    int fd = fuzz_file_open(data + 1, size - 1, path, sizeof path);
    struct tokenizer t = {0};
    struct sf_diag d;
    sf_diag_clear(&d);
    int rc = -1;
    if (fd >= 0 && data[0] == 0 && fixed >= 0)
        rc = tokenizer_load_vocab_merges(&t, path, fixed_path, &d);
    else if (fd >= 0 && data[0] == 1 && fixed >= 0)
        rc = tokenizer_load_vocab_merges(&t, fixed_path, path, &d);
    else if (fd >= 0 && data[0] == 2)
        rc = tokenizer_load_hf_json(&t, path, &d);
    fuzz_file_close(fd);
    fuzz_file_close(fixed);
    if (rc)
        return 0;
    static const char sample[] = "abc ab the\xe2\x80\x94's  caf\xc3\xa9\n\n 42\xff";
    int ids[128], n = 0;
    if (tokenizer_encode(&t, sample, ids, 128, &n, &d) == 0) {
        char back[1024];
        tokenizer_decode(&t, ids, n, back, sizeof back);
    }
    tokenizer_free(&t);
    return 0;
}
