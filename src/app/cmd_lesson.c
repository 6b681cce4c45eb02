// The lesson commands: `stepformer check` (lint), `stepformer lessons` (the list with progress)
// and opening a lesson for the screen (`stepformer lesson`).
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_priv.h"
#include "stepformer/cli.h"
#include "stepformer/utf8.h"

static const char *panel_names[PANEL_COUNT];

static struct lesson_panels panels(void)
{
    for (int p = 0; p < PANEL_COUNT; p++)
        panel_names[p] = panel_keyword((enum panel_id)p);
    return (struct lesson_panels){panel_names, PANEL_COUNT};
}

// The diagnostics as lesson_diags_print writes them, escaped line by line: they quote the
// lesson's text and name its file.
static void print_diags(const struct lesson_diags *d, FILE *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    lesson_diags_print(d, f);
    fclose(f);
    utf8_write(err, text, len, UTF8_KEEP_LINES);
    free(text);
}

// Opens the app on the lesson's model. Messages from loading become diagnostics at @model;
// a model that is not installed is an error, or with checking 0 a note (the script's syntax
// has been checked; what needs the model cannot be).
static int open_model(struct app *a, const struct lesson *l, enum op_impl impl,
                      struct lesson_diags *d, int checking)
{
    char path[1100], why[600];
    if (lesson_model_path(l, path, sizeof path, why, sizeof why)) {
        lesson_diag_add(d, !checking, l->model_line, l->model_col, "%s%s", why,
                        checking ? "; op names and live answers were not checked" : "");
        return -1;
    }
    char msg[SF_MSG_MAX];
    struct sf_diag fault;
    struct app_options o = {.model_path = path, .reference = impl == OP_IMPL_REF};
    int rc = app_init(a, &o, &fault);
    if (rc)
        lesson_diag_add(d, 1, l->model_line, l->model_col, "%s",
                        sf_diag_format(&fault, msg, sizeof msg));
    return rc;
}

// The narration pane of the beat on screen, as the app lays it out at its size now.
static void fit_now(struct app *a, struct narration_fit *f)
{
    struct screen_state s;
    app_screen(a, &s);
    panel_narration_fit(&a->lesson->screen, s.narration, f);
}

// Keeps in *worst the state whose question block overflows the pane the most.
static void keep_worst(struct app *a, struct narration_fit *worst, const char **worst_with,
                       const char *with)
{
    struct narration_fit f;
    fit_now(a, &f);
    if (f.quest_lines - f.rows > worst->quest_lines - worst->rows)
        *worst = f, *worst_with = with;
    if (f.lost > worst->lost)
        worst->lost = f.lost;
}

// Answers the beat's question as a student may: each wrong choice in turn, twice (so that
// each reply is seen in its longest form, which follows two wrong answers, whatever order the
// student's choices are in), then the right one; a typed answer wrong twice, then Enter on an
// empty line (which shows the answer). Keeps the worst state in *worst; the explanation must
// come whole.
static void answer_through(struct app *a, struct narration_fit *worst, const char **worst_with,
                           struct lesson_diags *d)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_question *q = ls->l.beats[ls->beat].q;
    if (q->correct >= 0) {
        int right = 0;
        for (int i = 0; i < 2 * q->n_choices; i++) {
            if (ls->order[i % q->n_choices] == q->correct) {
                right = i % q->n_choices;
                continue;
            }
            app_key(a, 'a' + i % q->n_choices);
            keep_worst(a, worst, worst_with, "with a wrong choice's reply");
        }
        app_key(a, 'a' + right);
    } else {
        for (int k = 0; k < 2 && !ls->answered[ls->beat]; k++) {
            if (!ls->typing)
                app_key(a, SF_KEY_ENTER);
            app_key(a, '?');
            app_key(a, SF_KEY_ENTER);
            keep_worst(a, worst, worst_with, "with the hint");
        }
        if (!ls->answered[ls->beat])
            app_key(a, SF_KEY_ENTER);
    }
    keep_worst(a, worst, worst_with, "with the explanation");
    if (q->explain && !strstr(ls->feedback, q->explain))
        lesson_diag_add(d, 1, q->line, 1,
                        "the explanation is cut: with the reply before it, it is longer than "
                        "the %zu bytes the app keeps; shorten it",
                        sizeof ls->feedback - 1);
}

