// The whole screen: the panels where the layout puts them, the status line, an overlay (the
// help, the sampling settings) and the "too small" notice, drawn into the cell grid from
// const state.
#ifndef STEPFORMER_SCREEN_H
#define STEPFORMER_SCREEN_H

#include "stepformer/layout.h"

struct screen_state {
    struct view view;
    int selected;       // the selected panel (enum panel_id), drawn with a highlighted title
    int zoom;           // the zoomed panel, or -1
    enum panel_id main; // the panel in the main place
    // An overlay box in the middle of the screen (help, settings), or overlay_title NULL.
    const char *overlay_title;
    const char *const *overlay;
    int n_overlay;
    int overlay_cursor; // the highlighted overlay line, or -1
    // The status line: status replaces the op's line when set (an input line, a message);
    // notice draws it in the notice style. keys: the right-hand hint.
    const char *status;
    int notice;
    const char *keys;
};

void screen_draw(struct grid *g, const struct screen_state *s);
// One panel into a rectangle (what screen_draw does for each panel the layout shows).
void screen_draw_panel(struct grid *g, enum panel_id p, struct rect r, const struct view *v,
                       int selected);

#endif
