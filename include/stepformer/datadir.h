// Where the shipped data is found: the models and the lessons. No path of the build machine is
// compiled in; the directories are found from the program's own location.
#ifndef STEPFORMER_DATADIR_H
#define STEPFORMER_DATADIR_H

#include <stddef.h>

// The kinds of shipped data, each a directory of its own.
enum datadir_kind {
    DATADIR_MODELS,  // textbook.sfm, notebook.sfm, chars.sfm and models lessons name
    DATADIR_LESSONS, // NN-name.md, equations.md, README.md
};

// The file beside a program in a build directory that names the source tree's data
// directories, one `models=DIR` and one `lessons=DIR` line, each DIR relative to the file's
// directory (or absolute). Meson writes it at configure time.
#define DATADIR_MARKER "stepformer-data"

// The directory of `kind`, looked for in this order, the first that applies wins:
//   1. the environment: STEPFORMER_MODELS or STEPFORMER_LESSONS, when set and not empty (a
//      value that is not a directory is an error, never passed over);
//   2. a build tree: DATADIR_MARKER beside the program names the directory;
//   3. an installation: DIR/../share/stepformer/models or .../lessons, DIR being the program's
//      directory (the part between is datadir_from_bin(), from meson's bindir and datadir).
// The program is `exe` when given (tests), else /proc/self/exe, else argv[0] (looked up in
// PATH when it has no slash). Returns 0 with dir filled (canonical, except an environment
// value, which is kept as given), or -1 with why naming every place looked in and the
// variable to set.
int datadir_find(enum datadir_kind kind, const char *exe, char *dir, size_t size, char *why,
                 size_t wn);

// The file `name` in the directory of `kind` (datadir_find with the running program): 0 with
// path filled, or -1 with why.
int datadir_file(enum datadir_kind kind, const char *name, char *path, size_t size, char *why,
                 size_t wn);

// The environment variable that names the directory of `kind`.
const char *datadir_variable(enum datadir_kind kind);

// The installed data directory relative to the program's directory ("../share/stepformer").
const char *datadir_from_bin(void);

#endif
