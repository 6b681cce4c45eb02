// asciicast v2 recordings: JSON strings (escapes, UTF-8 kept, cut and broken), the header, the
// events and their times, read back with an independent JSON parser (jansson); the file put in
// place at the end and bad paths refused at the start.
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "stepformer/asciicast.h"

// asciicast_json_chars of s[0..n) into buf: the text written and (in *took) the bytes taken.
static const char *json_chars(char *buf, size_t size, const char *s, size_t n, int final,
                              long *took)
{
    memset(buf, 0, size);
    FILE *f = fmemopen(buf, size, "w");
    assert_non_null(f);
    *took = asciicast_json_chars(f, s, n, final);
    assert_int_equal(fclose(f), 0);
    return buf;
}

#define assert_json_chars(s, n, final, want, want_took)                                            \
    do {                                                                                           \
        char buf_[256];                                                                            \
        long took_;                                                                                \
        assert_string_equal(json_chars(buf_, sizeof buf_, (s), (n), (final), &took_), (want));     \
        assert_int_equal(took_, (want_took));                                                      \
    } while (0)

static void test_asciicast_escapes_quotes_backslash_and_controls(void **state)
{
    (void)state;
    assert_json_chars("say \"hi\"", 8, 1, "say \\\"hi\\\"", 8);
    assert_json_chars("a\\b", 3, 1, "a\\\\b", 3);
    assert_json_chars("\r\n\t\b\f", 5, 1, "\\r\\n\\t\\b\\f", 5);
    // ESC and the other C0 controls, DEL, NUL
    assert_json_chars("\x1b[1;31mred", 10, 1, "\\u001b[1;31mred", 10);
    assert_json_chars("\x07\x01\x1f\x7f", 4, 1, "\\u0007\\u0001\\u001f\\u007f", 4);
    assert_json_chars("a\0b", 3, 1, "a\\u0000b", 3);
    // C1 controls (CSI U+009B) and the line and paragraph separators
    assert_json_chars("\xc2\x9b"
                      "1m",
                      4, 1, "\\u009b1m", 4);
    assert_json_chars("\xe2\x80\xa8\xe2\x80\xa9", 6, 1, "\\u2028\\u2029", 6);
}

static void test_asciicast_keeps_utf8_and_replaces_broken_bytes(void **state)
{
    (void)state;
    // é, ∑, ▀, an emoji: as they are
    assert_json_chars("\xc3\xa9\xe2\x88\x91\xe2\x96\x80\xf0\x9f\x98\x80", 12, 1,
                      "\xc3\xa9\xe2\x88\x91\xe2\x96\x80\xf0\x9f\x98\x80", 12);
    // a stray continuation byte, a byte never in UTF-8, an overlong '/', a surrogate
    assert_json_chars("a\x80z", 3, 1, "a\xef\xbf\xbdz", 3);
    assert_json_chars("\xff", 1, 1, "\xef\xbf\xbd", 1);
    assert_json_chars("\xc0\xaf", 2, 1, "\xef\xbf\xbd\xef\xbf\xbd", 2);
    assert_json_chars("\xed\xa0\x80", 3, 1, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3);
    // a character cut short in the middle is one U+FFFD and what follows is kept
    assert_json_chars("\xe2\x88z", 3, 1, "\xef\xbf\xbdz", 3);
    // at the end: held back (not final), or one U+FFFD (final)
    assert_json_chars("ab\xe2\x88", 4, 0, "ab", 2);
    assert_json_chars("ab\xe2\x88", 4, 1, "ab\xef\xbf\xbd", 4);
    assert_json_chars("\xf0\x9f\x98", 3, 0, "", 0);
}

