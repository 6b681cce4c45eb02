// The next-token distribution at one position: the top tokens with their logit and
// probability, bars and the cumulative mass; the distribution sampling draws from at the last
// position; the probability without the interventions in force. After head.logits and the
// sample.* ops the panel shows that op's own output (panel_sampling.c).
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"
#include "stepformer/utf8.h"
#include "next_token_priv.h"

// The notes below the list: what was pinned, what "without" means while an intervention is in
// force, and at the last position what sampling does (each up to two lines). Returns how many
// (0..3).
static int footer_notes(const struct view *v, int row, char notes[3][256])
{
    const struct graph *gr = v->graph;
    const struct sampler *sp = v->sampler;
    const struct next_token_aux *nx = v->next;
    char badge[64], drawn[64];
    int n = 0, draw = graph_find_role(gr, -1, ROLE_SAMPLE_DRAW);
    if (nx && nx->pinned)
        text_format(notes[n++], 256, "Δ = now − pinned (b unpins); pinned: %s",
                    nx->pinned_note ? nx->pinned_note : "");
    if (nx && (nx->without || nx->without_pending) &&
        panel_intervention_badge(gr, badge, sizeof badge))
        text_format(notes[n++], 256, "without: the model's own pass, %s undone%s", badge,
                    nx->without ? "" : " (computing …)");
    if (sp && draw >= 0 && row != gr->n_tokens - 1 && nx && nx->sampled) {
        text_format(notes[n++], 256, "y at τ = 1: sampling (τ %.1f) draws at position %d only",
                    (double)sp->temperature, gr->n_tokens - 1);
        return n;
    }
    if (!sp || row != gr->n_tokens - 1 || draw < 0)
        return n;
    text_format(drawn, sizeof drawn, "the draw comes at sample.draw");
    if (graph_node_done(gr, draw) && gr->drawn >= 0) {
        char piece[32];
        nt_piece(gr, gr->drawn, piece, sizeof piece, 20);
        text_format(drawn, sizeof drawn, "drawn '%s'", piece);
    }
    char k[24] = "", p[24] = "";
    if (sp->top_k > 0)
        text_format(k, sizeof k, ", top-k %d", sp->top_k);
    if (sp->top_p < 1.0f)
        text_format(p, sizeof p, ", top-p %.2f", (double)sp->top_p);
    if (v->beams && v->beams->live)
        text_format(notes[n++], 256, "beam search: the beams below");
    else if (nx && nx->sampled)
        text_format(notes[n++], 256, "p sampled: τ %.1f%s%s keeps %d; %s", (double)sp->temperature,
                    k, p, nx->kept, drawn);
    else if (sp->greedy)
        text_format(notes[n++], 256, "greedy: the most probable token is chosen; %s", drawn);
    else
        text_format(notes[n++], 256, "sampling at τ 1.0, no cut: draws from y as it is; %s", drawn);
    return n;
}

// The footer's lines at width w: the notes, and the beams of a beam search.
static int footer_lines(const struct view *v, int row, int w)
{
    char notes[3][256];
    int n = footer_notes(v, row, notes), lines = 0;
    for (int i = 0; i < n; i++)
        lines += panel_wrap(NULL, 0, 0, w, 2, notes[i], SF_STYLE_NORMAL);
    if (v->beams && v->beams->live)
        lines += v->beams->live + 1;
    return lines;
}

// The footer in at most `room` lines from y; when it needs more, its last line says how many
// lines are not shown.
static void draw_footer(struct grid *g, struct rect r, const struct view *v, int row, int y,
                        int room)
{
    const struct graph *gr = v->graph;
    char notes[3][256];
    int n = footer_notes(v, row, notes), need = footer_lines(v, row, r.w), used = 0;
    int fits = need <= room ? room : room - 1; // leave the last line for the count
    for (int i = 0; i < n && used < fits; i++) {
        int k = panel_wrap(NULL, 0, 0, r.w, 2, notes[i], SF_STYLE_NOTICE);
        k = k < fits - used ? k : fits - used;
        used += panel_wrap(g, r.x, y + used, r.w, k, notes[i], SF_STYLE_NOTICE);
    }
    for (int b = 0; v->beams && b < v->beams->live && used < fits; b++) {
        const struct beam *bm = &v->beams->beams[b];
        if (b == 0) {
            grid_text(g, r.x, y + used++, r.w, "beams (log p, the last tokens):", SF_STYLE_DIM);
            if (used >= fits)
                break;
        }
        char text[160], big[220];
        int from = bm->n > 8 ? bm->n - 8 : 0;
        tokenizer_decode(&gr->model->tok, bm->ids + from, bm->n - from, text, sizeof text);
        text_format(big, sizeof big, "%d %8.3f  …%s", b + 1, bm->logp, text);
        grid_text(g, r.x, y + used++, r.w, big, b == 0 ? SF_STYLE_CURRENT : SF_STYLE_NORMAL);
    }
    if (need > room && room > 0) {
        char line[80];
        text_format(line, sizeof line, "… +%d lines: z zooms", need - used);
        grid_text(g, r.x, y + used, r.w, line, SF_STYLE_DIM);
    }
}

