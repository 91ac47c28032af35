// Byte scans over whole documents that Swift cannot vectorize: with SSE2 (every x86-64 CPU),
// sixteen bytes are compared at once and the results read as a bit mask.

#include "materia_text_scan.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// The word scan reads whole aligned blocks, a few bytes before a text and after its NUL included
// (never outside the text's pages). AddressSanitizer would report those reads: under it the byte
// loop scans instead.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MATERIA_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MATERIA_ADDRESS_SANITIZER 1
#endif
#if defined(__SSE2__) && !defined(MATERIA_ADDRESS_SANITIZER)
#define MATERIA_BLOCK_SCAN 1
#endif

#if defined(__SSE2__)
// The bytes of a block each scan stops at, as bits (bit k: byte k). `option`: the apostrophe for
// the HTML scan, "for a script" for the JSON scan.
typedef unsigned (*block_stops)(__m128i block, int option);

static inline unsigned html_stops(__m128i block, int apostrophe) {
    // Without apostrophes the fifth comparison is with `&` again, which changes nothing.
    __m128i found = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('&')), _mm_cmpeq_epi8(block, _mm_set1_epi8('<'))),
                                 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('>')), _mm_cmpeq_epi8(block, _mm_set1_epi8('"'))),
                                              _mm_cmpeq_epi8(block, _mm_set1_epi8(apostrophe ? '\'' : '&'))));
    return (unsigned)_mm_movemask_epi8(found);
}

static inline unsigned json_stops(__m128i block, int for_script) {
    // A control byte: the unsigned minimum of the byte and 0x1F is the byte itself.
    __m128i found = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(block, _mm_set1_epi8(0x1F)), block),
                                 _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')), _mm_cmpeq_epi8(block, _mm_set1_epi8('\\'))));
    if (for_script) {
        found = _mm_or_si128(found, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('<')), _mm_cmpeq_epi8(block, _mm_set1_epi8('>'))),
                                                 _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('&')),
                                                              _mm_cmpeq_epi8(block, _mm_set1_epi8((char)0xE2)))));
    }
    return (unsigned)_mm_movemask_epi8(found);
}

// Where a form of `materia_autolink_forms` may start ("w" is looked at with the bytes after it).
static inline unsigned form_stops(__m128i block, int unused) {
    (void)unused;
    __m128i found = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('@')), _mm_cmpeq_epi8(block, _mm_set1_epi8('&'))),
                                 _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8(':')),
                                              _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('w')), _mm_cmpeq_epi8(block, _mm_set1_epi8('W')))));
    return (unsigned)_mm_movemask_epi8(found);
}
#endif

#if defined(MATERIA_BLOCK_SCAN)
// `stops` of the last `count` (1 to 15) bytes of a scan, at `bytes`, read as one block, so that a
// short text or the end of a long one is compared as its sixteen-byte blocks are (a byte at a
// time, they took most of the scans' instructions: most texts are short). The block starts at
// `bytes` when its sixteen bytes lie in one page; else it ends at `bytes + count` (then in the
// page of `bytes`). Either way it is read from mapped memory, and the bits of the bytes it holds
// outside the text are dropped: bit k is byte k of the text.
static inline unsigned last_stops(const unsigned char *bytes, size_t count, block_stops stops, int option) {
    unsigned shift = 0;
    const unsigned char *from = bytes;
    if (((uintptr_t)bytes & 4095) > 4096 - 16) {
        shift = (unsigned)(16 - count);
        from = bytes + count - 16;
    }
    return (stops(_mm_loadu_si128((const __m128i *)from), option) >> shift) & ((1u << count) - 1);
}
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
    // Byte 15 of the block before: all ones when that byte was a space (the start counts as one).
    __m128i before = _mm_set1_epi8((char)0xFF);
    while (index + 16 <= count) {
        // Starts are counted in sixteen byte lanes (each adds at most 1 a block, so at most 255
        // blocks before the lanes are summed), not by a population count of a mask per block.
        __m128i lanes = _mm_setzero_si128();
        for (int blocks = 0; blocks < 255 && index + 16 <= count; blocks++, index += 16) {
            __m128i block = _mm_loadu_si128((const __m128i *)(bytes + index));
            __m128i spaces = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, space), _mm_cmpeq_epi8(block, line_feed)),
                                          _mm_or_si128(_mm_cmpeq_epi8(block, tab), _mm_cmpeq_epi8(block, carriage_return)));
            // Byte k: byte k - 1 is a space (byte 0: the last byte of the block before).
            __m128i after_space = _mm_or_si128(_mm_slli_si128(spaces, 1), _mm_srli_si128(before, 15));
            // A start is all ones; subtracting it adds one to its lane.
            lanes = _mm_sub_epi8(lanes, _mm_andnot_si128(spaces, after_space));
            before = spaces;
        }
        __m128i sums = _mm_sad_epu8(lanes, _mm_setzero_si128());  // two sums of eight lanes
        words += (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
    }
    previous_space = (unsigned)_mm_movemask_epi8(before) >> 15;
