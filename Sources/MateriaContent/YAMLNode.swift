import Foundation
import Yams

/// A YAML node with the place it starts (line and column from 1, columns in Unicode scalars,
/// as libYAML counts them). Decoding works on these; they come from `FastYAML` for the plain
/// front matter most files have, and from Yams for everything else.
public indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping([(key: YAMLNode, value: YAMLNode)], mark: YAMLMark?)
    case sequence([YAMLNode], mark: YAMLMark?)

    public var mark: YAMLMark? {
        switch self {
        case .scalar(let scalar): return scalar.mark
        case .mapping(_, let mark), .sequence(_, let mark): return mark
        }
    }

    /// The text of a scalar; nil for a mapping or a list.
    public var string: String? {
        if case .scalar(let scalar) = self { return scalar.string }
        return nil
    }

    /// Converts what Yams composed (aliases are already resolved by then).
    init(_ node: Node) {
        let mark = node.mark.map { YAMLMark(line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let scalar):
            self = .scalar(YAMLScalar(string: scalar.string, style: YAMLScalar.Style(scalar.style), mark: mark))
        case .mapping(let mapping):
            self = .mapping(mapping.map { (YAMLNode($0.key), YAMLNode($0.value)) }, mark: mark)
        case .sequence(let sequence):
            self = .sequence(sequence.map(YAMLNode.init), mark: mark)
        case .alias:
            self = .scalar(YAMLScalar(string: "", style: .plain, mark: mark))
        }
    }
}

public struct YAMLMark: Sendable, Equatable {
    public let line: Int
    public let column: Int
}

public struct YAMLScalar: Sendable {
    public enum Style: Sendable { case plain, singleQuoted, doubleQuoted, literal, folded }

    public let string: String
    public let style: Style
    public let mark: YAMLMark?
}

extension YAMLScalar.Style {
    init(_ style: Node.Scalar.Style) {
        switch style {
        case .singleQuoted: self = .singleQuoted
        case .doubleQuoted: self = .doubleQuoted
        case .literal: self = .literal
        case .folded: self = .folded
        default: self = .plain
        }
    }
}

/// Reads the YAML front matter and data files are written in, without libYAML: block mappings
/// with simple keys, block lists (of values or of mappings), one-line plain, single- or
/// double-quoted values (with escapes), one-line `[a, "b", 'c']` lists and `{a: b, c: [d]}`
/// mappings, `|` and `>` blocks (with `-` or `+`), plain values wrapped over several lines, keys
/// with no value, and comments after values. Anything else (quoted values over several lines,
/// anchors and aliases, tabs, duplicate keys, indentation
/// indicators, nested flow collections, anything malformed…) returns nil and the caller hands the
/// text to Yams, so results and error messages are the same either way.
enum FastYAML {
    private struct Line {
        var indent: Int
        var start: Int  // byte offset of the content (after the indentation)
        let end: Int    // byte offset of the line end (exclusive, trailing blanks kept)
        let number: Int // from 1
        let lineStart: Int
    }

    private struct Reader {
        let bytes: [UInt8]
        var lines: [Line]

        func column(_ line: Line, _ offset: Int) -> Int {
            var column = 1
            var index = line.lineStart
            while index < offset {
                if bytes[index] & 0xC0 != 0x80 { column += 1 }
                index += 1
            }
            return column
        }

        func mark(_ line: Line, _ offset: Int) -> YAMLMark { YAMLMark(line: line.number, column: column(line, offset)) }

        /// A block node starting at line `index`, whose lines are indented exactly `indent`.
        mutating func block(_ index: inout Int) -> YAMLNode? {
            guard index < lines.count else { return nil }
            return isItem(lines[index]) ? sequence(&index) : mapping(&index)
        }

        func isItem(_ line: Line) -> Bool {
            bytes[line.start] == 0x2D && (line.start + 1 == line.end || bytes[line.start + 1] == 0x20)
        }

