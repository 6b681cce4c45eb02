// The screen layout for a terminal size: tokens strip on top, the op timeline on the left,
// the equation and the panel of the current op on the right, related panels beside it on a
// wide screen, and a status line below.
#include "stepformer/layout.h"

#include <string.h>

#define LAYOUT_MAX_LESSON 8

static const char *const panel_names[PANEL_COUNT] = {
#define SF_X(id, title, kw) title,
    SF_PANEL_LIST(SF_X)
#undef SF_X
};

static const char *const panel_keywords[PANEL_COUNT] = {
#define SF_X(id, title, kw) kw,
    SF_PANEL_LIST(SF_X)
#undef SF_X
};

const char *panel_keyword(enum panel_id p)
{
    return p >= 0 && p < PANEL_COUNT ? panel_keywords[p] : "?";
}

const char *panel_name(enum panel_id p)
{
    return p >= 0 && p < PANEL_COUNT ? panel_names[p] : "?";
}

// The panel of each node role: the panel column of the engine's role table.
static const enum panel_id role_panels[ROLE_COUNT] = {
#define SF_X(role, kind, panel, unit, op, symbol, matrix, section, explain) PANEL_##panel,
    SF_NODE_ROLE_LIST(SF_X)
#undef SF_X
};

enum panel_id layout_focus(const struct node *n)
{
    if (!n)
        return PANEL_TOKENS;
    SF_ASSERT(n->role >= 0 && n->role < ROLE_COUNT);
    return role_panels[n->role];
}

// The two panels beside the main one on a wide screen: what relates to it.
static void side_panels(enum panel_id main, enum panel_id side[2])
{
    switch (main) {
    case PANEL_QKV:
        side[0] = PANEL_ATTENTION, side[1] = PANEL_NEXT_TOKEN;
        break;
    case PANEL_RESIDUAL:
    case PANEL_NEXT_TOKEN:
        side[0] = PANEL_LOGIT_LENS,
        side[1] = main == PANEL_RESIDUAL ? PANEL_NEXT_TOKEN : PANEL_RESIDUAL;
        break;
    case PANEL_LOGIT_LENS:
        side[0] = PANEL_NEXT_TOKEN, side[1] = PANEL_RESIDUAL;
        break;
    case PANEL_HEADS:
    case PANEL_MODEL:
    case PANEL_FINDER:
        side[0] = PANEL_ATTENTION, side[1] = main == PANEL_HEADS ? PANEL_FINDER : PANEL_HEADS;
        break;
    case PANEL_LAYERNORM:
    case PANEL_FFN:
    case PANEL_ACTIVATIONS:
    case PANEL_TRAINING:
        side[0] = PANEL_RESIDUAL, side[1] = PANEL_NEXT_TOKEN;
        break;
    default:
        side[0] = PANEL_QKV, side[1] = PANEL_NEXT_TOKEN;
        break;
    }
}

void layout_compute(struct layout *l, int w, int h, int zoom, enum panel_id main)
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
    if (main == PANEL_TOKENS || main == PANEL_TIMELINE || main == PANEL_EQUATION)
        main = PANEL_ATTENTION;
    int body_y = 5, body_h = h - 1 - body_y; // below the tokens strip and a blank line
    int left_w = w >= 120 ? 40 : 28;         // the timeline column
    int rx = left_w + 1, rw = w - rx;
    int eq_h = body_h >= 30 ? 7 : 4;
    int my = body_y + eq_h + 1, mh = body_h - eq_h - 1;
    l->panel[PANEL_TOKENS] = (struct rect){0, 0, w, 4};
    l->panel[PANEL_TIMELINE] = (struct rect){0, body_y, left_w, body_h};
    l->panel[PANEL_EQUATION] = (struct rect){rx, body_y, rw, eq_h};
    l->shown[PANEL_TOKENS] = l->shown[PANEL_TIMELINE] = l->shown[PANEL_EQUATION] = 1;
    if (rw >= 110 && mh >= 20) {
        // The side column takes two fifths, at most 52 columns: on a wide screen the main panel
        // gets the rest (at 200 columns, Q K V's 16 dims in numbers).
        int side_w = rw * 2 / 5 < 52 ? rw * 2 / 5 : 52, main_w = rw - side_w - 1;
        int sx = rx + main_w + 1;
        int top_h = (mh - 1) / 2;
        enum panel_id side[2];
        side_panels(main, side);
        l->panel[side[0]] = (struct rect){sx, my, side_w, top_h};
        l->panel[side[1]] = (struct rect){sx, my + top_h + 1, side_w, mh - top_h - 1};
        l->shown[side[0]] = l->shown[side[1]] = 1;
        l->panel[main] = (struct rect){rx, my, main_w, mh};
    } else {
        l->panel[main] = (struct rect){rx, my, rw, mh};
    }
    l->shown[main] = 1;
}