#endif
    for (; index < count; index++) {
        unsigned space_here = is_space(bytes[index]);
        words += previous_space & (space_here ^ 1);
        previous_space = space_here;
    }
    return words;
}

size_t materia_html_escape_scan(const unsigned char *bytes, size_t count, int apostrophe) {
    size_t index = 0;
#if defined(__SSE2__)
    for (; index + 16 <= count; index += 16) {
        unsigned mask = html_stops(_mm_loadu_si128((const __m128i *)(bytes + index)), apostrophe);
        if (mask) return index + (size_t)__builtin_ctz(mask);
    }
#endif
#if defined(MATERIA_BLOCK_SCAN)
    if (index < count) {
        unsigned mask = last_stops(bytes + index, count - index, html_stops, apostrophe);
        return mask ? index + (size_t)__builtin_ctz(mask) : count;
    }
#endif
    for (; index < count; index++) {
        unsigned char byte = bytes[index];
        if (byte == '&' || byte == '<' || byte == '>' || byte == '"' || (apostrophe && byte == '\'')) return index;
    }
    return count;
}

size_t materia_html_escape(const unsigned char *bytes, size_t count, int apostrophe, unsigned char *out) {
    size_t written = 0, index = 0;
    while (index < count) {
        // The bytes up to the next one to replace are copied as one run.
        size_t next = index + materia_html_escape_scan(bytes + index, count - index, apostrophe);
        memcpy(out + written, bytes + index, next - index);
        written += next - index;
        if (next >= count) break;
        const char *replacement;
        switch (bytes[next]) {
        case '&': replacement = "&amp;"; break;
        case '<': replacement = "&lt;"; break;
        case '>': replacement = "&gt;"; break;
        case '"': replacement = "&quot;"; break;
        default: replacement = "&#39;"; break;  // the scan stops at these five bytes only
        }
        size_t length = strlen(replacement);
        memcpy(out + written, replacement, length);
        written += length;
        index = next + 1;
    }
    return written;
}

size_t materia_json_escape_scan(const unsigned char *bytes, size_t count, int for_script) {
    size_t index = 0;
#if defined(__SSE2__)
    for (; index + 16 <= count; index += 16) {
        unsigned mask = json_stops(_mm_loadu_si128((const __m128i *)(bytes + index)), for_script);
        if (mask) return index + (size_t)__builtin_ctz(mask);
    }
#endif
#if defined(MATERIA_BLOCK_SCAN)
    if (index < count) {
        unsigned mask = last_stops(bytes + index, count - index, json_stops, for_script);
        return mask ? index + (size_t)__builtin_ctz(mask) : count;
    }
#endif
    for (; index < count; index++) {
        unsigned char byte = bytes[index];
        if (byte < 0x20 || byte == '"' || byte == '\\') return index;
        if (for_script && (byte == '<' || byte == '>' || byte == '&' || byte == 0xE2)) return index;
    }
    return count;
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

// The word at or after `at`: 1 with [*start, *end) for an ASCII word (letters, digits and "_",
// inner hyphens joining them), 2 with *start when a character that is not ASCII is in or next to
// it (or is the next character that is not a space or punctuation), 0 at the end of the text.
static inline int scan_word(const unsigned char *at, const unsigned char **start, const unsigned char **end) {
    unsigned char kind;
    while ((kind = byte_class[*at]) == 0) at++;
    if (kind == 3) return 0;
    *start = at;
    if (kind == 2) return 2;
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
        if (kind == 2) return 2;
        break;
    }
    if (byte_class[*at] == 2) return 2;
    *end = at;
    return 1;
}

