// Lessons: the parser's diagnostics for every kind of mistake and for junk, live answers,
// answer matching, the progress file, `stepformer check`, and lesson and presenter modes
// driven by keys through every shipped lesson (with a golden screen of one beat of each).
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/arena.h"
#include "stepformer/app.h"
#include "stepformer/checkpoint.h"
#include "stepformer/cli.h"
#include "stepformer/lesson.h"
#include "stepformer/screen.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

static const char *names[PANEL_COUNT];
static struct lesson_panels pn;
static char state_dir[600];

// A scratch path as an absolute path: XDG_STATE_HOME is ignored unless it is one, and the
// progress would then go to the user's home.
static const char *state_path(char *buf, size_t size, const char *name)
{
    char rel[300], cwd[300];
    test_tmp_path(rel, sizeof rel, name);
    if (rel[0] == '/' || !getcwd(cwd, sizeof cwd))
        snprintf(buf, size, "%s", rel);
    else
        snprintf(buf, size, "%s/%s", cwd, rel);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    for (int p = 0; p < PANEL_COUNT; p++)
        names[p] = panel_keyword((enum panel_id)p);
    pn = (struct lesson_panels){names, PANEL_COUNT};
    // Progress goes to a scratch directory, never to the user's.
    state_path(state_dir, sizeof state_dir, "lesson-state");
    setenv("XDG_STATE_HOME", state_dir, 1);
    // The order of the choices depends on the user: one name, so the screens are the same.
    setenv("USER", "student", 1);
    return 0;
}

// After a test that points XDG_STATE_HOME elsewhere, even one that failed halfway.
static int reset_state_dir(void **state)
{
    (void)state;
    setenv("XDG_STATE_HOME", state_dir, 1);
    return 0;
}

// A C row shows its number, an R row its section and equation; the last two rows are faulty.
static const char eq_table[] =
    "| key | number | status | section | equation | source |\n"
    "|---|---|---|---|---|---|\n"
    "| qkv | 9.9 | C | 9.1 | q_i = x_i W^Q | a draft, ch. 9: \"q_i = x_i W^Q (9.9)\" |\n"
    "| `alpha` | 9.11 | R | 9.1 | α_ij = softmax(score(x_i, x_j)) | — |\n"
    "| unsourced | 9.12 | C | 9.1 | head_i = Σ α_ij v_j | |\n"
    "| odd | 9.13 | X | 9.1 | a_i = head_i W^O | |\n";

static void write_file(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void test_parse_a_lesson(void **state)
{
    (void)state;
    static const char text[] = "# Lesson 9: A title\n"
                               "@model textbook\n"
                               "@section 9.1 Attention\n"
                               "\n"
                               "First *line* of a\n"
                               "paragraph, eq. {eq:qkv}.\n"
                               "<!-- a comment\n"
                               "over lines -->\n"
                               "\n"
                               "- an item\n"
                               "@prompt the keys to the cabinet\n"
                               "@goto L0.attn.q\n"
                               "@panels tokens qkv attention\n"
                               "@head all\n"
                               "@highlight cell 2 1\n"
                               "@sampler random temperature 0.5 top-k 3 top-p 0.9 seed 7\n"
                               "@pause\n"
                               "@question Which?\n"
                               "  continued\n"
                               "@choice one\n"
                               "@choice* two\n"
                               "@hint h\n"
                               "@explain e {eq:alpha}\n"
                               "@pause\n"
                               "@question How many?\n"
                               "@answer five | 5\n"
                               "@tolerance 0.5\n"
                               "@pause\n"
                               "@question Live?\n"
                               "@live argmax-token L1.attn.softmax 0 last\n";
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "x.md");
    assert_int_equal(lesson_parse(&l, "dir/09-x.md", text, sizeof text - 1, eq_table, &pn, &d), 0);
    assert_int_equal(d.errors, 0);
    assert_string_equal(l.id, "09-x");
    assert_string_equal(l.title, "Lesson 9: A title");
    assert_string_equal(l.model, "textbook");
    assert_string_equal(l.section, "9.1 Attention");
    assert_int_equal(l.n_beats, 4);
    assert_string_equal(l.beats[0].text, "First \"line\" of a paragraph, eq. 9.9.\n\n- an item");
    assert_int_equal(l.beats[0].n_acts, 6);
    assert_int_equal(l.beats[0].acts[1].op, LESSON_GOTO);
    assert_string_equal(l.beats[0].acts[1].text, "L0.attn.q");
    assert_int_equal(l.beats[0].acts[2].n_panels, 3);
    assert_int_equal(l.beats[0].acts[2].panels[1], PANEL_QKV);
    assert_int_equal(l.beats[0].acts[3].n, -1);
    assert_int_equal(l.beats[0].acts[4].i, 2);
    assert_int_equal(l.beats[0].acts[4].j, 1);
    assert_int_equal(l.beats[0].acts[5].top_k, 3);
    assert_int_equal((int)l.beats[0].acts[5].seed, 7);
    const struct lesson_question *q = l.beats[1].q;
    assert_string_equal(q->text, "Which? continued");
    assert_int_equal(q->n_choices, 2);
    assert_int_equal(q->correct, 1);
    assert_string_equal(q->explain, "e §9.1: α_ij = softmax(score(x_i, x_j))");
    q = l.beats[2].q;
    assert_int_equal(q->n_answers, 2);
    assert_string_equal(q->answers[1], "5");
    assert_true(lesson_answer_matches(q, "5.4", NULL, 0, 0));
    assert_true(lesson_answer_matches(q, "  FIVE. ", NULL, 0, 0));
    assert_false(lesson_answer_matches(q, "6", NULL, 0, 0));
    assert_false(lesson_answer_matches(q, "", NULL, 0, 0));
    assert_string_equal(l.beats[3].q->live, "argmax-token L1.attn.softmax 0 last");
    lesson_free(&l);
}

struct bad {
    const char *text;
    int line, col;
    const char *says;
};

static const struct bad bad_lessons[] = {
    {"# T\n@frobnicate x\n", 2, 1, "unknown directive '@frobnicate'"},
    {"# T\n@panels tokens foo\n", 2, 16, "unknown panel 'foo'"},
    {"# T\n@question Why?\n@hint h\n", 2, 1, "has no answer"},
    {"# T\n@question Why?\n@choice a\n@choice b\n", 2, 1, "no correct choice"},
    {"# T\n@choice* a\n", 2, 1, "belongs to a question"},
    {"# T\n@question A\n@answer 1\n@question B\n@answer 2\n", 4, 1, "a second @question"},
    {"# T\n@question A\n@live frob 1\n", 3, 7, "unknown live value 'frob'"},
    {"# T\n@question A\n@live prob fish\n", 3, 7, "'prob' takes WORD POS"},
    {"# T\n@step zero\n", 2, 7, "count from 1 to 100000"},
    {"# T\n@goto L0.attn q\n", 2, 7, "has a space"},
    {"# T\n@goto\n", 2, 6, "@goto needs an op name"},
    {"# T\n@head five\n", 2, 7, "head number"},
    {"# T\n@highlight cell 3\n", 2, 12, "a row and a column"},
    {"# T\n@sampler random temperature hot\n", 2, 17, "@sampler random takes"},
    {"# T\nsome text\n@model textbook\n", 3, 1, "belongs in the header"},
    {"# T\nsee {eq:nope} here\n", 2, 5, "unknown equation 'nope'"},
    {"# T\n<!-- open\ntext\n", 2, 1, "never closed"},
    {"hello\n", 1, 1, "no title"},
    {"# T\n@numbers maybe\n", 2, 10, "'on' (numbers) or 'off'"},
    {"# T\n@pause now\n", 2, 8, "@pause takes no argument"},
    {"# T\n@view sideways\n", 2, 7, "@view is 'forward'"},
    {"# T\n@goto embed.pos extra\n", 2, 7, "has a space"},
    {"# T\n@layer 1 2\n", 2, 10, "unexpected '2'"},
    {"# T\n@ goto\n", 2, 2, "needs its name"},
    {"# T\nok\n\x01\x02 bad\n", 3, 1, "control character"},
    {"# T\nok \xff\xfe\n", 2, 4, "not UTF-8"},
    {"# T\nok\n\0\0\0\n", 3, 1, "NUL byte"},
    {"# T\n@question Q\n@feedback f\n@choice* a\n@choice b\n", 3, 1, "right after the @choice"},
    {"# T\n@question Q\n@choice* a\n@hint h\n@feedback f\n@choice b\n", 5, 1,
     "right after the @choice"},
    {"# T\n@question Q\n@choice* a\n@feedback f\n@feedback g\n@choice b\n", 5, 1,
     "a second @feedback"},
    {"# T\n@question Q\n@choice* a\n@choice b\n@keep-order now\n", 5, 13, "takes no argument"},
};

// Emphasis shows as quotes (a quoted sentence over two lines too), a lone * stays, code marks
// go.
static void test_emphasis_shows_as_quotes(void **state)
{
    (void)state;
    static const char text[] = "# Lesson 9: A title\n"
                               "\n"
                               "Row 7 is \"it\" in *the chicken didn't cross the road\n"
                               "because it*: a **query** (*and* `code`), 2 * 3 and a*b.\n";
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "x.md");
    assert_int_equal(lesson_parse(&l, "dir/09-x.md", text, sizeof text - 1, eq_table, &pn, &d), 0);
    assert_string_equal(l.beats[0].text,
                        "Row 7 is \"it\" in \"the chicken didn't cross the road "
                        "because it\": a \"query\" (\"and\" code), 2 * 3 and a*b.");
    lesson_free(&l);
}

static void test_errors_name_line_and_column(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_lessons / sizeof bad_lessons[0]; i++) {
        const struct bad *b = &bad_lessons[i];
        size_t len = strlen(b->text);
        if (strcmp(b->says, "NUL byte") == 0)
            len = 11; // the bytes after the first NUL count too
        struct lesson l;
        struct lesson_diags d;
        lesson_diags_init(&d, "bad.md");
        int rc = lesson_parse(&l, "bad.md", b->text, len, eq_table, &pn, &d);
        int found = 0;
        for (int k = 0; k < d.n; k++)
            if (d.msgs[k].error && d.msgs[k].line == b->line && d.msgs[k].col == b->col &&
                strstr(d.msgs[k].text, b->says))
                found = 1;
        if (!found || rc == 0) {
            fprintf(stderr, "case %zu: want %d:%d %s; got:\n", i, b->line, b->col, b->says);
            lesson_diags_print(&d, stderr);
        }
        assert_true(found);
        assert_int_not_equal(rc, 0);
        lesson_free(&l);
    }
}

// An equation reference shows its number only where the table marks it confirmed (C, with a
// source); elsewhere it shows the section and the equation, so no unchecked number is shown.
static void test_equation_numbers_only_when_confirmed(void **state)
{
    (void)state;
    static const char text[] = "# T\n\nSee ({eq:qkv}) and ({eq:alpha}).\n";
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "x.md");
    assert_int_equal(lesson_parse(&l, "x.md", text, sizeof text - 1, eq_table, &pn, &d), 0);
    assert_int_equal(d.n, 0);
    assert_string_equal(l.beats[0].text, "See (9.9) and (§9.1: α_ij = softmax(score(x_i, x_j))).");
    lesson_free(&l);
}

// check's messages about equation references, whole: an unknown key names the nearest one, a
// C row without a source is an error (and its number is not shown), a status that is neither
// C nor R is an error.
static void test_equation_reference_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *says, *shows;
    } cases[] = {
        {"# T\n\nSee {eq:qvk}.\n",
         "unknown equation 'qvk' (did you mean 'qkv'?): add it to equations.md or fix the key",
         "See ?."},
        {"# T\n\nSee {eq:zzzzzz}.\n",
         "unknown equation 'zzzzzz': add it to equations.md or fix the key", "See ?."},
        {"# T\n\nSee {eq:unsourced}.\n",
         "equation 'unsourced' is marked C (confirmed) in equations.md but has no source: record "
         "where the number was confirmed, or mark it R",
         "See §9.1: head_i = Σ α_ij v_j."},
        {"# T\n\nSee {eq:odd}.\n",
         "equation 'odd' has the status 'X' in equations.md: write C (confirmed, with its "
         "source) or R (not confirmed)",
         "See §9.1: a_i = head_i W^O."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lesson l;
        struct lesson_diags d;
        lesson_diags_init(&d, "x.md");
        assert_int_not_equal(
            lesson_parse(&l, "x.md", cases[i].text, strlen(cases[i].text), eq_table, &pn, &d), 0);
        assert_int_equal(d.n, 1);
        assert_int_equal(d.msgs[0].line, 3);
        assert_int_equal(d.msgs[0].col, 5);
        assert_string_equal(d.msgs[0].text, cases[i].says);
        assert_string_equal(l.beats[0].text, cases[i].shows);
        lesson_free(&l);
    }
}

// The length of a choice as a student sees it: its characters (code points).
static size_t choice_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

// The correct choice does not give itself away by its length: in at most 40 % of the shipped
// lessons' multiple-choice questions is it strictly the longest (it was in 31 of 38).
static void test_correct_choice_is_not_the_longest(void **state)
{
    (void)state;
    int n, questions = 0, longest = 0;
    char where[4096] = "";
    char **list = lesson_list(&n);
    assert_true(n >= 15);
    for (int f = 0; f < n; f++) {
        struct lesson l;
        struct lesson_diags d;
        lesson_diags_init(&d, list[f]);
        lesson_load(&l, list[f], &pn, &d);
        for (int b = 0; b < l.n_beats; b++) {
            const struct lesson_question *q = l.beats[b].q;
            if (!q || q->n_choices < 2 || q->correct < 0)
                continue;
            size_t right = choice_chars(q->choices[q->correct]), other = 0;
            for (int i = 0; i < q->n_choices; i++)
                if (i != q->correct && choice_chars(q->choices[i]) > other)
                    other = choice_chars(q->choices[i]);
            questions++;
            if (right > other)
                snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s:%d (%zu > %zu)",
                         longest++ ? ", " : "", list[f], q->line, right, other);
        }
        lesson_free(&l);
    }
    lesson_list_free(list, n);
    assert_true(questions >= 30);
    if (10 * longest > 4 * questions)
        fail_msg("the correct choice is the longest in %d of %d questions: %s", longest, questions,
                 where);
}

// check warns where the correct choice is more than 1.5 times as long as any other.
static void test_check_warns_about_a_long_correct_choice(void **state)
{
    (void)state;
    static const char text[] = "# T\n@question Q\n@choice* a rather long correct answer\n"
                               "@choice short one\n@choice another\n@pause\n"
                               "@question R\n@choice* as long as\n@choice the other\n";
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "x.md");
    assert_int_equal(lesson_parse(&l, "x.md", text, sizeof text - 1, eq_table, &pn, &d), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.msgs[0].error, LESSON_WARNING);
    assert_int_equal(d.msgs[0].line, 2);
    assert_string_equal(d.msgs[0].text,
                        "the correct choice is 28 characters long, more than 1.5 times the "
                        "longest other one (9): a student can pick it by its length; make the "
                        "others as specific, or the correct one shorter");
    lesson_free(&l);
}

// The "unknown directive" message lists the parser's table, in its order.
static void test_unknown_directive_lists_the_table(void **state)
{
    (void)state;
    char want[LESSON_MSG_MAX] = "unknown directive '@frob'; directives are: ";
    for (int i = 0; lesson_directive(i); i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? ", " : "",
                 lesson_directive(i)->name);
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "x.md");
    assert_int_not_equal(lesson_parse(&l, "x.md", "# T\n@frob\n", 10, eq_table, &pn, &d), 0);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.msgs[0].text, want);
    lesson_free(&l);
}

