/// Turns a file's bytes into text, or says exactly where it stops being UTF-8.
public enum SourceText {
    public static func decode(_ bytes: [UInt8], path: String) -> Result<String, Diagnostic> {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let offset = firstInvalidUTF8(bytes) {
            let before = bytes[bytes.startIndex..<offset]
            let line = before.filter { $0 == 0x0A }.count + 1
            let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? bytes.startIndex
            let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
            let hex = String(bytes[offset], radix: 16, uppercase: true)
            return .failure(Diagnostic(at: SourceLocation(path: path, line: line, column: column),
                                       "the file is not valid UTF-8 (byte 0x\(hex))",
                                       fix: "re-save the file with UTF-8 encoding (e.g. `iconv -f latin1 -t utf-8`)"))
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.contains("\r") {
            text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        }
        return .success(text)
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
    public static func split(_ text: String, path: String) -> Result<FrontMatter, Diagnostic> {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        func isFence(_ line: Substring) -> Bool {
            var line = line
            while line.last == " " || line.last == "\t" { line.removeLast() }
            return line == "---"
        }
        guard let first = lines.first, isFence(first) else {
            return .failure(Diagnostic(at: SourceLocation(path: path, line: 1, column: 1),
                                       "the article has no front matter",
                                       fix: "start the file with a line '---', then 'title: …' and 'summary: …', then a line '---'"))
        }
        guard let close = lines.indices.dropFirst().first(where: { isFence(lines[$0]) }) else {
            return .failure(Diagnostic(at: SourceLocation(path: path, line: 1, column: 1),
                                       "the front matter opened here is never closed",
                                       fix: "add a line that is exactly '---' after the last front matter field"))
        }
        let yaml = lines[1..<close].joined(separator: "\n")
        let body = lines[(close + 1)...].joined(separator: "\n")
        return .success(FrontMatter(yaml: yaml, yamlLineOffset: 1, body: body, bodyStartLine: close + 2))
    }
}
