// `stepformer bench`: median timings of the hot paths on models made in memory, and the peak
// memory. A benchmark to read, not a timed test.
#include "stepformer/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app_priv.h"
#include "stepformer/graph.h"
#include "stepformer/hf.h"
#include "stepformer/learn.h"
#include "stepformer/rng.h"
#include "stepformer/screen.h"
#include "stepformer/train.h"
#include "stepformer/clock.h"

static const char bench_usage[] =
    "usage: stepformer bench [--runs N] [--only tiny|gpt2|train|lessons|hf|learn]\n"
    "\n"
    "Times the forward pass over 64 tokens (every node of the op graph, fast kernels) on\n"
    "  tiny  the textbook block: 2 layers, 4 heads, d 64, vocabulary 512, context 128\n"
    "  gpt2  GPT-2 small's shape: 12 layers, 12 heads, d 768, vocabulary 50257, context 1024\n"
    "with seeded random weights made in memory, and training steps (forward, loss, backward,\n"
    "AdamW) of a GPT-2-shaped model (4 layers, 4 heads, d 128, vocabulary 512, context 128)\n"
    "at B = 4, T = 64, and in lesson mode the slowest move between beats: going back from\n"
    "the last beat of each shipped lesson replays its script from the start.\n"
    "Screen lines: the step-through screen and the presenter view drawn at 200 x 60.\n"
    "hf: GPT-2 small's shape written as a Hugging Face folder (F32, about 550 MB, in $TMPDIR\n"
    "  or /tmp, removed after), opened in a fresh process each run (at most 5): the time to the\n"
    "  first screen and the resident memory (VmRSS, peak VmHWM) against the weights' size.\n"
    "Each forward and training line is timed with one BLAS thread and with the default count,\n"
    "next to the library's floor: the same matrix products (cblas_sgemm calls, recorded from\n"
    "one pass) run back to back on the same weights, and the ratio. A training step is also\n"
    "split into products, the other kernels, AdamW and the graph's own overhead.\n"
    "learn: the learn view of the screen against the training loop of stepformer train\n"
    "  with the same settings: steps per second (--runs N steps, at least 100).\n"
    "It reports medians and the peak memory.\n"
    "Thread count: OPENBLAS_NUM_THREADS (default: one per core).\n";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct bench_case {
    const char *name;
    int n_layer, n_head, d_model, vocab, n_ctx, gelu;
};

static const struct bench_case bench_cases[] = {
    {"tiny", 2, 4, 64, 512, 128, 0},
    {"gpt2", 12, 12, 768, 50257, 1024, 1},
};

#define BENCH_TOKENS 64

// What the step-through screen costs on this model: drawing a whole 200 x 60 screen with every
// op computed, and each step (the op, then the screen with it) from the start of the pass.
static int bench_screen(const struct bench_case *bc, struct graph *g, int runs, FILE *out)
{
    struct grid grid;
    int rc = grid_init(&grid, 200, 60);
    double *draw = calloc((size_t)runs, sizeof *draw);
    double *step = calloc((size_t)g->n_nodes, sizeof *step);
    if (rc || !draw || !step) {
        grid_free(&grid);
        free(draw);
        free(step);
        return rc ? rc : SF_ERR_NOMEM;
    }
    struct screen_state s = {0};
    s.view = (struct view){.graph = g, .row = g->n_tokens - 1, .numbers = 1};
    s.zoom = s.overlay_cursor = -1;
    for (int i = -1; i < runs; i++) {
        s.main = layout_focus(graph_last(g));
        s.selected = (int)s.main;
        screen_layout(&s, grid.w, grid.h);
        double t0 = (sf_now_ms() / 1e3);
        screen_draw(&grid, &s);
        if (i >= 0)
            draw[i] = (sf_now_ms() / 1e3) - t0;
    }
    graph_invalidate(g, 0);
    int worst = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        double t0 = (sf_now_ms() / 1e3);
        rc = graph_step(g);
        const struct node *last = graph_last(g);
        s.main = layout_focus(last);
        s.selected = (int)s.main;
        s.view.layer = last->layer >= 0 ? last->layer : s.view.layer;
        screen_layout(&s, grid.w, grid.h);
        screen_draw(&grid, &s);
        step[i] = (sf_now_ms() / 1e3) - t0;
        worst = step[i] > step[worst] ? i : worst;
        if (rc < 0)
            break;
    }
    double step_worst = step[worst];
    const char *worst_name = g->nodes[worst].name;
    if (rc >= 0)
        fprintf(out,
                "screen  %-5s 200x60 draw median %6.3f ms;  step + draw median %6.3f ms, "
                "max %6.2f ms (%s)\n",
                bc->name, median(draw, runs) * 1e3, median(step, g->n_nodes) * 1e3,
                step_worst * 1e3, worst_name);
    grid_free(&grid);
    free(draw);
    free(step);
    return rc < 0 ? rc : 0;
}

