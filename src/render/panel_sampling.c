// The LM head's logits and the sampling stages, each drawn as what it computed: u, u / tau,
// softmax(u / tau), the top-k / top-p cut, the renormalised p, the draw and the appended token.
#include "stepformer/panel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stepformer/text.h"
#include "next_token_priv.h"

// What every stage reads: the sizes, the position it works on and the rows it has.
struct stage {
    struct grid *g;
    struct rect r;
    const struct view *v;
    const struct graph *gr;
    const struct node *n;
    int V, pos, y, end; // y: the next free line; end: the first line past the body
};

static const float *node_row(const struct graph *gr, enum node_role role, int pos)
{
    int i = graph_find_role(gr, -1, role);
    if (i < 0 || !graph_node_done(gr, i))
        return NULL;
    const struct tensor *t = &gr->nodes[i].out;
    return t->ndim == 2 ? t->data + (size_t)pos * t->shape[1] : t->data;
}

static const float *logits_row(const struct graph *gr, int pos)
{
    const float *u = node_row(gr, ROLE_HEAD_LOGITS_TIED, pos);
    return u ? u : node_row(gr, ROLE_HEAD_LOGITS_UNTIED, pos);
}

// A line of text (two when it does not fit in one) at the next free line.
static void say(struct stage *s, const char *text, enum sf_style st)
{
    int room = s->r.y + s->r.h - s->y;
    s->y += panel_wrap(s->g, s->r.x, s->y, s->r.w, room < 2 ? room : 2, text, st);
}

// The top rows of a list sorted by key (tie: tie), with the running mass of mass_of (NULL: no
// cum column), leaving `keep_free` lines; the last line counts the rows not shown.
static void top_list(struct stage *s, const struct nt_list *l, const float *key, const float *tie,
                     const float *mass_of, int keep_free, const char *what)
{
    int rows = s->end - s->y - keep_free, top[NT_ROWS_MAX];
    rows = rows > NT_ROWS_MAX ? NT_ROWS_MAX : rows;
    if (rows < 1)
        return;
    int more = s->V > rows;
    int k = nt_top(key, tie, s->V, top, more ? rows - 1 : rows);
    double cum = 0;
    for (int i = 0; i < k; i++) {
        cum += mass_of ? mass_of[top[i]] : 0;
        nt_row(s->g, s->r.x, s->y++, s->r.w, l, top[i], mass_of ? cum : -1, NULL, i == 0);
    }
    if (more && s->y < s->end) {
        char line[64];
        text_format(line, sizeof line, "by %s", what);
        nt_more(s->g, s->r.x, s->y++, s->r.w, k, s->V, line);
    }
}

static void stage_logits(struct stage *s)
{
    const float *u = s->n->out.data + (size_t)s->pos * s->V;
    struct nt_list l = {.gr = s->gr, .chosen = -1, .n_col = 1};
    l.col[0] = (struct nt_col){"u", u, 0, NULL};
    float lo = u[0], hi = u[0];
    for (int t = 1; t < s->V; t++)
        lo = u[t] < lo ? u[t] : lo, hi = u[t] > hi ? u[t] : hi;
    nt_heading(s->g, s->r.x, s->y++, s->r.w, &l, "a score per token; softmax comes next");
    top_list(s, &l, u, NULL, NULL, 1, "falling u");
    char line[160];
    text_format(line, sizeof line, "u ranges from %.2f to %.2f over the %d tokens", (double)lo,
                (double)hi, s->V);
    say(s, line, SF_STYLE_DIM);
}

static void stage_temperature(struct stage *s)
{
    const struct sampler *sp = s->gr->sampler;
    const float *u = logits_row(s->gr, s->pos), *t = s->n->out.data;
    double tau = sp ? (double)sp->temperature : 1.0;
    struct nt_list l = {.gr = s->gr, .chosen = -1, .n_col = 2};
    l.col[0] = (struct nt_col){"u", u, 0, NULL};
    l.col[1] = (struct nt_col){"u/τ", t, 0, NULL};
    char extra[64], line[200];
    text_format(extra, sizeof extra, "τ = %.1f", tau);
    nt_heading(s->g, s->r.x, s->y++, s->r.w, &l, extra);
    top_list(s, &l, t, NULL, NULL, 1, "falling u");
    text_format(line, sizeof line, "every logit divided by τ = %.1f: %s", tau,
                tau > 1   ? "smaller gaps, a flatter softmax"
                : tau < 1 ? "larger gaps, a sharper softmax"
                          : "nothing changes");
    say(s, line, SF_STYLE_NOTICE);
}

