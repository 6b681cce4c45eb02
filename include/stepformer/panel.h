// Panels: each draws one view of the model's state into a rectangle of the cell grid, reading
// everything through const pointers. Layout decides the rectangles; painting never resizes.
#ifndef STEPFORMER_PANEL_H
#define STEPFORMER_PANEL_H

#include "stepformer/beam.h"
#include "stepformer/graph.h"
#include "stepformer/grid.h"
#include "stepformer/palette.h"

struct rect {
    int x, y, w, h;
};

// The logit lens: what the model would predict if the stream stopped after each block (the
// final norm and the unembedding applied to the residual stream). Filled by the engine
// (graph_logit_lens) for the blocks that have run; panels only read it.
struct lens {
    int n_layer, n; // rows: blocks 0 .. n_layer-1; columns: positions 0 .. n-1
    int *top;       // (n_layer, n) the most probable next token, or -1 when not computed
    float *prob;    // (n_layer, n) its probability
};

// Next-token numbers the app keeps beside the pass, for the next-token panel.
struct next_token_aux {
    // (V) the distribution sampling draws from at the last position: softmax(u / tau), cut to
    // top-k / top-p and renormalised; NULL when no sampling setting changes y (greedy, beam
    // search, tau 1 without a cut) or head.logits has not run.
    const float *sampled;
    int kept; // the tokens sampled keeps
    // (N, V) head.probs of the same input without the interventions in force; NULL when none
    // is in force, or while that pass runs (without_pending 1).
    const float *without;
    int without_pending;
    const float *sampled_without; // (V) sampled's counterpart without them, or NULL
    // (V) the distribution pinned with b (what the panel ranked by then: y, or p where
    // sampling changes y), shown beside the one now with the difference; NULL when none is.
    const float *pinned;
    const char *pinned_note; // what was pinned: "y after 'the' (position 8), τ 1.0, …"
};

// What the panels show: the graph and the selection.
struct view {
    const struct graph *graph;
    int row;     // the selected token position
    int layer;   // the selected block
    int head;    // the selected head
    int numbers; // 1: matrices as numbers; 0: as colours
    int product; // 1: at a projection op the main panel shows X · W = Y (panel_product)
    // Inspect cursor: when inspect is 1, the cell (row, col) of the matrix under view is
    // selected; matrix panels draw it in SF_STYLE_SELECTED.
    int inspect;
    int col;
    const struct sampler *sampler;     // sampling settings to show, or NULL
    const struct lens *lens;           // the logit lens so far, or NULL
    const struct beam_search *beams;   // the beams of a beam search under way, or NULL
    const struct next_token_aux *next; // next-token numbers beside the pass, or NULL
    // Training view: the mean loss before the update and after it (NaN until known).
    float loss_before, loss_after;
    // The head view, the model view and the head finder (panel_heads.c).
    int heads_reverse;           // the head view: 1: the queries that attend to the selected token
    int find_query, find_key;    // the finder's positions (find_query -1: nothing asked yet)
    int find_sel;                // the finder's selected rank (0: the first)
    const float *loss_after_pos; // (N) the loss per position after the update, or NULL
    const struct lesson_worked *worked; // lesson mode: the beat's worked example, or NULL
};

// A title bar on the rectangle's first line (CURRENT style when the panel is selected).
void panel_title(struct grid *g, struct rect r, const char *title, int selected);
// The tokens strip: for each position its piece, id and position; the selected token
// highlighted, the later ones (the future it cannot see) dimmed. Scrolls to keep the
// selection in view. Needs 4 lines.
void panel_tokens(struct grid *g, struct rect r, const struct view *v, int selected);
// The position whose column is at screen column x of the strip drawn in r, or -1.
int panel_tokens_hit(struct rect r, const struct view *v, int x);

// The op timeline: the ops around the cursor, one per line, with their output shapes; the
// ops that ran in normal style, the one that ran last highlighted, the ones to come dimmed.
void panel_timeline(struct grid *g, struct rect r, const struct view *v, int selected);

// The attention matrix of the selected layer and head at one stage, the role of an attention
// node: ROLE_ATTN_SCORES (q_i . k_j), ROLE_ATTN_SCALE (/ sqrt(d_k)), ROLE_ATTN_MASK (the
// literal -inf above the diagonal) or ROLE_ATTN_SOFTMAX (alpha).
// Rows are queries, columns keys, both labelled with their tokens; the selected row is
// highlighted. As numbers, or as colour cells (masked entries blank). A stage that has not
// run yet says so.
// With v->head -1, every head of the layer as a small colour map. panel_attention shows the
// stage that ran last in the selected layer (or whose gradient ran last), else the softmax.
void panel_attention_at(struct grid *g, struct rect r, const struct view *v, enum node_role stage,
                        int selected);