// Every action a beat can hold has exactly one directive, and every directive a keyword, a
// usage and a help line.
static void test_directive_table_is_whole(void **state)
{
    (void)state;
    for (int op = 0; op < LESSON_OP_COUNT; op++) {
        const char *name = lesson_op_name((enum lesson_op)op);
        assert_string_not_equal(name, "?");
        for (int other = 0; other < op; other++)
            assert_string_not_equal(name, lesson_op_name((enum lesson_op)other));
    }
    assert_string_equal(lesson_op_name(LESSON_OP_COUNT), "?");
    int n = 0;
    for (; lesson_directive(n); n++) {
        const struct lesson_syntax *s = lesson_directive(n);
        assert_true(s->name[0] && s->help[0]);
        assert_non_null(s->usage);
        for (int k = 0; k < n; k++)
            assert_string_not_equal(s->name, lesson_directive(k)->name);
    }
    assert_true(n > LESSON_OP_COUNT);
    assert_null(lesson_directive(-1));
    for (n = 0; lesson_live_kind(n); n++)
        assert_true(lesson_live_kind(n)->name[0] && lesson_live_kind(n)->help[0]);
    assert_null(lesson_live_kind(-1));
}

// lessons/README.md, read whole.
static char *read_readme(void)
{
    char dir[LESSON_DIR_MAX], why[LESSON_DIR_MAX * 2], path[LESSON_DIR_MAX + 16];
    assert_int_equal(lesson_dir(dir, sizeof dir, why, sizeof why), 0);
    snprintf(path, sizeof path, "%s/README.md", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    assert_true(n > 0 && n < sizeof text - 1);
    text[n] = 0;
    return text;
}

// The keywords written in backquotes in the first cell of the README's table rows: "`@NAME"
// (directives, with at = 1) or "`NAME" (live expressions, in the rows after the header
// row_after). Each keyword ends at a space or a backquote. Returns their count.
static int readme_keywords(const char *text, const char *row_after, int at, char words[][32],
                           int max)
{
    int n = 0;
    const char *s = row_after ? strstr(text, row_after) : text;
    assert_non_null(s);
    for (; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
        if (row_after && s[0] == '\n')
            break; // the table ends at the blank line after it
        if (s[0] != '|' || strncmp(s, "|---", 4) == 0)
            continue;
        const char *end = strstr(s + 1, " | "); // the first cell (an escaped "\|" has no space)
        for (const char *q = s; (q = strchr(q, '`')) != NULL && end && q < end;) {
            q++;
            if (at && *q != '@') {
                q = strchr(q, '`');
                if (!q)
                    break;
                q++;
                continue;
            }
            q += at;
            size_t len = strcspn(q, " `");
            assert_true(len > 0 && len < 32 && n < max);
            snprintf(words[n++], 32, "%.*s", (int)len, q);
            q = strchr(q, '`'); // past the closing backquote
            if (!q)
                break;
            q++;
        }
    }
    return n;
}

static int listed(char words[][32], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(words[i], name) == 0)
            return 1;
    return 0;
}

// Every directive in the parser's table has a row in lessons/README.md's directive tables, and
// every directive those tables name is in the parser's table.
static void test_directives_are_documented(void **state)
{
    (void)state;
    static char words[200][32];
    int n = readme_keywords(read_readme(), NULL, 1, words, 200);
    for (int i = 0; lesson_directive(i); i++) {
        if (!listed(words, n, lesson_directive(i)->name))
            fprintf(stderr, "@%s is not in lessons/README.md\n", lesson_directive(i)->name);
        assert_true(listed(words, n, lesson_directive(i)->name));
    }
    for (int k = 0; k < n; k++) {
        int known = 0;
        for (int i = 0; lesson_directive(i); i++)
            known |= strcmp(words[k], lesson_directive(i)->name) == 0;
        if (!known)
            fprintf(stderr, "lessons/README.md names @%s, which is no directive\n", words[k]);
        assert_true(known);
    }
}

// Likewise for the live expressions and the README's table of them.
static void test_live_values_are_documented(void **state)
{
    (void)state;
    static char words[200][32];
    int n = readme_keywords(read_readme(), "| expression | value |", 0, words, 200);
    assert_true(n > 0);
    for (int i = 0; lesson_live_kind(i); i++) {
        if (!listed(words, n, lesson_live_kind(i)->name))
            fprintf(stderr, "%s is not in lessons/README.md\n", lesson_live_kind(i)->name);
        assert_true(listed(words, n, lesson_live_kind(i)->name));
    }
    for (int k = 0; k < n; k++) {
        int known = 0;
        for (int i = 0; lesson_live_kind(i); i++)
            known |= strcmp(words[k], lesson_live_kind(i)->name) == 0;
        if (!known)
            fprintf(stderr, "lessons/README.md names the live value %s, which is none\n", words[k]);
        assert_true(known);
    }
}

static void test_junk_gives_diagnostics(void **state)
{
    (void)state;
    char path[600];
    struct lesson l;
    struct lesson_diags d;
    // An empty file.
    test_tmp_path(path, sizeof path, "empty.md");
    write_file(path, "", 0);
    lesson_diags_init(&d, path);
    assert_int_not_equal(lesson_load(&l, path, &pn, &d), 0);
    assert_non_null(strstr(d.msgs[0].text, "the file is empty"));
    lesson_free(&l);
    // Binary junk: every byte value, many times.
    size_t n = 1 << 16;
    unsigned char *junk = malloc(n);
    assert_non_null(junk);
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++)
        junk[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    test_tmp_path(path, sizeof path, "junk.md");
    write_file(path, (char *)junk, n);
    lesson_diags_init(&d, path);
    assert_int_not_equal(lesson_load(&l, path, &pn, &d), 0);
    assert_true(d.errors > 0);
    assert_true(d.n <= LESSON_MAX_DIAGS);
    lesson_free(&l);
    free(junk);
    // A 10 MB line.
    size_t big = 10u << 20;
    char *line = malloc(big + 16);
    assert_non_null(line);
    memcpy(line, "# T\n", 4);
    memset(line + 4, 'a', big);
    line[4 + big] = '\n';
    test_tmp_path(path, sizeof path, "long.md");
    write_file(path, line, big + 5);
    lesson_diags_init(&d, path);
    assert_int_not_equal(lesson_load(&l, path, &pn, &d), 0);
    assert_int_equal(d.msgs[0].line, 2);
    assert_non_null(strstr(d.msgs[0].text, "at most 4096"));
    lesson_free(&l);
    free(line);
    // A directory, and a file that is not there.
    lesson_diags_init(&d, "/");
    assert_int_not_equal(lesson_load(&l, "/", &pn, &d), 0);
    assert_non_null(strstr(d.msgs[0].text, "not a regular file"));
    lesson_free(&l);
}

// Runs cmd_check on one lesson text; returns the exit status, the messages in out.
static int check_text(const char *text, char *out, size_t size)
{
    char path[600];
    test_tmp_path(path, sizeof path, "check.md");
    write_file(path, text, strlen(text));
    FILE *o = fmemopen(out, size, "w");
    assert_non_null(o);
    char *argv[] = {path};
    int rc = cmd_check(1, argv, o, o);
    fclose(o);
    return rc;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// A growing test text.
struct text {
    char *s;
    size_t n, cap;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(t->s ? t->s + t->n : NULL, t->s ? t->cap - t->n : 0, fmt, ap);
        va_end(ap);
        if (t->s && t->n + (size_t)k < t->cap) {
            t->n += (size_t)k;
            return;
        }
        t->cap = 2 * (t->cap + (size_t)k + 1);
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
}

// Parses text, failing when it takes more than two seconds of CPU time (a linear parse of 2 MB
// takes well under half a second, sanitizers included); returns the lesson.
static void parse_timed(struct lesson *l, const struct text *t, const char *table,
                        struct lesson_diags *d, const char *what)
{
    lesson_diags_init(d, "big.md");
    double t0 = cpu_seconds();
    lesson_parse(l, "big.md", t->s, t->n, table, &pn, d);
    double dt = cpu_seconds() - t0;
    if (dt > 2.0)
        fail_msg("%s: parsing %zu bytes took %.2f s of CPU time", what, t->n, dt);
}

// Parsing takes time linear in the file: 2 MB of an unclosed comment, of continuation lines,
// of equation references into a table of 20000 rows, or of @answer lines each parse in a
// fraction of a second (the first three took 8 to 60 s when the parser rescanned the rest of
// the file, the field being continued, or the table).
static void test_lesson_parse_is_linear(void **state)
{
    (void)state;
    const size_t size = 2 << 20;
    struct lesson l;
    struct lesson_diags *d = malloc(sizeof *d);
    struct text t = {0};

    text_add(&t, "# T\n\nText.\n<!-- never closed\n");
    while (t.n < size)
        text_add(&t, "a line of the comment - - > -\n");
    parse_timed(&l, &t, NULL, d, "an unclosed comment");
    assert_int_equal(d->errors, 1);
    assert_non_null(strstr(d->msgs[0].text, "never closed"));
    lesson_free(&l);

    t.n = 0;
    text_add(&t, "# T\n@question Q\n");
    size_t lines = 0;
    while (t.n < size)
        text_add(&t, "  more\n"), lines++;
    text_add(&t, "@answer 1\n");
    parse_timed(&l, &t, NULL, d, "continuation lines");
    assert_int_equal(d->errors, 0);
    assert_int_equal(strlen(l.beats[0].q->text), 1 + 5 * lines);
    lesson_free(&l);

    struct text table = {0};
    text_add(&table, "| key | number | status | section | equation | source |\n"
                     "|---|---|---|---|---|---|\n");
    for (int k = 0; k < 20000; k++)
        text_add(&table, "| key%d | %d.%d | C | 9.1 | e | s |\n", k, k / 100, k % 100);
    t.n = 0;
    text_add(&t, "# T\n\n");
    int refs = 0;
    while (t.n < size) {
        for (int k = 0; k < 100; k++, refs++)
            text_add(&t, "{eq:key%d} ", (refs * 7919) % 20000);
        text_add(&t, "\n");
    }
    parse_timed(&l, &t, table.s, d, "equation references");
    assert_int_equal(d->errors, 0);
    char want[64];
    snprintf(want, sizeof want, " %d.%d ", 19999 / 100, 19999 % 100);
    assert_non_null(strstr(l.beats[0].text, want));
    lesson_free(&l);
    free(table.s);

    t.n = 0;
    text_add(&t, "# T\n@question Q\n");
    int answers = 0;
    while (t.n < size)
        text_add(&t, "@answer a | b | c | d\n"), answers += 4;
    parse_timed(&l, &t, NULL, d, "@answer lines");
    assert_int_equal(d->errors, 0);
    assert_int_equal(l.beats[0].q->n_answers, answers);
    lesson_free(&l);
    free(t.s);
    free(d);
}

// The parser reads only the len bytes it is given: each text here ends right before a page
// the process may not read, so one byte more faults.
static void test_lesson_parse_honours_the_length(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "# T\n\nText.\n#",                     // a heading of one character, last
        "# T\n\nText.\n<!-- open\nstill open", // the search for the comment's end
        "# T\n\nText.\n<!-- open -",           // the same, on the opening line
        "#",                                   // nothing but a mark
        "# T\n\nSee {eq:qkv",                  // an unclosed reference
        "# T\n@question Q\n@answer a\n  more", // a continuation line
        "# T\n@step 2",                        // a directive's argument
        "# T\n\nText \xc3",                    // a cut UTF-8 character
    };
    long page = sysconf(_SC_PAGESIZE);
    char *mem =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(mprotect(mem + page, (size_t)page, PROT_NONE), 0);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t len = strlen(texts[i]);
        char *text = mem + page - len;
        memcpy(text, texts[i], len);
        struct lesson l;
        struct lesson_diags d;
        lesson_diags_init(&d, "cut.md");
        lesson_parse(&l, "cut.md", text, len, eq_table, &pn, &d);
        lesson_free(&l);
    }
    munmap(mem, (size_t)page * 2);
}

static void test_check_runs_the_script_on_the_model(void **state)
{
    (void)state;
    char out[8000], want[700], path[600];
    test_tmp_path(path, sizeof path, "check.md");
    assert_int_equal(check_text("# T\n@prompt the keys\n@goto L7.attn.q\n", out, sizeof out), 2);
    snprintf(want, sizeof want, "%s:3:7: error: no op 'L7.attn.q'", path);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "did you mean"));
    assert_int_equal(check_text("# T\n@goto embed.pos\n@layer 9\n", out, sizeof out), 2);
    assert_non_null(strstr(out, "layer 9: this model has layers 0..1"));
    assert_int_equal(
        check_text("# T\n@prompt the keys\n@question P?\n@live prob fish last\n", out, sizeof out),
        2);
    assert_non_null(strstr(out, "head.probs has not run yet"));
    assert_int_equal(check_text("# T\n@prompt the zorblax keys\n", out, sizeof out), 2);
    assert_non_null(strstr(out, "zorblax"));
    assert_int_equal(check_text("# T\n@goto head.probs\n@step 40\n", out, sizeof out), 2);
    assert_non_null(strstr(out, "runs past the end of the pass"));
    assert_int_equal(check_text("# T\n@goto L0.attn.q\n@highlight cell 99 0\n", out, sizeof out),
                     2);
    assert_non_null(strstr(out, "cell 99 0"));
    assert_int_equal(check_text("# T\n@prompt the keys to the cabinet\n@goto head.probs\n"
                                "@question Top?\n@live argmax-token head.probs last\n",
                                out, sizeof out),
                     0);
    assert_non_null(strstr(out, "ok, 1 beats, 1 questions"));
}

static void test_check_every_shipped_lesson(void **state)
{
    (void)state;
    int n;
    char **list = lesson_list(&n);
    assert_true(n >= 15);
    lesson_list_free(list, n);
    size_t size = 1 << 16;
    char *out = calloc(1, size);
    FILE *o = fmemopen(out, size, "w");
    int rc = cmd_check(0, NULL, o, o);
    fclose(o);
    if (rc)
        fprintf(stderr, "%s", out);
    assert_int_equal(rc, 0);
    int ok = 0;
    for (char *s = out; (s = strstr(s, ": ok, ")) != NULL; s++)
        ok++;
    assert_int_equal(ok, n + 1); // and the equation table
    assert_non_null(strstr(out, "equations.md: ok, "));
    // The bench times the slowest move between beats of every lesson.
    char *bench[] = {"--only", "lessons", "--runs", "1"};
    o = fmemopen(out, size, "w");
    assert_int_equal(cmd_bench(4, bench, o, o), 0);
    fclose(o);
    assert_non_null(strstr(out, "lessons  back one beat (replay from the start)"));
    free(out);
}

// check reads equations.md as the table it is (every problem at its line, a key once, notes
// below the table left alone) and skips a README.md, so `stepformer check lessons/*.md` passes.
static void test_check_equation_table(void **state)
{
    (void)state;
    char dir[600], path[700], out[4096];
    test_fresh_dir(dir, sizeof dir, "eq-table");
    snprintf(path, sizeof path, "%s/equations.md", dir);
    const char *table =
        "# Equation numbers\n\n| key | number | status | section | equation | source |\n"
        "|---|---|---|---|---|---|\n"
        "| ok-r | 9.1 | R | 9.1 | x = y | — |\n"
        "| ok-c | 9.2 | C | 9.1 | y = z | a draft, p. 3 |\n"
        "| no-source | 9.3 | C | 9.1 | z | |\n"
        "| odd | | X | 9.1 | y | |\n"
        "| bare | | R | | | |\n"
        "| ok-r | | R | 9 | z | |\n"
        "\nNotes, with a table of their own:\n\n| key | elsewhere |\n|---|---|\n"
        "| ok-r | (10.4) |\n";
    write_file(path, table, strlen(table));
    FILE *o = fmemopen(out, sizeof out, "w");
    char *argv[] = {path};
    assert_int_equal(cmd_check(1, argv, o, o), 2);
    fclose(o);
    const char *want[] = {
        (":7:1: error: equation 'no-source' is marked C (confirmed) in equations.md but "
         "has no source"),
        ":8:1: error: equation 'odd' has the status 'X' in equations.md: write C",
        ":9:1: error: equation 'bare' needs its section and the equation itself",
        ":10:1: error: equation 'ok-r' is in the table twice (line 5 too)",
        "equations.md: 4 errors",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(out, want[i]))
            fail_msg("no '%s' in:\n%s", want[i], out);
    assert_null(strstr(out, ":16:")); // the notes' table is not the equation table
    // The fixed table passes and counts its confirmed numbers.
    const char *good =
        "| key | number | status | section | equation | source |\n|---|---|---|---|---|---|\n"
        "| ok-r | 9.1 | R | 9.1 | x = y | — |\n"
        "| ok-c | 9.2 | C | 9.1 | y = z | a draft, p. 3 |\n";
    write_file(path, good, strlen(good));
    o = fmemopen(out, sizeof out, "w");
    assert_int_equal(cmd_check(1, argv, o, o), 0);
    fclose(o);
    assert_non_null(strstr(out, "equations.md: ok, 2 equations, 1 with a confirmed number"));
    // A README is documentation: skipped, not 6 errors.
    snprintf(path, sizeof path, "%s/README.md", dir);
    const char *readme = "# Lessons\n\n@model textbook\n{{EXPRESSION}}\n";
    write_file(path, readme, strlen(readme));
    o = fmemopen(out, sizeof out, "w");
    assert_int_equal(cmd_check(1, argv, o, o), 0);
    fclose(o);
    assert_non_null(strstr(out, "README.md: documentation, not a lesson: skipped"));
}