        /// `key:` at the start of the line's content: the end of the key, or nil.
        func keyEnd(_ line: Line) -> Int? {
            var index = line.start
            while index < line.end, Self.isKeyByte(bytes[index]) { index += 1 }
            guard index > line.start, index < line.end, bytes[index] == 0x3A else { return nil }
            guard index + 1 == line.end || bytes[index + 1] == 0x20 else { return nil }
            return index
        }

        static func isKeyByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
        }

        mutating func mapping(_ index: inout Int) -> YAMLNode? {
            let indent = lines[index].indent
            let mark = self.mark(lines[index], lines[index].start)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            // A mapping has a few keys: a duplicate is found by comparing, not hashing.
            var seen: [String] = []
            while index < lines.count && lines[index].indent == indent && !isItem(lines[index]) {
                let line = lines[index]
                guard let keyEnd = keyEnd(line) else { return nil }
                let key = String(decoding: bytes[line.start..<keyEnd], as: UTF8.self)
                guard !seen.contains(key) else { return nil }
                seen.append(key)
                let keyNode = YAMLNode.scalar(YAMLScalar(string: key, style: .plain, mark: self.mark(line, line.start)))
                var valueStart = keyEnd + 1
                while valueStart < line.end && bytes[valueStart] == 0x20 { valueStart += 1 }
                index += 1
                let value: YAMLNode
                if valueStart == line.end || bytes[valueStart] == 0x23 {  // nothing, or a comment (after the ": ")
                    // A nested block: more indented, or a list at the key's own indentation.
                    if index < lines.count && (lines[index].indent > indent || (lines[index].indent == indent && isItem(lines[index]))) {
                        guard let nested = block(&index) else { return nil }
                        value = nested
                    } else {
                        // No value: an empty plain scalar (null), placed as libYAML places it.
                        value = .scalar(YAMLScalar(string: "", style: .plain, mark: self.mark(line, keyEnd + 1)))
                    }
                } else if bytes[valueStart] == 0x7C || bytes[valueStart] == 0x3E {
                    // `|` or `>`: a block scalar on the lines below.
                    guard let block = blockScalar(line, at: valueStart, parentIndent: indent, index: &index) else { return nil }
                    value = block
                } else if index < lines.count && lines[index].indent > indent {
                    // A more indented line continues the value: a plain value over several lines.
                    guard let multiline = multilinePlain(line, from: valueStart, parentIndent: indent, index: &index) else { return nil }
                    value = multiline
                } else {
                    guard let inline = inlineValue(line, from: valueStart) else { return nil }
                    value = inline
                }
                pairs.append((keyNode, value))
            }
            if index < lines.count && lines[index].indent > indent { return nil }
            return .mapping(pairs, mark: mark)
        }

        mutating func sequence(_ index: inout Int) -> YAMLNode? {
            let indent = lines[index].indent
            let mark = self.mark(lines[index], lines[index].start)
            var items: [YAMLNode] = []
            while index < lines.count && lines[index].indent == indent && isItem(lines[index]) {
                var line = lines[index]
                var start = line.start + 1
                while start < line.end && bytes[start] == 0x20 { start += 1 }
                guard start < line.end else { return nil }  // an item on the following lines
                if bytes[start] == 0x2D { return nil }        // a list in a list
                // "- key: value" opens a mapping whose keys line up after the dash.
                line.indent = column(line, start) - 1
                line.start = start
                if keyEnd(line) != nil {
                    lines[index] = line
                    guard let object = mapping(&index) else { return nil }
                    items.append(object)
                    continue
                }
                guard let value = inlineValue(line, from: start) else { return nil }
                items.append(value)
                index += 1
                if index < lines.count && lines[index].indent > indent { return nil }
            }
            if index < lines.count && lines[index].indent > indent { return nil }
            return .sequence(items, mark: mark)
        }

