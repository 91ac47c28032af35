#ifndef MATERIA_CMARK_ARENA_H
#define MATERIA_CMARK_ARENA_H

#include <stddef.h>

/// Where a thread's document arena stood when a document began (see arena.c).
typedef struct materia_arena_mark {
    void *chunk;
    size_t used;
    size_t outstanding;
} materia_arena_mark;

/// The calling thread's arena as a cmark_mem (returned untyped: this header does not depend on
/// cmark-gfm's). What is allocated in its chunks is released by materia_arena_end, not by free.
void *materia_arena_allocator(void);

/// Starts a document on the calling thread: what is allocated through the allocator from here on
/// belongs to it. Documents nest, last in first out (a mark per document, ended in the reverse
/// order), and a nested document must not free what an outer one allocated.
materia_arena_mark materia_arena_begin(void);

/// Whether blocks that went to malloc since `mark` are still held: then the document (its tree,
/// its parser) must be freed the usual way before materia_arena_end, or they leak.
int materia_arena_outstanding(materia_arena_mark mark);

/// Releases at once everything the calling thread allocated in chunks since `mark` was taken.
/// Must run on the thread that took the mark, after the last use of anything allocated since.
void materia_arena_end(materia_arena_mark mark);

/// Bytes the calling thread's arena holds right now, in chunks and malloc'd blocks (for tests).
size_t materia_arena_reserved(void);

#endif
