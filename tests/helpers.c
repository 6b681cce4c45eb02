// Shared test helpers: data paths, float comparisons that report the caller's line, .npy reading.
#include "helpers.h"

#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stepformer/app.h"
#include "stepformer/arena.h"
#include "stepformer/export.h"
#include "stepformer/grid.h"
#include "stepformer/model.h"
#include "stepformer/rng.h"
#include "stepformer/screen.h"
#include "stepformer/tensor.h"
#include "stepformer/utf8.h"

static const char *env_dir(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    return (v && *v) ? v : fallback;
}

struct run run_cmd(int (*cmd)(int, char **, FILE *, FILE *), ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, cmd);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    struct run r = {0};
    FILE *out = open_memstream(&r.out, &r.out_len);
    FILE *err = open_memstream(&r.err, &r.err_len);
    r.status = cmd(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

const char *test_data_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", env_dir("SF_TEST_DATA", "tests/data"), name);
    return buf;
}

const char *test_tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", env_dir("SF_TEST_TMP", "."), name);
    return buf;
}

const char *test_fresh_dir(char *buf, size_t size, const char *name)
{
    char cmd[1400];
    test_tmp_path(buf, size, name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (system(cmd) != 0)
        fail_msg("cannot make the scratch directory %s", buf);
    return buf;
}

void test_write_keys_text(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs(i % 3 ? "the keys to the cabinet are on the table . "
                    : "so long and thanks for all the fish . ",
              f);
    fclose(f);
}

void test_assert_close_at(const float *a, const float *b, size_t n, double atol, double rtol,
                          const char *what, const char *file, int line)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i], y = b[i];
        int ok;
        if (isinf(x) || isinf(y))
            ok = x == y;
        else
            ok = !isnan(x) && !isnan(y) && fabs(x - y) <= atol + rtol * fabs(y);
        if (!ok) {
            print_error("%s: element %zu differs: %.9g vs %.9g (atol %g, rtol %g)\n", what, i, x, y,
                        atol, rtol);
            _fail(file, line);
        }
    }
}

void test_assert_sums_close_at(const float *x, const float *y, const double *mag, size_t n,
                               int terms, const char *what, const char *file, int line)
{
    const double u = ldexp(1.0, -24), gamma = terms * u / (1 - terms * u);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)x[i] - (double)y[i]), tol = 2 * gamma * mag[i];
        if (!(d <= tol)) {
            print_error("%s: element %zu differs: %.9g vs %.9g, by %.3g; two float sums of %d "
                        "products may differ by at most %.3g\n",
                        what, i, (double)x[i], (double)y[i], d, terms, tol);
            _fail(file, line);
        }
    }
}

double *test_abs_product(const float *A, const float *B, const float *bias, int batch, int M, int K,
                         int N, int b_rows_are_columns)
{
    double *mag = malloc(sizeof(double) * (size_t)batch * (size_t)M * (size_t)N);
    assert_non_null(mag);
    for (int h = 0; h < batch; h++) {
        const float *a = A + (size_t)h * M * K, *b = B + (size_t)h * K * N;
        double *out = mag + (size_t)h * M * N;
        for (int m = 0; m < M; m++)
            for (int j = 0; j < N; j++) {
                double s = bias ? fabs((double)bias[j]) : 0;
                for (int k = 0; k < K; k++) {
                    float bk = b_rows_are_columns ? b[(size_t)j * K + k] : b[(size_t)k * N + j];
                    s += fabs((double)a[(size_t)m * K + k] * bk);
                }
                out[(size_t)m * N + j] = s;
            }
    }
    return mag;
}