        /// The block scalar whose indicator (`|` literal or `>` folded, then `-` strip or `+` keep,
        /// then nothing but a comment) starts at `bar` on `line`, a mapping's value at
        /// `parentIndent`; nil when the line holds anything else. Read as libYAML reads one: the
        /// first line's indentation taken off every line; in a folded block a line break between
        /// two lines that are not more indented becomes a space (or goes, before blank lines);
        /// blank lines kept as line breaks; at the end one line break (clip), none (strip) or all
        /// with the blank lines after the last line (keep). `index` moves past the lines it holds.
        /// Nil (Yams reads it) also for an indentation indicator, an empty block, a blank first
        /// line, a blank line with more spaces than the indentation, a last line without a line
        /// break, or a less indented line that does not go back to the parent's level.
        func blockScalar(_ line: Line, at bar: Int, parentIndent: Int, index: inout Int) -> YAMLNode? {
            let folded = bytes[bar] == 0x3E
            var after = bar + 1
            var chomping = 0  // -1 strip, 0 clip, 1 keep
            if after < line.end && (bytes[after] == 0x2D || bytes[after] == 0x2B) {
                chomping = bytes[after] == 0x2D ? -1 : 1
                after += 1
            }
            guard isComment(from: after, to: line.end) else { return nil }
            return bytes.withUnsafeBufferPointer { buffer -> YAMLNode? in
                let count = buffer.count
                var rowStart = SourceText.lineEnd(buffer, from: bar) + 1
                var indent = -1
                var text: [UInt8] = []
                var trailingBreaks = 0    // blank lines since the last line of text
                var previousMoreIndented = false
                var end = count  // where the block ends: the start of the first line after it
                while rowStart < count {
                    let rowEnd = SourceText.lineEnd(buffer, from: rowStart)
                    guard rowEnd < count else { return nil }  // a last line with no line break
                    var spaces = rowStart
                    while spaces < rowEnd && buffer[spaces] == 0x20 { spaces += 1 }
                    let leading = spaces - rowStart
                    if spaces == rowEnd {  // a blank line
                        guard indent >= 0, leading <= indent else { return nil }
                        trailingBreaks += 1
                    } else if indent >= 0 && leading < indent {
                        guard leading <= parentIndent else { return nil }
                        end = rowStart
                        break
                    } else {
                        let moreIndented = indent >= 0 && leading > indent
                        if indent < 0 {
                            guard leading > parentIndent else { return nil }  // an empty block
                            indent = leading
                        } else if folded && !previousMoreIndented && !moreIndented {
                            if trailingBreaks == 0 { text.append(0x20) }  // the line break folds into a space
                        } else {
                            text.append(0x0A)
                        }
                        text.append(contentsOf: repeatElement(0x0A, count: trailingBreaks))
                        trailingBreaks = 0
                        previousMoreIndented = moreIndented
                        text.append(contentsOf: buffer[(rowStart + indent)..<rowEnd])
                    }
                    rowStart = rowEnd + 1
                }
                guard indent >= 0 else { return nil }
                if chomping >= 0 { text.append(0x0A) }
                if chomping > 0 { text.append(contentsOf: repeatElement(0x0A, count: trailingBreaks)) }
                while index < lines.count && lines[index].lineStart < end { index += 1 }
                return .scalar(YAMLScalar(string: String(decoding: text, as: UTF8.self), style: folded ? .folded : .literal, mark: mark(line, bar)))
            }
        }