static void type(struct app *a, const char *text);

// Typed numbers are read in the forms the lessons print them.
static void test_typed_numbers_in_printed_forms(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double v;
        int decimals;
    } ok[] = {
        {"111,872", 111872, 0},
        {"111 872", 111872, 0},
        {"1,234,567", 1234567, 0},
        {"\xe2\x88\x92"
         "3.59",
         -3.59, 2},
        {"+3", 3, 0},
        {"85M", 85e6, -1},
        {"85m", 85e6, -1},
        {"1.5k", 1500, -1},
        {"2 B", 2e9, -1},
        {"1.2e6", 1.2e6, -1},
        {"1.2×10^6", 1.2e6, -1},
        {"1.2 x 10^-3", 1.2e-3, -1},
        {".5", 0.5, 1},
        {"1.386", 1.386, 3},
        {" -0.25 ", -0.25, 2},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = 0;
        int d = -2;
        if (lesson_read_number(ok[i].s, &v, &d) != 0)
            fprintf(stderr, "'%s' not read\n", ok[i].s);
        assert_int_equal(lesson_read_number(ok[i].s, &v, &d), 0);
        assert_true(fabs(v - ok[i].v) <= 1e-9 * fmax(1, fabs(ok[i].v)));
        assert_int_equal(d, ok[i].decimals);
    }
    // Groups not of three are not thousands: never read as another number.
    static const char *const bad[] = {"1,5", "1 5",  "12,34", "1234 567", "1,234 567",
                                      "M",   "",     "-",     "1.2e",     "85 MB",
                                      "e6",  "1..2", "3 4k",  "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v;
        int d;
        if (lesson_read_number(bad[i], &v, &d) == 0)
            fprintf(stderr, "'%s' read as %g\n", bad[i], v);
        assert_int_not_equal(lesson_read_number(bad[i], &v, &d), 0);
    }
    // As answers: a written answer and a live one.
    char *answers[] = {"98,304"};
    struct lesson_question q = {.correct = -1, .answers = answers, .n_answers = 1, .tolerance = 0};
    assert_true(lesson_answer_matches(&q, "98304", NULL, 0, 0));
    assert_true(lesson_answer_matches(&q, "98,304", NULL, 0, 0));
    assert_true(lesson_answer_matches(&q, "98 304", NULL, 0, 0));
    assert_false(lesson_answer_matches(&q, "98,305", NULL, 0, 0));
    struct lesson_question lq = {.correct = -1, .live = "params", .tolerance = -1};
    assert_true(lesson_answer_matches(&lq, "111,872", "111872", 1, 111872));
    assert_true(lesson_answer_matches(&lq, "85M", "85120000", 1, 85.12e6));
    assert_true(lesson_answer_matches(&lq,
                                      "\xe2\x88\x92"
                                      "3.59",
                                      "-3.59", 1, -3.5912));
    assert_false(lesson_answer_matches(&lq, "3.59", "-3.59", 1, -3.5912));
    // A scale the question asks in: "85M" when the answer is 85 (million).
    char *millions[] = {"85"};
    struct lesson_question mq = {.text = "About how many million parameters?",
                                 .correct = -1,
                                 .answers = millions,
                                 .n_answers = 1,
                                 .tolerance = -1};
    assert_true(lesson_answer_matches(&mq, "85M", NULL, 0, 0));
    assert_true(lesson_answer_matches(&mq, "85 million", NULL, 0, 0));
    assert_true(lesson_answer_matches(&mq, "85", NULL, 0, 0));
    assert_false(lesson_answer_matches(&mq, "85k", NULL, 0, 0));
    assert_false(lesson_answer_matches(&mq, "85B", NULL, 0, 0));
    mq.text = "How many parameters?"; // no unit asked: 85M is 85,000,000
    assert_false(lesson_answer_matches(&mq, "85M", NULL, 0, 0));
}

// A number that only its rounding separates from the answer is close, not wrong.
static void test_rounding_is_close(void **state)
{
    (void)state;
    char *answers[] = {"1.386"};
    struct lesson_question q = {
        .correct = -1, .answers = answers, .n_answers = 1, .tolerance = 0.001};
    int need = -1;
    assert_int_equal(lesson_answer_check(&q, "1.39", NULL, 0, 0, &need), LESSON_CLOSE);
    assert_int_equal(need, 3);
    assert_int_equal(lesson_answer_check(&q, "1.4", NULL, 0, 0, &need), LESSON_CLOSE);
    assert_int_equal(lesson_answer_check(&q, "1", NULL, 0, 0, &need), LESSON_CLOSE);
    assert_int_equal(lesson_answer_check(&q, "1.386", NULL, 0, 0, &need), LESSON_RIGHT);
    assert_int_equal(lesson_answer_check(&q, "1.38", NULL, 0, 0, &need), LESSON_WRONG);
    assert_int_equal(lesson_answer_check(&q, "1.3", NULL, 0, 0, &need), LESSON_WRONG);
    assert_int_equal(lesson_answer_check(&q, "1.3865", NULL, 0, 0, &need), LESSON_RIGHT);
    // The reverse: more decimals than the answer was written with.
    char *short_answer[] = {"0.45"};
    struct lesson_question r = {
        .correct = -1, .answers = short_answer, .n_answers = 1, .tolerance = 0.001};
    assert_int_equal(lesson_answer_check(&r, "0.4521", NULL, 0, 0, &need), LESSON_CLOSE);
    assert_int_equal(need, 2);
    assert_int_equal(lesson_answer_check(&r, "0.4561", NULL, 0, 0, &need), LESSON_WRONG);
    // A live value.
    struct lesson_question lq = {.correct = -1, .live = "loss", .tolerance = 0.001};
    assert_int_equal(lesson_answer_check(&lq, "1.39", "1.386", 1, 1.38629, &need), LESSON_CLOSE);
    assert_int_equal(need, 3);
    assert_int_equal(lesson_answer_check(&lq, "1.386", "1.386", 1, 1.38629, &need), LESSON_RIGHT);
}

// Writes a lesson to a scratch file and opens it from its first beat.
static void open_text(struct app *a, const char *name, const char *text)
{
    char path[600];
    test_tmp_path(path, sizeof path, name);
    write_file(path, text, strlen(text));
    char progress[1024]; // no questions answered from an earlier run
    assert_int_equal(lesson_progress_path(progress, sizeof progress), 0);
    unlink(progress);
    char *argv[] = {path, "--restart"};
    assert_int_equal(app_lesson_open(a, 2, argv, stderr), 0);
}

// Typed by a student: the refused forms are accepted and confirmed with the answer itself; a
// rounded number gets "Close" and does not count as a wrong answer.
static void test_typed_answers_in_the_app(void **state)
{
    (void)state;
    struct app a;
    open_text(&a, "typed_forms.md",
              "# T\nNumbers.\n@question How many?\n@answer 111,872\n@tolerance 0\n@pause\n"
              "@question Log 4?\n@answer 1.386\n@tolerance 0.001\n@hint ln 4\n@pause\n"
              "@question Below zero?\n@answer -3.59\n@tolerance 0.005\n@pause\n"
              "@question Parameters?\n@answer 85,000,000\n@pause\nThe end.\n");
    type(&a, "111,872");
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.lesson->answered[0], 1);
    assert_non_null(strstr(a.lesson->feedback, "Right: 111,872."));
    app_key(&a, ' ');
    type(&a, "1.39");
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.lesson->answered[1], 0);
    assert_int_equal(a.lesson->attempts, 0);
    assert_non_null(strstr(a.lesson->feedback, "Close: give 3 decimals"));
    assert_null(strstr(a.lesson->feedback, "Not quite"));
    type(&a, "1.3861");
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.lesson->answered[1], 1);
    assert_non_null(strstr(a.lesson->feedback, "Right: 1.386."));
    app_key(&a, ' ');
    app_key(&a, 0x2212); // a key is a code point: the minus sign the lessons print
    type(&a, "3.59");
    assert_string_equal(a.input.text, "\xe2\x88\x92"
                                      "3.59");
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.lesson->answered[2], 1);
    app_key(&a, ' ');
    type(&a, "85M");
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.lesson->answered[3], 1);
    app_free(&a);
}

// A choice's own feedback is shown when it is picked, right or wrong.
static void test_choice_feedback(void **state)
{
    (void)state;
    struct app a;
    open_text(&a, "choice_feedback.md",
              "# T\nPick.\n@question Which?\n@choice the key\n@feedback Keys set the weight.\n"
              "  Only the weight.\n@choice* the value\n@feedback Values are summed.\n"
              "@choice the query\n@hint Think.\n@pause\nThe end.\n");
    const struct lesson_question *q = a.lesson->l.beats[0].q;
    assert_string_equal(q->feedback[0], "Keys set the weight. Only the weight.");
    assert_null(q->feedback[2]);
    int key_at = -1, query_at = -1;
    for (int k = 0; k < 3; k++) {
        if (a.lesson->order[k] == 0)
            key_at = k;
        if (a.lesson->order[k] == 2)
            query_at = k;
    }
    app_key(&a, 'a' + key_at);
    assert_int_equal(a.lesson->picked, 0);
    char want[64];
    snprintf(want, sizeof want, "Not quite: %c) the key is not it. Keys set the weight.",
             'a' + key_at);
    assert_non_null(strstr(a.lesson->feedback, want));
    assert_non_null(strstr(a.lesson->feedback, "Hint: Think."));
    app_key(&a, 'a' + query_at); // no feedback of its own: the hint
    assert_null(strstr(a.lesson->feedback, "Keys set"));
    assert_non_null(strstr(a.lesson->feedback, "Hint: Think."));
    assert_true(app_lesson_expected(&a, want, sizeof want));
    app_key(&a, want[0]);
    assert_int_equal(a.lesson->answered[0], 1);
    assert_non_null(strstr(a.lesson->feedback, "Right:"));
    assert_non_null(strstr(a.lesson->feedback, ") the value. Values are summed."));
    app_free(&a);
}

static int same_order(const int *x, const int *y, int n)
{
    return memcmp(x, y, sizeof(int) * (size_t)n) == 0;
}

// Each student gets the choices in an order of their own, the same every time; @keep-order
// keeps them as written; the letters shown pick the choices shown.
static void test_choices_are_shuffled_per_student(void **state)
{
    (void)state;
    char *choices[] = {"one", "two", "three", "four", "five"};
    struct lesson_question q = {.text = "Which?", .choices = choices, .n_choices = 5, .correct = 1};
    int a[8], b[8], seen[5] = {0}, differ = 0;
    unsigned long long s0 = lesson_choice_seed("04-one-head", "ada");
    assert_int_equal(s0, lesson_choice_seed("04-one-head", "ada"));
    lesson_choice_order(&q, s0, a);
    lesson_choice_order(&q, s0, b);
    assert_true(same_order(a, b, 5)); // stable for one student
    for (int u = 0; u < 40; u++) {
        char user[16];
        snprintf(user, sizeof user, "user%d", u);
        lesson_choice_order(&q, lesson_choice_seed("04-one-head", user), b);
        int has[5] = {0};
        for (int k = 0; k < 5; k++) {
            assert_true(b[k] >= 0 && b[k] < 5);
            has[b[k]]++;
            if (b[k] == q.correct)
                seen[k]++;
        }
        for (int k = 0; k < 5; k++)
            assert_int_equal(has[k], 1); // a permutation
        differ += !same_order(a, b, 5);
    }
    assert_true(differ >= 30);
    for (int k = 0; k < 5; k++)
        assert_true(seen[k] > 0); // the correct choice at every letter for someone
    // Another lesson, same student: another order for some question.
    lesson_choice_order(&q, lesson_choice_seed("05-multi-head", "ada"), b);
    int other = !same_order(a, b, 5);
    lesson_choice_order(&q, lesson_choice_seed("06-residual-layernorm", "ada"), b);
    assert_true(other || !same_order(a, b, 5));
    q.keep_order = 1;
    lesson_choice_order(&q, s0, a);
    for (int k = 0; k < 5; k++)
        assert_int_equal(a[k], k);
}

// In the app: the screen lists the choices in the student's order, the letter typed picks the
// choice shown at it; a pinned question shows them as written; `check` passes both.
static void test_shuffled_choices_in_the_app(void **state)
{
    (void)state;
    static const char text[] = "# T\nPick.\n@question Which?\n@choice one\n@choice two\n"
                               "@choice* three\n@choice four\n@pause\n"
                               "@question In order?\n@keep-order\n@choice 1\n@choice* 2\n"
                               "@choice 3\n@pause\nThe end.\n";
    struct app a;
    setenv("USER", "ada", 1);
    open_text(&a, "shuffled.md", text);
    const struct lesson_question *q = a.lesson->l.beats[0].q;
    struct screen_state s;
    int order[8];
    lesson_choice_order(q, lesson_choice_seed(a.lesson->l.id, "ada"), order);
    assert_true(same_order(order, a.lesson->order, 4));
    app_screen(&a, &s);
    for (int k = 0; k < 4; k++)
        assert_string_equal(s.lesson->choices[k], q->choices[order[k]]);
    int wrong = order[0] == q->correct ? 1 : 0;
    app_key(&a, 'A' + wrong);
    assert_int_equal(a.lesson->picked, order[wrong]);
    app_screen(&a, &s);
    assert_int_equal(s.lesson->picked, wrong);
    char want[16];
    assert_true(app_lesson_expected(&a, want, sizeof want));
    assert_int_equal(order[want[0] - 'a'], q->correct);
    app_key(&a, '1' + (want[0] - 'a')); // the number works as the letter does
    assert_int_equal(a.lesson->answered[0], 1);
    app_screen(&a, &s);
    assert_int_equal(s.lesson->correct, want[0] - 'a');
    app_key(&a, ' ');
    for (int k = 0; k < 3; k++)
        assert_int_equal(a.lesson->order[k], k);
    assert_true(app_lesson_expected(&a, want, sizeof want));
    assert_string_equal(want, "b");
    app_free(&a);
    setenv("USER", "student", 1);
    char out[4000];
    assert_int_equal(check_text(text, out, sizeof out), 0);
    assert_non_null(strstr(out, "2 questions"));
}