// Beat k on the smallest screen the app runs on (SF_MIN_W x SF_MIN_H), laid out as the app
// lays it out, as the beat opens and through its question. Narration that needs scrolling
// as the beat opens is a warning; a question block taller than the pane, so that the question
// scrolls with the narration, a stronger one; text that can never be shown, an error.
static void check_fit(struct app *a, struct lesson_diags *d)
{
    struct app_lesson *ls = a->lesson;
    const struct lesson_beat *b = &ls->l.beats[ls->beat];
    int w = a->width, h = a->height, n = ls->beat + 1;
    a->width = SF_MIN_W, a->height = SF_MIN_H;
    struct narration_fit open, worst;
    const char *worst_with = "as the beat opens";
    fit_now(a, &open);
    worst = open;
    if (open.narr_shown < open.narr_lines)
        lesson_diag_add(d, LESSON_WARNING, b->line, 1,
                        "beat %d needs scrolling at %d×%d: its narration is %d lines, %d fit; "
                        "shorten it or split the beat with @pause",
                        n, SF_MIN_W, SF_MIN_H, open.narr_lines, open.narr_shown);
    if (b->q && !ls->answered[ls->beat])
        answer_through(a, &worst, &worst_with, d);
    if (b->q && worst.quest_lines > worst.rows)
        lesson_diag_add(d, LESSON_WARNING, b->q->line, 1,
                        "beat %d cannot show its question whole at %d×%d: %s the question block "
                        "is %d lines and the pane has %d rows, so the question, its choices "
                        "and the reply scroll with the narration; shorten them",
                        n, SF_MIN_W, SF_MIN_H, worst_with, worst.quest_lines, worst.rows);
    if (worst.lost)
        lesson_diag_add(d, 1, b->line, 1,
                        "beat %d: %d lines of its pane can never be shown at %d×%d (too long "
                        "to lay out); split the beat with @pause",
                        n, worst.lost, SF_MIN_W, SF_MIN_H);
    a->width = w, a->height = h;
}

// Runs every beat of a parsed lesson on its model, as a student would reach it; the
// questions' answers must be computable and must match themselves.
static void run_through(struct lesson *l, struct lesson_diags *d, int *beats, int *questions)
{
    struct app a;
    *beats = l->n_beats;
    *questions = 0;
    for (int k = 0; k < l->n_beats; k++)
        *questions += l->beats[k].q != NULL;
    if (open_model(&a, l, OP_IMPL_FAST, d, 1)) {
        lesson_free(l);
        return;
    }
    if (app_lesson_start(&a, l, 0, NULL, d) == 0 || a.lesson)
        for (int k = 0; k < a.lesson->l.n_beats; k++) {
            if (k)
                app_lesson_goto(&a, k, d);
            const struct lesson_question *q = a.lesson->l.beats[k].q;
            char want[200];
            // A choice: the letter a student sees for the correct choice must pick it.
            if (q && q->correct >= 0 && app_lesson_expected(&a, want, sizeof want) &&
                (want[0] < 'a' || want[0] - 'a' >= q->n_choices ||
                 a.lesson->order[want[0] - 'a'] != q->correct))
                lesson_diag_add(d, 1, q->line, 1, "the correct choice is not the one shown as %s",
                                want);
            if (q && app_lesson_expected(&a, want, sizeof want) && q->correct < 0 &&
                strcmp(want, "?") != 0 &&
                !lesson_answer_matches(q, want, a.lesson->live, a.lesson->live_numeric,
                                       a.lesson->live_value))
                lesson_diag_add(d, 1, q->line, 1, "the answer '%s' does not match itself", want);
            check_fit(&a, d);
        }
    app_free(&a);
}

