// `stepformer train`: trains a model on a text or llm.c token file, with progress, periodic
// evaluation and checkpoints (the training state, which holds the model too, and the model
// file) that --resume continues from.
#include "stepformer/cli.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stepformer/checkpoint.h"
#include "stepformer/fileio.h"
#include "stepformer/text.h"
#include "stepformer/train.h"
#include "stepformer/clock.h"

static const char train_usage[] =
    "usage: stepformer train --data FILE --out FILE [--model FILE | --config SPEC]\n"
    "                        [--batch B] [--seq T] [--steps N] [--lr X] [--weight-decay X]\n"
    "                        [--beta1 X] [--beta2 X] [--eps X] [--seed N] [--shuffle]\n"
    "                        [--val-data FILE] [--eval-every N] [--save-every N] [--resume]\n"
    "\n"
    "  --data FILE       text (tokenized with the model's tokenizer) or an llm.c token file\n"
    "  --out FILE        where the model is written; FILE.state beside it holds the whole\n"
    "                    checkpoint (the model too) that --resume continues\n"
    "  --model FILE      start from this model (stepformer, llm.c, or a Hugging Face folder);\n"
    "                    default: the shipped one\n"
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

// A real option's value: white space may come before it (none after), and a number too small
// for full precision is taken as what it rounds to.
static int parse_double(const char *s, double lo, double hi, double *out)
{
    return text_parse_double(s, lo, hi, TEXT_NUM_SPACE_BEFORE | TEXT_NUM_UNDERFLOW, out);
}

// Reads the option at argv[*i] (with its value, moving *i past it) into o. 0, 1 after --help,
// or 2 after a message.
static int train_option(int argc, char **argv, int *i, struct train_opts *o, FILE *out, FILE *err)
{
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
    const char *v = NULL;
    int r = 0;
    if (cli_flag(argv, *i, "--help") || cli_flag(argv, *i, "-h")) {
        fputs(train_usage, out);
        return 1;
    }
    if (cli_flag(argv, *i, "--shuffle") || cli_flag(argv, *i, "--resume")) {
        *(strcmp(argv[*i], "--shuffle") == 0 ? &o->shuffle : &o->resume) = 1;
        return 0;
    }
    for (size_t k = 0; k < sizeof strs / sizeof strs[0] && !r; k++)
        if ((r = cli_value(argc, argv, i, strs[k].name, strs[k].dest)) > 0 && strs[k].given)
            *strs[k].given = 1;
    for (size_t k = 0; k < sizeof ints / sizeof ints[0] && !r; k++)
        if ((r = cli_value(argc, argv, i, ints[k].name, &v)) > 0) {
            if (cli_parse_int(v, ints[k].lo, ints[k].hi, ints[k].dest)) {
                return cli_bad_int(err, "train", ints[k].name, v, ints[k].lo, ints[k].hi);
            }
            if (ints[k].given)
                *ints[k].given = 1;
        }
    for (size_t k = 0; k < sizeof reals / sizeof reals[0] && !r; k++)
        if ((r = cli_value(argc, argv, i, reals[k].name, &v)) > 0) {
            if (parse_double(v, reals[k].lo, reals[k].hi, reals[k].dest)) {
                fprintf(err, "stepformer: train: %s '%s': give a number from %g to %g\n",
                        reals[k].name, v, reals[k].lo, reals[k].hi);
                return 2;
            }
            *reals[k].given = 1;
        }
    if (r < 0)
        fprintf(err, "stepformer: train: %s needs a value (see stepformer train --help)\n",
                argv[*i]);
    else if (r == 0)
        return cli_unknown_option(err, "train", argv[*i], train_usage);
    return r > 0 ? 0 : 2;
}