// The file at path as a list of its lines parsed by jansson (which refuses invalid UTF-8):
// fails the test on a line that is not JSON. *n gets the count.
static json_t **read_cast(const char *path, int *n)
{
    size_t len;
    char *text = test_slurp(path, &len);
    assert_true(len > 0 && text[len - 1] == '\n');
    json_t **lines = calloc(len, sizeof *lines);
    assert_non_null(lines);
    *n = 0;
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        assert_non_null(nl);
        json_error_t e;
        lines[*n] = json_loadb(p, (size_t)(nl - p), 0, &e);
        if (!lines[*n])
            fail_msg("line %d is not JSON: %s: %.*s", *n + 1, e.text, (int)(nl - p), p);
        (*n)++;
    }
    free(text);
    return lines;
}

static void free_cast(json_t **lines, int n)
{
    for (int i = 0; i < n; i++)
        json_decref(lines[i]);
    free(lines);
}

// Event i: [time, code, data] with time a number; returns its time.
static double event_at(json_t **lines, int i, const char *code, const char *data, size_t data_len)
{
    json_t *e = lines[i];
    assert_true(json_is_array(e));
    assert_int_equal(json_array_size(e), 3);
    assert_true(json_is_real(json_array_get(e, 0)));
    assert_string_equal(json_string_value(json_array_get(e, 1)), code);
    json_t *d = json_array_get(e, 2);
    assert_true(json_is_string(d));
    if (data) {
        assert_int_equal(json_string_length(d), data_len);
        assert_memory_equal(json_string_value(d), data, data_len);
    }
    return json_real_value(json_array_get(e, 0));
}

static void test_asciicast_header_and_events(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "test-rec.cast");
    unlink(path);
    struct asciicast c;
    struct sf_diag d;
    assert_int_equal(asciicast_begin(&c, path, &d), 0);
    struct asciicast_header h = {.width = 100,
                                 .height = 30,
                                 .timestamp = 1764150000,
                                 .title = "stepformer \"demo\"",
                                 .term = "xterm-256color",
                                 .shell = "/bin/bash"};
    double t0 = 5000.0; // the clock's milliseconds: only differences count
    assert_int_equal(asciicast_header(&c, &h, t0), 0);
    assert_int_equal(asciicast_output(&c, t0 + 248.8484, "\x1b[?1049h\x1b[1;1Hhi", 16), 0);
    assert_int_equal(asciicast_resize(&c, t0 + 1000.0, 80, 24), 0);
    // a clock that went back (or two events in one microsecond) never makes time go back
    assert_int_equal(asciicast_output(&c, t0 + 900.0, "\r\n", 2), 0);
    assert_int_equal(asciicast_output(&c, t0 + 2500.0, "", 0), 0); // nothing: no event
    assert_int_equal(asciicast_output(&c, t0 + 2500.0, "x", 1), 0);
    // the file is not in place before the end
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_equal(asciicast_end(&c, &d), 0);
    asciicast_free(&c);

    int n;
    json_t **lines = read_cast(path, &n);
    assert_int_equal(n, 5);
    json_t *hd = lines[0];
    assert_true(json_is_object(hd));
    assert_true(json_is_integer(json_object_get(hd, "version")));
    assert_int_equal(json_integer_value(json_object_get(hd, "version")), 2);
    assert_int_equal(json_integer_value(json_object_get(hd, "width")), 100);
    assert_int_equal(json_integer_value(json_object_get(hd, "height")), 30);
    assert_int_equal(json_integer_value(json_object_get(hd, "timestamp")), 1764150000);
    assert_string_equal(json_string_value(json_object_get(hd, "title")), "stepformer \"demo\"");
    json_t *env = json_object_get(hd, "env");
    assert_string_equal(json_string_value(json_object_get(env, "TERM")), "xterm-256color");
    assert_string_equal(json_string_value(json_object_get(env, "SHELL")), "/bin/bash");
    double t[4];
    t[0] = event_at(lines, 1, "o", "\x1b[?1049h\x1b[1;1Hhi", 16);
    t[1] = event_at(lines, 2, "r", "80x24", 5);
    t[2] = event_at(lines, 3, "o", "\r\n", 2);
    t[3] = event_at(lines, 4, "o", "x", 1);
    assert_float_equal(t[0], 0.248848, 1e-9);
    assert_float_equal(t[1], 1.0, 1e-9);
    assert_float_equal(t[2], 1.0, 1e-9); // not 0.9: never before the event before it
    assert_float_equal(t[3], 2.5, 1e-9);
    free_cast(lines, n);
    unlink(path);
}

