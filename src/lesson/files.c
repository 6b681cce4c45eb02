// Where lessons live, finding one by number or name, and the progress file.
#include "stepformer/lesson.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stepformer/datadir.h"
#include "stepformer/fileio.h"
#include "stepformer/text.h"

int lesson_dir(char *dir, size_t size, char *why, size_t wn)
{
    return datadir_find(DATADIR_LESSONS, NULL, dir, size, why, wn);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int lesson_model_path(const struct lesson *l, char *path, size_t size, char *why, size_t wn)
{
    const char *m = l->model ? l->model : "textbook";
    static const char *const shipped[] = {"textbook", "notebook", "chars"};
    char models[LESSON_DIR_MAX];
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++)
        if (strcmp(m, shipped[i]) == 0) {
            if (datadir_find(DATADIR_MODELS, NULL, models, sizeof models, why, wn))
                return -1;
            snprintf(path, size, "%s/%s.sfm", models, m);
            return 0;
        }
    if (m[0] == '/') {
        snprintf(path, size, "%s", m);
        if (is_file(path))
            return 0;
        snprintf(why, wn, "this lesson needs the model %s, which is not there", m);
        return -1;
    }
    // Beside the lesson, then in the models directory.
    const char *slash = strrchr(l->path, '/');
    snprintf(path, size, "%.*s/%s", slash ? (int)(slash - l->path) : 1, slash ? l->path : ".", m);
    if (is_file(path))
        return 0;
    if (datadir_find(DATADIR_MODELS, NULL, models, sizeof models, why, wn))
        return -1;
    snprintf(path, size, "%s/%s", models, m);
    if (is_file(path))
        return 0;
    snprintf(why, wn,
             "this lesson needs the model %s, which is not installed: put the file beside the "
             "lesson or in %s (the models directory; STEPFORMER_MODELS names another) and open "
             "the lesson again",
             m, models);
    return -1;
}

