// The whole screen: the panels where the layout puts them, the status line, an overlay (the
// help, the sampling settings) and the "too small" notice, laid out once and drawn into the
// cell grid from const state.
#ifndef STEPFORMER_SCREEN_H
#define STEPFORMER_SCREEN_H

#include "stepformer/layout.h"

// Lesson mode: the narration pane (or, presenting, the caption) and the panels a beat asks for.
struct lesson_screen {
    const char *title;    // the lesson's title
    const char *where;    // "beat 3 of 17"
    const char *text;     // the narration: paragraphs separated by "\n\n", lines by "\n"
    const char *question; // the beat's question, or NULL
    const char *const *choices;
    int n_choices;
    int correct;          // the choice shown as correct (answered or revealed), or -1
    int picked;           // the choice picked last, or -1
    const char *input;    // the typed answer so far, or NULL
    int input_cursor;     // the text cursor: a character of input (its last: "_"), or -1
    const char *feedback; // right / not quite / the hint / the explanation, or NULL
    int feedback_error;
    const int *panels; // enum panel_id, in the order the beat lists them
    int n_panels;
    int focus;      // the panel given the most room, or -1 for the first big one
    int present;    // presenter mode: large panels and the narration as a caption
    int narr_first; // the first narration line shown (scrolled); clamped when drawn
};

// A list under its own heading in an overlay box, after the box's own lines.
struct overlay_section {
    const char *title;
    const char *const *lines;
    int n;
};

struct learn_screen; // the learn view (panel_loss_curve.h)

struct screen_state {
    struct view view;
    int selected;       // the selected panel (enum panel_id), drawn with a highlighted title
    int zoom;           // the zoomed panel, or -1
    enum panel_id main; // the panel in the main place
    // An overlay box in the middle of the screen (help, settings), or overlay_title NULL: its
    // lines, then the sections (the help's other key tables).
    const char *overlay_title;
    const char *const *overlay;
    int n_overlay;
    int overlay_cursor;     // the highlighted overlay line, or -1
    int overlay_cursor_col; // the text cursor in that line (a value being typed): a column, or -1
    const struct overlay_section *overlay_more;
    int n_overlay_more;
    int overlay_first; // a box without a cursor line: its first row shown (a page further down)
    // The status line: status replaces the op's line when set (an input line, a message);
    // notice draws it in the notice style. keys: the right-hand hint.
    const char *status;
    int status_cursor; // the text cursor of an input line: a column of status, or -1
    int notice;
    const char *keys;
    const struct lesson_screen *lesson; // lesson mode, or NULL
    int present; // the presenter view: one large panel, the equation as a caption (no lesson)
    // Where everything goes (screen_layout, for the grid's size): drawing and clicks read it.
    struct layout layout;
    struct rect narration; // lesson mode: the narration pane (the caption when presenting)
    // The learn view instead of the panels, or NULL; its loss curve goes in curve.
    const struct learn_screen *learn;
    struct rect curve;
};

// Chooses the layout of s for a w x h screen from its zoom, main panel and lesson panels (the
// one place the layout is chosen); s->layout and s->narration get it.
void screen_layout(struct screen_state *s, int w, int h);
// The most rows an overlay holds once wrapped (what is beyond is left out).
#define SF_OVERLAY_ROWS 256
// The overlay of s on a w x h screen: the largest overlay_first that still fills a page (0
// when it fits), and in *page the rows a page shows.
int screen_overlay_last_first(const struct screen_state *s, int w, int h, int *page);
// Draws s into g, whose size is the one s was laid out for; g is the only thing written.
void screen_draw(struct grid *g, const struct screen_state *s);
// The narration pane of lesson mode (the caption when presenting).
void panel_narration(struct grid *g, struct rect r, const struct lesson_screen *ls);
// The rows the narration needs at width w (its title line included).
int panel_narration_height(const struct lesson_screen *ls, int w);
// The fewest rows of a pane w wide that show the question block in full and a window of the
// narration (three lines, or all of it when shorter).
int panel_narration_need(const struct lesson_screen *ls, int w);
// The largest narr_first worth scrolling to in pane r (0: the narration fits), and in *page
// the narration rows the pane shows at once (at least 1).
int panel_narration_last_first(const struct lesson_screen *ls, struct rect r, int *page);
// How panel_narration lays ls out in pane r, its window at the top (narr_first 0).
struct narration_fit {
    int narr_lines;  // the narration's lines at the pane's width
    int narr_shown;  // how many of them show at once (narr_lines: it needs no scrolling)
    int quest_lines; // the question block's lines: the question, choices, answer line, feedback
    int rows;        // the pane's rows below its title; a question block taller than that
                     // joins the narration and scrolls with it
    int lost;        // lines the pane can never show (past the most it lays out)
};
void panel_narration_fit(const struct lesson_screen *ls, struct rect r, struct narration_fit *f);
// One panel into a rectangle (what screen_draw does for each panel the layout shows).
void screen_draw_panel(struct grid *g, enum panel_id p, struct rect r, const struct view *v,
                       int selected);

#endif