// What the presenter view costs (the screen a class sees on a projector): laying out and
// drawing the whole 200 x 60 screen, one large panel and the equation below it, for every op of
// the computed pass (the cursor moves back over them: nothing is recomputed).
static int bench_present(const struct bench_case *bc, struct graph *g, FILE *out)
{
    struct grid grid;
    int rc = grid_init(&grid, 200, 60), n = 0, worst = 0;
    double *draw = calloc((size_t)g->n_nodes, sizeof *draw);
    const char **names = calloc((size_t)g->n_nodes, sizeof *names);
    if (rc || !draw || !names) {
        grid_free(&grid);
        free(draw);
        free(names);
        return rc ? rc : SF_ERR_NOMEM;
    }
    struct screen_state s = {0};
    s.view = (struct view){.graph = g, .row = g->n_tokens - 1, .numbers = 1};
    s.zoom = s.overlay_cursor = -1;
    s.present = 1;
    s.keys = "presenting: F or Esc leaves  PgDn/PgUp step  ? help  q quit ";
    for (int i = -1; n < g->n_nodes; i++) { // the first draw warms the caches, untimed
        const struct node *last = graph_last(g);
        if (!last)
            break;
        s.main = layout_focus(last);
        s.selected = (int)s.main;
        s.view.layer = last->layer >= 0 ? last->layer : s.view.layer;
        double t0 = (sf_now_ms() / 1e3);
        screen_layout(&s, grid.w, grid.h);
        screen_draw(&grid, &s);
        double t = (sf_now_ms() / 1e3) - t0;
        if (i < 0)
            continue;
        names[n] = last->name;
        draw[n] = t;
        worst = t > draw[worst] ? n : worst;
        n++;
        if (graph_back(g) <= 0)
            break;
    }
    if (n > 0) {
        double worst_t = draw[worst];
        const char *worst_name = names[worst];
        fprintf(out,
                "present %-5s 200x60 layout + draw median %6.3f ms over %d ops, max %6.3f ms "
                "(%s)\n",
                bc->name, median(draw, n) * 1e3, n, worst_t * 1e3, worst_name);
    }
    grid_free(&grid);
    free(draw);
    free(names);
    return 0;
}

#define BENCH_MAX_PRODUCTS 65536

// The forward's matrix products, recorded from one pass, run again back to back `runs` times
// (the weights as cold as in the pass: GPT-2's do not fit in any cache): the median seconds,
// the library's floor for the pass. *count gets the number of products.
static double product_floor(struct graph *g, int runs, int *count)
{
    struct sgemm_log log = {calloc(BENCH_MAX_PRODUCTS, sizeof(struct sgemm_call)),
                            BENCH_MAX_PRODUCTS, 0, 0, 0};
    double *t = calloc((size_t)runs, sizeof *t), med = 0;
    if (log.calls && t) {
        graph_invalidate(g, 0);
        ops_sgemm_log(&log);
        graph_run_to_end(g);
        ops_sgemm_log(NULL);
        const struct model *m = g->model;
        ops_sgemm_replay(&log, m->block, m->n_block); // warm, like the pass timed
        for (int i = 0; i < runs; i++)
            t[i] = ops_sgemm_replay(&log, m->block, m->n_block);
        med = median(t, runs);
    }
    *count = log.n;
    free(log.calls);
    free(t);
    return med;
}

