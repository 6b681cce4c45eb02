// stepformer: run a transformer language model one operation at a time. Entry point: picks
// the subcommand; the only place (with src/tui) that exits.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stepformer/app.h"
#include "stepformer/asciicast.h"
#include "stepformer/cli.h"
#include "stepformer/learn.h"
#include "stepformer/ops.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"
#include "stepformer/tui.h"

#ifndef SF_VERSION
#define SF_VERSION "unknown"
#endif

static const char main_usage[] =
    "usage: stepformer [--model FILE] [--tokenizer FILE] [--prompt TEXT | --ids 3,1,4] [--train]\n"
    "                  [--present] [--impl fast|ref] [--palette light|dark|8|mono] [--record "
    "FILE]\n"
    "       stepformer --learn [--seed N] [--steps N] [--prompt TEXT] [--model FILE] [--impl ...]\n"
    "       stepformer COMMAND [OPTIONS]\n"
    "       stepformer --version\n"
    "\n"
    "Without a command: the step-through screen on the shipped model (or --model: a model\n"
    "file, an llm.c checkpoint or a Hugging Face GPT-2 folder), where\n"
    "every key press runs one operation and draws it; --train opens one training iteration.\n"
    "--present opens the presenter view for a projector: no op list, one large panel for\n"
    "the op that ran last, the equation below it; PgDn or Right runs the next op, PgUp or\n"
    "Left steps back (a presentation clicker works); F switches the view, Esc leaves it.\n"
    "--impl ref runs the reference loops instead of BLAS: slower, and the same digits on\n"
    "every machine.\n"
    "--learn: watch a model learn. A new model of the shipped model's configuration and\n"
    "vocabulary starts from random weights (--seed N, default 1) and trains on the textbook\n"
    "corpus inside the screen (batch 8, sequence 64, learning rate 2e-3, --steps N, default\n"
    "1500): the loss curve, the attention of a head and the next token on \"the keys to the\n"
    "cabinet are\" (or --prompt), the accuracy on held-out agreement items. Space pauses;\n"
    "paused, Enter opens the step-through screen on the weights as they are; S saves them\n"
    "to learned.sfm.\n"
    "--palette light: dark text on a white background, for projectors (also\n"
    "STEPFORMER_PALETTE=light); P on the screen cycles dark, light, 8 colours and none.\n"
    "--record demo.cast records the session as an asciicast v2 file (`asciinema play\n"
    "demo.cast` replays it); it is put in place when the screen closes.\n"
    "Press ? on the screen for the keys.\n"
    "\n";

// The commands, in the order `stepformer help` lists them.
static const char main_commands[] =
    "commands:\n"
    "  lesson   a lesson that follows the textbook chapter, beat by beat (--present: for a class)\n"
    "  lessons  the lessons and your progress\n"
    "  check    check lesson scripts: file:line:col for every problem\n"
    "  trace    run the op graph on an input: list the ops, print or dump their outputs,\n"
    "           or list the model's vocabulary\n"
    "  generate continue a prompt: greedy, sampling (temperature, top-k, top-p) or beam search\n"
    "  train    train a model on text or llm.c tokens, with resumable checkpoints\n"
    "  corpus   write the textbook corpus: training text, held-out text and test items\n"
    "  eval     loss, perplexity and agreement / pronoun accuracy of a model\n"
    "  convert  write a model as a stepformer model (.sfm) or an llm.c checkpoint (.bin)\n"
    "  screenshot a screen drawn without a terminal: an SVG picture, ANSI or plain text\n"
    "  bench    time the forward pass on a tiny and a GPT-2-small-shaped model\n"
    "  help     this text; `stepformer help COMMAND` (or COMMAND --help) explains one command\n"
    "\n"
    "Models: stepformer's own files and llm.c GPT-2 checkpoints (gpt2_124M.bin); convert\n"
    "writes either from the other.\n"
    "Every error exits with status 2.\n";

