// Where lessons live, finding one by number or name, and the progress file.
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stepformer/fileio.h"
#include "stepformer/lesson.h"

#ifndef SF_MODEL_DIR
#define SF_MODEL_DIR "assets/models"
#endif
#ifndef SF_LESSON_DIR
#define SF_LESSON_DIR "lessons"
#endif

const char *lesson_dir(void)
{
    const char *d = getenv("STEPFORMER_LESSONS");
    return d && *d ? d : SF_LESSON_DIR;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int lesson_model_path(const struct lesson *l, char *path, size_t size, char *why, size_t wn)
{
    const char *m = l->model ? l->model : "textbook";
    const char *shipped[] = {"textbook", "notebook", "chars"};
    for (int i = 0; i < 3; i++)
        if (strcmp(m, shipped[i]) == 0) {
            snprintf(path, size, "%s/%s.sfm", SF_MODEL_DIR, m);
            return 0;
        }
    char dirs[3][1024];
    int n = 0;
    const char *slash = strrchr(l->path, '/');
    if (m[0] == '/') {
        snprintf(path, size, "%s", m);
        if (is_file(path))
            return 0;
        snprintf(why, wn, "this lesson needs the model %s, which is not there", m);
        return -1;
    }
    snprintf(dirs[n++], sizeof dirs[0], "%.*s", slash ? (int)(slash - l->path) : 1,
             slash ? l->path : ".");
    const char *env = getenv("STEPFORMER_MODELS");
    if (env && *env)
        snprintf(dirs[n++], sizeof dirs[0], "%s", env);
    snprintf(dirs[n++], sizeof dirs[0], "%s", SF_MODEL_DIR);
    for (int i = 0; i < n; i++) {
        snprintf(path, size, "%s/%s", dirs[i], m);
        if (is_file(path))
            return 0;
    }
    snprintf(why, wn,
             "this lesson needs the model %s, which is not installed: put the file in %s (or "
             "in a directory named by STEPFORMER_MODELS) and open the lesson again",
             m, SF_MODEL_DIR);
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
    DIR *dir = opendir(lesson_dir());
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
        size_t len = strlen(lesson_dir()) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path)
            break;
        snprintf(path, len, "%s/%s", lesson_dir(), e->d_name);
        list[(*n)++] = path;
    }
    closedir(dir);
    if (*n)
        qsort(list, (size_t)*n, sizeof *list, cmp_str);
    return list;
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
        snprintf(why, wn,
                 "no lessons in %s: set STEPFORMER_LESSONS to the lessons directory, or give "
                 "a lesson file",
                 lesson_dir());
        lesson_list_free(list, n);
        return -1;
    }
    int number = -1, found = -1;
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg && !*end)
        number = (int)v;
    for (int i = 0; i < n && found < 0; i++) {
        const char *base = strrchr(list[i], '/') + 1;
        size_t bl = strlen(base) - 3; // without .md
        if (number >= 0 ? atoi(base) == number
                        : (strlen(arg) == bl && strncmp(base, arg, bl) == 0) ||
                              (strlen(arg) == bl - 3 && strncmp(base + 3, arg, bl - 3) == 0) ||
                              strcmp(base, arg) == 0)
            found = i;
    }
    if (found >= 0)
        snprintf(path, size, "%s", list[found]);
    else
        snprintf(why, wn,
                 "no lesson '%.60s' in %s: give a number (1-%d), a name from `stepformer "
                 "lessons`, or a file",
                 arg, lesson_dir(), atoi(strrchr(list[n - 1], '/') + 1));
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
    p->items = NULL;
    p->n = 0;
}

const struct lesson_progress_item *lesson_progress_get(const struct lesson_progress *p,
                                                       const char *id)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->items[i].id, id) == 0)
            return &p->items[i];
    return NULL;
}

int lesson_progress_set(struct lesson_progress *p, const char *id, int beat, int n_beats, int done)
{
    struct lesson_progress_item *it = (struct lesson_progress_item *)lesson_progress_get(p, id);
    if (!it) {
        struct lesson_progress_item *items = realloc(p->items, sizeof *items * (size_t)(p->n + 1));
        if (!items)
            return SF_ERR_NOMEM;
        p->items = items;
        it = &items[p->n++];
        snprintf(it->id, sizeof it->id, "%s", id);
    }
    it->beat = beat;
    it->n_beats = n_beats;
    it->done = done;
    return 0;
}

int lesson_progress_load(struct lesson_progress *p, const char *path)
{
    memset(p, 0, sizeof *p);
    snprintf(p->path, sizeof p->path, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; // no progress yet
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n') && !feof(f)) { // an overlong line: skip the rest of it
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            p->bad_lines++;
            continue;
        }
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char id[128], state[16];
        int beat, n_beats;
        if (sscanf(line, "%127s %d %d %15s", id, &beat, &n_beats, state) != 4 || beat < 0 ||
            n_beats < 1 || beat >= n_beats ||
            (strcmp(state, "done") != 0 && strcmp(state, "started") != 0)) {
            p->bad_lines++;
            continue;
        }
        if (lesson_progress_set(p, id, beat, n_beats, state[0] == 'd')) {
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
    fprintf(f, "# stepformer lesson progress: lesson, beat reached (from 0), beats, state\n");
    for (int i = 0; i < p->n; i++)
        fprintf(f, "%s %d %d %s\n", p->items[i].id, p->items[i].beat, p->items[i].n_beats,
                p->items[i].done ? "done" : "started");
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
