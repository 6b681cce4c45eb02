// `stepformer generate`: continues a prompt, token by token, with greedy decoding, random
// sampling (temperature, top-k, top-p, seed) or beam search; for scripts and handouts.
#include "stepformer/cli.h"

#include <stdlib.h>
#include <string.h>

#include "stepformer/beam.h"
#include "stepformer/graph.h"
#include "stepformer/sampler.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

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
    char safe[400];
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
        // Reals as --temperature and --top-p have always been read: white space may come before
        // (none after), a number too small for full precision is what it rounds to, and the
        // lower end is open (0 itself is refused).
        const unsigned real = TEXT_NUM_SPACE_BEFORE | TEXT_NUM_UNDERFLOW;
        double x = 0;
        long n = 0, lo = 0, hi = 0; // a whole number's range
        int is_real = 0, ok = 0;
        if ((r = cli_value(argc, argv, &i, "--temperature", &v)) != 0) {
            is_real = 1;
            ok = r > 0 && !text_parse_double(v, 0, 100, real, &x) && x > 0;
            o->temperature = x;
            o->sampling = 1;
        } else if ((r = cli_value(argc, argv, &i, "--top-p", &v)) != 0) {
            is_real = 1;
            ok = r > 0 && !text_parse_double(v, 0, 1, real, &x) && x > 0;
            o->top_p = x;
            o->sampling = 1;
        } else if ((r = cli_value(argc, argv, &i, "--top-k", &v)) != 0) {
            lo = 1, hi = 10000000;
            ok = r > 0 && !cli_parse_int(v, lo, hi, &n);
            o->top_k = n;
            o->sampling = 1;
        } else if ((r = cli_value(argc, argv, &i, "--seed", &v)) != 0) {
            lo = 0, hi = 2147483647;
            ok = r > 0 && !cli_parse_int(v, lo, hi, &n);
            o->seed = n;
        } else if ((r = cli_value(argc, argv, &i, "--beam", &v)) != 0) {
            lo = 1, hi = 64;
            ok = r > 0 && !cli_parse_int(v, lo, hi, &n);
            o->beam = n;
        } else if ((r = cli_value(argc, argv, &i, "--max-tokens", &v)) != 0) {
            lo = 0, hi = 100000;
            ok = r > 0 && !cli_parse_int(v, lo, hi, &n);
            o->max_tokens = n;
        } else {
            return cli_unknown_option(err, "generate", name, generate_usage);
        }
        if (r < 0)
            goto missing;
        char opt[32]; // the option without "=VALUE"
        snprintf(opt, sizeof opt, "%.*s", (int)strcspn(name, "="), name);
        if (!ok && !is_real)
            return cli_bad_int(err, "generate", opt, v, lo, hi);
        if (!ok) {
            fprintf(err, "stepformer: generate: %s '%s': must be a number %s\n", opt,
                    utf8_safe(safe, sizeof safe, v),
                    strcmp(opt, "--top-p") == 0 ? "above 0 and at most 1"
                                                : "above 0 and at most 100");
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

// The text of a sequence printed token by token, as tokenizer_decode joins it (word pieces
// separated by spaces, character and byte pieces as they are), escaped by utf8_stream so
// that a model's vocabulary cannot drive the terminal.
struct printer {
    const struct tokenizer *tok;
    struct utf8_stream text;
    char *buf; // scratch for decoding two tokens
    size_t cap;
};

static void printer_init(struct printer *p, const struct tokenizer *tok, FILE *out, unsigned flags)
{
    memset(p, 0, sizeof *p);
    p->tok = tok;
    utf8_stream_init(&p->text, out, flags);
}

// Bytes that decoding id can take: its piece, or "<id>", and a separating space.
static size_t decoded_size(const struct tokenizer *tok, int id)
{
    int len = 0;
    return (tokenizer_piece(tok, id, &len) ? (size_t)len : 0) + 16;
}

// Prints token i of ids as it reads after tokens 0..i-1: the decoding of (ids[i-1], ids[i])
// without that of ids[i-1], so the joining rule stays tokenizer_decode's.
static int printer_token(struct printer *p, const int *ids, int i)
{
    const int *from = ids + (i > 0 ? i - 1 : i);
    int n = i > 0 ? 2 : 1;
    size_t need = decoded_size(p->tok, from[0]) + (n == 2 ? decoded_size(p->tok, from[1]) : 0);
    if (need > p->cap) {
        char *b = realloc(p->buf, need);
        if (!b)
            return SF_ERR_NOMEM;
        p->buf = b;
        p->cap = need;
    }
    size_t before = n == 2 ? tokenizer_decode(p->tok, from, 1, p->buf, p->cap) : 0;
    size_t all = tokenizer_decode(p->tok, from, n, p->buf, p->cap);
    utf8_stream_put(&p->text, p->buf + before, all - before);
    return SF_OK;
}

// Ends the text (a character cut short shows escaped) and the line.
static void printer_end(struct printer *p)
{
    utf8_stream_end(&p->text);
    fputc('\n', p->text.f);
    fflush(p->text.f);
    free(p->buf);
    p->buf = NULL;
}

static int stopped(const volatile sig_atomic_t *stop)
{
    return stop && *stop;
}

// Greedy or random: the generation graph's sample.* nodes choose each next token, which is
// printed (and flushed) as soon as it is drawn; the prompt comes out with the first one.
static int sample_tokens(const struct gen_opts *o, struct model *m, int *ids, int n, FILE *out,
                         FILE *err, const volatile sig_atomic_t *stop)
{
    struct graph g = {0};
    struct sampler s;
    struct sf_diag d;
    struct printer p;
    int status = 0, printed = 0;
    long made = 0;
    sampler_init(&s, !o->sampling, (float)o->temperature, (int)o->top_k, (float)o->top_p,
                 (uint64_t)o->seed);
    sf_diag_clear(&d);
    printer_init(&p, &m->tok, out, UTF8_KEEP_LINES);
    for (; made < o->max_tokens && !stopped(stop); made++) {
        int len;
        const int *w = window(ids, n, m->cfg.n_ctx, &len);
        int rc = g.nodes ? graph_set_input(&g, w, len, &d)
                         : graph_build_generate(&g, m, w, len, OP_IMPL_FAST, &s, &d);
        if (!rc && graph_run_to_end(&g) < 0)
            rc = sf_diag_set(&d, SF_ERR_ARG, NULL, 0, 0, "the pass failed");
        if (rc) {
            cli_print_diag(err, "generate", &d);
            status = 2;
            break;
        }
        ids[n++] = g.drawn;
        for (; printed < n && !status; printed++)
            status = printer_token(&p, ids, printed) ? 2 : 0;
        fflush(out);
        if (g.drawn == m->tok.eot_id || status)
            break;
    }
    for (; printed < n && !status; printed++) // the prompt alone (--max-tokens 0, or stopped)
        status = printer_token(&p, ids, printed) ? 2 : 0;
    if (printed > 0)
        printer_end(&p);
    free(p.buf);
    graph_free(&g);
    if (!status && stopped(stop)) {
        fprintf(err, "stepformer: generate: stopped after %ld of %ld tokens\n", made,
                o->max_tokens);
        status = 130;
    }
    return status;
}

// Beam search: every beam printed with its log-probability, best first, on one line each. The
// beams change until the last step, so they are printed at the end (or when stopped: the best
// ones so far).
static int beam_search(const struct gen_opts *o, struct model *m, const int *prompt, int n,
                       FILE *out, FILE *err, const volatile sig_atomic_t *stop)
{
    struct beam_search s;
    struct sf_diag d;
    sf_diag_clear(&d);
    if (beam_init(&s, m, OP_IMPL_FAST, (int)o->beam, prompt, n, (int)o->max_tokens)) {
        fprintf(err, "stepformer: generate: out of memory for %ld beams\n", o->beam);
        return 2;
    }
    int status = 0;
    long step = 0;
    for (; step < o->max_tokens && !stopped(stop); step++)
        if (beam_step(&s, &d)) {
            cli_print_diag(err, "generate", &d);
            status = 2;
            break;
        }
    for (int b = 0; !status && b < s.live; b++) {
        char lp[32];
        struct printer p;
        text_format(lp, sizeof lp, "%.4f", s.beams[b].logp);
        fprintf(out, "beam %d (log p %s): ", b + 1, lp);
        printer_init(&p, &m->tok, out, 0);
        for (int i = 0; i < s.beams[b].n && !status; i++)
            status = printer_token(&p, s.beams[b].ids, i) ? 2 : 0;
        printer_end(&p);
    }
    if (!status && stopped(stop)) {
        fprintf(err,
                "stepformer: generate: stopped after %ld of %ld steps: the best beams so "
                "far\n",
                step, o->max_tokens);
        status = 130;
    }
    beam_free(&s);
    return status;
}

int cmd_generate(int argc, char **argv, FILE *out, FILE *err, const volatile sig_atomic_t *stop)
{
    struct gen_opts o;
    int status = parse_gen_opts(argc, argv, &o, out, err);
    if (status)
        return status == 1 ? 0 : status;
    struct model m = {0};
    int *prompt = NULL, n = 0, *ids = NULL;
    status = 2;
    if (cli_load_model_print(&m, o.model, o.tok, err) ||
        cli_input_print(&m, o.ids, o.prompt, &prompt, &n, err))
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
        status = beam_search(&o, &m, prompt, n, out, err, stop);
    } else {
        ids = malloc(sizeof(int) * (size_t)(n + o.max_tokens));
        if (!ids) {
            status = 2;
            goto done;
        }
        memcpy(ids, prompt, sizeof(int) * (size_t)n);
        status = sample_tokens(&o, &m, ids, n, out, err, stop);
    }
done:
    free(prompt);
    free(ids);
    model_free(&m);
    return status;
}
