#ifndef MATERIA_CMARK_INLINE_CHARS_H
#define MATERIA_CMARK_INLINE_CHARS_H

/// How many times cmark-gfm called Materia's replacement of
/// cmark_manage_extensions_special_characters (see inline_chars.c). Zero after a parse with
/// extensions means the library does not go through the replacement, and parsing must stay on
/// one thread at a time.
long materia_cmark_inline_chars_calls(void);

/// Adds the characters of `parser`'s extensions to cmark-gfm's table, as the library does when a
/// parse starts, whether or not the table was filled before (the replacement fills it only once):
/// for a character an extension gets back after it was left out of the table.
void materia_cmark_inline_chars_add(void *parser);

#endif
