// The op timeline: where the cursor is in the whole pass.
#include "stepformer/panel.h"

#include <stdio.h>

#include "stepformer/text.h"

void panel_timeline(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char title[64], line[128], shape[48];
    text_format(title, sizeof title, "Ops  %d / %d", gr->cursor, gr->n_nodes);
    panel_title(g, r, title, selected);
    int rows = r.h - 1;
    if (rows < 1)
        return;
    // The op that ran last sits a third of the way down, so more of what comes is visible.
    int last = gr->cursor - 1, first = last - rows / 3;
    if (first > gr->n_nodes - rows)
        first = gr->n_nodes - rows;
    if (first < 0)
        first = 0;
    for (int k = 0; k < rows && first + k < gr->n_nodes; k++) {
        int i = first + k;
        const struct node *n = &gr->nodes[i];
        enum sf_style s = i == last ? SF_STYLE_CURRENT : i < last ? SF_STYLE_NORMAL : SF_STYLE_DIM;
        // A narrow column drops the spaces from the shape: (4,9,16).
        tensor_shape_str(&n->out, shape, sizeof shape);
        if (r.w < 36) {
            char *o = shape;
            for (const char *c = shape; *c; c++)
                if (*c != ' ')
                    *o++ = *c;
            *o = 0;
        }
        text_format(line, sizeof line, "%s %-*s %s", i == last ? ">" : " ", r.w < 36 ? 17 : 20,
                    n->name, shape);
        grid_text(g, r.x, r.y + 1 + k, r.w, line, s);
    }
}
