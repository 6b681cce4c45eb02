// `stepformer train`: trains a model on a text or llm.c token file, with progress, periodic
// evaluation and checkpoints (model plus training state) that --resume continues from.
#include "stepformer/cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stepformer/checkpoint.h"
#include "stepformer/train.h"

static const char train_usage[] =
    "usage: stepformer train --data FILE --out FILE [--model FILE | --config SPEC]\n"
    "                        [--batch B] [--seq T] [--steps N] [--lr X] [--weight-decay X]\n"
    "                        [--beta1 X] [--beta2 X] [--eps X] [--seed N] [--shuffle]\n"
    "                        [--val-data FILE] [--eval-every N] [--save-every N] [--resume]\n"
    "\n"
    "  --data FILE       text (tokenized with the model's tokenizer) or an llm.c token file\n"
    "  --out FILE        where the model is written (and FILE.state, the training state)\n"
    "  --model FILE      start from this model (stepformer or llm.c); default: the shipped one\n"
    "  --config SPEC     start from a new model instead: textbook, notebook or gpt2, then\n"
    "                    optional ,layers=N ,heads=N ,dim=N ,ff=N ,ctx=N ,vocab=word|char\n"
    "                    (the vocabulary is built from the --data text); e.g.\n"
    "                    --config textbook,layers=2,heads=4,dim=64\n"
    "  --batch B --seq T sequences per step and tokens per sequence (default 4, and 64 or\n"
    "                    the model's context if that is shorter)\n"
    "  --steps N         training steps in all (default 100)\n"
    "  --lr --weight-decay --beta1 --beta2 --eps   AdamW, as torch.optim.AdamW\n"
    "                    (defaults 1e-3, 0.01, 0.9, 0.999, 1e-8)\n"
    "  --seed N          the seed of new weights and of --shuffle (default 1337)\n"
    "  --shuffle         start each batch at a random place (default: in order, as llm.c)\n"
    "  --val-data FILE --eval-every N   mean loss on 4 batches of FILE every N steps\n"
    "  --save-every N    also write the checkpoint every N steps (always at the end and on\n"
    "                    Ctrl-C)\n"
    "  --resume          continue the run saved at --out (its model and FILE.state)\n";

struct train_opts {
    const char *data, *out, *model, *config, *val_data, *impl;
    long batch, seq, steps, seed, eval_every, save_every;
    double lr, wd, beta1, beta2, eps;
    int shuffle, resume;
    enum op_impl kernels; // from impl
};

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