// A header without a title or environment: only what is known is written.
static void test_asciicast_header_leaves_out_what_is_unknown(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "test-rec-min.cast");
    struct asciicast c;
    struct sf_diag d;
    assert_int_equal(asciicast_begin(&c, path, &d), 0);
    struct asciicast_header h = {
        .width = 80, .height = 24, .timestamp = 0, .term = "", .shell = NULL};
    assert_int_equal(asciicast_header(&c, &h, 0), 0);
    assert_int_equal(asciicast_end(&c, &d), 0);
    int n;
    json_t **lines = read_cast(path, &n);
    assert_int_equal(n, 1);
    assert_null(json_object_get(lines[0], "title"));
    assert_int_equal(json_object_size(json_object_get(lines[0], "env")), 0);
    free_cast(lines, n);
    unlink(path);
}

// Output split inside characters (as a terminal's writes may be): every event is valid JSON and
// valid UTF-8 (jansson refuses anything else), and the events joined give the bytes back.
static void test_asciicast_carries_split_characters(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "test-rec-split.cast");
    const char text[] = "a\xc3\xa9\xe2\x88\x91\xf0\x9f\x98\x80\xe2\x96\x80z"; // a é ∑ 😀 ▀ z
    size_t len = sizeof text - 1;
    for (size_t step = 1; step <= 4; step++) {
        struct asciicast c;
        struct sf_diag d;
        assert_int_equal(asciicast_begin(&c, path, &d), 0);
        struct asciicast_header h = {.width = 80, .height = 24};
        assert_int_equal(asciicast_header(&c, &h, 0), 0);
        for (size_t i = 0; i < len; i += step)
            assert_int_equal(
                asciicast_output(&c, (double)i, text + i, i + step < len ? step : len - i), 0);
        assert_int_equal(asciicast_end(&c, &d), 0);
        int n;
        json_t **lines = read_cast(path, &n);
        char joined[64] = {0};
        size_t at = 0;
        double last = 0;
        for (int k = 1; k < n; k++) {
            double t = event_at(lines, k, "o", NULL, 0);
            assert_true(t >= last);
            last = t;
            json_t *s = json_array_get(lines[k], 2);
            assert_true(json_string_length(s) > 0);
            memcpy(joined + at, json_string_value(s), json_string_length(s));
            at += json_string_length(s);
        }
        assert_int_equal(at, len);
        assert_memory_equal(joined, text, len);
        free_cast(lines, n);
    }
    unlink(path);
}

// A character still cut short when the recording ends is written as U+FFFD.
static void test_asciicast_end_writes_a_cut_character_as_replacement(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "test-rec-cut.cast");
    struct asciicast c;
    struct sf_diag d;
    assert_int_equal(asciicast_begin(&c, path, &d), 0);
    struct asciicast_header h = {.width = 80, .height = 24};
    assert_int_equal(asciicast_header(&c, &h, 0), 0);
    assert_int_equal(asciicast_output(&c, 10, "ok\xe2\x88", 4), 0);
    assert_int_equal(asciicast_end(&c, &d), 0);
    int n;
    json_t **lines = read_cast(path, &n);
    assert_int_equal(n, 3);
    event_at(lines, 1, "o", "ok", 2);
    event_at(lines, 2, "o", "\xef\xbf\xbd", 3);
    free_cast(lines, n);
    unlink(path);
}

