// The learn view: the loss curve of a run learning from scratch, and the layout that puts it
// above the attention and next-token panels of the probe sentence.
#include "stepformer/panel_loss_curve.h"

#include "stepformer/learn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

#define AXIS_W  5 // the loss labels left of the plot ("5.5 " and the axis)
#define TOP_MAX 2 // lines of numbers above the plot

// The numbers now, as one line for panel_wrap.
static void curve_numbers(char *buf, size_t size, const struct learn_screen *ls)
{
    const struct learn_eval *e = ls->n_evals ? &ls->evals[ls->n_evals - 1] : NULL;
    char loss[32] = "", held[64] = "", agree[80] = "";
    if (ls->n > 0)
        text_format(loss, sizeof loss, "   loss %.3f", (double)ls->loss[ls->n - 1]);
    if (e)
        text_format(held, sizeof held, "   held-out %.3f (at %d)", (double)e->heldout, e->step);
    if (e && e->total)
        text_format(agree, sizeof agree, "   agreement %.1f%% of %d held-out items",
                    100.0 * e->right / e->total, e->total);
    text_format(buf, size, "step %d of %d%s%s%s", ls->n, ls->steps, loss, held, agree);
}

// The largest loss to plot, rounded up to a half.
static float curve_ymax(const struct learn_screen *ls)
{
    float top = 1.0f;
    for (int k = 0; k < ls->n; k++)
        top = isfinite(ls->loss[k]) && ls->loss[k] > top ? ls->loss[k] : top;
    for (int i = 0; i < ls->n_evals; i++)
        top = isfinite(ls->evals[i].heldout) && ls->evals[i].heldout > top ? ls->evals[i].heldout
                                                                           : top;
    return ceilf(top * 2.0f) / 2.0f;
}

void panel_loss_curve_fit(struct rect r, const struct learn_screen *ls, struct loss_curve_fit *f)
{
    char line[256];
    curve_numbers(line, sizeof line, ls);
    int top = panel_wrap(NULL, 0, 0, r.w - 2, TOP_MAX, line, SF_STYLE_NORMAL);
    f->x0 = r.x + AXIS_W;
    f->y0 = r.y + 1 + top;
    f->rows = r.h - 1 - top - 2; // the step axis and its labels below
    f->cols = r.w - AXIS_W - 1;
    if (f->cols > ls->steps)
        f->cols = ls->steps;
    if (f->rows < 2 || f->cols < 8)
        f->rows = f->cols = 0;
    f->ymax = curve_ymax(ls);
}

void panel_loss_curve_bucket(const struct loss_curve_fit *f, const struct learn_screen *ls, int c,
                             int *k0, int *k1)
{
    *k0 = (int)((long long)c * ls->steps / f->cols);
    *k1 = (int)((long long)(c + 1) * ls->steps / f->cols);
    if (*k1 > ls->n)
        *k1 = ls->n;
}

// The height of value v in eighths of a cell, 0 .. rows * 8.
static int curve_eighths(const struct loss_curve_fit *f, double v)
{
    double e = v / f->ymax * f->rows * 8;
    return e < 0 ? 0 : e > f->rows * 8 ? f->rows * 8 : (int)lround(e);
}

// The loss axis on the left, the step axis below, and what the marks are.
static void curve_axes(struct grid *g, struct rect r, const struct loss_curve_fit *f,
                       const struct learn_screen *ls)
{
    char buf[32];
    for (int y = 0; y < f->rows; y++)
        grid_put(g, f->x0 - 1, f->y0 + y, 0x2502, SF_STYLE_BORDER); // │
    const double marks[3] = {f->ymax, f->ymax / 2, 0};
    const int at[3] = {0, f->rows / 2, f->rows - 1};
    for (int i = 0; i < 3; i++) {
        if (marks[i] == 0)
            text_format(buf, sizeof buf, "0");
        else
            panel_fit_number(buf, sizeof buf, marks[i], AXIS_W - 2, 1);
        grid_text(g, f->x0 - 1 - (int)strlen(buf), f->y0 + at[i], AXIS_W - 1, buf, SF_STYLE_DIM);
    }
    grid_text(g, r.x, f->y0 + f->rows, AXIS_W - 1, "loss", SF_STYLE_DIM);
    for (int c = -1; c < f->cols; c++)
        grid_put(g, f->x0 + c, f->y0 + f->rows, 0x2500, SF_STYLE_BORDER); // ─
    int y = f->y0 + f->rows + 1;
    grid_text(g, f->x0, y, 1, "0", SF_STYLE_DIM);
    int w = text_format(buf, sizeof buf, "%d", ls->steps);
    grid_text(g, f->x0 + f->cols - w, y, w, buf, SF_STYLE_DIM);
    int mid_w = text_format(buf, sizeof buf, "%d", ls->steps / 2);
    int mid_x = f->x0 + f->cols / 2 - mid_w / 2;
    if (mid_x > f->x0 + 2 && mid_x + mid_w < f->x0 + f->cols - w - 1)
        grid_text(g, mid_x, y, mid_w, buf, SF_STYLE_DIM);
    grid_text(g, f->x0 + 3, y, 4, "step", SF_STYLE_DIM);
}

void panel_loss_curve(struct grid *g, struct rect r, const struct learn_screen *ls, int selected)
{
    char line[256];
    panel_title(g, r, "loss curve from random weights: █ training loss per step, × held-out loss",
                selected);
    curve_numbers(line, sizeof line, ls);
    panel_wrap(g, r.x + 1, r.y + 1, r.w - 2, TOP_MAX, line, SF_STYLE_NORMAL);
    struct loss_curve_fit f;
    panel_loss_curve_fit(r, ls, &f);
    if (!f.cols) {
        panel_label(g, r.x + 1, r.y + r.h - 1, r.w - 2,
                    "no room for the curve: a larger window shows it", SF_STYLE_DIM);
        return;
    }
    curve_axes(g, r, &f, ls);
    for (int c = 0; c < f.cols; c++) {
        int k0, k1;
        panel_loss_curve_bucket(&f, ls, c, &k0, &k1);
        if (k1 <= k0)
            continue;
        double sum = 0;
        for (int k = k0; k < k1; k++)
            sum += ls->loss[k];
        int e = curve_eighths(&f, sum / (k1 - k0));
        for (int y = 0; y < f.rows && e > 0; y++, e -= 8) // bottom up: full, then the rest
            grid_put(g, f.x0 + c, f.y0 + f.rows - 1 - y, e >= 8 ? 0x2588 : 0x2580 + (uint32_t)e,
                     SF_STYLE_NUMBER);
    }
    for (int i = 0; i < ls->n_evals; i++) {
        const struct learn_eval *ev = &ls->evals[i];
        int c = ev->step > 0 ? (int)((long long)(ev->step - 1) * f.cols / ls->steps) : 0;
        int row = (curve_eighths(&f, ev->heldout) + 7) / 8; // the cell the value ends in
        row = row < 1 ? 1 : row;
        grid_put(g, f.x0 + c, f.y0 + f.rows - row, 0xd7, SF_STYLE_NOTICE); // ×
    }
}