void panel_attention(struct grid *g, struct rect r, const struct view *v, int selected);
// The matrix cell (row, col) at screen position (x, y) of the attention panel drawn in r
// (which scrolls to keep the selected row in view); 0 when (x, y) is not on a cell.
int panel_attention_hit(struct rect r, const struct view *v, int x, int y, int *row, int *col);

// The next-token distribution at the selected position: the most probable tokens with their
// logit u and probability y, a bar and the cumulative mass down the list; at the last position
// the distribution sampling draws from when a sampling setting changes it (beside y), and with
// an intervention in force the probability without it. After head.logits or a sample.* op it
// shows that op's output instead (panel_sampling).
void panel_next_token(struct grid *g, struct rect r, const struct view *v, int selected);

// The head and sampling stages (head.logits and the sample.* ops), each as what it computed:
// the logits u with their tokens; u / tau beside u; softmax(u / tau) beside y; the cut with the
// kept tokens marked, the cut line and the kept mass; the renormalised p; the draw (the
// uniform number against the cumulative bins, or the argmax); the appended token. n is the
// stage's node, which has run.
void panel_sampling(struct grid *g, struct rect r, const struct view *v, const struct node *n,
                    int selected);
// The interventions in force on g as a short badge ("L1 h3 off", "L1 all heads off", "no
// positions", joined by ", "; a count when they do not fit in size); "" when none. Returns
// its length.
int panel_intervention_badge(const struct graph *g, char *buf, size_t size);

// A one-line legend of a colour ramp at (x, y), at most w columns: the low end's value, the
// ramp's cells, the high end's value ("-2.1 ▀▀▀▀▀ 2.1"; a sequential ramp runs from 0 to max).
void panel_legend(struct grid *g, int x, int y, int w, enum ramp_kind ramp, float max);
// The same legend with, when masked is 1, the masked cell's look and "masked (−∞)" after it.
void panel_legend_masked(struct grid *g, int x, int y, int w, enum ramp_kind ramp, float max,
                         int masked);
// text fitted into w columns: whole, or abbreviated on purpose at a word boundary with "…"
// (a single word too long for w is cut at a character, with "…"; in two columns or one, its
// first characters: an initial). Returns out.
const char *panel_fit(char *out, size_t size, const char *text, int w);
// text fitted (panel_fit, after the ASCII forms on an ASCII grid) and drawn at (x, y).
// Returns the columns written.
int panel_label(struct grid *g, int x, int y, int w, const char *text, enum sf_style style);
// text from (x, y) in at most `lines` lines of w columns, broken at spaces; the last line takes
// the rest abbreviated at a word (panel_label). Returns the lines used; g NULL: only counts them.
int panel_wrap(struct grid *g, int x, int y, int w, int lines, const char *text, enum sf_style st);
// x in at most w columns with at most `decimals` decimals: fewer decimals, then no leading
// zero (".595"), then an exponent ("1.2e6", "-1e4"); "" when nothing fits (drop it). A
// number is never cut into another number. Returns buf.
const char *panel_fit_number(char *buf, size_t size, double x, int w, int decimals);
// x right-aligned in width columns with a space in front: two decimals, fewer when large.
const char *panel_number(char *buf, size_t size, float x, int width);
// "not computed yet" (or another reason) in the panel's first body line, dimmed.
void panel_pending(struct grid *g, struct rect r, const char *why);

// Tables: a matrix drawn into a rectangle that never crops silently. A header line of column
// labels, row labels on the left, cells of cell_w columns, and an optional column after the
// cells that does not scroll (a row's sum). What does not fit is counted: "← 2" (left of the
// first column shown) and "+3 →" (right of the last) in the header line, with "…" ending each
// row that goes on; "↑ 2 more  rows 3–20 of 64  ↓ 44 more" on the last line. The window
// scrolls so that the inspect cell, the selected row and the kept column are in view, so every
// row and column can be reached by moving the selection.
enum table_kind { TABLE_BLANK, TABLE_NUMBER, TABLE_HEAT, TABLE_TEXT, TABLE_MASKED };

// One cell, as the table's cell function fills it (zeroed before each call).
struct table_cell {
    enum table_kind kind;
    float value;         // NUMBER: right-aligned, never cut (an exponent or "#" when too wide)
    enum sf_style style; // NUMBER, TEXT, MASKED ("-inf" as a number, blank as a colour)
    enum ramp_kind ramp; // HEAT: one colour per cell from this ramp, at level
    int level;
    char text[48]; // TEXT, abbreviated with "…" to the cell
};

