// Pictures of the screen: what the app shows, drawn into a grid of its own (for `stepformer
// screenshot` and the screen's S key), with a title naming it.
#include <stdio.h>

#include "app_priv.h"

void app_settle(struct app *a)
{
    for (int i = 0; i < 1000000 && app_busy(a); i++)
        app_tick(a, 50);
}

int app_shot(struct app *a, struct grid *g, int settled, char *title, size_t size)
{
    int rc = grid_init(g, a->width > 0 ? a->width : 80, a->height > 0 ? a->height : 24);
    if (rc)
        return rc;
    struct screen_state s;
    if (settled) { // the logit lens fills a block per frame
        app_screen(a, &s);
        app_settle(a);
    }
    app_screen(a, &s);
    screen_draw(g, &s);
    const struct node *last = graph_last(app_graph(a));
    if (a->lesson) {
        snprintf(title, size, "stepformer: %s, beat %d of %d%s", a->lesson->l.title,
                 a->lesson->beat + 1, a->lesson->l.n_beats,
                 a->lesson->present ? " (presenting)" : "");
        return 0;
    }
    const char *view = a->zoom >= 0    ? panel_name((enum panel_id)a->zoom)
                       : s.present     ? "presenter view"
                       : a->train_view ? "training view"
                                       : "";
    snprintf(title, size, "stepformer: %s%s%s%s, “%s”", last ? last->name : "the start",
             *view ? " (" : "", view, *view ? ")" : "", a->prompt);
    return 0;
}