        /// A plain value that starts at `start` on `line` (a mapping's value at `parentIndent`) and
        /// goes on over the more indented lines below, as libYAML reads one: each line trimmed,
        /// a line break between two lines read as a space, and each blank line between them as a
        /// line break. `index` moves past the lines it holds. Nil (Yams reads it) when any of its
        /// lines is not a plain value on its own (a quote, an indicator first, ": ", " #"), or a
        /// comment line comes between them.
        func multilinePlain(_ line: Line, from start: Int, parentIndent: Int, index: inout Int) -> YAMLNode? {
            guard isPlain(start, line.end, flow: false) else { return nil }
            return bytes.withUnsafeBufferPointer { buffer -> YAMLNode? in
                let count = buffer.count
                var text = Array(buffer[start..<line.end])
                var rowStart = SourceText.lineEnd(buffer, from: line.end) + 1
                var breaks = 0  // blank lines since the last line of text
                var end = count
                while rowStart < count {
                    let rowEnd = SourceText.lineEnd(buffer, from: rowStart)
                    var contentStart = rowStart
                    while contentStart < rowEnd && buffer[contentStart] == 0x20 { contentStart += 1 }
                    var contentEnd = rowEnd
                    while contentEnd > contentStart && buffer[contentEnd - 1] == 0x20 { contentEnd -= 1 }
                    if contentStart == contentEnd {
                        breaks += 1
                    } else if contentStart - rowStart <= parentIndent {
                        end = rowStart
                        break
                    } else {
                        guard isPlain(contentStart, contentEnd, flow: false) else { return nil }  // "#" first too
                        if breaks == 0 { text.append(0x20) } else { text.append(contentsOf: repeatElement(0x0A, count: breaks)) }
                        breaks = 0
                        text.append(contentsOf: buffer[contentStart..<contentEnd])
                    }
                    rowStart = rowEnd + 1
                }
                while index < lines.count && lines[index].lineStart < end { index += 1 }
                return .scalar(YAMLScalar(string: String(decoding: text, as: UTF8.self), style: .plain, mark: mark(line, start)))
            }
        }

        /// A value written on the rest of the line, from `start`.
        func inlineValue(_ line: Line, from start: Int) -> YAMLNode? {
            var end = line.end
            while end > start && bytes[end - 1] == 0x20 { end -= 1 }
            let first = bytes[start]
            let mark = self.mark(line, start)
            // Each value may be followed by a comment: spaces, then "#" to the end of the line.
            switch first {
            case 0x22, 0x27:  // quoted
                guard let (scalar, after) = quoted(line, from: start, limit: end), isComment(from: after, to: end) else { return nil }
                return scalar
            case 0x5B:  // [a, "b", 'c']
                guard let close = closing(0x5D, from: start, limit: end), isComment(from: close + 1, to: end) else { return nil }
                return flowList(line, from: start, close: close)
            case 0x7B:  // {a: b, c: "d"}
                guard let close = closing(0x7D, from: start, limit: end), isComment(from: close + 1, to: end) else { return nil }
                return flowMapping(line, from: start, close: close)
            default:
                // A plain value ends where a comment starts: at the first "#" after a space (found
                // with memchr(3): most values hold none).
                var index = start
                bytes.withUnsafeBufferPointer { buffer in
                    while index < end, let found = memchr(buffer.baseAddress! + index, 0x23, end - index) {
                        index = buffer.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
                        if buffer[index - 1] == 0x20 { return }
                        index += 1
                    }
                    index = end
                }
                while index > start && bytes[index - 1] == 0x20 { index -= 1 }
                end = index
                guard isPlain(start, end, flow: false) else { return nil }
                return .scalar(YAMLScalar(string: String(decoding: bytes[start..<end], as: UTF8.self), style: .plain, mark: mark))
            }
        }

        /// A one-line flow list from its `[` at `start` to its `]` at `close`: items `flowItem`
        /// reads, separated by commas.
        func flowList(_ line: Line, from start: Int, close: Int) -> YAMLNode? {
            let mark = self.mark(line, start)
            var items: [YAMLNode] = []
            var index = start + 1
            while index < close && bytes[index] == 0x20 { index += 1 }
            if index == close { return .sequence([], mark: mark) }
            while true {
                // An item (spaces before it skipped), then spaces, then "," or the end.
                guard index < close, let (item, after) = flowItem(line, from: index, to: close) else { return nil }
                items.append(item)
                index = after
                guard let done = afterEntry(&index, close: close) else { return nil }
                if done { break }
            }
            return .sequence(items, mark: mark)
        }

