// Arena allocator: many allocations, freed together. Allocations never move.
#ifndef STEPFORMER_ARENA_H
#define STEPFORMER_ARENA_H

#include <stddef.h>

struct arena_block;

// Memory comes in blocks of at least `block_size` bytes; a request larger than that gets a
// block of its own. Every allocation is 64-byte aligned and zero-filled.
struct arena {
    struct arena_block *head;  // blocks in use, the newest first
    struct arena_block *spare; // blocks kept by arena_reset for reuse
    size_t block_size;
    size_t used;     // bytes handed out since the last reset
    size_t reserved; // bytes held in blocks
};

// A zeroed struct arena is valid and empty (block_size then defaults to 1 MiB).
void arena_init(struct arena *a, size_t block_size);
// Returns zeroed, 64-byte aligned memory or NULL when out of memory.
void *arena_alloc(struct arena *a, size_t bytes);
// Forgets every allocation but keeps the blocks, so the same sizes again cost no new memory
// (and no page faults).
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
