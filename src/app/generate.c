// Generation on the screen: the next token through the sample.* nodes of the pass (appended to
// the prompt, and the new pass runs), or one step of a beam search.
#include <stdlib.h>
#include <string.h>

#include "app_priv.h"

// One beam-search step: every beam grows by a token; the best beam becomes the input on
// screen (the beams stay for the next step).
static int beam_generate(struct app *a)
{
    struct sf_diag d;
    char msg[SF_MSG_MAX];
    sf_diag_clear(&d);
    if (!a->beams_active) {
        if (beam_init(&a->beams, &a->model, a->impl, a->beam, a->fwd.ids, a->fwd.n_tokens,
                      a->model.cfg.n_ctx)) {
            app_say(a, 1, "out of memory for %d beams", a->beam);
            return APP_REDRAW;
        }
        a->beams_active = 1;
    }
    if (beam_step(&a->beams, &d)) {
        app_say(a, 1, "beam search: %s", sf_diag_format(&d, msg, sizeof msg));
        return APP_REDRAW;
    }
    const struct beam *best = &a->beams.beams[0];
    if (app_build_forward(a, best->ids, best->n, NULL, &d) == 0) {
        app_say(a, 0, "beam search: %d beams, the best (log p %.3f) is on screen", a->beams.live,
                best->logp);
        app_move_to(a, graph_find(&a->fwd, "head.probs"));
    } else {
        app_say(a, 1, "beam search: %s", sf_diag_format(&d, msg, sizeof msg));
    }
    return APP_REDRAW;
}

// With beam > 1 one beam-search step; else the pass runs through the sample.* nodes and the
// drawn token is appended when the move ends (at once when it has run already).
int app_generate(struct app *a)
{
    app_train_leave(a);
    if (a->beam > 1)
        return beam_generate(a);
    if (a->fwd.cursor >= a->fwd.n_nodes) {
        app_append_drawn(a);
        return APP_REDRAW;
    }
    a->generate_pending = 1;
    return app_move_to(a, a->fwd.n_nodes - 1);
}
