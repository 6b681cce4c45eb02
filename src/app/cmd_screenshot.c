// `stepformer screenshot`: any screen drawn without a terminal and written as an SVG picture,
// ANSI text or plain text; and the picture the screen's S key saves.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stepformer/cli.h"
#include "stepformer/export.h"
#include "stepformer/utf8.h"
#include "app_priv.h"

static const char screenshot_usage[] =
    "usage: stepformer screenshot [--model FILE] [--tokenizer FILE] [--prompt TEXT | --ids 3,1,4]\n"
    "                             [--op NAME] [--train] [--present] [--zoom PANEL] [--colours]\n"
    "                             [--keys KEYS] [--palette dark|light|8|mono] [--size WxH]\n"
    "                             [--format svg|ansi|text] [--impl ref|fast] [--out FILE]\n"
    "       stepformer screenshot --lesson NUMBER|NAME|FILE [--beat N] [--present] [OPTIONS]\n"
    "\n"
    "Draws a screen of stepformer without a terminal and writes it: an SVG picture for\n"
    "slides and handouts, text with ANSI colours (`cat` shows it in a terminal), or plain text.\n"
    "  --op NAME        run the pass up to the op NAME, as g on the screen does (default: the\n"
    "                   start); loss.xent, grad.* and adamw.* open the training view\n"
    "  --train          the training view: one training iteration on the input\n"
    "  --present        the presenter view: one large panel, the equation below it\n"
    "  --zoom PANEL     one panel on the whole screen: tokens, timeline, equation, qkv,\n"
    "                   attention, layernorm, residual, ffn, next-token, logit-lens, training,\n"
    "                   activations, heads, model, finder, worked\n"
    "  --colours        the matrices as colour cells instead of numbers (c on the screen)\n"
    "  --lesson LESSON  a lesson's screen instead (its own model and input), at --beat N\n"
    "                   (default 1); with --present in its presenter mode\n"
    "  --keys KEYS      keys pressed on the screen last, as typed: characters, and <Enter>,\n"
    "                   <Esc>, <Tab>, <Space>, <Up>, <Down>, <Left>, <Right>, <PgUp>, <PgDn>,\n"
    "                   <Home>, <End>, <Backspace> (e.g. --keys hhh: head 3)\n"
    "  --palette NAME   the colour scheme (default dark, or STEPFORMER_PALETTE)\n"
    "  --size WxH       the screen's columns and rows (default 120x40)\n"
    "  --format FORMAT  svg, ansi or text (default: by --out's extension: .svg, .ans, .txt;\n"
    "                   ansi on standard output)\n"
    "  --impl ref|fast  the reference loops (default: the same digits on every machine) or BLAS\n"
    "  --out FILE       where to write (default -: standard output); written to a temporary\n"
    "                   file and renamed into place\n"
    "On the screen, S saves what it shows as stepformer-OP-N.svg in the current directory.\n";

// The options as given.
struct shot {
    struct app_options o;
    const char *op, *zoom, *keys, *palette, *size, *format, *out, *lesson, *beat;
    int colours, w, h;
};

// "stepformer: screenshot: OPTION 'VALUE': what is wrong" and status 2.
static int bad(FILE *err, const char *option, const char *value, const char *what)
{
    char safe[SF_MSG_MAX];
    fprintf(err, "stepformer: screenshot: %s '%s': %s\n", option,
            utf8_safe(safe, sizeof safe, value), what);
    return 2;
}

// Reads "WxH" into w and h: 0, or -1 when it is not two whole numbers in range.
static int parse_size(const char *s, int *w, int *h)
{
    const char *x = strchr(s, 'x');
    char left[32];
    long lw, lh;
    if (!x || (size_t)(x - s) >= sizeof left)
        return -1;
    memcpy(left, s, (size_t)(x - s));
    left[x - s] = '\0';
    if (cli_parse_int(left, 20, 1000, &lw) || cli_parse_int(x + 1, 10, 1000, &lh))
        return -1;
    *w = (int)lw, *h = (int)lh;
    return 0;
}

