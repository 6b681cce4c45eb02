// Fuzz harness: lesson scripts, parsed (lesson_parse) and, when they parse, run beat by beat on
// the shipped model they name, as a student would go through them (lesson mode of the app).
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stepformer/app.h"
#include "stepformer/layout.h"
#include "stepformer/lesson.h"

// A lesson longer than this is parsed but not run: running replays the model per beat.
#define FUZZ_MAX_BEATS 24

static char *eq_table; // lessons/equations.md, read on the first input (test-only state)
static int loaded;

static void load(void)
{
    char path[4096];
    const char *dir = getenv("STEPFORMER_LESSONS");
    snprintf(path, sizeof path, "%s/equations.md", dir && *dir ? dir : SF_FUZZ_LESSON_DIR);
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t cap = 1 << 20, n;
        eq_table = calloc(1, cap + 1);
        n = eq_table ? fread(eq_table, 1, cap, f) : 0;
        (void)n;
        fclose(f);
    }
    loaded = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!loaded)
        load();
    const char *names[PANEL_COUNT];
    for (int p = 0; p < PANEL_COUNT; p++)
        names[p] = panel_keyword((enum panel_id)p);
    struct lesson_panels panels = {names, PANEL_COUNT};
    struct lesson l;
    struct lesson_diags *d = malloc(sizeof *d);
    if (!d)
        return 0;
    lesson_diags_init(d, "fuzz.md");
    // the text as it is: not NUL-terminated, exactly size bytes
    int rc = lesson_parse(&l, "fuzz.md", (const char *)data, size, eq_table, &panels, d);
    char model[1100], why[300];
    if (rc == 0 && l.n_beats <= FUZZ_MAX_BEATS &&
        lesson_model_path(&l, model, sizeof model, why, sizeof why) == 0 &&
        strstr(model, ".sfm") != NULL) {
        struct app a;
        struct app_options o = {.model_path = model, .reference = 1};
        struct sf_diag why;
        if (app_init(&a, &o, &why) == 0) {
            // the app takes the lesson over (and frees it), whether it starts or not
            app_lesson_start(&a, &l, 0, NULL, d);
            for (int k = 1; a.lesson && k < a.lesson->l.n_beats; k++)
                app_lesson_goto(&a, k, d);
            app_free(&a);
        } else {
            lesson_free(&l);
        }
    } else {
        lesson_free(&l);
    }
    free(d);
    return 0;
}
