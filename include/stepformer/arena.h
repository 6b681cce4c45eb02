// Arena allocator: many allocations, freed together. Allocations never move.
#ifndef STEPFORMER_ARENA_H
#define STEPFORMER_ARENA_H

#include <stddef.h>

struct arena_block;

// Memory comes in blocks of at least `block_size` bytes; a request larger than that gets a
// block of its own. Every allocation is 64-byte aligned and zero-filled, unless no_zero is
// set: then it holds whatever the memory held (for buffers that are always written before
// they are read, where zeroing would cost a pass over memory and the page faults up front).
struct arena {
    struct arena_block *head;  // blocks in use, the newest first
    struct arena_block *spare; // blocks kept by arena_reset for reuse
    size_t block_size;
    size_t used;     // bytes handed out since the last reset
    size_t reserved; // bytes held in blocks
    int no_zero;
};

// A zeroed struct arena is valid and empty (block_size then defaults to 1 MiB).
void arena_init(struct arena *a, size_t block_size);
// Returns 64-byte aligned memory (zeroed unless no_zero) or NULL when out of memory.
void *arena_alloc(struct arena *a, size_t bytes);
// For tests: from now on, memory that a no_zero arena hands out is filled with `byte` (-1
// stops it), so that a read before a write shows (0xff bytes are NaN as floats).
void arena_debug_fill(int byte);
// Forgets every allocation but keeps the blocks, so the same sizes again cost no new memory
// (and no page faults).
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
