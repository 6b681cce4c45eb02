// `stepformer train`: trains a model on a text or llm.c token file, with progress, periodic
// evaluation and checkpoints (the training state, which holds the model too, and the model
// file) that --resume continues from.
#include "stepformer/cli.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stepformer/checkpoint.h"
#include "stepformer/fileio.h"
#include "stepformer/train.h"

static const char train_usage[] =
    "usage: stepformer train --data FILE --out FILE [--model FILE | --config SPEC]\n"
    "                        [--batch B] [--seq T] [--steps N] [--lr X] [--weight-decay X]\n"
    "                        [--beta1 X] [--beta2 X] [--eps X] [--seed N] [--shuffle]\n"
    "                        [--val-data FILE] [--eval-every N] [--save-every N] [--resume]\n"
    "\n"
    "  --data FILE       text (tokenized with the model's tokenizer) or an llm.c token file\n"
    "  --out FILE        where the model is written; FILE.state beside it holds the whole\n"
    "                    checkpoint (the model too) that --resume continues\n"
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
    "  --save-every N    also write the checkpoint every N steps (always at the end, and on\n"
    "                    Ctrl-C, SIGTERM or SIGHUP)\n"
    "  --resume          continue the run saved at --out, with its settings; --lr and the\n"
    "                    other AdamW options given apply from there on, while --data, --batch,\n"
    "                    --seq, --seed and --shuffle must stay as they were\n";