// The natural height of a panel that does not need more (0: it takes what there is).
static int natural_height(enum panel_id p, int h)
{
    return p == PANEL_TOKENS ? 4 : p == PANEL_EQUATION ? (h >= 40 ? 7 : 4) : 0;
}

// Stacks k panels in r, one under the other with a blank line between, sharing its height.
static void stack(struct layout *l, const int *ids, int k, struct rect r)
{
    int y = r.y;
    for (int i = 0; i < k; i++) {
        int h = i == k - 1 ? r.y + r.h - y : (r.h - (k - 1)) / k;
        l->panel[ids[i]] = (struct rect){r.x, y, r.w, h};
        y += h + 1;
    }
}

// Places panels in the rectangle r: the fixed-height ones stacked on top in their order, the
// others sharing the rest (two side by side when wide, the focus larger with three or more).
static void place(struct layout *l, struct rect r, const int *panels, int n, int focus)
{
    int big[LAYOUT_MAX_LESSON], n_big = 0, y = r.y, bottom = r.y + r.h;
    // Which fixed-height panels fit, leaving 8 rows for the others: the equation (which
    // explains the op) before the tokens strip (the matrices label their rows anyway).
    int fits[PANEL_COUNT] = {0}, used = 0, any_big = 0;
    for (int i = 0; i < n; i++)
        any_big |= !natural_height((enum panel_id)panels[i], r.h);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            enum panel_id p = (enum panel_id)panels[i];
            int nh = natural_height(p, r.h);
            if (nh && (p == PANEL_EQUATION) == (pass == 0) &&
                used + nh + 1 + (any_big ? 8 : 0) <= r.h)
                fits[p] = 1, used += nh + 1;
        }
    for (int i = 0; i < n; i++) {
        enum panel_id p = (enum panel_id)panels[i];
        int nh = natural_height(p, r.h);
        if (nh && fits[p]) {
            l->panel[p] = (struct rect){r.x, y, r.w, nh};
            l->shown[p] = 1;
            y += nh + 1;
        } else if (!nh && n_big < LAYOUT_MAX_LESSON) {
            big[n_big++] = p;
        }
    }
    if (!n_big)
        return;
    // The focus first.
    for (int i = 1; i < n_big; i++)
        if (big[i] == focus) {
            int t = big[0];
            big[0] = big[i];
            big[i] = t;
        }
    struct rect a = {r.x, y, r.w, bottom - y};
    if (a.h < 6)
        return;
    if (n_big == 1) {
        l->panel[big[0]] = a;
    } else if (n_big == 2 && a.w >= 100) {
        int w0 = (a.w - 1) / 2;
        l->panel[big[0]] = (struct rect){a.x, a.y, w0, a.h};
        l->panel[big[1]] = (struct rect){a.x + w0 + 1, a.y, a.w - w0 - 1, a.h};
    } else if (n_big == 2 || a.w < 100) { // the focus on top, the others below it
        int shown = n_big < (a.h >= 24 ? 3 : 2) ? n_big : (a.h >= 24 ? 3 : 2);
        int h0 = (a.h - (shown - 1)) * (shown == 2 ? 3 : 2) / (shown == 2 ? 5 : 4);
        l->panel[big[0]] = (struct rect){a.x, a.y, a.w, h0};
        stack(l, big + 1, shown - 1, (struct rect){a.x, a.y + h0 + 1, a.w, a.h - h0 - 1});
        n_big = shown;
    } else { // the focus on the left, up to three others in a column beside it
        int w0 = a.w * 3 / 5, side = n_big - 1 > 3 ? 3 : n_big - 1;
        l->panel[big[0]] = (struct rect){a.x, a.y, w0, a.h};
        stack(l, big + 1, side, (struct rect){a.x + w0 + 1, a.y, a.w - w0 - 1, a.h});
        n_big = side + 1;
    }
    for (int i = 0; i < n_big; i++)
        l->shown[big[i]] = l->panel[big[i]].h >= 3;
}