// Debian's OpenBLAS chooses its kernels when it is loaded. On an AVX-512 machine that it does
// not recognise it falls back to older, slower kernels; OPENBLAS_CORETYPE=SKYLAKEX selects
// the AVX-512 ones, but only if set before the library loads, so the program restarts itself
// once with it set. A user's own OPENBLAS_CORETYPE is always respected.
static void blas_prefer_avx512(char **argv)
{
#if defined(__x86_64__) && defined(SF_HAVE_OPENBLAS)
    if (getenv("OPENBLAS_CORETYPE"))
        return;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512dq") || !__builtin_cpu_supports("avx512vl"))
        return;
    const char *name = ops_backend_name();
    if (strstr(name, "SkylakeX") || strstr(name, "Cooperlake") || strstr(name, "SapphireRapids"))
        return;
    if (setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1) == 0)
        execv("/proc/self/exe", argv); // returns only on failure: carry on as we are
#else
    (void)argv;
#endif
}

// Set to the signal's number by Ctrl-C, SIGTERM or SIGHUP while training; the training loop
// saves and stops at the next step.
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = sig;
}

// The step-through screen: `stepformer [--model FILE] [--tokenizer FILE] [--prompt TEXT]
// [--train] [--present] [--impl fast|ref] [--palette light|dark|8|mono]`.
static int run_help(int argc, char **argv);

// --record FILE: the recording's file is made before the screen opens, so a bad path is told
// (status 2) while the terminal is as it was.
static int record_begin(struct asciicast *rec, const char *path)
{
    struct sf_diag d;
    if (asciicast_begin(rec, path, &d) == 0)
        return 0;
    cli_print_diag(stderr, "--record", &d);
    return 2;
}

// Ends the recording after the screen has closed (q, Ctrl-C, SIGTERM, SIGHUP or a failure):
// the file is put in place. The session's status, or 2 when the file cannot be written.
static int record_end(struct asciicast *rec, int status)
{
    struct sf_diag d;
    if (asciicast_end(rec, &d)) {
        cli_print_diag(stderr, "--record", &d);
        status = status ? status : 2;
    }
    asciicast_free(rec);
    return status;
}

// --learn's --seed and --steps (*r as cli_value returns; *name the option found): 0, or 2
// after a message.
static int learn_option(int argc, char **argv, int *i, struct learn_options *lo, int *r,
                        const char **name)
{
    const char *v = NULL;
    long n;
    if ((*r = cli_value(argc, argv, i, "--seed", &v)) > 0) {
        *name = "--seed";
        if (cli_parse_int(v, 0, SF_TRAIN_MAX_SEED, &n))
            return cli_bad_int(stderr, NULL, "--seed", v, 0, SF_TRAIN_MAX_SEED);
        lo->seed = (uint64_t)n;
    } else if (*r == 0 && (*r = cli_value(argc, argv, i, "--steps", &v)) > 0) {
        *name = "--steps";
        if (cli_parse_int(v, 1, SF_LEARN_MAX_STEPS, &n))
            return cli_bad_int(stderr, NULL, "--steps", v, 1, SF_LEARN_MAX_STEPS);
        lo->steps = (int)n;
    }
    return 0;
}