void panel_next_token(struct grid *g, struct rect r, const struct view *v, int selected)
{
    const struct graph *gr = v->graph;
    const struct node *last = graph_last(gr);
    if (last && last->kind != OPK_GRAD && last->kind != OPK_ADAMW &&
        (last->role == ROLE_HEAD_LOGITS_TIED || last->role == ROLE_HEAD_LOGITS_UNTIED ||
         (last->role >= ROLE_SAMPLE_TEMPERATURE && last->role <= ROLE_SAMPLE_APPEND))) {
        panel_sampling(g, r, v, last, selected);
        return;
    }
    char title[160], piece[64], line[96];
    int idx = graph_find_role(gr, -1, ROLE_HEAD_PROBS);
    int lg = graph_find_role(gr, -1, ROLE_HEAD_LOGITS_TIED);
    if (lg < 0)
        lg = graph_find_role(gr, -1, ROLE_HEAD_LOGITS_UNTIED);
    int V = gr->model->cfg.vocab_size, row = v->row < gr->n_tokens ? v->row : gr->n_tokens - 1;
    nt_piece(gr, gr->ids[row], piece, sizeof piece, 12);
    text_format(title, sizeof title, "Next token after position %d '%s'", row, piece);
    panel_title(g, r, title, selected);
    if (idx < 0 || !graph_node_done(gr, idx)) {
        panel_pending(g, r, "not computed yet");
        return;
    }
    const struct next_token_aux *nx = v->next;
    char badge[64];
    int intervened = panel_intervention_badge(gr, badge, sizeof badge) > 0;
    const float *y = gr->nodes[idx].out.data + (size_t)row * V;
    const float *u = gr->nodes[lg].out.data + (size_t)row * V;
    int last_row = row == gr->n_tokens - 1;
    const float *p = last_row && nx && nx->sampled ? nx->sampled : NULL;
    const float *without = nx && nx->without && intervened
                               ? (p ? nx->sampled_without : nx->without + (size_t)row * V)
                               : NULL;
    // The columns: u, y, the sampled p (when sampling changes y), the number without the
    // interventions; the bars and the order follow what is sampled from.
    struct nt_list l = {.gr = gr, .chosen = -1};
    const float *pinned = nx ? nx->pinned : NULL;
    l.col[l.n_col++] = (struct nt_col){"u", u, 0, NULL};
    if (pinned) { // before and after: what is ranked now, the pinned one, their difference
        l.col[l.n_col++] = (struct nt_col){p ? "p now" : "y now", p ? p : y, 1, NULL};
        l.col[l.n_col++] = (struct nt_col){"pinned", pinned, 1, NULL};
        l.col[l.n_col++] = (struct nt_col){"Δ", p ? p : y, 1, pinned};
    } else {
        l.col[l.n_col++] = (struct nt_col){p ? "y τ=1" : "y", y, 1, NULL};
        if (p)
            l.col[l.n_col++] = (struct nt_col){"p", p, 1, NULL};
        if (without)
            l.col[l.n_col++] = (struct nt_col){"without", without, 1, NULL};
    }
    // Too narrow for every column: u goes first, then y beside p (the heading names the rest).
    while (l.n_col > 1 && NT_TOKEN_W + 8 * l.n_col > r.w) {
        memmove(l.col, l.col + 1, sizeof l.col[0] * (size_t)(l.n_col - 1));
        l.n_col--;
    }
    const float *main = p ? p : y;
    l.bar = main;
    l.keep = p;
    // The list keeps at least two rows (a token and the count of the others).
    int foot = footer_lines(v, row, r.w), room = r.h - 4;
    foot = foot > room ? (room > 0 ? room : 0) : foot;
    int rows = r.h - 2 - foot, top[NT_ROWS_MAX];
    rows = rows > NT_ROWS_MAX ? NT_ROWS_MAX : rows;
    if (rows < 1)
        return;
    int more = V > rows; // the last row says how many are not shown
    int k = nt_top(main, y, V, top, more ? rows - 1 : rows);
    nt_heading(g, r.x, r.y + 1, r.w, &l, NULL);
    double cum = 0;
    for (int n = 0; n < k; n++) {
        cum += main[top[n]];
        nt_row(g, r.x, r.y + 2 + n, r.w, &l, top[n], cum, NULL, n == 0);
    }
    if (more) {
        text_format(line, sizeof line, "mass %.4f", 1.0 - cum < 0 ? 0.0 : 1.0 - cum);
        nt_more(g, r.x, r.y + 2 + k, r.w, k, V, line);
    }
    if (foot)
        draw_footer(g, r, v, row, r.y + 2 + k + more, foot);
}