// Parses the options; 0, 1 after --help, 2 after a message.
static int parse_train_opts(int argc, char **argv, struct train_opts *o, FILE *out, FILE *err)
{
    *o = (struct train_opts){.batch = 4,
                             .seq = 0,
                             .steps = 100,
                             .seed = 1337,
                             .lr = 1e-3,
                             .wd = 0.01,
                             .beta1 = 0.9,
                             .beta2 = 0.999,
                             .eps = 1e-8,
                             .impl = "fast"};
    const struct {
        const char *name;
        const char **dest;
    } strs[] = {{"--data", &o->data},     {"--out", &o->out},           {"--model", &o->model},
                {"--config", &o->config}, {"--val-data", &o->val_data}, {"--impl", &o->impl}};
    const struct {
        const char *name;
        long *dest;
        long lo, hi;
    } ints[] = {{"--batch", &o->batch, 1, 4096},
                {"--seq", &o->seq, 1, SF_MAX_CTX},
                {"--steps", &o->steps, 0, 100000000},
                {"--seed", &o->seed, 0, 2147483647},
                {"--eval-every", &o->eval_every, 0, 100000000},
                {"--save-every", &o->save_every, 0, 100000000}};
    const struct {
        const char *name;
        double *dest;
        double lo, hi;
    } reals[] = {{"--lr", &o->lr, 0, 10},
                 {"--weight-decay", &o->wd, 0, 10},
                 {"--beta1", &o->beta1, 0, 0.9999999},
                 {"--beta2", &o->beta2, 0, 0.9999999},
                 {"--eps", &o->eps, 1e-30, 1}};
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int r = 0;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(train_usage, out);
            return 1;
        }
        if (cli_flag(argv, i, "--shuffle") || cli_flag(argv, i, "--resume")) {
            *(strcmp(argv[i], "--shuffle") == 0 ? &o->shuffle : &o->resume) = 1;
            continue;
        }
        for (size_t k = 0; k < sizeof strs / sizeof strs[0] && !r; k++)
            r = cli_value(argc, argv, &i, strs[k].name, strs[k].dest);
        for (size_t k = 0; k < sizeof ints / sizeof ints[0] && !r; k++)
            if ((r = cli_value(argc, argv, &i, ints[k].name, &v)) > 0 &&
                cli_parse_int(v, ints[k].lo, ints[k].hi, ints[k].dest)) {
                fprintf(err, "stepformer: train: %s '%s': give a whole number from %ld to %ld\n",
                        ints[k].name, v, ints[k].lo, ints[k].hi);
                return 2;
            }
        for (size_t k = 0; k < sizeof reals / sizeof reals[0] && !r; k++)
            if ((r = cli_value(argc, argv, &i, reals[k].name, &v)) > 0 &&
                parse_double(v, reals[k].lo, reals[k].hi, reals[k].dest)) {
                fprintf(err, "stepformer: train: %s '%s': give a number from %g to %g\n",
                        reals[k].name, v, reals[k].lo, reals[k].hi);
                return 2;
            }
        if (r < 0) {
            fprintf(err, "stepformer: train: %s needs a value (see stepformer train --help)\n",
                    argv[i]);
            return 2;
        }
        if (r == 0) {
            fprintf(err, "stepformer: train: unknown option '%s' (see stepformer train --help)\n",
                    argv[i]);
            return 2;
        }
    }
    if (!o->data || !o->out) {
        fprintf(err, "stepformer: train: --data FILE and --out FILE are needed (see stepformer "
                     "train --help)\n");
        return 2;
    }
    if (o->model && o->config) {
        fprintf(err, "stepformer: train: give --model or --config, not both\n");
        return 2;
    }
    if (o->resume && (o->model || o->config)) {
        fprintf(err, "stepformer: train: --resume continues the model at --out; drop --model "
                     "and --config\n");
        return 2;
    }
    if (o->eval_every && !o->val_data) {
        fprintf(err, "stepformer: train: --eval-every needs --val-data FILE\n");
        return 2;
    }
    if (cli_parse_impl(o->impl, &o->kernels)) {
        fprintf(err, "stepformer: train: --impl '%s': use fast or ref\n", o->impl);
        return 2;
    }
    return 0;
}

