// Shared command-line helpers: option matching, model loading and input parsing.
#include "stepformer/cli.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/checkpoint.h"
#include "stepformer/hf.h"
#include "stepformer/datadir.h"
#include "stepformer/palette.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

int cli_flag(char **argv, int i, const char *name)
{
    return strcmp(argv[i], name) == 0;
}

int cli_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (strncmp(a, name, len) != 0)
        return 0;
    if (a[len] == '=') {
        *value = a + len + 1;
        return 1;
    }
    if (a[len] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

int cli_take_value(int *argc, char **argv, const char *name, const char **value)
{
    int kept = 0, r = 0;
    for (int i = 0; i < *argc; i++) {
        const char *v;
        int at = i;
        int got = cli_value(*argc, argv, &i, name, &v);
        if (got > 0)
            *value = v;
        else if (got < 0)
            r = -1;
        else
            argv[kept++] = argv[at];
    }
    *argc = kept;
    return r;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    // As the options have always been read: white space before the number, spaces after it.
    return text_parse_long(s, lo, hi, TEXT_NUM_SPACE_BEFORE | TEXT_NUM_SPACE_AFTER, out);
}

// The options a usage text names: every "--word" in it, and --help. Returns how many; each
// name is a NUL-terminated copy in names[k] (at most max, each cut at 31 bytes).
static int usage_options(const char *usage, char names[][32], int max)
{
    int count = 0;
    snprintf(names[count++], 32, "--help");
    for (const char *p = strstr(usage, "--"); p && count < max; p = strstr(p + 2, "--")) {
        if (p > usage && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
            continue; // inside a word, not an option's start
        size_t n = 2;
        while (isalnum((unsigned char)p[n]) || p[n] == '-')
            n++;
        if (n == 2 || n >= 32)
            continue;
        int seen = 0;
        for (int k = 0; k < count && !seen; k++)
            seen = strncmp(names[k], p, n) == 0 && names[k][n] == '\0';
        if (!seen)
            snprintf(names[count++], 32, "%.*s", (int)n, p);
    }
    return count;
}

int cli_unknown_option(FILE *err, const char *cmd, const char *arg, const char *usage)
{
    char safe[SF_MSG_MAX], near[64] = "";
    const char *cmd_sp = cmd ? " " : "";
    if (arg[0] != '-') {
        fprintf(err, "stepformer: %s%sunexpected '%s' (see stepformer%s%s --help)\n",
                cmd ? cmd : "", cmd ? ": " : "", utf8_safe(safe, sizeof safe, arg), cmd_sp,
                cmd ? cmd : "");
        return 2;
    }
    char names[64][32];
    const char *ptrs[64];
    int count = usage_options(usage, names, 64);
    for (int k = 0; k < count; k++)
        ptrs[k] = names[k];
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
    int k = text_nearest(arg, n, ptrs, count);
    if (k >= 0 && strncmp(names[k], arg, n) == 0 && names[k][n] == '\0')
        k = -1; // named in the usage, but not taken here: no "did you mean" itself
    if (k >= 0)
        snprintf(near, sizeof near, "; did you mean %s?", names[k]);
    fprintf(err, "stepformer: %s%sunknown option '%s'%s (see stepformer%s%s --help)\n",
            cmd ? cmd : "", cmd ? ": " : "", utf8_safe(safe, sizeof safe, arg), near, cmd_sp,
            cmd ? cmd : "");
    return 2;
}

int cli_bad_int(FILE *err, const char *cmd, const char *name, const char *value, long lo, long hi)
{
    char safe[SF_MSG_MAX];
    fprintf(err, "stepformer: %s%s%s '%s': must be a whole number %ld–%ld\n", cmd ? cmd : "",
            cmd ? ": " : "", name, utf8_safe(safe, sizeof safe, value), lo, hi);
    return 2;
}

int cli_parse_impl(const char *s, enum op_impl *out)
{
    if (strcmp(s, "fast") == 0)
        *out = OP_IMPL_FAST;
    else if (strcmp(s, "ref") == 0)
        *out = OP_IMPL_REF;
    else
        return -1;
    return 0;
}

int cli_palette(const char *v, const char **name)
{
    if (!v)
        v = getenv("STEPFORMER_PALETTE");
    *name = v;
    if (!v || !*v)
        return 0;
    enum palette_scheme s;
    return palette_parse(v, &s) ? -1 : 1 + (int)s;
}

// A Hugging Face folder (or its config.json or model.safetensors): the model, then its
// tokenizer. An llm.c tokenizer named by --tokenizer may still be given.
static int load_hf_folder(struct model *m, const char *path, const char *tokenizer_path,
                          struct sf_diag *d)
{
    int rc = hf_load(m, path, d);
    if (rc)
        return rc;
    m->hf_folder = 1;
    if (tokenizer_path) { // an llm.c tokenizer file named on the command line
        if ((rc = checkpoint_load_tokenizer(m, tokenizer_path, d)) != 0)
            model_free(m);
        return rc;
    }
    // The folder's own tokenizer: vocab.json + merges.txt, or tokenizer.json. A folder with
    // none of them keeps the model on token ids (--ids).
    char folder[4096];
    struct tokenizer t;
    if ((rc = hf_folder(path, folder, sizeof folder)) == 0)
        rc = tokenizer_load_hf_dir(&t, folder, d);
    if (rc == SF_ERR_NOTFOUND) {
        sf_diag_clear(d);
        return SF_OK;
    }
    if (rc == 0)
        rc = checkpoint_set_tokenizer(m, &t, folder, d);
    if (rc)
        model_free(m);
    return rc;
}

int cli_load_model(struct model *m, const char *path, const char *tokenizer_path, struct sf_diag *d)
{
    int shipped = 0;
    char shipped_path[4096], why[4096];
    sf_diag_clear(d);
    if (!path)
        path = getenv("STEPFORMER_MODEL");
    if (!path) {
        if (datadir_file(DATADIR_MODELS, "textbook.sfm", shipped_path, sizeof shipped_path, why,
                         sizeof why))
            return sf_diag_set(d, SF_ERR_IO, NULL, 0, 0,
                               "no model given (--model FILE, or STEPFORMER_MODEL), and %s", why);
        path = shipped_path;
        shipped = 1;
    }
    if (!shipped && hf_is_path(path))
        return load_hf_folder(m, path, tokenizer_path, d);
    int rc = checkpoint_load(m, path, d);
    if (rc && shipped && rc == SF_ERR_IO)
        return sf_diag_set(d, rc, NULL, 0, 0,
                           "no model given and the shipped model %s cannot be read: pass --model "
                           "FILE (a stepformer model or an llm.c GPT-2 checkpoint)",
                           path);
    if (rc)
        return rc;
    // A model without a tokenizer takes the one beside it: its own (my.bin: my_tokenizer.bin,
    // as convert writes it), else gpt2_tokenizer.bin, as llm.c lays out gpt2_124M.bin.
    static const char llmc_tokenizer[] = "gpt2_tokenizer.bin";
    char *own = NULL, *beside = NULL;
    if (!tokenizer_path && m->tok.kind == TOK_NONE) {
        const char *slash = strrchr(path, '/');
        size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
        own = checkpoint_llmc_tokenizer_path(path);
        beside = malloc(dir_len + sizeof llmc_tokenizer);
        if (!own || !beside) {
            free(own);
            free(beside);
            model_free(m);
            return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
        }
        memcpy(beside, path, dir_len);
        memcpy(beside + dir_len, llmc_tokenizer, sizeof llmc_tokenizer);
        for (int k = 0; k < 2 && !tokenizer_path; k++) {
            FILE *probe = fopen(k ? beside : own, "rb");
            if (probe) {
                fclose(probe);
                tokenizer_path = k ? beside : own;
            }
        }
    }
    if (tokenizer_path && (rc = checkpoint_load_tokenizer(m, tokenizer_path, d)) != 0)
        model_free(m);
    free(own);
    free(beside);
    return rc;
}

int cli_parse_ids(const char *what, const char *s, int **ids, int *n, struct sf_diag *d)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    int *v = malloc(sizeof *v * cap);
    if (!v)
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    int count = 0, item = 0;
    const char *p = s;
    while (*p) {
        item++;
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char tok[32];
        long id;
        if (len >= sizeof tok || (memcpy(tok, p, len), tok[len] = '\0',
                                  cli_parse_int(tok, INT_MIN, INT_MAX, &id) != 0)) {
            char shown[20 + 1], safe[4 * sizeof shown];
            snprintf(shown, sizeof shown, "%.*s", (int)utf8_cut(p, len, sizeof shown - 1), p);
            free(v);
            return sf_diag_set(d, SF_ERR_ARG, what, 0, 0,
                               "item %d '%s' is not a token id; give comma-separated integers "
                               "such as 3,1,4",
                               item, utf8_safe(safe, sizeof safe, shown));
        }
        v[count++] = (int)id;
        p += len;
        if (*p == ',')
            p++;
    }
    *ids = v;
    *n = count;
    return SF_OK;
}

// The prompt read by the model's tokenizer into a malloc'd *ids.
static int encode_prompt(struct model *m, const char *prompt, int **ids, int *n, struct sf_diag *d)
{
    if (m->tok.kind == TOK_NONE && m->hf_folder)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0,
                           "the Hugging Face folder has no tokenizer files (vocab.json and "
                           "merges.txt, or tokenizer.json), so --prompt cannot be read: download "
                           "them into the folder, or give --ids");
    if (m->tok.kind == TOK_NONE)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0,
                           "this model has no tokenizer, so --prompt cannot be read: give --ids, "
                           "or --tokenizer FILE for an llm.c checkpoint");
    size_t cap = strlen(prompt) + 1;
    int *v = malloc(sizeof *v * cap);
    int fold = cli_input_lowercased(m, prompt);
    char *lower = fold ? malloc(cap) : NULL;
    if (!v || (fold && !lower)) {
        free(v);
        free(lower);
        return sf_diag_set(d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    if (lower) { // a vocabulary without capitals: "The" is read as "the"
        memcpy(lower, prompt, cap);
        tokenizer_lowercase(lower);
    }
    int rc = tokenizer_encode(&m->tok, lower ? lower : prompt, v, (int)cap, n, d);
    free(lower);
    if (rc) {
        snprintf(d->file, sizeof d->file, "--prompt");
        free(v);
        return rc;
    }
    *ids = v;
    return SF_OK;
}

int cli_input(struct model *m, const char *ids_arg, const char *prompt, int **ids, int *n,
              struct sf_diag *d)
{
    *ids = NULL;
    *n = 0;
    sf_diag_clear(d);
    int rc;
    if (ids_arg && prompt)
        return sf_diag_set(d, SF_ERR_ARG, NULL, 0, 0, "give either --ids or --prompt, not both");
    else if (ids_arg)
        rc = cli_parse_ids("--ids", ids_arg, ids, n, d);
    else if (prompt)
        rc = encode_prompt(m, prompt, ids, n, d);
    else
        return sf_diag_set(d, SF_ERR_EMPTY, NULL, 0, 0,
                           "no input: give --prompt TEXT or --ids 3,1,4");
    if (rc)
        return rc;
    if (*n == 0) {
        free(*ids);
        *ids = NULL;
        return sf_diag_set(d, SF_ERR_EMPTY, NULL, 0, 0,
                           "the input is empty: give at least one token");
    }
    return SF_OK;
}

int cli_input_lowercased(const struct model *m, const char *prompt)
{
    return tokenizer_capitals(prompt) > 0 && tokenizer_lowercase_only(&m->tok);
}

int cli_unknown_list(const struct model *m, const char *prompt, const int *ids, int n, char *buf,
                     size_t size)
{
    struct cli_unknown at = {0};
    struct sf_diag note;
    int total = 0, count = 0, listed = 0;
    size_t o = 0;
    buf[0] = 0;
    while (cli_next_unknown(m, prompt, ids, n, &at, &note))
        total++;
    at = (struct cli_unknown){0};
    while (cli_next_unknown(m, prompt, ids, n, &at, &note)) {
        char word[64], item[96];
        // The word as typed, escaped, and cut between characters when it is long.
        utf8_escape(word, sizeof word, prompt + at.a, utf8_cut(prompt + at.a, at.b - at.a, 40), 0);
        int len = text_format(item, sizeof item, "%s'%s'%s (%d)", count ? ", " : "", word,
                              at.b - at.a > 40 ? "…" : "", at.i - 1);
        count++;
        // The last one needs no room after it; another keeps room for ", … and K more".
        char tail[48];
        size_t after = 1 + (count == total ? 0
                                           : (size_t)text_format(tail, sizeof tail,
                                                                 ", … and %d more", total - count));
        if (listed == count - 1 && o + (size_t)len + after <= size) {
            memcpy(buf + o, item, (size_t)len + 1);
            o += (size_t)len;
            listed = count;
        }
    }
    if (listed < count)
        text_format(buf + o, size - o, listed ? ", … and %d more" : "%d words", count - listed);
    return count;
}

int cli_next_unknown(const struct model *m, const char *prompt, const int *ids, int n,
                     struct cli_unknown *at, struct sf_diag *note)
{
    if (m->tok.kind == TOK_BPE) // byte-level BPE reads every text
        return 0;
    // Character and word pieces map 1:1 to ids.
    while (at->i < n && tokenizer_next_piece(m->tok.kind, prompt, &at->a, &at->b)) {
        int i = at->i++;
        if (ids[i] == m->tok.unk_id) {
            char word[SF_MSG_MAX];
            utf8_escape(word, sizeof word, prompt + at->a, at->b - at->a, 0);
            sf_diag_set(note, SF_OK, NULL, 0, 0,
                        "'%s' (token %d) is not in the model's vocabulary; it is read as the "
                        "unknown token",
                        word, i);
            return 1;
        }
    }
    return 0;
}

int cli_input_print(struct model *m, const char *ids_arg, const char *prompt, int **ids, int *n,
                    FILE *err)
{
    struct sf_diag d;
    int rc = cli_input(m, ids_arg, prompt, ids, n, &d);
    if (rc) {
        cli_print_diag(err, NULL, &d);
        return rc;
    }
    if (prompt && cli_input_lowercased(m, prompt)) {
        sf_diag_set(&d, SF_OK, NULL, 0, 0, "%s", CLI_LOWERCASED_NOTE);
        cli_print_diag(err, "note", &d);
    }
    struct cli_unknown at = {0};
    while (prompt && cli_next_unknown(m, prompt, *ids, *n, &at, &d))
        cli_print_diag(err, "note", &d);
    return SF_OK;
}

int cli_load_model_print(struct model *m, const char *path, const char *tokenizer_path, FILE *err)
{
    struct sf_diag d;
    int rc = cli_load_model(m, path, tokenizer_path, &d);
    if (rc)
        cli_print_diag(err, NULL, &d);
    return rc;
}

void cli_print_diag(FILE *err, const char *what, const struct sf_diag *d)
{
    char raw[SF_MSG_MAX], safe[4 * SF_MSG_MAX];
    utf8_safe(safe, sizeof safe, sf_diag_format(d, raw, sizeof raw));
    if (what)
        fprintf(err, "stepformer: %s: %s\n", what, safe);
    else
        fprintf(err, "stepformer: %s\n", safe);
}
