// `stepformer convert`: writes any model --model opens as a stepformer model (.sfm, the
// tokenizer inside) or as an llm.c GPT-2 checkpoint with its tokenizer file beside it.
#include "stepformer/cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stepformer/checkpoint.h"
#include "stepformer/fileio.h"
#include "stepformer/utf8.h"

static const char convert_usage[] =
    "usage: stepformer convert IN OUT [--format sfm|llmc] [--tokenizer FILE]\n"
    "\n"
    "Writes the model IN (any model stepformer reads: its own, an llm.c GPT-2 checkpoint)\n"
    "as OUT, in the format --format names or, without it, OUT's extension says:\n"
    "  .sfm  a stepformer model: one file with its tokenizer inside, to hand out.\n"
    "  .bin  an llm.c GPT-2 checkpoint (version 3, float32, as llm.c's train_gpt2.py writes\n"
    "        it), and its tokenizer in llm.c's format beside it, named after OUT\n"
    "        (my.bin: my_tokenizer.bin), where stepformer finds it. Only GPT-2's shape\n"
    "        fits (pre-norm, learned positions, GELU, biases, a tied head, a final\n"
    "        LayerNorm, a GPT-2 BPE tokenizer): any other model is refused, saying why.\n"
    "  --format sfm|llmc  the format, whatever OUT is called\n"
    "  --tokenizer FILE   IN's llm.c tokenizer, when it is not beside IN\n"
    "Each file goes to a temporary file renamed into place; OUT is never IN.\n";

// 1 when a and b name the same existing file.
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

// "stepformer: convert: FILE: message" and status 2.
static int fail(FILE *err, const char *file, const char *msg)
{
    char safe[SF_MSG_MAX];
    fprintf(err, "stepformer: convert: %s: %s\n", utf8_safe(safe, sizeof safe, file), msg);
    return 2;
}

// The model's shape in a few words, for the lines that say what was written.
static void describe(const struct model *m, char *buf, size_t size)
{
    const struct model_config *c = &m->cfg;
    snprintf(buf, size, "%d layer%s, %d head%s, d %d, vocabulary %d", c->n_layer,
             c->n_layer == 1 ? "" : "s", c->n_head, c->n_head == 1 ? "" : "s", c->d_model,
             c->vocab_size);
}

// Tries writing the checkpoint and its tokenizer (tok_path, NULL when none) where they go
// before either is written, so that a directory that cannot be written or a full disk leaves
// neither half of the pair. 0, or an error with d filled.
static int try_both(const struct model *m, const char *out_path, const char *tok_path,
                    struct sf_diag *d)
{
    uint64_t floats =
        (uint64_t)m->n_params +
        (uint64_t)(checkpoint_llmc_padded_vocab(m->cfg.vocab_size) - m->cfg.vocab_size) *
            (uint64_t)m->cfg.d_model;
    uint64_t tok_bytes = SF_LLMC_HEADER_BYTES;
    for (int i = 0; tok_path && i < m->tok.n; i++)
        tok_bytes += 1 + (uint64_t)m->tok.lens[i];
    int rc = sf_write_check(out_path, SF_LLMC_HEADER_BYTES + sizeof(float) * floats, d);
    return rc || !tok_path ? rc : sf_write_check(tok_path, tok_bytes, d);
}