// Checks one file: a lesson, or the equation table (equations.md), which is checked as a table;
// a README.md (documentation, whose examples are not a lesson) is skipped.
// Prints the problems to err and a summary line to out. Returns 1 when the file has an error.
static int check_file(const char *path, const struct lesson_panels *pn, FILE *out, FILE *err)
{
    char safe[4500];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    utf8_safe(safe, sizeof safe, path);
    if (strcmp(base, "README.md") == 0) {
        fprintf(out, "%s: documentation, not a lesson: skipped\n", safe);
        return 0;
    }
    struct lesson_diags *d = malloc(sizeof *d);
    if (!d) {
        fprintf(err, "%s: out of memory\n", safe);
        return 1;
    }
    lesson_diags_init(d, path);
    int beats = 0, questions = 0, rows = 0, confirmed = 0,
        table = strcmp(base, "equations.md") == 0;
    struct lesson l;
    if (table)
        lesson_check_equations(path, &rows, &confirmed, d);
    else if (lesson_load(&l, path, pn, d) == 0)
        run_through(&l, d, &beats, &questions);
    else
        lesson_free(&l);
    print_diags(d, err);
    int bad = d->errors > 0;
    if (bad)
        fprintf(out, "%s: %d error%s\n", safe, d->errors, d->errors == 1 ? "" : "s");
    else if (table)
        fprintf(out, "%s: ok, %d equations, %d with a confirmed number\n", safe, rows, confirmed);
    else {
        fprintf(out, "%s: ok, %d beats, %d questions", safe, beats, questions);
        if (d->warnings)
            fprintf(out, ", %d warning%s", d->warnings, d->warnings == 1 ? "" : "s");
        fprintf(out, "\n");
    }
    free(d);
    return bad;
}

static const char check_usage[] =
    "usage: stepformer check [LESSON...]\n\n"
    "Checks lesson scripts (files, numbers or names; all the lessons when none is given):\n"
    "the syntax, the directives, the panels, the op names on the lesson's model, and that\n"
    "every question has an answer the model can compute. Prints file:line:col: message\n"
    "for each problem; the exit status is 2 when there is an error. Warnings (status 0)\n"
    "name the beats whose narration or question needs scrolling at 80×24.\n";

static const char lessons_usage[] =
    "usage: stepformer lessons\n\nLists the lessons with your progress. Open one with "
    "`stepformer lesson N`.\n";

const char cli_lesson_usage[] =
    "usage: stepformer lesson [NUMBER|NAME|FILE] [--present] [--restart] [--beat N]\n"
    "                         [--impl fast|ref] [--palette light|dark|8|mono] [--record FILE]\n\n"
    "Opens a lesson (the first unfinished one when none is named) where you left it.\n"
    "Space goes on a beat, Backspace goes back; questions wait for your answer.\n"
    "--present: a classroom layout, large panels and the narration as a caption;\n"
    "  Space, PgDn and the arrows move, so a presentation clicker works.\n"
    "--restart: from the first beat.\n"
    "--beat N: at beat N (to check a lesson being written).\n"
    "--impl ref: the reference loops instead of BLAS (the same digits on every machine).\n"
    "--palette light: dark text on white, for projectors (also STEPFORMER_PALETTE).\n"
    "--record demo.cast: the session as an asciicast v2 file (asciinema play demo.cast).\n"
    "`stepformer lessons` lists the lessons.\n";

// A lesson named as a file (with a slash, or ending in .md) that is not there: 1 after saying
// "no such file".
static int missing_file(const char *what, const char *arg, FILE *err)
{
    size_t n = strlen(arg);
    struct stat st;
    if ((!strchr(arg, '/') && !(n > 3 && strcmp(arg + n - 3, ".md") == 0)) || stat(arg, &st) == 0)
        return 0;
    char safe[SF_MSG_MAX];
    fprintf(err, "stepformer: %s: %s: no such file\n", what, utf8_safe(safe, sizeof safe, arg));
    return 1;
}

