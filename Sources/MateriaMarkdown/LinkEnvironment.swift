import CTextScan
import Foundation

/// Where a link in Markdown points, as the site resolves it.
public enum LinkResolution: Sendable, Equatable {
    /// A page (or file) of the site: `path` below the site root ("nutrients/magnesium/"),
    /// `key` names the page for backlinks ("nutrient:magnesium"), nil for plain files;
    /// `title` is shown for a wikilink without a label when set (an article's title).
    case page(path: String, fragment: String?, key: String?, title: String?)
    /// Leave the link as written.
    case unchanged
    /// The target does not exist: what is wrong and how to fix it.
    case failure(message: String, fix: String)
}

/// A name or alias that is linked to its page on first mention.
public struct AutolinkTerm: Sendable, Equatable {
    public let text: String
    public let key: String
    public let path: String
    /// Short aliases such as "Mg" match only as written, so "350 mg" never links to magnesium.
    public let caseSensitive: Bool

    public init(text: String, key: String, path: String, caseSensitive: Bool) {
        self.text = text
        self.key = key
        self.path = path
        self.caseSensitive = caseSensitive
    }
}

/// How auto-links from the data are placed.
public enum AutolinkMode: String, Sendable, CaseIterable {
    case off
    /// The first mention of each entity in the document.
    case first
    /// The first mention of each entity after every heading.
    case firstPerSection = "first-per-section"
}

/// What the site tells the Markdown renderer so that links and data directives resolve.
public protocol MarkdownEnvironment: Sendable {
    /// `[[target]]` (without `#fragment` or `|label`).
    func wikilink(_ target: String) -> LinkResolution
    /// A Markdown link whose URL has no scheme: `/articles/x/`, `../articles/x.md#h`, `x.md`.
    func markdownLink(_ url: String) -> LinkResolution
    /// Names and aliases to auto-link, indexed once per site (`AutolinkMatcher(terms)`).
    var autolinkMatcher: AutolinkMatcher { get }
    /// A fenced ```` ```materia ```` block (`inline` false) or a `` `materia:…` `` code span (`inline` true):
    /// HTML on success, or what is wrong and how to fix it.
    func directive(_ text: String, inline: Bool) -> Result<DirectiveOutput, DirectiveError>
}

/// What a data directive renders: its HTML and the pages it links to.
public struct DirectiveOutput: Sendable, Equatable {
    public let html: String
    /// (path, key) of every page the HTML links to.
    public let links: [LinkTarget]
    /// Shown as the sentence around those links in "Mentioned in" (a table's caption).
    public let context: String

    public init(html: String, links: [LinkTarget] = [], context: String = "") {
        self.html = html
        self.links = links
        self.context = context
    }
}

/// A page a directive links to.
public struct LinkTarget: Sendable, Equatable {
    public let path: String
    public let key: String?

    public init(path: String, key: String?) {
        self.path = path
        self.key = key
    }
}

/// A data directive that cannot be rendered.
public struct DirectiveError: Error, Sendable, Equatable {
    public let message: String
    public let fix: String
    /// Column offset inside the directive text where the problem is, if known.
    public let offset: Int

    public init(message: String, fix: String, offset: Int = 0) {
        self.message = message
        self.fix = fix
        self.offset = offset
    }
}

/// A link found or made while rendering, for link checking, backlinks and the graph.
public struct LinkRecord: Sendable, Equatable {
    public enum Kind: String, Sendable { case wikilink, markdown, autolink, directive }

    public let kind: Kind
    /// Path below the site root; empty for an in-page `#anchor`.
    public let path: String
    public let fragment: String?
    public let key: String?
    /// Position in the Markdown (1-based; lines relative to the Markdown's first line).
    public let line: Int
    public let column: Int
    /// The sentence around the link, as plain text.
    public var context: String
}

/// A link to another site, to be checked by `materia check --external`.
public struct ExternalLink: Sendable, Equatable {
    public let url: String
    public let line: Int
    public let column: Int
}

