// `stepformer generate`: continues a prompt, token by token, with greedy decoding, random
// sampling (temperature, top-k, top-p, seed) or beam search; for scripts and handouts.
#include "stepformer/cli.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/beam.h"
#include "stepformer/graph.h"
#include "stepformer/sampler.h"
#include "stepformer/text.h"

static const char generate_usage[] =
    "usage: stepformer generate [--model FILE] [--tokenizer FILE] (--prompt TEXT | --ids LIST)\n"
    "                           [--greedy | --temperature T --top-k K --top-p P --seed S]\n"
    "                           [--beam N] [--max-tokens N]\n"
    "\n"
    "  --greedy          always the most probable token (the default)\n"
    "  --temperature T   sample from softmax(u / T) instead (T > 0)\n"
    "  --top-k K         sample among the K most probable tokens only\n"
    "  --top-p P         sample among the fewest tokens whose probability reaches P\n"
    "  --seed S          the seed of the random draws (default 1)\n"
    "  --beam N          beam search with N beams; prints every beam with its log-probability\n"
    "  --max-tokens N    tokens to add (default 20); stops early at an end-of-text token\n"
    "Prints the prompt followed by its continuation.\n";

struct gen_opts {
    const char *model, *tok, *prompt, *ids;
    int greedy, sampling;
    double temperature, top_p;
    long top_k, seed, beam, max_tokens;
};

static int parse_gen_opts(int argc, char **argv, struct gen_opts *o, FILE *out, FILE *err)
{
    *o = (struct gen_opts){.temperature = 1.0, .top_p = 1.0, .seed = 1, .max_tokens = 20};
    for (int i = 0; i < argc; i++) {
        const char *v = NULL, *name = argv[i];
        int r = 0;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(generate_usage, out);
            return 1;
        }
        if (cli_flag(argv, i, "--greedy")) {
            o->greedy = 1;
            continue;
        }
        if ((r = cli_value(argc, argv, &i, "--model", &o->model)) ||
            (r = cli_value(argc, argv, &i, "--tokenizer", &o->tok)) ||
            (r = cli_value(argc, argv, &i, "--prompt", &o->prompt)) ||
            (r = cli_value(argc, argv, &i, "--ids", &o->ids))) {
            if (r < 0)
                goto missing;
            continue;
        }
        char *end = NULL;
        double x = 0;
        long n = 0;
        int is_real = 0, ok = 0;
        if ((r = cli_value(argc, argv, &i, "--temperature", &v)) != 0) {
            is_real = 1;
            ok = r > 0 && (x = strtod(v, &end), end != v && !*end && x > 0 && x <= 100);
            o->temperature = x;
            o->sampling = 1;
        } else if ((r = cli_value(argc, argv, &i, "--top-p", &v)) != 0) {
            is_real = 1;
            ok = r > 0 && (x = strtod(v, &end), end != v && !*end && x > 0 && x <= 1);
            o->top_p = x;
            o->sampling = 1;
        } else if ((r = cli_value(argc, argv, &i, "--top-k", &v)) != 0) {
            ok = r > 0 && !cli_parse_int(v, 1, 10000000, &n);
            o->top_k = n;
            o->sampling = 1;
        } else if ((r = cli_value(argc, argv, &i, "--seed", &v)) != 0) {
            ok = r > 0 && !cli_parse_int(v, 0, 2147483647, &n);
            o->seed = n;
        } else if ((r = cli_value(argc, argv, &i, "--beam", &v)) != 0) {
            ok = r > 0 && !cli_parse_int(v, 1, 64, &n);
            o->beam = n;
        } else if ((r = cli_value(argc, argv, &i, "--max-tokens", &v)) != 0) {
            ok = r > 0 && !cli_parse_int(v, 0, 100000, &n);
            o->max_tokens = n;
        } else {
            fprintf(err,
                    "stepformer: generate: unknown option '%s' (see stepformer generate --help)\n",
                    name);
            return 2;
        }
        if (r < 0)
            goto missing;
        if (!ok) {
            fprintf(err, "stepformer: generate: %s '%s': %s\n", name, v,
                    is_real ? "give a number in range (temperature above 0, top-p in (0, 1])"
                            : "give a whole number in range");
            return 2;
        }
    }
    if (o->greedy && o->sampling) {
        fprintf(err, "stepformer: generate: --greedy cannot be combined with --temperature, "
                     "--top-k or --top-p\n");
        return 2;
    }
    if (o->beam && o->sampling) {
        fprintf(err, "stepformer: generate: --beam searches; it does not sample: drop "
                     "--temperature, --top-k and --top-p\n");
        return 2;
    }
    return 0;