// A live number in narration is read from the model when the beat is shown: the text shows the
// value the op's tensor holds, in the lesson's format; what cannot be read is an error at the
// {{ that wrote it.
static void test_inline_live_numbers(void **state)
{
    (void)state;
    char out[8000], want[1400], path[600];
    test_tmp_path(path, sizeof path, "check.md");
    const char *lesson = "# T\n@prompt the keys to the cabinet\n@goto head.probs\n"
                         "After \"cabinet\", \"are\" gets {{prob are last %.2f}} ({{prob are last "
                         "%.0f%}}),\nand the top word is *{{argmax-token head.probs last}}*.\n";
    assert_int_equal(check_text(lesson, out, sizeof out), 0);
    assert_null(strstr(out, "warning"));
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "t.md");
    assert_int_equal(lesson_parse(&l, "t.md", lesson, strlen(lesson), NULL, NULL, &d), 0);
    assert_int_equal(l.beats[0].n_lives, 3);
    assert_int_equal(l.beats[0].lives[0].line, 4);
    assert_int_equal(l.beats[0].lives[0].col, 29);
    assert_string_equal(l.beats[0].lives[0].fmt, "%.2f");
    struct model m;
    snprintf(path, sizeof path, "%s/models/textbook.sfm", getenv("SF_ASSETS"));
    assert_int_equal(cli_load_model(&m, path, NULL, NULL), 0);
    int ids[8], n;
    assert_int_equal(tokenizer_encode(&m.tok, "the keys to the cabinet", ids, 8, &n, NULL), 0);
    struct graph g = {0};
    assert_int_equal(graph_build(&g, &m, ids, n, OP_IMPL_REF, NULL), 0);
    assert_true(graph_goto(&g, "head.probs") > 0);
    const struct node *probs = &g.nodes[graph_find(&g, "head.probs")];
    int are = -1, is = -1, top = 0, V = probs->out.shape[1];
    const float *row = probs->out.data + (size_t)(n - 1) * (size_t)V;
    for (int i = 0; i < V; i++) {
        char piece[64];
        tokenizer_piece_str(&m.tok, i, piece, sizeof piece);
        are = strcmp(piece, "are") == 0 ? i : are;
        is = strcmp(piece, "is") == 0 ? i : is;
        top = row[i] > row[top] ? i : top;
    }
    char top_word[64];
    tokenizer_piece_str(&m.tok, top, top_word, sizeof top_word);
    snprintf(want, sizeof want,
             "After \"cabinet\", \"are\" gets %.2f (%.0f%%), and the top word is \"%s\".", row[are],
             100 * row[are], top_word);
    char *text = lesson_beat_expand(&l.beats[0], &g, &d);
    assert_string_equal(text, want);
    free(text);
    // Arithmetic over live values: + - * /, parentheses, exp, ln, sqrt, abs.
    double v;
    int num;
    char why[300], shown[64];
    assert_int_equal(lesson_calc_eval("prob are last / ( prob are last + prob is last ) * 100", &g,
                                      shown, sizeof shown, &v, &num, why, sizeof why),
                     0);
    assert_true(num && fabs(v - 100.0 * row[are] / (row[are] + row[is])) < 1e-4);
    assert_int_equal(lesson_calc_eval("exp ln prob are last - 2 * 0.25", &g, shown, sizeof shown,
                                      &v, &num, why, sizeof why),
                     0);
    assert_true(fabs(v - (row[are] - 0.5)) < 1e-6);
    assert_int_equal(lesson_calc_eval("sqrt dot embed.pos 2 2", &g, shown, sizeof shown, &v, &num,
                                      why, sizeof why),
                     0);
    double sq;
    assert_int_equal(
        lesson_calc_eval("norm embed.pos 2", &g, shown, sizeof shown, &sq, &num, why, sizeof why),
        0);
    assert_true(fabs(v - sq) < 1e-6);
    assert_int_equal(lesson_calc_eval("argmax-token head.probs last", &g, shown, sizeof shown, &v,
                                      &num, why, sizeof why),
                     0);
    assert_string_equal(shown, top_word);
    assert_false(num);
    // Parameter statistics read the model's own tensors.
    double mean = 0, lo = m.lnf_g.data[0];
    for (int k = 0; k < m.cfg.d_model; k++) {
        mean += m.lnf_g.data[k] / m.cfg.d_model;
        lo = fmin(lo, m.lnf_g.data[k]);
    }
    assert_int_equal(lesson_calc_eval("param-mean lnf.gamma", &g, shown, sizeof shown, &v, &num,
                                      why, sizeof why),
                     0);
    assert_true(fabs(v - mean) < 1e-5);
    assert_int_equal(
        lesson_calc_eval("param-min lnf.gamma", &g, shown, sizeof shown, &v, &num, why, sizeof why),
        0);
    assert_true(v == lo);
    assert_int_not_equal(lesson_calc_eval("param-max L9.ln1.gamma", &g, shown, sizeof shown, &v,
                                          &num, why, sizeof why),
                         0);
    assert_non_null(strstr(why, "no parameter called 'L9.ln1.gamma'"));
    assert_int_not_equal(lesson_calc_check("( prob are last", why, sizeof why), 0);
    assert_non_null(strstr(why, "no ')'"));
    assert_int_not_equal(lesson_calc_check("prob are last +", why, sizeof why), 0);
    assert_int_not_equal(lesson_calc_check("prob are last ) 2", why, sizeof why), 0);
    assert_int_not_equal(lesson_calc_check("2 * probb are last", why, sizeof why), 0);
    assert_non_null(strstr(why, "unknown live value 'probb'"));
    assert_int_equal(d.errors, 0);
    // Before head.probs has run, the value cannot be read: "?" and an error at its column.
    graph_goto(&g, "L0.attn.q");
    text = lesson_beat_expand(&l.beats[0], &g, &d);
    assert_non_null(strstr(text, "gets ? (?)"));
    free(text);
    assert_int_equal(d.errors, 3);
    assert_int_equal(d.msgs[0].line, 4);
    assert_int_equal(d.msgs[0].col, 29);
    assert_non_null(strstr(d.msgs[0].text, "head.probs has not run yet"));
    graph_free(&g);
    model_free(&m);
    lesson_free(&l);
    // Errors at file:line:col: an unknown word, a bad format, no closing braces, a value that
    // has not run, a live number outside narration.
    test_tmp_path(path, sizeof path, "check.md");
    assert_int_equal(
        check_text("# T\n@prompt the keys\n\nx {{prob zorblax last}}\n", out, sizeof out), 2);
    snprintf(want, sizeof want, "%s:4:3: error: {{prob zorblax last}}:", path);
    assert_non_null(strstr(out, want));
    assert_int_equal(
        check_text("# T\n@goto head.probs\nP {{prob are last %.2q}}\n", out, sizeof out), 2);
    snprintf(want, sizeof want, "%s:3:3: error: {{prob are last}}: '%%.2q' is not a number format",
             path);
    assert_non_null(strstr(out, want));
    assert_int_equal(check_text("# T\n@goto head.probs\nP {{n_tokens\n", out, sizeof out), 2);
    assert_non_null(strstr(out, ":3:3: error: '{{' has no closing '}}'"));
    assert_int_equal(
        check_text("# T\n@prompt the keys\n@goto L0.attn.q\n  P {{prob are 1}}\n", out, sizeof out),
        2);
    snprintf(want, sizeof want, "%s:4:5: error: {{prob are 1}}: head.probs has not run yet", path);
    assert_non_null(strstr(out, want));
    assert_int_equal(check_text("# T\n@goto head.probs\n@question Q {{n_tokens}}?\n@answer 1\n",
                                out, sizeof out),
                     2);
    assert_non_null(strstr(out, "belongs in narration"));
}

// A fact is checked against the model: a true one passes, a false one is an error at its
// line that says what the model has instead.
static void test_facts_are_checked(void **state)
{
    (void)state;
    char out[8000], want[1400], path[600];
    test_tmp_path(path, sizeof path, "check.md");
    const char *head = "# T\n@prompt the keys to the cabinet\n@goto head.probs\nText.\n";
    char text[1000];
    snprintf(text, sizeof text,
             "%s@fact argmax-token head.probs last = are\n"
             "@fact prob are last > 0.5\n@fact prob is last < 0.5\n"
             "@fact argmax-token head.probs last != is\n@fact n_head = 4\n",
             head);
    assert_int_equal(check_text(text, out, sizeof out), 0);
    snprintf(text, sizeof text, "%s@fact argmax-token head.probs last = is\n", head);
    assert_int_equal(check_text(text, out, sizeof out), 2);
    snprintf(want, sizeof want,
             "%s:5:7: error: @fact argmax-token head.probs last = is is false: the model has "
             "argmax-token head.probs last = are",
             path);
    assert_non_null(strstr(out, want));
    snprintf(text, sizeof text, "%s@fact prob are last < 0.5\n", head);
    assert_int_equal(check_text(text, out, sizeof out), 2);
    assert_non_null(strstr(out, ":5:7: error: @fact prob are last < 0.5 is false"));
    snprintf(text, sizeof text, "%s@fact token 1 > 3\n", head);
    assert_int_equal(check_text(text, out, sizeof out), 2);
    assert_non_null(strstr(out, "< and > compare numbers"));
    snprintf(text, sizeof text, "%s@fact prob are last\n", head);
    assert_int_equal(check_text(text, out, sizeof out), 2);
    assert_non_null(strstr(out, ":5:7: error: @fact is EXPRESSION OP VALUE"));
    snprintf(text, sizeof text, "%s@fact prob zorblax 9 = 1\n", head);
    assert_int_equal(check_text(text, out, sizeof out), 2);
    assert_non_null(strstr(out, ":5:7: error: @fact prob zorblax 9:"));
}

// Decimals typed into narration are warned about, at their column; section numbers, code and
// live numbers are not.
static void test_check_warns_about_typed_decimals(void **state)
{
    (void)state;
    char out[8000], want[1400], path[600];
    test_tmp_path(path, sizeof path, "check.md");
    assert_int_equal(check_text("# T\n@goto head.probs\nAs in section 9.1 and 9.2, §10.3.1 and "
                                "`0.5`, {{prob are last %.2f}}:\nP is 0.45, or .5 of 12.\n",
                                out, sizeof out),
                     0);
    snprintf(want, sizeof want, "%s:4:6: warning: the number 0.45 is written by hand", path);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "ok, 1 beats, 0 questions, 1 warning\n"));
    assert_null(strstr(out, "9.1 is"));
    assert_null(strstr(out, "0.5 is"));
}

// Reads a whole text file (malloc'd, NUL-terminated).
// The facts of the multi-head lesson are what holds it to the model: on a copy of the textbook
// model whose layer 1 head 3 attends to nothing in particular (its W^Q, W^K, W^V columns and
// biases zeroed), check fails where the lesson says head 3 picks out "keys".
static void test_check_catches_a_changed_model(void **state)
{
    (void)state;
    struct model m;
    char path[600], model_path[600], lesson_path[600], out[1 << 15];
    snprintf(path, sizeof path, "%s/models/textbook.sfm", getenv("SF_ASSETS"));
    assert_int_equal(cli_load_model(&m, path, NULL, NULL), 0);
    const int layer = 1, head = 3, d = m.cfg.d_model, dk = d / m.cfg.n_head;
    struct layer_params *lp = &m.layers[layer];
    struct tensor *w[] = {&lp->wq, &lp->wk, &lp->wv}, *b[] = {&lp->bq, &lp->bk, &lp->bv};
    for (int t = 0; t < 3; t++)
        for (int c = head * dk; c < (head + 1) * dk; c++) {
            for (int r = 0; r < d; r++)
                w[t]->data[(size_t)r * (size_t)d + (size_t)c] = 0; // W (d, d): column c of head 3
            if (b[t]->data)
                b[t]->data[c] = 0;
        }
    test_tmp_path(model_path, sizeof model_path, "zeroed.sfm");
    assert_int_equal(checkpoint_save(&m, model_path, NULL), 0);
    model_free(&m);
    // The lesson as shipped, on the changed model (found beside the lesson).
    char shipped[1100], why[300];
    assert_int_equal(lesson_find("5", shipped, sizeof shipped, why, sizeof why), 0);
    char *text = test_slurp(shipped, NULL);
    char *at = strstr(text, "@model textbook\n");
    assert_non_null(at);
    test_tmp_path(lesson_path, sizeof lesson_path, "05-zeroed.md");
    FILE *f = fopen(lesson_path, "w");
    assert_non_null(f);
    fprintf(f, "%.*s@model zeroed.sfm\n%s", (int)(at - text), text,
            at + strlen("@model textbook\n"));
    fclose(f);
    free(text);
    FILE *o = fmemopen(out, sizeof out, "w");
    char *argv[] = {lesson_path};
    int rc = cmd_check(1, argv, o, o);
    fclose(o);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "error: @fact argmax-token L1.attn.softmax 3 4 = keys is false: "
                                "the model has argmax-token L1.attn.softmax 3 4 = "));
    assert_null(strstr(out, "@fact argmax-token L1.attn.softmax 1 4 = keys is false"));
    // The same lesson on the shipped model passes.
    char *ok[] = {shipped};
    o = fmemopen(out, sizeof out, "w");
    assert_int_equal(cmd_check(1, ok, o, o), 0);
    fclose(o);
}

static void test_live_values(void **state)
{
    (void)state;
    struct model m;
    char path[600], text[128], why[300];
    snprintf(path, sizeof path, "%s/models/textbook.sfm", getenv("SF_ASSETS"));
    assert_int_equal(cli_load_model(&m, path, NULL, NULL), 0);
    int ids[8], n;
    assert_int_equal(
        tokenizer_encode(&m.tok, "the chicken didn't cross the road because it", ids, 8, &n, NULL),
        0);
    struct graph g = {0};
    assert_int_equal(graph_build(&g, &m, ids, n, OP_IMPL_FAST, NULL), 0);
    double v;
    int num;
    assert_int_not_equal(
        lesson_live_eval("prob fish last", &g, text, sizeof text, &v, &num, why, sizeof why), 0);
    assert_non_null(strstr(why, "head.probs has not run yet"));
    assert_true(graph_goto(&g, "head.probs") > 0);
    assert_int_equal(lesson_live_eval("n_tokens", &g, text, sizeof text, &v, &num, why, sizeof why),
                     0);
    assert_string_equal(text, "8");
    assert_int_equal(lesson_live_eval("token 1", &g, text, sizeof text, &v, &num, why, sizeof why),
                     0);
    assert_string_equal(text, "chicken");
    assert_int_equal(lesson_live_eval("nonzero L0.attn.softmax 0 2", &g, text, sizeof text, &v,
                                      &num, why, sizeof why),
                     0);
    assert_string_equal(text, "3");
    assert_int_equal(lesson_live_eval("rowsum L1.attn.softmax 3 last", &g, text, sizeof text, &v,
                                      &num, why, sizeof why),
                     0);
    assert_true(num && v > 0.9999 && v < 1.0001);
    // value and argmax agree with the tensor itself.
    const struct node *sm = &g.nodes[graph_find(&g, "L1.attn.softmax")];
    const float *row = sm->out.data + (size_t)7 * 8; // head 0, row 7
    int best = 0;
    for (int j = 1; j < 8; j++)
        best = row[j] > row[best] ? j : best;
    assert_int_equal(lesson_live_eval("argmax L1.attn.softmax 0 7", &g, text, sizeof text, &v, &num,
                                      why, sizeof why),
                     0);
    assert_int_equal((int)v, best);
    assert_int_equal(lesson_live_eval("value L1.attn.softmax 0 7 1", &g, text, sizeof text, &v,
                                      &num, why, sizeof why),
                     0);
    assert_true(v == (double)row[1]);
    const struct node *x = &g.nodes[graph_find(&g, "embed.pos")];
    double dot = 0;
    for (int k = 0; k < 64; k++)
        dot += (double)x->out.data[2 * 64 + k] * x->out.data[k];
    assert_int_equal(
        lesson_live_eval("dot embed.pos 2 0", &g, text, sizeof text, &v, &num, why, sizeof why), 0);
    assert_true(v > dot - 1e-9 && v < dot + 1e-9);
    assert_int_not_equal(lesson_live_eval("value L1.attn.softmax 9 0 0", &g, text, sizeof text, &v,
                                          &num, why, sizeof why),
                         0);
    assert_non_null(strstr(why, "outside"));
    assert_int_not_equal(
        lesson_live_eval("prob zorblax last", &g, text, sizeof text, &v, &num, why, sizeof why), 0);
    assert_int_not_equal(lesson_live_eval("loss", &g, text, sizeof text, &v, &num, why, sizeof why),
                         0);
    assert_int_equal(
        lesson_live_eval("lens-top 1 last", &g, text, sizeof text, &v, &num, why, sizeof why), 0);
    // A live answer compares as a number within the tolerance.
    struct lesson_question q = {.live = "x", .tolerance = -1, .correct = -1};
    assert_true(lesson_answer_matches(&q, "0.446", NULL, 1, 0.4475));
    assert_false(lesson_answer_matches(&q, "0.40", NULL, 1, 0.4475));
    assert_true(lesson_answer_matches(&q, "Chicken", "chicken", 0, 0));
    assert_false(lesson_answer_matches(&q, "road", "chicken", 0, 0));
    graph_free(&g);
    model_free(&m);
}

