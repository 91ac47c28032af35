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
    /// Names and aliases to auto-link, in any order.
    var autolinkTerms: [AutolinkTerm] { get }
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

    /// Replaces the prefix with the page's way back to the site root ("../../").
    public static func complete(_ html: String, root: String) -> String {
        html.contains(prefix) ? html.replacingOccurrences(of: prefix, with: root) : html
    }
}

/// Finds the first mentions of terms in text: whole words, longest term first.
struct TermMatcher {
    private struct Entry {
        let words: [String]
        let term: AutolinkTerm
    }

    private let byFirstWord: [String: [Entry]]

    init(_ terms: [AutolinkTerm]) {
        var index: [String: [Entry]] = [:]
        for term in terms {
            let words = TermMatcher.words(in: Array(term.text)).map { word in
                term.caseSensitive ? String(word.text) : String(word.text).lowercased()
            }
            guard let first = words.first else { continue }
            index[first.lowercased(), default: []].append(Entry(words: words, term: term))
        }
        // Longest first; ties broken by text so the choice never depends on input order.
        byFirstWord = index.mapValues { entries in
            entries.sorted { ($0.words.joined(separator: " ").count, $1.term.text) > ($1.words.joined(separator: " ").count, $0.term.text) }
        }
    }

    var isEmpty: Bool { byFirstWord.isEmpty }

    /// A word: letters and digits, with inner hyphens and apostrophes ("B6", "x-ray", "Crohn's").
    static func words(in characters: [Character]) -> [(text: ArraySlice<Character>, start: Int)] {
        var result: [(ArraySlice<Character>, Int)] = []
        var index = 0
        func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        while index < characters.count {
            guard isWordCharacter(characters[index]) else { index += 1; continue }
            let start = index
            while index < characters.count {
                let c = characters[index]
                if isWordCharacter(c) {
                    index += 1
                } else if (c == "-" || c == "'" || c == "’"), index + 1 < characters.count, isWordCharacter(characters[index + 1]) {
                    index += 1
                } else {
                    break
                }
            }
            result.append((characters[start..<index], start))
        }
        return result
    }

    /// Matches in `characters`, left to right, skipping spans whose longest term is in `skip`.
    /// Each match is (start, end, term); `accept` decides whether a match is used (and records it).
    func matches(in characters: [Character], accept: (AutolinkTerm) -> Bool) -> [(start: Int, end: Int, term: AutolinkTerm)] {
        let words = TermMatcher.words(in: characters)
        var result: [(Int, Int, AutolinkTerm)] = []
        var position = 0
        while position < words.count {
            let first = String(words[position].text).lowercased()
            var advanced = false
            for entry in byFirstWord[first] ?? [] where position + entry.words.count <= words.count {
                var matched = true
                for (offset, word) in entry.words.enumerated() {
                    let candidate = words[position + offset]
                    let text = entry.term.caseSensitive ? String(candidate.text) : String(candidate.text).lowercased()
                    // Words of a term are separated by spaces only in the text.
                    if text != word { matched = false; break }
                    if offset > 0 {
                        let gap = characters[(words[position + offset - 1].start + words[position + offset - 1].text.count)..<candidate.start]
                        if !gap.allSatisfy({ $0 == " " }) { matched = false; break }
                    }
                }
                guard matched else { continue }
                let last = words[position + entry.words.count - 1]
                // The longest term at this place decides: if its entity is already linked, the
                // whole span is left alone rather than linking a shorter term inside it.
                if accept(entry.term) {
                    result.append((words[position].start, last.start + last.text.count, entry.term))
                }
                position += entry.words.count
                advanced = true
                break
            }
            if !advanced { position += 1 }
        }
        return result
    }
}

/// The sentence of `text` around character offset `offset`, trimmed, at most 280 characters.
func sentence(in text: String, around offset: Int) -> String {
    let characters = Array(text)
    guard !characters.isEmpty else { return "" }
    let at = min(max(offset, 0), characters.count - 1)
    func isEnd(_ index: Int) -> Bool {
        guard ".!?".contains(characters[index]) else { return false }
        return index + 1 >= characters.count || characters[index + 1] == " " || characters[index + 1] == "\n"
    }
    var start = at
    while start > 0 && !isEnd(start - 1) { start -= 1 }
    var end = at
    while end < characters.count - 1 && !isEnd(end) { end += 1 }
    var result = String(characters[start...end]).replacingOccurrences(of: "\n", with: " ")
        .trimmingCharacters(in: .whitespaces)
    if result.count > 280 { result = String(result.prefix(279)) + "…" }
    return result
}
