// `stepformer bench`: median timings of the hot paths on models made in memory, and the peak
// memory. A benchmark to read, not a timed test.
#include "stepformer/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "stepformer/graph.h"
#include "stepformer/rng.h"

static const char bench_usage[] =
    "usage: stepformer bench [--runs N] [--only tiny|gpt2]\n"
    "\n"
    "Times the forward pass over 64 tokens (every node of the op graph, fast kernels) on\n"
    "  tiny  the textbook block: 2 layers, 4 heads, d 64, vocabulary 512, context 128\n"
    "  gpt2  GPT-2 small's shape: 12 layers, 12 heads, d 768, vocabulary 50257, context 1024\n"
    "with seeded random weights made in memory, and reports medians and the peak memory.\n"
    "Thread count: OPENBLAS_NUM_THREADS (default: one per core).\n";

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

// Times the forward pass of one case; prints one line. Returns 0 or an error status.
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
    char buf[900];
    sf_diag_clear(&d);
    double *times = calloc((size_t)runs, sizeof *times);
    int rc = times ? model_init(&m, &cfg, &d) : SF_ERR_NOMEM;
    if (rc)
        goto fail;
    model_init_random(&m, 1234);
    int ids[BENCH_TOKENS];
    struct rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < BENCH_TOKENS; i++)
        ids[i] = (int)(rng_u64(&r) % (uint64_t)bc->vocab);
    double t0 = now_seconds();
    rc = graph_build(&g, &m, ids, BENCH_TOKENS, OP_IMPL_FAST, &d);
    double build = now_seconds() - t0;
    if (rc)
        goto fail;
    // One untimed pass warms the caches and the BLAS thread pool.
    for (int i = -1; i < runs; i++) {
        graph_invalidate(&g, 0);
        t0 = now_seconds();
        rc = graph_run_to_end(&g);
        double t = now_seconds() - t0;
        if (rc < 0)
            goto fail;
        if (i >= 0)
            times[i] = t;
    }
    double lo = times[0], hi = times[0];
    for (int i = 1; i < runs; i++) {
        lo = times[i] < lo ? times[i] : lo;
        hi = times[i] > hi ? times[i] : hi;
    }
    double med = median(times, runs);
    fprintf(out,
            "forward %-5s L=%-2d H=%-2d d=%-4d V=%-5d N=%d  %6zu k params  nodes %4d  "
            "median %8.3f ms  (min %.3f, max %.3f, %d runs; graph build %.2f ms)\n",
            bc->name, bc->n_layer, bc->n_head, bc->d_model, bc->vocab, BENCH_TOKENS,
            m.n_params / 1000, g.n_nodes, med * 1e3, lo * 1e3, hi * 1e3, runs, build * 1e3);
    graph_free(&g);
    model_free(&m);
    free(times);
    return 0;
fail:
    if (!d.msg[0])
        sf_diag_set(&d, rc, NULL, 0, 0, "%s", sf_strerror(rc));
    fprintf(err, "stepformer: bench %s: %s\n", bc->name, sf_diag_format(&d, buf, sizeof buf));
    graph_free(&g);
    model_free(&m);
    free(times);
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
            if (r < 0 || cli_parse_int(v, 1, 10000, &runs)) {
                fprintf(err, "stepformer: bench: --runs needs a count from 1 to 10000\n");
                return 2;
            }
        } else if ((r = cli_value(argc, argv, &i, "--only", &v)) != 0) {
            if (r < 0 || (strcmp(v, "tiny") != 0 && strcmp(v, "gpt2") != 0)) {
                fprintf(err, "stepformer: bench: --only takes tiny or gpt2\n");
                return 2;
            }
            only = v;
        } else {
            fprintf(err, "stepformer: bench: unknown option '%s' (see stepformer bench --help)\n",
                    argv[i]);
            return 2;
        }
    }
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    fprintf(out, "stepformer bench: %s; BLAS threads %s\n", ops_backend_name(),
            threads ? threads : "default (one per core)");
    for (size_t i = 0; i < sizeof bench_cases / sizeof bench_cases[0]; i++) {
        if (only && strcmp(only, bench_cases[i].name) != 0)
            continue;
        if (bench_forward(&bench_cases[i], (int)runs, out, err))
            return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(out, "peak memory (max resident) %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    return 0;
}