// A lesson file name: two digits, a dash, a name, ".md".
static int is_lesson_name(const char *name)
{
    size_t n = strlen(name);
    return n > 6 && isdigit((unsigned char)name[0]) && isdigit((unsigned char)name[1]) &&
           name[2] == '-' && strcmp(name + n - 3, ".md") == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **lesson_list(int *n)
{
    *n = 0;
    char ldir[LESSON_DIR_MAX], why[LESSON_DIR_MAX];
    if (lesson_dir(ldir, sizeof ldir, why, sizeof why))
        return NULL;
    DIR *dir = opendir(ldir);
    if (!dir)
        return NULL;
    char **list = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (!is_lesson_name(e->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **l = realloc(list, sizeof *l * (size_t)cap);
            if (!l)
                break;
            list = l;
        }
        size_t len = strlen(ldir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path)
            break;
        snprintf(path, len, "%s/%s", ldir, e->d_name);
        list[(*n)++] = path;
    }
    closedir(dir);
    if (*n)
        qsort(list, (size_t)*n, sizeof *list, cmp_str);
    return list;
}

void lesson_list_none(char *why, size_t wn)
{
    char ldir[LESSON_DIR_MAX];
    if (lesson_dir(ldir, sizeof ldir, why, wn) == 0)
        snprintf(why, wn,
                 "no lessons in %s: set STEPFORMER_LESSONS to the lessons directory, or give "
                 "a lesson file",
                 ldir);
}

int lesson_list_number(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char digits[3] = {base[0], base[0] ? base[1] : '\0', '\0'}; // the two of is_lesson_name
    long v = 0;
    text_parse_long(digits, 0, 99, TEXT_NUM_UNSIGNED, &v);
    return (int)v;
}

void lesson_list_free(char **list, int n)
{
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

int lesson_find(const char *arg, char *path, size_t size, char *why, size_t wn)
{
    struct stat st;
    // A path: anything with a slash or ending in .md that exists.
    if (strchr(arg, '/') || (strlen(arg) > 3 && strcmp(arg + strlen(arg) - 3, ".md") == 0)) {
        if (stat(arg, &st) == 0 || strchr(arg, '/')) {
            snprintf(path, size, "%s", arg);
            return 0;
        }
    }
    int n;
    char **list = lesson_list(&n);
    if (!n) {
        lesson_list_none(why, wn);
        lesson_list_free(list, n);
        return -1;
    }
    // A number as strtol reads one (white space before it, a sign: a negative number is looked
    // for as a name); a number beyond int's range wraps, as it always has.
    int number = -1, found = -1;
    long v;
    if (text_parse_long(arg, LONG_MIN, LONG_MAX, TEXT_NUM_SPACE_BEFORE, &v) == 0)
        number = (int)v;
    for (int i = 0; i < n && found < 0; i++) {
        const char *base = strrchr(list[i], '/') + 1;
        size_t bl = strlen(base) - 3; // without .md
        if (number >= 0 ? lesson_list_number(list[i]) == number
                        : (strlen(arg) == bl && strncmp(base, arg, bl) == 0) ||
                              (strlen(arg) == bl - 3 && strncmp(base + 3, arg, bl - 3) == 0) ||
                              strcmp(base, arg) == 0)
            found = i;
    }
    if (found >= 0)
        snprintf(path, size, "%s", list[found]);
    else
        snprintf(why, wn,
                 "no lesson '%.60s' in %.*s: give a number (1-%d), a name from `stepformer "
                 "lessons`, or a file",
                 arg, (int)(strrchr(list[n - 1], '/') - list[n - 1]), list[n - 1],
                 lesson_list_number(list[n - 1]));
    lesson_list_free(list, n);
    return found >= 0 ? 0 : -1;
}

// Progress.

int lesson_progress_path(char *buf, size_t size)
{
    const char *state = getenv("XDG_STATE_HOME");
    if (state && state[0] == '/') {
        snprintf(buf, size, "%s/stepformer/progress", state);
        return 0;
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        snprintf(buf, size, "%s/.local/state/stepformer/progress", home);
        return 0;
    }
    return -1;
}

void lesson_progress_free(struct lesson_progress *p)
{
    free(p->items);
    free(p->index);
    p->items = NULL;
    p->index = NULL;
    p->n = p->cap = p->index_cap = 0;
}

static uint64_t hash_id(const char *id)
{
    return sf_fnv1a(SF_FNV1A_INIT, id, strlen(id));
}

// The index slot of id: where it is, or the empty slot where it would go.
static int index_slot(const struct lesson_progress *p, const char *id)
{
    int mask = p->index_cap - 1;
    int s = (int)(hash_id(id) & (uint64_t)mask);
    while (p->index[s] && strcmp(p->items[p->index[s] - 1].id, id) != 0)
        s = (s + 1) & mask;
    return s;
}

// Rebuilds the index with room for twice the items allocated (at most half full).
static int index_grow(struct lesson_progress *p)
{
    int cap = 16;
    while (cap < 2 * p->cap)
        cap *= 2;
    int *index = calloc((size_t)cap, sizeof *index);
    if (!index)
        return SF_ERR_NOMEM;
    free(p->index);
    p->index = index;
    p->index_cap = cap;
    for (int i = 0; i < p->n; i++)
        p->index[index_slot(p, p->items[i].id)] = i + 1;
    return 0;
}

const struct lesson_progress_item *lesson_progress_get(const struct lesson_progress *p,
                                                       const char *id)
{
    if (!p->index) { // filled by hand: no index yet
        for (int i = 0; i < p->n; i++)
            if (strcmp(p->items[i].id, id) == 0)
                return &p->items[i];
        return NULL;
    }
    int s = index_slot(p, id);
    return p->index[s] ? &p->items[p->index[s] - 1] : NULL;
}

int lesson_progress_set(struct lesson_progress *p, const char *id, int beat, int n_beats, int done)
{
    size_t len = strlen(id);
    if (len == 0 || len >= sizeof p->items[0].id)
        return SF_ERR_ARG;
    if (p->n >= p->cap || !p->index) {
        int cap = p->n >= p->cap ? (p->cap ? 2 * p->cap : 16) : p->cap;
        if (cap > p->cap) {
            struct lesson_progress_item *items = realloc(p->items, sizeof *items * (size_t)cap);
            if (!items)
                return SF_ERR_NOMEM;
            p->items = items;
            p->cap = cap;
        }
        if (index_grow(p))
            return SF_ERR_NOMEM;
    }
    int s = index_slot(p, id);
    struct lesson_progress_item *it;
    if (p->index[s]) {
        it = &p->items[p->index[s] - 1];
    } else {
        it = &p->items[p->n++];
        memcpy(it->id, id, len + 1);
        p->index[s] = p->n;
    }
    it->beat = beat;
    it->n_beats = n_beats;
    it->done = done;
    return 0;
}

// The first line of files whose ids are escaped (older files start with another comment and
// have their ids as they are).
static const char progress_header[] =
    "# stepformer lesson progress 2: lesson id (%XX escapes), beat reached (from 0), beats, "
    "state";

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

// Bytes an id is written with as %XX: the ones that would end or hide the field.
static int needs_escape(unsigned char c)
{
    return c <= ' ' || c == 0x7f || c == '%' || c == '#';
}

// The next field of line (separated by spaces or tabs): its start and length, or 0.
static size_t next_field(const char **s, const char **f)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
    *f = *s;
    while (**s && **s != ' ' && **s != '\t' && **s != '\n' && **s != '\r')
        (*s)++;
    return (size_t)(*s - *f);
}

// A whole decimal number of at most 9 digits (nothing else: no sign, no space) in [lo, hi];
// *ok becomes 0 when it is not one.
static long field_number(const char *f, size_t n, long lo, long hi, int *ok)
{
    char digits[10];
    long v = 0;
    if (n == 0 || n >= sizeof digits) {
        *ok = 0;
        return 0;
    }
    memcpy(digits, f, n);
    digits[n] = '\0';
    if (text_parse_long(digits, lo, hi, TEXT_NUM_UNSIGNED, &v))
        *ok = 0;
    return v;
}

// Reads one line "ID BEAT N_BEATS STATE" into id and the numbers; 0 when it is not one.
static int parse_line(const char *line, int escaped, char *id, size_t id_size, int *beat,
                      int *n_beats, int *done)
{
    const char *s = line, *f;
    size_t n = next_field(&s, &f), k = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = f[i];
        // %XX is the byte XX; any other '%' is itself.
        if (escaped && c == '%' && i + 2 < n && hex_value(f[i + 1]) >= 0 &&
            hex_value(f[i + 2]) >= 0) {
            c = (char)(hex_value(f[i + 1]) * 16 + hex_value(f[i + 2]));
            i += 2;
        }
        if (c == '\0' || k + 1 >= id_size)
            return 0;
        id[k++] = c;
    }
    id[k] = '\0';
    int ok = 1;
    n = next_field(&s, &f);
    *beat = (int)field_number(f, n, 0, 999999999, &ok);
    n = next_field(&s, &f);
    *n_beats = (int)field_number(f, n, 1, 999999999, &ok);
    n = next_field(&s, &f);
    *done = n == 4 && memcmp(f, "done", 4) == 0;
    if (!*done && !(n == 7 && memcmp(f, "started", 7) == 0))
        ok = 0;
    return ok && *beat < *n_beats;
}