// The options into sh; 0 to go on, else the exit status (1 + 0 for --help: -1).
static int parse(struct shot *sh, int argc, char **argv, FILE *out, FILE *err)
{
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(screenshot_usage, out);
            return -1;
        }
        if ((r = cli_value(argc, argv, &i, "--model", &v)) != 0)
            sh->o.model_path = v;
        else if ((r = cli_value(argc, argv, &i, "--tokenizer", &v)) != 0)
            sh->o.tokenizer_path = v;
        else if ((r = cli_value(argc, argv, &i, "--prompt", &v)) != 0)
            sh->o.prompt = v;
        else if ((r = cli_value(argc, argv, &i, "--ids", &v)) != 0)
            sh->o.ids = v;
        else if ((r = cli_value(argc, argv, &i, "--op", &v)) != 0)
            sh->op = v;
        else if ((r = cli_value(argc, argv, &i, "--zoom", &v)) != 0)
            sh->zoom = v;
        else if ((r = cli_value(argc, argv, &i, "--keys", &v)) != 0)
            sh->keys = v;
        else if ((r = cli_value(argc, argv, &i, "--palette", &v)) != 0)
            sh->palette = v;
        else if ((r = cli_value(argc, argv, &i, "--size", &v)) != 0)
            sh->size = v;
        else if ((r = cli_value(argc, argv, &i, "--format", &v)) != 0)
            sh->format = v;
        else if ((r = cli_value(argc, argv, &i, "--out", &v)) != 0)
            sh->out = v;
        else if ((r = cli_value(argc, argv, &i, "--lesson", &v)) != 0)
            sh->lesson = v;
        else if ((r = cli_value(argc, argv, &i, "--beat", &v)) != 0)
            sh->beat = v;
        else if ((r = cli_value(argc, argv, &i, "--impl", &v)) > 0) {
            enum op_impl im;
            if (cli_parse_impl(v, &im))
                return bad(err, "--impl", v, "use ref or fast");
            sh->o.reference = im == OP_IMPL_REF;
        } else if (cli_flag(argv, i, "--train"))
            sh->o.train = r = 1;
        else if (cli_flag(argv, i, "--present"))
            sh->o.present = r = 1;
        else if (cli_flag(argv, i, "--colours"))
            sh->colours = r = 1;
        else if (r == 0)
            return cli_unknown_option(err, "screenshot", argv[i], screenshot_usage);
        if (r < 0) {
            fprintf(err, "stepformer: screenshot: %s needs a value\n", argv[i]);
            return 2;
        }
    }
    return 0;
}

// The checks of the values that need no model: 0, or the exit status.
static int check(struct shot *sh, enum export_format *fmt, FILE *err)
{
    const char *name;
    if ((sh->o.palette = cli_palette(sh->palette, &name)) < 0)
        return bad(err, sh->palette ? "--palette" : "STEPFORMER_PALETTE", name,
                   "use dark, light, 8 or mono");
    if (!sh->o.palette)
        sh->o.palette = 1 + PALETTE_256;
    if (sh->size && parse_size(sh->size, &sh->w, &sh->h))
        return bad(err, "--size", sh->size,
                   "use WIDTHxHEIGHT, 20 to 1000 columns and 10 to 1000 rows (e.g. 120x40)");
    if (sh->format && export_format_parse(sh->format, fmt))
        return bad(err, "--format", sh->format, "use svg, ansi or text");
    if (!sh->format && strcmp(sh->out, "-") != 0 && export_format_from_path(sh->out, fmt))
        return bad(err, "--out", sh->out,
                   "the name says no format: end it in .svg, .ans or .txt, or give --format");
    const char *own[] = {sh->o.model_path ? "--model" : NULL,
                         sh->o.tokenizer_path ? "--tokenizer" : NULL,
                         sh->o.prompt ? "--prompt" : NULL,
                         sh->o.ids ? "--ids" : NULL,
                         sh->op ? "--op" : NULL,
                         sh->o.train ? "--train" : NULL};
    for (size_t i = 0; sh->lesson && i < sizeof own / sizeof own[0]; i++)
        if (own[i]) {
            fprintf(err,
                    "stepformer: screenshot: %s: a lesson sets its own model, input and op "
                    "(--beat N chooses the screen); leave %s out\n",
                    own[i], own[i]);
            return 2;
        }
    long beat = 1;
    if (sh->beat && (!sh->lesson || cli_parse_int(sh->beat, 1, 99999, &beat)))
        return bad(err, "--beat", sh->beat,
                   sh->lesson ? "give a beat number from 1" : "a beat of a lesson: add --lesson");
    if (sh->zoom) {
        int p = 0;
        while (p < PANEL_COUNT && strcmp(panel_keyword((enum panel_id)p), sh->zoom) != 0)
            p++;
        if (p == PANEL_COUNT)
            return bad(err, "--zoom", sh->zoom,
                       "no such panel: use tokens, timeline, equation, qkv, attention, "
                       "layernorm, residual, ffn, next-token, logit-lens, training, "
                       "activations, heads, model, finder or worked");
    }
    return 0;
}

