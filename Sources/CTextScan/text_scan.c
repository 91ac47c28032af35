// Byte scans over whole documents that Swift cannot vectorize: with SSE2 (every x86-64 CPU),
// sixteen bytes are compared at once and the results read as a bit mask.

#include "materia_text_scan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static unsigned is_space(unsigned char byte) {
    return byte == ' ' || byte == '\n' || byte == '\t' || byte == '\r';
}

size_t materia_count_words(const unsigned char *bytes, size_t count) {
    size_t words = 0, index = 0;
    unsigned previous_space = 1;  // the start counts as a space
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(' '), line_feed = _mm_set1_epi8('\n');
    const __m128i tab = _mm_set1_epi8('\t'), carriage_return = _mm_set1_epi8('\r');
    for (; index + 16 <= count; index += 16) {
        __m128i block = _mm_loadu_si128((const __m128i *)(bytes + index));
        __m128i spaces = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, space), _mm_cmpeq_epi8(block, line_feed)),
                                      _mm_or_si128(_mm_cmpeq_epi8(block, tab), _mm_cmpeq_epi8(block, carriage_return)));
        unsigned mask = (unsigned)_mm_movemask_epi8(spaces);  // bit k: byte k is a space
        unsigned after_space = (mask << 1) | previous_space;  // bit k: byte k - 1 is one
        words += (size_t)__builtin_popcount(~mask & after_space & 0xFFFFu);
        previous_space = mask >> 15;
    }
#endif
    for (; index < count; index++) {
        unsigned space_here = is_space(bytes[index]);
        words += previous_space & (space_here ^ 1);
        previous_space = space_here;
    }
    return words;
}