int cmd_check(int argc, char **argv, FILE *out, FILE *err)
{
    char safe[4500]; // a path or a message escaped
    struct lesson_panels pn = panels();
    int n_files = 0, bad = 0;
    char **list = NULL;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(check_usage, out);
            return 0;
        }
    for (int i = 0; i < argc; i++) // an option is never read as a lesson's name
        if (argv[i][0] == '-')
            return cli_unknown_option(err, "check", argv[i], check_usage);
    if (argc == 0) {
        list = lesson_list(&n_files);
        if (!n_files) {
            char why[LESSON_DIR_MAX * 2];
            lesson_list_none(why, sizeof why);
            fprintf(err, "stepformer check: %s\n", utf8_safe(safe, sizeof safe, why));
            return 2;
        }
    }
    int total = argc ? argc : n_files;
    for (int i = 0; i < total; i++) {
        char path[1100], why[300];
        const char *arg = argc ? argv[i] : list[i];
        if (argc && missing_file("check", arg, err)) {
            bad++;
            continue;
        }
        if (argc && lesson_find(arg, path, sizeof path, why, sizeof why)) {
            fprintf(err, "%s: error: ", utf8_safe(safe, sizeof safe, arg));
            fprintf(err, "%s\n", utf8_safe(safe, sizeof safe, why));
            bad++;
            continue;
        }
        if (!argc)
            snprintf(path, sizeof path, "%s", arg);
        bad += check_file(path, &pn, out, err);
    }
    if (!argc && n_files) { // the lessons' equation table too
        char eq[1100];
        const char *slash = strrchr(list[0], '/');
        snprintf(eq, sizeof eq, "%.*s/equations.md", slash ? (int)(slash - list[0]) : 1,
                 slash ? list[0] : ".");
        if (access(eq, F_OK) == 0)
            bad += check_file(eq, &pn, out, err);
    }
    lesson_list_free(list, n_files);
    return bad ? 2 : 0;
}

int cmd_lessons(int argc, char **argv, FILE *out, FILE *err)
{
    if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(lessons_usage, out);
        return 0;
    }
    char safe[4500]; // a path escaped
    if (argc > 0 && argv[0][0] == '-')
        return cli_unknown_option(err, "lessons", argv[0], lessons_usage);
    if (argc > 0) {
        utf8_safe(safe, sizeof safe, argv[0]);
        fprintf(err,
                "stepformer lessons: unexpected '%s' (to open a lesson: stepformer lesson "
                "%s)\n",
                safe, safe);
        return 2;
    }
    struct lesson_panels pn = panels();
    int n;
    char **list = lesson_list(&n);
    if (!n) {
        char why[LESSON_DIR_MAX * 2];
        lesson_list_none(why, sizeof why);
        fprintf(err, "stepformer lessons: %s\n", utf8_safe(safe, sizeof safe, why));
        return 2;
    }
    char ppath[1024];
    struct lesson_progress pr = {0};
    int have_progress = lesson_progress_path(ppath, sizeof ppath) == 0;
    if (have_progress)
        lesson_progress_load(&pr, ppath);
    fprintf(out, " #  %-58s %-26s %s\n", "lesson", "follows", "progress");
    struct lesson_diags *d = malloc(sizeof *d);
    for (int i = 0; d && i < n; i++) {
        struct lesson l;
        lesson_diags_init(d, list[i]);
        int rc = lesson_load(&l, list[i], &pn, d);
        const struct lesson_progress_item *it = lesson_progress_get(&pr, l.id);
        char prog[64], model_note[200] = "", path[1100], why[600], model[100];
        char title_col[4 * 58 + 1], section_col[4 * 26 + 1];
        if (!it)
            snprintf(prog, sizeof prog, "-");
        else if (it->done && it->beat > 0 && it->beat < it->n_beats - 1) // taken again
            snprintf(prog, sizeof prog, "done; again at beat %d of %d", it->beat + 1,
                     l.n_beats ? l.n_beats : it->n_beats);
        else if (it->done)
            snprintf(prog, sizeof prog, "done");
        else
            snprintf(prog, sizeof prog, "beat %d of %d", it->beat + 1,
                     l.n_beats ? l.n_beats : it->n_beats);
        if (!rc && lesson_model_path(&l, path, sizeof path, why, sizeof why))
            snprintf(model_note, sizeof model_note, "  (needs %s, not installed)",
                     utf8_safe(model, sizeof model, l.model));
        // The number is in the first column: the title without its "Lesson N: ".
        const char *title = l.title ? l.title : "(no title)", *colon = strchr(title, ':');
        if (strncmp(title, "Lesson ", 7) == 0 && colon && colon - title < 12)
            title = colon + 1 + (colon[1] == ' ');
        // Columns counted in characters; text from the lesson file escaped.
        fprintf(out, "%2d  %s %s %s%s%s\n", lesson_list_number(list[i]),
                utf8_column(title_col, sizeof title_col, title, 58),
                utf8_column(section_col, sizeof section_col, l.section ? l.section : "", 26), prog,
                rc ? "  (has errors: stepformer check)" : "", model_note);
        lesson_free(&l);
    }
    free(d);
    // The names `stepformer lesson NAME` takes: the file names without the number and ".md".
    fprintf(out, "\nOpen one with `stepformer lesson N` or by name:");
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(list[i], '/') + 1;
        size_t len = strlen(base) - 3; // without .md
        char name_col[4 * 64 + 1], name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len > 3 ? len - 3 : 0), base + 3);
        fprintf(out, "%s %d %s", i ? "," : "", lesson_list_number(list[i]),
                utf8_safe(name_col, sizeof name_col, name));
    }
    fprintf(out, ".\n`--present` shows a lesson to a class.\n");
    if (have_progress)
        fprintf(out, "Progress is kept in %s.\n", utf8_safe(safe, sizeof safe, ppath));
    if (pr.bad_lines)
        fprintf(err, "stepformer: note: %d unreadable line%s in %s were ignored\n", pr.bad_lines,
                pr.bad_lines == 1 ? "" : "s", utf8_safe(safe, sizeof safe, ppath));
    lesson_progress_free(&pr);
    lesson_list_free(list, n);
    return 0;
}

