// The screen layout for a terminal size: tokens strip on top, the op timeline on the left,
// the attention matrix and the next-token distribution on the right, a status line below.
#include "stepformer/layout.h"

#include <string.h>

void layout_compute(struct layout *l, int w, int h, int zoom)
{
    memset(l, 0, sizeof *l);
    if (w < SF_MIN_W || h < SF_MIN_H) {
        l->too_small = 1;
        return;
    }
    l->status = (struct rect){0, h - 1, w, 1};
    if (zoom >= 0 && zoom < PANEL_COUNT) {
        l->panel[zoom] = (struct rect){0, 0, w, h - 1};
        l->shown[zoom] = 1;
        return;
    }
    int body_y = 5, body_h = h - 1 - body_y; // below the tokens strip and a blank line
    int left_w = w >= 120 ? 40 : 30;         // the timeline column
    int right_w = w - left_w - 1;
    int next_h = body_h >= 30 ? 12 : 7; // the distribution under the matrix
    l->panel[PANEL_TOKENS] = (struct rect){0, 0, w, 4};
    l->panel[PANEL_TIMELINE] = (struct rect){0, body_y, left_w, body_h};
    l->panel[PANEL_ATTENTION] = (struct rect){left_w + 1, body_y, right_w, body_h - next_h - 1};
    l->panel[PANEL_NEXT_TOKEN] =
        (struct rect){left_w + 1, body_y + body_h - next_h, right_w, next_h};
    for (int p = 0; p < PANEL_COUNT; p++)
        l->shown[p] = 1;
}