/// A problem in the Markdown itself (a wikilink or directive that does not resolve).
public struct MarkdownProblem: Sendable, Equatable {
    public let line: Int
    public let column: Int
    public let message: String
    public let fix: String
}

/// Internal links are written with this prefix and completed per page, so one rendering of an
/// FAQ answer works on its article (two folders deep) and on /faq/ (one folder deep).
public enum SiteLink {
    public static let prefix = "materia-root:"

    /// Replaces the prefix with the page's way back to the site root ("../../"). On bytes: it
    /// runs for every text of every page.
    public static func complete(_ html: String, root: String) -> String {
        ByteText.replacing(html, prefix, with: root)
    }
}

/// Finds the first mentions of terms in text: whole words, longest term first. Built once per
/// site and shared by every document (it is immutable). Works on UTF-8 bytes: positions are
/// byte offsets, and only words that may start a term are ever turned into strings.
public struct AutolinkMatcher: Sendable {
    /// One term: its words (indices into `wordTexts` and `wordRanges`) and the term. Plain
    /// values in flat arrays, so that matching follows no pointers and counts no references.
    private struct Entry: Sendable {
        let firstWord: Int
        let wordCount: Int
        let term: Int
        let caseSensitive: Bool
        /// `byteHash` of the second word when the term has one and it is ASCII (else nil): a
        /// text whose second word hashes otherwise cannot match, whatever the case.
        let secondHash: UInt64?
    }

    private let terms: [AutolinkTerm]
    /// Every word of every term (lowercased unless its term is case-sensitive), as text for
    /// words of a text that are not ASCII, and as ranges of `wordBytes` for those that are.
    private let wordTexts: [String]
    private let wordRanges: [Range<Int>]
    private let wordBytes: [UInt8]
    /// Entries by lowercased first word, longest term first: for first words that are not ASCII.
    private let byFirstWord: [String: [Entry]]
    /// Entries of ASCII first words grouped by the `byteHash` of the word, found through an
    /// open-addressing table of that hash (no hashing of the hash, no dictionary). Entries of
    /// first words that share a hash keep the longest-first order of each word; the first word's
    /// bytes are compared anyway, so only the right word's entries match.
    private let slotHashes: [UInt64]
    private let slotEntries: [Range<Int>]
    private let hashedEntries: [Entry]
    /// The most words a term has.
    private let longestTerm: Int
    /// Each key's number (in the order the terms name them), and each term's key's number: a
    /// document's linked entities are a bitset of these (`insertAutolinks`), not a set of strings.
    private let keyNumbers: [String: Int]
    private let termKeyNumbers: [Int]
    /// The tables of the scan in C (`materia_next_term_match`, CTextScan) and `nextWord`'s filters.
    private let filter: ScanTables
    private static let hashBitCount = 1 << 16

