// Where the shipped models and lessons are: the environment, a build tree, an installation.
#define _GNU_SOURCE // program_invocation_name: argv[0] when /proc is not there
#include "stepformer/datadir.h"

#include <errno.h> // program_invocation_name
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// The installed data directory relative to the program's: meson computes it from bindir and
// datadir (both under the prefix), so an installed tree can be moved as a whole.
#ifndef SF_DATA_FROM_BIN
#define SF_DATA_FROM_BIN "../share/stepformer"
#endif

#define DIR_MAX 4096 // bytes of a directory's path

static const struct {
    const char *variable, *sub; // the environment variable; the subdirectory of the data dir
} kinds[] = {
    [DATADIR_MODELS] = {"STEPFORMER_MODELS", "models"},
    [DATADIR_LESSONS] = {"STEPFORMER_LESSONS", "lessons"},
};

const char *datadir_variable(enum datadir_kind kind)
{
    return kinds[kind].variable;
}

const char *datadir_from_bin(void)
{
    return SF_DATA_FROM_BIN;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// argv[0] as a path: as given when it has a slash, else the first executable of that name in
// PATH, as the shell found it. 0, or -1.
static int argv0_path(char *buf, size_t size)
{
    const char *name = program_invocation_name;
    if (!name || !*name)
        return -1;
    if (strchr(name, '/'))
        return snprintf(buf, size, "%s", name) < (int)size ? 0 : -1;
    const char *p = getenv("PATH");
    while (p && *p) {
        size_t len = strcspn(p, ":");
        if (len && snprintf(buf, size, "%.*s/%s", (int)len, p, name) < (int)size &&
            access(buf, X_OK) == 0)
            return 0;
        p += len + (p[len] == ':');
    }
    return -1;
}

// The directory of the running program (or of `exe`), canonical where it can be. 0, or -1.
static int program_dir(const char *exe, char *buf, size_t size)
{
    char path[DIR_MAX];
    if (exe) {
        if (snprintf(path, sizeof path, "%s", exe) >= (int)sizeof path)
            return -1;
    } else {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        if (n > 0)
            path[n] = '\0';
        else if (argv0_path(path, sizeof path))
            return -1;
    }
    char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(path, sizeof path, ".");
    else if (slash == path)
        slash[1] = '\0';
    else
        *slash = '\0';
    char real[PATH_MAX];
    const char *d = realpath(path, real) ? real : path;
    return snprintf(buf, size, "%s", d) < (int)size ? 0 : -1;
}

// Removes "." components and "NAME/.." pairs from an absolute path, in place, so that messages
// show /opt/sf/share/stepformer rather than /opt/sf/bin/../share/stepformer. The directories
// it starts from are canonical (no symbolic links), so the path still names the same place.
static void path_tidy(char *p)
{
    if (p[0] != '/')
        return;
    char *out = p + 1;
    const char *in = p + 1;
    while (*in) {
        size_t len = strcspn(in, "/");
        if (len == 0 || (len == 1 && in[0] == '.')) {
            // an empty or "." component: dropped
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            if (out > p + 1) { // back over the last component kept
                out--;
                while (out > p + 1 && out[-1] != '/')
                    out--;
            }
        } else {
            memmove(out, in, len);
            out += len;
            *out++ = '/';
        }
        in += len + (in[len] == '/');
    }
    if (out > p + 1)
        out--; // no slash at the end
    *out = '\0';
}

// The directory a build tree's marker names for `sub` (relative to the marker's directory
// `bin`), whether or not it exists. 1 when the marker has the line, 0 when it or the line is
// missing.
static int marker_dir(const char *bin, const char *sub, char *buf, size_t size)
{
    char path[DIR_MAX + sizeof DATADIR_MARKER + 1], line[DIR_MAX];
    snprintf(path, sizeof path, "%s/%s", bin, DATADIR_MARKER);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t sl = strlen(sub);
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, sub, sl) != 0 || line[sl] != '=' || !line[sl + 1])
            continue;
        const char *v = line + sl + 1;
        found = (v[0] == '/' ? snprintf(buf, size, "%s", v)
                             : snprintf(buf, size, "%s/%s", bin, v)) < (int)size;
        if (found)
            path_tidy(buf);
    }
    fclose(f);
    return found;
}

// dir canonical when it exists; 0, or -1 when it is not a directory.
static int take_dir(const char *cand, char *dir, size_t size)
{
    char real[PATH_MAX];
    if (!is_dir(cand))
        return -1;
    const char *d = realpath(cand, real) ? real : cand;
    return snprintf(dir, size, "%s", d) < (int)size ? 0 : -1;
}

int datadir_find(enum datadir_kind kind, const char *exe, char *dir, size_t size, char *why,
                 size_t wn)
{
    const char *var = kinds[kind].variable, *sub = kinds[kind].sub;
    const char *env = getenv(var);
    if (env && *env) {
        if (is_dir(env) && snprintf(dir, size, "%s", env) < (int)size)
            return 0;
        snprintf(why, wn, "%s is set to %s, which is not a directory: set it to the %s directory",
                 var, env, sub);
        return -1;
    }
    char bin[DIR_MAX], cand[DIR_MAX + 64];
    if (program_dir(exe, bin, sizeof bin)) {
        snprintf(why, wn,
                 "cannot find the %s: %s is not set and the program's own directory is not "
                 "known (no /proc/self/exe, no path in argv[0]): set %s to the %s directory",
                 sub, var, var, sub);
        return -1;
    }
    char looked[DIR_MAX * 2 + 160];
    int n = 0;
    if (marker_dir(bin, sub, cand, sizeof cand)) {
        if (!take_dir(cand, dir, size))
            return 0;
        n = snprintf(looked, sizeof looked, "%s (named by %s/%s), ", cand, bin, DATADIR_MARKER);
    }
    snprintf(cand, sizeof cand, "%s/%s/%s", bin, SF_DATA_FROM_BIN, sub);
    path_tidy(cand);
    if (!take_dir(cand, dir, size))
        return 0;
    snprintf(looked + n, sizeof looked - (size_t)n, "%s", cand);
    snprintf(why, wn,
             "cannot find the %s: %s is not set, and there is no directory %s; set %s to "
             "the %s directory",
             sub, var, looked, var, sub);
    return -1;
}

int datadir_file(enum datadir_kind kind, const char *name, char *path, size_t size, char *why,
                 size_t wn)
{
    char dir[DIR_MAX];
    if (datadir_find(kind, NULL, dir, sizeof dir, why, wn))
        return -1;
    if (snprintf(path, size, "%s/%s", dir, name) >= (int)size) {
        snprintf(why, wn, "the path of %s in %s is too long", name, dir);
        return -1;
    }
    return 0;
}