#if defined(MATERIA_BLOCK_SCAN)
// The text read sixteen bytes at a time, as bit masks (bit k: byte k of the block): the bytes of
// words (letters, digits, "_") and the bytes that end a gap (a word's byte, a byte that is not
// ASCII, or the NUL). Blocks are aligned, so a block holding any byte of the text lies in the
// text's pages: the bytes before the text and after its NUL that a block also holds are read but
// never used (their bits are masked off, and no block after the NUL's is read).
typedef struct {
    const unsigned char *block;
    unsigned word;
    unsigned stop;
} block_masks;

static inline __m128i bytes_in_range(__m128i bytes, unsigned char low, unsigned char high) {
    __m128i above = _mm_cmpeq_epi8(_mm_max_epu8(bytes, _mm_set1_epi8((char)low)), bytes);
    __m128i below = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8((char)high)), bytes);
    return _mm_and_si128(above, below);
}

static inline void load_block(block_masks *masks, const unsigned char *block) {
    __m128i bytes = _mm_load_si128((const __m128i *)block);
    __m128i word = _mm_or_si128(_mm_or_si128(bytes_in_range(bytes, '0', '9'),
                                             bytes_in_range(_mm_or_si128(bytes, _mm_set1_epi8(0x20)), 'a', 'z')),
                                _mm_cmpeq_epi8(bytes, _mm_set1_epi8('_')));
    masks->block = block;
    masks->word = (unsigned)_mm_movemask_epi8(word);
    // Bytes that are not ASCII have their top bit set; NUL compares equal to zero.
    masks->stop = masks->word | (unsigned)_mm_movemask_epi8(bytes) |
                  (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_setzero_si128()));
}

// The first byte at or after `at` that ends a gap (`gap` 1) or that is not a word's byte (`gap`
// 0). Such a byte is always found: the NUL is both.
static inline const unsigned char *first_in_blocks(block_masks *masks, const unsigned char *at, int gap) {
    const unsigned char *block = (const unsigned char *)((uintptr_t)at & ~(uintptr_t)15);
    if (block != masks->block) load_block(masks, block);
    unsigned bits = (gap ? masks->stop : ~masks->word & 0xFFFFu) & (0xFFFFu << (at - block));
    while (bits == 0) {
        load_block(masks, masks->block + 16);
        bits = gap ? masks->stop : ~masks->word & 0xFFFFu;
    }
    return masks->block + __builtin_ctz(bits);
}

// `scan_word` on blocks: the same words, the same results.
static inline int scan_word_in_blocks(block_masks *masks, const unsigned char *at, const unsigned char **start,
                                      const unsigned char **end) {
    at = first_in_blocks(masks, at, 1);
    unsigned char kind = byte_class[*at];
    if (kind == 3) return 0;
    *start = at;
    if (kind == 2) return 2;
    for (;;) {
        at = first_in_blocks(masks, at + 1, 0);
        // An inner hyphen joins two words ("x-ray"); the byte after it is at most the NUL.
        if (*at != '-') break;
        kind = byte_class[at[1]];
        if (kind == 2) return 2;
        if (kind != 1) break;
        at++;
    }
    if (byte_class[*at] == 2) return 2;
    *end = at;
    return 1;
}
#endif

// A word `next_term_word` found: [start, end) and its hash, or, when `slow` is 1, only `start`:
// a place where a character that is not ASCII has to be decoded to find the next word (the
// caller's own scan takes over there).
typedef struct {
    long start;
    long end;
    uint64_t hash;
    int slow;
} term_word;

// The next word at or after `from` that may start a term: an ASCII word that passes the
// filters, or a place to decode. ASCII words that fail the filters are passed over. 0 when no
// such word is left. `text` ends with a NUL, which ends every loop: no bounds to check.
static int next_term_word(const unsigned char *text, long from, const materia_autolink_filter *filter, term_word *word) {
    const unsigned char *at = text + from, *start = at, *end = at;
#if defined(MATERIA_BLOCK_SCAN)
    block_masks masks = {0};
#endif
    for (;;) {
#if defined(MATERIA_BLOCK_SCAN)
        int found = scan_word_in_blocks(&masks, at, &start, &end);
#else
        int found = scan_word(at, &start, &end);
#endif
        if (found == 0) return 0;
        if (found == 2) {
            // A character that is not ASCII in or next to the word: the caller decodes from here.
            word->start = start - text;
            word->slow = 1;
            return 1;
        }
        at = end;
        long length = end - start;
        unsigned signature = materia_word_signature(start[0], length > 1 ? start[1] : 0, end[-1], length);
        if (!(filter->signatures[signature >> 6] >> (signature & 63) & 1)) continue;
        uint64_t hash = materia_word_hash(start, (size_t)(end - start));
        unsigned bit = (unsigned)hash & 0xFFFF;
        if (!(filter->hash_bits[bit >> 6] >> (bit & 63) & 1)) continue;
        word->start = start - text;
        word->end = end - text;
        word->hash = hash;
        word->slow = 0;
        return 1;
    }
}

