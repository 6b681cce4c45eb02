// The screen layout: which panel goes where for a terminal size, computed before anything is
// drawn (so drawing never has to clamp), including the "too small" and zoomed states.
#ifndef STEPFORMER_LAYOUT_H
#define STEPFORMER_LAYOUT_H

#include "stepformer/panel.h"

#define SF_MIN_W 80
#define SF_MIN_H 24

enum panel_id { PANEL_TOKENS, PANEL_TIMELINE, PANEL_ATTENTION, PANEL_NEXT_TOKEN, PANEL_COUNT };

struct layout {
    int too_small;      // 1: below 80 x 24; only a notice is drawn
    struct rect status; // the bottom line: keys and messages
    struct rect panel[PANEL_COUNT];
    int shown[PANEL_COUNT]; // 0: no room (or another panel is zoomed)
};

// zoom: a panel to give the whole screen (above the status line), or -1.
void layout_compute(struct layout *l, int w, int h, int zoom);

#endif
