#ifndef MATERIA_TEXT_SCAN_H
#define MATERIA_TEXT_SCAN_H

#include <stddef.h>
#include <stdint.h>

/// How many words `bytes` holds: a word starts at every byte that is not a space, line feed, tab
/// or carriage return and follows one of those (or the start).
size_t materia_count_words(const unsigned char *bytes, size_t count);

/// The index of the first byte of `bytes[0..<count]` that HTML escaping of text replaces (`&`, `<`,
/// `>`, `"`, and `'` when `apostrophe` is 1), or `count` when there is none: sixteen bytes are
/// compared at a time.
size_t materia_html_escape_scan(const unsigned char *bytes, size_t count, int apostrophe);

/// `bytes[0..<count]` HTML-escaped into `out`, which has room for 6 × `count` bytes: `&`, `<`, `>`
/// and `"` become `&amp;`, `&lt;`, `&gt;` and `&quot;`, and when `apostrophe` is 1 `'` becomes
/// `&#39;` (templates escape it; cmark-gfm's text does not). Returns the number of bytes written.
size_t materia_html_escape(const unsigned char *bytes, size_t count, int apostrophe, unsigned char *out);

/// The index of the first byte of `bytes[0..<count]` that writing a JSON string has to look at (a
/// control byte below 0x20, `"`, `\`; with `for_script` also `<`, `>`, `&` and 0xE2, the lead byte of
/// U+2028 and U+2029), or `count` when there is none.
size_t materia_json_escape_scan(const unsigned char *bytes, size_t count, int for_script);

/// Whether Markdown `bytes` hold "[[", a backslash before "[" or an "&": the only ways cmark-gfm's
/// text can come to hold "[[" (a literal pair, escaped brackets, entities such as "&#91;").
int materia_may_hold_wikilinks(const unsigned char *bytes, size_t count);

/// What cmark-gfm's autolink extension could find in Markdown `bytes`, as bits.
/// `MATERIA_AUTOLINK_ANY`: the bytes hold "://" (a URL's scheme, matched at its ":"), "www." in
/// either case (matched at its "w"), "@" (an address, found in text nodes after parsing) or "&" (an
/// entity can put an "@" into a text node); without it the extension leaves the document as it is.
/// `MATERIA_AUTOLINK_WWW`: they hold "www." in either case, not right after a "/" (the extension
/// looks for "www." only after a space, "*", "_", "~" or "(", or at the start of a text; after "/",
/// as in links to "https://www.…", never).
/// `MATERIA_AUTOLINK_ADDRESS`: they hold "@" or "&", the only ways an address can come to be in a
/// text node (which the extension searches after parsing).
enum { MATERIA_AUTOLINK_ANY = 1, MATERIA_AUTOLINK_WWW = 2, MATERIA_AUTOLINK_ADDRESS = 4 };
int materia_autolink_forms(const unsigned char *bytes, size_t count);

/// `byte`, lowercased when it is an ASCII capital letter.
static inline unsigned char materia_ascii_lower(unsigned char byte) {
    return (unsigned char)(byte - 'A') < 26 ? (unsigned char)(byte + 32) : byte;
}

/// FNV-1a over `count` bytes, ASCII letters lowercased: the hash of a word in the auto-link
/// matcher's tables, the same for the C scan and the Swift code that builds the tables.
static inline uint64_t materia_word_hash(const unsigned char *bytes, size_t count) {
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (const unsigned char *end = bytes + count; bytes < end; bytes++) {
        hash = (hash ^ materia_ascii_lower(*bytes)) * 0x100000001b3ULL;
    }
    return hash;
}

/// The auto-link matcher's first-word filters, built once per site, for every word that starts a
/// term (lowercased): a bit per `materia_word_signature` and a bit per low 16 bits of the word's
/// FNV-1a hash.
typedef struct {
    const uint64_t *signatures;  // 1,024 words
    const uint64_t *hash_bits;   // 1,024 words: bit (hash & 0xFFFF)
} materia_autolink_filter;

/// 16 bits made of an ASCII word's first, second (0 for a word of one byte) and last bytes, case
/// folded (0x20 set: it lowercases letters and leaves digits, "-" and a 0 as they are), and its
/// length: most words of a text are ruled out by this bit before they are hashed.
static inline unsigned materia_word_signature(unsigned char first, unsigned char second, unsigned char last, long length) {
    uint32_t packed = ((uint32_t)first | (uint32_t)second << 8 | (uint32_t)last << 16 | 0x202020u) ^
                      (uint32_t)(length < 255 ? length : 255) << 24;
    return (packed * 0x9E3779B1u) >> 16;
}

/// One term of the auto-link matcher: its words (`first_word` ..< `first_word + word_count` in
/// the table's words, lowercased unless case-sensitive) and its number; `second_hash` (when
/// `has_second_hash`) is the FNV-1a hash of its second word, lowercased.
typedef struct {
    int32_t first_word;
    int32_t word_count;
    int32_t term;
    uint8_t case_sensitive;
    uint8_t has_second_hash;
    uint64_t second_hash;
} materia_autolink_entry;

/// The auto-link matcher's terms of ASCII first words: an open-addressing table from the hash of
/// a first word (lowercased) to its entries, longest term first (`slot_count` 0: an empty slot).
typedef struct {
    materia_autolink_filter filter;
    const uint64_t *slot_hashes;
    const int32_t *slot_begin;
    const int32_t *slot_count;
    long slot_mask;
    const materia_autolink_entry *entries;
    const int32_t *word_starts;   // into word_bytes
    const int32_t *word_lengths;
    const unsigned char *word_bytes;
} materia_autolink_table;

/// A term `materia_next_term_match` found: bytes [start, end) of the text and the term's number;
/// or, when `slow` is 1, only `start`: a word that may start a term where a character that is
/// not ASCII (or a term of more than 32 words) has to be handled by the caller's own scan.
typedef struct {
    long start;
    long end;
    long term;
    int slow;
} materia_term_match;

/// The next place at or after `from` where the longest term that starts at a word matches (whole
/// words, separated by spaces only in the text), or a place for the caller to decide. 0 when
/// there is none. `text` is a C string: its NUL ends the scan.
int materia_next_term_match(const unsigned char *text, long from,
                            const materia_autolink_table *table, materia_term_match *match);

/// CRC-32 (ISO-HDLC, as gzip and zlib compute it) of `count` bytes, continuing `crc` (0 to start):
/// eight bytes per step through eight tables, so each step waits on one table lookup where a
/// byte-at-a-time loop waits on eight in a row.
uint32_t materia_crc32(uint32_t crc, const unsigned char *bytes, size_t count);

#endif
