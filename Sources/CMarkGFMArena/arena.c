// A bump allocator for cmark-gfm, one per thread. cmark-gfm allocates every node, string buffer
// and list cell of a document separately through its cmark_mem, and frees them one by one when
// the document is freed: in a build that is millions of calloc/free pairs, about a tenth of the
// Markdown phase. Here a document's small allocations are carved out of large chunks, freeing
// one does nothing, and they are all released together when the document is done
// (materia_arena_end): the tree need not be freed node by node.
//
// Two kinds of block go to malloc instead, each with a header saying so, and are freed like any
// malloc'd block: large ones (the buffers that grow, such as a document's HTML: growing them in
// the arena would leave a copy behind each time), and everything a very large document allocates
// once it has filled a few chunks (the arena reuses nothing before the end, malloc does). While
// such blocks are held, materia_arena_outstanding says so, and the caller frees the document the
// usual way before ending it.
//
// cmark_mem's functions take no context, so the arena is found through a thread-local variable:
// a document must be parsed, rewritten and rendered on one thread (MarkdownRenderer does all
// three inside one call), and nothing allocated for it may be used after its end.

#include <cmark-gfm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmark_arena.h"

typedef struct chunk {
    struct chunk *previous;
    size_t size;  // usable bytes in data
    size_t used;
    size_t last;  // offset of the newest allocation's header (it can grow or shrink in place)
    _Alignas(16) unsigned char data[];
} chunk;

// Before every block: its size (realloc copies that much) and where it lives.
typedef struct header {
    size_t size;
    size_t kind;
} header;

enum { IN_CHUNK = 0x41524e41, MALLOCED = 0x4d4c4f43 };
enum { ALIGN = 16, CHUNK_SIZE = 512 * 1024, LARGE_SIZE = 16 * 1024, MAX_CHUNKS = 8 };

typedef struct arena {
    chunk *current;      // newest chunk; older ones through `previous`
    size_t chunks;
    size_t outstanding;  // malloc'd blocks not yet freed
    size_t outstanding_bytes;
} arena;

static _Thread_local arena state;
static pthread_key_t cleanup_key;
static pthread_once_t cleanup_once = PTHREAD_ONCE_INIT;

// The thread's chunks go back to malloc when the thread ends.
static void release_thread(void *value) {
    (void)value;
    while (state.current) {
        chunk *previous = state.current->previous;
        free(state.current);
        state.current = previous;
    }
    state.chunks = 0;
}

static void make_key(void) { pthread_key_create(&cleanup_key, release_thread); }

static void out_of_memory(void) {
    fprintf(stderr, "[materia] out of memory while converting Markdown\n");
    abort();
}

