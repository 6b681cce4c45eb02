// Fuzz harness: the lesson progress file (lesson_progress_load), then the lookups and updates
// lesson mode makes on what was read.
#include "fuzz.h"

#include <stdio.h>

#include "stepformer/lesson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file_open(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    struct lesson_progress p = {0};
    if (lesson_progress_load(&p, path) == 0) {
        static const char *const ids[] = {"01-one-pass", "04-one-head", "x", ""};
        for (int i = 0; i < 4; i++) {
            lesson_progress_get(&p, ids[i]);
            lesson_progress_set(&p, ids[i], 3, 14, i & 1);
        }
        for (int i = 0; i < p.n; i++)
            lesson_progress_get(&p, p.items[i].id);
    }
    lesson_progress_free(&p);
    fuzz_file_close(fd);
    return 0;
}
