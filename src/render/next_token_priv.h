// What the next-token panel and the sampling stages share inside src/render (token_list.c): ranking
// tokens, naming them in a fixed width, and one row of a token list.
#ifndef STEPFORMER_NEXT_TOKEN_PRIV_H
#define STEPFORMER_NEXT_TOKEN_PRIV_H

#include "stepformer/panel.h"

// The width of the token column.
#define NT_TOKEN_W 10
// Rows a token list shows at most.
#define NT_ROWS_MAX 64

// The k tokens with the largest key (ties: the larger tie when tie is not NULL, then the
// smaller id) into top, best first; returns how many (k, or V when smaller).
int nt_top(const float *key, const float *tie, int V, int *top, int k);
// Token id's piece, escaped, in at most width columns: a longer one is cut and ends in "…".
void nt_piece(const struct graph *gr, int id, char *buf, size_t size, int width);

// The line under a list that shows `shown` of V tokens: "… 128 more tokens, rows 21–148 of
// 148", then ", tail" when it fits in w columns ("… +128 more" when even the rows do not).
void nt_more(struct grid *g, int x, int y, int w, int shown, int V, const char *tail);

// A number column of a token list: its heading and values (V), as probabilities (4 decimals)
// or as logits (panel_number's two decimals). With minus, the column is the difference
// x - minus, signed, in the sign colours (negative red, positive blue).
struct nt_col {
    const char *label;
    const float *x;
    int prob;
    const float *minus;
};

// The columns of a token list and how a row is drawn.
struct nt_list {
    const struct graph *gr;
    struct nt_col col[4];
    int n_col;
    const float *bar;  // (V) a bar of this length (0..1 of the room), or NULL
    const float *keep; // (V) rows where this is 0 are dimmed (cut off), or NULL
    int chosen;        // a token drawn in the highlight style, or -1
};

// The heading line of a list at (x, y), w columns.
void nt_heading(struct grid *g, int x, int y, int w, const struct nt_list *l, const char *extra);
// One row: the token, its numbers, the bar and, when cum >= 0, the running mass at the right;
// mark (or NULL) is drawn after the numbers.
void nt_row(struct grid *g, int x, int y, int w, const struct nt_list *l, int id, double cum,
            const char *mark, int first);

#endif
