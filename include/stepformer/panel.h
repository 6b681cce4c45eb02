// Panels: each draws one view of the model's state into a rectangle of the cell grid, reading
// everything through const pointers. Layout decides the rectangles; painting never resizes.
#ifndef STEPFORMER_PANEL_H
#define STEPFORMER_PANEL_H

#include "stepformer/graph.h"
#include "stepformer/grid.h"

struct rect {
    int x, y, w, h;
};

// What the panels show: the graph and the selection.
struct view {
    const struct graph *graph;
    int row; // the selected token position
};

// A title bar on the rectangle's first line (CURRENT style when the panel is selected).
void panel_title(struct grid *g, struct rect r, const char *title, int selected);
// The tokens strip: for each position its piece, id and position; the selected token
// highlighted, the later ones (the future it cannot see) dimmed. Scrolls to keep the
// selection in view. Needs 4 lines.
void panel_tokens(struct grid *g, struct rect r, const struct view *v, int selected);

// The op timeline: the ops around the cursor, one per line, with their output shapes; the
// ops that ran in normal style, the one that ran last highlighted, the ones to come dimmed.
void panel_timeline(struct grid *g, struct rect r, const struct view *v, int selected);

#endif