    public init(_ terms: [AutolinkTerm]) {
        var texts: [String] = [], ranges: [Range<Int>] = [], bytes: [UInt8] = []
        var index: [String: [(entry: Entry, joined: String)]] = [:]
        var longest = 1
        for (position, term) in terms.enumerated() {
            let termBytes = Array(term.text.utf8)
            let words = AutolinkMatcher.words(in: termBytes).map { AutolinkMatcher.text(termBytes[$0.start..<$0.end], lowercased: !term.caseSensitive) }
            guard let first = words.first else { continue }
            var secondHash: UInt64?
            if words.count > 1 {
                let second = Array(words[1].utf8)
                if second.allSatisfy({ $0 < 0x80 }) { secondHash = AutolinkMatcher.byteHash(second) }
            }
            let entry = Entry(firstWord: texts.count, wordCount: words.count, term: position, caseSensitive: term.caseSensitive,
                              secondHash: secondHash)
            for word in words {
                texts.append(word)
                ranges.append(bytes.count..<(bytes.count + word.utf8.count))
                bytes += word.utf8
            }
            longest = max(longest, words.count)
            index[first.lowercased(), default: []].append((entry, words.joined(separator: " ")))
        }
        // Longest first; ties broken by text so the choice never depends on input order.
        let ordered = index.mapValues { entries in
            entries.sorted { ($0.joined.count, terms[$1.entry.term].text) > ($1.joined.count, terms[$0.entry.term].text) }.map(\.entry)
        }
        self.terms = terms
        wordTexts = texts
        wordRanges = ranges
        wordBytes = bytes
        byFirstWord = ordered
        longestTerm = longest
        var numbers: [String: Int] = [:]
        termKeyNumbers = terms.map { term in
            if let number = numbers[term.key] { return number }
            numbers[term.key] = numbers.count
            return numbers.count - 1
        }
        keyNumbers = numbers
        var hashed: [UInt64: [Entry]] = [:]
        // Sorted keys: entries of words that share a hash are grouped in the same order every run.
        for key in ordered.keys.sorted() where key.utf8.allSatisfy({ $0 < 0x80 }) {
            let bytes = Array(key.utf8)
            hashed[AutolinkMatcher.byteHash(bytes), default: []] += ordered[key]!
        }
        var slots = 16
        while slots < hashed.count * 4 { slots *= 2 }
        var slotHashes = [UInt64](repeating: 0, count: slots)
        var slotEntries = [Range<Int>](repeating: 0..<0, count: slots)
        var flat: [Entry] = []
        for (hash, entries) in hashed.sorted(by: { $0.key < $1.key }) {
            var slot = Int(truncatingIfNeeded: hash) & (slots - 1)
            while !slotEntries[slot].isEmpty { slot = (slot + 1) & (slots - 1) }
            slotHashes[slot] = hash
            slotEntries[slot] = flat.count..<(flat.count + entries.count)
            flat += entries
        }
        self.slotHashes = slotHashes
        self.slotEntries = slotEntries
        hashedEntries = flat
        filter = ScanTables(firstWords: ordered.keys.map { Array($0.utf8) }, slotHashes: slotHashes, slotEntries: slotEntries,
                                 entries: flat, wordRanges: ranges, wordBytes: bytes)
    }