missing:
    fprintf(err, "stepformer: generate: %s needs a value\n", argv[argc - 1]);
    return 2;
}

// The last n_ctx tokens of a sequence: what the model can see.
static const int *window(const int *ids, int n, int ctx, int *len)
{
    *len = n < ctx ? n : ctx;
    return ids + (n - *len);
}

static void print_text(const struct model *m, const int *ids, int n, FILE *out)
{
    size_t size = 16 * (size_t)n + 64;
    char *text = malloc(size);
    if (!text)
        return;
    tokenizer_decode(&m->tok, ids, n, text, size);
    fprintf(out, "%s\n", text);
    free(text);
}

// Greedy or random: the generation graph's sample.* nodes choose each next token.
static int sample_tokens(const struct gen_opts *o, struct model *m, int *ids, int n, FILE *out,
                         FILE *err)
{
    struct graph g = {0};
    struct sampler s;
    struct sf_diag d;
    char msg[900];
    int status = 0;
    sampler_init(&s, !o->sampling, (float)o->temperature, (int)o->top_k, (float)o->top_p,
                 (uint64_t)o->seed);
    sf_diag_clear(&d);
    for (long step = 0; step < o->max_tokens; step++) {
        int len;
        const int *w = window(ids, n, m->cfg.n_ctx, &len);
        int rc = g.nodes ? graph_set_input(&g, w, len, &d)
                         : graph_build_generate(&g, m, w, len, OP_IMPL_FAST, &s, &d);
        if (!rc && graph_run_to_end(&g) < 0)
            rc = sf_diag_set(&d, SF_ERR_ARG, NULL, 0, 0, "the pass failed");
        if (rc) {
            fprintf(err, "stepformer: generate: %s\n", sf_diag_format(&d, msg, sizeof msg));
            status = 1;
            break;
        }
        ids[n++] = g.drawn;
        if (g.drawn == m->tok.eot_id)
            break;
    }
    if (!status)
        print_text(m, ids, n, out);
    graph_free(&g);
    return status;
}

// Beam search: every beam printed with its log-probability, best first.
static int beam_search(const struct gen_opts *o, struct model *m, const int *prompt, int n,
                       FILE *out, FILE *err)
{
    struct beam_search s;
    struct sf_diag d;
    char msg[900];
    sf_diag_clear(&d);
    if (beam_init(&s, m, OP_IMPL_FAST, (int)o->beam, prompt, n, (int)o->max_tokens)) {
        fprintf(err, "stepformer: generate: out of memory for %ld beams\n", o->beam);
        return 1;
    }
    int status = 0;
    for (long step = 0; step < o->max_tokens; step++)
        if (beam_step(&s, &d)) {
            fprintf(err, "stepformer: generate: %s\n", sf_diag_format(&d, msg, sizeof msg));
            status = 1;
            break;
        }
    for (int b = 0; !status && b < s.live; b++) {
        char lp[32];
        text_format(lp, sizeof lp, "%.4f", s.beams[b].logp);
        fprintf(out, "beam %d (log p %s): ", b + 1, lp);
        print_text(m, s.beams[b].ids, s.beams[b].n, out);
    }
    beam_free(&s);
    return status;
}

int cmd_generate(int argc, char **argv, FILE *out, FILE *err)
{
    struct gen_opts o;
    int status = parse_gen_opts(argc, argv, &o, out, err);
    if (status)
        return status == 1 ? 0 : status;
    struct model m = {0};
    int *prompt = NULL, n = 0, *ids = NULL;
    status = 2;
    if (cli_load_model(&m, o.model, o.tok, err) || cli_input(&m, o.ids, o.prompt, &prompt, &n, err))
        goto done;
    for (int i = 0; i < n; i++)
        if (prompt[i] < 0 || prompt[i] >= m.cfg.vocab_size) {
            fprintf(err,
                    "stepformer: generate: token id %d (position %d) is outside the "
                    "vocabulary 0..%d\n",
                    prompt[i], i, m.cfg.vocab_size - 1);
            goto done;
        }
    if (o.beam) {
        status = beam_search(&o, &m, prompt, n, out, err);
    } else {
        ids = malloc(sizeof(int) * (size_t)(n + o.max_tokens));
        if (!ids) {
            status = 1;
            goto done;
        }
        memcpy(ids, prompt, sizeof(int) * (size_t)n);
        status = sample_tokens(&o, &m, ids, n, out, err);
    }
done:
    free(prompt);
    free(ids);
    model_free(&m);
    return status;
}