static void stage_probs(struct stage *s)
{
    const struct sampler *sp = s->gr->sampler;
    const float *y = node_row(s->gr, ROLE_HEAD_PROBS, s->pos), *p = s->n->out.data;
    struct nt_list l = {.gr = s->gr, .chosen = -1, .bar = p};
    if (y)
        l.col[l.n_col++] = (struct nt_col){"y τ=1", y, 1, NULL};
    l.col[l.n_col++] = (struct nt_col){"p", p, 1, NULL};
    char extra[64], line[200], piece[48];
    text_format(extra, sizeof extra, "p = softmax(u/τ), τ = %.1f",
                sp ? (double)sp->temperature : 1.0);
    nt_heading(s->g, s->r.x, s->y++, s->r.w, &l, extra);
    top_list(s, &l, p, NULL, p, 1, "falling p");
    int top;
    nt_top(p, NULL, s->V, &top, 1);
    nt_piece(s->gr, top, piece, sizeof piece, 20);
    text_format(line, sizeof line, "'%s': y %.4f at τ = 1, p %.4f at τ = %.1f", piece,
                y ? (double)y[top] : NAN, (double)p[top], sp ? (double)sp->temperature : 1.0);
    say(s, line, SF_STYLE_NOTICE);
}

// The cut, when the kept tokens do not all fit: the first ones, a count of the kept ones not
// shown, the last kept one, the cut line, the first dropped one and a count of the rest.
static void stage_truncate(struct stage *s)
{
    const struct sampler *sp = s->gr->sampler;
    const float *p = s->n->in[0]->data, *cut = s->n->out.data;
    int V = s->V, kept = 0, last_kept = -1, first_drop = -1;
    double mass = 0;
    for (int t = 0; t < V; t++) {
        if (cut[t] > 0) {
            kept++, mass += cut[t];
            if (last_kept < 0 || p[t] < p[last_kept] || (p[t] == p[last_kept] && t > last_kept))
                last_kept = t;
        } else if (first_drop < 0 || p[t] > p[first_drop]) {
            first_drop = t;
        }
    }
    struct nt_list l = {.gr = s->gr, .chosen = -1, .bar = p, .keep = cut, .n_col = 1};
    l.col[0] = (struct nt_col){"p", p, 1, NULL};
    char line[200], cut_line[200];
    int o = text_format(line, sizeof line, "kept: ");
    if (sp && sp->top_k > 0)
        o += text_format(line + o, sizeof line - (size_t)o, "top-k %d", sp->top_k);
    if (sp && sp->top_p < 1.0f)
        o += text_format(line + o, sizeof line - (size_t)o, "%stop-p %.2f",
                         sp->top_k > 0 ? ", " : "", (double)sp->top_p);
    if (!sp || (sp->top_k <= 0 && sp->top_p >= 1.0f))
        text_format(line + o, sizeof line - (size_t)o, "no top-k, no top-p");
    nt_heading(s->g, s->r.x, s->y++, s->r.w, &l, line);
    if (kept == V)
        text_format(cut_line, sizeof cut_line, "──── no cut: all %d tokens kept ────", V);
    else
        text_format(cut_line, sizeof cut_line, "──── cut: %d of %d kept, kept mass %.4f ────", kept,
                    V, mass);
    int rows = s->end - s->y - 1; // the last line sums up
    int top[NT_ROWS_MAX], shown_kept = kept;
    if (kept + 2 > rows) // the kept ones do not fit above the cut line with a dropped row
        shown_kept = rows - 5 > 1 ? rows - 5 : 1;
    shown_kept = shown_kept > NT_ROWS_MAX ? NT_ROWS_MAX : shown_kept;
    int k = nt_top(p, NULL, V, top, shown_kept);
    double cum = 0;
    for (int i = 0; i < k; i++) {
        cum += p[top[i]];
        nt_row(s->g, s->r.x, s->y++, s->r.w, &l, top[i], cum, "✓", i == 0);
    }
    if (k < kept) {
        text_format(line, sizeof line, "  ⋮ %d more kept", kept - k - 1);
        say(s, line, SF_STYLE_DIM);
        nt_row(s->g, s->r.x, s->y++, s->r.w, &l, last_kept, mass, "✓ the last kept", 0);
    }
    if (kept < V) {
        say(s, cut_line, SF_STYLE_NOTICE);
        // The dropped ones, best first, as many as fit.
        int room = s->end - s->y - 1, drop[NT_ROWS_MAX], nd = 0;
        room = room > NT_ROWS_MAX ? NT_ROWS_MAX : room;
        if (room >= 1 && kept + room <= NT_ROWS_MAX && k == kept) {
            int all = nt_top(p, NULL, V, top, kept + room);
            for (int i = kept; i < all; i++)
                drop[nd++] = top[i];
        } else if (room >= 1 && first_drop >= 0) {
            drop[nd++] = first_drop;
        }
        double dcum = mass;
        for (int i = 0; i < nd; i++) {
            dcum += p[drop[i]];
            nt_row(s->g, s->r.x, s->y++, s->r.w, &l, drop[i], dcum, "✗", 0);
        }
        text_format(line, sizeof line, "… %d more dropped, mass %.4f", V - kept - nd,
                    1.0 - dcum < 0 ? 0.0 : 1.0 - dcum);
        if (V - kept - nd > 0)
            say(s, line, SF_STYLE_DIM);
    } else {
        say(s, cut_line, SF_STYLE_NOTICE);
    }
}

