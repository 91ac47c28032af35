import Foundation
/// Turns a file's bytes into text, or says exactly where it stops being UTF-8.
public enum SourceText {
    public static func decode(_ bytes: [UInt8], path: String) -> Result<String, Diagnostic> {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        // The standard library validates at memory speed; the slow scan only runs to say where a bad byte is.
        let valid = String(validating: bytes, as: UTF8.self)
        if valid == nil, let offset = firstInvalidUTF8(bytes) {
            let before = bytes[bytes.startIndex..<offset]
            let line = before.filter { $0 == 0x0A }.count + 1
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? bytes.startIndex
            let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
            let hex = String(bytes[offset], radix: 16, uppercase: true)
            return .failure(Diagnostic(at: SourceLocation(path: path, line: line, column: column),
                                       "the file is not valid UTF-8 (byte 0x\(hex))",
                                       fix: "re-save the file with UTF-8 encoding (e.g. `iconv -f latin1 -t utf-8`)"))
        }
        var text = valid ?? String(decoding: bytes, as: UTF8.self)
        let hasCarriageReturn = bytes.withUnsafeBufferPointer { buffer in
            buffer.count > 0 && memchr(buffer.baseAddress!, 0x0D, buffer.count) != nil
        }
        if hasCarriageReturn {
            text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        }
        return .success(text)
    }

    /// The offset of the first line feed in `bytes` at or after `start`, or the end: a line's end
    /// found with memchr(3), for the front matter split and the YAML reader.
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, 0x0A, bytes.count - start) else { return bytes.count }
        return UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - base
    }

    /// Index of the first byte that does not start or continue a well-formed UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return i
            }
            guard i + length <= end else { return i }
            for k in 1..<length {
                let c = bytes[i + k]
                let (lo, hi) = k == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
                if c < lo || c > hi { return i }
            }
            i += length
        }
        return nil
    }
}

/// The YAML block between a first line `---` and the next line that is exactly `---`.
public struct FrontMatter: Sendable {
    public let yaml: String
    /// Lines above the YAML (the opening `---`), to map YAML positions to file lines.
    public let yamlLineOffset: Int
    public let body: String
    public let bodyStartLine: Int

    /// Splits `text`; never splits on a `---` inside a line or a longer dash run.
    /// Works on UTF-8 bytes: this runs once per article and shows up in build profiles.
    public static func split(_ text: String, path: String) -> Result<FrontMatter, Diagnostic> {
        var text = text
        // Found on the file's own bytes, not a copy of them; the parts are then copied out of the
        // text as they are (valid UTF-8 already, cut at line breaks), not decoded again.
        return text.withUTF8 { split(bytes: $0, path: path) }.map { parts in
            let utf8 = text.utf8
            func slice(_ range: Range<Int>) -> String {
                String(Substring(utf8[utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)]))
            }
            return FrontMatter(yaml: parts.yaml.map(slice) ?? "", yamlLineOffset: 1, body: slice(parts.body), bodyStartLine: parts.bodyStartLine)
        }
    }

    /// `split` of the file `bytes`, made from the bytes themselves when decoding them would not
    /// change them: nil when they hold a carriage return (decoding turns it into a line feed),
    /// when the YAML or the body is not valid UTF-8, or when `split` finds no front matter, as in
    /// a file that starts with a byte order mark (the callers decode the file then, which drops
    /// the mark or says what is wrong). The bytes around the two parts are the fences' dashes and
    /// line feeds: with both parts valid, the whole file is.
    static func split(plainBytes bytes: [UInt8]) -> FrontMatter? {
        bytes.withUnsafeBufferPointer { buffer -> FrontMatter? in
            guard let base = buffer.baseAddress, memchr(base, 0x0D, buffer.count) == nil,
                  case .success(let parts) = split(bytes: buffer, path: "") else { return nil }
            func text(_ range: Range<Int>) -> String? { String(validating: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self) }
            guard let body = text(parts.body) else { return nil }
            let yaml: String
            if let range = parts.yaml {
                guard let valid = text(range) else { return nil }
                yaml = valid
            } else {
                yaml = ""
            }
            return FrontMatter(yaml: yaml, yamlLineOffset: 1, body: body, bodyStartLine: parts.bodyStartLine)
        }
    }

    /// Where the YAML (nil when there is none) and the body are, as byte ranges of the text.
    private struct Parts {
        let yaml: Range<Int>?
        let body: Range<Int>
        let bodyStartLine: Int
    }

    private static func split(bytes: UnsafeBufferPointer<UInt8>, path: String) -> Result<Parts, Diagnostic> {
        // Line i spans lineStarts[i] ..< (next line start - 1).
        func isFence(_ start: Int, _ end: Int) -> Bool {
            end - start == 3 && bytes[start] == 0x2D && bytes[start + 1] == 0x2D && bytes[start + 2] == 0x2D
        }
        // "--- " looks like a fence but is not one; say so instead of "never closed".
        func isFenceWithTrailingSpace(_ start: Int, _ end: Int) -> Bool {
            var trimmed = end
            while trimmed > start, bytes[trimmed - 1] == 0x20 || bytes[trimmed - 1] == 0x09 { trimmed -= 1 }
            return trimmed != end && isFence(start, trimmed)
        }
        func lineEnd(_ start: Int) -> Int { SourceText.lineEnd(bytes, from: start) }
        let firstEnd = lineEnd(0)
        if !bytes.isEmpty, isFenceWithTrailingSpace(0, firstEnd) {
            return .failure(Diagnostic(at: SourceLocation(path: path, line: 1, column: 4),
                                       "the front matter line has spaces after '---'",
                                       fix: "make line 1 exactly '---'"))
        }
        guard !bytes.isEmpty, isFence(0, firstEnd) else {
            return .failure(Diagnostic(at: SourceLocation(path: path, line: 1, column: 1),
                                       "the article has no front matter",
                                       fix: "start the file with a line '---', then 'title: …' and 'summary: …', then a line '---'"))
        }
        var start = firstEnd + 1
        var line = 2
        var nearMiss: Int?
        while start <= bytes.count {
            let end = lineEnd(start)
            if nearMiss == nil, start < bytes.count, isFenceWithTrailingSpace(start, end) { nearMiss = line }
            if start < bytes.count, isFence(start, end) {
                let yaml = min(firstEnd + 1, start)..<max(firstEnd + 1, start - 1)
                let bodyStart = min(end + 1, bytes.count)
                var bodyEnd = bytes.count
                while bodyEnd > bodyStart && bytes[bodyEnd - 1] == 0x0A { bodyEnd -= 1 }
                return .success(Parts(yaml: start > firstEnd + 1 ? yaml : nil, body: bodyStart..<bodyEnd, bodyStartLine: line + 1))
            }
            start = end + 1
            line += 1
        }
        if let nearMiss {
            return .failure(Diagnostic(at: SourceLocation(path: path, line: nearMiss, column: 4),
                                       "the front matter is never closed: line \(nearMiss) has spaces after '---'",
                                       fix: "make line \(nearMiss) exactly '---'"))
        }
        return .failure(Diagnostic(at: SourceLocation(path: path, line: 1, column: 1),
                                   "the front matter opened here is never closed",
                                   fix: "add a line that is exactly '---' after the last front matter field"))
    }
}