// The options that need or exclude others. 0, or 2 after a message.
static int check_train_opts(struct train_opts *o, FILE *err)
{
    const char *wrong = NULL;
    if (!o->data || !o->out)
        wrong = "--data FILE and --out FILE are needed (see stepformer train --help)";
    else if (o->model && o->config)
        wrong = "give --model or --config, not both";
    else if (o->resume && (o->model || o->config))
        wrong = "--resume continues the model at --out; drop --model and --config";
    else if (o->eval_every && !o->val_data)
        wrong = "--eval-every needs --val-data FILE";
    if (wrong) {
        fprintf(err, "stepformer: train: %s\n", wrong);
        return 2;
    }
    if (cli_parse_impl(o->impl, &o->kernels)) {
        fprintf(err, "stepformer: train: --impl '%s': use fast or ref\n", o->impl);
        return 2;
    }
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
    for (int i = 0; i < argc; i++) {
        int status = train_option(argc, argv, &i, o, out, err);
        if (status)
            return status;
    }
    return check_train_opts(o, err);
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
        if (dest && cli_parse_int(eq + 1, 1, 1000000, dest)) {
            fprintf(err, "stepformer: train: --config: %s=%s: must be a whole number 1–1000000\n",
                    kv, eq + 1);
            return SF_ERR_ARG;
        }
        if (!dest) {
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
        return 2;
    }
    if (checkpoint_save(t->model, ck->out, &d)) {
        cli_print_diag(err, "train", &d);
        fprintf(err,
                "stepformer: train: %s holds the checkpoint of step %d; --resume continues from "
                "it (and writes the model file again)\n",
                ck->state, t->opt.step);
        return 2;
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

// Everything one run of `stepformer train` holds, from its options to its buffers.
struct train_cmd {
    struct train_opts o;
    struct model m;
    struct train_state st; // --resume: the saved state (its model moves to m)
    struct token_data data, val;
    struct trainer t;
    struct batcher batches, val_batches;
    struct train_files ck;
    enum out_file restore; // --resume: what the model file at OUT needs
    int *in, *tg;          // (batch * seq) the inputs and targets of one step
    size_t n;              // batch * seq
    int tty;               // progress as a bar that redraws itself
    struct sf_diag d;
    char notes[SF_MSG_MAX]; // --resume: the settings the command line changes
};

#define EVAL_BATCHES 4  // batches of --val-data in one evaluation
#define DEFAULT_SEQ  64 // --seq when it is not given (and the context is not shorter)

// The model to train: the one saved in the state (--resume), a new one (--config) or a model
// file; then the sequence length, which it bounds. 0, or the exit status after a message.
static int prepare_model(struct train_cmd *c, FILE *err)
{
    struct train_opts *o = &c->o;
    size_t out_len = strlen(o->out);
    c->ck.state = malloc(out_len + sizeof ".state");
    if (!c->ck.state)
        return 2;
    memcpy(c->ck.state, o->out, out_len);
    memcpy(c->ck.state + out_len, ".state", sizeof ".state");
    if (o->resume) {
        // The state alone is the checkpoint: its model, not the file at OUT, is continued.
        int rc = train_state_load(c->ck.state, &c->st, &c->d);
        if (rc) {
            cli_print_diag(err, "train", &c->d);
            return 2;
        }
        if (resume_settings(o, &c->st, &c->ck, c->notes, sizeof c->notes, err))
            return 2;
        if ((c->restore = out_matches_state(&c->ck, &c->st, err)) == OUT_OTHER)
            return 2;
        c->m = c->st.model;
        c->st.model = (struct model){0};
    } else if (o->config ? model_from_config(&c->m, o->config, o->data, o->seed, err)
                         : cli_load_model_print(&c->m, o->model, NULL, err)) {
        return 2;
    }
    if (o->seq == 0) // not given: DEFAULT_SEQ, or the whole context if it is shorter
        o->seq = c->m.cfg.n_ctx < DEFAULT_SEQ ? c->m.cfg.n_ctx : DEFAULT_SEQ;
    if (o->seq > c->m.cfg.n_ctx) {
        fprintf(err, "stepformer: train: --seq %ld is longer than the model's context (%d)\n",
                o->seq, c->m.cfg.n_ctx);
        return 2;
    }
    return 0;
}

// The data (the same the resumed run trained on), its batches and the trainer, which takes
// the optimizer's moments and the batches' place from the state on --resume. 0, or the exit
// status after a message.
static int prepare_data(struct train_cmd *c, FILE *err)
{
    const struct train_opts *o = &c->o;
    struct model *m = &c->m;
    if (token_data_load(&c->data, o->data, &m->tok, m->cfg.vocab_size, &c->d) ||
        (o->val_data && token_data_load(&c->val, o->val_data, &m->tok, m->cfg.vocab_size, &c->d))) {
        cli_print_diag(err, "train", &c->d);
        return 2;
    }
    c->ck.run = (struct train_run){(uint32_t)o->seed, c->data.n, token_data_hash(&c->data), 0, 0};
    if (o->resume &&
        (c->ck.run.data_tokens != c->st.data_tokens || c->ck.run.data_hash != c->st.data_hash)) {
        fprintf(err,
                "stepformer: train: --data %s is not the data the run saved in %s trained on "
                "(%zu tokens here, %llu there): resume with the same data, or start a new run "
                "from the model with --model %s\n",
                o->data, c->ck.state, c->data.n, (unsigned long long)c->st.data_tokens, o->out);
        return 2;
    }
    int B = (int)o->batch, T = (int)o->seq;
    if (batcher_init(&c->batches, &c->data, B, T, o->shuffle, (uint64_t)o->seed, &c->d) ||
        (o->val_data &&
         batcher_init(&c->val_batches, &c->val, B, T, 0, (uint64_t)o->seed, &c->d))) {
        snprintf(c->d.file, sizeof c->d.file, "%s",
                 c->batches.td ? (o->val_data ? o->val_data : o->data) : o->data);
        cli_print_diag(err, "train", &c->d);
        return 2;
    }
    struct adamw_params hp = {.lr = (float)o->lr,
                              .beta1 = (float)o->beta1,
                              .beta2 = (float)o->beta2,
                              .eps = (float)o->eps,
                              .weight_decay = (float)o->wd};
    if (trainer_init(&c->t, m, B, T, &hp, o->kernels, &c->d)) {
        cli_print_diag(err, "train", &c->d);
        return 2;
    }
    if (o->resume)
        trainer_resume(&c->t, &c->batches, &c->st);
    return 0;
}

// --resume: writes the model file at OUT again from the state when it is missing or older.
// 0, or 1 after a message.
static int restore_model_file(struct train_cmd *c, FILE *out, FILE *err)
{
    if (c->restore == OUT_SAME)
        return 0;
    if (checkpoint_save(&c->m, c->o.out, &c->d)) {
        cli_print_diag(err, "train", &c->d);
        return 2;
    }
    if (c->restore == OUT_MISSING)
        fprintf(out, "%s was missing: written again from %s (step %d)\n", c->o.out, c->ck.state,
                c->t.opt.step);
    else
        fprintf(out,
                "%s was the model from before the checkpoint of step %d (the run stopped while "
                "saving it): written again from %s\n",
                c->o.out, c->t.opt.step, c->ck.state);
    return 0;
}

// What is checked and set up before the first step: the files can be written, the model file
// on disk is known, the batch buffers exist, no signal has come yet, and a resumed run's
// model file is whole. 0, or the exit status after a message.
static int before_first_step(struct train_cmd *c, FILE *out, FILE *err,
                             const volatile sig_atomic_t *stop)
{
    if (check_checkpoint(&c->ck, &c->t, err))
        return 2;
    if (c->o.resume) { // the model file at OUT now: the state's own, or restored from it below
        c->ck.run.has_prev = 1;
        c->ck.run.prev_hash = c->st.model_hash;
        c->ck.saved_step = c->st.step;
    } else {
        c->ck.run.has_prev = sf_fnv1a_file(c->o.out, &c->ck.run.prev_hash, NULL) == SF_OK;
    }
    c->n = (size_t)(c->o.batch * c->o.seq);
    c->in = malloc(sizeof *c->in * c->n);
    c->tg = malloc(sizeof *c->tg * c->n);
    if (!c->in || !c->tg)
        return 2;
    if (c->o.resume)
        fprintf(out, "resuming %s at step %d%s\n", c->o.out, c->t.opt.step, c->notes);
    if (stop && *stop) {
        fprintf(err,
                "stepformer: train: interrupted%s before the first step: nothing was written\n",
                stop_name(*stop));
        return stop_status(*stop);
    }
    return restore_model_file(c, out, err);
}

// A resumed run that has already made --steps steps: says so. 1 when there is nothing to do.
static int up_to_date(const struct train_cmd *c, FILE *out)
{
    if (!c->o.resume || c->t.opt.step < c->o.steps)
        return 0;
    fprintf(out, "%s is at step %d, and --steps %ld asks for no more: nothing to do\n", c->o.out,
            c->t.opt.step, c->o.steps);
    return 1;
}

// A signal (sig) came before step `step`: saves what this run has done (when it has done a
// step since `first`) and returns the exit status.
static int interrupted(struct train_cmd *c, FILE *err, int sig, long step, long first)
{
    const char *nl = c->tty ? "\n" : "";
    if (step - 1 == first) { // nothing of this run to save
        fprintf(err,
                "%sstepformer: train: interrupted%s before the first step: nothing was written\n",
                nl, stop_name(sig));
        return stop_status(sig);
    }
    if (c->ck.saved_step != c->t.opt.step && save_checkpoint(&c->ck, &c->t, &c->batches, err))
        return 2;
    fprintf(err,
            "%sstepformer: train: interrupted%s at step %ld; saved to %s (continue with "
            "--resume)\n",
            nl, stop_name(sig), step - 1, c->o.out);
    return stop_status(sig);
}

// The loss is not a number at `step`: says what to do. Returns 1.
static int diverged(const struct train_cmd *c, FILE *err, float loss, long step)
{
    const char *nl = c->tty ? "\n" : "";
    if (c->ck.saved_step >= 0)
        fprintf(err,
                "%sstepformer: train: the loss became %f at step %ld: the learning rate is too "
                "high. The checkpoint of step %d is unchanged: continue from it with --resume "
                "and a lower --lr (now %g)\n",
                nl, (double)loss, step, c->ck.saved_step, (double)c->t.opt.hp.lr);
    else
        fprintf(err,
                "%sstepformer: train: the loss became %f at step %ld: the learning rate is too "
                "high; start again with a lower --lr (now %g). Nothing was written\n",
                nl, (double)loss, step, (double)c->t.opt.hp.lr);
    return 2;
}

// One step on the next batch (forward, backward, update) and its progress line; start is when
// the steps after `first` began. 0, or 1 after a message.
static int train_step(struct train_cmd *c, FILE *out, FILE *err, long step, long first,
                      double start)
{
    double t0 = (sf_now_ms() / 1e3);
    float loss;
    batcher_next(&c->batches, c->in, c->tg);
    if (trainer_step(&c->t, c->in, c->tg, &loss, &c->d)) {
        char what[48];
        snprintf(what, sizeof what, "train: step %ld", step);
        cli_print_diag(err, what, &c->d);
        return 2;
    }
    if (!isfinite(loss))
        return diverged(c, err, loss, step);
    double dt = (sf_now_ms() / 1e3) - t0, elapsed = (sf_now_ms() / 1e3) - start;
    double per_step = elapsed / (double)(step - first);
    print_progress(out, c->tty, step, c->o.steps, loss, dt * 1e3, (double)c->n / dt,
                   per_step * (double)(c->o.steps - step));
    return 0;
}

// Every --eval-every steps: the mean loss on the first batches of --val-data. 0, or 1 after a
// message.
static int evaluate(struct train_cmd *c, FILE *out, FILE *err, long step)
{
    if (!c->o.eval_every || step % c->o.eval_every != 0)
        return 0;
    float vloss;
    c->val_batches.pos = 0;
    if (trainer_eval(&c->t, &c->val_batches, EVAL_BATCHES, &vloss, &c->d)) {
        cli_print_diag(err, "train: evaluation", &c->d);
        return 2;
    }
    fprintf(out, "%sval loss %.6f perplexity %.3f\n", c->tty ? "\n" : "", (double)vloss,
            exp((double)vloss));
    return 0;
}

// The steps up to --steps, each with its evaluation and checkpoint when they are due; a signal
// stops the loop. 0, or the exit status after a message.
static int train_loop(struct train_cmd *c, FILE *out, FILE *err, const volatile sig_atomic_t *stop)
{
    double start = (sf_now_ms() / 1e3);
    long first = c->t.opt.step;
    for (long step = first + 1; step <= c->o.steps; step++) {
        if (stop && *stop)
            return interrupted(c, err, *stop, step, first);
        int status = train_step(c, out, err, step, first, start);
        if (!status)
            status = evaluate(c, out, err, step);
        if (!status && c->o.save_every && step % c->o.save_every == 0 && step < c->o.steps)
            status = save_checkpoint(&c->ck, &c->t, &c->batches, err);
        if (status)
            return status;
    }
    return 0;
}

// The checkpoint at the end. 0, or 1 after a message.
static int save_at_end(struct train_cmd *c, FILE *out, FILE *err)
{
    if (c->tty)
        fputc('\n', out);
    int status = save_checkpoint(&c->ck, &c->t, &c->batches, err);
    if (!status)
        fprintf(out, "saved %s (step %d)\n", c->o.out, c->t.opt.step);
    return status;
}

static void train_cmd_free(struct train_cmd *c)
{
    free(c->in);
    free(c->tg);
    free(c->ck.state);
    trainer_free(&c->t);
    train_state_free(&c->st);
    token_data_free(&c->data);
    token_data_free(&c->val);
    model_free(&c->m);
}

int cmd_train(int argc, char **argv, FILE *out, FILE *err, const volatile sig_atomic_t *stop)
{
    struct train_cmd c = {.restore = OUT_SAME, .ck = {.saved_step = -1}};
    int status = parse_train_opts(argc, argv, &c.o, out, err);
    if (status)
        return status == 1 ? 0 : status;
    c.ck.out = c.o.out;
    sf_diag_clear(&c.d);
    status = prepare_model(&c, err);
    if (!status)
        status = prepare_data(&c, err);
    if (!status)
        status = before_first_step(&c, out, err, stop);
    if (!status && !up_to_date(&c, out)) {
        c.tty = isatty(fileno(out));
        status = train_loop(&c, out, err, stop);
        if (!status)
            status = save_at_end(&c, out, err);
    }
    train_cmd_free(&c);
    return status;
}