static void stage_renorm(struct stage *s)
{
    const float *in = s->n->in[0]->data, *p = s->n->out.data;
    int kept = 0;
    double mass = 0;
    for (int t = 0; t < s->V; t++)
        kept += in[t] > 0, mass += in[t];
    struct nt_list l = {.gr = s->gr, .chosen = -1, .bar = p, .keep = p, .n_col = 2};
    l.col[0] = (struct nt_col){"p cut", in, 1, NULL};
    l.col[1] = (struct nt_col){"p", p, 1, NULL};
    // A pinned distribution (b): beside p, with the difference; "p cut" goes first when narrow.
    const float *pin = s->v->next ? s->v->next->pinned : NULL;
    if (pin) {
        l.col[l.n_col++] = (struct nt_col){"pinned", pin, 1, NULL};
        l.col[l.n_col++] = (struct nt_col){"Δ", p, 1, pin};
        if (NT_TOKEN_W + 8 * l.n_col > s->r.w) {
            memmove(l.col, l.col + 1, sizeof l.col[0] * (size_t)(l.n_col - 1));
            l.n_col--;
        }
    }
    char line[300];
    nt_heading(s->g, s->r.x, s->y++, s->r.w, &l, "p = p cut / kept mass");
    top_list(s, &l, p, in, p, pin ? 3 : 1, "falling p");
    text_format(line, sizeof line, "divided by the kept mass %.4f: the %d kept tokens sum to 1",
                mass, kept);
    say(s, line, SF_STYLE_NOTICE);
    if (pin) {
        text_format(line, sizeof line, "Δ = p − pinned (b unpins); pinned: %s",
                    s->v->next->pinned_note ? s->v->next->pinned_note : "");
        say(s, line, SF_STYLE_NOTICE);
    }
}

// A random draw: the kept tokens in vocabulary order (the order the draw walks them) with their
// bins [mass before, mass after), the one that holds the random number r marked, scrolled into
// view; a line above and below counts the bins not shown. One line is left for the result.
static void draw_bins(struct stage *s, const float *p, int chosen)
{
    int V = s->V, at = 0, n_kept = 0;
    for (int t = 0; t < V; t++)
        if (p[t] > 0.0f)
            at = t == chosen ? n_kept : at, n_kept++;
    int rows = s->end - s->y - 1; // lines for the bins and the counts
    if (rows < 1)
        return;
    int first = 0, count = n_kept; // the bins shown: [first, first + count)
    if (n_kept > rows) {
        count = rows - 2 > 1 ? rows - 2 : 1; // a count line above and one below
        first = at - count / 2;
        first = first + count > n_kept ? n_kept - count : first;
        first = first < 0 ? 0 : first;
        if (first == 0) // no line above: one more bin
            count = rows - 1;
        else if (first + count + 1 >= n_kept) // no line below
            first = n_kept - (count + 1), count++;
    }
    struct nt_list l = {.gr = s->gr, .chosen = chosen, .n_col = 1};
    l.col[0] = (struct nt_col){"p", p, 1, NULL};
    char line[160], mark[96];
    if (first > 0) {
        text_format(line, sizeof line, "  ⋮ %d bins above", first);
        say(s, line, SF_STYLE_DIM);
    }
    double run = 0;
    for (int t = 0, k = 0; t < V; t++) {
        if (p[t] <= 0.0f)
            continue;
        double lo = run;
        run += p[t];
        if (k >= first && k < first + count) {
            text_format(mark, sizeof mark, "[%.4f, %.4f)%s", lo, run, t == chosen ? " ← r" : "");
            nt_row(s->g, s->r.x, s->y++, s->r.w, &l, t, -1, mark, 0);
        }
        k++;
    }
    if (first + count < n_kept) {
        text_format(line, sizeof line, "  ⋮ %d bins below", n_kept - first - count);
        say(s, line, SF_STYLE_DIM);
    }
}

