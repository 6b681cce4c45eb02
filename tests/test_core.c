// Tests of the core utilities: status messages, diagnostics, the arena, random numbers,
// .npy output, atomic file replacement, number formatting and text made safe for a terminal.
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/arena.h"
#include "stepformer/datadir.h"
#include "stepformer/err.h"
#include "stepformer/fileio.h"
#include "stepformer/rng.h"
#include "stepformer/tensor.h"
#include "stepformer/text.h"
#include "stepformer/utf8.h"

static void test_err_messages_cover_every_status(void **state)
{
    (void)state;
#define SF_X(name, value, msg) assert_string_equal(sf_strerror(SF_ERR_##name), msg);
    SF_STATUS_LIST(SF_X)
#undef SF_X
    assert_string_equal(sf_strerror(0), "ok");
    assert_string_equal(sf_strerror(-999), "unknown error");
}

static void test_err_diag_formats_location(void **state)
{
    (void)state;
    struct sf_diag d;
    char buf[700];
    assert_int_equal(sf_diag_set(&d, SF_ERR_FORMAT, "a.sf", 3, 7, "bad %s", "thing"),
                     SF_ERR_FORMAT);
    assert_string_equal(sf_diag_format(&d, buf, sizeof buf), "a.sf:3:7: bad thing");
    sf_diag_set(&d, SF_ERR_FORMAT, "a.sf", 3, 0, "x");
    assert_string_equal(sf_diag_format(&d, buf, sizeof buf), "a.sf:3: x");
    sf_diag_set(&d, SF_ERR_FORMAT, "a.sf", 0, 0, "x");
    assert_string_equal(sf_diag_format(&d, buf, sizeof buf), "a.sf: x");
    sf_diag_set(&d, SF_ERR_FORMAT, NULL, 0, 0, "x");
    assert_string_equal(sf_diag_format(&d, buf, sizeof buf), "x");
    assert_int_equal(sf_diag_set(NULL, SF_ERR_IO, "f", 1, 1, "ignored"), SF_ERR_IO);
}

// The assert's restore hook writes here (the child's stderr), so the test sees its order.
static void note_restored(void)
{
    static const char line[] = "terminal restored\n";
    ssize_t ignored = write(STDERR_FILENO, line, sizeof line - 1);
    (void)ignored;
}

// A failing SF_ASSERT restores the terminal through the registered hook first, then names the
// file, the line and the condition, then aborts; a holding one does nothing. Run in a child
// (a death test) whose stderr is a pipe.
static void test_err_assert_restores_the_terminal_then_aborts(void **state)
{
    (void)state;
    SF_ASSERT(1 + 1 == 2);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int line = __LINE__ + 9;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        signal(SIGABRT, SIG_DFL);
        sf_assert_set_hook(note_restored);
        int two = 2;
        SF_ASSERT(two + two == 5);
        _exit(0); // not reached
    }
    close(fds[1]);
    char out[1024];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof out - 1 && (got = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)got;
    out[len] = 0;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    char want[128];
    snprintf(want, sizeof want, "test_core.c:%d: assertion failed: two + two == 5\n", line);
    if (strncmp(out, "terminal restored\nstepformer: ", 30) != 0 || !strstr(out, want))
        fail_msg("the child wrote \"%s\"; want the hook's line, then \"stepformer: ...%s\"", out,
                 want);
}