// A live answer never reads outside the tensor it names: a word whose id is beyond the
// model's vocabulary (a tokenizer with more pieces than the model has rows), and an index
// too large for an int.
static void test_live_values_stay_inside_the_tensors(void **state)
{
    (void)state;
    struct model m;
    char path[600], text[128], why[300];
    snprintf(path, sizeof path, "%s/models/textbook.sfm", getenv("SF_ASSETS"));
    assert_int_equal(cli_load_model(&m, path, NULL, NULL), 0);
    int V = m.cfg.vocab_size;
    assert_int_equal(m.tok.n, V);
    const char **pieces = malloc(sizeof *pieces * (size_t)(V + 1));
    for (int i = 0; i < V; i++)
        pieces[i] = m.tok.pieces[i];
    pieces[V] = "zzextra";
    struct tokenizer big;
    assert_int_equal(tokenizer_init(&big, m.tok.kind, V + 1, pieces, NULL), 0);
    free(pieces);
    tokenizer_free(&m.tok);
    m.tok = big;
    int ids[3] = {0, 1, 2};
    struct graph g = {0};
    assert_int_equal(graph_build(&g, &m, ids, 3, OP_IMPL_FAST, NULL), 0);
    assert_true(graph_goto(&g, "head.probs") > 0);
    double v;
    int num;
    assert_int_equal(
        lesson_live_eval("prob zzextra last", &g, text, sizeof text, &v, &num, why, sizeof why),
        -1);
    assert_non_null(strstr(why, "outside the model's vocabulary"));
    int the, n;
    assert_int_equal(tokenizer_encode(&m.tok, "the", &the, 1, &n, NULL), 0);
    assert_int_equal(
        lesson_live_eval("prob the last", &g, text, sizeof text, &v, &num, why, sizeof why), 0);
    assert_true(v == (double)g.nodes[graph_find(&g, "head.probs")].out.data[2 * V + the]);
    // 2^32 is not row 0.
    assert_int_equal(lesson_live_eval("value head.probs 4294967296 0", &g, text, sizeof text, &v,
                                      &num, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "outside"));
    assert_int_equal(
        lesson_live_eval("lens-top 4294967296 0", &g, text, sizeof text, &v, &num, why, sizeof why),
        -1);
    graph_free(&g);
    model_free(&m);
}

static void test_progress_file(void **state)
{
    (void)state;
    char dir[700], path[1024];
    state_path(dir, sizeof dir, "progress-test");
    setenv("XDG_STATE_HOME", dir, 1);
    assert_int_equal(lesson_progress_path(path, sizeof path), 0);
    remove(path);
    struct lesson_progress p;
    assert_int_equal(lesson_progress_load(&p, path), 0);
    assert_int_equal(p.n, 0);
    assert_int_equal(lesson_progress_set(&p, "04-one-head", 5, 14, 0), 0);
    assert_int_equal(lesson_progress_set(&p, "01-one-pass", 3, 9, 1), 0);
    struct sf_diag d;
    assert_int_equal(lesson_progress_save(&p, &d), 0);
    lesson_progress_free(&p);
    // Lines a person broke are ignored; the others load.
    FILE *f = fopen(path, "a");
    fputs("garbage line\n03-x -4 9 started\n05-y 2 9 maybe\n", f);
    fclose(f);
    assert_int_equal(lesson_progress_load(&p, path), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.bad_lines, 3);
    assert_int_equal(lesson_progress_get(&p, "04-one-head")->beat, 5);
    assert_int_equal(lesson_progress_get(&p, "01-one-pass")->done, 1);
    assert_null(lesson_progress_get(&p, "03-x"));
    assert_int_equal(lesson_progress_save(&p, &d), 0);
    lesson_progress_free(&p);
    // No temporary file is left beside it.
    char sub[1100];
    snprintf(sub, sizeof sub, "%s/stepformer", dir);
    DIR *dd = opendir(sub);
    assert_non_null(dd);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(dd)) != NULL)
        if (e->d_name[0] != '.')
            files++, assert_null(strstr(e->d_name, ".tmp-"));
    closedir(dd);
    assert_int_equal(files, 1);
    // A state directory that cannot be made: a message, no crash.
    setenv("XDG_STATE_HOME", "/proc/no-such-dir", 1);
    assert_int_equal(lesson_progress_path(path, sizeof path), 0);
    assert_int_equal(lesson_progress_load(&p, path), 0);
    lesson_progress_set(&p, "x", 0, 1, 0);
    assert_int_not_equal(lesson_progress_save(&p, &d), 0);
    assert_true(d.msg[0] != 0);
    lesson_progress_free(&p);
    setenv("XDG_STATE_HOME", state_dir, 1);
}

// Any id reads back as it was written: spaces, tabs, '#', '%' and other bytes are escaped in
// the file. A file in the earlier format (no escapes, another first line) reads as before.
static void test_progress_ids_round_trip(void **state)
{
    (void)state;
    char dir[700], path[1024];
    state_path(dir, sizeof dir, "progress-ids");
    setenv("XDG_STATE_HOME", dir, 1);
    assert_int_equal(lesson_progress_path(path, sizeof path), 0);
    remove(path);
    static const char *const ids[] = {"my lesson",   "#1 first", "50%off", "%41", "tab\there",
                                      "caf\xc3\xa9", "cr\rlf\n", "x%",     "-"};
    const int n_ids = (int)(sizeof ids / sizeof ids[0]);
    struct lesson_progress p;
    assert_int_equal(lesson_progress_load(&p, path), 0);
    for (int i = 0; i < n_ids; i++)
        assert_int_equal(lesson_progress_set(&p, ids[i], i, 20, i % 2), 0);
    struct sf_diag d;
    assert_int_equal(lesson_progress_save(&p, &d), 0);
    lesson_progress_free(&p);
    assert_int_equal(lesson_progress_load(&p, path), 0);
    assert_int_equal(p.bad_lines, 0);
    assert_int_equal(p.n, n_ids);
    for (int i = 0; i < n_ids; i++) {
        const struct lesson_progress_item *it = lesson_progress_get(&p, ids[i]);
        if (!it)
            fail_msg("id '%s' was lost", ids[i]);
        assert_int_equal(it->beat, i);
        assert_int_equal(it->done, i % 2);
    }
    lesson_progress_free(&p);
    // The earlier format: ids as they are, '%' included.
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# stepformer lesson progress: lesson, beat reached (from 0), beats, state\n"
          "04-one-head 5 14 started\n50%41 3 9 done\n",
          f);
    fclose(f);
    assert_int_equal(lesson_progress_load(&p, path), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(lesson_progress_get(&p, "04-one-head")->beat, 5);
    assert_non_null(lesson_progress_get(&p, "50%41"));
    assert_null(lesson_progress_get(&p, "50A"));
    // An empty id could not be read back.
    assert_int_equal(lesson_progress_set(&p, "", 0, 1, 0), SF_ERR_ARG);
    lesson_progress_free(&p);
    setenv("XDG_STATE_HOME", state_dir, 1);
}

// Loading and saving take time linear in the file: 80000 lessons load and save in well under
// a second (they took 20 s when each line looked up every line before it).
static void test_progress_load_and_save_are_fast(void **state)
{
    (void)state;
    char dir[700], path[1024];
    state_path(dir, sizeof dir, "progress-big");
    setenv("XDG_STATE_HOME", dir, 1);
    assert_int_equal(lesson_progress_path(path, sizeof path), 0);
    struct lesson_progress p;
    struct sf_diag d;
    assert_int_equal(lesson_progress_load(&p, path), 0);
    assert_int_equal(lesson_progress_set(&p, "first", 0, 1, 0), 0);
    assert_int_equal(lesson_progress_save(&p, &d), 0); // makes the directory
    lesson_progress_free(&p);
    const int n = 80000;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%02d-lesson-number-%d %d %d started\n", i % 100, i, i % 7, 7);
    fclose(f);
    double t0 = cpu_seconds();
    assert_int_equal(lesson_progress_load(&p, path), 0);
    double load = cpu_seconds() - t0;
    assert_int_equal(p.n, n);
    assert_int_equal(lesson_progress_get(&p, "33-lesson-number-12333")->beat, 12333 % 7);
    t0 = cpu_seconds();
    assert_int_equal(lesson_progress_set(&p, "00-lesson-number-0", 6, 7, 1), 0);
    assert_int_equal(lesson_progress_save(&p, &d), 0);
    double save = cpu_seconds() - t0;
    lesson_progress_free(&p);
    if (load > 1.0 || save > 1.0)
        fail_msg("%d lessons: loading took %.2f s, saving %.2f s of CPU time", n, load, save);
    assert_int_equal(lesson_progress_load(&p, path), 0);
    assert_int_equal(p.n, n);
    assert_int_equal(lesson_progress_get(&p, "00-lesson-number-0")->done, 1);
    lesson_progress_free(&p);
    setenv("XDG_STATE_HOME", state_dir, 1);
}

// Opens a lesson as `stepformer lesson NAME [OPT] --impl ref` would: on the reference loops,
// whose printed digits (in the golden screens) are the same on every CPU and BLAS kernel.
static int open_lesson(struct app *a, const char *name, const char *opt)
{
    char *argv[] = {(char *)name, "--impl", "ref", (char *)opt};
    return app_lesson_open(a, opt ? 4 : 3, argv, stderr);
}

// Draws the app at w x h into g (made here; the caller frees it) once the logit lens, which
// fills one block per draw, has finished.
static void draw_settled(struct app *a, int w, int h, struct grid *g, struct screen_state *s)
{
    a->width = w;
    a->height = h;
    for (int i = 0; i < 100; i++) {
        app_screen(a, s);
        if (!app_busy(a))
            break;
        app_tick(a, 50);
    }
    test_draw_app(a, w, h, g, s);
}

static void screen_golden(struct app *a, int w, int h, const char *name)
{
    struct grid g;
    struct screen_state s;
    draw_settled(a, w, h, &g, &s);
    test_check_golden(&g, name);
    grid_free(&g);
}

static void type(struct app *a, const char *text)
{
    for (const char *p = text; *p; p++)
        app_key(a, (unsigned char)*p);
}

// Answers the question on screen: a wrong choice first, then the right one; typed answers as
// a student types them.
static void answer(struct app *a)
{
    const struct lesson_question *q = a->lesson->l.beats[a->lesson->beat].q;
    char want[200];
    assert_true(app_lesson_expected(a, want, sizeof want));
    if (q->correct >= 0) {
        app_key(a, want[0] == 'a' ? 'b' : 'a'); // another letter than the right one's
        assert_int_equal(a->lesson->feedback_error, 1);
        assert_int_equal(a->lesson->answered[a->lesson->beat], 0);
        app_key(a, want[0]);
    } else {
        type(a, want);
        app_key(a, SF_KEY_ENTER);
    }
    if (!a->lesson->answered[a->lesson->beat])
        fprintf(stderr, "%s beat %d: '%s' not accepted: %s\n", a->lesson->l.id, a->lesson->beat,
                want, a->lesson->feedback);
    assert_int_equal(a->lesson->answered[a->lesson->beat], 1);
}

// In lesson mode the narration shows the model's values in place of the {{...}}, and a fact
// the model does not bear out is said in the narration pane.
static void test_lesson_shows_live_numbers(void **state)
{
    (void)state;
    char path[600];
    test_tmp_path(path, sizeof path, "live-numbers.md");
    const char *text = "# T\n@prompt the keys to the cabinet\n@goto head.probs\n"
                       "P(are) = {{prob are last %.3f}}, {{params %,.0f}} parameters.\n@pause\n"
                       "@fact argmax-token head.probs last = is\nWrong.\n";
    write_file(path, text, strlen(text));
    struct app a;
    assert_int_equal(open_lesson(&a, path, "--restart"), 0);
    struct screen_state s;
    app_screen(&a, &s);
    const struct graph *g = app_graph(&a);
    char want[200], why[300], value[64];
    double v;
    int num;
    assert_int_equal(
        lesson_live_eval("prob are last", g, value, sizeof value, &v, &num, why, sizeof why), 0);
    char params[32];
    snprintf(params, sizeof params, "%zu", a.model.n_params);
    assert_true(strlen(params) == 6); // the textbook model: "113,664"
    snprintf(want, sizeof want, "P(are) = %.3f, %.3s,%s parameters.", v, params, params + 3);
    assert_non_null(a.lesson->screen.text);
    assert_string_equal(a.lesson->screen.text, want);
    assert_int_equal(a.lesson->feedback_error, 0);
    app_key(&a, ' ');
    assert_int_equal(a.lesson->beat, 1);
    assert_int_equal(a.lesson->feedback_error, 1);
    assert_non_null(strstr(a.lesson->feedback, "line 6"));
    assert_non_null(strstr(a.lesson->feedback, "is false: the model has argmax-token head.probs "
                                               "last = are"));
    app_free(&a);
}

// A misspelt directive or panel gets the nearest name, and one error per cause (no "needs at
// least one panel" after an unknown one).
static void test_check_suggests_the_nearest_name(void **state)
{
    (void)state;
    char out[4000];
    assert_int_not_equal(
        check_text("# T\n@model textbook\n\n@gotoo L0.attn.q\nText.\n@panels atention\nMore.\n",
                   out, sizeof out),
        0);
    assert_non_null(strstr(out, "unknown directive '@gotoo' (did you mean '@goto'?)"));
    assert_non_null(strstr(out, "unknown panel 'atention' (did you mean 'attention'?)"));
    assert_null(strstr(out, "needs at least one panel"));
    assert_non_null(strstr(out, "2 errors"));
    // nothing near: no guess
    check_text("# T\n@model textbook\n\n@zzzzzzzz\nText.\n", out, sizeof out);
    assert_null(strstr(out, "did you mean"));
}

// --beat N opens a lesson at beat N (an author checking the beat being written); a beat past
// the end or no number is refused with the lesson's count, status 2.
static void test_lesson_opens_at_a_beat(void **state)
{
    (void)state;
    struct app a;
    char *argv[] = {"4", "--impl", "ref", "--beat", "5"};
    assert_int_equal(app_lesson_open(&a, 5, argv, stderr), 0);
    assert_int_equal(a.lesson->beat, 4);
    app_free(&a);
    char out[2000];
    FILE *e = fmemopen(out, sizeof out, "w");
    char *too_far[] = {"4", "--beat", "999"};
    assert_int_equal(app_lesson_open(&a, 3, too_far, e), 2);
    fclose(e);
    assert_non_null(strstr(out, "--beat 999"));
    assert_non_null(strstr(out, " beats"));
    e = fmemopen(out, sizeof out, "w");
    char *zero[] = {"4", "--beat", "0"};
    assert_int_equal(app_lesson_open(&a, 3, zero, e), 2);
    fclose(e);
    assert_non_null(strstr(out, "give a beat number from 1"));
}