// Times the forward pass with the BLAS library's current thread count, and its floor; prints
// one line. Returns 0 or an error status.
static int time_forward(const struct bench_case *bc, struct graph *g, int runs, double build,
                        FILE *out)
{
    double *times = calloc((size_t)runs, sizeof *times);
    if (!times)
        return SF_ERR_NOMEM;
    // One untimed pass warms the caches and the BLAS thread pool.
    for (int i = -1; i < runs; i++) {
        graph_invalidate(g, 0);
        double t0 = sf_now_ms() / 1e3;
        int rc = graph_run_to_end(g);
        double t = sf_now_ms() / 1e3 - t0;
        if (rc < 0) {
            free(times);
            return rc;
        }
        if (i >= 0)
            times[i] = t;
    }
    double lo = times[0], hi = times[0];
    for (int i = 1; i < runs; i++) {
        lo = times[i] < lo ? times[i] : lo;
        hi = times[i] > hi ? times[i] : hi;
    }
    double med = median(times, runs);
    int products = 0;
    double floor_s = product_floor(g, runs, &products);
    fprintf(out,
            "forward %-5s L=%-2d H=%-2d d=%-4d V=%-5d N=%d  %6zu k params  nodes %4d  "
            "median %8.3f ms  (min %.3f, max %.3f, %d runs; graph build %.2f ms)\n"
            "        %-5s BLAS threads %d: library floor %.3f ms (its %d products back to back)"
            ";  %.2fx the floor\n",
            bc->name, bc->n_layer, bc->n_head, bc->d_model, bc->vocab, BENCH_TOKENS,
            g->model->n_params / 1000, g->n_nodes, med * 1e3, lo * 1e3, hi * 1e3, runs, build * 1e3,
            bc->name, ops_blas_threads(), floor_s * 1e3, products,
            floor_s > 0 ? med / floor_s : 0.0);
    free(times);
    return 0;
}

// Times the forward pass of one case with one BLAS thread and with the library's default
// count (when that is more), each against its floor, then the screens. Returns 0 or an error
// status.
static int bench_forward(const struct bench_case *bc, int runs, FILE *out, FILE *err)
{
    struct model_config cfg;
    if (bc->gelu)
        model_config_gpt2(&cfg, bc->n_layer, bc->n_head, bc->d_model, bc->vocab, bc->n_ctx);
    else
        model_config_textbook(&cfg, bc->n_layer, bc->n_head, bc->d_model, bc->vocab, bc->n_ctx);
    struct model m = {0};
    struct graph g = {0};
    struct sf_diag d;
    char buf[SF_MSG_MAX];
    sf_diag_clear(&d);
    int rc = model_init(&m, &cfg, &d);
    if (rc)
        goto fail;
    model_init_random(&m, 1234);
    int ids[BENCH_TOKENS];
    struct rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < BENCH_TOKENS; i++)
        ids[i] = (int)(rng_u64(&r) % (uint64_t)bc->vocab);
    double t0 = (sf_now_ms() / 1e3);
    rc = graph_build(&g, &m, ids, BENCH_TOKENS, OP_IMPL_FAST, &d);
    double build = (sf_now_ms() / 1e3) - t0;
    if (rc)
        goto fail;
    int threads = ops_blas_threads();
    if (threads > 1) {
        ops_blas_set_threads(1);
        rc = time_forward(bc, &g, runs, build, out);
        ops_blas_set_threads(threads);
    }
    if (!rc)
        rc = time_forward(bc, &g, runs, build, out);
    if (!rc)
        rc = bench_screen(bc, &g, runs, out);
    if (!rc)
        rc = bench_present(bc, &g, out);
    if (rc)
        goto fail;
    graph_free(&g);
    model_free(&m);
    return 0;
fail:
    if (!d.msg[0])
        sf_diag_set(&d, rc, NULL, 0, 0, "%s", sf_strerror(rc));
    fprintf(err, "stepformer: bench %s: %s\n", bc->name, sf_diag_format(&d, buf, sizeof buf));
    graph_free(&g);
    model_free(&m);
    return rc;
}

// Where a training step's time goes: the observer sees each node as it finishes.
struct step_profile {
    double last;         // when the previous node finished (seconds)
    double nodes, adamw; // seconds in all nodes, in the AdamW nodes
};

static void profile_node(const struct graph *g, const struct node *n, void *user)
{
    (void)g;
    struct step_profile *p = user;
    double now = sf_now_ms() / 1e3, dt = now - p->last;
    p->nodes += dt;
    if (n->role == ROLE_ADAMW)
        p->adamw += dt;
    p->last = now;
}