int lesson_progress_load(struct lesson_progress *p, const char *path)
{
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; // no progress yet
    char line[1024];
    int first = 1, escaped = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n') && !feof(f)) { // an overlong line: skip the rest of it
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            p->bad_lines++;
            first = 0;
            continue;
        }
        if (first)
            escaped = strncmp(line, progress_header, sizeof progress_header - 1) == 0;
        first = 0;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char id[sizeof p->items[0].id];
        int beat, n_beats, done;
        if (!parse_line(line, escaped, id, sizeof id, &beat, &n_beats, &done)) {
            p->bad_lines++;
            continue;
        }
        if (lesson_progress_set(p, id, beat, n_beats, done)) {
            fclose(f);
            return SF_ERR_NOMEM;
        }
    }
    fclose(f);
    return 0;
}

static int write_progress(FILE *f, const void *ctx)
{
    const struct lesson_progress *p = ctx;
    fprintf(f, "%s\n", progress_header);
    for (int i = 0; i < p->n; i++) {
        const struct lesson_progress_item *it = &p->items[i];
        for (const char *c = it->id; *c; c++)
            if (needs_escape((unsigned char)*c))
                fprintf(f, "%%%02X", (unsigned char)*c);
            else
                fputc(*c, f);
        fprintf(f, " %d %d %s\n", it->beat, it->n_beats, it->done ? "done" : "started");
    }
    return ferror(f) ? SF_ERR_IO : 0;
}

// mkdir -p of the directory part of path.
static int make_dirs(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = 0;
    for (char *s = dir + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int lesson_progress_save(const struct lesson_progress *p, struct sf_diag *d)
{
    if (make_dirs(p->path))
        return sf_diag_set(d, SF_ERR_IO, p->path, 0, 0,
                           "cannot create its directory (%s): set XDG_STATE_HOME to a writable "
                           "directory",
                           strerror(errno));
    return sf_write_atomic(p->path, write_progress, p, d);
}