// The llm.c checkpoint and, when the model has one, its tokenizer beside it.
static int write_llmc(const struct model *m, const char *in, const char *out_path, FILE *out,
                      FILE *err)
{
    struct sf_diag d;
    sf_diag_clear(&d);
    if (checkpoint_check_llmc(m, out_path, &d)) {
        cli_print_diag(err, "convert", &d);
        return 2;
    }
    char *tok_path = checkpoint_llmc_tokenizer_path(out_path);
    if (!tok_path)
        return fail(err, out_path, "out of memory");
    int status = 0, has_tok = m->tok.kind == TOK_BPE;
    if (has_tok && same_file(tok_path, in))
        status = fail(err, tok_path,
                      "the tokenizer would be written over the model being read "
                      "(IN); name OUT otherwise");
    if (!status && try_both(m, out_path, has_tok ? tok_path : NULL, &d))
        cli_print_diag(err, "convert", &d), status = 2;
    if (!status && has_tok && checkpoint_save_llmc_tokenizer(m, tok_path, &d) != 0)
        cli_print_diag(err, "convert", &d), status = 2;
    if (!status && checkpoint_save_llmc(m, out_path, &d) != 0)
        cli_print_diag(err, "convert", &d), status = 2;
    if (!status) {
        char what[128], safe[SF_MSG_MAX], safe_tok[SF_MSG_MAX];
        describe(m, what, sizeof what);
        utf8_safe(safe, sizeof safe, out_path);
        utf8_safe(safe_tok, sizeof safe_tok, tok_path);
        fprintf(out, "wrote %s: an llm.c GPT-2 checkpoint (version 3, float32), %s padded to %d\n",
                safe, what, checkpoint_llmc_padded_vocab(m->cfg.vocab_size));
        struct stat st;
        if (has_tok)
            fprintf(out, "wrote %s: its tokenizer (%d pieces), which --model %s finds beside it\n",
                    safe_tok, m->tok.n, safe);
        else if (stat(tok_path, &st) == 0)
            fprintf(out,
                    "note: the model has no tokenizer, but %s is there from before and "
                    "--model %s would read it: remove it if it is not this model's\n",
                    safe_tok, safe);
        else
            fprintf(out, "note: the model has no tokenizer, so none was written (--tokenizer FILE "
                         "gives IN one)\n");
    }
    free(tok_path);
    return status;
}

// The stepformer model file, tokenizer inside.
static int write_sfm(const struct model *m, const char *out_path, FILE *out, FILE *err)
{
    struct sf_diag d;
    sf_diag_clear(&d);
    if (checkpoint_save(m, out_path, &d) != 0) {
        cli_print_diag(err, "convert", &d);
        return 2;
    }
    static const char *const kinds[] = {"no tokenizer (--tokenizer FILE gives IN one)",
                                        "its character tokenizer inside",
                                        "its word tokenizer inside", "its BPE tokenizer inside"};
    char what[128], safe[SF_MSG_MAX];
    describe(m, what, sizeof what);
    fprintf(out, "wrote %s: a stepformer model, %s, %s\n", utf8_safe(safe, sizeof safe, out_path),
            what, kinds[m->tok.kind]);
    return 0;
}

int cmd_convert(int argc, char **argv, FILE *out, FILE *err)
{
    const char *in = NULL, *out_path = NULL, *format = NULL, *tokenizer = NULL;
    for (int i = 0; i < argc; i++) {
        int r;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(convert_usage, out);
            return 0;
        }
        if ((r = cli_value(argc, argv, &i, "--format", &format)) == 0)
            r = cli_value(argc, argv, &i, "--tokenizer", &tokenizer);
        if (r < 0) {
            fprintf(err, "stepformer: convert: %s needs a value\n", argv[i]);
            return 2;
        }
        if (r > 0)
            continue;
        if (argv[i][0] == '-' || (in && out_path))
            return cli_unknown_option(err, "convert", argv[i], convert_usage);
        *(in ? &out_path : &in) = argv[i];
    }
    if (!out_path) {
        fprintf(err, "stepformer: convert: needs IN and OUT: stepformer convert IN OUT (see "
                     "stepformer convert --help)\n");
        return 2;
    }
    int llmc;
    if (format && (strcmp(format, "sfm") == 0 || strcmp(format, "llmc") == 0))
        llmc = format[0] == 'l';
    else if (format) {
        char safe[SF_MSG_MAX];
        fprintf(err, "stepformer: convert: --format '%s': use sfm or llmc\n",
                utf8_safe(safe, sizeof safe, format));
        return 2;
    } else if (ends_with(out_path, ".sfm") || ends_with(out_path, ".bin"))
        llmc = ends_with(out_path, ".bin");
    else
        return fail(err, out_path,
                    "the name ends in neither .sfm (a stepformer model) nor .bin (an llm.c "
                    "checkpoint): rename it, or give --format sfm|llmc");
    if (same_file(in, out_path))
        return fail(err, out_path,
                    "is the model being read (IN): converting it onto itself would replace it; "
                    "name another file");
    struct model m;
    struct sf_diag d;
    if (cli_load_model(&m, in, tokenizer, &d) != 0) {
        cli_print_diag(err, "convert", &d);
        return 2;
    }
    int status = llmc ? write_llmc(&m, in, out_path, out, err) : write_sfm(&m, out_path, out, err);
    model_free(&m);
    return status;
}