static size_t round_up(size_t size) {
    if (size > SIZE_MAX - 2 * ALIGN - sizeof(header)) out_of_memory();
    return (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static void *allocate_malloced(size_t size) {
    header *h = malloc(sizeof(header) + size);
    if (!h) out_of_memory();
    h->size = size;
    h->kind = MALLOCED;
    state.outstanding += 1;
    state.outstanding_bytes += size;
    return h + 1;
}

// Hands out `need` bytes (header included) at the end of chunk `c`, which has room for them.
static inline void *carve(chunk *c, size_t size, size_t need) {
    header *h = (header *)(c->data + c->used);
    h->size = size;
    h->kind = IN_CHUNK;
    c->last = c->used;
    c->used += need;
    return h + 1;
}

static void *allocate(size_t size) {
    size_t need = sizeof(header) + round_up(size);
    if (need > LARGE_SIZE) return allocate_malloced(size);
    chunk *c = state.current;
    if (!c || c->size - c->used < need) {
        if (state.chunks >= MAX_CHUNKS) return allocate_malloced(size);
        c = malloc(sizeof(chunk) + CHUNK_SIZE);
        if (!c) out_of_memory();
        c->previous = state.current;
        c->size = CHUNK_SIZE;
        c->used = 0;
        if (!state.current) {
            pthread_once(&cleanup_once, make_key);
            pthread_setspecific(cleanup_key, &state);
        }
        state.current = c;
        state.chunks += 1;
    }
    return carve(c, size, need);
}

// A block this arena did not hand out (a pointer from another allocator) is a bug to stop at,
// not to leak quietly.
static void check_kind(const header *h) {
    if (h->kind != IN_CHUNK && h->kind != MALLOCED) {
        fprintf(stderr, "[materia] a block not from the Markdown arena was freed through it\n");
        abort();
    }
}

static int is_newest(header *h) {
    chunk *c = state.current;
    return c && c->last != SIZE_MAX && (unsigned char *)h == c->data + c->last;
}

// The common case of allocate, inlined into its callers: a small block that fits in the current
// chunk (no registers to save, no call). NULL sends the caller to allocate.
static inline void *bump(size_t size) {
    if (size > LARGE_SIZE) return NULL;
    size_t need = sizeof(header) + ((size + ALIGN - 1) & ~(size_t)(ALIGN - 1));
    chunk *c = state.current;
    if (!c || c->size - c->used < need || need > LARGE_SIZE) return NULL;
    return carve(c, size, need);
}

static void *arena_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) out_of_memory();
    void *pointer = bump(count * size);
    if (!pointer) pointer = allocate(count * size);
    memset(pointer, 0, count * size);
    return pointer;
}

static void *arena_realloc(void *pointer, size_t size) {
    if (!pointer) return allocate(size);
    header *h = (header *)pointer - 1;
    check_kind(h);
    if (h->kind == MALLOCED) {
        size_t old = h->size;
        (void)round_up(size);  // the same overflow check as any allocation
        header *moved = realloc(h, sizeof(header) + size);
        if (!moved) out_of_memory();
        moved->size = size;
        state.outstanding_bytes += size - old;
        return moved + 1;
    }
    size_t need = sizeof(header) + round_up(size);
    // The newest block grows where it is while it stays small and fits.
    if (need <= LARGE_SIZE && is_newest(h) && state.current->size - state.current->last >= need) {
        h->size = size;
        state.current->used = state.current->last + need;
        return pointer;
    }
    size_t old = h->size;
    void *moved = allocate(size);
    memcpy(moved, pointer, old < size ? old : size);
    return moved;
}

static void arena_free(void *pointer) {
    if (!pointer) return;
    header *h = (header *)pointer - 1;
    check_kind(h);
    if (h->kind == MALLOCED) {
        state.outstanding -= 1;
        state.outstanding_bytes -= h->size;
        free(h);
    } else if (is_newest(h)) {
        // A block in a chunk is released with its document, or at once when it is the newest.
        state.current->used = state.current->last;
        state.current->last = SIZE_MAX;
    }
}

static cmark_mem allocator = {arena_calloc, arena_realloc, arena_free};

void *materia_arena_allocator(void) { return &allocator; }

materia_arena_mark materia_arena_begin(void) {
    materia_arena_mark mark = {state.current, state.current ? state.current->used : 0, state.outstanding};
    return mark;
}

int materia_arena_outstanding(materia_arena_mark mark) { return state.outstanding > mark.outstanding; }

void materia_arena_end(materia_arena_mark mark) {
    // Chunks made since the mark go back to malloc, except the thread's first, which is reused.
    while (state.current && state.current != mark.chunk && state.current->previous) {
        chunk *previous = state.current->previous;
        free(state.current);
        state.current = previous;
        state.chunks -= 1;
    }
    if (!state.current) return;
    state.current->used = state.current == mark.chunk ? mark.used : 0;
    state.current->last = SIZE_MAX;
}

size_t materia_arena_reserved(void) {
    size_t total = state.outstanding_bytes;
    for (chunk *c = state.current; c; c = c->previous) total += c->size;
    return total;
}