static int run_screen(int argc, char **argv)
{
    struct app_options o = {0};
    struct learn_options lo = SF_LEARN_DEFAULTS;
    const char *palette = NULL, *record = NULL, *learn_only = NULL;
    int learn = 0;
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int r;
        if ((r = cli_value(argc, argv, &i, "--model", &v)) != 0)
            o.model_path = v;
        else if ((r = cli_value(argc, argv, &i, "--tokenizer", &v)) != 0)
            o.tokenizer_path = v;
        else if ((r = cli_value(argc, argv, &i, "--prompt", &v)) != 0)
            o.prompt = v;
        else if ((r = cli_value(argc, argv, &i, "--ids", &v)) != 0)
            o.ids = v;
        else if (cli_flag(argv, i, "--train"))
            o.train = r = 1;
        else if (cli_flag(argv, i, "--present"))
            o.present = r = 1;
        else if (cli_flag(argv, i, "--learn"))
            learn = r = 1;
        else if (learn_option(argc, argv, &i, &lo, &r, &learn_only))
            return 2;
        else if (r != 0) {
            // --seed or --steps, taken
        } else if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h"))
            return run_help(0, NULL);
        else if (cli_flag(argv, i, "--version") || cli_flag(argv, i, "-V"))
            return puts("stepformer " SF_VERSION) < 0 ? 2 : 0;
        else if ((r = cli_value(argc, argv, &i, "--palette", &v)) != 0)
            palette = v;
        else if ((r = cli_value(argc, argv, &i, "--record", &v)) != 0)
            record = v;
        else if ((r = cli_value(argc, argv, &i, "--impl", &v)) > 0) {
            enum op_impl im;
            if (cli_parse_impl(v, &im)) {
                fprintf(stderr, "stepformer: --impl '%s': use fast or ref\n", v);
                return 2;
            }
            o.reference = im == OP_IMPL_REF;
        } else if (r == 0) {
            return cli_unknown_option(stderr, NULL, argv[i], main_usage);
        }
        if (r < 0) {
            fprintf(stderr, "stepformer: %s needs a value\n", argv[i]);
            return 2;
        }
    }
    if (learn_only && !learn) {
        fprintf(stderr, "stepformer: %s goes with --learn\n", learn_only);
        return 2;
    }
    if (learn && (o.train || o.present || o.ids)) {
        fprintf(stderr,
                "stepformer: --learn opens its own view: leave out --train, --present and --ids\n");
        return 2;
    }
    lo.impl = o.reference ? OP_IMPL_REF : OP_IMPL_FAST;
    if ((o.palette = cli_palette(palette, &palette)) < 0) {
        fprintf(stderr, "stepformer: palette '%s': use light, dark, 8 or mono\n", palette);
        return 2;
    }
    // Bad input is reported before the screen takes over the terminal.
    struct asciicast rec = {0};
    if (record && record_begin(&rec, record))
        return 2;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        asciicast_free(&rec);
        fprintf(stderr, "stepformer: the step-through screen needs a terminal; for scripts use "
                        "`stepformer trace` or `stepformer generate` (see stepformer help)\n");
        return 2;
    }
    struct app a;
    struct sf_diag d;
    int status = app_init(&a, &o, &d);
    if (status) {
        cli_print_diag(stderr, NULL, &d);
        asciicast_free(&rec);
        return status;
    }
    if (learn && app_learn_start(&a, &lo, o.prompt, NULL, &d)) {
        cli_print_diag(stderr, "--learn", &d);
        app_free(&a);
        asciicast_free(&rec);
        return 2;
    }
    status = tui_run(&a, record ? &rec : NULL, "stepformer", stderr);
    app_free(&a);
    return record ? record_end(&rec, status) : status;
}

// Lesson mode: `stepformer lesson [NUMBER|NAME|FILE] [--present] [--restart] [--impl ...]
// [--record FILE]`.
static int run_lesson(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(cli_lesson_usage, stdout);
            return 0;
        }
    const char *record = NULL;
    if (cli_take_value(&argc, argv, "--record", &record)) {
        fprintf(stderr, "stepformer lesson: --record needs a value (the file to write)\n");
        return 2;
    }
    struct asciicast rec = {0};
    if (record && record_begin(&rec, record))
        return 2;
    struct app a;
    int status = app_lesson_open(&a, argc, argv, stderr);
    if (status) {
        asciicast_free(&rec);
        return status;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "stepformer: lesson mode needs a terminal\n");
        app_free(&a);
        asciicast_free(&rec);
        return 2;
    }
    char title[300];
    snprintf(title, sizeof title, "stepformer lesson: %s",
             a.lesson && a.lesson->l.title ? a.lesson->l.title : "");
    status = tui_run(&a, record ? &rec : NULL, title, stderr);
    app_free(&a);
    return record ? record_end(&rec, status) : status;
}