struct table {
    int rows, cols;
    int cell_w;  // columns per cell (a number's gap included)
    int label_w; // row labels, a space included (0: none)
    int extra_w; // the column after the cells (0: none), headed extra_head
    int group;   // columns per group (heads side by side): each group's first column is
                 // labelled g0, g1 ... with group_name and bordered with "│" (0: none)
    const char *group_name;
    const char *extra_head;
    int sel_row;          // highlighted row label, kept in view (-1: none)
    int keep_col;         // a column kept in view when no cell is inspected (-1: none)
    int cur_row, cur_col; // the inspect cell: drawn SF_STYLE_SELECTED and kept in view (-1)
    int rows_elsewhere;   // 1: no line of its own for the hidden rows; the caller writes
                          // panel_table_rows somewhere else (a short table's caption)
    const void *ctx;
    void (*row_label)(const void *ctx, int i, char *buf, size_t size);
    void (*col_label)(const void *ctx, int j, char *buf, size_t size); // NULL: the index
    void (*cell)(const void *ctx, int i, int j, struct table_cell *c);
    void (*extra)(const void *ctx, int i, struct table_cell *c);

    int cell_h; // lines per row (0: one)
    // Cells grow to fill the rectangle when every column (or row) fits: up to grow_w columns
    // (at least as wide as the longest column name when there is room) and grow_h lines;
    // colour blocks (blocks 1) no more than four times as wide as tall; row labels as wide as
    // the longest, up to 16 columns. 0: the cells keep their size.
    int grow_w, grow_h, blocks;
};

// What part of the table a rectangle shows, and where.
struct table_window {
    int row0, n_rows, col0, n_cols;
    int label_w;   // the row labels' width: the table's, or less (at least 5) when that
                   // makes every column fit
    int x, y;      // the first cell shown
    int mark_w;    // columns kept at the right for the "+3 →" marker (0: every column shows)
    int rows_line; // 1: the last line counts the rows not shown

    int cell_w, cell_h; // each cell's columns and lines, grown to the rectangle
};

void panel_table_window(struct rect r, const struct table *t, struct table_window *w);
// Draws the table; returns the lines used.
int panel_table(struct grid *g, struct rect r, const struct table *t);
// What the rows not shown are ("↑ 2 more  rows 3–20 of 64  ↓ 44 more"), or "" when every
// row shows in r.
const char *panel_table_rows(char *buf, size_t size, struct rect r, const struct table *t);
// The same count for any list of total rows of which rows first .. first + shown - 1 show, or
// "" when all of them do.
const char *panel_hidden_rows(char *buf, size_t size, int first, int shown, int total);
// The cell (row, col) at screen position (x, y) of the table drawn in r; 0 when none.
int panel_table_hit(struct rect r, const struct table *t, int x, int y, int *row, int *col);

// A float matrix as a table: rows named by their tokens (rows == the input's length) or
// numbered, columns numbered, or named by their token when they are the vocabulary; numbers,
// or colour cells on a ramp scaled to span; -inf masked, and with causal set the cells above
// the diagonal too (after the softmax they are exactly 0). The view's selection: the selected
// row highlighted, the inspect cell marked when inspect is set.
struct table_matrix {
    const struct graph *graph;
    const float *m;     // (rows, cols)
    const float *minus; // NULL, or (rows, cols) that the cells show m less
    int rows, cols;
    int stride;     // elements from one row of m to the next (0: cols); no minus with it
    int transposed; // 1: cell (i, j) is m[j * stride + i] (a matrix stored transposed)
    int numbers, causal, abs_val, sel_row;
    enum ramp_kind ramp;
    float span;
};
// Fills t for mx (cursor: 1 when the view's inspect cell is in this matrix).
void panel_table_matrix(struct table *t, const struct table_matrix *mx, const struct view *v,
                        int cursor);
// The largest finite |x| of n values (a colour scale).
float panel_span(const float *m, size_t n);

// The 2-D matrix of node n's output that the panels show and the inspect cursor moves over:
// the tensor itself, or for per-head tensors (H, N, X) the selected head's slice. Returns 0
// when n has no output.
int panel_matrix(const struct view *v, const struct node *n, const float **m, int *rows, int *cols);

// The equation of the op that ran last in textbook notation with its live shapes (for example
// "Q = X W^Q   [N×d]·[d×d_k] → [N×d_k]"), its explanation and textbook section; with the
// inspect cursor on, how the selected cell's number was computed, with the numbers.
void panel_equation(struct grid *g, struct rect r, const struct view *v, int selected);
// The rows the equation panel needs at width w to show all it has (its title line included).
int panel_equation_height(const struct view *v, int w);