// The first lesson not finished yet (or the first).
static int next_unfinished(char *path, size_t size)
{
    int n;
    char **list = lesson_list(&n);
    if (!n)
        return -1;
    char ppath[1024];
    struct lesson_progress pr = {0};
    if (lesson_progress_path(ppath, sizeof ppath) == 0)
        lesson_progress_load(&pr, ppath);
    int pick = 0;
    for (int i = 0; i < n; i++) {
        char id[128];
        const struct lesson_progress_item *it =
            lesson_progress_get(&pr, lesson_id(list[i], id, sizeof id));
        if (!it || !it->done) {
            pick = i;
            break;
        }
    }
    snprintf(path, size, "%s", list[pick]);
    lesson_progress_free(&pr);
    lesson_list_free(list, n);
    return 0;
}

int app_lesson_open(struct app *a, int argc, char **argv, FILE *err)
{
    char safe[SF_MSG_MAX];
    const char *name = NULL, *v, *palette = NULL;
    int present = 0, restart = 0, r;
    long beat = 0; // --beat N, from 1; 0: where it was left
    enum op_impl impl = OP_IMPL_FAST;
    for (int i = 0; i < argc; i++) {
        if (cli_flag(argv, i, "--present"))
            present = 1;
        else if ((r = cli_value(argc, argv, &i, "--beat", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 1, 99999, &beat)) {
                fprintf(err, "stepformer lesson: --beat %s%s%s: give a beat number from 1\n",
                        r < 0 ? "needs a value" : "'", r < 0 ? "" : utf8_safe(safe, sizeof safe, v),
                        r < 0 ? "" : "'");
                return 2;
            }
        } else if (cli_flag(argv, i, "--restart"))
            restart = 1;
        else if ((r = cli_value(argc, argv, &i, "--impl", &v)) != 0) {
            if (r < 0 || cli_parse_impl(v, &impl)) {
                fprintf(err, "stepformer lesson: --impl %s%s%s: use fast or ref\n",
                        r < 0 ? "needs a value" : "'", r < 0 ? "" : utf8_safe(safe, sizeof safe, v),
                        r < 0 ? "" : "'");
                return 2;
            }
        } else if ((r = cli_value(argc, argv, &i, "--palette", &v)) != 0) {
            if (r < 0) {
                fprintf(err, "stepformer lesson: --palette needs a value\n");
                return 2;
            }
            palette = v;
        } else if (argv[i][0] == '-') {
            return cli_unknown_option(err, "lesson", argv[i], cli_lesson_usage);
        } else if (name) {
            fprintf(err,
                    "stepformer lesson: unexpected '%s'; usage: stepformer lesson [NUMBER|NAME|"
                    "FILE] [--present] [--restart] [--beat N] [--impl fast|ref] [--palette "
                    "light|dark|8|mono] [--record FILE]\n",
                    utf8_safe(safe, sizeof safe, argv[i]));
            return 2;
        } else
            name = argv[i];
    }
    int scheme = cli_palette(palette, &palette);
    if (scheme < 0) {
        fprintf(err, "stepformer lesson: palette '%s': use light, dark, 8 or mono\n",
                utf8_safe(safe, sizeof safe, palette));
        return 2;
    }
    char path[1100], why[LESSON_DIR_MAX * 2];
    if (name && missing_file("lesson", name, err))
        return 2;
    if (name ? lesson_find(name, path, sizeof path, why, sizeof why)
             : next_unfinished(path, sizeof path)) {
        if (!name)
            lesson_list_none(why, sizeof why);
        fprintf(err, "stepformer lesson: %s\n", utf8_safe(safe, sizeof safe, why));
        return 2;
    }
    char ppath[1024];
    int keep = !present && lesson_progress_path(ppath, sizeof ppath) == 0;
    r = app_lesson_open_path(a, path, present, keep ? ppath : NULL, restart, impl, err);
    if (r == 0 && beat > 0) {
        int n_beats = a->lesson->l.n_beats;
        struct lesson_diags *d = beat <= n_beats ? malloc(sizeof *d) : NULL;
        if (d)
            lesson_diags_init(d, path);
        if (!d || app_lesson_goto(a, (int)beat - 1, d)) {
            if (d)
                print_diags(d, err);
            else if (beat > n_beats)
                fprintf(err, "stepformer lesson: --beat %ld: %s has %d beats\n", beat,
                        utf8_safe(safe, sizeof safe, path), n_beats);
            free(d);
            app_free(a);
            return 2;
        }
        free(d);
    }
    if (r == 0 && scheme > 0) {
        a->scheme = scheme - 1;
        a->scheme_chosen = 1;
    }
    return r;
}

