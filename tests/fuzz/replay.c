// Runs a fuzz harness over files and directories of inputs (a seed corpus, saved crashes), so
// that they are regression tests in every build, without libFuzzer. Prints each input before
// running it, so a crash names it, and cmocka-style result lines for the test summary.
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// Runs the harness on one file: read into a buffer of exactly its size, so that reading past
// the input is caught by the address sanitizer.
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(len > 0 ? (size_t)len : 1);
    size_t got = data && len > 0 ? fread(data, 1, (size_t)len, f) : 0;
    fclose(f);
    if (!data || (long)got != (len > 0 ? len : 0)) {
        free(data);
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    printf("  %s (%ld bytes)\n", path, len);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, (size_t)got);
    free(data);
    return 0;
}

// Every regular file of dir, in name order; a missing directory holds none.
static int replay_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char **more = realloc(names, sizeof *names * (n + 1));
        if (!more)
            break;
        names = more;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            rc |= replay_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "fuzz";
    int count = 0, rc = 0;
    printf("[==========] Running 1 test(s).\n[ RUN      ] %s\n", name);
    for (int i = 2; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc |= replay_dir(argv[i], &count);
        else if (stat(argv[i], &st) == 0) {
            rc |= replay_file(argv[i]);
            count++;
        }
    }
    if (rc || count == 0) {
        printf("[  FAILED  ] %s: %s\n[==========] 1 test(s) run.\n[  FAILED  ] 1 test(s).\n", name,
               count ? "an input could not be read" : "no inputs found");
        return 1;
    }
    printf("[       OK ] %s: %d inputs\n[==========] 1 test(s) run.\n[  PASSED  ] 1 test(s).\n",
           name, count);
    return 0;
}
