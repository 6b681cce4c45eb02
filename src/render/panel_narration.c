// Lesson mode's narration pane (and, presenting, the caption): the beat's text wrapped to the
// width, then its question with the choices, the answer being typed (with its cursor) and the
// feedback.
#include <stdio.h>
#include <string.h>

#include "stepformer/screen.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

#define MAX_LINES 400

struct wline {
    const char *s;
    int len;    // bytes
    int indent; // columns before it
    enum sf_style style;
};

struct wrapped {
    struct wline l[MAX_LINES];
    int n;
    int dropped; // lines past MAX_LINES: never shown
};

// The columns of s[0..len): its bytes that do not continue a character.
static int columns(const char *s, int len)
{
    return (int)utf8_count(s, (size_t)len);
}

// Byte length of the first `cols` columns of s (at most len bytes).
static int bytes_for(const char *s, int len, int cols)
{
    size_t i = 0;
    for (int c = 0; i < (size_t)len && c < cols; c++)
        i = utf8_next(s, (size_t)len, i);
    return (int)i;
}

static void add(struct wrapped *w, const char *s, int len, int indent, enum sf_style st)
{
    if (w->n < MAX_LINES)
        w->l[w->n++] = (struct wline){s, len, indent, st};
    else
        w->dropped++;
}

