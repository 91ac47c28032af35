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

// 0: an ASCII byte outside words; 1: an ASCII letter, digit or "_"; 2: a byte of a character
// that is not ASCII (its class is known only once decoded); 3: NUL, the end of the text.
static const unsigned char byte_class[256] = {
    [0] = 3,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['_'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    [0x80 ... 0xFF] = 2,
};

static inline unsigned char lower(unsigned char byte) {
    return (unsigned char)(byte - 'A') < 26 ? byte + 32 : byte;
}

int materia_next_term_word(const unsigned char *text, long count, long from,
                           const materia_autolink_filter *filter, materia_term_word *word) {
    (void)count;  // the NUL at text[count] ends every loop below: no bounds to check
    const unsigned char *at = text + from;
    for (;;) {
        // Up to the next word: the bytes between words are nearly always ASCII.
        unsigned char kind;
        while ((kind = byte_class[*at]) == 0) at++;
        if (kind == 3) return 0;
        const unsigned char *start = at;
        if (kind == 2) goto decode;
        at++;
        for (;;) {
            while (byte_class[*at] == 1) at++;
            // An inner hyphen joins two words ("x-ray"); the byte after it is at most the NUL.
            if (*at != '-') break;
            kind = byte_class[at[1]];
            if (kind == 1) {
                at += 2;
                continue;
            }
            if (kind == 2) goto decode;
            break;
        }
        if (byte_class[*at] == 2) goto decode;
        long length = at - start;
        unsigned signature = materia_word_signature(start[0], length > 1 ? start[1] : 0, at[-1], length);
        if (!(filter->signatures[signature >> 6] >> (signature & 63) & 1)) continue;
        uint64_t hash = 0xcbf29ce484222325ULL;
        for (const unsigned char *byte = start; byte < at; byte++) hash = (hash ^ lower(*byte)) * 0x100000001b3ULL;
        unsigned bit = (unsigned)hash & 0xFFFF;
        if (!(filter->hash_bits[bit >> 6] >> (bit & 63) & 1)) continue;
        word->start = start - text;
        word->end = at - text;
        word->hash = hash;
        word->slow = 0;
        return 1;
    decode:
        // A character that is not ASCII in or next to the word: the caller decodes from here.
        word->start = start - text;
        word->slow = 1;
        return 1;
    }
}