        /// After an entry of a one-line flow list or mapping: spaces, then its end at `close`
        /// (true), or a comma and spaces before the next entry (false); nil for anything else.
        func afterEntry(_ index: inout Int, close: Int) -> Bool? {
            while index < close && bytes[index] == 0x20 { index += 1 }
            if index == close { return true }
            guard bytes[index] == 0x2C else { return nil }
            index += 1
            while index < close && bytes[index] == 0x20 { index += 1 }
            return false
        }

        /// Whether `start..<end` (the rest of a line, trailing spaces cut) is nothing, or a comment
        /// after at least one space.
        func isComment(from start: Int, to end: Int) -> Bool {
            var index = start
            while index < end && bytes[index] == 0x20 { index += 1 }
            return index == end || (index > start && bytes[index] == 0x23)
        }

        /// The `closer` (`]` or `}`) that closes the flow list or mapping opening at `start`,
        /// before `limit`: the first one outside quotes. Nil when there is none, or a quote is not
        /// closed.
        func closing(_ closer: UInt8, from start: Int, limit: Int) -> Int? {
            var index = start + 1
            while index < limit {
                switch bytes[index] {
                case closer: return index
                case 0x22:
                    index += 1
                    while index < limit && bytes[index] != 0x22 { index += 1 }
                case 0x27:
                    index += 1
                    while index < limit && bytes[index] != 0x27 { index += 1 }  // '' is two quotes in a row: the same
                default: break
                }
                guard index < limit else { return nil }
                index += 1
            }
            return nil
        }

        /// A one-line flow mapping from its `{` at `start` to its `}` at `close`: simple keys, each
        /// followed by ": " and a value `flowItem` reads, separated by commas. Nil for anything
        /// else (a missing value, a trailing comma, a duplicate or quoted key, nesting).
        func flowMapping(_ line: Line, from start: Int, close: Int) -> YAMLNode? {
            let mark = self.mark(line, start)
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var seen: [String] = []
            var index = start + 1
            while index < close && bytes[index] == 0x20 { index += 1 }
            if index == close { return .mapping([], mark: mark) }
            while true {
                let keyStart = index
                while index < close, Self.isKeyByte(bytes[index]) { index += 1 }
                guard index > keyStart, index + 1 < close, bytes[index] == 0x3A, bytes[index + 1] == 0x20 else { return nil }
                let key = String(decoding: bytes[keyStart..<index], as: UTF8.self)
                guard !seen.contains(key) else { return nil }
                seen.append(key)
                let keyNode = YAMLNode.scalar(YAMLScalar(string: key, style: .plain, mark: self.mark(line, keyStart)))
                index += 2
                while index < close && bytes[index] == 0x20 { index += 1 }
                guard index < close else { return nil }
                let value: YAMLNode, after: Int
                if bytes[index] == 0x5B {  // a flow list as the value: [a, b]
                    guard let bracket = closing(0x5D, from: index, limit: close),
                          let list = flowList(line, from: index, close: bracket) else { return nil }
                    (value, after) = (list, bracket + 1)
                } else {
                    guard let item = flowItem(line, from: index, to: close) else { return nil }
                    (value, after) = item
                }
                pairs.append((keyNode, value))
                index = after
                guard let done = afterEntry(&index, close: close) else { return nil }
                if done { break }
            }
            return .mapping(pairs, mark: mark)
        }

        /// One item of a one-line flow list starting at `start` (not a space), ending before
        /// `close`: a plain scalar up to the next "," (trailing spaces dropped), or a quoted one
        /// as on a line of its own. The item and the offset just after it; nil for anything else
        /// (an empty item, an escape, a nested list), which Yams reads.
        func flowItem(_ line: Line, from start: Int, to close: Int) -> (YAMLNode, Int)? {
            switch bytes[start] {
            case 0x22, 0x27:
                return quoted(line, from: start, limit: close)
            default:
                let mark = self.mark(line, start)
                var end = start
                while end < close && bytes[end] != 0x2C { end += 1 }
                let after = end
                while end > start && bytes[end - 1] == 0x20 { end -= 1 }
                guard isPlain(start, end, flow: true) else { return nil }
                return (.scalar(YAMLScalar(string: String(decoding: bytes[start..<end], as: UTF8.self), style: .plain, mark: mark)), after)
            }
        }

