/// A place in a source file: path relative to the site root, 1-based line and column.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let path: String
    public let line: Int
    public let column: Int

    public init(path: String, line: Int = 1, column: Int = 1) {
        self.path = path
        self.line = max(line, 1)
        self.column = max(column, 1)
    }

    public var description: String { "\(path):\(line):\(column)" }

    /// The same place moved down by `lines` (front matter and Markdown bodies start below line 1).
    public func offset(lines: Int) -> SourceLocation {
        SourceLocation(path: path, line: line + lines, column: column)
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.path, lhs.line, lhs.column) < (rhs.path, rhs.line, rhs.column)
    }
}

/// Where a piece of Markdown starts in its file, to map positions inside it back to the file.
/// A YAML block scalar (`description: |`) starts on the next line with every line indented.
public struct TextOrigin: Sendable, Hashable {
    public let path: String
    public let line: Int
    public let column: Int
    public let indent: Int

    public init(path: String, line: Int, column: Int = 1, indent: Int = 0) {
        self.path = path
        self.line = line
        self.column = column
        self.indent = indent
    }

    /// The file position of `line`:`column` inside the text (both 1-based).
    public func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(path: path, line: self.line + line - 1, column: line == 1 ? self.column + column - 1 : column + indent)
    }
}

/// One problem found in a site, printed as `path:line:column: error: what — how to fix`.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public let location: SourceLocation
    public let severity: Severity
    public let message: String
    public let fix: String?

    public init(_ severity: Severity = .error, at location: SourceLocation, _ message: String, fix: String? = nil) {
        self.location = location
        self.severity = severity
        self.message = message
        self.fix = fix
    }

    public var description: String {
        var text = "\(location): \(severity.rawValue): \(message)"
        if let fix { text += " — \(fix)" }
        return text
    }
}

/// Collects every problem of a run so that all of them are reported, not just the first.
public struct Diagnostics: Sendable {
    public private(set) var items: [Diagnostic] = []

    public init() {}

    public mutating func error(_ location: SourceLocation, _ message: String, fix: String? = nil) {
        items.append(Diagnostic(.error, at: location, message, fix: fix))
    }

    public mutating func warning(_ location: SourceLocation, _ message: String, fix: String? = nil) {
        items.append(Diagnostic(.warning, at: location, message, fix: fix))
    }

    public mutating func append(_ diagnostic: Diagnostic) { items.append(diagnostic) }

    public mutating func append(contentsOf other: Diagnostics) { items.append(contentsOf: other.items) }

    public var errors: [Diagnostic] { items.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { items.filter { $0.severity == .warning } }
    public var hasErrors: Bool { items.contains { $0.severity == .error } }

    /// Sorted by file and position, so output is stable whatever order the checks ran in.
    public var sorted: [Diagnostic] {
        items.sorted { ($0.location, $0.message) < ($1.location, $1.message) }
    }
}

/// Thrown when a build stops because of errors in the site; carries all of them.
public struct BuildFailure: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Suggests the closest known name for a misspelt one ("did you mean 'reviewed'?").
public enum Suggestion {
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in candidates where !isOpposite(lowered, candidate.lowercased()) {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.distance || (distance == best!.distance && candidate < best!.name) {
                best = (candidate, distance)
            }
        }
        guard let best else { return nil }
        // Allow roughly one edit in three characters; beyond that a suggestion only confuses.
        let limit = max(2, lowered.count / 3)
        return best.distance <= limit ? best.name : nil
    }

    /// "hypermagnesemia" is one edit from "hypomagnesemia" but means the opposite condition:
    /// suggesting one for the other would send an author to the wrong medical page.
    static func isOpposite(_ a: String, _ b: String) -> Bool {
        let pairs = [("hyper", "hypo"), ("hypo", "hyper")]
        return pairs.contains { a.hasPrefix($0.0) && b.hasPrefix($0.1) && a.dropFirst($0.0.count) == b.dropFirst($0.1.count) }
    }

    /// "did you mean 'x'?" or a list of what is allowed when nothing is close.
    public static func hint(for word: String, in candidates: [String], noun: String) -> String {
        if let match = closest(to: word, in: candidates) {
            return "did you mean '\(match)'?"
        }
        let shown = candidates.sorted().prefix(24).map { "'\($0)'" }.joined(separator: ", ")
        return candidates.isEmpty ? "no \(noun) is defined" : "known \(noun)s: \(shown)\(candidates.count > 24 ? ", …" : "")"
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