struct train_opts {
    const char *data, *out, *model, *config, *val_data, *impl;
    long batch, seq, steps, seed, eval_every, save_every;
    double lr, wd, beta1, beta2, eps;
    int shuffle, resume;
    enum op_impl kernels; // from impl
    // Which options the command line gave: a resumed run takes the others from its state.
    int given_batch, given_seq, given_seed, given_impl;
    int given_lr, given_wd, given_beta1, given_beta2, given_eps;
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
    const struct adamw_params adamw = SF_ADAMW_DEFAULTS;
    *o = (struct train_opts){.batch = 4,
                             .seq = 0,
                             .steps = 100,
                             .seed = 1337,
                             .lr = adamw.lr,
                             .wd = adamw.weight_decay,
                             .beta1 = adamw.beta1,
                             .beta2 = adamw.beta2,
                             .eps = adamw.eps,
                             .impl = "fast"};
    const struct {
        const char *name;
        const char **dest;
        int *given;
    } strs[] = {{"--data", &o->data, NULL},         {"--out", &o->out, NULL},
                {"--model", &o->model, NULL},       {"--config", &o->config, NULL},
                {"--val-data", &o->val_data, NULL}, {"--impl", &o->impl, &o->given_impl}};
    const struct {
        const char *name;
        long *dest;
        long lo, hi;
        int *given;
    } ints[] = {{"--batch", &o->batch, 1, SF_TRAIN_MAX_BATCH, &o->given_batch},
                {"--seq", &o->seq, 1, SF_MAX_CTX, &o->given_seq},
                {"--steps", &o->steps, 0, SF_TRAIN_MAX_STEPS, NULL},
                {"--seed", &o->seed, 0, SF_TRAIN_MAX_SEED, &o->given_seed},
                {"--eval-every", &o->eval_every, 0, SF_TRAIN_MAX_STEPS, NULL},
                {"--save-every", &o->save_every, 0, SF_TRAIN_MAX_STEPS, NULL}};
    const struct {
        const char *name;
        double *dest;
        double lo, hi;
        int *given;
    } reals[] = {{"--lr", &o->lr, 0, SF_TRAIN_MAX_LR, &o->given_lr},
                 {"--weight-decay", &o->wd, 0, SF_TRAIN_MAX_LR, &o->given_wd},
                 {"--beta1", &o->beta1, 0, SF_TRAIN_MAX_BETA, &o->given_beta1},
                 {"--beta2", &o->beta2, 0, SF_TRAIN_MAX_BETA, &o->given_beta2},
                 {"--eps", &o->eps, SF_TRAIN_MIN_EPS, SF_TRAIN_MAX_EPS, &o->given_eps}};
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
            if ((r = cli_value(argc, argv, &i, strs[k].name, strs[k].dest)) > 0 && strs[k].given)
                *strs[k].given = 1;
        for (size_t k = 0; k < sizeof ints / sizeof ints[0] && !r; k++)
            if ((r = cli_value(argc, argv, &i, ints[k].name, &v)) > 0) {
                if (cli_parse_int(v, ints[k].lo, ints[k].hi, ints[k].dest)) {
                    fprintf(err,
                            "stepformer: train: %s '%s': give a whole number from %ld to %ld\n",
                            ints[k].name, v, ints[k].lo, ints[k].hi);
                    return 2;
                }
                if (ints[k].given)
                    *ints[k].given = 1;
            }
        for (size_t k = 0; k < sizeof reals / sizeof reals[0] && !r; k++)
            if ((r = cli_value(argc, argv, &i, reals[k].name, &v)) > 0) {
                if (parse_double(v, reals[k].lo, reals[k].hi, reals[k].dest)) {
                    fprintf(err, "stepformer: train: %s '%s': give a number from %g to %g\n",
                            reals[k].name, v, reals[k].lo, reals[k].hi);
                    return 2;
                }
                *reals[k].given = 1;
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

// model_from_config on buf, a copy of spec that strtok_r may cut up.
static int model_from_spec(struct model *m, char *buf, const char *spec, const char *data,
                           long seed, FILE *err)
{
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
    sf_diag_clear(&d);
    struct tokenizer tok;
    int rc = tokenizer_build_from_file(&tok, vocab, data, &d);
    if (rc) {
        cli_print_diag(err, "train", &d);
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
        cli_print_diag(err, "train: --config", &d);
        return rc;
    }
    model_init_random(m, (uint64_t)seed);
    m->tok = tok;
    return SF_OK;
}

// --config SPEC: a base (textbook, notebook, gpt2) and key=value overrides; the vocabulary
// comes from the data. Prints a message and returns nonzero on a bad spec.
static int model_from_config(struct model *m, const char *spec, const char *data, long seed,
                             FILE *err)
{
    char *buf = strdup(spec);
    if (!buf) {
        fprintf(err, "stepformer: train: out of memory\n");
        return SF_ERR_NOMEM;
    }
    int rc = model_from_spec(m, buf, spec, data, seed, err);
    free(buf);
    return rc;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// The checkpoint of a run: OUT.state, which holds everything --resume needs (the model too),
// and the model file OUT. Each is written atomically, the state first: a run stopped between
// the two leaves a state one checkpoint ahead of OUT, recorded in the state as the model file
// it replaced, and --resume restores OUT from the state. OUT is never ahead of its state.
struct train_files {
    const char *out;      // the model file (--out)
    char *state;          // OUT.state (malloc'd)
    struct train_run run; // the run's seed and data, and the model file at OUT now
    int saved_step;       // the step of the checkpoint on disk, -1 when there is none
};

// Writes the checkpoint of t and b; 0, or 1 after a message.
static int save_checkpoint(struct train_files *ck, const struct trainer *t, const struct batcher *b,
                           FILE *err)
{
    struct sf_diag d;
    uint64_t hash = 0;
    sf_diag_clear(&d);
    if (train_state_save(ck->state, t, b, &ck->run, &hash, &d)) {
        cli_print_diag(err, "train", &d);
        if (ck->saved_step >= 0)
            fprintf(err,
                    "stepformer: train: the checkpoint of step %d is unchanged; --resume "
                    "continues from it\n",
                    ck->saved_step);
        return 1;
    }
    if (checkpoint_save(t->model, ck->out, &d)) {
        cli_print_diag(err, "train", &d);
        fprintf(err,
                "stepformer: train: %s holds the checkpoint of step %d; --resume continues from "
                "it (and writes the model file again)\n",
                ck->state, t->opt.step);
        return 1;
    }
    ck->run.has_prev = 1;
    ck->run.prev_hash = hash;
    ck->saved_step = t->opt.step;
    return 0;
}

// The model file at OUT against the state being resumed.
enum out_file {
    OUT_SAME,    // the state's own
    OUT_MISSING, // to be written again from the state
    OUT_OTHER,   // neither the state's nor the one before it (a message was printed)
    OUT_OLDER,   // the one the state replaced: the run stopped between writing the two
};

static enum out_file out_matches_state(const struct train_files *ck, const struct train_state *s,
                                       FILE *err)
{
    struct sf_diag d;
    uint64_t hash;
    int rc = sf_fnv1a_file(ck->out, &hash, &d);
    if (rc == SF_ERR_NOTFOUND)
        return OUT_MISSING;
    if (rc) {
        cli_print_diag(err, "train", &d);
        return OUT_OTHER;
    }
    if (hash == s->model_hash)
        return OUT_SAME;
    if (s->has_prev && hash == s->prev_hash)
        return OUT_OLDER;
    fprintf(err,
            "stepformer: train: %s is not the model saved with %s (step %d), nor the one before "
            "it: it was changed after that checkpoint. To continue the saved run, move %s away "
            "(--resume then restores it from the state); to start over, run without --resume "
            "(with --model to train on from that model)\n",
            ck->out, ck->state, s->step, ck->out);
    return OUT_OTHER;
}

// A resumed run keeps the settings saved in s, except those the command line gives: the
// optimizer's apply from here on (and are listed in notes), while a different --batch, --seq,
// --seed or --shuffle, which would change the batches, is refused. 0, or 2 after a message.
static int resume_settings(struct train_opts *o, const struct train_state *s,
                           const struct train_files *ck, char *notes, size_t size, FILE *err)
{
    const struct {
        const char *flag;
        int given;
        long value, saved;
    } fixed[] = {{"--batch", o->given_batch, o->batch, s->B},
                 {"--seq", o->given_seq, o->seq, s->T},
                 {"--seed", o->given_seed, o->seed, (long)s->seed}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (fixed[i].given && fixed[i].value != fixed[i].saved) {
            fprintf(err,
                    "stepformer: train: %s %ld: the run saved in %s used %s %ld, and another "
                    "value would change its batches; resume without %s, or start a new run "
                    "from the model with --model %s\n",
                    fixed[i].flag, fixed[i].value, ck->state, fixed[i].flag, fixed[i].saved,
                    fixed[i].flag, ck->out);
            return 2;
        }
    if (o->shuffle && !s->shuffle) {
        fprintf(err,
                "stepformer: train: --shuffle: the run saved in %s took its batches in order; "
                "resume without --shuffle, or start a new run from the model with --model %s\n",
                ck->state, ck->out);
        return 2;
    }
    o->batch = s->B;
    o->seq = s->T;
    o->seed = (long)s->seed;
    o->shuffle = s->shuffle;
    struct {
        const char *flag;
        int given;
        double *value;
        float saved;
    } hp[] = {{"--lr", o->given_lr, &o->lr, s->hp.lr},
              {"--weight-decay", o->given_wd, &o->wd, s->hp.weight_decay},
              {"--beta1", o->given_beta1, &o->beta1, s->hp.beta1},
              {"--beta2", o->given_beta2, &o->beta2, s->hp.beta2},
              {"--eps", o->given_eps, &o->eps, s->hp.eps}};
    size_t len = 0;
    notes[0] = '\0';
    for (size_t i = 0; i < sizeof hp / sizeof hp[0]; i++) {
        if (!hp[i].given)
            *hp[i].value = hp[i].saved;
        else if ((float)*hp[i].value != hp[i].saved)
            len += (size_t)snprintf(notes + len, size - len, "%s %s %g (the run used %g)",
                                    len ? "," : " with", hp[i].flag, (double)(float)*hp[i].value,
                                    (double)hp[i].saved);
    }
    if (!o->given_impl)
        o->kernels = s->impl;
    else if (o->kernels != s->impl)
        snprintf(notes + len, size - len, "%s --impl %s (the run used %s)", len ? "," : " with",
                 o->kernels == OP_IMPL_REF ? "ref" : "fast",
                 s->impl == OP_IMPL_REF ? "ref" : "fast");
    return 0;
}

// Everything about the files that can be checked before the first step: the model can be
// saved (its tokenizer fits the format), both files can be created where they go and the
// disk has room for them, and they are two files. 0, or 2 after a message.
static int check_checkpoint(const struct train_files *ck, const struct trainer *t, FILE *err)
{
    struct sf_diag d;
    uint64_t model_bytes, hash;
    sf_diag_clear(&d);
    if (checkpoint_check(t->model, ck->out, &d)) {
        cli_print_diag(err, "train", &d);
        return 2;
    }
    struct stat a, b;
    if (stat(ck->out, &a) == 0 && stat(ck->state, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
        fprintf(err,
                "stepformer: train: %s and %s are the same file (a link?): give another --out\n",
                ck->out, ck->state);
        return 2;
    }
    // The state is written first, while the old files are still there; then the model.
    train_model_digest(t->model, &model_bytes, &hash);
    if (sf_write_check(ck->state, train_state_bytes(t->opt.n_params, model_bytes), &d) ||
        sf_write_check(ck->out, model_bytes, &d)) {
        cli_print_diag(err, "train", &d);
        return 2;
    }
    return 0;
}

// How an interruption by signal sig is named in the message (Ctrl-C needs no name), and the
// exit status it gives: 128 + sig, as a shell reports a process that the signal ended.
static const char *stop_name(int sig)
{
    return sig == SIGHUP ? " by SIGHUP (the terminal closed)" : sig == SIGTERM ? " by SIGTERM" : "";
}

static int stop_status(int sig)
{
    return 128 + sig;
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
    struct train_state st = {0};
    struct token_data data = {0}, val = {0};
    struct trainer t = {0};
    struct batcher batches = {0}, val_batches = {0};
    struct train_files ck = {.out = o.out, .saved_step = -1};
    int *in = NULL, *tg = NULL;
    enum out_file restore = OUT_SAME;
    struct sf_diag d;
    char notes[SF_MSG_MAX] = "";
    sf_diag_clear(&d);
    status = 2;
    size_t out_len = strlen(o.out);
    ck.state = malloc(out_len + sizeof ".state");
    if (!ck.state) {
        status = 1;
        goto done;
    }
    memcpy(ck.state, o.out, out_len);
    memcpy(ck.state + out_len, ".state", sizeof ".state");

    if (o.resume) {
        // The state alone is the checkpoint: its model, not the file at OUT, is continued.
        int rc = train_state_load(ck.state, &st, &d);
        if (rc) {
            cli_print_diag(err, "train", &d);
            status = rc == SF_ERR_NOMEM ? 1 : 2;
            goto done;
        }
        if (resume_settings(&o, &st, &ck, notes, sizeof notes, err))
            goto done;
        if ((restore = out_matches_state(&ck, &st, err)) == OUT_OTHER)
            goto done;
        m = st.model;
        st.model = (struct model){0};
    } else if (o.config ? model_from_config(&m, o.config, o.data, o.seed, err)
                        : cli_load_model(&m, o.model, NULL, err)) {
        goto done;
    }
    if (o.seq == 0) // not given: 64, or the whole context if it is shorter
        o.seq = m.cfg.n_ctx < 64 ? m.cfg.n_ctx : 64;
    if (o.seq > m.cfg.n_ctx) {
        fprintf(err, "stepformer: train: --seq %ld is longer than the model's context (%d)\n",
                o.seq, m.cfg.n_ctx);
        goto done;
    }
    if (token_data_load(&data, o.data, &m.tok, m.cfg.vocab_size, &d) ||
        (o.val_data && token_data_load(&val, o.val_data, &m.tok, m.cfg.vocab_size, &d))) {
        cli_print_diag(err, "train", &d);
        goto done;
    }
    ck.run = (struct train_run){(uint32_t)o.seed, data.n, token_data_hash(&data), 0, 0};
    if (o.resume && (ck.run.data_tokens != st.data_tokens || ck.run.data_hash != st.data_hash)) {
        fprintf(err,
                "stepformer: train: --data %s is not the data the run saved in %s trained on "
                "(%zu tokens here, %llu there): resume with the same data, or start a new run "
                "from the model with --model %s\n",
                o.data, ck.state, data.n, (unsigned long long)st.data_tokens, o.out);
        goto done;
    }
    if (batcher_init(&batches, &data, (int)o.batch, (int)o.seq, o.shuffle, (uint64_t)o.seed, &d) ||
        (o.val_data &&
         batcher_init(&val_batches, &val, (int)o.batch, (int)o.seq, 0, (uint64_t)o.seed, &d))) {
        snprintf(d.file, sizeof d.file, "%s",
                 batches.td ? (o.val_data ? o.val_data : o.data) : o.data);
        cli_print_diag(err, "train", &d);
        goto done;
    }
    struct adamw_params hp = {.lr = (float)o.lr,
                              .beta1 = (float)o.beta1,
                              .beta2 = (float)o.beta2,
                              .eps = (float)o.eps,
                              .weight_decay = (float)o.wd};
    if (trainer_init(&t, &m, (int)o.batch, (int)o.seq, &hp, o.kernels, &d)) {
        cli_print_diag(err, "train", &d);
        status = 1;
        goto done;
    }
    if (o.resume)
        trainer_resume(&t, &batches, &st);
    if (check_checkpoint(&ck, &t, err))
        goto done;
    if (o.resume) { // the model file at OUT now: the state's own, or restored from it below
        ck.run.has_prev = 1;
        ck.run.prev_hash = st.model_hash;
        ck.saved_step = st.step;
    } else {
        ck.run.has_prev = sf_fnv1a_file(o.out, &ck.run.prev_hash, NULL) == SF_OK;
    }
    size_t n = (size_t)(o.batch * o.seq);
    in = malloc(sizeof *in * n);
    tg = malloc(sizeof *tg * n);
    if (!in || !tg) {
        status = 1;
        goto done;
    }
    if (o.resume)
        fprintf(out, "resuming %s at step %d%s\n", o.out, t.opt.step, notes);
    if (stop && *stop) {
        fprintf(err,
                "stepformer: train: interrupted%s before the first step: nothing was written\n",
                stop_name(*stop));
        status = stop_status(*stop);
        goto done;
    }
    if (restore != OUT_SAME) {
        if (checkpoint_save(&m, o.out, &d)) {
            cli_print_diag(err, "train", &d);
            status = 1;
            goto done;
        }
        if (restore == OUT_MISSING)
            fprintf(out, "%s was missing: written again from %s (step %d)\n", o.out, ck.state,
                    t.opt.step);
        else
            fprintf(out,
                    "%s was the model from before the checkpoint of step %d (the run stopped "
                    "while saving it): written again from %s\n",
                    o.out, t.opt.step, ck.state);
    }
    if (o.resume && t.opt.step >= o.steps) {
        fprintf(out, "%s is at step %d, and --steps %ld asks for no more: nothing to do\n", o.out,
                t.opt.step, o.steps);
        status = 0;
        goto done;
    }
    int tty = isatty(fileno(out));
    double start = seconds_now();
    long first = t.opt.step;
    status = 0;
    for (long step = t.opt.step + 1; step <= o.steps; step++) {
        if (stop && *stop) {
            int sig = *stop;
            if (step - 1 == first) { // nothing of this run to save
                fprintf(err,
                        "%sstepformer: train: interrupted%s before the first step: nothing "
                        "was written\n",
                        tty ? "\n" : "", stop_name(sig));
            } else {
                if (ck.saved_step != t.opt.step && save_checkpoint(&ck, &t, &batches, err)) {
                    status = 1;
                    goto done;
                }
                fprintf(err,
                        "%sstepformer: train: interrupted%s at step %ld; saved to %s (continue "
                        "with --resume)\n",
                        tty ? "\n" : "", stop_name(sig), step - 1, o.out);
            }
            status = stop_status(sig);
            goto done;
        }
        double t0 = seconds_now();
        float loss;
        batcher_next(&batches, in, tg);
        if (trainer_step(&t, in, tg, &loss, &d)) {
            char what[48];
            snprintf(what, sizeof what, "train: step %ld", step);
            cli_print_diag(err, what, &d);
            status = 1;
            goto done;
        }
        if (!isfinite(loss)) {
            if (ck.saved_step >= 0)
                fprintf(err,
                        "%sstepformer: train: the loss became %f at step %ld: the learning rate "
                        "is too high. The checkpoint of step %d is unchanged: continue from it "
                        "with --resume and a lower --lr (now %g)\n",
                        tty ? "\n" : "", (double)loss, step, ck.saved_step, (double)t.opt.hp.lr);
            else
                fprintf(err,
                        "%sstepformer: train: the loss became %f at step %ld: the learning rate "
                        "is too high; start again with a lower --lr (now %g). Nothing was "
                        "written\n",
                        tty ? "\n" : "", (double)loss, step, (double)t.opt.hp.lr);
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
                cli_print_diag(err, "train: evaluation", &d);
                status = 1;
                goto done;
            }
            fprintf(out, "%sval loss %.6f perplexity %.3f\n", tty ? "\n" : "", (double)vloss,
                    exp((double)vloss));
        }
        if (o.save_every && step % o.save_every == 0 && step < o.steps &&
            save_checkpoint(&ck, &t, &batches, err)) {
            status = 1;
            goto done;
        }
    }
    if (tty)
        fputc('\n', out);
    status = save_checkpoint(&ck, &t, &batches, err);
    if (!status)
        fprintf(out, "saved %s (step %d)\n", o.out, t.opt.step);
done:
    free(in);
    free(tg);
    free(ck.state);
    trainer_free(&t);
    train_state_free(&st);
    token_data_free(&data);
    token_data_free(&val);
    model_free(&m);
    return status;
}
