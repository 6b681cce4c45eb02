// The screen layout for a terminal size: tokens strip on top, the op timeline on the left,
// the equation and the panel of the current op on the right, related panels beside it on a
// wide screen, and a status line below.
#include "stepformer/layout.h"

#include <string.h>

static const char *const panel_names[PANEL_COUNT] = {
#define SF_X(id, title) title,
    SF_PANEL_LIST(SF_X)
#undef SF_X
};

const char *panel_name(enum panel_id p)
{
    return p >= 0 && p < PANEL_COUNT ? panel_names[p] : "?";
}

enum panel_id layout_focus(const struct node *n)
{
    if (!n)
        return PANEL_TOKENS;
    switch (n->kind) {
    case OPK_EMBED_TOK:
    case OPK_EMBED_POS:
    case OPK_ADD:
    case OPK_CONCAT:
        return PANEL_RESIDUAL;
    case OPK_LN_STATS:
    case OPK_LN_NORM:
    case OPK_LN_AFFINE:
        return PANEL_LAYERNORM;
    case OPK_LINEAR_HEADS:
    case OPK_MIX:
        return PANEL_QKV;
    case OPK_SCORES:
    case OPK_SCALE:
    case OPK_MASK:
        return PANEL_ATTENTION;
    case OPK_SOFTMAX:
        return n->layer >= 0 ? PANEL_ATTENTION : PANEL_NEXT_TOKEN;
    case OPK_LINEAR:
        return strstr(n->name, ".ffn.") ? PANEL_FFN : PANEL_RESIDUAL;
    case OPK_RELU:
    case OPK_GELU:
        return PANEL_FFN;
    case OPK_UNEMBED:
    case OPK_SAMPLE_TEMPERATURE:
    case OPK_SAMPLE_PROBS:
    case OPK_SAMPLE_TRUNCATE:
    case OPK_SAMPLE_RENORM:
    case OPK_SAMPLE_DRAW:
    case OPK_SAMPLE_APPEND:
        return PANEL_NEXT_TOKEN;
    case OPK_XENT:
    case OPK_GRAD:
    case OPK_ADAMW:
        return PANEL_TRAINING;
    case OPK_COUNT:
        break;
    }
    return PANEL_ATTENTION;
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
    case PANEL_LAYERNORM:
    case PANEL_FFN:
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
        int side_w = rw * 2 / 5, main_w = rw - side_w - 1, sx = rx + main_w + 1;
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