static int run_lessons(int argc, char **argv)
{
    return cmd_lessons(argc, argv, stdout, stderr);
}

static int run_check(int argc, char **argv)
{
    return cmd_check(argc, argv, stdout, stderr);
}

static int run_trace(int argc, char **argv)
{
    return cmd_trace(argc, argv, stdout, stderr);
}

static int run_train(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); // the terminal closed (an SSH connection dropped)
    // Progress written to a pipe whose reader is gone fails instead of ending the run.
    signal(SIGPIPE, SIG_IGN);
    return cmd_train(argc, argv, stdout, stderr, &interrupted);
}

static int run_generate(int argc, char **argv)
{
    // Ctrl-C, SIGTERM and SIGHUP stop generation after the token being made; what was
    // printed stays. SA_RESTART: a signal does not cut a write to stdout short.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return cmd_generate(argc, argv, stdout, stderr, &interrupted);
}

static int run_corpus(int argc, char **argv)
{
    return cmd_corpus(argc, argv, stdout, stderr);
}

static int run_eval(int argc, char **argv)
{
    return cmd_eval(argc, argv, stdout, stderr);
}

static int run_convert(int argc, char **argv)
{
    return cmd_convert(argc, argv, stdout, stderr);
}

static int run_screenshot(int argc, char **argv)
{
    return cmd_screenshot(argc, argv, stdout, stderr);
}

static int run_bench(int argc, char **argv)
{
    return cmd_bench(argc, argv, stdout, stderr);
}

// Every command: its name and what runs it with the arguments after the name.
static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {{"lesson", run_lesson},         {"lessons", run_lessons},
                {"check", run_check},           {"trace", run_trace},
                {"generate", run_generate},     {"train", run_train},
                {"corpus", run_corpus},         {"eval", run_eval},
                {"convert", run_convert},       {"bench", run_bench},
                {"screenshot", run_screenshot}, {"help", run_help}};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static const struct command *find_command(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

// "unknown command 'NAME'; did you mean X?" and the list of commands; the exit status.
static int unknown_command(const char *name)
{
    const char *names[N_COMMANDS];
    for (int i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    int k = text_nearest(name, strlen(name), names, N_COMMANDS);
    char safe[SF_MSG_MAX];
    fprintf(stderr, "stepformer: unknown command '%s'", utf8_safe(safe, sizeof safe, name));
    if (k >= 0)
        fprintf(stderr, "; did you mean %s?", names[k]);
    fprintf(stderr, "\n\n%s", main_commands);
    return 2;
}

// `stepformer help [COMMAND]`: this text, or exactly what `stepformer COMMAND --help` prints.
static int run_help(int argc, char **argv)
{
    if (argc == 0 || strcmp(argv[0], "help") == 0) {
        fputs(main_usage, stdout);
        fputs(main_commands, stdout);
        return 0;
    }
    if (argc > 1) {
        char safe[SF_MSG_MAX];
        fprintf(stderr, "stepformer: help: unexpected '%s' (stepformer help COMMAND)\n",
                utf8_safe(safe, sizeof safe, argv[1]));
        return 2;
    }
    const struct command *c = find_command(argv[0]);
    if (!c)
        return unknown_command(argv[0]);
    char help[] = "--help";
    char *args[] = {help, NULL};
    return c->run(1, args);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "help") == 0)
        return run_help(argc - 2, argv + 2);
    blas_prefer_avx512(argv);
    if (argc < 2 || argv[1][0] == '-')
        return run_screen(argc - 1, argv + 1);
    const struct command *c = find_command(argv[1]);
    return c ? c->run(argc - 2, argv + 2) : unknown_command(argv[1]);
}
