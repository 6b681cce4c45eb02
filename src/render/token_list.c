// Token lists, shared by the next-token panel and the sampling stages: ranking tokens, naming
// them in a fixed width, the heading, a row and the count of the rows not shown.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"
#include "next_token_priv.h"

// a before b: the larger key, then the larger tie, then the smaller id.
static int before(const float *key, const float *tie, int a, int b)
{
    if (key[a] != key[b])
        return key[a] > key[b];
    if (tie && tie[a] != tie[b])
        return tie[a] > tie[b];
    return a < b;
}

int nt_top(const float *key, const float *tie, int V, int *top, int k)
{
    int have = 0;
    k = k < V ? k : V;
    for (int t = 0; t < V && k > 0; t++) {
        if (have == k && !before(key, tie, t, top[k - 1]))
            continue;
        int at = have < k ? have++ : k - 1;
        while (at > 0 && before(key, tie, t, top[at - 1])) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = t;
    }
    return have;
}

void nt_piece(const struct graph *gr, int id, char *buf, size_t size, int width)
{
    char piece[128];
    tokenizer_piece_str(&gr->model->tok, id, piece, sizeof piece);
    panel_fit(buf, size, piece, width);
}

void nt_more(struct grid *g, int x, int y, int w, int shown, int V, const char *tail)
{
    char line[160];
    int n = text_format(line, sizeof line, "… %d more tokens, rows %d–%d of %d", V - shown,
                        shown + 1, V, V);
    int cols = (int)utf8_count(line, strlen(line));
    if (tail && cols + 2 + (int)utf8_count(tail, strlen(tail)) <= w)
        text_format(line + n, sizeof line - (size_t)n, ", %s", tail);
    else if (cols > w) // too narrow for the rows: the count alone
        text_format(line, sizeof line, "… +%d more", V - shown);
    grid_text(g, x, y, w, line, SF_STYLE_DIM);
}

void nt_heading(struct grid *g, int x, int y, int w, const struct nt_list *l, const char *extra)
{
    char line[160], cell[16];
    int o = text_format(line, sizeof line, "%-*s", NT_TOKEN_W, "token");
    for (int c = 0; c < l->n_col && o < (int)sizeof line; c++) { // right-aligned in 8 columns
        const char *lb = l->col[c].label;
        int pad = 8 - (int)utf8_count(lb, strlen(lb));
        text_format(cell, sizeof cell, "%*s%s", pad > 0 ? pad : 0, "", lb);
        o += text_format(line + o, sizeof line - (size_t)o, "%s", cell);
    }
    if (extra && o < (int)sizeof line)
        text_format(line + o, sizeof line - (size_t)o, "  %s", extra);
    grid_text(g, x, y, w, line, SF_STYLE_DIM);
}

void nt_row(struct grid *g, int x, int y, int w, const struct nt_list *l, int id, double cum,
            const char *mark, int first)
{
    char piece[64], num[32];
    int cut = l->keep && l->keep[id] == 0.0f;
    enum sf_style st = cut               ? SF_STYLE_DIM
                       : id == l->chosen ? SF_STYLE_SELECTED
                       : first           ? SF_STYLE_CURRENT
                                         : SF_STYLE_NORMAL;
    nt_piece(l->gr, id, piece, sizeof piece, NT_TOKEN_W - 1);
    grid_text(g, x, y, NT_TOKEN_W, piece, st);
    int cx = x + NT_TOKEN_W;
    for (int c = 0; c < l->n_col; c++, cx += 8) {
        float v = l->col[c].x[id];
        enum sf_style ns = SF_STYLE_NUMBER;
        if (l->col[c].minus) { // a difference: signed; one that rounds to zero has no sign
            double d = (double)v - (double)l->col[c].minus[id];
            if (fabs(d) < 0.00005)
                text_format(num, sizeof num, " %7.4f", 0.0);
            else
                text_format(num, sizeof num, " %+7.4f", d);
            ns = d <= -0.00005 ? SF_STYLE_NEGATIVE : SF_STYLE_NUMBER;
        } else if (l->col[c].prob)
            text_format(num, sizeof num, " %7.4f", (double)v);
        else
            panel_number(num, sizeof num, v, 7);
        if (cx + 8 <= x + w)
            grid_text(g, cx, y, 8, num, cut ? SF_STYLE_DIM : ns);
    }
    if (mark) {
        grid_text(g, cx + 1, y, x + w - cx - 1, mark, cut ? SF_STYLE_DIM : SF_STYLE_CURRENT);
        cx += 1 + (int)utf8_count(mark, strlen(mark));
    }
    int right = cum >= 0 ? x + w - 10 : x + w;
    if (cum >= 0 && cx + 10 <= x + w) {
        text_format(num, sizeof num, "cum %5.3f", cum);
        grid_text(g, x + w - 9, y, 9, num, SF_STYLE_DIM);
    }
    int bar_w = right - cx - 2;
    if (l->bar && bar_w >= 4) {
        int len = (int)(l->bar[id] * (float)bar_w + 0.5f);
        for (int b = 0; b < len && b < bar_w; b++)
            grid_put(g, cx + 1 + b, y, 0x2588, cut ? SF_STYLE_DIM : SF_STYLE_NUMBER);
    }
}
