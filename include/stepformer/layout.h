// The screen layout: which panel goes where for a terminal size, computed before anything is
// drawn (so drawing never has to clamp), including the "too small" and zoomed states.
#ifndef STEPFORMER_LAYOUT_H
#define STEPFORMER_LAYOUT_H

#include "stepformer/panel.h"

#define SF_MIN_W 80
#define SF_MIN_H 24

// X(id, title, keyword): the keyword names the panel in lesson scripts.
#define SF_PANEL_LIST(X)                                                                           \
    X(TOKENS, "tokens", "tokens")                                                                  \
    X(TIMELINE, "timeline", "timeline")                                                            \
    X(EQUATION, "equation", "equation")                                                            \
    X(QKV, "Q K V", "qkv")                                                                         \
    X(ATTENTION, "attention", "attention")                                                         \
    X(LAYERNORM, "LayerNorm", "layernorm")                                                         \
    X(RESIDUAL, "residual stream", "residual")                                                     \
    X(FFN, "feedforward", "ffn")                                                                   \
    X(NEXT_TOKEN, "next token", "next-token")                                                      \
    X(LOGIT_LENS, "logit lens", "logit-lens")                                                      \
    X(TRAINING, "training", "training")                                                            \
    X(ACTIVATIONS, "activations", "activations")                                                   \
    X(HEADS, "head view", "heads")                                                                 \
    X(MODEL, "model view", "model")                                                                \
    X(FINDER, "head finder", "finder")                                                             \
    X(WORKED, "worked example", "worked")

enum panel_id {
#define SF_X(id, title, kw) PANEL_##id,
    SF_PANEL_LIST(SF_X)
#undef SF_X
        PANEL_COUNT
};

const char *panel_name(enum panel_id p);

struct layout {
    int too_small;      // 1: below 80 x 24; only a notice is drawn
    struct rect status; // the bottom line: keys and messages
    struct rect panel[PANEL_COUNT];
    int shown[PANEL_COUNT]; // 0: no room (or another panel is zoomed)
};

// The panel that shows what node n computed (n NULL: nothing has run yet).
enum panel_id layout_focus(const struct node *n);

// The tokens strip on top, the op timeline on the left, the equation above the main panel,
// and from about 150 columns a side column with two related panels. main: the panel for the
// main place (a fixed panel such as the timeline means the attention matrix there); zoom: a
// panel to give the whole screen (above the status line), or -1.
void layout_compute(struct layout *l, int w, int h, int zoom, enum panel_id main);

// Lesson mode: the narration pane beside the panels the beat lists (below them on a narrow
// screen); presenting, at most two large panels with the narration as a caption below. The
// tokens strip and the equation keep their natural height; the other panels share the rest,
// the focus panel getting the most room. zoom: one panel instead of the list, or -1.
// caption_h: the rows the caption needs when presenting (it gets 8 to half the screen); else
// the rows the narration pane needs below the panels (it gets a third of the screen or more).
void layout_lesson(struct layout *l, struct rect *narration, int w, int h, const int *panels,
                   int n_panels, int focus, int zoom, int present, int caption_h);

// The presenter view of the step-through screen: no op list, the tokens strip on top, one large
// panel for main (a fixed panel such as the timeline means the attention matrix there) taking
// all the room left, and the equation below it as a caption of caption_h rows (it gets 4 to a
// fifth of the screen). zoom: a panel to give the whole screen instead, or -1.
void layout_present(struct layout *l, int w, int h, int zoom, enum panel_id main, int caption_h);
// The learn view on a w x h screen: the loss curve on top (into *curve), the attention panel
// (the view's layer and head on the probe sentence) and the next-token panel below it, the
// status line.
void layout_learn(struct layout *l, struct rect *curve, int w, int h);

// The panels' keywords for lesson scripts ("tokens", "qkv", "next-token"), by panel number.
const char *panel_keyword(enum panel_id p);

#endif