// Random tokens for one batch.
static void random_batch(struct rng *r, int *in, int *tg, int n, int V)
{
    for (int k = 0; k < n; k++) {
        in[k] = (int)(rng_u64(r) % (uint64_t)V);
        tg[k] = (int)(rng_u64(r) % (uint64_t)V);
    }
}

// Times `runs` training steps with the current BLAS thread count: the median step, its floor
// (the step's products back to back), and the shares of products, the other kernels, AdamW and
// the graph's own overhead (from one profiled step). Prints two lines.
static int time_train(struct trainer *t, int runs, FILE *out, struct sf_diag *d)
{
    enum { B = 4, T = 64, V = 512 };
    int in[B * T], tg[B * T], rc = SF_OK;
    double *times = calloc((size_t)runs, sizeof *times);
    struct rng r;
    rng_seed(&r, 7);
    for (int i = -3; !rc && i < runs; i++) { // three untimed warm-up steps
        random_batch(&r, in, tg, B * T, V);
        float loss;
        double t0 = (sf_now_ms() / 1e3);
        rc = trainer_step(t, in, tg, &loss, d);
        if (i >= 0 && times)
            times[i] = (sf_now_ms() / 1e3) - t0;
    }
    struct sgemm_log log = {calloc(BENCH_MAX_PRODUCTS, sizeof(struct sgemm_call)),
                            BENCH_MAX_PRODUCTS, 0, 0, 0};
    struct step_profile p = {0};
    double step = 0, floor_s = 0;
    if (!rc && times && log.calls) {
        random_batch(&r, in, tg, B * T, V);
        float loss;
        graph_set_observer(&t->graph, profile_node, &p);
        ops_sgemm_log(&log);
        p.last = sf_now_ms() / 1e3;
        double t0 = p.last;
        rc = trainer_step(t, in, tg, &loss, d);
        step = sf_now_ms() / 1e3 - t0;
        ops_sgemm_log(NULL);
        graph_set_observer(&t->graph, NULL, NULL);
        const struct model *m = t->model;
        ops_sgemm_replay(&log, m->block, m->n_block);
        double *f = calloc((size_t)runs, sizeof *f);
        for (int i = 0; f && i < runs; i++)
            f[i] = ops_sgemm_replay(&log, m->block, m->n_block);
        floor_s = f ? median(f, runs) : 0;
        free(f);
    }
    if (!rc && times && log.calls) {
        double med = median(times, runs), other = p.nodes - log.seconds - p.adamw;
        fprintf(out,
                "train   gpt2  L=4  H=4  d=128  V=512   B=%d T=%d  %6zu k params  BLAS threads %d:"
                "  median %8.3f ms per step  %.0f tokens/s  (%d steps);  library floor %.3f ms "
                "(%d products), %.2fx\n"
                "        one step profiled, %.3f ms: products %.0f%%, other kernels %.0f%%, AdamW "
                "%.0f%%, graph overhead %.0f%%\n",
                B, T, t->model->n_params / 1000, ops_blas_threads(), med * 1e3, B * T / med, runs,
                floor_s * 1e3, log.n, floor_s > 0 ? med / floor_s : 0.0, step * 1e3,
                100 * log.seconds / step, 100 * other / step, 100 * p.adamw / step,
                100 * (step - p.nodes) / step);
    }
    free(log.calls);
    free(times);
    return rc ? rc : (times ? SF_OK : SF_ERR_NOMEM);
}

