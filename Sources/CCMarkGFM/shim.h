#ifndef MATERIA_CCMARKGFM_SHIM_H
#define MATERIA_CCMARKGFM_SHIM_H
#include <cmark-gfm.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm-core-extensions.h>

/* Exported by libcmark-gfm-extensions (it builds the registered "autolink" extension) but left out
   of its headers: Materia makes a second one from it (MarkdownRenderer.autolinkWithoutAddresses). */
cmark_syntax_extension *create_autolink_extension(void);
#endif
