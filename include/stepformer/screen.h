// The whole screen: the panels where the layout puts them, the status line, the help overlay
// and the "too small" notice, drawn into the cell grid from const state.
#ifndef STEPFORMER_SCREEN_H
#define STEPFORMER_SCREEN_H

#include "stepformer/layout.h"

struct screen_state {
    struct view view;
    int selected;                  // the selected panel (enum panel_id)
    int zoom;                      // the zoomed panel, or -1
    int help;                      // 1: the help overlay is up
    const char *const *help_lines; // the app's key help, one line per action
    int n_help;
};

void screen_draw(struct grid *g, const struct screen_state *s);

#endif
