/// How one Markdown document is rendered.
public struct MarkdownOptions: Sendable {
    /// Pass authors' raw HTML through (still tag-filtered) instead of showing it as text.
    public var allowRawHTML: Bool
    /// Ids the page template already uses; heading ids avoid them.
    public var reservedIDs: Set<String>
    /// A numbered series of ids the page uses too (`faq-1` … `faq-N`), avoided as well: a page's
    /// own series is given apart from `reservedIDs`, which many pages then share without copies.
    public var reservedSeries: (prefix: String, count: Int) = ("", 0)
    /// A fragment (an FAQ answer, a data description) sits inside a page section: its headings
    /// become bold paragraphs (no ids, no break in the page outline).
    public var isFragment: Bool
    /// Prefix for footnote ids (`fn-1` → `PREFIXfn-1`), so that several texts on one page
    /// (an article and its FAQ answers, or every answer on /faq/) never share an id.
    public var footnotePrefix: String = ""
    /// The way back to the site's root from the one page the text is shown on ("../../"): site
    /// links are then written with it. Nil (texts shown on several pages): they keep
    /// `SiteLink.prefix`, which each page replaces with its own (`SiteLink.complete`).
    public var linkRoot: String?
    /// Resolves wikilinks, site links and data directives; without it links stay as written.
    public var environment: (any MarkdownEnvironment)?
    public var autolink: AutolinkMode
    /// The page this text is shown on ("nutrient:magnesium"): never auto-linked to itself.
    public var selfKey: String?

    public init(allowRawHTML: Bool = false, reservedIDs: Set<String> = [], isFragment: Bool = false,
                environment: (any MarkdownEnvironment)? = nil, autolink: AutolinkMode = .off, selfKey: String? = nil) {
        self.allowRawHTML = allowRawHTML
        self.reservedIDs = reservedIDs
        self.isFragment = isFragment
        self.environment = environment
        self.autolink = autolink
        self.selfKey = selfKey
    }
}

/// A heading of a rendered document, with the anchor id it was given.
public struct Heading: Sendable, Equatable {
    public let level: Int
    public let text: String
    public let id: String
    /// Line in the Markdown source (1-based, relative to the start of the Markdown).
    public let line: Int

    public init(level: Int, text: String, id: String, line: Int) {
        self.level = level
        self.text = text
        self.id = id
        self.line = line
    }
}

/// The HTML of a Markdown document and what the page templates need to know about it.
public struct RenderedMarkdown: Sendable, Equatable {
    public let html: String
    public let headings: [Heading]
    public let wordCount: Int
    /// Internal links (wikilinks, rewritten Markdown links, auto-links, in-page anchors).
    public var links: [LinkRecord] = []
    public var externalLinks: [ExternalLink] = []
    public var problems: [MarkdownProblem] = []
    /// A data directive (```` ```materia ```` or `` `materia:…` ``) is in the text: its HTML
    /// depends on the site's data as well as on the text.
    public var readsData = false
}

/// Turns heading text into URL-fragment ids: lowercase letters and digits joined by hyphens.
public enum Slug {
    public static func make(_ text: String, fallback: String) -> String {
        // On the bytes in place (a heading's text, for every heading): ASCII text, nearly all,
        // takes the byte rules; anything else goes by Character below.
        var contiguous = text
        if let slug = contiguous.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? makeASCII(bytes, fallback: fallback) : nil }) {
            return slug
        }
        var result = ""
        var pendingHyphen = false
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                if pendingHyphen && !result.isEmpty { result.append("-") }
                pendingHyphen = false
                result.append(character)
            } else if character == " " || character == "-" || character == "_" || character == "/" {
                pendingHyphen = true
            }
        }
        return result.isEmpty ? fallback : result
    }

    /// The same rules on ASCII bytes: letters and digits are the only ASCII letters and numbers.
    /// Written straight into the string's storage (a slug is never longer than its text).
    private static func makeASCII(_ text: UnsafeBufferPointer<UInt8>, fallback: String) -> String {
        let capacity = text.count
        guard capacity > 0 else { return fallback }
        let result = String(unsafeUninitializedCapacity: capacity) { buffer -> Int in
            var count = 0
            var pendingHyphen = false
            for var byte in text {
                if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
                if (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) {
                    if pendingHyphen && count > 0 {
                        buffer[count] = 0x2D
                        count += 1
                    }
                    pendingHyphen = false
                    buffer[count] = byte
                    count += 1
                } else if byte == 0x20 || byte == 0x2D || byte == 0x5F || byte == 0x2F {
                    pendingHyphen = true
                }
            }
            return count
        }
        return result.isEmpty ? fallback : result
    }
}

/// Decides which link targets are safe to render.
public enum URLSafety {
    private static let safeImageData = ["data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"]

    /// True for `scheme:…` URLs (`https:`, `mailto:`), false for paths and fragments.
    public static func hasScheme(_ url: String) -> Bool {
        // On the bytes: a scheme is ASCII, so no character needs to be formed.
        guard let colon = ByteText.index(of: 0x3A, in: url) else { return false }
        let scheme = url.utf8[..<colon]
        guard let first = scheme.first, (first | 0x20) &- 0x61 < 26 else { return false }
        return scheme.allSatisfy { byte in
            (byte | 0x20) &- 0x61 < 26 || byte &- 0x30 < 10 || byte == 0x2B || byte == 0x2D || byte == 0x2E
        }
    }

    /// False for `javascript:`, `vbscript:`, `file:` and (outside a few image types) `data:` URLs.
    public static func isSafe(_ url: String, isImage: Bool) -> Bool {
        // Every scheme ruled out ends in ":": a URL with no colon (a site path) is safe as it is,
        // with no lowercased copy made of it.
        guard ByteText.contains(0x3A, in: url) else { return true }
        let lowered = url.lowercased().trimmingLeadingControl()
        for scheme in ["javascript:", "vbscript:", "file:"] where lowered.hasPrefix(scheme) {
            return false
        }
        if lowered.hasPrefix("data:") {
            return isImage && safeImageData.contains { lowered.hasPrefix($0) }
        }
        return true
    }
}

private extension String {
    func trimmingLeadingControl() -> String {
        String(drop { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true })
    }
}

extension RenderedMarkdown {
    /// The same document with less in it, once the rest is kept elsewhere: its HTML (`html`
    /// false: a build's text spill holds it), and its links, external links and problems (`links`
    /// false: a build's Markdown phase has collected them, and the pages read only the HTML, the
    /// headings and the word count).
    public func keeping(html keepsHTML: Bool, links keepsLinks: Bool) -> RenderedMarkdown {
        var copy = RenderedMarkdown(html: keepsHTML ? html : "", headings: headings, wordCount: wordCount)
        copy.readsData = readsData
        if keepsLinks {
            copy.links = links
            copy.externalLinks = externalLinks
            copy.problems = problems
        }
        return copy
    }
}