// Times training steps (forward, loss, backward, AdamW) of a GPT-2-shaped model with 4
// layers, 4 heads, d 128, vocabulary 512, context 128, on batches of B = 4 sequences of
// T = 64 random tokens, with one BLAS thread and with the default count.
static int bench_train(int runs, FILE *out, FILE *err)
{
    struct model_config cfg;
    model_config_gpt2(&cfg, 4, 4, 128, 512, 128);
    struct model m = {0};
    struct trainer t = {0};
    struct sf_diag d;
    char buf[SF_MSG_MAX];
    sf_diag_clear(&d);
    struct adamw_params hp = SF_ADAMW_DEFAULTS;
    int rc = model_init(&m, &cfg, &d);
    if (!rc) {
        model_init_random(&m, 1234);
        rc = trainer_init(&t, &m, 4, 64, &hp, OP_IMPL_FAST, &d);
    }
    int threads = ops_blas_threads();
    if (!rc && threads > 1) {
        ops_blas_set_threads(1);
        rc = time_train(&t, runs, out, &d);
        ops_blas_set_threads(threads);
    }
    if (!rc)
        rc = time_train(&t, runs, out, &d);
    if (rc) {
        if (!d.msg[0])
            sf_diag_set(&d, rc, NULL, 0, 0, "%s", sf_strerror(rc));
        fprintf(err, "stepformer: bench train: %s\n", sf_diag_format(&d, buf, sizeof buf));
    }
    trainer_free(&t);
    model_free(&m);
    return rc;
}

// Lesson mode: Backspace from the last beat replays the script to the beat before it (the
// slowest move between beats), timed for every shipped lesson.
static int bench_lessons(int runs, FILE *out, FILE *err)
{
    int n;
    char **list = lesson_list(&n);
    double worst = 0, *all = malloc(sizeof(double) * (size_t)(n ? n : 1));
    const char *worst_id = "";
    char worst_buf[128] = "";
    for (int i = 0; all && i < n; i++) {
        struct app a;
        if (app_lesson_open_path(&a, list[i], 0, NULL, 0, OP_IMPL_FAST, err)) {
            free(all);
            lesson_list_free(list, n);
            return 1;
        }
        int last = a.lesson->l.n_beats - 1;
        double *t = malloc(sizeof(double) * (size_t)runs);
        for (int r = 0; t && r < runs; r++) {
            app_lesson_goto(&a, last, NULL);
            double t0 = (sf_now_ms() / 1e3);
            app_lesson_goto(&a, last - 1, NULL);
            t[r] = (sf_now_ms() / 1e3) - t0;
        }
        all[i] = t ? median(t, runs) : 0;
        if (all[i] > worst) {
            worst = all[i];
            snprintf(worst_buf, sizeof worst_buf, "%s", a.lesson->l.id);
            worst_id = worst_buf;
        }
        free(t);
        app_free(&a);
    }
    if (n)
        fprintf(out,
                "lessons  back one beat (replay from the start), median per lesson over %d "
                "lessons: %.2f ms; slowest %.2f ms (%s)\n",
                n, median(all, n) * 1e3, worst * 1e3, worst_id);
    free(all);
    lesson_list_free(list, n);
    return 0;
}

// The learn view against the training loop of `stepformer train` with the same settings (the
// shipped textbook model's configuration, batch 8, sequence 64): `steps` steps of each, timed
// per step; the learn view runs as the screen runs it (a slice of app_tick, then the frame
// built and drawn at 120 x 40), without a terminal. Prints the medians and the steps per second.
static int bench_learn(int steps, FILE *out, FILE *err)
{
    struct app a;
    struct sf_diag d;
    struct app_options o = {0};
    struct learn_options lo = SF_LEARN_DEFAULTS;
    struct grid grid = {0};
    double *loop = calloc((size_t)steps, sizeof *loop),
           *frame = calloc((size_t)steps, sizeof *frame);
    double *draw = calloc((size_t)steps, sizeof *draw);
    char buf[SF_MSG_MAX];
    lo.steps = steps;
    sf_diag_clear(&d);
    if (!loop || !frame || !draw || app_init(&a, &o, &d)) {
        fprintf(err, "stepformer: bench learn: %s\n", sf_diag_format(&d, buf, sizeof buf));
        free(loop), free(frame), free(draw);
        return 1;
    }
    // The training loop alone: a run of its own, stepped as `stepformer train` steps.
    struct learn plain;
    int rc = learn_init(&plain, &a.model, &lo, &d), n_frames = 0;
    for (int k = 0; !rc && k < steps; k++) {
        float loss;
        double t0 = sf_now_ms();
        batcher_next(&plain.batches, plain.in, plain.tg);
        rc = trainer_step(&plain.tr, plain.in, plain.tg, &loss, &d);
        loop[k] = sf_now_ms() - t0;
    }
    if (!rc)
        learn_free(&plain);
    double view0 = sf_now_ms();
    if (!rc && !(rc = app_learn_start(&a, &lo, NULL, NULL, &d)))
        rc = grid_init(&grid, 120, 40);
    a.width = 120, a.height = 40;
    view0 = sf_now_ms() - view0;
    double start = sf_now_ms();
    while (!rc && app_busy(&a) && n_frames < steps) {
        struct screen_state s;
        double t0 = sf_now_ms();
        int before = app_learn_run(&a)->step;
        app_tick(&a, 30);
        double t1 = sf_now_ms();
        app_screen(&a, &s);
        screen_draw(&grid, &s);
        draw[n_frames] = sf_now_ms() - t1;
        int ran = app_learn_run(&a)->step - before;
        frame[n_frames++] = (sf_now_ms() - t0) / (ran > 0 ? ran : 1);
    }
    double total = sf_now_ms() - start;
    if (!rc) {
        const struct learn *L = app_learn_run(&a);
        double ml = median(loop, steps), mf = median(frame, n_frames);
        fprintf(out,
                "learn   textbook B=8 T=64  train loop: median %.2f ms per step (%.1f steps/s); "
                "learn view at 120 x 40: median %.2f ms per step with its frame (%.1f steps/s), "
                "drawing %.2f ms per frame; over the whole run with its evaluations every %d "
                "steps %.1f steps/s (%d steps, %d frames; start %.0f ms)\n",
                ml, 1e3 / ml, mf, 1e3 / mf, median(draw, n_frames), lo.eval_every,
                L->step * 1e3 / total, L->step, n_frames, view0);
    } else {
        fprintf(err, "stepformer: bench learn: %s\n", sf_diag_format(&d, buf, sizeof buf));
    }
    grid_free(&grid);
    app_free(&a);
    free(loop), free(frame), free(draw);
    return rc ? 1 : 0;
}