// At a projection (attn.q/k/v, attn.proj, ffn.up/down, head.logits) with v->product set: the
// input X, the weight matrix W (the selected head's columns for Q, K, V) and the output, as
// three labelled matrices with their shapes, "X [N×d] · W^Q [d×d_k] = Q [N×d_k]".
void panel_product(struct grid *g, struct rect r, const struct view *v, int selected);
// 1 when v->product is set and the op that ran last is a projection.
int panel_product_applies(const struct view *v);

// Q, K and V of the selected layer and head side by side (rows: tokens, columns: d_k), and
// the head's output (alpha V) once attn.mix has run.
void panel_qkv(struct grid *g, struct rect r, const struct view *v, int selected);

// LayerNorm statistics of the norm in view (the one that ran last, else the selected
// layer's first): mean and sigma per token, the selected token's values before and after as
// distributions, and gamma and beta.
void panel_layernorm(struct grid *g, struct rect r, const struct view *v, int selected);

// The residual stream: the norm of the stream per position after each sublayer of every
// layer, and what each sublayer added at the selected position.
void panel_residual(struct grid *g, struct rect r, const struct view *v, int selected);

// The FFN of the selected layer: the hidden units before and after the activation for the
// selected token (how many are active, the largest), and what the FFN adds.
void panel_ffn(struct grid *g, struct rect r, const struct view *v, int selected);

// The logit lens: per block (rows) and position (columns) the top next token and its
// probability; blocks not run yet are dimmed.
void panel_logit_lens(struct grid *g, struct rect r, const struct view *v, int selected);

// One training iteration: the loss per position, then at grad.* nodes the gradient as a heat
// map, at adamw.* nodes the update sizes, and the loss before and after the step.
void panel_training(struct grid *g, struct rect r, const struct view *v, int selected);

// The matrix an op with no panel of its own produced, rows named by their tokens: embed.tok
// (each token's row of E), embed.pos (P, then X = E + P), attn.concat (the heads side by side,
// their boundaries marked), attn.proj (the output projection). The op that ran last when it is
// one of these, else the last of them that ran in the selected layer.
void panel_activations(struct grid *g, struct rect r, const struct view *v, int selected);

// One head's N x N attention map (a: after the softmax when probs is 1, else scores) with its
// top-left corner at (x, y): s columns by s half-lines per position, or with f > 1 one cell for
// f x f positions (the largest weight, the mean score); masked cells in the masked look. It
// takes N * s / f columns and (N * s / f + 1) / 2 lines.
void panel_attention_map(struct grid *g, int x, int y, int s, int f, const float *a, int N,
                         int probs, float span);

// The head view of the selected layer: for the selected token, every earlier token with its
// alpha as a bar, for every head side by side (one colour per head, h0 h1 ...); with
// v->heads_reverse, the later tokens that attend to the selected one. Rows and heads that do
// not fit are counted, and the window keeps the selected token in view.
void panel_heads(struct grid *g, struct rect r, const struct view *v, int selected);
// The position of the head view's row at (x, y) of the panel drawn in r (a key, or reversed a
// query), or -1.
int panel_heads_hit(struct rect r, const struct view *v, int x, int y);

// The model view: every layer (rows L0 ...) by every head (columns h0 ...) as a small map of
// its attention after the softmax; the selected layer and head framed. What does not fit
// scrolls to the selection and is counted.
void panel_model(struct grid *g, struct rect r, const struct view *v, int selected);
// The layer and head of the model view's cell at (x, y) of the panel drawn in r; 0 when none.
int panel_model_hit(struct rect r, const struct view *v, int x, int y, int *layer, int *head);

// The head finder: every head of every layer whose softmax has run, ranked by
// alpha(find_query -> find_key), with the numbers and a bar; the selected rank highlighted.
void panel_finder(struct grid *g, struct rect r, const struct view *v, int selected);
// One head of the ranking.
struct finder_rank {
    int layer, head;
    float alpha;
};
// The ranking of alpha(query -> key) over the heads of the layers whose softmax has run in g,
// largest first (ties: lower layer, then lower head), into out (at most max); returns how many
// there are. *missing (when not NULL) gets the number of layers that have not run yet.
int panel_finder_rank(const struct graph *g, int query, int key, struct finder_rank *out, int max,
                      int *missing);
// The rank of the finder's row at (x, y) of the panel drawn in r, or -1.
int panel_finder_hit(struct rect r, const struct view *v, int x, int y);

// A lesson's worked example (v->worked): its inputs, the scores with the causal mask, the
// scaled scores, the softmax weights with each row's sum, and the outputs a_i, as tables side by
// side as room allows; tables that do not fit are counted on the last line. The selected row
// (v->row) is highlighted in every table. Without an example it says so.
void panel_worked(struct grid *g, struct rect r, const struct view *v, int selected);

#endif
