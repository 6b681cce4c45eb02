// Shared command-line helpers: option matching, model loading and input parsing.
#include "stepformer/cli.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/checkpoint.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

#ifndef SF_DEFAULT_MODEL
#define SF_DEFAULT_MODEL "assets/models/textbook.sfm"
#endif

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

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    // As the options have always been read: white space before the number, spaces after it.
    return text_parse_long(s, lo, hi, TEXT_NUM_SPACE_BEFORE | TEXT_NUM_SPACE_AFTER, out);
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

int cli_load_model(struct model *m, const char *path, const char *tokenizer_path, FILE *err)
{
    struct sf_diag d;
    char buf[900];
    sf_diag_clear(&d);
    int shipped = 0;
    if (!path)
        path = getenv("STEPFORMER_MODEL");
    if (!path) {
        path = SF_DEFAULT_MODEL;
        shipped = 1;
    }
    int rc = checkpoint_load(m, path, &d);
    if (rc && shipped && rc == SF_ERR_IO) {
        fprintf(err,
                "stepformer: no model given and the shipped model %s cannot be read: pass "
                "--model FILE (a stepformer model or an llm.c GPT-2 checkpoint)\n",
                utf8_safe(buf, sizeof buf, path));
        return rc;
    }
    if (rc) {
        cli_print_diag(err, NULL, &d);
        return rc;
    }
    // llm.c keeps gpt2_tokenizer.bin beside gpt2_124M.bin: use it when no tokenizer is named.
    static const char llmc_tokenizer[] = "gpt2_tokenizer.bin";
    char *beside = NULL;
    if (!tokenizer_path && m->tok.kind == TOK_NONE) {
        const char *slash = strrchr(path, '/');
        size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
        beside = malloc(dir_len + sizeof llmc_tokenizer);
        if (!beside) {
            fprintf(err, "stepformer: out of memory\n");
            model_free(m);
            return SF_ERR_NOMEM;
        }
        memcpy(beside, path, dir_len);
        memcpy(beside + dir_len, llmc_tokenizer, sizeof llmc_tokenizer);
        FILE *probe = fopen(beside, "rb");
        if (probe) {
            fclose(probe);
            tokenizer_path = beside;
        }
    }
    if (tokenizer_path) {
        rc = checkpoint_load_tokenizer(m, tokenizer_path, &d);
        if (rc) {
            cli_print_diag(err, NULL, &d);
            free(beside);
            model_free(m);
            return rc;
        }
    }
    free(beside);
    return SF_OK;
}

int cli_parse_ids(const char *what, const char *s, int **ids, int *n, FILE *err)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++)
        cap += *p == ',';
    int *v = malloc(sizeof *v * cap);
    if (!v)
        return SF_ERR_NOMEM;
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
            fprintf(err,
                    "stepformer: %s: item %d '%s' is not a token id; give comma-separated "
                    "integers such as 3,1,4\n",
                    what, item, utf8_safe(safe, sizeof safe, shown));
            free(v);
            return SF_ERR_ARG;
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

int cli_input(struct model *m, const char *ids_arg, const char *prompt, int **ids, int *n,
              FILE *err)
{
    *ids = NULL;
    *n = 0;
    if (ids_arg && prompt) {
        fprintf(err, "stepformer: give either --ids or --prompt, not both\n");
        return SF_ERR_ARG;
    }
    int rc;
    if (ids_arg) {
        rc = cli_parse_ids("--ids", ids_arg, ids, n, err);
    } else if (prompt) {
        if (m->tok.kind == TOK_NONE) {
            fprintf(err, "stepformer: this model has no tokenizer, so --prompt cannot be read: "
                         "give --ids, or --tokenizer FILE for an llm.c checkpoint\n");
            return SF_ERR_ARG;
        }
        size_t cap = strlen(prompt) + 1;
        int *v = malloc(sizeof *v * cap);
        if (!v)
            return SF_ERR_NOMEM;
        struct sf_diag d;
        char buf[900];
        sf_diag_clear(&d);
        rc = tokenizer_encode(&m->tok, prompt, v, (int)cap, n, &d);
        if (rc) {
            snprintf(d.file, sizeof d.file, "--prompt");
            cli_print_diag(err, NULL, &d);
            free(v);
            return rc;
        }
        *ids = v;
        // Say which words the model does not know (character and word pieces map 1:1 to ids).
        size_t a = 0, b = 0;
        for (int i = 0; i < *n && tokenizer_next_piece(m->tok.kind, prompt, &a, &b); i++)
            if (v[i] == m->tok.unk_id && m->tok.kind != TOK_BPE) {
                utf8_escape(buf, sizeof buf, prompt + a, b - a, 0);
                fprintf(err,
                        "stepformer: note: '%s' (token %d) is not in the model's vocabulary; "
                        "it is read as the unknown token\n",
                        buf, i);
            }
    } else {
        fprintf(err, "stepformer: no input: give --prompt TEXT or --ids 3,1,4\n");
        return SF_ERR_EMPTY;
    }
    if (rc)
        return rc;
    if (*n == 0) {
        fprintf(err, "stepformer: the input is empty: give at least one token\n");
        free(*ids);
        *ids = NULL;
        return SF_ERR_EMPTY;
    }
    return SF_OK;
}

void cli_print_diag(FILE *err, const char *what, const struct sf_diag *d)
{
    char raw[900], safe[1800];
    utf8_safe(safe, sizeof safe, sf_diag_format(d, raw, sizeof raw));
    if (what)
        fprintf(err, "stepformer: %s: %s\n", what, safe);
    else
        fprintf(err, "stepformer: %s\n", safe);
}