// The worked example's numbers are attention worked through in float64 by the obvious loops:
// Q = x W^Q (or x), scores q_i . k_j, / sqrt(d_k), the causal mask, the softmax by rows,
// a_i = sum_j alpha_ij v_j; and {{worked ...}} reads the same numbers.
static void expect_worked(const struct lesson_worked *w, const double *x, int n, int d,
                          const double *wq, const double *wk, const double *wv, int dk, int dv,
                          int scale)
{
    double q[64], k[64], v[64], s[64], a[64], o[64];
    for (int i = 0; i < n; i++) {
        for (int c = 0; c < dk; c++) {
            q[i * dk + c] = k[i * dk + c] = 0;
            for (int e = 0; e < d; e++) {
                q[i * dk + c] += x[i * d + e] * (wq ? wq[e * dk + c] : e == c);
                k[i * dk + c] += x[i * d + e] * (wk ? wk[e * dk + c] : e == c);
            }
        }
        for (int c = 0; c < dv; c++) {
            v[i * dv + c] = 0;
            for (int e = 0; e < d; e++)
                v[i * dv + c] += x[i * d + e] * (wv ? wv[e * dv + c] : e == c);
        }
    }
    for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int j = 0; j <= i; j++) {
            s[i * n + j] = 0;
            for (int c = 0; c < dk; c++)
                s[i * n + j] += q[i * dk + c] * k[j * dk + c];
            sum += exp(s[i * n + j] / (scale ? sqrt(dk) : 1));
        }
        for (int j = 0; j < n; j++)
            a[i * n + j] = j > i ? 0 : exp(s[i * n + j] / (scale ? sqrt(dk) : 1)) / sum;
        for (int c = 0; c < dv; c++) {
            o[i * dv + c] = 0;
            for (int j = 0; j <= i; j++)
                o[i * dv + c] += a[i * n + j] * v[j * dv + c];
        }
    }
    assert_int_equal(w->n, n);
    assert_int_equal(w->d_k, dk);
    assert_int_equal(w->d_v, dv);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            assert_float_equal(w->alpha[i * n + j], a[i * n + j], 1e-5);
            if (j <= i) {
                assert_float_equal(w->score[i * n + j], s[i * n + j], 1e-4);
                assert_float_equal(w->masked[i * n + j], s[i * n + j] / (scale ? sqrt(dk) : 1),
                                   1e-4);
            } else {
                assert_true(isinf(w->masked[i * n + j]) && w->masked[i * n + j] < 0);
            }
        }
        for (int c = 0; c < dv; c++)
            assert_float_equal(w->out[i * dv + c], o[i * dv + c], 1e-4);
        for (int c = 0; c < dk; c++)
            assert_float_equal(w->q[i * dk + c], q[i * dk + c], 1e-4);
    }
    // the live expressions read the same numbers
    char text[64], why[300], expr[64];
    double val;
    int num;
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            snprintf(expr, sizeof expr, "worked alpha %d %d", i, j);
            assert_int_equal(
                lesson_live_eval_in(expr, NULL, w, text, sizeof text, &val, &num, why, sizeof why),
                0);
            assert_float_equal(val, a[i * n + j], 1e-5);
            snprintf(expr, sizeof expr, "exp worked scaled %d %d", i, j);
            assert_int_equal(
                lesson_calc_eval_in(expr, NULL, w, text, sizeof text, &val, &num, why, sizeof why),
                0);
        }
}

static void test_worked_example_numbers(void **state)
{
    (void)state;
    static const char text[] = "# T\n"
                               "@worked tokens so long and\n"
                               "@worked x 1 0 | 0 1 | 1 1\n"
                               "Simplified: {{worked alpha 2 2 %.3f}}.\n"
                               "@pause\n"
                               "@worked x 0.5 -1 2 | 1.5 0.25 -0.75 | -2 1 0.5 | 0 3 -1\n"
                               "@worked tokens a b c d\n"
                               "@worked wq 1 0 | 0.5 -1 | 2 1\n"
                               "@worked wk 0 1 | 1 1 | -1 0.5\n"
                               "@worked wv 1 2 0.5 | -1 0 1 | 0.25 0.5 -2\n"
                               "@worked scale on\n"
                               "Scaled.\n";
    struct lesson l;
    struct lesson_diags d;
    lesson_diags_init(&d, "t.md");
    assert_int_equal(lesson_parse(&l, "t.md", text, strlen(text), NULL, &pn, &d), 0);
    assert_int_equal(l.n_beats, 2);
    const double x1[] = {1, 0, 0, 1, 1, 1};
    expect_worked(l.beats[0].worked, x1, 3, 2, NULL, NULL, NULL, 2, 2, 0);
    assert_int_equal(l.beats[0].worked->scale, 0);
    const double x2[] = {0.5, -1, 2, 1.5, 0.25, -0.75, -2, 1, 0.5, 0, 3, -1};
    const double wq[] = {1, 0, 0.5, -1, 2, 1}, wk[] = {0, 1, 1, 1, -1, 0.5};
    const double wv[] = {1, 2, 0.5, -1, 0, 1, 0.25, 0.5, -2};
    expect_worked(l.beats[1].worked, x2, 4, 3, wq, wk, wv, 2, 3, 1);
    assert_string_equal(l.beats[1].worked->tokens[3], "d");
    // the narration's number is the panel's
    char *shown = lesson_beat_expand(&l.beats[0], NULL, &d);
    char want[64];
    snprintf(want, sizeof want, "Simplified: %.3f.", (double)l.beats[0].worked->alpha[8]);
    assert_string_equal(shown, want);
    free(shown);
    assert_int_equal(d.errors, 0);
    lesson_free(&l);
}

// Each problem of a worked example's definition, at its line and column, with the nearest name
// for a misspelt one.
static void test_worked_example_errors(void **state)
{
    (void)state;
    static const struct {
        const char *line, *msg;
    } cases[] = {
        {"@worked x 1 0 | 0 1 2 | 1 1", "5:17: error: @worked x: row 1 has 3 numbers, row 0 has 2"},
        {"@worked x 1 0 | 0 one | 1 1", "5:19: error: @worked x: 'one' is not a number"},
        {"@worked x 1 0 || 1 1", "5:16: error: @worked x: an empty row"},
        {"@worked x 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9",
         "5:43: error: @worked x: more than 8 rows (a worked example is at most 8 × 8)"},
        {"@worked x 1 2 3 4 5 6 7 8 9", "5:27: error: @worked x: more than 8 numbers in a row"},
        {"@worked x 1 2000", "5:13: error: @worked x: '2000' is not a number from -1000 to 1000"},
        {"@worked xx 1 0", "5:9: error: unknown @worked part 'xx' (did you mean 'x'?)"},
        {"@worked tokesn a b c", "5:9: error: unknown @worked part 'tokesn' (did you mean "
                                 "'tokens'?)"},
        {"@worked scale maybe", "5:15: error: @worked scale is 'on'"},
        {"@worked show alpah", "5:14: error: @worked show is one of inputs, score, alpha, out (the "
                               "last step the panel shows) or all, not 'alpah' (did you mean "
                               "'alpha'?)"},
        {"@worked x", "5:10: error: @worked x needs its rows"},
        {"@worked", "5:8: error: @worked needs a matrix and its rows"},
        {"@worked tokens a b", "5:1: error: @worked: @worked tokens names 2 tokens, but x has 3 "
                               "rows"},
        {"@worked wq 1 0 | 0 1 | 1 1",
         "5:1: error: @worked: wq has 3 rows, but x has 2 numbers a row"},
        {"@worked q 1 0 | 0 1", "5:1: error: @worked: q has 2 rows, but there are 3 tokens"},
        {"@worked k 1 0 1 | 0 1 1 | 1 1 0",
         "5:1: error: @worked: q_i has 2 numbers and k_j 3: a dot product needs the same length"},
        {"@worked wv 1 | 0\n@worked v 1 | 0 | 1", "6:1: error: @worked: give v or wv, not both"},
        {"@worked off\n{{worked alpha 0 0}}",
         "error: {{worked alpha 0 0}}: no worked example at this beat"},
        {"{{worked alpah 0 0}}", "5:1: error: {{worked alpah 0 0}}: unknown worked value 'alpah' "
                                 "(did you mean 'alpha'?)"},
        {"{{worked alpha 0 5}}", "column 5 is outside 0..2"},
        {"{{worked out 1}}", "'worked out' takes a row and a column"},
        {"@worked off\n@panels worked", "6:9: error: the worked panel needs a worked example"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[600], out[4000];
        snprintf(text, sizeof text,
                 "# T\n@model textbook\n@worked x 1 0 | 0 1 | 1 1\n@worked tokens a b c\n%s\n"
                 "Text.\n",
                 cases[k].line);
        assert_int_equal(check_text(text, out, sizeof out), 2);
        if (!strstr(out, cases[k].msg))
            fail_msg("'%s' gives:\n%s\nnot: %s", cases[k].line, out, cases[k].msg);
    }
}

// Lesson 3's worked example: its beat shows the worked panel with the example the lesson
// defines, the narration quotes the panel's numbers, and the question's answer is the panel's
// alpha_22; at 80x24 and at a large size, as golden screens.
static void test_lesson_3_shows_the_worked_example(void **state)
{
    (void)state;
    struct app a;
    char *argv[] = {"3", "--impl", "ref", "--beat", "5", "--restart"};
    assert_int_equal(app_lesson_open(&a, 6, argv, stderr), 0);
    const struct lesson_worked *w = a.lesson->l.beats[a.lesson->beat].worked;
    assert_non_null(w);
    struct screen_state s;
    a.width = 80, a.height = 24;
    app_screen(&a, &s);
    assert_ptr_equal(s.view.worked, w);
    assert_true(s.layout.shown[PANEL_WORKED]);
    assert_int_equal(s.view.row, 2); // @highlight token 2: the row the narration works on
    // x_2 . x_2 = 2 is row 2's largest score: the own token gets the largest weight
    assert_true(w->alpha[2 * w->n + 2] > w->alpha[2 * w->n + 0]);
    char want[32];
    text_format(want, sizeof want, "%.2f", (double)w->alpha[2 * w->n + 0]);
    assert_non_null(strstr(a.lesson->text, want));
    assert_true(app_lesson_expected(&a, want, sizeof want));
    assert_float_equal(atof(want), w->alpha[2 * w->n + 2], 1e-3);
    screen_golden(&a, 80, 24, "lesson_worked_80x24.txt");
    screen_golden(&a, 160, 48, "lesson_worked_160x48.txt");
    app_free(&a);
}

static void test_every_lesson_runs_to_its_end(void **state)
{
    (void)state;
    int n;
    char **list = lesson_list(&n);
    for (int i = 0; i < n; i++) {
        struct app a;
        assert_int_equal(open_lesson(&a, list[i], "--restart"), 0);
        int beats = a.lesson->l.n_beats, golden_beat = beats / 2;
        for (int guard = 0; guard < 1000 && !a.lesson->done; guard++) {
            int b = a.lesson->beat;
            if (a.lesson->feedback_error)
                fprintf(stderr, "%s beat %d: %s\n", a.lesson->l.id, b, a.lesson->feedback);
            assert_int_equal(a.lesson->feedback_error, 0); // the script ran as written
            if (b == golden_beat) {
                char name[200];
                snprintf(name, sizeof name, "lesson_%.60s_beat%d_120x36.txt", a.lesson->l.id,
                         b + 1);
                screen_golden(&a, 120, 36, name);
            }
            if (a.lesson->l.beats[b].q && !a.lesson->answered[b])
                answer(&a);
            app_key(&a, ' ');
            assert_true(a.lesson->done || a.lesson->beat == b + 1);
        }
        assert_true(a.lesson->done);
        // Space on the last beat ends the lesson and names the next one
        app_key(&a, ' ');
        char next[64] = "";
        if (i + 1 < n)
            snprintf(next, sizeof next, "next: stepformer lesson %d",
                     lesson_list_number(list[i + 1]));
        if (i + 1 < n && !strstr(a.message, next))
            fail_msg("%s: the end says '%s', not '%s'", a.lesson->l.id, a.message, next);
        if (i + 1 == n)
            assert_null(strstr(a.message, "next:"));
        app_free(&a);
    }
    lesson_list_free(list, n);
}

// Words of a text, split at white space, with the marks that set a phrase apart (quotes,
// emphasis, code) taken off their ends: what a reader sees whichever way they are drawn.
static int words_of(const char *text, char *buf, size_t size, const char **w, int max)
{
    snprintf(buf, size, "%s", text);
    int n = 0;
    for (char *p = strtok(buf, " \t\n"); p && n < max; p = strtok(NULL, " \t\n")) {
        while (*p == '"' || *p == '*' || *p == '`' || *p == '\'')
            p++;
        size_t k = strlen(p);
        while (k && (p[k - 1] == '"' || p[k - 1] == '*' || p[k - 1] == '`' || p[k - 1] == '\''))
            p[--k] = 0;
        if (k)
            w[n++] = p;
    }
    return n;
}

// The first word of want that does not appear in have (in order), or NULL.
static const char *missing_word(const char *want, const char *have)
{
    static char wb[20000], hb[60000], out[200];
    static const char *ww[4000], *hw[12000];
    int nw = words_of(want, wb, sizeof wb, ww, 4000), nh = words_of(have, hb, sizeof hb, hw, 12000);
    int j = 0;
    for (int i = 0; i < nw; i++) {
        while (j < nh && strcmp(hw[j], ww[i]) != 0)
            j++;
        if (j == nh) {
            snprintf(out, sizeof out, "%s (word %d of %d)", ww[i], i + 1, nw);
            return out;
        }
        j++;
    }
    return NULL;
}

// What the narration pane of a w x h screen shows: its narration rows (the scroll markers
// left out) added to narr, the question block's rows (from the question on) to quest.
static void pane_text(struct app *a, int w, int h, char *narr, size_t nsize, char *quest,
                      size_t qsize)
{
    struct grid g;
    struct screen_state s;
    draw_settled(a, w, h, &g, &s);
    struct rect r = s.narration;
    assert_true(r.w > 0 && r.h > 1);
    int in_question = 0;
    for (int y = r.y + 1; y < r.y + r.h; y++) {
        char row[2000];
        size_t o = 0;
        for (int x = r.x; x < r.x + r.w && o + 5 < sizeof row; x++) {
            const struct cell *c = &g.cells[(size_t)y * g.w + x];
            in_question |= c->style == SF_STYLE_CURRENT; // the question's own style
            o += (size_t)utf8_encode(c->cp, row + o);
        }
        row[o] = 0;
        const char *t = row + strspn(row, " ");
        if (!in_question && (strncmp(t, "↑ ", 4) == 0 || strncmp(t, "more ↓", 8) == 0))
            continue;
        char *dst = in_question ? quest : narr;
        size_t size = in_question ? qsize : nsize, len = strlen(dst);
        snprintf(dst + len, size - len, "%s\n", row);
    }
    grid_free(&g);
}

static void fail_reach(struct app *a, int w, int h, const char *what, const char *word,
                       const char *shown)
{
    fail_msg("%s beat %d at %dx%d: %s cannot be reached on screen: '%s' is missing; the "
             "pane shows:\n%s",
             a->lesson->l.id, a->lesson->beat + 1, w, h, what, word, shown);
}

// The narration of the beat on screen, read by scrolling with ] (Down while typing) to its
// end and back to its top, must be all there; so must the question, its choices and its
// feedback.
static void assert_beat_reachable(struct app *a, int w, int h)
{
    // narr: the narration rows of every window in turn; quest: the question block's rows of
    // the last window; seen: every window's narration rows, then its question rows. A question
    // too tall for the pane joins the narration and scrolls with it: its first rows are in the
    // first window only, its last rows in the last one, so the question is looked for in seen.
    static char narr[60000], quest[20000], seen[120000];
    narr[0] = seen[0] = 0;
    for (int k = 0; k < 100; k++) {
        quest[0] = 0;
        int first = a->lesson->narr_first;
        size_t from = strlen(narr), o = strlen(seen);
        pane_text(a, w, h, narr, sizeof narr, quest, sizeof quest);
        snprintf(seen + o, sizeof seen - o, "%s%s", narr + from, quest);
        app_key(a, a->lesson->typing ? SF_KEY_DOWN : ']');
        if (a->lesson->narr_first == first)
            break;
    }
    while (a->lesson->narr_first > 0) {
        int first = a->lesson->narr_first;
        app_key(a, a->lesson->typing ? SF_KEY_UP : '[');
        assert_true(a->lesson->narr_first < first);
    }
    const struct lesson_beat *b = &a->lesson->l.beats[a->lesson->beat];
    // The narration as shown: its live numbers read from the model.
    char *shown = b->text ? lesson_beat_expand(b, app_graph(a), NULL) : NULL;
    const char *miss = shown ? missing_word(shown, narr) : NULL;
    if (miss)
        fail_reach(a, w, h, "the narration", miss, narr);
    free(shown);
    if (!b->q)
        return;
    char want[20000];
    size_t o = (size_t)snprintf(want, sizeof want, "%s\n", b->q->text);
    for (int i = 0; i < b->q->n_choices; i++) // in the order shown (shuffled per student)
        o += (size_t)snprintf(want + o, sizeof want - o, "%c) %s\n", 'a' + i,
                              b->q->choices[a->lesson->order[i]]);
    if (a->lesson->feedback[0])
        snprintf(want + o, sizeof want - o, "%s", a->lesson->feedback);
    if ((miss = missing_word(want, seen)))
        fail_reach(a, w, h, "the question, its choices or its feedback", miss, seen);
}

// A question taller than a small pane joins the narration and scrolls with it: every word of
// the narration, the question, its choices and the feedback is reached.
static void test_narration_pane_too_small_for_the_question_scrolls(void **state)
{
    (void)state;
    static const char *const choices[] = {
        "the first choice, which is long enough to take two or three lines here",
        "the second choice, just as long as the first one was, to wrap too", "the third choice",
        "the fourth and last choice, which says why"};
    struct lesson_screen ls = {
        .title = "Lesson 1: A title",
        .where = "1/2",
        .text = "Narration before the question, on a few lines of its own in this pane.",
        .question = "Which of these four long choices is the right one, after all that?",
        .choices = choices,
        .n_choices = 4,
        .correct = 1,
        .picked = 0,
        .input_cursor = -1,
        .feedback = "Right. The explanation is long too: it says why the second one is right.",
    };
    struct rect r = {0, 0, 30, 9};
    struct grid g;
    assert_int_equal(grid_init(&g, r.w, r.h), 0);
    int page, last = panel_narration_last_first(&ls, r, &page);
    assert_true(last > 0);
    static char seen[20000];
    seen[0] = 0;
    for (int first = 0; first <= last; first++) {
        ls.narr_first = first;
        grid_clear(&g, SF_STYLE_NORMAL);
        panel_narration(&g, r, &ls);
        for (int y = 1; y < r.h; y++) {
            char row[400];
            const char *t = test_row_text(&g, y, row, sizeof row);
            t += strspn(t, " ");
            if (strncmp(t, "↑ ", 4) != 0 && strncmp(t, "more ↓", 8) != 0) {
                size_t o = strlen(seen);
                snprintf(seen + o, sizeof seen - o, "%s\n", row);
            }
        }
    }
    grid_free(&g);
    char want[2000];
    snprintf(want, sizeof want, "%s %s a) %s b) %s c) %s d) %s %s", ls.text, ls.question,
             choices[0], choices[1], choices[2], choices[3], ls.feedback);
    const char *miss = missing_word(want, seen);
    if (miss)
        fail_msg("'%s' is never shown:\n%s", miss, seen);
}

// The narration rows the pane of a lesson file shows at 80 x 24 as it opens (in *rows its rows
// below the title).
static int shown_at_80x24(const char *path, int *rows)
{
    struct app a;
    static char narr[60000], quest[20000];
    narr[0] = quest[0] = 0;
    assert_int_equal(open_lesson(&a, path, "--restart"), 0);
    pane_text(&a, 80, 24, narr, sizeof narr, quest, sizeof quest);
    struct screen_state s;
    app_screen(&a, &s);
    *rows = s.narration.h - 1;
    app_free(&a);
    int n = 0;
    for (const char *p = narr; (p = strchr(p, '\n')); p++)
        n++;
    return n;
}

// check lays every beat out as the app does at 80 x 24 (with its live numbers filled in): a
// beat that fits says nothing; narration that needs scrolling is a warning at the beat's first
// line with the lines it has and the lines shown; a question block taller than the pane, a
// stronger warning at the question; text that can never be shown, an error.
static void test_check_reports_beats_cut_at_80x24(void **state)
{
    (void)state;
    static char text[1 << 16], out[1 << 15];
    char want[1000], path[600];
    test_tmp_path(path, sizeof path, "check.md");
    // Seven lines fit a pane of seven rows. The last one is 7 lines with its live number
    // written out ({{...}} is longer than 78 columns) but fits once the number is filled in.
    const char *live = "- The model gives \"are\" the probability {{prob are last %.2f}} after "
                       "the last word.";
    assert_true(strlen(live) > 78 && strlen(live) - strlen("{{prob are last %.2f}}") + 4 <= 78);
    snprintf(text, sizeof text,
             "# Fits\n@goto head.probs\n- one\n- two\n- three\n- four\n- five\n- six\n%s\n"
             "@pause\n\nA short beat.\n@question Which word?\n@choice* are\n@choice is\n"
             "@explain The model says are.\n",
             live);
    assert_int_equal(check_text(text, out, sizeof out), 0);
    assert_non_null(strstr(out, "ok, 2 beats, 1 questions\n"));
    int rows;
    assert_int_equal(shown_at_80x24(path, &rows), 7);
    // Twelve lines in beat 2 (starting at line 5): as many fit as the pane shows.
    size_t o = (size_t)snprintf(text, sizeof text, "# Scrolls\n@goto head.probs\nOne.\n@pause\n");
    for (int i = 1; i <= 12; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "- line %d\n", i);
    char two[sizeof text]; // beat 2 as the first beat of a lesson: its pane as drawn
    snprintf(two, sizeof two, "# Scrolls\n@goto head.probs\n%s", strstr(text, "- line 1\n"));
    write_file(path, two, strlen(two));
    int fit = shown_at_80x24(path, &rows);
    assert_true(fit > 0 && fit < 12);
    assert_int_equal(check_text(text, out, sizeof out), 0);
    snprintf(want, sizeof want,
             "%s:5:1: warning: beat 2 needs scrolling at 80×24: its narration is 12 lines, %d "
             "fit",
             path, fit);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "beat 1 needs"));
    assert_non_null(strstr(out, "ok, 2 beats, 0 questions, 1 warning\n"));
    // Eight choices of three lines each: taller than the pane can ever be at 80 x 24.
    o = (size_t)snprintf(text, sizeof text,
                         "# Big\n@goto head.probs\nOne line.\n\n"
                         "@question Which one is right?\n");
    for (int i = 0; i < 8; i++)
        o += (size_t)snprintf(text + o, sizeof text - o,
                              "@choice%s choice %d, which goes on and on about what it means "
                              "so that it takes more than two lines of the narration pane "
                              "at eighty columns\n",
                              i == 3 ? "*" : "", i);
    assert_int_equal(check_text(text, out, sizeof out), 0);
    assert_non_null(strstr(out, ":5:1: warning: beat 1 cannot show its question whole at 80×24:"));
    write_file(path, text, strlen(text));
    shown_at_80x24(path, &rows);
    snprintf(want, sizeof want, "lines and the pane has %d rows, so the question", rows);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "needs scrolling"));
    // An explanation longer than the reply can hold is cut: an error.
    o = (size_t)snprintf(text, sizeof text,
                         "# Cut\n@goto head.probs\nOne line.\n"
                         "@question Which word?\n@choice* are\n@choice is\n"
                         "@explain");
    for (int i = 0; i < 200; i++) // 1200 bytes: the reply keeps 1023
        o += (size_t)snprintf(text + o, sizeof text - o, " word%d", i % 10);
    snprintf(text + o, sizeof text - o, " the end.\n");
    assert_int_equal(check_text(text, out, sizeof out), 2);
    assert_non_null(strstr(out, ":4:1: error: the explanation is cut:"));
    // More lines than the pane lays out: never shown, an error.
    o = (size_t)snprintf(text, sizeof text, "# Long\n@goto head.probs\n");
    for (int i = 0; i < 450; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "- item %d\n", i);
    assert_int_equal(check_text(text, out, sizeof out), 2);
    assert_non_null(strstr(out, ":2:1: error: beat 1: 50 lines of its pane can never be shown"));
    assert_non_null(strstr(out, ":2:1: warning: beat 1 needs scrolling at 80×24: its narration is "
                                "450 lines"));
}