static void stage_draw(struct stage *s)
{
    const struct sampler *sp = s->gr->sampler;
    const float *p = s->n->in[0]->data;
    int chosen = (int)s->n->out.data[0];
    char line[200], piece[48];
    nt_piece(s->gr, chosen, piece, sizeof piece, 20);
    if (!sp || sp->greedy) {
        struct nt_list l = {.gr = s->gr, .chosen = chosen, .bar = p, .n_col = 1};
        l.col[0] = (struct nt_col){"p", p, 1, NULL};
        nt_heading(s->g, s->r.x, s->y++, s->r.w, &l, "greedy: the most probable token");
        top_list(s, &l, p, NULL, p, 1, "falling p");
        text_format(line, sizeof line, "w = argmax p = '%s' (p %.4f): no random number", piece,
                    (double)p[chosen]);
        say(s, line, SF_STYLE_NOTICE);
        return;
    }
    if (isnan(sp->last_u)) // the draw's generator was seeded again since
        text_format(line, sizeof line, "a random draw: the bin that holds r is drawn");
    else
        text_format(line, sizeof line, "r = %.4f, uniform in [0, 1): the bin that holds r is drawn",
                    sp->last_u);
    say(s, line, SF_STYLE_NOTICE);
    struct nt_list head = {.gr = s->gr, .n_col = 1};
    head.col[0] = (struct nt_col){"p", p, 1, NULL};
    nt_heading(s->g, s->r.x, s->y++, s->r.w, &head, "bin: the running mass, in vocabulary order");
    draw_bins(s, p, chosen);
    text_format(line, sizeof line, "w = '%s' (p %.4f)", piece, (double)p[chosen]);
    say(s, line, SF_STYLE_NOTICE);
}

static void stage_append(struct stage *s)
{
    const struct graph *gr = s->gr;
    const float *ids = s->n->out.data;
    int N = gr->n_tokens, w = (int)ids[N];
    char line[256], piece[48];
    nt_piece(gr, w, piece, sizeof piece, 20);
    text_format(line, sizeof line, "ids ← ids + ['%s'] (id %d at position %d): %d ids", piece, w, N,
                N + 1);
    say(s, line, SF_STYLE_CURRENT);
    // The last tokens of the input and the new one, one per line.
    int rows = s->end - s->y - 1, from = N + 1 - rows;
    from = from < 0 ? 0 : from;
    if (from > 0) {
        text_format(line, sizeof line, "  ⋮ positions 0–%d above", from - 1);
        say(s, line, SF_STYLE_DIM);
        from++;
    }
    for (int i = from; i <= N && s->y < s->end - 1; i++) {
        nt_piece(gr, (int)ids[i], piece, sizeof piece, 20);
        text_format(line, sizeof line, "%4d  %-20s id %d%s", i, piece, (int)ids[i],
                    i == N ? "   ← new" : "");
        say(s, line, i == N ? SF_STYLE_SELECTED : SF_STYLE_NORMAL);
    }
    say(s, "x makes them the input and runs the next pass (autoregression)", SF_STYLE_DIM);
}

void panel_sampling(struct grid *g, struct rect r, const struct view *v, const struct node *n,
                    int selected)
{
    const struct graph *gr = v->graph;
    int N = gr->n_tokens, head = n->kind == OPK_UNEMBED;
    int pos = head ? (v->row < N ? v->row : N - 1) : N - 1;
    char title[200], piece[48];
    nt_piece(gr, gr->ids[pos], piece, sizeof piece, 12);
    text_format(title, sizeof title, "%s  %s, after position %d '%s'", n->name,
                node_role_info(n->role)->symbol, pos, piece);
    panel_title(g, r, title, selected);
    struct stage s = {g, r, v, gr, n, gr->model->cfg.vocab_size, pos, r.y + 1, r.y + r.h};
    if (r.h < 4)
        return;
    switch (n->role) {
    case ROLE_HEAD_LOGITS_TIED:
    case ROLE_HEAD_LOGITS_UNTIED:
        stage_logits(&s);
        break;
    case ROLE_SAMPLE_TEMPERATURE:
        stage_temperature(&s);
        break;
    case ROLE_SAMPLE_PROBS:
        stage_probs(&s);
        break;
    case ROLE_SAMPLE_TRUNCATE:
        stage_truncate(&s);
        break;
    case ROLE_SAMPLE_RENORM:
        stage_renorm(&s);
        break;
    case ROLE_SAMPLE_DRAW:
        stage_draw(&s);
        break;
    case ROLE_SAMPLE_APPEND:
        stage_append(&s);
        break;
    default:
        panel_pending(g, r, "not a stage of the head or of sampling");
        break;
    }
}
