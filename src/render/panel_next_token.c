// The next-token distribution at one position: top tokens, bars, cumulative mass.
#include "stepformer/panel.h"

#include <stdio.h>

#include "stepformer/text.h"

#define TOP_MAX 64

void panel_next_token(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    char title[96], piece[32], line[64];
    int idx = graph_find_role(gr, -1, ROLE_HEAD_PROBS);
    text_format(title, sizeof title, "Next token after position %d", v->row);
    panel_title(g, r, title, selected);
    if (idx < 0 || !graph_node_done(gr, idx)) {
        grid_text(g, r.x + 1, r.y + 1, r.w - 1, "not computed yet", SF_STYLE_DIM);
        return;
    }
    int V = gr->model->cfg.vocab_size, row = v->row < gr->n_tokens ? v->row : gr->n_tokens - 1;
    const float *p = gr->nodes[idx].out.data + (size_t)row * V;
    // The k most probable tokens (k is a screenful), kept sorted while scanning once.
    // Below the list: the sampling line (at the last position) and the beams, when there are.
    int trunc = graph_find_role(gr, -1, ROLE_SAMPLE_TRUNCATE);
    int draw = graph_find_role(gr, -1, ROLE_SAMPLE_DRAW);
    int sampling = v->sampler && row == gr->n_tokens - 1 && graph_node_done(gr, trunc);
    int n_beams = v->beams ? v->beams->live : 0;
    int foot = (sampling ? 1 : 0) + (n_beams ? n_beams + 1 : 0);
    if (foot > r.h - 3)
        foot = 0, sampling = 0, n_beams = 0;
    int top[TOP_MAX], k = r.h - 1 - foot < TOP_MAX ? r.h - 1 - foot : TOP_MAX, have = 0;
    if (k < 1)
        return; // only the title fits
    if (k > V)
        k = V;
    for (int t = 0; t < V; t++) {
        if (have == k && p[t] <= p[top[k - 1]])
            continue;
        int at = have < k ? have++ : k - 1;
        while (at > 0 && p[top[at - 1]] < p[t]) {
            top[at] = top[at - 1];
            at--;
        }
        top[at] = t;
    }
    int bar_w = r.w - 30;
    double cum = 0;
    for (int n = 0; n < k; n++) {
        int y = r.y + 1 + n;
        cum += p[top[n]];
        tokenizer_piece_str(&gr->model->tok, top[n], piece, sizeof piece);
        text_format(line, sizeof line, "%-10.10s %6.4f", piece, (double)p[top[n]]);
        // After the top-k / top-p cut, the tokens it dropped are dimmed.
        int cut = sampling && gr->nodes[trunc].out.data[top[n]] == 0.0f;
        grid_text(g, r.x, y, 17, line,
                  cut      ? SF_STYLE_DIM
                  : n == 0 ? SF_STYLE_CURRENT
                           : SF_STYLE_NORMAL);
        int len = bar_w > 0 ? (int)(p[top[n]] * bar_w + 0.5) : 0;
        for (int b = 0; b < len; b++)
            grid_put(g, r.x + 18 + b, y, 0x2588, SF_STYLE_NUMBER);
        text_format(line, sizeof line, "cum %5.3f", cum);
        grid_text(g, r.x + r.w - 10, y, 10, line, SF_STYLE_DIM);
    }
    int y = r.y + 1 + k;
    if (sampling) {
        const struct sampler *sp = v->sampler;
        int kept = 0;
        for (int t = 0; t < V; t++)
            kept += gr->nodes[trunc].out.data[t] > 0.0f;
        char drawn[48] = "·";
        if (graph_node_done(gr, draw) && gr->drawn >= 0)
            tokenizer_piece_str(&gr->model->tok, gr->drawn, drawn, sizeof drawn);
        char big[200];
        text_format(big, sizeof big, "%s  τ %.1f  top-k %d  top-p %.2f: %d kept  → '%s'",
                    sp->greedy ? "greedy" : "sampling", (double)sp->temperature, sp->top_k,
                    (double)sp->top_p, kept, drawn);
        panel_label(g, r.x, y++, r.w, big, SF_STYLE_NOTICE);
    }
    for (int b = 0; b < n_beams; b++) {
        const struct beam *bm = &v->beams->beams[b];
        if (b == 0)
            grid_text(g, r.x, y++, r.w, "beams (log p, the last tokens):", SF_STYLE_DIM);
        char text[160], big[220];
        int from = bm->n > 8 ? bm->n - 8 : 0;
        tokenizer_decode(&gr->model->tok, bm->ids + from, bm->n - from, text, sizeof text);
        text_format(big, sizeof big, "%d %8.3f  …%s", b + 1, bm->logp, text);
        grid_text(g, r.x, y++, r.w, big, b == 0 ? SF_STYLE_CURRENT : SF_STYLE_NORMAL);
    }
}