    /// FNV-1a over all of `bytes`, ASCII letters lowercased: for building the tables.
    static func byteHash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { byteHash($0, 0, $0.count) }
    }

    var isEmpty: Bool { byFirstWord.isEmpty }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return isWordByte(UInt8(scalar.value)) }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// ASCII letters, digits and "_" ("Calcium_channel" is one identifier, not a mention of calcium).
    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        // Digits, letters of either case (0x20 folds case), "_": unsigned ranges, no branches.
        (byte &- 0x30) < 10 || ((byte | 0x20) &- 0x61) < 26 || byte == 0x5F
    }

    static func text(_ bytes: ArraySlice<UInt8>, lowercased: Bool) -> String {
        guard lowercased else { return String(decoding: bytes, as: UTF8.self) }
        // ASCII is lowercased on the bytes; anything else by String's Unicode rules.
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return String(decoding: bytes, as: UTF8.self).lowercased() }
        return String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether the character at byte `index` belongs to a word, and its length in bytes.
    @inline(__always)
    private static func wordCharacter(_ bytes: [UInt8], _ index: Int) -> (isWord: Bool, length: Int) {
        bytes.withUnsafeBufferPointer { wordCharacter($0, index) }
    }

    @inline(__always)
    private static func wordCharacter(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> (isWord: Bool, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (isWordByte(lead), 1) }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        guard index + length <= bytes.count, length > 1 else { return (false, 1) }
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for offset in 1..<length { value = value << 6 | (UInt32(bytes[index + offset]) & 0x3F) }
        guard let scalar = Unicode.Scalar(value) else { return (false, length) }
        return (isWordScalar(scalar), length)
    }

    /// Words: letters and digits, joined by inner hyphens ("B6", "x-ray"), as byte ranges of
    /// UTF-8 `bytes`. An apostrophe ends a word, so "magnesium's" mentions magnesium.
    static func words(in bytes: [UInt8]) -> [(start: Int, end: Int)] {
        var result: [(start: Int, end: Int)] = []
        var index = 0
        let count = bytes.count
        while index < count {
            let (isWord, length) = wordCharacter(bytes, index)
            guard isWord else { index += length; continue }
            let start = index
            index += length
            while index < count {
                let (isWord, length) = wordCharacter(bytes, index)
                if isWord {
                    index += length
                } else if bytes[index] == 0x2D, index + 1 < count, wordCharacter(bytes, index + 1).isWord {
                    index += 1
                } else {
                    break
                }
            }
            result.append((start, index))
        }
        return result
    }

    /// 1 for ASCII word bytes (letters, digits, "_"), 0 for other ASCII bytes, 2 for the bytes of
    /// non-ASCII characters (decoded when met); and ASCII lowercasing, as tables.
    private static let byteClass: [UInt8] = (0..<256).map { (value: Int) -> UInt8 in
        value >= 0x80 ? 2 : (isWordByte(UInt8(value)) ? 1 : 0)
    }
    private static let lowercase: [UInt8] = (0..<256).map { (value: Int) -> UInt8 in
        let byte = UInt8(value)
        return byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte
    }

    /// The scan's tables as pointers, taken once per text rather than once per byte.
    private struct Tables {
        let byteClass: UnsafeBufferPointer<UInt8>
        let lowercase: UnsafeBufferPointer<UInt8>
        let pairs: UnsafeBufferPointer<UInt64>
        let lengths: UnsafeBufferPointer<UInt8>
        let hashBits: UnsafeBufferPointer<UInt64>
    }

    /// Filters on every term's lowercased first word: an ASCII word that fails them starts no term
    /// and never becomes a string. The C scan (`materia_next_term_match`) checks a bit per
    /// signature (first, second and last bytes and length), then a bit per hash (`byteHash`, low
    /// 16 bits); `nextWord`, for words beside characters that are not ASCII, checks a bit per pair
    /// of first two bytes, the length, then the hash bit. Made once per site, in memory of its
    /// own, so that both read the tables through plain pointers.
    private final class ScanTables: @unchecked Sendable {
        let pairs: UnsafeMutableBufferPointer<UInt64>
        let lengths: UnsafeMutableBufferPointer<UInt8>
        let hashBits: UnsafeMutableBufferPointer<UInt64>
        /// A bit per `materia_word_signature` of the first words, for the C scan (with `hashBits`).
        let signatures: UnsafeMutableBufferPointer<UInt64>
        /// The terms of ASCII first words for `materia_next_term_match`: the slots, entries and
        /// words of the matcher's own tables, copied into C's layout.
        let table: UnsafeMutablePointer<materia_autolink_table>
        private let slotHashes: UnsafeMutableBufferPointer<UInt64>
        private let slotBegin: UnsafeMutableBufferPointer<Int32>
        private let slotCount: UnsafeMutableBufferPointer<Int32>
        private let entries: UnsafeMutableBufferPointer<materia_autolink_entry>
        private let wordStarts: UnsafeMutableBufferPointer<Int32>
        private let wordLengths: UnsafeMutableBufferPointer<Int32>
        private let wordBytes: UnsafeMutableBufferPointer<UInt8>

        init(firstWords: [[UInt8]], slotHashes: [UInt64], slotEntries: [Range<Int>], entries: [Entry], wordRanges: [Range<Int>],
             wordBytes: [UInt8]) {
            pairs = .allocate(capacity: 65_536 / 64)
            pairs.initialize(repeating: 0)
            lengths = .allocate(capacity: 256)
            lengths.initialize(repeating: 0)
            hashBits = .allocate(capacity: AutolinkMatcher.hashBitCount / 64)
            hashBits.initialize(repeating: 0)
            signatures = .allocate(capacity: 65_536 / 64)
            signatures.initialize(repeating: 0)
            for bytes in firstWords where !bytes.isEmpty {
                let signature = Int(materia_word_signature(bytes[0], bytes.count > 1 ? bytes[1] : 0, bytes[bytes.count - 1], bytes.count))
                signatures[signature >> 6] |= 1 << UInt64(signature & 63)
                lengths[min(bytes.count, 255)] = 1
                if bytes.count >= 2 { pairs[(Int(bytes[0]) << 8 | Int(bytes[1])) >> 6] |= 1 << UInt64(bytes[1] & 63) }
                let bit = Int(truncatingIfNeeded: AutolinkMatcher.byteHash(bytes)) & (AutolinkMatcher.hashBitCount - 1)
                hashBits[bit >> 6] |= 1 << UInt64(bit & 63)
            }
            func copy<T>(_ values: [T]) -> UnsafeMutableBufferPointer<T> {
                let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(values.count, 1))
                _ = buffer.initialize(from: values)
                return buffer
            }
            self.slotHashes = copy(slotHashes)
            slotBegin = copy(slotEntries.map { Int32($0.lowerBound) })
            slotCount = copy(slotEntries.map { Int32($0.count) })
            self.entries = copy(entries.map { entry in
                materia_autolink_entry(first_word: Int32(entry.firstWord), word_count: Int32(entry.wordCount), term: Int32(entry.term),
                                       case_sensitive: entry.caseSensitive ? 1 : 0, has_second_hash: entry.secondHash == nil ? 0 : 1,
                                       second_hash: entry.secondHash ?? 0)
            })
            wordStarts = copy(wordRanges.map { Int32($0.lowerBound) })
            wordLengths = copy(wordRanges.map { Int32($0.count) })
            self.wordBytes = copy(wordBytes)
            table = .allocate(capacity: 1)
            table.initialize(to: materia_autolink_table(
                filter: materia_autolink_filter(signatures: UnsafePointer(signatures.baseAddress), hash_bits: UnsafePointer(hashBits.baseAddress)),
                slot_hashes: UnsafePointer(self.slotHashes.baseAddress), slot_begin: UnsafePointer(slotBegin.baseAddress),
                slot_count: UnsafePointer(slotCount.baseAddress), slot_mask: slotHashes.count - 1,
                entries: UnsafePointer(self.entries.baseAddress), word_starts: UnsafePointer(wordStarts.baseAddress),
                word_lengths: UnsafePointer(wordLengths.baseAddress), word_bytes: UnsafePointer(self.wordBytes.baseAddress)))
        }

        deinit {
            for buffer in [UnsafeMutableRawPointer(pairs.baseAddress), UnsafeMutableRawPointer(lengths.baseAddress),
                           UnsafeMutableRawPointer(hashBits.baseAddress), UnsafeMutableRawPointer(signatures.baseAddress),
                           UnsafeMutableRawPointer(slotHashes.baseAddress), UnsafeMutableRawPointer(slotBegin.baseAddress),
                           UnsafeMutableRawPointer(slotCount.baseAddress), UnsafeMutableRawPointer(entries.baseAddress),
                           UnsafeMutableRawPointer(wordStarts.baseAddress), UnsafeMutableRawPointer(wordLengths.baseAddress),
                           UnsafeMutableRawPointer(wordBytes.baseAddress), UnsafeMutableRawPointer(table)] {
                buffer?.deallocate()
            }
        }
    }

    private func withTables<R>(_ body: (Tables) -> R) -> R {
        AutolinkMatcher.byteClass.withUnsafeBufferPointer { byteClass in
            AutolinkMatcher.lowercase.withUnsafeBufferPointer { lowercase in
                body(Tables(byteClass: byteClass, lowercase: lowercase, pairs: UnsafeBufferPointer(filter.pairs),
                            lengths: UnsafeBufferPointer(filter.lengths), hashBits: UnsafeBufferPointer(filter.hashBits)))
            }
        }
    }

    /// The word that starts at or after `from`: its byte range, and whether it may start a
    /// term (an ASCII word is checked against the first-word filters once its end is found:
    /// its first two bytes, its length, then a bit of its hash).
    @inline(__always)
    private static func nextWord(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, _ tables: Tables)
        -> (start: Int, end: Int, candidate: Bool, hash: UInt64, ascii: Bool)? {
        let count = bytes.count
        let byteClass = tables.byteClass
        var index = from
        // Skip to a word character.
        while index < count {
            let kind = byteClass[Int(bytes[index])]
            if kind == 1 { break }
            if kind == 0 { index += 1; continue }
            let (isWord, length) = AutolinkMatcher.wordCharacter(bytes, index)
            if isWord { break }
            index += length
        }
        guard index < count else { return nil }
        let start = index
        var ascii = true
        while index < count {
            // Letters, digits and "_" are passed over eight at a time (most of a word), the byte
            // that ends the run by the loop below.
            if let base = bytes.baseAddress {
                while index + 8 <= count {
                    let run = wordByteRun(UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
                    index += run
                    if run < 8 { break }
                }
                if index >= count { break }
            }
            let byte = bytes[index]
            let kind = byteClass[Int(byte)]
            if kind == 1 { index += 1; continue }
            if kind == 0 {
                // An inner hyphen joins two words ("x-ray").
                guard byte == 0x2D, index + 1 < count, AutolinkMatcher.wordCharacter(bytes, index + 1).isWord else { break }
                index += 1
                continue
            }
            let (isWord, length) = AutolinkMatcher.wordCharacter(bytes, index)
            guard isWord else { break }
            ascii = false
            index += length
        }
        // Only ASCII words are lowercased exactly by the hash; others take the string path.
        guard ascii else { return (start, index, true, 0, false) }
        let lowercase = tables.lowercase
        let length = index - start
        if length >= 2 {
            let first = lowercase[Int(bytes[start])], second = lowercase[Int(bytes[start + 1])]
            if tables.pairs[(Int(first) << 8 | Int(second)) >> 6] & (1 << UInt64(second & 63)) == 0 {
                return (start, index, false, 0, true)
            }
        }
        guard tables.lengths[min(length, 255)] != 0 else { return (start, index, false, 0, true) }
        let hash = byteHash(bytes, start, index)
        let bit = Int(truncatingIfNeeded: hash) & (AutolinkMatcher.hashBitCount - 1)
        return (start, index, tables.hashBits[bit >> 6] & (1 << UInt64(bit & 63)) != 0, hash, true)
    }

    /// How many of the eight bytes of `word` (the first in the lowest bits) are ASCII letters,
    /// digits or "_" before the first that is not: 8 when all are. Each byte is tested on its own
    /// bits, with no carry between bytes: bit 7 is set where `m < x < n` by `between`, for the
    /// byte's low seven bits `x`; bytes with bit 7 set (not ASCII) are never word bytes here.
    @inline(__always)
    static func wordByteRun(_ word: UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        let x = word & ~high
        @inline(__always) func between(_ value: UInt64, _ m: UInt64, _ n: UInt64) -> UInt64 {
            ((ones &* (127 + n)) &- value) & (value &+ ones &* (127 - m))
        }
        let digit = between(x, 0x2F, 0x3A)
        let letter = between(x | (ones &* 0x20), 0x60, 0x7B)  // either case: 0x20 folds it
        let underscore = ~((x ^ (ones &* 0x5F)) &+ ones &* 0x7F)  // bit 7 set where x == 0x5F
        let isWord = (digit | letter | underscore) & high & ~word
        return (~isWord & high).trailingZeroBitCount / 8
    }

    /// FNV-1a over bytes `start..<end`, ASCII letters lowercased: `materia_word_hash`, the one
    /// definition the C scan uses too.
    @inline(__always)
    private static func byteHash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        guard let base = bytes.baseAddress, start < end else { return materia_word_hash(nil, 0) }
        return materia_word_hash(base + start, end - start)
    }

    /// How many entities the terms name (their keys are numbered from 0).
    var keyCount: Int { keyNumbers.count }

    /// The number of `key` (below `keyCount`), nil when no term has it.
    func keyNumber(_ key: String) -> Int? { keyNumbers[key] }

    /// Matches in the UTF-8 C string `text` (byte ranges), left to right; `accept` is given the
    /// number of the match's entity and decides whether the match is used (and records it); the
    /// term becomes a value only once accepted. `done` says when nothing more can be accepted, to
    /// stop early (it is asked after each accepted match: the caller knows whether it is done).
    func matches(inCString text: UnsafePointer<UInt8>, accept: (_ keyNumber: Int) -> Bool, done: () -> Bool)
        -> [(start: Int, end: Int, term: AutolinkTerm)] {
        // The scan in C (`materia_next_term_match`) relies on the NUL that ends the text. It finds
        // the matches of ASCII words; a word beside a character that is not ASCII is decoded here.
        // The length is needed only to decode (most texts are scanned to their NUL and done with).
        var length = -1
        func count() -> Int {
            if length < 0 { length = strlen(UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self)) }
            return length
        }
        var found = materia_term_match()
        // Most texts hold no term: they are done with after the scan.
        guard materia_next_term_match(text, 0, filter.table, &found) != 0 else { return [] }
        var result: [(start: Int, end: Int, term: AutolinkTerm)] = []
        var position = 0
        repeat {
            let match: (start: Int, end: Int, term: Int)
            if found.slow == 0 {
                match = (found.start, found.end, found.term)
            } else {
                guard let step = decodedMatch(in: UnsafeBufferPointer(start: text, count: count()), at: found.start) else { break }
                position = step.next
                guard let decoded = step.match else { continue }
                match = decoded
            }
            // The longest term at this place decides: if its entity is already linked, the whole
            // span is left alone rather than linking a shorter term inside it.
            if accept(termKeyNumbers[match.term]) {
                result.append((match.start, match.end, terms[match.term]))
                if done() { break }
            }
            position = match.end
        } while materia_next_term_match(text, position, filter.table, &found) != 0
        return result
    }

    /// The word at or after `start` decoded here (it is beside a character that is not ASCII):
    /// where to go on from, and the longest term that matches at it; nil when no word is left.
    private func decodedMatch(in buffer: UnsafeBufferPointer<UInt8>, at start: Int) -> (next: Int, match: (start: Int, end: Int, term: Int)?)? {
        withTables { tables in
        slotHashes.withUnsafeBufferPointer { slotHashes in slotEntries.withUnsafeBufferPointer { slotEntries in
        hashedEntries.withUnsafeBufferPointer { hashedEntries in wordRanges.withUnsafeBufferPointer { wordRanges in
        wordBytes.withUnsafeBufferPointer { wordBytes in
        // The words of the text from the candidate on, scanned only as far as a term needs them.
        withUnsafeTemporaryAllocation(of: (start: Int, end: Int, ascii: Bool).self, capacity: longestTerm) { words in
            let mask = slotHashes.count - 1

            /// Whether the text's word `range` is word `offset` of `entry` (lowercased unless the
            /// term is case-sensitive). ASCII words are compared on bytes; others as strings.
            func word(_ range: (start: Int, end: Int, ascii: Bool), equals entry: Entry, _ offset: Int) -> Bool {
                let index = entry.firstWord + offset
                guard range.ascii else {
                    return Self.text(Array(buffer[range.start..<range.end])[...], lowercased: !entry.caseSensitive) == wordTexts[index]
                }
                let expected = wordRanges[index]
                // Lowercasing keeps an ASCII word's length, so a different length never matches.
                guard range.end - range.start == expected.count else { return false }
                var at = range.start
                for expectedIndex in expected {
                    var byte = buffer[at]
                    if !entry.caseSensitive { byte = tables.lowercase[Int(byte)] }
                    if byte != wordBytes[expectedIndex] { return false }
                    at += 1
                }
                return true
            }

            /// The first of `entries` (longest first) that matches at the candidate in `words[0]`:
            /// where the match ends, and its term's index.
            func longestMatch(_ entries: UnsafeBufferPointer<Entry>) -> (end: Int, term: Int)? {
                var scanned = 1
                /// Whether the text has a word `offset` after the candidate (scanned on demand).
                func has(_ offset: Int) -> Bool {
                    while scanned <= offset {
                        guard let next = Self.nextWord(buffer, from: words[scanned - 1].end, tables) else { return false }
                        words[scanned] = (next.start, next.end, next.ascii)
                        scanned += 1
                    }
                    return true
                }
                // The hash of the text's second word, worked out when an entry first asks; nil
                // when there is none or it is not ASCII (then no entry is ruled out by it).
                var secondAsked = false
                var secondHash: UInt64?
                for entry in entries {
                    if let expected = entry.secondHash {
                        if !secondAsked {
                            secondAsked = true
                            if has(1) && words[1].ascii {
                                secondHash = Self.byteHash(buffer, words[1].start, words[1].end)
                            }
                        }
                        if let secondHash, secondHash != expected { continue }
                    }
                    var matched = true
                    for offset in 0..<entry.wordCount {
                        guard has(offset), word(words[offset], equals: entry, offset) else {
                            matched = false
                            break
                        }
                        // Words of a term are separated by spaces only in the text.
                        if offset > 0 {
                            var gap = words[offset - 1].end
                            while gap < words[offset].start && buffer[gap] == 0x20 { gap += 1 }
                            if gap != words[offset].start {
                                matched = false
                                break
                            }
                        }
                    }
                    guard matched else { continue }
                    return (words[entry.wordCount - 1].end, entry.term)
                }
                return nil
            }

            guard let first = Self.nextWord(buffer, from: start, tables) else { return nil }
            guard first.candidate else { return (first.end, nil) }
            words[0] = (first.start, first.end, first.ascii)
            var match: (end: Int, term: Int)?
            if first.ascii {
                var slot = Int(truncatingIfNeeded: first.hash) & mask
                while !slotEntries[slot].isEmpty {
                    if slotHashes[slot] == first.hash {
                        match = longestMatch(UnsafeBufferPointer(rebasing: hashedEntries[slotEntries[slot]]))
                        break
                    }
                    slot = (slot + 1) & mask
                }
            } else if let entries = byFirstWord[Self.text(Array(buffer[first.start..<first.end])[...], lowercased: true)] {
                match = entries.withUnsafeBufferPointer { longestMatch($0) }
            }
            return (first.end, match.map { (first.start, $0.end, $0.term) })
        } } } } } } }
    }
}