enum { most_words = 32 };

// Whether the text's word [start, end) is word `offset` of `entry`.
static inline int word_equals(const materia_autolink_table *table, const materia_autolink_entry *entry, int offset,
                              const unsigned char *start, const unsigned char *end) {
    int index = entry->first_word + offset;
    long length = table->word_lengths[index];
    if (end - start != length) return 0;
    const unsigned char *expected = table->word_bytes + table->word_starts[index];
    for (long at = 0; at < length; at++) {
        unsigned char byte = entry->case_sensitive ? start[at] : materia_ascii_lower(start[at]);
        if (byte != expected[at]) return 0;
    }
    return 1;
}

// The longest of `entries` that matches at the text's word [first_start, first_end): 1 with its
// end and term, 0 for none, -1 when a later word needs decoding or a term is too long.
static int longest_match(const unsigned char *first_start, const unsigned char *first_end, const materia_autolink_entry *entries,
                         int count, const materia_autolink_table *table, const unsigned char **end, long *term) {
    const unsigned char *starts[most_words], *ends[most_words];
    starts[0] = first_start;
    ends[0] = first_end;
    int scanned = 1, second_asked = 0, have_second = 0;
    uint64_t second = 0;
    for (int index = 0; index < count; index++) {
        const materia_autolink_entry *entry = &entries[index];
        if (entry->word_count > most_words) return -1;
        if (entry->has_second_hash) {
            if (!second_asked) {
                second_asked = 1;
                if (scanned < 2) {
                    int found = scan_word(ends[0], &starts[1], &ends[1]);
                    if (found == 2) return -1;
                    if (found == 1) scanned = 2;
                }
                if (scanned > 1) {
                    second = materia_word_hash(starts[1], (size_t)(ends[1] - starts[1]));
                    have_second = 1;
                }
            }
            if (have_second && second != entry->second_hash) continue;
        }
        int matched = 1;
        for (int offset = 0; offset < entry->word_count; offset++) {
            // The text's words are read only as far as a term needs them.
            if (offset == scanned) {
                int found = scan_word(ends[offset - 1], &starts[offset], &ends[offset]);
                if (found == 2) return -1;
                if (found == 0) {
                    matched = 0;
                    break;
                }
                scanned++;
            }
            if (!word_equals(table, entry, offset, starts[offset], ends[offset])) {
                matched = 0;
                break;
            }
            // Words of a term are separated by spaces only in the text.
            if (offset > 0) {
                const unsigned char *gap = ends[offset - 1];
                while (gap < starts[offset] && *gap == ' ') gap++;
                if (gap != starts[offset]) {
                    matched = 0;
                    break;
                }
            }
        }
        if (matched) {
            *end = ends[entry->word_count - 1];
            *term = entry->term;
            return 1;
        }
    }
    return 0;
}

int materia_next_term_match(const unsigned char *text, long from,
                            const materia_autolink_table *table, materia_term_match *match) {
    long position = from;
    term_word word;
    while (next_term_word(text, position, &table->filter, &word)) {
        if (word.slow) {
            match->start = word.start;
            match->slow = 1;
            return 1;
        }
        position = word.end;
        long slot = (long)(word.hash & (uint64_t)table->slot_mask);
        while (table->slot_count[slot] != 0 && table->slot_hashes[slot] != word.hash) slot = (slot + 1) & table->slot_mask;
        if (table->slot_count[slot] == 0) continue;
        const unsigned char *end;
        long term;
        int found = longest_match(text + word.start, text + word.end, table->entries + table->slot_begin[slot],
                                  table->slot_count[slot], table, &end, &term);
        if (found == 0) continue;
        match->start = word.start;
        match->slow = found < 0;
        if (found > 0) {
            match->end = end - text;
            match->term = term;
        }
        return 1;
    }
    return 0;
}