// The done-when test of the narration pane: every beat of every shipped lesson at the
// smallest screen, a middle one, a large one, the narrowest and shortest with the narration
// beside the panels and one a little larger, each question answered wrong and then right,
// shows every word of its narration (scrolling with ]), and the question's choices, the hint
// and the explanation in full, at every step.
static void test_every_beat_is_reachable_at_every_size(void **state)
{
    (void)state;
    static const int sizes[][2] = {{80, 24}, {100, 30}, {110, 24}, {120, 30}, {160, 48}};
    int n;
    char **list = lesson_list(&n);
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        int w = sizes[z][0], h = sizes[z][1];
        for (int i = 0; i < n; i++) {
            struct app a;
            assert_int_equal(open_lesson(&a, list[i], "--restart"), 0);
            for (int guard = 0; guard < 1000 && !a.lesson->done; guard++) {
                int b = a.lesson->beat;
                const struct lesson_question *q = a.lesson->l.beats[b].q;
                assert_int_equal(a.lesson->narr_first, 0); // a beat starts at its top
                assert_beat_reachable(&a, w, h);
                if (q && !a.lesson->answered[b]) {
                    char want[200];
                    assert_true(app_lesson_expected(&a, want, sizeof want));
                    if (q->correct >= 0) { // a letter shown for another choice
                        int k = a.lesson->order[0] == q->correct ? 1 : 0;
                        app_key(&a, 'a' + k);
                    } else {
                        type(&a, "xyzzy");
                        app_key(&a, SF_KEY_ENTER);
                    }
                    assert_int_equal(a.lesson->feedback_error, 1); // the hint
                    assert_beat_reachable(&a, w, h);
                    answer(&a);
                    assert_beat_reachable(&a, w, h); // the explanation
                }
                app_key(&a, ' ');
                assert_true(a.lesson->done || a.lesson->beat == b + 1);
            }
            assert_true(a.lesson->done);
            app_free(&a);
        }
    }
    lesson_list_free(list, n);
}

// The text of a w x h screen of a, one row per line.
static void screen_text(struct app *a, int w, int h, char *out, size_t size)
{
    struct grid g;
    struct screen_state s;
    test_draw_app(a, w, h, &g, &s);
    size_t o = 0;
    out[0] = 0;
    for (int y = 0; y < h && o + 1 < size; y++) {
        char row[2000];
        o += (size_t)snprintf(out + o, size - o, "%s\n", test_row_text(&g, y, row, sizeof row));
    }
    grid_free(&g);
}

// ? in lesson mode lists the lesson's keys (the narration's scroll keys among them) before
// the step-through screen's.
static void test_lesson_help_lists_lesson_keys_first(void **state)
{
    (void)state;
    struct app a;
    assert_int_equal(open_lesson(&a, "1", "--restart"), 0);
    app_key(&a, '?');
    static char text[40000];
    screen_text(&a, 80, 24, text, sizeof text);
    const char *lesson = strstr(text, "the next beat"),
               *scroll = strstr(text, "scroll the narration");
    const char *screen = strstr(text, "run the next operation");
    if (!lesson || !scroll || (screen && screen < lesson))
        fail_msg("the help does not start with the lesson's keys:\n%s", text);
    app_free(&a);
}

// A progress line of lesson id in the progress file, or NULL.
static const struct lesson_progress_item *progress_of(struct lesson_progress *p, const char *dir,
                                                      const char *id)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/stepformer/progress", dir);
    lesson_progress_free(p);
    memset(p, 0, sizeof *p);
    assert_int_equal(lesson_progress_load(p, path), 0);
    return lesson_progress_get(p, id);
}

// Reaching the last beat (its question answered) finishes the lesson: no Space past it is
// needed. --restart starts with no question answered and keeps a finished lesson finished.
static void test_lesson_done_and_restart(void **state)
{
    (void)state;
    char dir[600];
    test_fresh_dir(dir, sizeof dir, "lesson-state-restart");
    setenv("XDG_STATE_HOME", dir, 1);
    struct app a;
    struct lesson_progress p;
    memset(&p, 0, sizeof p);
    // Three beats in, then --restart: from the top, nothing answered, no welcome back.
    assert_int_equal(open_lesson(&a, "4", NULL), 0);
    char id[LESSON_ID_MAX];
    snprintf(id, sizeof id, "%s", a.lesson->l.id);
    int last = a.lesson->l.n_beats - 1;
    for (int k = 0; k < 3; k++) {
        if (a.lesson->l.beats[a.lesson->beat].q)
            answer(&a);
        app_key(&a, ' ');
    }
    assert_int_equal(a.lesson->beat, 3);
    app_free(&a);
    assert_int_equal(open_lesson(&a, "4", "--restart"), 0);
    assert_int_equal(a.lesson->beat, 0);
    for (int k = 0; k <= last; k++)
        assert_int_equal(a.lesson->answered[k], 0);
    assert_null(strstr(a.message, "welcome back"));
    // To the last beat, its question answered, and no Space past it: the lesson is done.
    while (a.lesson->beat < last) {
        if (a.lesson->l.beats[a.lesson->beat].q && !a.lesson->answered[a.lesson->beat])
            answer(&a);
        app_key(&a, ' ');
    }
    if (a.lesson->l.beats[last].q)
        answer(&a);
    assert_int_equal(a.lesson->done, 0);
    app_free(&a);
    const struct lesson_progress_item *it = progress_of(&p, dir, id);
    assert_non_null(it);
    assert_int_equal(it->done, 1);
    // Taking it again from the top keeps it done in the list.
    assert_int_equal(open_lesson(&a, "4", "--restart"), 0);
    type(&a, "  ");
    app_free(&a);
    it = progress_of(&p, dir, id);
    assert_non_null(it);
    assert_int_equal(it->done, 1);
    lesson_progress_free(&p);
}

// Goes through lesson a (answering) to the first beat whose narration or explanation holds
// needle; fails when there is none.
static void goto_text(struct app *a, const char *needle)
{
    for (int guard = 0; guard < 1000 && !a->lesson->done; guard++) {
        const struct lesson_beat *b = &a->lesson->l.beats[a->lesson->beat];
        if ((b->text && strstr(b->text, needle)) ||
            (b->q && b->q->explain && strstr(b->q->explain, needle)))
            return;
        if (b->q && !a->lesson->answered[a->lesson->beat])
            answer(a);
        app_key(a, ' ');
    }
    fail_msg("%s: no beat says '%s'", a->lesson->l.id, needle);
}

static double live(struct app *a, const char *expr)
{
    char text[128], why[300];
    double v = 0;
    int numeric = 0;
    if (lesson_live_eval(expr, app_graph(a), text, sizeof text, &v, &numeric, why, sizeof why))
        fail_msg("%s: %s", expr, why);
    return v;
}

// What the narration says about the numbers is what the model shows.
static void test_lesson_sentences_match_the_model(void **state)
{
    (void)state;
    struct app a;
    assert_int_equal(open_lesson(&a, "4", "--restart"), 0);
    // Dividing by 4 moves row 7's scores toward 0: all of them are negative.
    goto_text(&a, "scores are all negative, so each moves toward 0");
    for (int j = 0; j < 8; j++) {
        char e[64];
        snprintf(e, sizeof e, "value L1.attn.scores 0 7 %d", j);
        assert_true(live(&a, e) < 0);
    }
    // chicken's weight is the largest single one, not most of the sum.
    goto_text(&a, "is chicken's value, weighted {{value L1.attn.softmax 0 7 1 %.2f}}; the other");
    double w = live(&a, "value L1.attn.softmax 0 7 1");
    assert_true(w > 0.3 && w < 0.5);
    assert_int_equal((int)live(&a, "argmax L1.attn.softmax 0 7"), 1);
    app_free(&a);
    // Six losses are close to 0 and chicken -> didn't costs 0.66.
    assert_int_equal(open_lesson(&a, "13", "--restart"), 0);
    goto_text(&a, "Six of them are close to 0 and \"didn't\" after \"chicken\" costs 0.66");
    int near0 = 0;
    for (int i = 0; i < 10; i++) {
        char e[32];
        snprintf(e, sizeof e, "loss %d", i);
        near0 += live(&a, e) < 0.01;
    }
    assert_int_equal(near0, 6);
    assert_true(fabs(live(&a, "loss 1") - 0.66) < 0.005);
    app_free(&a);
}

