// Shared test helpers: data paths, float comparisons that report the caller's line, .npy reading.
#ifndef STEPFORMER_TEST_HELPERS_H
#define STEPFORMER_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct app;
struct model;

// What a command function (cmd_trace, cmd_check, ...) did: its status and what it wrote.
struct run {
    int status;
    char *out, *err;
    size_t out_len, err_len;
};
// Runs a command function with arguments given as a NULL-terminated list.
struct run run_cmd(int (*cmd)(int, char **, FILE *, FILE *), ...);
void run_free(struct run *r);

// The whole file at path, NUL-terminated, into a malloc'd buffer (*len: its size; len may be
// NULL). Fails the test when it cannot be read.
char *test_slurp(const char *path, size_t *len);

// Path of a file in tests/data (SF_TEST_DATA), in a static-free caller buffer.
const char *test_data_path(char *buf, size_t size, const char *name);
// Path of a scratch file in the build directory (SF_TEST_TMP).
const char *test_tmp_path(char *buf, size_t size, const char *name);
// Path of a scratch directory in the build directory, emptied (made anew) for the caller.
const char *test_fresh_dir(char *buf, size_t size, const char *name);
// Writes the small training text the training tests use: 200 sentences of the chapter.
void test_write_keys_text(const char *path);

// Fails the test at the caller's file:line when any |a[i] - b[i]| > atol + rtol * |b[i]|,
// printing the first offending index and both values. Infinities must match exactly.
void test_assert_close_at(const float *a, const float *b, size_t n, double atol, double rtol,
                          const char *what, const char *file, int line);
#define assert_close(a, b, n, atol, rtol, what)                                                    \
    test_assert_close_at((a), (b), (n), (atol), (rtol), (what), __FILE__, __LINE__)

// Sums of products (matrix products, dot products) computed in float32 in any order, blocked,
// with fused multiply-adds or split over threads, lie within gamma_n * sum_k |a_k b_k| of the
// exact sum, where n counts the terms and gamma_n = n u / (1 - n u), u = 2^-24 (Higham,
// "Accuracy and Stability of Numerical Algorithms", 2nd ed., section 3.1). Two such results
// (two BLAS kernels, a batch and its parts, fast and reference twins) are within twice that.
// Fails at the caller's line when |x[i] - y[i]| > 2 gamma_terms mag[i] for some i, where mag[i]
// is sum_k |a_k b_k| (plus |bias|, counted as one more term) of element i.
void test_assert_sums_close_at(const float *x, const float *y, const double *mag, size_t n,
                               int terms, const char *what, const char *file, int line);
#define assert_sums_close(x, y, mag, n, terms, what)                                               \
    test_assert_sums_close_at((x), (y), (mag), (n), (terms), (what), __FILE__, __LINE__)
// mag (batch, M, N) = |A| (batch, M, K) |B| (batch, K, N) + |bias| (N) in double, one product
// per batch entry (per head), for assert_sums_close; B is read as (N, K) when
// b_rows_are_columns (S = Q K^T, u = h E^T). bias may be NULL. Returns a malloc'd array.
double *test_abs_product(const float *A, const float *B, const float *bias, int batch, int M, int K,
                         int N, int b_rows_are_columns);

struct model_config;
struct tensor;

// Tensors for kernel tests, from one arena and one seeded generator that the helpers own;
// pass these as the cmocka group setup and teardown.
int test_tensors_setup(void **state);
int test_tensors_teardown(void **state);
// N(0, scale) values; shape (d0[, d1[, d2]]) by ndim.
struct tensor test_randn(int ndim, int d0, int d1, int d2, float scale);
struct tensor test_zeros(int ndim, int d0, int d1, int d2);
struct tensor test_zeros_like(const struct tensor *x);
// Presses the keys of text on the app, one character each.
void test_keys(struct app *a, const char *text);
// Ticks the app until its long move ends (and fails when it never does).
void test_finish(struct app *a);
// The shipped textbook model's path ($SF_ASSETS/models/textbook.sfm), set by
// test_setup_model_path, the cmocka group setup of the tests that open the app on it.
extern char test_model_path[600];
int test_setup_model_path(void **state);
// 1 when models a and b (same configuration) hold the same parameters bit for bit, wherever
// each keeps them (its block or a file mapping); else 0 with the first differing tensor's name
// in where.
int test_params_equal(const struct model *a, const struct model *b, char *where, size_t size);
#define assert_params_equal(a, b)                                                                  \
    do {                                                                                           \
        char where_[48];                                                                           \
        if (!test_params_equal(a, b, where_, sizeof where_))                                       \
            fail_msg("the parameters differ at %s", where_);                                       \
    } while (0)
// Calls fn once for each of the 96 combinations of the model switches (norm placement, final
// norm, positions, activation, biases, tying) applied to a copy of base. Returns the count.
int test_for_each_switch(const struct model_config *base,
                         void (*fn)(struct model_config *c, void *ctx), void *ctx);
// Describes the switches of c ("norm=pre final=1 pos=0 act=relu bias=1 tied=1").
const char *test_switches_str(const struct model_config *c, char *buf, size_t size);

// The llm.c golden of tests/data (tests/tools/make_golden.py): the ids of gpt2_tiny_ids.npy
// into ids (at most max) and the float64 logits of gpt2_tiny_logits.npy (n x V, malloc'd;
// checked to be n x V) with their largest magnitude. Returns n.
int test_llmc_golden(int *ids, int max, int V, double **logits, double *max_abs);
// Reads a little-endian .npy of dtype <f4, <f8 or <i8 (C order) into a malloc'd double array.
// Returns the element count and fills shape/ndim, or -1 on any error.
long test_read_npy(const char *path, double **data, int *shape, int *ndim);

struct grid;
struct screen_state;
// Draws the app's screen at w x h into g (made here; the caller frees it), with what it drew
// in s.
void test_draw_app(struct app *a, int w, int h, struct grid *g, struct screen_state *s);
// Compares the grid's text with tests/golden/NAME, or writes it when SF_UPDATE_GOLDEN is set;
// either way the screen must not show a negative zero.
void test_check_golden(const struct grid *g, const char *name);
// Fails at the caller's line when the grid shows a number that prints as a negative zero
// ("-0.00", "-0", "-0.0e+00"), naming the line; `what` says which screen.
void test_assert_no_negative_zero_at(const struct grid *g, const char *what, const char *file,
                                     int line);
#define assert_no_negative_zero(g, what)                                                           \
    test_assert_no_negative_zero_at((g), (what), __FILE__, __LINE__)
// The whole grid as text, a line per row (export_text, the golden form); the caller frees it.
char *test_grid_text(const struct grid *g);
// The text of grid row y as UTF-8 into buf (trailing spaces kept). Returns buf.
const char *test_row_text(const struct grid *g, int y, char *buf, size_t size);

// The RGB of xterm colour c (0..255) into rgb[3], as the SVG pictures take it
// (export_xterm_rgb); fails for a number that is no xterm colour.
void test_xterm_rgb(int c, int rgb[3]);
// WCAG 2 relative luminance of xterm colour c (0 black .. 1 white), and the contrast ratio
// (L1 + 0.05) / (L2 + 0.05) of two colours, the lighter over the darker (1 .. 21).
double test_xterm_luminance(int c);
double test_contrast(int c1, int c2);

#endif