// One opening of the folder in a fresh process (so its resident memory is its own): the time
// from the start to the first screen drawn (the model read, the pass built, the frame laid out
// and drawn at 200 x 60, as the screen starts), then VmRSS and VmHWM from /proc/self/status.
// Writes {seconds, rss kB, hwm kB} to fd.
static void hf_first_screen_child(const char *dir, int fd)
{
    double r[4] = {-1, 0, 0, 0};
    double t0 = sf_now_ms();
    struct app a;
    struct sf_diag d;
    struct app_options o = {.model_path = dir, .ids = "464,2068,7586,21831,18045,625,262"};
    struct grid grid;
    if (app_init(&a, &o, &d) == 0 && grid_init(&grid, 200, 60) == 0) {
        struct screen_state s;
        a.width = 200;
        a.height = 60;
        app_screen(&a, &s);
        screen_draw(&grid, &s);
        r[0] = (sf_now_ms() - t0) / 1e3;
        r[3] = (double)a.model.n_in_place * 4.0 / 1e6;
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f)) {
            if (strncmp(line, "VmRSS:", 6) == 0)
                r[1] = atof(line + 6);
            else if (strncmp(line, "VmHWM:", 6) == 0)
                r[2] = atof(line + 6);
        }
        if (f)
            fclose(f);
        grid_free(&grid);
        app_free(&a);
    }
    ssize_t w = write(fd, r, sizeof r);
    (void)w;
}