long test_read_npy(const char *path, double **data, int *shape, int *ndim)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char pre[10];
    long count = -1;
    char *hdr = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1)
        goto out;
    size_t hlen = pre[8] | (pre[9] << 8);
    hdr = calloc(1, hlen + 1);
    if (!hdr || fread(hdr, 1, hlen, f) != hlen)
        goto out;
    int f8 = strstr(hdr, "'<f8'") != NULL, i8 = strstr(hdr, "'<i8'") != NULL;
    if (!f8 && !i8 && !strstr(hdr, "'<f4'"))
        goto out;
    if (strstr(hdr, "'fortran_order': True"))
        goto out;
    const char *p = strstr(hdr, "'shape': (");
    if (!p)
        goto out;
    p += strlen("'shape': (");
    *ndim = 0;
    count = 1;
    while (*p && *p != ')') {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        shape[(*ndim)++] = (int)v;
        count *= v;
        p = end;
        while (*p == ',' || *p == ' ')
            p++;
    }
    *data = malloc(sizeof(double) * (size_t)(count ? count : 1));
    for (long i = 0; i < count; i++) {
        if (i8) {
            int64_t v;
            if (fread(&v, 8, 1, f) != 1)
                goto fail;
            (*data)[i] = (double)v;
        } else if (f8) {
            double v;
            if (fread(&v, 8, 1, f) != 1)
                goto fail;
            (*data)[i] = v;
        } else {
            float v;
            if (fread(&v, 4, 1, f) != 1)
                goto fail;
            (*data)[i] = v;
        }
    }
    goto out;
fail:
    free(*data);
    *data = NULL;
    count = -1;
out:
    free(hdr);
    fclose(f);
    return count;
}

void test_keys(struct app *a, const char *text)
{
    for (const char *p = text; *p; p++)
        app_key(a, *p);
}

void test_finish(struct app *a)
{
    for (int i = 0; i < 100000 && app_busy(a); i++)
        app_tick(a, 50);
    assert_false(app_busy(a));
}

char test_model_path[600];

int test_setup_model_path(void **state)
{
    (void)state;
    const char *assets = getenv("SF_ASSETS");
    snprintf(test_model_path, sizeof test_model_path, "%s/models/textbook.sfm",
             assets ? assets : "assets");
    return 0;
}

int test_llmc_golden(int *ids, int max, int V, double **logits, double *max_abs)
{
    char path[512];
    double *gids = NULL;
    int shape[4], ndim;
    long n =
        test_read_npy(test_data_path(path, sizeof path, "gpt2_tiny_ids.npy"), &gids, shape, &ndim);
    assert_true(n > 0 && n <= max);
    for (long i = 0; i < n; i++)
        ids[i] = (int)gids[i];
    free(gids);
    long nl = test_read_npy(test_data_path(path, sizeof path, "gpt2_tiny_logits.npy"), logits,
                            shape, &ndim);
    assert_int_equal(nl, n * V);
    *max_abs = 0;
    for (long i = 0; i < nl; i++)
        *max_abs = fmax(*max_abs, fabs((*logits)[i]));
    return (int)n;
}

int test_params_equal(const struct model *a, const struct model *b, char *where, size_t size)
{
    struct param_ref ra[1024], rb[1024];
    int na = model_params((struct model *)a, ra, 1024),
        nb = model_params((struct model *)b, rb, 1024);
    assert_true(na <= 1024);
    snprintf(where, size, "the parameter count (%d and %d tensors)", na, nb);
    if (na != nb)
        return 0;
    for (int i = 0; i < na; i++) {
        snprintf(where, size, "%s", ra[i].name);
        if (strcmp(ra[i].name, rb[i].name) != 0 || !tensor_same_shape(ra[i].t, rb[i].t) ||
            memcmp(ra[i].t->data, rb[i].t->data, tensor_numel(ra[i].t) * sizeof(float)) != 0)
            return 0;
    }
    return 1;
}

int test_for_each_switch(const struct model_config *base,
                         void (*fn)(struct model_config *c, void *ctx), void *ctx)
{
    int count = 0;
    for (int norm = 0; norm < 2; norm++)
        for (int fin = 0; fin < 2; fin++)
            for (int pos = 0; pos < 3; pos++)
                for (int act = 0; act < 2; act++)
                    for (int bias = 0; bias < 2; bias++)
                        for (int tied = 0; tied < 2; tied++) {
                            struct model_config c = *base;
                            c.norm = (enum norm_place)norm;
                            c.final_norm = fin;
                            c.pos = (enum pos_kind)pos;
                            c.act = (enum act_kind)act;
                            c.bias = bias;
                            c.tied = tied;
                            fn(&c, ctx);
                            count++;
                        }
    return count;
}

