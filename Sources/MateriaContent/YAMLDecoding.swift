import Foundation
import Yams

/// Reads YAML into nodes that keep their line and column, and reports problems against them.
///
/// Materia decodes by hand instead of through `Codable` so that every wrong type, missing
/// field or unknown key is reported at its own position, and all of them in one run.
public final class YAMLDocument {
    public let path: String
    /// Lines above the YAML in its file (front matter starts below the `---` line).
    public let lineOffset: Int
    public private(set) var diagnostics = Diagnostics()

    public init(path: String, lineOffset: Int = 0) {
        self.path = path
        self.lineOffset = lineOffset
    }

    /// Parses `text`; on malformed YAML records an error at its position and returns nil.
    public func parse(_ text: String) -> YAMLNode? {
        // Plain front matter is read directly; anything else (and every malformed file) goes
        // through Yams, which also writes the error messages.
        if let node = FastYAML.compose(text) { return node }
        do {
            // No tag resolution (`Resolver.basic`): decoding reads each scalar's text and style,
            // never the type Yams would give it, and the default resolver ran regular expressions
            // over every plain scalar and key (42 % of Yams's time). The encoding is given, not
            // looked up in the environment on every call.
            guard let node = try Yams.compose(yaml: text, .basic, .default, .utf8) else {
                error(at: location(line: 1, column: 1), "the YAML is empty", fix: "add the required fields")
                return nil
            }
            return YAMLNode(node)
        } catch let error as YamlError {
            report(error)
            return nil
        } catch {
            self.error(at: location(line: 1, column: 1), "cannot read YAML: \(error)")
            return nil
        }
    }

    private func report(_ error: YamlError) {
        switch error {
        case let .scanner(context, problem, mark, yaml), let .parser(context, problem, mark, yaml),
             let .composer(context, problem, mark, yaml):
            if Self.character(in: yaml, at: mark) == "\t" {
                self.error(at: location(mark), "malformed YAML: a tab character here; YAML indents with spaces only",
                           fix: "replace the tab with spaces")
                return
            }
            // Where the construct began (an opening quote, a bracket) is where the author must look;
            // where the parser noticed the problem is often the end of the block.
            var what = "malformed YAML: \(problem)"
            var place = location(mark)
            if problem.contains("another document") {
                self.error(at: place, "a second YAML document starts here", fix: "a file holds one YAML document: remove this '---' line")
                return
            }
            if let context {
                what = "malformed YAML: \(context.text), \(problem) at line \(mark.line + lineOffset)"
                place = location(context.mark)
            }
            self.error(at: place, what, fix: "check the indentation and quoting here; quote values that contain ': ' or start with a special character")
        case let .duplicatedKeysInMapping(duplicates, context):
            let place = Self.secondOccurrence(of: duplicates.first ?? "", after: context.mark, in: context.text)
                ?? (context.mark.line, context.mark.column)
            self.error(at: location(line: place.line, column: place.column), "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))",
                       fix: "keep one of the entries and remove the other")
        case let .reader(problem, _, _, _):
            self.error(at: location(line: 1, column: 1), "unreadable YAML: \(problem)", fix: "save the file as UTF-8 text")
        default:
            self.error(at: location(line: 1, column: 1), "malformed YAML: \(error)")
        }
    }

