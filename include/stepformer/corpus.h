// The textbook corpus: simple English from a small grammar, built so that the chapter's
// running examples are in its vocabulary and their phenomena (agreement across an
// attractor, pronoun reference settled by a later word, word sense from context) can be
// learned; with a held-out split whose noun pairs never occur together in training.
#ifndef STEPFORMER_CORPUS_H
#define STEPFORMER_CORPUS_H

#include <stdint.h>

#include "stepformer/err.h"

struct corpus_options {
    uint64_t seed;
    int sentences; // training sentences
    int heldout;   // held-out sentences
};

// The three files' contents in memory (each NUL-terminated, owned): what corpus_generate writes.
struct corpus_text {
    char *train, *valid, *items;
    size_t train_len, valid_len, items_len;
};

// Generates the corpus into t (zeroed first; on error it holds nothing).
int corpus_generate_text(const struct corpus_options *o, struct corpus_text *t, struct sf_diag *d);
void corpus_text_free(struct corpus_text *t);

// Writes DIR/train.txt, DIR/valid.txt (held-out text) and DIR/items.tsv (held-out test
// items, one per line: kind, prefix, right next word, wrong next word, and the 0-based token
// position in the prefix of the noun that decides; kinds "agreement" and "pronoun").
// Every file is written atomically. Same seed, same bytes.
int corpus_generate(const char *dir, const struct corpus_options *o, struct sf_diag *d);

#endif