// The key a name between < and > stands for (as the help labels keys), or 0.
static int named_key(const char *name, size_t n)
{
    static const int keys[] = {
        ' ',           SF_KEY_UP,  SF_KEY_DOWN,    SF_KEY_LEFT,      SF_KEY_RIGHT,
        SF_KEY_HOME,   SF_KEY_END, SF_KEY_PAGE_UP, SF_KEY_PAGE_DOWN, SF_KEY_BACKSPACE,
        SF_KEY_DELETE, SF_KEY_TAB, SF_KEY_ENTER,   SF_KEY_ESCAPE};
    char label[16];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        keymap_key_label(keys[i], label, sizeof label);
        if (strlen(label) == n && strncmp(label, name, n) == 0)
            return keys[i];
    }
    return 0;
}

// Every long move and every slice of work done, as the screen does between frames.

// Presses the keys of s, each settled before the next: 0, or -1 with *at the offending byte.
static int press_keys(struct app *a, const char *s, size_t *at)
{
    size_t n = strlen(s), i = 0;
    while (i < n) {
        int key = 0;
        const char *close = s[i] == '<' ? strchr(s + i, '>') : NULL;
        if (close && close > s + i + 1) {
            if (!(key = named_key(s + i + 1, (size_t)(close - s - i - 1)))) {
                *at = i;
                return -1;
            }
            i = (size_t)(close - s) + 1;
        } else {
            uint32_t cp;
            int k = utf8_decode(s + i, n - i, 0, &cp);
            if (k <= 0) {
                *at = i;
                return -1;
            }
            key = (int)cp;
            i += (size_t)k;
        }
        app_key(a, key);
        app_settle(a);
    }
    return 0;
}

// Runs to --op (a training op opens the training view first): 0, or the exit status.
static int go_to_op(struct app *a, const char *op, FILE *err)
{
    int i = graph_find(app_graph(a), op);
    if (i < 0 && !a->train_view && graph_find(&a->fwd, op) < 0 &&
        (strncmp(op, "grad.", 5) == 0 || strncmp(op, "adamw.", 6) == 0 ||
         strncmp(op, "loss.", 5) == 0) &&
        app_train_enter(a) == 0)
        i = graph_find(app_graph(a), op);
    if (i < 0) {
        const char *near[3];
        char what[SF_MSG_MAX];
        int n = graph_suggest(app_graph(a), op, near, 3);
        snprintf(what, sizeof what, "no op called that%s%s%s%s%s", n ? "; did you mean " : "",
                 n > 0 ? near[0] : "", n > 1 ? ", " : "", n > 1 ? near[1] : "", n ? "?" : "");
        return bad(err, "--op", op, what);
    }
    app_move_to(a, i);
    app_settle(a);
    return 0;
}