// A file name or message longer than its field is cut visibly, never inside a character.
static void test_err_diag_marks_what_it_cuts(void **state)
{
    (void)state;
    struct sf_diag d;
    char name[1100], text[1100];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    memcpy(name + sizeof d.file - 6, "\xc3\xa9\xc3\xa9", 4); // é é across the cut
    memset(text, 'b', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    sf_diag_set(&d, SF_ERR_IO, name, 0, 0, "%s", text);
    size_t n = strlen(d.file);
    assert_true(n < sizeof d.file && n > sizeof d.file - 8);
    assert_string_equal(d.file + n - 3, "...");
    assert_true(((unsigned char)d.file[n - 4] & 0xc0) != 0xc0); // no half character before it
    assert_int_equal(strncmp(d.file, name, n - 3), 0);
    n = strlen(d.msg);
    assert_string_equal(d.msg + n - 3, "...");
    sf_diag_set(&d, SF_ERR_IO, "short", 0, 0, "fits");
    assert_string_equal(d.file, "short");
    assert_string_equal(d.msg, "fits");
}

static void test_arena_aligns_zeroes_and_grows(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 256);
    unsigned char *p = arena_alloc(&a, 10);
    unsigned char *q = arena_alloc(&a, 1000); // larger than a block: its own block
    unsigned char *r = arena_alloc(&a, 1);
    assert_non_null(p);
    assert_non_null(q);
    assert_non_null(r);
    assert_int_equal((uintptr_t)p % 64, 0);
    assert_int_equal((uintptr_t)q % 64, 0);
    assert_int_equal((uintptr_t)r % 64, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(q[i], 0);
    memset(q, 0xab, 1000);
    assert_int_equal(p[0], 0); // no overlap
    arena_reset(&a);
    unsigned char *s = arena_alloc(&a, 1000);
    assert_ptr_equal(s, q); // the kept block is reused
    for (int i = 0; i < 1000; i++)
        assert_int_equal(s[i], 0); // and comes back zeroed
    size_t reserved = a.reserved;
    arena_reset(&a);
    for (int k = 0; k < 3; k++)
        assert_non_null(arena_alloc(&a, 100));
    assert_int_equal(a.reserved, reserved); // the same sizes again take no new memory
    assert_null(arena_alloc(&a, SIZE_MAX - 8));
    arena_free(&a);
    arena_free(&a); // twice is fine
    struct arena z = {0};
    assert_non_null(arena_alloc(&z, 5));
    arena_free(&z);
}

static void test_rng_is_seeded_and_normal(void **state)
{
    (void)state;
    struct rng a, b;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(rng_u64(&a) == rng_u64(&b));
    rng_seed(&b, 43);
    assert_true(rng_u64(&a) != rng_u64(&b));
    double sum = 0, sq = 0;
    int n = 200000;
    for (int i = 0; i < n; i++) {
        float u = rng_uniform(&a);
        assert_true(u >= 0.0f && u < 1.0f);
        double z = rng_normal(&a);
        assert_true(isfinite(z));
        sum += z;
        sq += z * z;
    }
    assert_true(fabs(sum / n) < 0.01);
    assert_true(fabs(sq / n - 1.0) < 0.02);
}

static void test_tensor_alloc_and_shape_string(void **state)
{
    (void)state;
    struct arena a = {0};
    struct tensor t;
    char buf[64];
    assert_int_equal(tensor_alloc3(&t, &a, 2, 3, 4), 0);
    assert_int_equal(tensor_numel(&t), 24);
    assert_string_equal(tensor_shape_str(&t, buf, sizeof buf), "(2, 3, 4)");
    int one[1] = {5};
    assert_int_equal(tensor_alloc(&t, &a, 1, one), 0);
    assert_string_equal(tensor_shape_str(&t, buf, sizeof buf), "(5,)");
    int bad[2] = {3, 0};
    assert_int_equal(tensor_alloc(&t, &a, 2, bad), SF_ERR_SHAPE);
    assert_int_equal(tensor_alloc(&t, &a, 5, bad), SF_ERR_SHAPE);
    struct tensor absent = {0};
    assert_false(tensor_present(&absent));
    assert_int_equal(tensor_numel(&absent), 0);
    arena_free(&a);
}

static void test_tensor_npy_reads_back(void **state)
{
    (void)state;
    struct arena a = {0};
    struct tensor t;
    assert_int_equal(tensor_alloc3(&t, &a, 2, 3, 5), 0);
    for (int i = 0; i < 30; i++)
        t.data[i] = (float)i * 0.5f - 3.0f;
    t.data[7] = -INFINITY;
    char path[512];
    test_tmp_path(path, sizeof path, "core_roundtrip.npy");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(tensor_write_npy(&t, f), 0);
    fclose(f);
    // The data starts on a 64-byte boundary, as NumPy writes it.
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((st.st_size - 30 * 4) % 64, 0);
    double *back = NULL;
    int shape[4], ndim;
    assert_int_equal(test_read_npy(path, &back, shape, &ndim), 30);
    assert_int_equal(ndim, 3);
    assert_int_equal(shape[0], 2);
    assert_int_equal(shape[1], 3);
    assert_int_equal(shape[2], 5);
    for (int i = 0; i < 30; i++)
        assert_true(back[i] == (double)t.data[i]);
    free(back);
    arena_free(&a);
}

static int write_text(FILE *f, const void *ctx)
{
    return fputs(ctx, f) < 0 ? SF_ERR_IO : 0;
}

static int write_fails(FILE *f, const void *ctx)
{
    (void)ctx;
    fputs("partial", f);
    return SF_ERR_NONFINITE;
}

static void read_all(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_fileio_atomic_replace_keeps_old_on_failure(void **state)
{
    (void)state;
    char path[512], buf[64];
    struct sf_diag d;
    test_tmp_path(path, sizeof path, "core_atomic.txt");
    assert_int_equal(sf_write_atomic(path, write_text, "first", &d), 0);
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "first");
    assert_int_equal(sf_write_atomic(path, write_fails, NULL, &d), SF_ERR_NONFINITE);
    assert_non_null(strstr(d.msg, "unchanged"));
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "first");
    assert_int_equal(sf_write_atomic(path, write_text, "second", &d), 0);
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "second");
    assert_int_equal(sf_write_atomic("/nonexistent-dir/x.npy", write_text, "x", &d), SF_ERR_IO);
    assert_string_equal(d.file, "/nonexistent-dir/x.npy");
    assert_non_null(strstr(d.msg, "directory"));
}

// Whole files: the bytes with a NUL after them; a missing file, a directory, a FIFO (refused at
// once, never waited on) and a file over the limit each named with the reason.
static void test_fileio_read_file_whole_or_a_reason(void **state)
{
    (void)state;
    char path[512], fifo[512];
    struct sf_diag d;
    size_t len = 99;
    int status = 0;
    test_tmp_path(path, sizeof path, "core_read.txt");
    assert_int_equal(sf_write_atomic(path, write_text, "ab", &d), 0);
    char *buf = sf_read_file(path, "text file", 2, &len, &status, &d);
    assert_non_null(buf);
    assert_int_equal(len, 2);
    assert_string_equal(buf, "ab");
    free(buf);
    assert_null(sf_read_file(path, "text file", 1, &len, &status, &d));
    assert_int_equal(status, SF_ERR_RANGE);
    assert_string_equal(d.msg, "is 2 bytes; a text file is at most 1");
    assert_null(sf_read_file("/nonexistent-dir/x", "text file", 9, &len, &status, &d));
    assert_int_equal(status, SF_ERR_IO);
    assert_string_equal(d.file, "/nonexistent-dir/x");
    assert_non_null(strstr(d.msg, "cannot open the text file: "));
    assert_null(sf_read_file("/", "lesson file", 9, &len, &status, &d));
    assert_string_equal(d.msg, "is a directory, not a regular file: name the lesson file itself");
    test_tmp_path(fifo, sizeof fifo, "core_read.fifo");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_null(sf_read_file(fifo, "data file", 9, &len, NULL, &d));
    assert_string_equal(d.msg, "is not a regular file: name the data file itself");
    unlink(fifo);
    assert_int_equal(len, 2); // untouched on failure
}

