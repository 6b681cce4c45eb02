// Arena allocator: blocks of memory handed out in 64-byte aligned pieces, freed together.
#include "stepformer/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN         64
#define ARENA_DEFAULT_BLOCK ((size_t)1 << 20)

struct arena_block {
    struct arena_block *next;
    size_t size; // usable bytes after the header
    size_t used;
    unsigned char *mem; // ARENA_ALIGN aligned
};

static int debug_fill = -1; // arena_debug_fill

void arena_init(struct arena *a, size_t block_size)
{
    memset(a, 0, sizeof *a);
    a->block_size = block_size;
}

static struct arena_block *block_new(size_t size)
{
    struct arena_block *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    if (posix_memalign((void **)&b->mem, ARENA_ALIGN, size) != 0) {
        free(b);
        return NULL;
    }
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *arena_alloc(struct arena *a, size_t bytes)
{
    if (bytes > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size_t need = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        // A kept block that is large enough, else a new one.
        struct arena_block **link = &a->spare, *nb = NULL;
        while (*link && (*link)->size < need)
            link = &(*link)->next;
        if (*link) {
            nb = *link;
            *link = nb->next;
        } else {
            size_t bs = a->block_size ? a->block_size : ARENA_DEFAULT_BLOCK;
            nb = block_new(need > bs ? need : bs);
            if (!nb)
                return NULL;
            a->reserved += nb->size;
        }
        nb->next = a->head;
        a->head = nb;
        b = nb;
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->used += need;
    if (!a->no_zero)
        memset(p, 0, need);
    else if (debug_fill >= 0)
        memset(p, debug_fill, need);
    return p;
}

void arena_debug_fill(int byte)
{
    debug_fill = byte;
}

void arena_reset(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        b->used = 0;
        b->next = a->spare;
        a->spare = b;
        b = next;
    }
    a->head = NULL;
    a->used = 0;
}

static void free_list(struct arena_block *b)
{
    while (b) {
        struct arena_block *next = b->next;
        free(b->mem);
        free(b);
        b = next;
    }
}

void arena_free(struct arena *a)
{
    free_list(a->head);
    free_list(a->spare);
    a->head = NULL;
    a->spare = NULL;
    a->used = 0;
    a->reserved = 0;
}
