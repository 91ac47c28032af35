/// How one Markdown document is rendered.
public struct MarkdownOptions: Sendable {
    /// Pass authors' raw HTML through (still tag-filtered) instead of showing it as text.
    public var allowRawHTML: Bool
    /// Ids the page template already uses; heading ids avoid them.
    public var reservedIDs: Set<String>
    /// A fragment (an FAQ answer, a data description) sits inside a page section: its headings
    /// become bold paragraphs (no ids, no break in the page outline) and footnotes are off.
    public var isFragment: Bool

    public init(allowRawHTML: Bool = false, reservedIDs: Set<String> = [], isFragment: Bool = false) {
        self.allowRawHTML = allowRawHTML
        self.reservedIDs = reservedIDs
        self.isFragment = isFragment
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
}

/// Turns heading text into URL-fragment ids: lowercase letters and digits joined by hyphens.
public enum Slug {
    public static func make(_ text: String, fallback: String) -> String {
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
}

/// Decides which link targets are safe to render.
public enum URLSafety {
    private static let safeImageData = ["data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"]

    /// False for `javascript:`, `vbscript:`, `file:` and (outside a few image types) `data:` URLs.
    public static func isSafe(_ url: String, isImage: Bool) -> Bool {
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
