#ifndef MATERIA_TEXT_SCAN_H
#define MATERIA_TEXT_SCAN_H

#include <stddef.h>

/// How many words `bytes` holds: a word starts at every byte that is not a space, line feed, tab
/// or carriage return and follows one of those (or the start).
size_t materia_count_words(const unsigned char *bytes, size_t count);

#endif
