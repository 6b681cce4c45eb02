// The tokens strip: the input as the model reads it, one column per position.
#include "stepformer/panel.h"

#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"

// The width of a column: the widest of its piece, id and position (at most 16).
static int column_width(const char *piece, int id, int pos)
{
    char num[16];
    int w = (int)strlen(piece); // pieces are shown byte-escaped or UTF-8; close enough
    int n = text_format(num, sizeof num, "%d", id);
    w = n > w ? n : w;
    n = text_format(num, sizeof num, "%d", pos);
    w = n > w ? n : w;
    return w > 16 ? 16 : w;
}

#define LEFT 6 // the row labels

// The first position shown: scroll right until the selected column fits.
static int first_shown(struct rect r, const struct view *v)
{
    const struct graph *gr = v->graph;
    const struct tokenizer *tok = &gr->model->tok;
    char piece[64];
    int room = r.w - LEFT, first = 0, span = 0;
    for (int i = 0; i <= v->row && i < gr->n_tokens; i++) {
        tokenizer_piece_str(tok, gr->ids[i], piece, sizeof piece);
        span += column_width(piece, gr->ids[i], i) + 1;
        while (span > room && first < i) {
            tokenizer_piece_str(tok, gr->ids[first], piece, sizeof piece);
            span -= column_width(piece, gr->ids[first], first) + 1;
            first++;
        }
    }
    return first;
}

int panel_tokens_hit(struct rect r, const struct view *v, int x)
{
    const struct graph *gr = v->graph;
    char piece[64];
    int cx = r.x + LEFT;
    for (int i = first_shown(r, v); i < gr->n_tokens && cx < r.x + r.w; i++) {
        tokenizer_piece_str(&gr->model->tok, gr->ids[i], piece, sizeof piece);
        int w = column_width(piece, gr->ids[i], i);
        if (x >= cx && x < cx + w + 1)
            return i;
        cx += w + 1;
    }
    return -1;
}

int panel_intervention_badge(const struct graph *g, char *buf, size_t size)
{
    const struct model_config *c = &g->model->cfg;
    int H = c->n_head, heads = 0, layers = 0;
    size_t o = 0;
    buf[0] = 0;
    for (int l = 0; g->iv.head_off && l < c->n_layer; l++) {
        const unsigned char *row = g->iv.head_off + (size_t)l * H;
        int off = 0;
        for (int h = 0; h < H; h++)
            off += row[h] != 0;
        heads += off, layers += off > 0;
        if (!off || o >= size)
            continue;
        if (off == H && H > 1) {
            o += (size_t)text_format(buf + o, size - o, "%sL%d all heads off", o ? ", " : "", l);
            continue;
        }
        for (int h = 0; h < H && o < size; h++)
            if (row[h])
                o += (size_t)text_format(buf + o, size - o, "%sL%d h%d off", o ? ", " : "", l, h);
    }
    const char *pos = g->iv.no_positions ? (heads ? ", no positions" : "no positions") : "";
    if (o < size)
        o += (size_t)text_format(buf + o, size - o, "%s", pos);
    const char *s = heads == 1 ? "" : "s";
    if (o >= size) // too many to list: how many
        o = (size_t)text_format(buf, size, "%d head%s off in %d layer%s%s", heads, s, layers,
                                layers == 1 ? "" : "s", pos);
    if (o >= size)
        o = (size_t)text_format(buf, size, "%d head%s off%s", heads, s, pos);
    if (o >= size)
        o = (size_t)text_format(buf, size, "%d off%s", heads,
                                g->iv.no_positions ? ", no pos." : "");
    return o < size ? (int)o : (int)strlen(buf);
}

void panel_tokens(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct tokenizer *tok = &gr->model->tok;
    char title[64], piece[64], num[16], badge[64];
    text_format(title, sizeof title, "Tokens  N = %d", gr->n_tokens);
    panel_title(g, r, title, selected);
    // An intervention in force, at the right end of the title: the pass is not the model's own.
    int room = r.w - (int)strlen(title) - 4; // heads that do not fit are counted
    int bw = room > 12 ? panel_intervention_badge(
                             gr, badge, (size_t)room < sizeof badge ? (size_t)room : sizeof badge)
                       : 0;
    // A pinned distribution is state in force too (b unpins it).
    int pinned = v->next && v->next->pinned && room > 12 + (bw ? bw + 2 : 0);
    if (bw || pinned) {
        char shown[96];
        bw = text_format(shown, sizeof shown, " %s%s%s ", bw ? badge : "", bw && pinned ? ", " : "",
                         pinned ? "pinned (b)" : "");
        grid_text(g, r.x + r.w - bw, r.y, bw, shown, SF_STYLE_NOTICE);
    }
    if (r.h < 4)
        return;
    grid_text(g, r.x, r.y + 1, LEFT, "token", SF_STYLE_DIM);
    grid_text(g, r.x, r.y + 2, LEFT, "id", SF_STYLE_DIM);
    grid_text(g, r.x, r.y + 3, LEFT, "pos", SF_STYLE_DIM);
    int first = first_shown(r, v);
    int x = r.x + LEFT;
    for (int i = first; i < gr->n_tokens && x < r.x + r.w; i++) {
        tokenizer_piece_str(tok, gr->ids[i], piece, sizeof piece);
        int w = column_width(piece, gr->ids[i], i);
        enum sf_style s = i == v->row  ? SF_STYLE_CURRENT
                          : i > v->row ? SF_STYLE_DIM
                                       : SF_STYLE_NORMAL;
        int fit = r.x + r.w - x;
        grid_text(g, x, r.y + 1, w < fit ? w : fit, piece, s);
        text_format(num, sizeof num, "%d", gr->ids[i]);
        grid_text(g, x, r.y + 2, w < fit ? w : fit, num,
                  s == SF_STYLE_CURRENT ? s : SF_STYLE_NUMBER);
        text_format(num, sizeof num, "%d", i);
        grid_text(g, x, r.y + 3, w < fit ? w : fit, num, s == SF_STYLE_CURRENT ? s : SF_STYLE_DIM);
        x += w + 1;
    }
}