// The `materia_autolink_forms` bits of the form that starts at `index`, if any.
static int autolink_form_at(const unsigned char *bytes, size_t count, size_t index) {
    switch (bytes[index]) {
    case '@':
    case '&':
        return MATERIA_AUTOLINK_ANY | MATERIA_AUTOLINK_ADDRESS;
    case ':':
        return index + 2 < count && bytes[index + 1] == '/' && bytes[index + 2] == '/' ? MATERIA_AUTOLINK_ANY : 0;
    case 'w':
    case 'W':
        // After "/" (as in "https://www."), the extension never takes "www." for a link's start.
        return index + 3 < count && (bytes[index + 1] | 0x20) == 'w' && (bytes[index + 2] | 0x20) == 'w' && bytes[index + 3] == '.'
                       && (index == 0 || bytes[index - 1] != '/')
                   ? MATERIA_AUTOLINK_ANY | MATERIA_AUTOLINK_WWW : 0;
    default:
        return 0;
    }
}

int materia_autolink_forms(const unsigned char *bytes, size_t count) {
    const int all = MATERIA_AUTOLINK_ANY | MATERIA_AUTOLINK_WWW | MATERIA_AUTOLINK_ADDRESS;
    int forms = 0;
    size_t index = 0;
#if defined(__SSE2__)
    // "w" is common in prose: each one found is looked at with the three bytes after it.
    for (; index + 16 <= count; index += 16) {
        for (unsigned mask = form_stops(_mm_loadu_si128((const __m128i *)(bytes + index)), 0); mask != 0; mask &= mask - 1) {
            forms |= autolink_form_at(bytes, count, index + (size_t)__builtin_ctz(mask));
            if (forms == all) return forms;
        }
    }
#endif
#if defined(MATERIA_BLOCK_SCAN)
    if (index < count) {
        for (unsigned mask = last_stops(bytes + index, count - index, form_stops, 0); mask != 0 && forms != all; mask &= mask - 1) {
            forms |= autolink_form_at(bytes, count, index + (size_t)__builtin_ctz(mask));
        }
        return forms;
    }
#endif
    for (; index < count && forms != all; index++) forms |= autolink_form_at(bytes, count, index);
    return forms;
}

int materia_may_hold_wikilinks(const unsigned char *bytes, size_t count) {
    if (count == 0) return 0;
    if (memchr(bytes, '&', count) != NULL) return 1;
    // Brackets are rare in prose (a link has two): each one found is looked at with its neighbours.
    const unsigned char *end = bytes + count, *open = bytes;
    while ((open = memchr(open, '[', (size_t)(end - open))) != NULL) {
        if ((open > bytes && open[-1] == '\\') || (open + 1 < end && open[1] == '[')) return 1;
        open++;
    }
    return 0;
}

// CRC-32 "slicing by 8": crc_tables[0] is the byte-at-a-time table, crc_tables[k] a byte's
// contribution k bytes further on. Filled once, when the program is loaded.
static uint32_t crc_tables[8][256];

__attribute__((constructor)) static void fill_crc_tables(void) {
    for (uint32_t index = 0; index < 256; index++) {
        uint32_t c = index;
        for (int bit = 0; bit < 8; bit++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_tables[0][index] = c;
    }
    for (int table = 1; table < 8; table++) {
        for (int index = 0; index < 256; index++) {
            uint32_t previous = crc_tables[table - 1][index];
            crc_tables[table][index] = crc_tables[0][previous & 0xFF] ^ (previous >> 8);
        }
    }
}

uint32_t materia_crc32(uint32_t crc, const unsigned char *bytes, size_t count) {
    crc = ~crc;
    while (count >= 8) {
        uint32_t low, high;
        memcpy(&low, bytes, 4);
        memcpy(&high, bytes + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        low = __builtin_bswap32(low);
        high = __builtin_bswap32(high);
#endif
        low ^= crc;
        crc = crc_tables[7][low & 0xFF] ^ crc_tables[6][(low >> 8) & 0xFF] ^ crc_tables[5][(low >> 16) & 0xFF] ^
              crc_tables[4][low >> 24] ^ crc_tables[3][high & 0xFF] ^ crc_tables[2][(high >> 8) & 0xFF] ^
              crc_tables[1][(high >> 16) & 0xFF] ^ crc_tables[0][high >> 24];
        bytes += 8;
        count -= 8;
    }
    while (count-- > 0) crc = crc_tables[0][(crc ^ *bytes++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