// --config SPEC: a base (textbook, notebook, gpt2) and key=value overrides; the vocabulary
// comes from the data. Prints a message and returns nonzero on a bad spec.
static int model_from_config(struct model *m, const char *spec, const char *data, long seed,
                             FILE *err)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL, *base = strtok_r(buf, ",", &save);
    struct model_config c;
    long layers = 2, heads = 4, dim = 64, ff = 0, ctx = 64;
    enum tok_kind vocab = TOK_WORD;
    if (!base || (strcmp(base, "textbook") && strcmp(base, "notebook") && strcmp(base, "gpt2"))) {
        fprintf(err, "stepformer: train: --config '%s': start with textbook, notebook or gpt2\n",
                spec);
        return SF_ERR_ARG;
    }
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        long *dest = NULL;
        if (eq) {
            *eq = '\0';
            dest = !strcmp(kv, "layers")  ? &layers
                   : !strcmp(kv, "heads") ? &heads
                   : !strcmp(kv, "dim")   ? &dim
                   : !strcmp(kv, "ff")    ? &ff
                   : !strcmp(kv, "ctx")   ? &ctx
                                          : NULL;
        }
        if (eq && !strcmp(kv, "vocab") && (!strcmp(eq + 1, "word") || !strcmp(eq + 1, "char"))) {
            vocab = !strcmp(eq + 1, "word") ? TOK_WORD : TOK_CHAR;
            continue;
        }
        if (!dest || cli_parse_int(eq + 1, 1, 1000000, dest)) {
            fprintf(err,
                    "stepformer: train: --config: '%s%s%s' is not one of layers=N heads=N dim=N "
                    "ff=N ctx=N vocab=word|char\n",
                    kv, eq ? "=" : "", eq ? eq + 1 : "");
            return SF_ERR_ARG;
        }
    }
    struct sf_diag d;
    char msg[900];
    sf_diag_clear(&d);
    struct tokenizer tok;
    int rc = tokenizer_build_from_file(&tok, vocab, data, &d);
    if (rc) {
        fprintf(err, "stepformer: train: %s\n", sf_diag_format(&d, msg, sizeof msg));
        return rc;
    }
    if (!strcmp(base, "gpt2"))
        model_config_gpt2(&c, (int)layers, (int)heads, (int)dim, tok.n, (int)ctx);
    else
        model_config_textbook(&c, (int)layers, (int)heads, (int)dim, tok.n, (int)ctx);
    if (!strcmp(base, "notebook")) { // the classic PyTorch classroom model
        c.norm = NORM_POST;
        c.final_norm = 0;
        c.pos = POS_SINUSOIDAL;
    }
    if (ff)
        c.d_ff = (int)ff;
    rc = model_init(m, &c, &d);
    if (rc) {
        tokenizer_free(&tok);
        fprintf(err, "stepformer: train: --config: %s\n", sf_diag_format(&d, msg, sizeof msg));
        return rc;
    }
    model_init_random(m, (uint64_t)seed);
    m->tok = tok;
    return SF_OK;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// The model at out and its state at out.state, both atomically.
static int save_checkpoint(const char *out, const struct trainer *t, const struct batcher *b,
                           FILE *err)
{
    struct sf_diag d;
    char msg[900], state[1024];
    sf_diag_clear(&d);
    snprintf(state, sizeof state, "%s.state", out);
    if (checkpoint_save(t->model, out, &d) || train_state_save(state, t, b, &d)) {
        fprintf(err, "stepformer: train: %s\n", sf_diag_format(&d, msg, sizeof msg));
        return 1;
    }
    return 0;
}

static void print_progress(FILE *out, int tty, long step, long steps, float loss, double ms,
                           double tok_s, double left)
{
    if (!tty) {
        fprintf(out, "step %ld/%ld loss %.6f %.2f ms %.0f tok/s\n", step, steps, loss, ms, tok_s);
        fflush(out);
        return;
    }
    int width = 30, done = steps ? (int)(width * step / steps) : width;
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < done ? '#' : '.';
    bar[width] = '\0';
    fprintf(out, "\r[%s] step %ld/%ld  loss %.4f  %.0f tok/s  %lds left  ", bar, step, steps, loss,
            tok_s, (long)left);
    fflush(out);
}