        /// The quoted scalar that starts at `start` (`"…"` without escapes, or `'…'` with `''` for a
        /// quote) and closes before `limit`, and the offset just after its closing quote; nil when
        /// it does not close there or holds an escape (Yams reads those).
        func quoted(_ line: Line, from start: Int, limit: Int) -> (YAMLNode, Int)? {
            let mark = self.mark(line, start)
            if bytes[start] == 0x22 {
                // Two memchr(3) scans, not two generic passes over every title and summary.
                return bytes.withUnsafeBufferPointer { buffer -> (YAMLNode, Int)? in
                    let from = start + 1
                    guard from < limit, let base = buffer.baseAddress,
                          let found = memchr(base + from, 0x22, limit - from) else { return nil }
                    let close = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    // A backslash before that quote: an escape, which may be the quote's own.
                    guard memchr(base + from, 0x5C, close - from) == nil else { return Self.escaped(buffer, from: from, limit: limit, mark: mark) }
                    let text = String(decoding: buffer[from..<close], as: UTF8.self)
                    return (.scalar(YAMLScalar(string: text, style: .doubleQuoted, mark: mark)), close + 1)
                }
            }
            var text: [UInt8] = []
            var index = start + 1
            while true {
                guard index < limit else { return nil }
                if bytes[index] == 0x27 {
                    guard index + 1 < limit, bytes[index + 1] == 0x27 else { break }
                    index += 1
                }
                text.append(bytes[index])
                index += 1
            }
            return (.scalar(YAMLScalar(string: String(decoding: text, as: UTF8.self), style: .singleQuoted, mark: mark)), index + 1)
        }

        /// A double-quoted scalar with escapes, from just after its opening quote to its closing
        /// quote before `limit`, and the offset after that quote: libYAML's escapes decoded
        /// (`\\` `\"` `\/` `\ ` `\a` `\b` `\t` `\n` `\v` `\f` `\r` `\e` `\N` `\_` `\L` `\P`, and
        /// `\x`, `\u`, `\U` with 2, 4 or 8 hex digits). Nil (Yams reads it) for `\0` or any other
        /// escape, a code that is no Unicode scalar, or no closing quote.
        static func escaped(_ buffer: UnsafeBufferPointer<UInt8>, from: Int, limit: Int, mark: YAMLMark) -> (YAMLNode, Int)? {
            var text: [UInt8] = []
            var index = from
            while index < limit {
                let byte = buffer[index]
                if byte == 0x22 {
                    return (.scalar(YAMLScalar(string: String(decoding: text, as: UTF8.self), style: .doubleQuoted, mark: mark)), index + 1)
                }
                guard byte == 0x5C else {
                    text.append(byte)
                    index += 1
                    continue
                }
                guard index + 1 < limit else { return nil }
                var next = index + 2
                let code: UInt32
                switch buffer[index + 1] {
                case UInt8(ascii: "a"): code = 0x07
                case UInt8(ascii: "b"): code = 0x08
                case UInt8(ascii: "t"): code = 0x09
                case UInt8(ascii: "n"): code = 0x0A
                case UInt8(ascii: "v"): code = 0x0B
                case UInt8(ascii: "f"): code = 0x0C
                case UInt8(ascii: "r"): code = 0x0D
                case UInt8(ascii: "e"): code = 0x1B
                case UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "\\"): code = UInt32(buffer[index + 1])
                case UInt8(ascii: "N"): code = 0x85
                case UInt8(ascii: "_"): code = 0xA0
                case UInt8(ascii: "L"): code = 0x2028
                case UInt8(ascii: "P"): code = 0x2029
                case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let digits = buffer[index + 1] == UInt8(ascii: "x") ? 2 : buffer[index + 1] == UInt8(ascii: "u") ? 4 : 8
                    guard index + 2 + digits <= limit else { return nil }
                    var value: UInt32 = 0
                    for position in (index + 2)..<(index + 2 + digits) {
                        let digit = buffer[position]
                        let nibble: UInt8
                        switch digit {
                        case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
                        case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
                        case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
                        default: return nil
                        }
                        value = value << 4 | UInt32(nibble)
                    }
                    code = value
                    next = index + 2 + digits
                default:
                    return nil
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                text.append(contentsOf: UTF8.encode(scalar)!)
                index = next
            }
            return nil
        }

