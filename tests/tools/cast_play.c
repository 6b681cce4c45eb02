// A checker and replayer of asciicast v2 files for the end-to-end tests, reading them with
// jansson (a JSON parser that is not the recorder's own code).
//
// usage: cast_play check FILE
//            The header is a JSON object with version 2 and whole-number width and height (and
//            timestamp, when there), env an object of strings; every later line a JSON array
//            [time, "o"|"r", string] with time a number never less than the one before, and an
//            "r" string WIDTHxHEIGHT. Prints "width W height H events N resizes R:
//            WxH ..." and exits 0, or names the line at fault and exits 1.
//        cast_play play [--drop-last] FILE
//            Writes the data of the "o" events to stdout as bytes, at once (without the last
//            event with --drop-last); "r" events are left to the caller.
//        cast_play last FILE
//            Writes the data of the last "o" event.
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(int line, const char *what)
{
    fprintf(stderr, "cast_play: line %d: %s\n", line, what);
    return 1;
}

static int check_header(json_t *h)
{
    if (!json_is_object(h))
        return bad(1, "the header is not a JSON object");
    json_t *v = json_object_get(h, "version");
    if (!json_is_integer(v) || json_integer_value(v) != 2)
        return bad(1, "version is not the whole number 2");
    const char *need[] = {"width", "height"};
    for (int k = 0; k < 2; k++) {
        json_t *n = json_object_get(h, need[k]);
        if (!json_is_integer(n) || json_integer_value(n) < 1)
            return bad(1, "width or height is not a whole number above 0");
    }
    json_t *ts = json_object_get(h, "timestamp");
    if (ts && !json_is_integer(ts))
        return bad(1, "timestamp is not a whole number");
    json_t *env = json_object_get(h, "env");
    if (env) {
        const char *key;
        json_t *val;
        if (!json_is_object(env))
            return bad(1, "env is not an object");
        json_object_foreach(env, key, val) if (!json_is_string(val)) return bad(
            1, "env holds a value that is not a string");
    }
    json_t *title = json_object_get(h, "title");
    if (title && !json_is_string(title))
        return bad(1, "title is not a string");
    return 0;
}

// Checks event e of line `line`; *last is the time of the event before.
static int check_event(json_t *e, int line, double *last, int *resizes, char *sizes, size_t size)
{
    if (!json_is_array(e) || json_array_size(e) != 3)
        return bad(line, "not an array of 3");
    json_t *t = json_array_get(e, 0), *code = json_array_get(e, 1), *data = json_array_get(e, 2);
    if (!json_is_number(t))
        return bad(line, "the time is not a number");
    if (json_number_value(t) < *last || json_number_value(t) < 0)
        return bad(line, "the time goes back");
    *last = json_number_value(t);
    if (!json_is_string(code) || !json_is_string(data))
        return bad(line, "the code or the data is not a string");
    const char *c = json_string_value(code);
    if (strcmp(c, "o") != 0 && strcmp(c, "r") != 0)
        return bad(line, "the code is neither \"o\" nor \"r\"");
    if (strcmp(c, "r") == 0) {
        int w, h, n = 0;
        const char *s = json_string_value(data);
        if (sscanf(s, "%dx%d%n", &w, &h, &n) != 2 || s[n] || w < 1 || h < 1)
            return bad(line, "a resize is not WIDTHxHEIGHT");
        (*resizes)++;
        size_t at = strlen(sizes);
        snprintf(sizes + at, size - at, " %s", s);
    }
    return 0;
}

// What mode asks of the parsed lines: check them, or print the output events.
static int run(const char *mode, json_t **lines, int n, int drop_last)
{
    if (strcmp(mode, "check") == 0) {
        if (check_header(lines[0]))
            return 1;
        double last = 0;
        int resizes = 0;
        char sizes[4096] = "";
        for (int i = 1; i < n; i++)
            if (check_event(lines[i], i + 1, &last, &resizes, sizes, sizeof sizes))
                return 1;
        printf("width %lld height %lld events %d resizes %d:%s\n",
               (long long)json_integer_value(json_object_get(lines[0], "width")),
               (long long)json_integer_value(json_object_get(lines[0], "height")), n - 1, resizes,
               sizes);
        return 0;
    }
    int last_o = 0;
    for (int i = 1; i < n; i++)
        if (strcmp(json_string_value(json_array_get(lines[i], 1)), "o") == 0)
            last_o = i;
    for (int i = 1; i < n; i++) {
        json_t *data = json_array_get(lines[i], 2);
        int o = strcmp(json_string_value(json_array_get(lines[i], 1)), "o") == 0;
        int take = strcmp(mode, "last") == 0 ? i == last_o : o && !(drop_last && i == last_o);
        if (take)
            fwrite(json_string_value(data), 1, json_string_length(data), stdout);
    }
    return fflush(stdout) == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
    int drop_last = argc == 4 && strcmp(argv[2], "--drop-last") == 0;
    if (argc < 3 || (argc == 4 && !drop_last) || argc > 4) {
        fprintf(stderr, "usage: cast_play check|play [--drop-last]|last FILE\n");
        return 2;
    }
    const char *mode = argv[1], *path = argv[argc - 1];
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 2;
    }
    // Every line, parsed (jansson refuses invalid UTF-8 and anything that is not JSON).
    json_t **lines = NULL;
    int n = 0, cap = 0, rc = 0;
    char *buf = NULL;
    size_t bcap = 0;
    ssize_t len;
    while (!rc && (len = getline(&buf, &bcap, f)) > 0) {
        json_error_t e;
        json_t *j = NULL;
        if (buf[len - 1] != '\n')
            rc = bad(n + 1, "the line does not end in a newline");
        else if (!(j = json_loadb(buf, (size_t)len - 1, 0, &e)))
            rc = bad(n + 1, e.text);
        else if (n == cap) {
            json_t **more = realloc(lines, (size_t)(cap ? cap * 2 : 256) * sizeof *lines);
            cap = more ? (cap ? cap * 2 : 256) : cap;
            lines = more ? more : lines;
            rc = more ? 0 : 2;
        }
        if (!rc)
            lines[n++] = j;
        else
            json_decref(j);
    }
    fclose(f);
    free(buf);
    if (!rc)
        rc = n == 0 ? bad(1, "the file is empty") : run(mode, lines, n, drop_last);
    for (int i = 0; i < n; i++)
        json_decref(lines[i]);
    free(lines);
    return rc;
}