    /// Yams names the first of two equal keys; the author needs the second, which is the extra one.
    static func secondOccurrence(of key: String, after first: Mark, in yaml: String) -> (line: Int, column: Int)? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1 else { return nil }
        for index in first.line..<lines.count {
            let line = lines[index]
            guard line.count >= first.column else { continue }
            let rest = line.dropFirst(first.column - 1)
            if rest.hasPrefix(key + ":") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") {
                return (index + 1, first.column)
            }
        }
        return nil
    }

    static func character(in yaml: String, at mark: Mark) -> Character? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let line = lines[mark.line - 1]
        guard mark.column >= 1, mark.column <= line.count else { return nil }
        return line[line.index(line.startIndex, offsetBy: mark.column - 1)]
    }

    func location(_ mark: Mark?) -> SourceLocation {
        location(line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func location(_ mark: YAMLMark?) -> SourceLocation {
        location(line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(path: path, line: line + lineOffset, column: column)
    }

    public func location(of node: YAMLNode) -> SourceLocation { location(node.mark) }

    public func error(at location: SourceLocation, _ message: String, fix: String? = nil) {
        diagnostics.error(location, message, fix: fix)
    }

    public func warning(at location: SourceLocation, _ message: String, fix: String? = nil) {
        diagnostics.warning(location, message, fix: fix)
    }

    /// A mapping reader for `node`, or nil (with an error) when the node is not a mapping.
    public func object(_ node: YAMLNode, what: String, keys: [String]) -> YAMLObject? {
        guard case let .mapping(mapping, _) = node else {
            error(at: location(of: node), "\(what) must be a mapping of keys to values, found \(node.kindName)",
                  fix: "write it as 'key: value' lines")
            return nil
        }
        return YAMLObject(document: self, mapping: mapping, node: node, what: what, keys: keys)
    }
}

/// One YAML mapping being decoded; unknown keys are reported once, when it is created.
public struct YAMLObject {
    public let document: YAMLDocument
    let mapping: [(key: YAMLNode, value: YAMLNode)]
    public let node: YAMLNode
    let what: String
    private var values = Members()

    /// The mapping's members by name, as a list searched in order: it never holds more names
    /// than the keys allowed (a dozen or so), and comparing short names costs less than hashing
    /// them (front matter is decoded for every article).
    private struct Members {
        private var list: [(name: String, key: YAMLNode, value: YAMLNode)] = []

        private func index(_ name: String) -> Int? {
            list.withUnsafeBufferPointer { list in
                for index in list.indices where list[index].name == name { return index }
                return nil
            }
        }

        func contains(_ name: String) -> Bool { index(name) != nil }
        /// The key node and the value node of `name` (each read alone: no triple is copied out).
        func key(_ name: String) -> YAMLNode? { index(name).map { list[$0].key } }
        func value(_ name: String) -> YAMLNode? { index(name).map { list[$0].value } }

        /// Sets `name`, replacing a value it had (a later key wins, as in a dictionary).
        mutating func set(_ name: String, key: consuming YAMLNode, value: consuming YAMLNode) {
            if let index = index(name) {
                list[index].key = key
                list[index].value = value
            } else {
                list.append((name, key, value))
            }
        }
    }

    init(document: YAMLDocument, mapping: [(key: YAMLNode, value: YAMLNode)], node: YAMLNode, what: String, keys: [String]) {
        self.document = document
        self.mapping = mapping
        self.node = node
        self.what = what
        var merged: [YAMLNode] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                document.error(at: document.location(of: key), "\(what) has a key that is not text", fix: "use a plain name such as 'title'")
                continue
            }
            if name == "<<" {
                merged.append(value)
            } else if keys.contains(name) {
                values.set(name, key: key, value: value)
            } else {
                document.error(at: document.location(of: key), "unknown key '\(name)' in \(what)",
                               fix: Suggestion.hint(for: name, in: keys, noun: "key"))
            }
        }
        // YAML merge keys (`<<: *defaults` or `<<: [*a, *b]`): explicit keys win, then earlier merges.
        for source in merged {
            let sources: [YAMLNode]
            if case let .sequence(sequence, _) = source { sources = sequence } else { sources = [source] }
            for item in sources {
                guard case let .mapping(inner, _) = item else {
                    document.error(at: document.location(of: item), "'<<' must merge a mapping (an alias such as *defaults)",
                                   fix: "point '<<' at an anchored mapping")
                    continue
                }
                for (key, value) in inner {
                    guard let name = key.string, !values.contains(name) else { continue }
                    if keys.contains(name) {
                        values.set(name, key: key, value: value)
                    } else {
                        document.error(at: document.location(of: key), "unknown key '\(name)' in \(what)",
                                       fix: Suggestion.hint(for: name, in: keys, noun: "key"))
                    }
                }
            }
        }
    }

    public var location: SourceLocation { document.location(of: node) }

    public func location(of key: String) -> SourceLocation {
        values.value(key).map { document.location(of: $0) } ?? location
    }

    public func keyLocation(_ key: String) -> SourceLocation? {
        values.key(key).map { document.location(of: $0) }
    }

    /// The value node for `key`, treating an empty value (`key:` or `~`) as absent.
    public func node(_ key: String, required: Bool = false) -> YAMLNode? {
        if let value = values.value(key), !value.isNull { return value }
        if required {
            let place = values.key(key).map { document.location(of: $0) } ?? location
            document.error(at: place, "missing required field '\(key)' in \(what)", fix: "add a line '\(key): …'")
        }
        return nil
    }

    public func has(_ key: String) -> Bool { node(key) != nil }

    /// Where the text of `key` starts, for Markdown held in YAML.
    public func textOrigin(_ key: String) -> TextOrigin? {
        guard let entryValue = values.value(key), let entryKey = values.key(key), case let .scalar(scalar) = entryValue else { return nil }
        let value = document.location(of: entryValue)
        switch scalar.style {
        case .literal, .folded:
            // Content starts on the next line, indented (usually) two spaces past the key.
            let keyColumn = document.location(of: entryKey).column
            return TextOrigin(path: value.path, line: value.line + 1, column: keyColumn + 2, indent: keyColumn + 1)
        case .singleQuoted, .doubleQuoted:
            return TextOrigin(path: value.path, line: value.line, column: value.column + 1)
        default:
            return TextOrigin(path: value.path, line: value.line, column: value.column)
        }
    }

    public func string(_ key: String, required: Bool = false) -> String? {
        guard let value = node(key, required: required) else { return nil }
        guard case let .scalar(scalar) = value else {
            typeError(key, value, expected: "text")
            return nil
        }
        let text = Self.trimmed(scalar.string, .whitespacesAndNewlines)
        if text.isEmpty && required {
            document.error(at: document.location(of: value), "field '\(key)' in \(what) is empty", fix: "give it a value")
            return nil
        }
        return text
    }

    public func bool(_ key: String) -> Bool? {
        guard let value = node(key) else { return nil }
        if case let .scalar(scalar) = value {
            switch scalar.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        typeError(key, value, expected: "true or false")
        return nil
    }

    public func number(_ key: String, required: Bool = false) -> Double? {
        guard let value = node(key, required: required) else { return nil }
        if case let .scalar(scalar) = value, let number = Double(scalar.string.replacingOccurrences(of: "_", with: "")),
           number.isFinite {
            return number
        }
        typeError(key, value, expected: "a number (such as 350 or 2.4, without a unit)")
        return nil
    }

    public func integer(_ key: String, required: Bool = false) -> Int? {
        guard let value = node(key, required: required) else { return nil }
        if case let .scalar(scalar) = value, let number = Int(scalar.string) { return number }
        typeError(key, value, expected: "a whole number")
        return nil
    }

    public func date(_ key: String, required: Bool = false) -> Day? {
        guard let value = node(key, required: required) else { return nil }
        if case let .scalar(scalar) = value {
            if let day = Day(iso: scalar.string) {
                if (1900...2199).contains(day.year) { return day }
                document.error(at: document.location(of: value), "'\(scalar.string)' in field '\(key)' is outside the years 1900–2199",
                               fix: "check the year")
                return nil
            }
            document.error(at: document.location(of: value), "'\(scalar.string)' in field '\(key)' is not a date",
                           fix: "write a real calendar date as YYYY-MM-DD, e.g. 2026-03-14")
            return nil
        }
        typeError(key, value, expected: "a date (YYYY-MM-DD)")
        return nil
    }

    /// A list of text values; a single scalar is a type error (a list was meant).
    public func strings(_ key: String) -> [Located<String>] {
        guard let value = node(key) else { return [] }
        guard case let .sequence(sequence, _) = value else {
            typeError(key, value, expected: "a list, such as [a, b] or '- a' lines")
            return []
        }
        var result: [Located<String>] = []
        for item in sequence {
            guard case let .scalar(scalar) = item, !item.isNull else {
                document.error(at: document.location(of: item), "each entry of '\(key)' must be text, found \(item.kindName)",
                               fix: "write the entry as plain text")
                continue
            }
            result.append(Located(Self.trimmed(scalar.string, .whitespaces), at: document.location(of: item)))
        }
        return result
    }

    /// A list of mappings, each decoded by `decode`.
    public func objects<T>(_ key: String, what item: String, keys: [String], _ decode: (YAMLObject) -> T?) -> [T] {
        guard let value = node(key) else { return [] }
        guard case let .sequence(sequence, _) = value else {
            typeError(key, value, expected: "a list of entries, each starting with '- '")
            return []
        }
        return sequence.compactMap { element in
            document.object(element, what: item, keys: keys).flatMap(decode)
        }
    }

    public func object(_ key: String, what item: String, keys: [String]) -> YAMLObject? {
        guard let value = node(key) else { return nil }
        return document.object(value, what: item, keys: keys)
    }

    /// `text.trimmingCharacters(in: set)`, skipped when both ends are visible ASCII (nearly
    /// always): Foundation's trimming goes through UTF-16 on Linux.
    /// `set` is made only when needed: Foundation builds a new set each time one is asked for.
    static func trimmed(_ text: String, _ set: @autoclosure () -> CharacterSet) -> String {
        guard let first = text.utf8.first, let last = text.utf8.last else { return text }
        if first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F { return text }
        return text.trimmingCharacters(in: set())
    }

    public func typeError(_ key: String, _ value: YAMLNode, expected: String) {
        document.error(at: document.location(of: value), "field '\(key)' in \(what) must be \(expected), found \(value.kindName)",
                       fix: "change the value of '\(key)'")
    }
}

/// A value with the place it was written, so later phases can report against it.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public let value: Value
    public let location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension YAMLNode {
    var isNull: Bool {
        guard case let .scalar(scalar) = self else { return false }
        if scalar.style != .plain { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    var kindName: String {
        switch self {
        case .scalar(let scalar): return isNull ? "nothing" : "the text '\(scalar.string.prefix(40))'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}