void layout_lesson(struct layout *l, struct rect *narration, int w, int h, const int *panels,
                   int n_panels, int focus, int zoom, int present, int caption_h)
{
    memset(l, 0, sizeof *l);
    *narration = (struct rect){0, 0, 0, 0};
    if (w < SF_MIN_W || h < SF_MIN_H) {
        l->too_small = 1;
        return;
    }
    l->status = (struct rect){0, h - 1, w, 1};
    int list[LAYOUT_MAX_LESSON], n = 0;
    if (zoom >= 0 && zoom < PANEL_COUNT)
        list[n++] = zoom;
    else
        for (int i = 0; i < n_panels && n < LAYOUT_MAX_LESSON; i++)
            if (panels[i] >= 0 && panels[i] < PANEL_COUNT)
                list[n++] = panels[i];
    struct rect area;
    if (present) {
        // A caption below; the tokens strip, then the focus panel and one more beside it
        // when there is room.
        int cap_h = caption_h < 8 ? 8 : caption_h > h / 2 ? h / 2 : caption_h;
        *narration = (struct rect){0, h - 1 - cap_h, w, cap_h};
        area = (struct rect){0, 0, w, h - 2 - cap_h};
        // The tokens strip and the equation (when listed), the focus panel (else the first
        // other one listed) and, on a wide screen, one more.
        int keep[4], k = 0, main = -1, second = -1;
        for (int i = 0; i < n; i++)
            if (list[i] == PANEL_TOKENS || list[i] == PANEL_EQUATION)
                keep[k++] = list[i];
        for (int i = 0; i < n; i++)
            if (list[i] == focus && focus != PANEL_TOKENS && focus != PANEL_EQUATION)
                main = focus;
        for (int i = 0; i < n; i++) {
            if (list[i] == PANEL_TOKENS || list[i] == PANEL_EQUATION || list[i] == main)
                continue;
            if (main < 0)
                main = list[i];
            else if (second < 0)
                second = list[i];
        }
        if (main >= 0 && k < 4)
            keep[k++] = main;
        if (second >= 0 && w >= 140 && k < 4)
            keep[k++] = second;
        place(l, area, keep, k, focus);
        return;
    }
    if (w >= 110) {
        int nw = w * 9 / 25;
        nw = nw < 38 ? 38 : nw > 64 ? 64 : nw;
        *narration = (struct rect){w - nw, 0, nw, h - 1};
        area = (struct rect){0, 0, w - nw - 1, h - 1};
    } else {
        // A third of the screen, more when the question block needs it (the panels keep
        // at least four rows): a question's choices and feedback always show in full.
        int nh = h / 3 < 8 ? 8 : h / 3, most = h - 2 - 4;
        if (caption_h > nh)
            nh = caption_h < most ? caption_h : most;
        *narration = (struct rect){0, h - 1 - nh, w, nh};
        area = (struct rect){0, 0, w, h - 2 - nh};
    }
    place(l, area, list, n, focus);
}

void layout_present(struct layout *l, int w, int h, int zoom, enum panel_id main, int caption_h)
{
    if (zoom >= 0 && zoom < PANEL_COUNT) {
        layout_compute(l, w, h, zoom, main);
        return;
    }
    memset(l, 0, sizeof *l);
    if (w < SF_MIN_W || h < SF_MIN_H) {
        l->too_small = 1;
        return;
    }
    l->status = (struct rect){0, h - 1, w, 1};
    if (main == PANEL_TOKENS || main == PANEL_TIMELINE || main == PANEL_EQUATION)
        main = PANEL_ATTENTION; // as layout_compute puts there
    // The caption just above the status line (its title line sets it apart), the tokens strip
    // and the big panel above it (place: the strip at its natural height, the panel the rest).
    int cap_h = caption_h > h / 5 ? h / 5 : caption_h < 4 ? 4 : caption_h;
    l->panel[PANEL_EQUATION] = (struct rect){0, h - 1 - cap_h, w, cap_h};
    l->shown[PANEL_EQUATION] = 1;
    const int panels[2] = {PANEL_TOKENS, main};
    place(l, (struct rect){0, 0, w, h - 1 - cap_h}, panels, 2, main);
}

void layout_learn(struct layout *l, struct rect *curve, int w, int h)
{
    memset(l, 0, sizeof *l);
    *curve = (struct rect){0, 0, 0, 0};
    if (w < SF_MIN_W || h < SF_MIN_H) {
        l->too_small = 1;
        return;
    }
    l->status = (struct rect){0, h - 1, w, 1};
    int ch = (h - 1) * 2 / 5 < 10 ? 10 : (h - 1) * 2 / 5, bh = h - 1 - ch;
    *curve = (struct rect){0, 0, w, ch};
    l->panel[PANEL_ATTENTION] = (struct rect){0, ch, w / 2, bh};
    l->panel[PANEL_NEXT_TOKEN] = (struct rect){w / 2, ch, w - w / 2, bh};
    l->shown[PANEL_ATTENTION] = l->shown[PANEL_NEXT_TOKEN] = 1;
}
