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
    int row;     // the selected token position
    int layer;   // the selected block
    int head;    // the selected head
    int numbers; // 1: matrices as numbers; 0: as colours
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

// The attention matrix of the selected layer and head at one stage: "scores" (q_i . k_j),
// "scale" (/ sqrt(d_k)), "mask" (the literal -inf above the diagonal) or "softmax" (alpha).
// Rows are queries, columns keys, both labelled with their tokens; the selected row is
// highlighted. As numbers, or as colour cells (masked entries blank). A stage that has not
// run yet says so.
void panel_attention(struct grid *g, struct rect r, const struct view *v, const char *stage,
                     int selected);

// The next-token distribution at the selected position: the most probable tokens with
// their probability as a number and a bar, and the cumulative mass down the list.
void panel_next_token(struct grid *g, struct rect r, const struct view *v, int selected);

#endif