const char *test_switches_str(const struct model_config *c, char *buf, size_t size)
{
    snprintf(buf, size, "norm=%s final=%d pos=%d act=%s bias=%d tied=%d",
             c->norm == NORM_POST ? "post" : "pre", c->final_norm, (int)c->pos,
             c->act == ACT_GELU ? "gelu" : "relu", c->bias, c->tied);
    return buf;
}

// The kernel tests' tensors; test-only state, reset by test_tensors_begin.
static struct arena test_arena;
static struct rng test_rng;

int test_tensors_setup(void **state)
{
    (void)state;
    arena_init(&test_arena, 1 << 20);
    rng_seed(&test_rng, 2024);
    return 0;
}

int test_tensors_teardown(void **state)
{
    (void)state;
    arena_free(&test_arena);
    return 0;
}

struct tensor test_zeros(int ndim, int d0, int d1, int d2)
{
    struct tensor t;
    int shape[3] = {d0, d1, d2};
    assert_int_equal(tensor_alloc(&t, &test_arena, ndim, shape), 0);
    return t;
}

struct tensor test_randn(int ndim, int d0, int d1, int d2, float scale)
{
    struct tensor t = test_zeros(ndim, d0, d1, d2);
    for (size_t i = 0; i < tensor_numel(&t); i++)
        t.data[i] = scale * rng_normal(&test_rng);
    return t;
}

struct tensor test_zeros_like(const struct tensor *x)
{
    struct tensor t;
    assert_int_equal(tensor_alloc(&t, &test_arena, x->ndim, x->shape), 0);
    return t;
}

// Line k (from 0) of text: its start and length, or NULL past the end.
static const char *nth_line(const char *text, size_t len, int k, size_t *n)
{
    const char *p = text, *end = text + len;
    for (; k > 0 && p < end; k--) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    if (p >= end)
        return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *n = (size_t)((nl ? nl : end) - p);
    return p;
}

// Prints where the screen differs from the golden text, before anything else the failure
// brings (a sanitizer's leak report after the test longjmps out, say): the first differing
// lines, expected then got, and how many lines differ. The whole screen goes to a file.
static void report_golden_mismatch(const char *name, const char *path, const char *want,
                                   size_t want_len, const char *got, size_t got_len)
{
    char got_path[700];
    test_tmp_path(got_path, sizeof got_path, "");
    size_t k = strlen(got_path);
    snprintf(got_path + k, sizeof got_path - k, "%s.got", name);
    FILE *f = fopen(got_path, "wb");
    if (f) {
        fwrite(got, 1, got_len, f);
        fclose(f);
    }
    int shown = 0, differ = 0;
    fprintf(stdout, "golden screen %s differs from %s:\n", name, path);
    for (int line = 0;; line++) {
        size_t wn = 0, gn = 0;
        const char *w = nth_line(want, want_len, line, &wn), *g = nth_line(got, got_len, line, &gn);
        if (!w && !g)
            break;
        if (w && g && wn == gn && memcmp(w, g, wn) == 0)
            continue;
        differ++;
        if (shown++ < 3)
            fprintf(stdout, "  line %d\n    expected |%.*s|\n    got      |%.*s|\n", line + 1,
                    w ? (int)wn : 0, w ? w : "", g ? (int)gn : 0, g ? g : "");
    }
    fprintf(stdout, "  %d line(s) differ; the whole screen as drawn: %s\n", differ,
            f ? got_path : "(could not be written)");
    fprintf(stdout, "  (SF_UPDATE_GOLDEN=1 rewrites the golden files)\n");
    fflush(stdout);
}

// The offset of the first number in text that prints as a negative zero, or -1: a '-' that
// does not follow a letter or digit, then zeros with an optional point and more zeros, then
// no other digit.
static long find_negative_zero(const char *text, size_t len)
{
    for (size_t p = 0; p + 1 < len; p++) {
        if (text[p] != '-' || text[p + 1] != '0')
            continue;
        if (p > 0 && (isalnum((unsigned char)text[p - 1]) || text[p - 1] == '_'))
            continue;
        size_t q = p + 1;
        while (q < len && text[q] == '0')
            q++;
        if (q < len && text[q] == '.')
            for (q++; q < len && text[q] == '0'; q++)
                ;
        if (q < len && isdigit((unsigned char)text[q]))
            continue;
        return (long)p;
    }
    return -1;
}