/// The sentence of the UTF-8 `text` around byte offset `offset`, trimmed, at most 280
/// characters. Sentences end at ".", "!" or "?" before a space or line break (all ASCII, so
/// the ends are found on bytes and always fall between characters).
func sentence(in text: [UInt8], around offset: Int) -> String {
    guard !text.isEmpty else { return "" }
    let at = min(max(offset, 0), text.count - 1)
    // The bytes are read through the buffer (no bounds check at each), then go into the string's
    // storage with line feeds made spaces (no array in between).
    let sentence = text.withUnsafeBufferPointer { text in
        func isEnd(_ index: Int) -> Bool {
            let byte = text[index]
            guard byte == 0x2E || byte == 0x21 || byte == 0x3F else { return false }
            return index + 1 >= text.count || text[index + 1] == 0x20 || text[index + 1] == 0x0A
        }
        var start = at
        while start > 0 && !isEnd(start - 1) { start -= 1 }
        var end = at
        // A multi-byte character at the end of the text ends at the last byte, never inside.
        while end < text.count - 1 && !isEnd(end) { end += 1 }
        return String(unsafeUninitializedCapacity: end - start + 1) { buffer in
            for index in start...end { buffer[index - start] = text[index] == 0x0A ? 0x20 : text[index] }
            return end - start + 1
        }
    }
    var result = ByteText.trimmingSpaces(sentence)
    // Characters are counted only when the bytes could hold more than 280 of them.
    if result.utf8.count > 280 && result.count > 280 { result = String(result.prefix(279)) + "…" }
    return result
}
