// The learn view's loss curve: a run learning from scratch, drawn from const state (the screen
// lays it out beside the attention and next-token panels: layout_learn, screen_draw).
#ifndef STEPFORMER_PANEL_LOSS_CURVE_H
#define STEPFORMER_PANEL_LOSS_CURVE_H

#include "stepformer/screen.h"

struct learn_eval; // learn.h: a held-out evaluation of the run

struct learn_screen {
    const float *loss;              // (n) the training loss of steps 1 .. n
    int n;                          // steps done
    int steps;                      // the run's steps (the x axis)
    const struct learn_eval *evals; // held-out loss and agreement, in step order
    int n_evals;
    int probe_step; // the step the attention and next-token panels were computed at
    int auto_head;  // 1: the head shown is the one chosen by its attention (not by the user)
    const char *probe_from, *probe_to; // that choice: from this token onto that one
};

// Where the loss curve's plot goes in panel r and how it maps steps and losses to cells: the
// plot's columns x0 .. x0 + cols - 1 and rows y0 .. y0 + rows - 1 (bottom row last), each
// column the mean loss of a bucket of steps, the height of a full column ymax. cols 0: no room.
struct loss_curve_fit {
    int x0, y0, cols, rows;
    float ymax;
};
void panel_loss_curve_fit(struct rect r, const struct learn_screen *ls, struct loss_curve_fit *f);
// The steps of column c: loss[k0 .. k1 - 1].
void panel_loss_curve_bucket(const struct loss_curve_fit *f, const struct learn_screen *ls, int c,
                             int *k0, int *k1);
// The curve: the training loss per step as columns of eighth blocks (the mean of each column's
// steps), the held-out loss as × marks, axes labelled with losses and steps, and the numbers
// now (step, loss, held-out loss, agreement accuracy) above it.
void panel_loss_curve(struct grid *g, struct rect r, const struct learn_screen *ls, int selected);

#endif