// A writer that fails as fwrite fails on a full disk: with errno ENOSPC, from a real write to
// /dev/full (or, where there is none, set by hand).
static int write_disk_full(FILE *f, const void *ctx)
{
    (void)ctx;
    fputs("part of the new content", f);
    FILE *full = fopen("/dev/full", "wb");
    if (full) {
        setvbuf(full, NULL, _IONBF, 0);
        int wrote = fputs("x", full) != EOF;
        int e = errno;
        fclose(full);
        errno = e;
        if (wrote)
            errno = ENOSPC;
    } else {
        errno = ENOSPC;
    }
    return SF_ERR_IO;
}

// A full disk is reported as a full disk, with what to do, and the old file stays.
static void test_fileio_atomic_reports_a_full_disk(void **state)
{
    (void)state;
    char path[512], buf[64];
    struct sf_diag d;
    test_tmp_path(path, sizeof path, "core_full.txt");
    assert_int_equal(sf_write_atomic(path, write_text, "old", &d), 0);
    assert_int_equal(sf_write_atomic(path, write_disk_full, NULL, &d), SF_ERR_IO);
    assert_string_equal(d.file, path);
    assert_non_null(strstr(d.msg, "the disk is full"));
    assert_non_null(strstr(d.msg, "free some space"));
    assert_non_null(strstr(d.msg, "unchanged"));
    read_all(path, buf, sizeof buf);
    assert_string_equal(buf, "old");
}

// Names the files in the directory of path whose names start with prefix, one per line.
static void list_prefixed(const char *dir, const char *prefix, char *out, size_t size)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cd '%s' && ls -1 | grep '^%s' | sort", dir, prefix);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    pclose(p);
}

static void touch(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
}

// Temporary files left by killed writers (their process is gone) are removed before a
// write; a running writer's, other files' and other names are kept.
static void test_fileio_atomic_removes_stale_temporaries(void **state)
{
    (void)state;
    char dir[512], path[600], name[200], list[2048], want[2048];
    test_fresh_dir(dir, sizeof dir, "core_stale");
    snprintf(path, sizeof path, "%s/m.sfm", dir);
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead); // reaped: its pid names no process
    pid_t live = fork();
    if (live == 0) {
        pause();
        _exit(0);
    }
    const char *kept[] = {"m.sfm.tmp-%ld-abc123", // a running writer's
                          "m.sfm.tmp-%ld-abc12",  // not the pattern: kept
                          "m.sfmx.tmp-%ld-abc123", "m.sfm.tmp-0%ld-abc123", "m.sfm.tmp-abc123"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        snprintf(name, sizeof name, kept[i], i == 0 ? (long)live : (long)dead);
        touch(dir, name);
    }
    snprintf(name, sizeof name, "m.sfm.tmp-%ld-Zz9Qx0", (long)dead);
    touch(dir, name);
    snprintf(name, sizeof name, "m.sfm.tmp-%ld-aaaaaa", (long)dead);
    touch(dir, name);
    list_prefixed(dir, "m.sfm", want, sizeof want);
    assert_non_null(strstr(want, name));
    struct sf_diag d;
    assert_int_equal(sf_write_atomic(path, write_text, "x", &d), 0);
    list_prefixed(dir, "m.sfm", list, sizeof list);
    kill(live, SIGKILL);
    waitpid(live, NULL, 0);
    assert_null(strstr(list, name));
    assert_null(strstr(list, "Zz9Qx0"));
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        snprintf(name, sizeof name, kept[i], i == 0 ? (long)live : (long)dead);
        if (!strstr(list, name))
            fail_msg("%s was removed; left: %s", name, list);
    }
    assert_non_null(strstr(list, "m.sfm\n"));
}