        /// A plain scalar that means itself: no indicator first, no ": " or " #" inside, no
        /// trailing ":", and in a flow list nothing that would end or nest it.
        func isPlain(_ start: Int, _ end: Int, flow: Bool) -> Bool {
            guard start < end, !Self.indicators[Int(bytes[start])] else { return false }
            if bytes[end - 1] == 0x3A { return false }
            var index = start
            while index < end {
                let byte = bytes[index]
                if byte == 0x3A && index + 1 < end && bytes[index + 1] == 0x20 { return false }
                if byte == 0x23 && index > start && bytes[index - 1] == 0x20 { return false }
                if flow && (byte == 0x2C || byte == 0x5B || byte == 0x5D || byte == 0x7B || byte == 0x7D || byte == 0x22 || byte == 0x27) { return false }
                index += 1
            }
            return true
        }

        /// The bytes that cannot start a plain scalar, as a table by byte value.
        static let indicators: [Bool] = {
            var table = [Bool](repeating: false, count: 256)
            for byte in "-?:,[]{}#&*!|>'\"%@`".utf8 { table[Int(byte)] = true }
            return table
        }()
    }

    /// "---" or "...": a document marker.
    private static func isMarker(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        (a == 0x2D || a == 0x2E) && b == a && c == a
    }

    /// Whether any byte of `start..<end` is below 0x20. Eight bytes at a time: a byte `x` below
    /// 0x20 sets bit 7 of `(x - 0x20) & ~x`; a borrow into the next byte comes only from such a
    /// byte, so the answer is exact.
    private static func hasControlByte(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= end {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            if (word &- ones &* 0x20) & ~word & high != 0 { return true }
            index += 8
        }
        while index < end {
            if base[index] < 0x20 { return true }
            index += 1
        }
        return false
    }

    /// The document as nodes, or nil when it uses anything this reader leaves to Yams.
    static func compose(_ text: String) -> YAMLNode? {
        let bytes = Array(text.utf8)
        var lines: [Line] = []
        let split = bytes.withUnsafeBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return true }
            let count = buffer.count
            var number = 0
            var lineStart = 0
            while lineStart < count {
                number += 1
                // The line's end by memchr(3); a tab, carriage return or other control byte
                // anywhere in it (tested eight bytes at a time) leaves the text to Yams.
                let end = SourceText.lineEnd(buffer, from: lineStart)
                if hasControlByte(base, lineStart, end) { return false }
                var start = lineStart
                while start < end && buffer[start] == 0x20 { start += 1 }
                var contentEnd = end
                while contentEnd > start && buffer[contentEnd - 1] == 0x20 { contentEnd -= 1 }
                if start < contentEnd && buffer[start] != 0x23 {  // blank and comment lines carry nothing
                    // Document markers and directives are Yams's business.
                    if start == lineStart && (buffer[start] == 0x25 || (contentEnd - start >= 3 && Self.isMarker(buffer[start], buffer[start + 1], buffer[start + 2]))) {
                        return false
                    }
                    lines.append(Line(indent: start - lineStart, start: start, end: contentEnd, number: number, lineStart: lineStart))
                }
                lineStart = end + 1
            }
            return true
        }
        guard split else { return nil }
        guard let first = lines.first, first.indent == 0, !bytes.starts(with: [0xEF, 0xBB, 0xBF]) else { return nil }
        var reader = Reader(bytes: bytes, lines: lines)
        var index = 0
        guard let node = reader.block(&index), index == lines.count, case .mapping = node else { return nil }
        return node
    }
}