// Bad paths are refused when the recording begins, with the file named; nothing is left.
static void test_asciicast_refuses_bad_paths_at_the_start(void **state)
{
    (void)state;
    struct asciicast c;
    struct sf_diag d;
    assert_int_equal(asciicast_begin(&c, "/nonexistent-dir/demo.cast", &d), SF_ERR_IO);
    assert_string_equal(d.file, "/nonexistent-dir/demo.cast");
    assert_non_null(strstr(d.msg, "directory exists"));
    asciicast_free(&c);
    char dir[512];
    test_fresh_dir(dir, sizeof dir, "test-rec-dir");
    assert_int_equal(asciicast_begin(&c, dir, &d), SF_ERR_IO);
    assert_non_null(strstr(d.msg, "is a directory"));
    asciicast_free(&c);
    if (geteuid() != 0) { // root writes anywhere
        assert_int_equal(chmod(dir, 0500), 0);
        char path[600];
        snprintf(path, sizeof path, "%s/demo.cast", dir);
        assert_int_equal(asciicast_begin(&c, path, &d), SF_ERR_IO);
        assert_string_equal(d.file, path);
        assert_non_null(strstr(d.msg, "writable"));
        asciicast_free(&c);
        chmod(dir, 0700);
    }
}

// A recording dropped (the program failed before it could end it) leaves no file, and an old
// file of that name stays as it was.
static void test_asciicast_free_leaves_the_old_file(void **state)
{
    (void)state;
    char dir[512], path[600];
    test_fresh_dir(dir, sizeof dir, "test-rec-free");
    snprintf(path, sizeof path, "%s/demo.cast", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old\n", f);
    fclose(f);
    struct asciicast c;
    struct sf_diag d;
    assert_int_equal(asciicast_begin(&c, path, &d), 0);
    struct asciicast_header h = {.width = 80, .height = 24};
    assert_int_equal(asciicast_header(&c, &h, 0), 0);
    assert_int_equal(asciicast_output(&c, 1, "new", 3), 0);
    asciicast_free(&c);
    asciicast_free(&c); // safe twice
    char *text = test_slurp(path, NULL);
    assert_string_equal(text, "old\n");
    free(text);
    // nothing else is in the directory: the temporary file is gone
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
}

// A write that fails during the session (a full disk) is reported at the end, naming the file,
// and the temporary file is removed.
static void test_asciicast_reports_a_failed_write_at_the_end(void **state)
{
    (void)state;
    char path[512];
    test_tmp_path(path, sizeof path, "test-rec-full.cast");
    unlink(path);
    struct asciicast c;
    struct sf_diag d;
    assert_int_equal(asciicast_begin(&c, path, &d), 0);
    struct asciicast_header h = {.width = 80, .height = 24};
    assert_int_equal(asciicast_header(&c, &h, 0), 0);
    // The stream is swapped for /dev/full (the seam: the file the recorder writes to).
    FILE *full = fopen("/dev/full", "wb");
    if (!full)
        skip();
    FILE *real = c.w.f;
    c.w.f = full;
    assert_int_equal(asciicast_output(&c, 1, "frame", 5), SF_ERR_IO);
    assert_int_equal(asciicast_output(&c, 2, "more", 4), SF_ERR_IO); // nothing more is tried
    c.w.f = real;
    fclose(full);
    assert_int_equal(asciicast_end(&c, &d), SF_ERR_IO);
    assert_string_equal(d.file, path);
    assert_non_null(strstr(d.msg, "the disk is full"));
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    asciicast_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asciicast_escapes_quotes_backslash_and_controls),
        cmocka_unit_test(test_asciicast_keeps_utf8_and_replaces_broken_bytes),
        cmocka_unit_test(test_asciicast_header_and_events),
        cmocka_unit_test(test_asciicast_header_leaves_out_what_is_unknown),
        cmocka_unit_test(test_asciicast_carries_split_characters),
        cmocka_unit_test(test_asciicast_end_writes_a_cut_character_as_replacement),
        cmocka_unit_test(test_asciicast_refuses_bad_paths_at_the_start),
        cmocka_unit_test(test_asciicast_free_leaves_the_old_file),
        cmocka_unit_test(test_asciicast_reports_a_failed_write_at_the_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