// A typed question's hint that names a screen key says how to reach it: Esc first (the answer
// line takes every key), then h changes the head, and Enter types again.
static void test_typed_hint_says_how_to_press_its_key(void **state)
{
    (void)state;
    struct app a;
    assert_int_equal(open_lesson(&a, "5", "--restart"), 0);
    goto_text(&a, "Head 0 does not single out the subject");
    assert_int_equal(a.lesson->typing, 1);
    type(&a, "xyzzy");
    app_key(&a, SF_KEY_ENTER);
    assert_non_null(strstr(a.lesson->feedback, "Press h"));
    assert_non_null(strstr(a.lesson->feedback, "Esc first"));
    int head = a.view.head;
    app_key(&a, SF_KEY_ESCAPE);
    app_key(&a, 'h');
    assert_int_not_equal(a.view.head, head);
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.lesson->typing, 1);
    app_free(&a);
}

static void test_lesson_resumes_where_it_stopped(void **state)
{
    (void)state;
    struct app a;
    assert_int_equal(open_lesson(&a, "4", "--restart"), 0);
    assert_int_equal(a.lesson->beat, 0);
    type(&a, "  ");
    assert_int_equal(a.lesson->beat, 2);
    app_free(&a);
    // The list shows where the lesson was left.
    char out[8000];
    FILE *o = fmemopen(out, sizeof out, "w");
    assert_int_equal(cmd_lessons(0, NULL, o, o), 0);
    fclose(o);
    assert_non_null(strstr(out, " 4  One attention head"));
    assert_non_null(strstr(out, "beat 3 of "));
    assert_non_null(strstr(out, "or by name: 1 one-pass, 2 ")); // the names `lesson` takes
    assert_non_null(strstr(out, ", 4 one-head,"));
    char *extra[] = {"4"};
    o = fmemopen(out, sizeof out, "w");
    assert_int_equal(cmd_lessons(1, extra, o, o), 2);
    fclose(o);
    assert_non_null(strstr(out, "stepformer lesson 4"));
    assert_int_equal(open_lesson(&a, "one-head", NULL), 0);
    assert_int_equal(a.lesson->beat, 2);
    assert_non_null(strstr(a.message, "welcome back"));
    // Backspace goes back a beat, and the model with it.
    app_key(&a, SF_KEY_BACKSPACE);
    assert_int_equal(a.lesson->beat, 1);
    assert_string_equal(graph_last(app_graph(&a))->name, "L1.attn.q");
    // Exploring moves the model; the next beat puts it where the script says.
    app_key(&a, 'n');
    for (int i = 0; i < 1000 && app_busy(&a); i++)
        app_tick(&a, 50);
    app_key(&a, ' ');
    assert_int_equal(a.lesson->beat, 2);
    assert_string_equal(graph_last(app_graph(&a))->name, "L1.attn.v");
    app_free(&a);
    // A finished lesson starts again from the top.
    assert_int_equal(open_lesson(&a, "4", NULL), 0);
    while (!a.lesson->done) {
        if (a.lesson->l.beats[a.lesson->beat].q && !a.lesson->answered[a.lesson->beat])
            answer(&a);
        app_key(&a, ' ');
    }
    app_free(&a);
    assert_int_equal(open_lesson(&a, "4", NULL), 0);
    assert_int_equal(a.lesson->beat, 0);
    app_free(&a);
}

// A progress file that cannot be written is said, with its path and the reason, and is not
// hidden by the welcome back; the beat counter keeps saying so; the lesson goes on.
static void test_lesson_says_when_progress_is_not_saved(void **state)
{
    (void)state;
    char dir[700], path[1024];
    state_path(dir, sizeof dir, "progress-unsaved");
    setenv("XDG_STATE_HOME", dir, 1);
    assert_int_equal(lesson_progress_path(path, sizeof path), 0);
    struct lesson_progress p;
    struct sf_diag d;
    assert_int_equal(lesson_progress_load(&p, path), 0);
    struct app a;
    assert_int_equal(open_lesson(&a, "4", "--restart"), 0);
    int beats = a.lesson->l.n_beats;
    assert_int_equal(lesson_progress_set(&p, a.lesson->l.id, 2, beats, 0), 0);
    app_free(&a);
    assert_int_equal(lesson_progress_save(&p, &d), 0);
    lesson_progress_free(&p);
    // Files may not grow beyond 16 bytes (as on a full disk): the save fails.
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 16;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = open_lesson(&a, "4", NULL);
    char message[sizeof a.message];
    snprintf(message, sizeof message, "%s", a.message);
    int beat = a.lesson ? a.lesson->beat : -1;
    app_key(&a, ' ');
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, 0);
    assert_int_equal(beat, 2);
    if (!strstr(message, "progress not saved") || !strstr(message, path) ||
        !strstr(message, "File too large") || !strstr(message, "welcome back"))
        fail_msg("message '%s'", message);
    assert_int_equal(a.lesson->beat, 3); // the lesson went on
    struct screen_state s;
    app_screen(&a, &s);
    assert_non_null(s.lesson);
    assert_non_null(strstr(s.lesson->where, "not saved"));
    app_free(&a);
    assert_int_equal(lesson_progress_load(&p, path), 0); // the file is as it was
    assert_int_equal(p.n, 1);
    assert_int_equal(p.items[0].beat, 2);
    lesson_progress_free(&p);
    setenv("XDG_STATE_HOME", state_dir, 1);
}

// The student's answers to lesson 14, as its hint and explanation write the numbers: the
// parameter count with thousands separators and GPT-2's in millions with "M".
static void test_lesson_14_takes_printed_numbers(void **state)
{
    (void)state;
    struct app a;
    assert_int_equal(open_lesson(&a, "14", "--restart"), 0);
    int seen = 0;
    for (int guard = 0; guard < 200 && !a.lesson->done; guard++) {
        int b = a.lesson->beat;
        const struct lesson_question *q = a.lesson->l.beats[b].q;
        if (q && !a.lesson->answered[b]) {
            const char *typed = NULL;
            if (q->live && strcmp(q->live, "params") == 0)
                typed = "111,872";
            else if (strstr(q->text, "million") && q->n_answers)
                typed = "85M";
            if (typed) {
                type(&a, typed);
                app_key(&a, SF_KEY_ENTER);
                if (!a.lesson->answered[b])
                    fprintf(stderr, "'%s': %s\n", typed, a.lesson->feedback);
                assert_int_equal(a.lesson->answered[b], 1);
                assert_non_null(strstr(a.lesson->feedback, "Right: "));
                seen++;
            } else {
                answer(&a);
            }
        }
        app_key(&a, ' ');
    }
    assert_int_equal(seen, 2);
    app_free(&a);
}

static void test_questions_wait_for_the_answer(void **state)
{
    (void)state;
    struct app a;
    assert_int_equal(open_lesson(&a, "4", "--restart"), 0);
    // To the first typed (live) question.
    while (!(a.lesson->l.beats[a.lesson->beat].q && a.lesson->l.beats[a.lesson->beat].q->live)) {
        if (a.lesson->l.beats[a.lesson->beat].q)
            answer(&a);
        app_key(&a, ' ');
    }
    int b = a.lesson->beat;
    assert_true(a.lesson->typing);
    app_key(&a, SF_KEY_ESCAPE);
    app_key(&a, ' '); // Space does not skip an open question
    assert_int_equal(a.lesson->beat, b);
    assert_non_null(strstr(a.message, "answer the question first"));
    assert_true(a.lesson->typing);
    type(&a, "12345");
    app_key(&a, SF_KEY_ENTER);
    assert_int_equal(a.lesson->feedback_error, 1);
    assert_non_null(strstr(a.lesson->feedback, "Not quite: '12345'"));
    assert_non_null(strstr(a.lesson->feedback, "Hint:"));
    type(&a, "no");
    app_key(&a, SF_KEY_ENTER);
    assert_non_null(strstr(a.lesson->feedback, "Enter with no answer shows it"));
    screen_golden(&a, 100, 30, "lesson_question_wrong_100x30.txt");
    app_key(&a, SF_KEY_ENTER); // reveal
    assert_int_equal(a.lesson->answered[b], 1);
    assert_non_null(strstr(a.lesson->feedback, "The answer:"));
    app_key(&a, ' ');
    assert_int_equal(a.lesson->beat, b + 1);
    app_free(&a);
}

static void test_presenter_mode(void **state)
{
    (void)state;
    struct app a;
    assert_int_equal(open_lesson(&a, "4", "--present"), 0);
    assert_int_equal(a.lesson->beat, 0);
    screen_golden(&a, 120, 40, "lesson_present_120x40.txt");
    while (!a.lesson->l.beats[a.lesson->beat].q)
        app_key(&a, SF_KEY_PAGE_DOWN);
    int b = a.lesson->beat;
    app_key(&a, SF_KEY_RIGHT); // the answer, on the next press
    assert_int_equal(a.lesson->beat, b);
    assert_true(a.lesson->revealed);
    char want[8], said[32];
    assert_true(app_lesson_expected(&a, want, sizeof want));
    const struct lesson_question *q = a.lesson->l.beats[b].q;
    assert_int_equal(a.lesson->order[want[0] - 'a'], q->correct);
    snprintf(said, sizeof said, "Answer: %s.", want);
    assert_non_null(strstr(a.lesson->feedback, said));
    screen_golden(&a, 120, 40, "lesson_present_answer_120x40.txt");
    app_key(&a, ' ');
    assert_int_equal(a.lesson->beat, b + 1);
    app_key(&a, SF_KEY_PAGE_UP);
    app_key(&a, SF_KEY_LEFT);
    assert_int_equal(a.lesson->beat, b - 1);
    // F (the step-through screen's presenter view) leaves a lesson's own layout alone
    app_key(&a, 'F');
    assert_false(a.present);
    assert_non_null(strstr(a.message, "stepformer lesson --present"));
    struct screen_state s;
    app_screen(&a, &s);
    assert_non_null(s.lesson);
    assert_false(s.present);
    assert_int_equal(app_key(&a, 'q'), APP_QUIT);
    app_free(&a);
    // Presenting keeps no progress: the student's place is untouched.
}

static void test_missing_model_stops_cleanly(void **state)
{
    (void)state;
    char path[600], out[4000];
    test_tmp_path(path, sizeof path, "needs-gpt2.md");
    const char *text = "# Needs GPT-2\n@model gpt2_124M_not_here.bin\n\nText.\n";
    write_file(path, text, strlen(text));
    char msg[4000] = "";
    FILE *err = fmemopen(msg, sizeof msg, "w");
    struct app a;
    char *argv[] = {path};
    assert_int_equal(app_lesson_open(&a, 1, argv, err), 2);
    fclose(err);
    char want[800];
    snprintf(want, sizeof want,
             "%s:2:8: error: this lesson needs the model gpt2_124M_not_here.bin, "
             "which is not installed",
             path);
    assert_non_null(strstr(msg, want));
    // check: a note, not an error.
    FILE *o = fmemopen(out, sizeof out, "w");
    assert_int_equal(cmd_check(1, argv, o, o), 0);
    fclose(o);
    assert_non_null(strstr(out, "note: this lesson needs the model"));
    // Unknown lessons and options.
    char *bad[] = {"99"};
    err = fmemopen(msg, sizeof msg, "w");
    assert_int_equal(app_lesson_open(&a, 1, bad, err), 2);
    fclose(err);
    assert_non_null(strstr(msg, "no lesson '99'"));
    char *opt[] = {"4", "--loud"};
    err = fmemopen(msg, sizeof msg, "w");
    assert_int_equal(app_lesson_open(&a, 2, opt, err), 2);
    fclose(err);
    assert_non_null(strstr(msg, "unknown option '--loud'"));
    char *impl[] = {"4", "--impl", "blas"};
    err = fmemopen(msg, sizeof msg, "w");
    assert_int_equal(app_lesson_open(&a, 3, impl, err), 2);
    fclose(err);
    assert_non_null(strstr(msg, "--impl 'blas': use fast or ref"));
    err = fmemopen(msg, sizeof msg, "w");
    assert_int_equal(app_lesson_open(&a, 2, impl, err), 2);
    fclose(err);
    assert_non_null(strstr(msg, "--impl needs a value"));
}

int main(void)
{
    // Graph outputs are not zeroed: a panel that read one before its op ran would show NaN.
    arena_debug_fill(0xff);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_a_lesson),
        cmocka_unit_test(test_emphasis_shows_as_quotes),
        cmocka_unit_test(test_errors_name_line_and_column),
        cmocka_unit_test(test_unknown_directive_lists_the_table),
        cmocka_unit_test(test_equation_numbers_only_when_confirmed),
        cmocka_unit_test(test_equation_reference_errors),
        cmocka_unit_test(test_correct_choice_is_not_the_longest),
        cmocka_unit_test(test_check_warns_about_a_long_correct_choice),
        cmocka_unit_test(test_directive_table_is_whole),
        cmocka_unit_test(test_directives_are_documented),
        cmocka_unit_test(test_live_values_are_documented),
        cmocka_unit_test(test_junk_gives_diagnostics),
        cmocka_unit_test(test_lesson_parse_is_linear),
        cmocka_unit_test(test_lesson_parse_honours_the_length),
        cmocka_unit_test(test_check_runs_the_script_on_the_model),
        cmocka_unit_test(test_check_every_shipped_lesson),
        cmocka_unit_test(test_check_equation_table),
        cmocka_unit_test(test_inline_live_numbers),
        cmocka_unit_test(test_facts_are_checked),
        cmocka_unit_test(test_check_warns_about_typed_decimals),
        cmocka_unit_test(test_check_catches_a_changed_model),
        cmocka_unit_test(test_live_values),
        cmocka_unit_test(test_live_values_stay_inside_the_tensors),
        cmocka_unit_test_teardown(test_progress_file, reset_state_dir),
        cmocka_unit_test_teardown(test_progress_ids_round_trip, reset_state_dir),
        cmocka_unit_test_teardown(test_progress_load_and_save_are_fast, reset_state_dir),
        cmocka_unit_test(test_every_lesson_runs_to_its_end),
        cmocka_unit_test_teardown(test_lesson_opens_at_a_beat, reset_state_dir),
        cmocka_unit_test(test_check_suggests_the_nearest_name),
        cmocka_unit_test(test_every_beat_is_reachable_at_every_size),
        cmocka_unit_test(test_narration_pane_too_small_for_the_question_scrolls),
        cmocka_unit_test(test_check_reports_beats_cut_at_80x24),
        cmocka_unit_test(test_lesson_help_lists_lesson_keys_first),
        cmocka_unit_test(test_lesson_sentences_match_the_model),
        cmocka_unit_test(test_typed_hint_says_how_to_press_its_key),
        cmocka_unit_test_teardown(test_lesson_done_and_restart, reset_state_dir),
        cmocka_unit_test(test_lesson_shows_live_numbers),
        cmocka_unit_test(test_lesson_resumes_where_it_stopped),
        cmocka_unit_test_teardown(test_lesson_says_when_progress_is_not_saved, reset_state_dir),
        cmocka_unit_test(test_questions_wait_for_the_answer),
        cmocka_unit_test(test_presenter_mode),
        cmocka_unit_test(test_missing_model_stops_cleanly),
        cmocka_unit_test(test_typed_numbers_in_printed_forms),
        cmocka_unit_test(test_rounding_is_close),
        cmocka_unit_test(test_typed_answers_in_the_app),
        cmocka_unit_test(test_lesson_14_takes_printed_numbers),
        cmocka_unit_test(test_choice_feedback),
        cmocka_unit_test(test_choices_are_shuffled_per_student),
        cmocka_unit_test(test_shuffled_choices_in_the_app),
        cmocka_unit_test_teardown(test_lesson_3_shows_the_worked_example, reset_state_dir),
        cmocka_unit_test(test_worked_example_numbers),
        cmocka_unit_test(test_worked_example_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