void test_draw_app(struct app *a, int w, int h, struct grid *g, struct screen_state *s)
{
    assert_int_equal(grid_init(g, w, h), 0);
    a->width = w;
    a->height = h;
    app_screen(a, s);
    screen_draw(g, s);
}

char *test_grid_text(const struct grid *g)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(export_text(f, g), 0); // the program's text export: the golden form
    fclose(f);
    return text;
}

void test_assert_no_negative_zero_at(const struct grid *g, const char *what, const char *file,
                                     int line)
{
    char *text = test_grid_text(g);
    size_t len = strlen(text);
    long at = find_negative_zero(text, len);
    if (at >= 0) {
        const char *start = text + at;
        while (start > text && start[-1] != '\n')
            start--;
        const char *end = strchr(text + at, '\n');
        int row = 1;
        for (const char *c = text; c < start; c++)
            row += *c == '\n';
        print_error("%s: line %d shows a negative zero:\n|%.*s|\n", what, row,
                    (int)((end ? end : text + len) - start), start);
        free(text);
        _fail(file, line);
        return;
    }
    free(text);
}

// After a golden mismatch the program ends as soon as cmocka is done, before a sanitizer's
// leak check (whose report of what the failed test could not free would bury the difference
// in the log). Registered at the first mismatch, so it runs before the leak check's handler.
static void exit_after_golden_mismatch(void)
{
    fflush(stdout);
    fflush(stderr);
    _exit(1);
}

// Compares the grid's text with tests/golden/NAME (or writes it under SF_UPDATE_GOLDEN).
void test_check_golden(const struct grid *g, const char *name)
{
    char path[600];
    assert_no_negative_zero(g, name);
    char *text = test_grid_text(g);
    size_t len = strlen(text);
    FILE *f;
    const char *dir = getenv("SF_TEST_DATA");
    snprintf(path, sizeof path, "%s/../golden/%s", dir ? dir : "tests/data", name);
    if (getenv("SF_UPDATE_GOLDEN")) {
        f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(text, 1, len, f);
        fclose(f);
        free(text);
        return;
    }
    f = fopen(path, "rb");
    if (!f) {
        free(text);
        fail_msg("%s is missing: run the tests with SF_UPDATE_GOLDEN=1 once", path);
    }
    char *want = NULL;
    size_t want_len = 0;
    FILE *w = open_memstream(&want, &want_len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, w);
    fclose(f);
    fclose(w);
    int same = want_len == len && memcmp(want, text, len) == 0;
    static int exit_registered;
    if (!same) {
        report_golden_mismatch(name, path, want, want_len, text, len);
        if (!exit_registered)
            exit_registered = atexit(exit_after_golden_mismatch) == 0;
    }
    free(want);
    free(text);
    if (!same)
        fail_msg("golden screen %s differs (see above)", name);
}

const char *test_row_text(const struct grid *g, int y, char *buf, size_t size)
{
    size_t o = 0;
    for (int x = 0; x < g->w && o + 5 < size; x++)
        o += (size_t)utf8_encode(g->cells[(size_t)y * g->w + x].cp, buf + o);
    buf[o] = 0;
    return buf;
}

void test_xterm_rgb(int c, int rgb[3])
{
    assert_true(c >= 0 && c <= 255);
    export_xterm_rgb(c, rgb);
}

double test_xterm_luminance(int c)
{
    int rgb[3];
    test_xterm_rgb(c, rgb);
    double lin[3];
    for (int k = 0; k < 3; k++) { // sRGB to linear light
        double v = rgb[k] / 255.0;
        lin[k] = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
    }
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

double test_contrast(int c1, int c2)
{
    double l1 = test_xterm_luminance(c1), l2 = test_xterm_luminance(c2);
    return l1 > l2 ? (l1 + 0.05) / (l2 + 0.05) : (l2 + 0.05) / (l1 + 0.05);
}