// Opens lesson mode on the lesson at the beat the options name, keeping no progress: 0, or
// the exit status.
static int open_lesson(struct app *a, const struct shot *sh, FILE *err)
{
    char path[1100], why[LESSON_DIR_MAX * 2], safe[SF_MSG_MAX];
    long beat = 1;
    if (sh->beat)
        cli_parse_int(sh->beat, 1, 99999, &beat);
    if (lesson_find(sh->lesson, path, sizeof path, why, sizeof why))
        return bad(err, "--lesson", sh->lesson, utf8_safe(safe, sizeof safe, why));
    int rc = app_lesson_open_path(a, path, sh->o.present, NULL, 1,
                                  sh->o.reference ? OP_IMPL_REF : OP_IMPL_FAST, err);
    if (rc)
        return rc;
    a->scheme = sh->o.palette - 1;
    a->scheme_chosen = 1;
    if (beat > a->lesson->l.n_beats) {
        char what[SF_MSG_MAX];
        snprintf(what, sizeof what, "%s has %d beats", utf8_safe(safe, sizeof safe, path),
                 a->lesson->l.n_beats);
        app_free(a);
        return bad(err, "--beat", sh->beat, what);
    }
    struct lesson_diags *d = malloc(sizeof *d);
    if (!d) {
        app_free(a);
        return 2;
    }
    lesson_diags_init(d, path);
    if ((rc = app_lesson_goto(a, (int)beat - 1, d)) != 0) {
        lesson_diags_print(d, err);
        app_free(a);
        rc = 2;
    }
    free(d);
    return rc;
}

// Sets the screen up as the options say: 0, or the exit status.
static int set_up(struct app *a, const struct shot *sh, FILE *err)
{
    a->width = sh->w;
    a->height = sh->h;
    int rc = sh->op ? go_to_op(a, sh->op, err) : 0;
    if (rc)
        return rc;
    if (sh->colours)
        a->view.numbers = 0;
    if (sh->zoom) {
        int p = 0;
        while (strcmp(panel_keyword((enum panel_id)p), sh->zoom) != 0)
            p++;
        a->selected = a->zoom = p;
        a->follow = 0;
    }
    size_t at;
    if (sh->keys && press_keys(a, sh->keys, &at))
        return bad(err, "--keys", sh->keys + at,
                   "not a key: type characters, or <Enter>, <Esc>, <Tab>, <Up> ... as ? "
                   "names them");
    return 0;
}

int cmd_screenshot(int argc, char **argv, FILE *out, FILE *err)
{
    struct shot sh = {.o = {.reference = 1}, .out = "-", .w = 120, .h = 40};
    enum export_format fmt = EXPORT_ANSI;
    int rc = parse(&sh, argc, argv, out, err);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = check(&sh, &fmt, err)) != 0)
        return rc;
    struct app a;
    struct sf_diag d;
    if (sh.lesson) {
        if ((rc = open_lesson(&a, &sh, err)) != 0)
            return rc;
    } else if ((rc = app_init(&a, &sh.o, &d)) != 0) {
        cli_print_diag(err, "screenshot", &d);
        return 2;
    }
    if ((rc = set_up(&a, &sh, err)) == 0) {
        struct grid g;
        char title[APP_PROMPT_MAX + 128];
        if ((rc = app_shot(&a, &g, 1, title, sizeof title)) != 0) {
            fprintf(err, "stepformer: screenshot: %s\n", sf_strerror(rc));
        } else if (strcmp(sh.out, "-") == 0) {
            rc = export_grid(out, &g, fmt, (enum palette_scheme)a.scheme, title);
            if (rc || fflush(out))
                fprintf(err, "stepformer: screenshot: cannot write to standard output\n");
        } else if ((rc = export_write(sh.out, &g, fmt, (enum palette_scheme)a.scheme, title, &d)) !=
                   0) {
            cli_print_diag(err, "screenshot", &d);
        } else {
            char safe[SF_MSG_MAX];
            static const char *const kinds[] = {"an SVG picture", "ANSI text", "plain text"};
            fprintf(out, "wrote %s: %s, %dx%d, %s palette\n", utf8_safe(safe, sizeof safe, sh.out),
                    kinds[fmt], g.w, g.h, palette_name((enum palette_scheme)a.scheme));
        }
        grid_free(&g);
        rc = rc ? 2 : 0;
    }
    app_free(&a);
    return rc;
}
