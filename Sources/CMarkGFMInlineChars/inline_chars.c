// cmark-gfm 0.29 keeps one process-wide table of the characters that start inline syntax. Every
// parse adds its extensions' characters ("~" for strikethrough, ...) to that table when it starts
// parsing inlines and removes them when it ends (process_inlines in blocks.c calls
// cmark_manage_extensions_special_characters with add = 1, then 0). Two parsers on two threads
// therefore clear each other's characters mid-parse: "~~strike~~" comes out as text, with no error.
//
// The library calls that function through its PLT, so a definition in the executable replaces it.
// This one adds the characters of the first parser's extensions once and never removes them: the
// table is then the same for every parse, which is correct because every Materia parser attaches
// the same extensions (MarkdownRenderer.extensionNames), and parsers on several threads no
// longer write to it. MarkdownRenderer checks that this replacement is the one the library calls
// (materia_cmark_inline_chars_calls) before it lets parses overlap, and keeps its lock otherwise.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include "cmark_inline_chars.h"

typedef void (*manage_function)(void *parser, int add);

static atomic_long calls = 0;
static atomic_int added = 0;
static pthread_mutex_t adding = PTHREAD_MUTEX_INITIALIZER;

void cmark_manage_extensions_special_characters(void *parser, int add) {
    atomic_fetch_add(&calls, 1);
    if (!add || atomic_load(&added)) {
        return;
    }
    pthread_mutex_lock(&adding);
    if (!atomic_load(&added)) {
        manage_function original = (manage_function)dlsym(RTLD_NEXT, "cmark_manage_extensions_special_characters");
        if (original != NULL) {
            original(parser, 1);
        }
        atomic_store(&added, 1);
    }
    pthread_mutex_unlock(&adding);
}

void materia_cmark_inline_chars_add(void *parser) {
    pthread_mutex_lock(&adding);
    manage_function original = (manage_function)dlsym(RTLD_NEXT, "cmark_manage_extensions_special_characters");
    if (original != NULL) {
        original(parser, 1);
    }
    atomic_store(&added, 1);
    pthread_mutex_unlock(&adding);
}

long materia_cmark_inline_chars_calls(void) {
    return atomic_load(&calls);
}