int cmd_train(int argc, char **argv, FILE *out, FILE *err, const volatile sig_atomic_t *stop)
{
    struct train_opts o;
    int status = parse_train_opts(argc, argv, &o, out, err);
    if (status)
        return status == 1 ? 0 : status;
    struct model m = {0};
    struct token_data data = {0}, val = {0};
    struct trainer t = {0};
    struct batcher batches = {0}, val_batches = {0};
    int *in = NULL, *tg = NULL;
    struct sf_diag d;
    char msg[900], state[1024];
    sf_diag_clear(&d);
    status = 2;
    snprintf(state, sizeof state, "%s.state", o.out);

    if (o.config ? model_from_config(&m, o.config, o.data, o.seed, err)
                 : cli_load_model(&m, o.resume ? o.out : o.model, NULL, err))
        goto done;
    if (o.seq == 0) // not given: 64, or the whole context if it is shorter
        o.seq = m.cfg.n_ctx < 64 ? m.cfg.n_ctx : 64;
    if (o.seq > m.cfg.n_ctx) {
        fprintf(err, "stepformer: train: --seq %ld is longer than the model's context (%d)\n",
                o.seq, m.cfg.n_ctx);
        goto done;
    }
    if (token_data_load(&data, o.data, &m.tok, m.cfg.vocab_size, &d) ||
        (o.val_data && token_data_load(&val, o.val_data, &m.tok, m.cfg.vocab_size, &d))) {
        fprintf(err, "stepformer: train: %s\n", sf_diag_format(&d, msg, sizeof msg));
        goto done;
    }
    if (batcher_init(&batches, &data, (int)o.batch, (int)o.seq, o.shuffle, (uint64_t)o.seed, &d) ||
        (o.val_data &&
         batcher_init(&val_batches, &val, (int)o.batch, (int)o.seq, 0, (uint64_t)o.seed, &d))) {
        snprintf(d.file, sizeof d.file, "%s",
                 batches.td ? (o.val_data ? o.val_data : o.data) : o.data);
        fprintf(err, "stepformer: train: %s\n", sf_diag_format(&d, msg, sizeof msg));
        goto done;
    }
    struct adamw_params hp = {(float)o.lr, (float)o.beta1, (float)o.beta2, (float)o.eps,
                              (float)o.wd};
    if (trainer_init(&t, &m, (int)o.batch, (int)o.seq, &hp, o.kernels, &d)) {
        fprintf(err, "stepformer: train: %s\n", sf_diag_format(&d, msg, sizeof msg));
        status = 1;
        goto done;
    }
    if (o.resume && train_state_load(state, &t, &batches, &d)) {
        fprintf(err, "stepformer: train: %s\n", sf_diag_format(&d, msg, sizeof msg));
        goto done;
    }
    size_t n = (size_t)(o.batch * o.seq);
    in = malloc(sizeof *in * n);
    tg = malloc(sizeof *tg * n);
    if (!in || !tg) {
        status = 1;
        goto done;
    }
    int tty = isatty(fileno(out));
    double start = seconds_now();
    long first = t.opt.step;
    status = 0;
    for (long step = t.opt.step + 1; step <= o.steps; step++) {
        if (stop && *stop) {
            fprintf(err,
                    "%sstepformer: train: interrupted at step %ld; saved to %s (continue "
                    "with --resume)\n",
                    tty ? "\n" : "", step - 1, o.out);
            status = save_checkpoint(o.out, &t, &batches, err) ? 1 : 130;
            goto done;
        }
        double t0 = seconds_now();
        float loss;
        batcher_next(&batches, in, tg);
        if (trainer_step(&t, in, tg, &loss, &d)) {
            fprintf(err, "stepformer: train: step %ld: %s\n", step,
                    sf_diag_format(&d, msg, sizeof msg));
            status = 1;
            goto done;
        }
        if (!isfinite(loss)) {
            fprintf(err,
                    "stepformer: train: the loss became %f at step %ld: lower --lr; the "
                    "last checkpoint is unchanged\n",
                    (double)loss, step);
            status = 1;
            goto done;
        }
        double dt = seconds_now() - t0, elapsed = seconds_now() - start;
        double per_step = elapsed / (double)(step - first);
        print_progress(out, tty, step, o.steps, loss, dt * 1e3, (double)n / dt,
                       per_step * (double)(o.steps - step));
        if (o.eval_every && step % o.eval_every == 0) {
            float vloss;
            val_batches.pos = 0;
            if (trainer_eval(&t, &val_batches, 4, &vloss, &d)) {
                fprintf(err, "stepformer: train: evaluation: %s\n",
                        sf_diag_format(&d, msg, sizeof msg));
                status = 1;
                goto done;
            }
            fprintf(out, "%sval loss %.6f perplexity %.3f\n", tty ? "\n" : "", (double)vloss,
                    exp((double)vloss));
        }
        if (o.save_every && step % o.save_every == 0 && step < o.steps &&
            save_checkpoint(o.out, &t, &batches, err)) {
            status = 1;
            goto done;
        }
    }
    if (tty)
        fputc('\n', out);
    status = save_checkpoint(o.out, &t, &batches, err);
    if (!status)
        fprintf(out, "saved %s (step %d)\n", o.out, t.opt.step);
done:
    free(in);
    free(tg);
    trainer_free(&t);
    token_data_free(&data);
    token_data_free(&val);
    model_free(&m);
    return status;
}