// Greedy word wrap of text (hard lines at "\n") into lines of at most width columns; later
// lines of a hard line start `hang` columns in (2 for a list item "- " when hang is 0).
static void wrap(struct wrapped *w, const char *text, int width, int hang, enum sf_style st)
{
    if (width < 8)
        width = 8;
    for (const char *line = text; line;) {
        const char *nl = strchr(line, '\n');
        int n = nl ? (int)(nl - line) : (int)strlen(line);
        if (n == 0)
            add(w, line, 0, 0, st);
        int in_hang = hang ? hang : n > 2 && line[0] == '-' && line[1] == ' ' ? 2 : 0, first = 1;
        const char *s = line, *end = line + n;
        while (s < end) {
            int in = first ? 0 : in_hang, room = width - in;
            while (!first && s < end && *s == ' ')
                s++;
            int left = (int)(end - s);
            if (columns(s, left) <= room) {
                add(w, s, left, in, st);
                break;
            }
            // The last space that fits, else a hard cut.
            int fit = bytes_for(s, left, room), cut = fit;
            while (cut > 0 && s[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = fit;
            add(w, s, cut, in, st);
            s += cut;
            first = 0;
        }
        line = nl ? nl + 1 : NULL;
    }
}

// The narration's lines and the question block's lines for a width.
static void compose(const struct lesson_screen *ls, int width, struct wrapped *narr,
                    struct wrapped *quest, char choice_text[8][600])
{
    narr->n = quest->n = narr->dropped = quest->dropped = 0;
    if (ls->text && ls->text[0])
        wrap(narr, ls->text, width, 0, SF_STYLE_NORMAL);
    if (ls->question) {
        if (narr->n)
            add(quest, "", 0, 0, SF_STYLE_NORMAL);
        wrap(quest, ls->question, width, 0, SF_STYLE_CURRENT);
        for (int i = 0; i < ls->n_choices && i < 8; i++) {
            enum sf_style st = i == ls->correct                      ? SF_STYLE_SELECTED
                               : i == ls->picked && ls->correct != i ? SF_STYLE_NOTICE
                                                                     : SF_STYLE_NORMAL;
            text_format(choice_text[i], 600, "%c) %s", 'a' + i, ls->choices[i]);
            wrap(quest, choice_text[i], width, 3, st);
        }
        if (ls->input)
            wrap(quest, ls->input, width, 0, SF_STYLE_SELECTED);
    }
    if (ls->feedback && ls->feedback[0]) {
        add(quest, "", 0, 0, SF_STYLE_NORMAL);
        wrap(quest, ls->feedback, width, 0, ls->feedback_error ? SF_STYLE_NOTICE : SF_STYLE_NUMBER);
    }
}

// Where the text cursor of the answer line is: the first byte of its character, or NULL.
static const char *input_cursor(const struct lesson_screen *ls)
{
    if (!ls->input || ls->input_cursor < 0)
        return NULL;
    // The input_cursor-th byte that starts a character (one that is not a continuation byte).
    const char *p = ls->input;
    size_t n = strlen(p), i = utf8_count(p, 1) ? 0 : utf8_next(p, n, 0);
    for (int k = 0; i < n; i = utf8_next(p, n, i))
        if (k++ == ls->input_cursor)
            return p + i;
    return NULL;
}

int panel_narration_height(const struct lesson_screen *ls, int w)
{
    struct wrapped narr, quest;
    char choice_text[8][600];
    compose(ls, w - 2, &narr, &quest, choice_text);
    return 1 + narr.n + quest.n;
}

int panel_narration_need(const struct lesson_screen *ls, int w)
{
    struct wrapped narr, quest;
    char choice_text[8][600];
    compose(ls, w - 2, &narr, &quest, choice_text);
    return 1 + quest.n + (narr.n < 3 ? narr.n : 3);
}

// The narration's window in `avail` rows: lines [first, first + shown) with a marker line
// above them when *above and below them when *below. A window of three rows or more says
// what is above it; smaller ones only what is below.
struct window {
    int first, shown, above, below;
};

static struct window narr_window(int n, int avail, int want_first)
{
    struct window v = {0, n, 0, 0};
    if (n <= avail)
        return v;
    if (avail < 1) {
        v.shown = 0;
        return v;
    }
    int top_ok = avail >= 3, last_first = n - (avail - top_ok);
    v.first = want_first < 0 ? 0 : want_first > last_first ? last_first : want_first;
    v.above = top_ok && v.first > 0;
    v.shown = avail - v.above;
    if (v.first + v.shown < n) {
        v.below = 1;
        v.shown--;
    }
    return v;
}

// A question block taller than the pane's rows (a tiny pane): it joins the narration, and
// the whole scrolls, so nothing is out of reach.
static void fit_question(struct wrapped *narr, struct wrapped *quest, int rows)
{
    if (quest->n <= rows)
        return;
    for (int i = 0; i < quest->n; i++)
        add(narr, quest->l[i].s, quest->l[i].len, quest->l[i].indent, quest->l[i].style);
    quest->n = 0;
}

int panel_narration_last_first(const struct lesson_screen *ls, struct rect r, int *page)
{
    struct wrapped narr, quest;
    char choice_text[8][600];
    compose(ls, r.w - 2, &narr, &quest, choice_text);
    fit_question(&narr, &quest, r.h - 1);
    int rows = r.h - 1, q_rows = quest.n > rows ? rows : quest.n, avail = rows - q_rows;
    *page = avail - 2 > 1 ? avail - 2 : 1;
    if (narr.n <= avail || avail < 1)
        return 0;
    return narr.n - (avail - (avail >= 3));
}

void panel_narration_fit(const struct lesson_screen *ls, struct rect r, struct narration_fit *f)
{
    struct wrapped narr, quest;
    char choice_text[8][600];
    memset(f, 0, sizeof *f);
    compose(ls, r.w - 2, &narr, &quest, choice_text);
    f->narr_lines = narr.n + narr.dropped;
    f->quest_lines = quest.n + quest.dropped;
    f->rows = r.h - 1;
    if (r.w < 10 || r.h < 3) { // panel_narration draws nothing
        f->lost = narr.n + quest.n + narr.dropped + quest.dropped;
        return;
    }
    fit_question(&narr, &quest, f->rows);
    f->lost = narr.dropped + quest.dropped;
    int q_rows = quest.n > f->rows ? f->rows : quest.n;
    struct window v = narr_window(narr.n, f->rows - q_rows, 0);
    f->narr_shown = v.shown < f->narr_lines ? v.shown : f->narr_lines;
}

static void draw_title(struct grid *g, struct rect r, const struct lesson_screen *ls)
{
    panel_title(g, r, "", 0);
    int where_w = ls->where ? (int)strlen(ls->where) : 0;
    if (where_w + 12 > r.w)
        where_w = 0;
    if (where_w)
        grid_text(g, r.x + r.w - where_w - 1, r.y, where_w, ls->where, SF_STYLE_TITLE);
    // A title too long for the pane drops its "Lesson N: " (the number is in the list).
    const char *title = ls->title ? ls->title : "Lesson", *colon = strchr(title, ':');
    int room = r.w - where_w - (where_w ? 3 : 1);
    if ((int)strlen(title) > room && strncmp(title, "Lesson ", 7) == 0 && colon &&
        colon - title < 12)
        title = colon + 1 + (colon[1] == ' ');
    panel_label(g, r.x + 1, r.y, room, title, SF_STYLE_TITLE); // at a word, with …
}

void panel_narration(struct grid *g, struct rect r, const struct lesson_screen *ls)
{
    if (r.w < 10 || r.h < 3)
        return;
    draw_title(g, r, ls);
    int width = r.w - 2, rows = r.h - 1;
    struct wrapped narr, quest;
    char choice_text[8][600];
    compose(ls, width, &narr, &quest, choice_text);
    fit_question(&narr, &quest, rows);
    // The question and its feedback always show in full; the narration gives way and scrolls
    // (] and [), with a marker that counts the lines above and below its window.
    int q_rows = quest.n > rows ? rows : quest.n;
    struct window v = narr_window(narr.n, rows - q_rows, ls->narr_first);
    int typing = ls->input && ls->input_cursor >= 0; // the answer line takes ] and [
    int y = r.y + 1;
    char tmp[700];
    if (v.above) {
        text_format(tmp, sizeof tmp, "↑ %d above  (%s scrolls back)", v.first, typing ? "Up" : "[");
        grid_text(g, r.x + 1, y++, width, tmp, SF_STYLE_DIM);
    }
    for (int i = v.first; i < v.first + v.shown; i++, y++) {
        const struct wline *l = &narr.l[i];
        text_format(tmp, sizeof tmp, "%.*s", l->len, l->s);
        grid_text(g, r.x + 1 + l->indent, y, width - l->indent, tmp, l->style);
    }
    if (v.below) {
        text_format(tmp, sizeof tmp, "more ↓ %d  (%s scrolls)", narr.n - v.first - v.shown,
                    typing ? "Down" : "]");
        grid_text(g, r.x + 1, y++, width, tmp, SF_STYLE_NOTICE);
    }
    const char *cursor = input_cursor(ls);
    for (int i = 0; i < q_rows; i++, y++) {
        const struct wline *l = &quest.l[i];
        text_format(tmp, sizeof tmp, "%.*s", l->len, l->s);
        grid_text(g, r.x + 1 + l->indent, y, width - l->indent, tmp, l->style);
        if (cursor && cursor >= l->s && cursor < l->s + l->len) { // a gap in the answer line
            int x = r.x + 1 + l->indent + columns(l->s, (int)(cursor - l->s));
            if (x < r.x + r.w - 1)
                grid_put(g, x, y, g->cells[(size_t)y * g->w + x].cp, SF_STYLE_NORMAL);
        }
    }
}
