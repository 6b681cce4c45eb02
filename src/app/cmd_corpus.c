// `stepformer corpus`: writes the textbook corpus (training text, held-out text and test
// items) into a directory.
#include "stepformer/cli.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "stepformer/corpus.h"

static const char corpus_usage[] =
    "usage: stepformer corpus --out DIR [--seed N] [--sentences N] [--heldout N]\n"
    "\n"
    "Writes DIR/train.txt, DIR/valid.txt and DIR/items.tsv: simple English from a small\n"
    "grammar with the chapter's examples (agreement across an attractor, a pronoun settled\n"
    "by a later word, the two senses of bank, \"so long and thanks for all the fish\").\n"
    "The held-out text and items use noun pairs never seen together in training.\n"
    "  --seed N        the seed of every choice (default 1)\n"
    "  --sentences N   training sentences (default 60000)\n"
    "  --heldout N     held-out sentences (default 3000)\n";

int cmd_corpus(int argc, char **argv, FILE *out, FILE *err)
{
    const char *dir = NULL;
    long seed = 1, sentences = 60000, heldout = 3000;
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(corpus_usage, out);
            return 0;
        }
        if ((r = cli_value(argc, argv, &i, "--out", &dir)) != 0) {
            if (r < 0)
                goto missing;
            continue;
        }
        long *dest = NULL;
        const char *name = argv[i];
        if ((r = cli_value(argc, argv, &i, "--seed", &v)) != 0)
            dest = &seed;
        else if ((r = cli_value(argc, argv, &i, "--sentences", &v)) != 0)
            dest = &sentences;
        else if ((r = cli_value(argc, argv, &i, "--heldout", &v)) != 0)
            dest = &heldout;
        if (r < 0)
            goto missing;
        if (!dest)
            return cli_unknown_option(err, "corpus", name, corpus_usage);
        long lo = dest == &seed ? 0 : 1, hi = dest == &seed ? 2147483647 : 10000000;
        if (cli_parse_int(v, lo, hi, dest))
            return cli_bad_int(err, "corpus", name, v, lo, hi);
    }
    if (!dir) {
        fprintf(err, "stepformer: corpus: --out DIR is needed\n");
        return 2;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(err, "stepformer: corpus: %s: cannot create the directory: %s\n", dir,
                strerror(errno));
        return 2;
    }
    struct corpus_options o = {(uint64_t)seed, (int)sentences, (int)heldout};
    struct sf_diag d;
    char msg[SF_MSG_MAX];
    sf_diag_clear(&d);
    if (corpus_generate(dir, &o, &d)) {
        fprintf(err, "stepformer: corpus: %s\n", sf_diag_format(&d, msg, sizeof msg));
        return 2;
    }
    fprintf(out, "wrote %s/train.txt, %s/valid.txt and %s/items.tsv\n", dir, dir, dir);
    return 0;
missing:
    fprintf(err, "stepformer: corpus: %s needs a value\n", argv[argc - 1]);
    return 2;
}