// GPT-2 small's shape with seeded random weights, written as a Hugging Face folder (F32, with
// the attn.bias buffers, as the Hub's file has them) to a temporary folder, opened `runs` times
// in fresh processes; the folder is removed after. Prints one line.
static int bench_hf(int runs, FILE *out, FILE *err)
{
    struct model_config cfg;
    model_config_gpt2(&cfg, 12, 12, 768, 50257, 1024);
    struct model m = {0};
    struct sf_diag d;
    char buf[SF_MSG_MAX], dir[4096], file[4200];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/stepformer-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(err, "stepformer: bench hf: cannot make a folder in %s\n", tmp ? tmp : "/tmp");
        return SF_ERR_IO;
    }
    int rc = model_init(&m, &cfg, &d);
    if (!rc) {
        model_init_random(&m, 1234);
        rc = hf_write(&m, dir, ST_F32, HF_WRITE_BUFFERS, &d);
    }
    double weights_mb = (double)m.n_params * 4.0 / 1e6;
    model_free(&m);
    double *t = calloc((size_t)runs, sizeof *t), *rss = calloc((size_t)runs, sizeof *rss);
    double *hwm = calloc((size_t)runs, sizeof *hwm), in_place = 0;
    for (int i = 0; i < runs && !rc; i++) {
        int p[2];
        if (!t || !rss || !hwm || pipe(p) != 0) {
            rc = sf_diag_set(&d, SF_ERR_NOMEM, NULL, 0, 0, "out of memory or pipes");
            break;
        }
        fflush(out);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            hf_first_screen_child(dir, p[1]);
            _exit(0);
        }
        close(p[1]);
        double r[4] = {-1, 0, 0, 0};
        if (pid < 0 || read(p[0], r, sizeof r) != (ssize_t)sizeof r || r[0] < 0)
            rc = sf_diag_set(&d, SF_ERR_IO, dir, 0, 0, "the folder could not be opened");
        close(p[0]);
        if (pid > 0)
            waitpid(pid, NULL, 0);
        t[i] = r[0];
        rss[i] = r[1] * 1024.0 / 1e6; // kB (KiB) to MB, like weights_mb
        hwm[i] = r[2] * 1024.0 / 1e6;
        in_place = r[3];
    }
    snprintf(file, sizeof file, "%s/config.json", dir);
    unlink(file);
    snprintf(file, sizeof file, "%s/model.safetensors", dir);
    unlink(file);
    rmdir(dir);
    if (!rc)
        fprintf(out,
                "hf      gpt2  folder (F32, %.0f MB of weights, %.0f MB read in place): first "
                "screen median %.3f s;  VmRSS %.0f MB (%.2fx), VmHWM %.0f MB (%.2fx)  (%d runs)\n",
                weights_mb, in_place, median(t, runs), median(rss, runs),
                median(rss, runs) / weights_mb, median(hwm, runs), median(hwm, runs) / weights_mb,
                runs);
    else
        fprintf(err, "stepformer: bench hf: %s\n", sf_diag_format(&d, buf, sizeof buf));
    free(t);
    free(rss);
    free(hwm);
    return rc;
}

int cmd_bench(int argc, char **argv, FILE *out, FILE *err)
{
    long runs = 15;
    const char *only = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (cli_flag(argv, i, "--help") || cli_flag(argv, i, "-h")) {
            fputs(bench_usage, out);
            return 0;
        } else if ((r = cli_value(argc, argv, &i, "--runs", &v)) != 0) {
            if (r < 0 || cli_parse_int(v, 1, 10000, &runs))
                return cli_bad_int(err, "bench", "--runs", r < 0 ? "" : v, 1, 10000);
        } else if ((r = cli_value(argc, argv, &i, "--only", &v)) != 0) {
            if (r < 0 ||
                (strcmp(v, "tiny") != 0 && strcmp(v, "gpt2") != 0 && strcmp(v, "train") != 0 &&
                 strcmp(v, "lessons") != 0 && strcmp(v, "hf") != 0 && strcmp(v, "learn") != 0)) {
                fprintf(
                    err,
                    "stepformer: bench: --only takes tiny, gpt2, train, lessons, hf or learn\n");
                return 2;
            }
            only = v;
        } else {
            return cli_unknown_option(err, "bench", argv[i], bench_usage);
        }
    }
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    fprintf(out, "stepformer bench: %s; BLAS threads %s\n", ops_backend_name(),
            threads ? threads : "default (one per core)");
    for (size_t i = 0; i < sizeof bench_cases / sizeof bench_cases[0]; i++) {
        if (only && strcmp(only, bench_cases[i].name) != 0)
            continue;
        if (bench_forward(&bench_cases[i], (int)runs, out, err))
            return 2;
    }
    if ((!only || strcmp(only, "train") == 0) && bench_train((int)runs, out, err))
        return 2;
    if ((!only || strcmp(only, "lessons") == 0) && bench_lessons((int)runs, out, err))
        return 2;
    if ((!only || strcmp(only, "hf") == 0) && bench_hf(runs < 5 ? (int)runs : 5, out, err))
        return 2;
    if ((!only || strcmp(only, "learn") == 0) &&
        bench_learn(runs < 100 ? 100 : (int)runs, out, err))
        return 2;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(out, "peak memory (max resident) %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    return 0;
}
