import Foundation

/// Text operations on UTF-8 bytes for the hot paths. Foundation's `replacingOccurrences` and
/// `contains` go through NSString (UTF-16, locale-aware search) on Linux and showed up in
/// profiles; these compare bytes. Only ASCII needles are used, so both agree.
public enum ByteText {
    /// The value of a hexadecimal digit (either case), or nil for any other byte.
    public static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    /// `text` with every non-overlapping occurrence of `old` replaced by `new`, left to right.
    public static func replacing(_ text: String, _ old: String, with new: String) -> String {
        // The three strings' own bytes are read (no arrays made of them); nothing to replace
        // returns the text itself, not a copy of it.
        var text = text
        return text.withUTF8 { string($0, replacing: old, with: new) } ?? text
    }

    /// A String of `bytes` with every non-overlapping occurrence of `old` replaced by `new`, made
    /// in one pass from the bytes (no array of them first); nil when `old` does not occur.
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>, replacing old: String, with new: String) -> String? {
        var old = old, new = new
        return old.withUTF8 { needle in
            new.withUTF8 { replacement in
                guard !needle.isEmpty, var found = find(needle, in: bytes, from: 0) else { return nil }
                // Occurrences counted first when the replacement is longer: the string is sized once.
                var capacity = bytes.count
                if replacement.count > needle.count {
                    var at: Int? = found
                    while let hit = at {
                        capacity += replacement.count - needle.count
                        at = find(needle, in: bytes, from: hit + needle.count)
                    }
                }
                return String(unsafeUninitializedCapacity: capacity) { out in
                    var written = 0, copied = 0
                    func put(_ part: UnsafeBufferPointer<UInt8>) {
                        guard let base = part.baseAddress, !part.isEmpty else { return }
                        (out.baseAddress! + written).update(from: base, count: part.count)
                        written += part.count
                    }
                    while true {
                        put(UnsafeBufferPointer(rebasing: bytes[copied..<found]))
                        put(replacement)
                        copied = found + needle.count
                        guard let next = find(needle, in: bytes, from: copied) else { break }
                        found = next
                    }
                    put(UnsafeBufferPointer(rebasing: bytes[copied...]))
                    return written
                }
            }
        }
    }

    /// Whether `text` holds `needle`.
    public static func contains(_ text: String, _ needle: String) -> Bool {
        guard !needle.isEmpty else { return true }
        var text = text, needle = needle
        return text.withUTF8 { bytes in needle.withUTF8 { find($0, in: bytes, from: 0) != nil } }
    }

    /// The first offset at or after `from` where `needle` starts in `bytes`. memchr (vectorised
    /// in glibc) jumps between occurrences of the needle's rarest-looking byte (punctuation such
    /// as "=" or ":" rather than a letter, a space or a quote, which fill HTML); memcmp checks.
    @inline(__always)
    public static func find(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        needle.withUnsafeBufferPointer { find($0, in: bytes, from: from) }
    }

    /// Where `byte` first is in `text`'s UTF-8, found with memchr(3): the generic
    /// `utf8.firstIndex(of:)` steps index by index, a thousand instructions for a link's URL.
    public static func index(of byte: UInt8, in text: String) -> String.Index? {
        let offset = text.utf8.withContiguousStorageIfAvailable { buffer -> Int? in
            guard let base = buffer.baseAddress, let hit = memchr(base, Int32(byte), buffer.count) else { return nil }
            return UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
        }
        guard let found = offset else { return text.utf8.firstIndex(of: byte) }  // not contiguous: bridged text
        return found.map { text.utf8.index(text.utf8.startIndex, offsetBy: $0) }
    }

    /// Whether `byte` is in `text`'s UTF-8 (see `index(of:in:)`).
    public static func contains(_ byte: UInt8, in text: String) -> Bool { index(of: byte, in: text) != nil }

    /// Bytes that are rare in text ("=:[]<>#|{}"): the needle's first one is looked for with
    /// memchr(3). Tested by value, since `find` runs once per id of every page.
    @inline(__always)
    private static func isAnchorByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x3D, 0x3A, 0x5B, 0x5D, 0x3C, 0x3E, 0x23, 0x7C, 0x7B, 0x7D: return true
        default: return false
        }
    }

    /// `find` with the needle as a buffer.
    public static func find(_ pattern: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = bytes.baseAddress, let patternBase = pattern.baseAddress, !pattern.isEmpty, from >= 0 else { return nil }
        let anchor = pattern.firstIndex(where: isAnchorByte) ?? 0
        let count = pattern.count
        var start = from
        while start + count <= bytes.count {
            let searchFrom = start + anchor
            let length = bytes.count - count + 1 - start
            guard let hit = memchr(base + searchFrom, Int32(pattern[anchor]), length) else { return nil }
            let candidate = (UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base) - anchor
            if memcmp(base + candidate, patternBase, count) == 0 { return candidate }
            start = candidate + 1
        }
        return nil
    }

    /// `text.trimmingCharacters(in: .whitespaces)`: blanks and tabs trimmed on bytes; only
    /// when a non-ASCII character is left at either end does Foundation look (it knows every
    /// Unicode space).
    public static func trimmingSpaces(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        if first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09 && first < 0x80 && last < 0x80 { return text }
        var start = utf8.startIndex, end = utf8.endIndex
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
        while end > start, utf8[utf8.index(before: end)] == 0x20 || utf8[utf8.index(before: end)] == 0x09 { end = utf8.index(before: end) }
        let trimmed = String(text[start..<end])
        guard let newFirst = trimmed.utf8.first, let newLast = trimmed.utf8.last else { return trimmed }
        return newFirst >= 0x80 || newLast >= 0x80 ? trimmed.trimmingCharacters(in: .whitespaces) : trimmed
    }

}