// A write to a symbolic link replaces the file it leads to (through a chain of relative
// links, or creating the file a dangling link names) and leaves the link in place.
static void test_fileio_atomic_writes_through_a_symlink(void **state)
{
    (void)state;
    char dir[512], cmd[2048], link[600], target[600], buf[64];
    struct sf_diag d;
    struct stat st;
    test_tmp_path(dir, sizeof dir, "core_links");
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/a' '%s/b'", dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(target, sizeof target, "%s/b/model.sfm", dir);
    assert_int_equal(sf_write_atomic(target, write_text, "old", &d), 0);
    chmod(target, 0640);
    snprintf(link, sizeof link, "%s/a/hop.sfm", dir);
    assert_int_equal(symlink("../b/model.sfm", link), 0);
    snprintf(link, sizeof link, "%s/a/m.sfm", dir);
    assert_int_equal(symlink("hop.sfm", link), 0); // a link to a link
    assert_int_equal(sf_write_atomic(link, write_text, "new", &d), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    read_all(target, buf, sizeof buf);
    assert_string_equal(buf, "new");
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); // the file keeps its mode
    // no temporary file was left in either directory
    snprintf(cmd, sizeof cmd, "ls '%s/a' '%s/b' | grep -c tmp-", dir, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(buf, sizeof buf, p));
    pclose(p);
    assert_string_equal(buf, "0\n");
    // a dangling link: the file it names is created
    snprintf(link, sizeof link, "%s/a/new.sfm", dir);
    assert_int_equal(symlink("../b/created.sfm", link), 0);
    assert_int_equal(sf_write_atomic(link, write_text, "made", &d), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    snprintf(target, sizeof target, "%s/b/created.sfm", dir);
    read_all(target, buf, sizeof buf);
    assert_string_equal(buf, "made");
    // a loop is an error, not a hang
    snprintf(link, sizeof link, "%s/a/loop", dir);
    assert_int_equal(symlink("loop", link), 0);
    assert_int_equal(sf_write_atomic(link, write_text, "x", &d), SF_ERR_IO);
    assert_non_null(strstr(d.msg, "symbolic links"));
}

// The trial write: a directory, a missing directory and a disk too small are refused, and
// nothing is left behind; a possible write passes.
static void test_fileio_write_check_before_writing(void **state)
{
    (void)state;
    char dir[512], path[600], list[256];
    struct sf_diag d;
    test_fresh_dir(dir, sizeof dir, "core_check");
    snprintf(path, sizeof path, "%s/out.sfm", dir);
    assert_int_equal(sf_write_check(path, 1000, &d), 0);
    list_prefixed(dir, "out.sfm", list, sizeof list);
    assert_string_equal(list, ""); // neither the file nor a temporary one
    assert_int_equal(sf_write_check(dir, 10, &d), SF_ERR_IO);
    assert_non_null(strstr(d.msg, "is a directory"));
    snprintf(path, sizeof path, "%s/missing/out.sfm", dir);
    assert_int_equal(sf_write_check(path, 10, &d), SF_ERR_IO);
    assert_non_null(strstr(d.msg, "check the directory exists"));
    // more than any disk holds
    snprintf(path, sizeof path, "%s/out.sfm", dir);
    int rc = sf_write_check(path, (uint64_t)1 << 62, &d);
    assert_int_equal(rc, SF_ERR_IO);
    if (!strstr(d.msg, "the disk is full") && !strstr(d.msg, "cannot hold a file"))
        fail_msg("unexpected message: %s", d.msg);
    list_prefixed(dir, "out.sfm", list, sizeof list);
    assert_string_equal(list, "");
}

// text_format is snprintf, except that a number whose printed digits are all zero has no sign.
static void test_text_format_prints_no_negative_zero(void **state)
{
    (void)state;
    char buf[128], want[128];
    // printed with its sign where any digit is not zero, without it where all are
    static const struct {
        const char *fmt;
        double x;
        const char *out;
    } cases[] = {
        {"%.2f", -0.004, "0.00"},     {"%.2f", -0.005001, "-0.01"},
        {"%6.2f", -0.0001, "  0.00"}, {"%-6.2f|", -0.0, "0.00  |"},
        {"%+.1f", -0.01, "+0.0"},     {"%.3f", -1e-9, "0.000"},
        {"%.0f", -0.4, "0"},          {"%g", -0.0, "0"},
        {"%.3g", -1e-30, "-1e-30"},   {"%.2e", -0.0, "0.00e+00"},
        {"%.2f", -3.14159, "-3.14"},  {"%f", -INFINITY, "-inf"},
        {"%.4f", -0.00004, "0.0000"}, {"%8.3f", -12.0, " -12.000"},
        {"%a", -0.0, "0x0p+0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = text_format(buf, sizeof buf, cases[i].fmt, cases[i].x);
        if (strcmp(buf, cases[i].out) != 0)
            fail_msg("'%s' of %g printed '%s', want '%s'", cases[i].fmt, cases[i].x, buf,
                     cases[i].out);
        assert_int_equal(n, (int)strlen(cases[i].out));
    }
    assert_int_equal(text_format(buf, sizeof buf, "%f", (double)-NAN), 3);
    assert_string_equal(buf, "nan");
    // every other conversion as snprintf, '*' widths and precisions, several in one text
    const char *s = "keys";
    long long big = -1234567890123LL;
    size_t z = 42;
    signed char hh = 44;
    text_format(buf, sizeof buf, "%5s|%-3d|%*.*f|%.*s|%lld|%zu|%x|%c|%%|%05.1f|%hhd", s, 7, 8, 3,
                -0.0004, 2, s, big, z, 255u, 'q', 2.25, hh);
    snprintf(want, sizeof want, "%5s|%-3d|%*.*f|%.*s|%lld|%zu|%x|%c|%%|%05.1f|%hhd", s, 7, 8, 3,
             0.0004, 2, s, big, z, 255u, 'q', 2.25, hh);
    assert_string_equal(buf, want);
    assert_string_equal(buf, " keys|7  |   0.000|ke|-1234567890123|42|ff|q|%|002.2|44");
    // truncation: as snprintf, the whole length is returned and the text is terminated
    char small[8];
    assert_int_equal(text_format(small, sizeof small, "mu %.3f sigma %.3f", -0.0001, 1.5), 20);
    assert_string_equal(small, "mu 0.00");
    assert_int_equal(text_format(NULL, 0, "%d and %.2f", 12, -0.001), 11);
    int count = 0;
    assert_int_equal(text_format(small, sizeof small, "ab%n", &count), -1);
    assert_int_equal(count, 0);
}

// Edit distances, and the nearest name only when it is near enough to be a typo.
static void test_text_nearest_name(void **state)
{
    (void)state;
    assert_int_equal(text_edit_distance("goto", "goto"), 0);
    assert_int_equal(text_edit_distance("gotoo", "goto"), 1);
    assert_int_equal(text_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(text_edit_distance("", "abc"), 3);
    const char *const names[] = {"attention", "qkv", "next-token"};
    assert_int_equal(text_nearest("atention", 8, names, 3), 0);
    assert_int_equal(text_nearest("qvk", 3, names, 3), 1);
    assert_int_equal(text_nearest("nexttoken", 9, names, 3), 2);
    assert_int_equal(text_nearest("zzzzzzzz", 8, names, 3), -1);
    assert_int_equal(text_nearest("atentionXXX", 8, names, 3), 0); // only n bytes are read
}

// Numbers read from text: the whole string, in range, with only the white space and sign the
// flags allow.
static void test_text_parse_long_takes_the_whole_string(void **state)
{
    (void)state;
    enum { B = TEXT_NUM_SPACE_BEFORE, A = TEXT_NUM_SPACE_AFTER, U = TEXT_NUM_UNSIGNED };
    static const struct {
        const char *s;
        unsigned flags;
        int ok;
        long want;
    } cases[] = {
        {"42", 0, 1, 42},
        {"-7", 0, 1, -7},
        {"+7", 0, 1, 7},
        {"+7", U, 0, 0},
        {"-7", U, 0, 0},
        {" 42", 0, 0, 0},
        {" 42", B, 1, 42},
        {"\t\n42", B, 1, 42},
        {"42 ", 0, 0, 0},
        {"42  ", A, 1, 42},
        {"42\t", A, 0, 0},
        {" 42 ", B | A, 1, 42},
        {"", B | A, 0, 0},
        {"   ", B | A, 0, 0},
        {"-", 0, 0, 0},
        {"5x", 0, 0, 0},
        {"0x10", 0, 0, 0},
        {"1.5", 0, 0, 0},
        {"1000", 0, 1, 1000},
        {"1001", 0, 0, 0},
        {"-1001", 0, 0, 0},
        {"007", U, 1, 7},
        {"99999999999999999999", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long v = 12345;
        errno = EBADF;
        int rc = text_parse_long(cases[i].s, -1000, 1000, cases[i].flags, &v);
        if (rc != (cases[i].ok ? 0 : -1) || v != (cases[i].ok ? cases[i].want : 12345))
            fail_msg("'%s' (flags %u): rc %d, value %ld", cases[i].s, cases[i].flags, rc, v);
        assert_int_equal(errno, EBADF); // left as it was
    }
    long v;
    assert_int_equal(text_parse_long("99999999999999999999", LONG_MIN, LONG_MAX, 0, &v), -1);
    assert_int_equal(text_parse_long("-9223372036854775808", LONG_MIN, LONG_MAX, 0, &v), 0);
    assert_true(v == LONG_MIN);
    uint64_t u = 0;
    assert_int_equal(text_parse_u64("18446744073709551615", 0, UINT64_MAX, U, &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(text_parse_u64("18446744073709551616", 0, UINT64_MAX, 0, &u), -1);
    assert_int_equal(text_parse_u64("-1", 0, UINT64_MAX, 0, &u), -1);
    assert_int_equal(text_parse_u64("+1", 0, UINT64_MAX, U, &u), -1);
    assert_int_equal(text_parse_u64(" 9", 0, 10, B, &u), 0);
    assert_true(u == 9);
    assert_int_equal(text_parse_u64("11", 0, 10, 0, &u), -1);
}

static void test_text_parse_double_is_finite_and_in_range(void **state)
{
    (void)state;
    enum { B = TEXT_NUM_SPACE_BEFORE, A = TEXT_NUM_SPACE_AFTER, U = TEXT_NUM_UNSIGNED };
    enum { T = TEXT_NUM_UNDERFLOW };
    static const struct {
        const char *s;
        unsigned flags;
        int ok;
        double want;
    } cases[] = {
        {"0.5", 0, 1, 0.5},  {".5", U, 1, 0.5},   {"-0.5", 0, 1, -0.5}, {"-0.5", U, 0, 0},
        {"1e2", 0, 1, 100},  {"0x1p3", 0, 1, 8},  {" 2", 0, 0, 0},      {" 2", B, 1, 2},
        {"2 ", A, 1, 2},     {"2 x", A, 0, 0},    {".", 0, 0, 0},       {"", 0, 0, 0},
        {"inf", 0, 0, 0},    {"-inf", 0, 0, 0},   {"nan", 0, 0, 0},     {"1e400", T, 0, 0},
        {"1e-400", 0, 0, 0}, {"1e-400", T, 1, 0}, {"1e-310", 0, 0, 0},  {"1e-310", T, 1, 1e-310},
        {"1000.5", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 12345;
        int rc = text_parse_double(cases[i].s, -1000, 1000, cases[i].flags, &v);
        if (rc != (cases[i].ok ? 0 : -1) || v != (cases[i].ok ? cases[i].want : 12345))
            fail_msg("'%s' (flags %u): rc %d, value %g", cases[i].s, cases[i].flags, rc, v);
    }
    double v;
    assert_int_equal(text_parse_double("1e308", -INFINITY, INFINITY, 0, &v), 0);
    assert_int_equal(text_parse_double("inf", -INFINITY, INFINITY, 0, &v), -1);
}

// utf8_escape into a roomy buffer, checking that all of the input was taken.
static const char *escaped(char *buf, size_t size, const char *s, size_t n, unsigned flags)
{
    assert_int_equal(utf8_escape(buf, size, s, n, flags), n);
    return buf;
}

// Text from a file cannot reach the terminal as a control: ESC, the other C0 bytes, DEL, the C1
// controls and broken UTF-8 show as escapes; valid UTF-8 is kept byte for byte.
static void test_utf8_escape_shows_controls_and_keeps_text(void **state)
{
    (void)state;
    char buf[256];
    static const struct {
        const char *in, *one_line, *lines;
    } cases[] = {
        {"plain ascii, \\ and ~", "plain ascii, \\ and ~", "plain ascii, \\ and ~"},
        {"é ∑ 漢字 😀 \xc2\xa0", "é ∑ 漢字 😀 \xc2\xa0", "é ∑ 漢字 😀 \xc2\xa0"},
        {"\x1b]0;owned\x07", "\\x1b]0;owned\\x07", "\\x1b]0;owned\\x07"},
        {"\x1b[2J\x1b[31m", "\\x1b[2J\\x1b[31m", "\\x1b[2J\\x1b[31m"},
        {"a\nb\tc\rd\x7f\x01", "a\\x0ab\\x09c\\x0dd\\x7f\\x01", "a\nb\tc\\x0dd\\x7f\\x01"},
        {"\xc2\x9b"
         "31m \xc2\x85 \xc2\x80 \xc2\x9f",
         "\\u009b31m \\u0085 \\u0080 \\u009f", "\\u009b31m \\u0085 \\u0080 \\u009f"},
        {"\x9b"
         "31m \xff \xc0\xaf",
         "\\x9b31m \\xff \\xc0\\xaf", "\\x9b31m \\xff \\xc0\\xaf"},
        {"\xed\xa0\x80 \xf4\x90\x80\x80", "\\xed\\xa0\\x80 \\xf4\\x90\\x80\\x80",
         "\\xed\\xa0\\x80 \\xf4\\x90\\x80\\x80"},
        {"cut \xe2\x88", "cut \\xe2\\x88", "cut \\xe2\\x88"},
        {"\xe2\x88x", "\\xe2\\x88x", "\\xe2\\x88x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].in);
        assert_string_equal(escaped(buf, sizeof buf, cases[i].in, n, 0), cases[i].one_line);
        assert_string_equal(escaped(buf, sizeof buf, cases[i].in, n, UTF8_KEEP_LINES),
                            cases[i].lines);
    }
    // a NUL byte inside a piece is a control too
    assert_string_equal(escaped(buf, sizeof buf, "a\0b", 3, 0), "a\\x00b");
    assert_string_equal(utf8_safe(buf, sizeof buf, "x\x1b[0m\n"), "x\\x1b[0m\\x0a");
}

// A small buffer takes whole characters and whole escapes only, and says how far it got.
static void test_utf8_escape_never_cuts_a_character_or_an_escape(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, '#', sizeof buf);
    assert_int_equal(utf8_escape(buf, 6,
                                 "ab\x1b"
                                 "c",
                                 4, 0),
                     2); // "\x1b" needs 4 more
    assert_string_equal(buf, "ab");
    assert_int_equal(utf8_escape(buf, 3, "a漢", 4, 0), 1);
    assert_string_equal(buf, "a");
    assert_int_equal(utf8_escape(buf, 4, "漢", 3, 0), 3);
    assert_string_equal(buf, "漢");
    assert_int_equal(utf8_escape(buf, 0, "x", 1, 0), 0);
    // a column of width characters, cut and padded by characters, not bytes
    char col[64];
    assert_string_equal(utf8_column(col, sizeof col, "héllo wörld", 7), "héllo w");
    assert_string_equal(utf8_column(col, sizeof col, "∑", 4), "∑   ");
    assert_string_equal(utf8_column(col, sizeof col, "é\x1bx", 4), "é   ");
    assert_string_equal(utf8_column(col, sizeof col, "é\x1bx", 6), "é\\x1bx");
}

// utf8_cut: the longest start within max bytes that ends on a character boundary.
static void test_utf8_cut_stops_at_a_character_boundary(void **state)
{
    (void)state;
    assert_int_equal(utf8_cut("abc", 3, 10), 3);
    assert_int_equal(utf8_cut("aé", 3, 2), 1);
    assert_int_equal(utf8_cut("漢字", 6, 5), 3);
    assert_int_equal(utf8_cut("漢字", 6, 2), 0);
    assert_int_equal(utf8_cut("😀x", 5, 4), 4);
    assert_int_equal(utf8_cut("\xff\xfe漢", 5, 4), 2);   // a broken byte is a character of its own
    assert_int_equal(utf8_cut("ab\xe6\xbc", 4, 10), 2);  // a character cut short at the end
    assert_int_equal(utf8_cut("ab\xe6\xbcx", 5, 10), 5); // a broken sequence inside: bytes
}

// Strict decoding refuses what RFC 3629 refuses, and says how many bytes began the broken
// character; the lax reading takes what a lead byte announces.
static void test_utf8_decode_strict_and_lax(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int strict, lax;            // what utf8_decode returns
        uint32_t cp_strict, cp_lax; // the code point when it returns a length
    } cases[] = {
        {"a", 1, 1, 'a', 'a'},
        {"\xc3\xa9", 2, 2, 0xe9, 0xe9},
        {"\xe2\x88\x91", 3, 3, 0x2211, 0x2211},
        {"\xf0\x9f\x98\x80", 4, 4, 0x1f600, 0x1f600},
        {"\x80", -1, -1, 0, 0},                   // a stray continuation byte
        {"\xff", -1, -1, 0, 0},                   // never in UTF-8
        {"\xc0\x80", -1, 2, 0, 0},                // overlong NUL
        {"\xe0\x80\x80", -1, 3, 0, 0},            // overlong
        {"\xed\xa0\x80", -1, 3, 0, 0xd800},       // a surrogate
        {"\xf4\x90\x80\x80", -1, 4, 0, 0x110000}, // above U+10FFFF
        {"\xf7\xbf\xbf\xbf", -1, 4, 0, 0x1fffff}, // the largest lax value
        {"\xe2\x88", 0, 0, 0, 0},                 // cut short at the end
        {"\xe2\x88x", -2, -2, 0, 0},              // two bytes began it, 'x' broke it
        {"\xf0\x9fx", -2, -2, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0;
        size_t n = strlen(cases[i].s);
        assert_int_equal(utf8_decode(cases[i].s, n, 0, &cp), cases[i].strict);
        if (cases[i].strict > 0)
            assert_int_equal(cp, cases[i].cp_strict);
        assert_int_equal(utf8_decode(cases[i].s, n, UTF8_LAX, &cp), cases[i].lax);
        if (cases[i].lax > 0)
            assert_int_equal(cp, cases[i].cp_lax);
    }
}

// Encoding is decoding's inverse, for every value the lax reading can give.
static void test_utf8_encode_round_trips(void **state)
{
    (void)state;
    char out[4];
    for (uint32_t cp = 0; cp < 0x200000; cp += cp < 0x800 ? 1 : 97) {
        int n = utf8_encode(cp, out);
        uint32_t back = 0;
        assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
        assert_int_equal(utf8_decode(out, (size_t)n, UTF8_LAX, &back), n);
        assert_int_equal(back, cp);
    }
    assert_int_equal(utf8_encode(0x10ffff, out), 4);
    assert_memory_equal(out, "\xf4\x8f\xbf\xbf", 4);
    assert_int_equal(utf8_encode(0x200000, out), 0);
}

// Counting and stepping by first bytes: a stray continuation byte joins the character before.
static void test_utf8_count_next_prev_step_over_characters(void **state)
{
    (void)state;
    static const char s[] = "a\xc3\xa9\xe2\x88\x91\xf0\x9f\x98\x80z"; // a é ∑ 😀 z
    size_t n = sizeof s - 1, want[] = {0, 1, 3, 6, 10, 11};
    assert_int_equal(utf8_count(s, n), 5);
    assert_int_equal(utf8_count(s, 2), 2); // é cut after its first byte still counts
    for (int k = 0; k < 5; k++) {
        assert_int_equal(utf8_next(s, n, want[k]), want[k + 1]);
        assert_int_equal(utf8_prev(s, want[k + 1]), want[k]);
    }
    assert_int_equal(utf8_next(s, n, 4), 6); // from inside ∑: to the character after it
    assert_int_equal(utf8_prev(s, 5), 3);    // from inside ∑: to its start
    assert_int_equal(utf8_next(s, 3, 1), 3); // never past n
    assert_int_equal(utf8_count("\x80\x80x", 3), 1);
    assert_int_equal(utf8_next("x\x80\x80y", 4, 0), 3);
    assert_int_equal(utf8_prev("\x80\x80", 2), 0);
}

// Pieces printed one at a time: a character whose bytes are split over two pieces (byte-level
// BPE does that) comes out whole; one that never completes shows as escapes at the end.
static void test_utf8_stream_joins_characters_split_over_pieces(void **state)
{
    (void)state;
    static const struct {
        const char *pieces[5], *want;
    } cases[] = {
        {{"\xe2", "\x88\x91", NULL}, "∑"},
        {{"\xf0", "\x9f", "\x98", "\x80z", NULL}, "😀z"},
        {{"\xf0\x9f", "\x98\x80\x1b", NULL}, "😀\\x1b"},
        {{"a\xe2", "b", NULL}, "a\\xe2b"},
        {{"\xe2", "\x1b[0m", NULL}, "\\xe2\\x1b[0m"},
        {{"x\xe2\x88", NULL}, "x\\xe2\\x88"},
        {{"\xe2", "\x88", NULL}, "\\xe2\\x88"},
        {{"line\n", "\xc2", "\x9b", NULL}, "line\n\\u009b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        struct utf8_stream t;
        utf8_stream_init(&t, f, UTF8_KEEP_LINES);
        for (int k = 0; cases[i].pieces[k]; k++)
            utf8_stream_put(&t, cases[i].pieces[k], strlen(cases[i].pieces[k]));
        utf8_stream_end(&t);
        fclose(f);
        assert_string_equal(text, cases[i].want);
        free(text);
    }
}

// A scratch tree for the data lookup: T/bin holds the (pretended) program, T/src/lessons a
// source tree's lessons, T/bin/<datadir_from_bin()>/lessons an installed copy, T/env a
// directory an environment variable names.
struct data_tree {
    char root[512], exe[600], marker[600], src[600], installed[700], env[600];
};

static void make_dir(const char *path)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static void data_tree_make(struct data_tree *t)
{
    const char *tmp = getenv("SF_TEST_TMP");
    snprintf(t->root, sizeof t->root, "%s/datadir-%ld", tmp ? tmp : "/tmp", (long)getpid());
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    assert_int_equal(system(cmd), 0);
    snprintf(t->exe, sizeof t->exe, "%s/bin/stepformer", t->root);
    snprintf(t->marker, sizeof t->marker, "%s/bin/%s", t->root, DATADIR_MARKER);
    snprintf(t->src, sizeof t->src, "%s/src/lessons", t->root);
    snprintf(t->installed, sizeof t->installed, "%s/bin/%s/lessons", t->root, datadir_from_bin());
    snprintf(t->env, sizeof t->env, "%s/env", t->root);
    make_dir(t->src);
    make_dir(t->installed);
    make_dir(t->env);
    FILE *f = fopen(t->marker, "w");
    assert_non_null(f);
    fprintf(f, "# a comment\nmodels=../src/models\nlessons=../src/lessons\n");
    fclose(f);
}

static void data_tree_free(struct data_tree *t)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    assert_int_equal(system(cmd), 0);
    unsetenv("STEPFORMER_LESSONS");
}

// dir is the canonical form of want.
static void assert_same_dir(const char *dir, const char *want)
{
    char real[PATH_MAX];
    assert_non_null(realpath(want, real));
    assert_string_equal(dir, real);
}

static void
test_datadir_looks_in_the_environment_then_the_build_tree_then_the_installation(void **state)
{
    (void)state;
    struct data_tree t;
    data_tree_make(&t);
    char dir[4096], why[8192];
    setenv("STEPFORMER_LESSONS", t.env, 1);
    assert_int_equal(datadir_find(DATADIR_LESSONS, t.exe, dir, sizeof dir, why, sizeof why), 0);
    assert_string_equal(dir, t.env); // as given
    unsetenv("STEPFORMER_LESSONS");
    assert_int_equal(datadir_find(DATADIR_LESSONS, t.exe, dir, sizeof dir, why, sizeof why), 0);
    assert_same_dir(dir, t.src);
    assert_int_equal(unlink(t.marker), 0);
    assert_int_equal(datadir_find(DATADIR_LESSONS, t.exe, dir, sizeof dir, why, sizeof why), 0);
    assert_same_dir(dir, t.installed);
    // An empty variable counts as not set.
    setenv("STEPFORMER_LESSONS", "", 1);
    assert_int_equal(datadir_find(DATADIR_LESSONS, t.exe, dir, sizeof dir, why, sizeof why), 0);
    assert_same_dir(dir, t.installed);
    data_tree_free(&t);
}

static void test_datadir_names_every_place_looked_in_and_the_variable(void **state)
{
    (void)state;
    struct data_tree t;
    data_tree_make(&t);
    char dir[4096], why[8192], cmd[1600];
    // The marker names a directory that is gone, and nothing is installed.
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", t.src, t.installed);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(datadir_find(DATADIR_LESSONS, t.exe, dir, sizeof dir, why, sizeof why), -1);
    assert_non_null(strstr(why, "STEPFORMER_LESSONS is not set"));
    char named[1400]; // the marker's directory, without the bin/.. between
    snprintf(named, sizeof named, "%s/src/lessons (named by %s)", t.root, t.marker);
    assert_non_null(strstr(why, named));
    // The installed place as a tidy path: bin/../share/stepformer is root/share/stepformer.
    const char *from_bin = datadir_from_bin();
    assert_int_equal(strncmp(from_bin, "../", 3), 0); // bindir and datadir side by side
    snprintf(named, sizeof named, "%s/%s/lessons", t.root, from_bin + 3);
    assert_non_null(strstr(why, named));
    assert_null(strstr(why, "/.."));
    assert_non_null(strstr(why, "set STEPFORMER_LESSONS to the lessons directory"));
    // The models: the marker has a line for them too.
    assert_int_equal(datadir_find(DATADIR_MODELS, t.exe, dir, sizeof dir, why, sizeof why), -1);
    snprintf(named, sizeof named, "%s/src/models (named by %s)", t.root, t.marker);
    assert_non_null(strstr(why, named));
    assert_non_null(strstr(why, "STEPFORMER_MODELS"));
    // A variable that names no directory is an error, even where another place would do.
    make_dir(t.installed);
    setenv("STEPFORMER_LESSONS", t.src, 1);
    assert_int_equal(datadir_find(DATADIR_LESSONS, t.exe, dir, sizeof dir, why, sizeof why), -1);
    assert_non_null(strstr(why, "STEPFORMER_LESSONS is set to"));
    assert_non_null(strstr(why, "which is not a directory"));
    data_tree_free(&t);
}

// The test programs, like the program, find the source tree's data through the file meson
// writes beside them: nothing of the build machine is compiled in.
static void test_datadir_finds_the_source_tree_from_the_build_directory(void **state)
{
    (void)state;
    unsetenv("STEPFORMER_LESSONS");
    unsetenv("STEPFORMER_MODELS");
    char path[4096], why[8192];
    assert_int_equal(
        datadir_file(DATADIR_LESSONS, "equations.md", path, sizeof path, why, sizeof why), 0);
    assert_int_equal(access(path, R_OK), 0);
    assert_int_equal(
        datadir_file(DATADIR_MODELS, "textbook.sfm", path, sizeof path, why, sizeof why), 0);
    assert_int_equal(access(path, R_OK), 0);
    assert_string_equal(datadir_variable(DATADIR_MODELS), "STEPFORMER_MODELS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_messages_cover_every_status),
        cmocka_unit_test(
            test_datadir_looks_in_the_environment_then_the_build_tree_then_the_installation),
        cmocka_unit_test(test_datadir_names_every_place_looked_in_and_the_variable),
        cmocka_unit_test(test_datadir_finds_the_source_tree_from_the_build_directory),
        cmocka_unit_test(test_err_diag_formats_location),
        cmocka_unit_test(test_err_diag_marks_what_it_cuts),
        cmocka_unit_test(test_err_assert_restores_the_terminal_then_aborts),
        cmocka_unit_test(test_arena_aligns_zeroes_and_grows),
        cmocka_unit_test(test_rng_is_seeded_and_normal),
        cmocka_unit_test(test_tensor_alloc_and_shape_string),
        cmocka_unit_test(test_tensor_npy_reads_back),
        cmocka_unit_test(test_fileio_atomic_replace_keeps_old_on_failure),
        cmocka_unit_test(test_fileio_read_file_whole_or_a_reason),
        cmocka_unit_test(test_fileio_atomic_reports_a_full_disk),
        cmocka_unit_test(test_fileio_atomic_removes_stale_temporaries),
        cmocka_unit_test(test_fileio_atomic_writes_through_a_symlink),
        cmocka_unit_test(test_fileio_write_check_before_writing),
        cmocka_unit_test(test_text_format_prints_no_negative_zero),
        cmocka_unit_test(test_text_nearest_name),
        cmocka_unit_test(test_text_parse_long_takes_the_whole_string),
        cmocka_unit_test(test_text_parse_double_is_finite_and_in_range),
        cmocka_unit_test(test_utf8_escape_shows_controls_and_keeps_text),
        cmocka_unit_test(test_utf8_escape_never_cuts_a_character_or_an_escape),
        cmocka_unit_test(test_utf8_cut_stops_at_a_character_boundary),
        cmocka_unit_test(test_utf8_decode_strict_and_lax),
        cmocka_unit_test(test_utf8_encode_round_trips),
        cmocka_unit_test(test_utf8_count_next_prev_step_over_characters),
        cmocka_unit_test(test_utf8_stream_joins_characters_split_over_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