int app_lesson_open_path(struct app *a, const char *path, int present, const char *progress_path,
                         int restart, enum op_impl impl, FILE *err)
{
    struct lesson_panels pn = panels();
    struct lesson l;
    char safe[4500];
    struct lesson_diags *d = malloc(sizeof *d);
    if (!d)
        return 2;
    utf8_safe(safe, sizeof safe, path);
    lesson_diags_init(d, path);
    int rc = lesson_load(&l, path, &pn, d);
    if (rc) {
        print_diags(d, err);
        fprintf(err, "stepformer lesson: %s cannot be shown until these are fixed\n", safe);
        lesson_free(&l);
        free(d);
        return 2;
    }
    if (open_model(a, &l, impl, d, 0)) {
        print_diags(d, err);
        lesson_free(&l);
        free(d);
        return 2;
    }
    rc = app_lesson_start(a, &l, present, progress_path, d);
    if (!rc && restart) { // from the top, as if new: no answers kept, no welcome back
        memset(a->lesson->answered, 0, (size_t)a->lesson->l.n_beats);
        if (!a->lesson->save_failed)
            a->message[0] = 0;
        if (a->lesson->beat > 0)
            rc = app_lesson_goto(a, 0, d);
    }
    if (rc) {
        print_diags(d, err);
        fprintf(err,
                "stepformer lesson: the script does not run on this model; `stepformer "
                "check %s` lists every problem\n",
                safe);
        app_free(a);
        free(d);
        return 2;
    }
    free(d);
    return 0;
}
