import Foundation
import MateriaContent
import MateriaMarkdown
import MateriaTemplates

/// Every page and file a link may point to, the names that auto-link, and the data directives:
/// built once per build from the resolved site, shared by every page's Markdown.
/// A class: every page's link environment holds it, and copying one copies a reference, not
/// each of its tables.
final class SiteLinkTable: Sendable {
    /// Page path ("articles/x/", "" for home) → key ("article:x", "page:home").
    let pages: [String: String]
    let titles: [String: String]
    let staticFiles: Set<String>
    /// Wikilink targets: ids and slugs first, then slugified names and aliases.
    let byID: [String: [String]]
    let byName: [String: [String]]
    /// "Content/articles/x.md" → "article:x".
    let sources: [String: String]
    let matcher: AutolinkMatcher
    let assets: AssetManifest
    /// Slugs of drafts left out of this build, so links to them say why they fail.
    let drafts: Set<String>
    static let generatedFiles: Set<String> = ["graph.json", "search-index.json", "sitemap.xml", "robots.txt", "feed.xml", "404.html"]
    let directives: DataDirectives

    init(site: ResolvedSite, staticFiles: [String], assets: AssetManifest, drafts: Set<String>, jobs: Int = 1) {
        self.assets = assets
        self.drafts = drafts
        // Two halves side by side (each is a pass over every article): the page and source
        // tables, and the names with the auto-link terms.
        let count = site.articles.count + site.nutrients.count + site.conditions.count + site.symptoms.count
        let (paths, names) = concurrently(jobs: jobs, { () -> (pages: [String: String], sources: [String: String]) in
            // Sized once: a large site would otherwise grow each of them a dozen times.
            var pages: [String: String] = [:], sources: [String: String] = [:]
            pages.reserveCapacity(count + 16)
            sources.reserveCapacity(site.articles.count)
            for page in Page.all(articles: site.articles, nutrients: site.nutrients, conditions: site.conditions, symptoms: site.symptoms) {
                pages[page.path] = page.key
            }
            for article in site.articles {
                sources[article.sourcePath] = Page.article(article.slug.value).key
            }
            return (pages, sources)
        }, { () -> (titles: [String: String], byID: [String: [String]], byName: [String: [String]], matcher: AutolinkMatcher) in
            var titles: [String: String] = [:], byID: [String: [String]] = [:], byName: [String: [String]] = [:]
            var terms: [AutolinkTerm] = []
            titles.reserveCapacity(count)
            byID.reserveCapacity(count)
            func entity(_ key: String, id: String, name: String, aliases: [String], path: String) {
                titles[key] = name
                byID[id, default: []].append(key)
                for label in [name] + aliases {
                    byName[Slugify.make(label), default: []].append(key)
                    let text = label.trimmingCharacters(in: .whitespaces)
                    if !text.isEmpty {
                        terms.append(AutolinkTerm(text: text, key: key, path: path, caseSensitive: text.count <= 3))
                    }
                }
            }
            for nutrient in site.nutrients {
                entity(Page.nutrient(nutrient.id).key, id: nutrient.id, name: nutrient.name, aliases: nutrient.aliases, path: Page.nutrient(nutrient.id).path)
            }
            for condition in site.conditions {
                entity(Page.condition(condition.id).key, id: condition.id, name: condition.name, aliases: condition.aliases,
                       path: Page.condition(condition.id).path)
            }
            for symptom in site.symptoms {
                entity(Page.symptom(symptom.id).key, id: symptom.id, name: symptom.name, aliases: symptom.aliases, path: Page.symptom(symptom.id).path)
            }
            for article in site.articles {
                let key = Page.article(article.slug.value).key
                titles[key] = article.title
                byID[article.slug.value, default: []].append(key)
            }
            // A term two entities share would link one of them at random: it is not auto-linked
            // (the validator warns about it).
            var owners: [String: Set<String>] = [:]
            for term in terms { owners[term.caseSensitive ? term.text : term.text.lowercased(), default: []].insert(term.key) }
            let matcher = AutolinkMatcher(terms.filter { owners[$0.caseSensitive ? $0.text : $0.text.lowercased()]!.count == 1 })
            return (titles, byID, byName.mapValues { unique($0) }, matcher)
        })
        self.matcher = names.matcher
        self.pages = paths.pages
        self.titles = names.titles
        self.staticFiles = Set(staticFiles)
        self.byID = names.byID
        self.byName = names.byName
        self.sources = paths.sources
        self.directives = DataDirectives(nutrients: site.nutrientByID, conditions: site.conditionByID,
                                         symptoms: site.symptomByID, authorities: site.config.authorities)
    }

    func path(of key: String) -> String? {
        Page(key: key)?.path
    }
}

/// The link environment of one text: relative links resolve against its page and source file.
struct PageLinkEnvironment: MarkdownEnvironment {
    let table: SiteLinkTable
    /// The page the text is shown on ("articles/x/").
    let pagePath: String
    /// The file it was written in ("Content/articles/x.md").
    let sourcePath: String

    static let kindPrefixes = ["nutrient", "condition", "symptom", "article"]

    func wikilink(_ target: String) -> LinkResolution {
        var name = target
        var kind: String?
        if let colon = target.firstIndex(of: ":"), Self.kindPrefixes.contains(String(target[..<colon])) {
            kind = String(target[..<colon])
            name = String(target[target.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        func filter(_ keys: [String]) -> [String] {
            keys.filter { kind == nil || $0.hasPrefix(kind! + ":") }
        }
        var keys = filter(table.byID[name] ?? [])
        if keys.isEmpty { keys = filter(table.byName[Slugify.make(name)] ?? []) }
        if keys.count > 1 {
            let options = keys.map { "[[\($0)]]" }.joined(separator: " or ")
            return .failure(message: "wikilink '\(target)' could mean \(keys.count) pages", fix: "write \(options)")
        }
        guard let key = keys.first, let path = table.path(of: key) else {
            if table.drafts.contains(name) {
                return .failure(message: "wikilink '\(target)' points to a draft", fix: "build with --drafts, or link once the article is published")
            }
            // Suggest among the ids of the kind asked for, and among names and aliases.
            let ids = table.byID.filter { kind == nil || $0.value.contains { $0.hasPrefix(kind! + ":") } }.keys
            let names = table.byName.filter { kind == nil || $0.value.contains { $0.hasPrefix(kind! + ":") } }.keys
            let hint = Suggestion.closest(to: name, in: ids).map { "did you mean '\($0)'?" }
                ?? Suggestion.closest(to: Slugify.make(name), in: names).map { "did you mean '\($0)'?" }
                ?? Suggestion.hint(for: name, in: ids.sorted(), noun: "id")
            return .failure(message: "unknown wikilink target '\(target)'",
                            fix: hint + " (targets are nutrient, condition and symptom ids and article slugs)")
        }
        return .page(path: path, fragment: nil, key: key, title: key.hasPrefix("article:") ? table.titles[key] : nil)
    }

    func markdownLink(_ url: String) -> LinkResolution {
        var base = url, fragment: String?
        func decoded(_ text: String) -> String { ByteText.contains(0x25, in: text) ? (text.removingPercentEncoding ?? text) : text }
        if let hash = ByteText.index(of: 0x23, in: url) {
            base = String(url[..<hash])
            let rest = String(url[url.utf8.index(after: hash)...])
            fragment = rest.isEmpty ? nil : decoded(rest)
        }
        // A query string does not change which page is meant.
        if let query = ByteText.index(of: 0x3F, in: base) { base = String(base[..<query]) }
        base = decoded(base)
        if Self.endsWith(base, ".md") || Self.endsWith(base, ".markdown") {
            let directory = (sourcePath as NSString).deletingLastPathComponent
            let file = Self.normalize(directory + "/" + base)
            guard let key = table.sources[file], let path = table.path(of: key) else {
                return .failure(message: "no article file '\(file)' for the link '\(url)'",
                                fix: Suggestion.hint(for: file, in: table.sources.keys.sorted(), noun: "article file"))
            }
            return .page(path: path, fragment: fragment, key: key, title: nil)
        }
        let written = base.utf8.first == 0x2F ? String(decoding: base.utf8.dropFirst(), as: UTF8.self) : pagePath + base
        // The path in the form written (a folder when it ends in "/", as most links do), in the
        // other form, or without "index.html": the first that is a page. (No path is a page in both
        // forms: page paths end in "/" but for "" and 404.html.) A plain path (no empty, "." or ".."
        // segment, as most are) is its own normal form in the form written: it is looked up as it
        // is, and the normalized copy is made only if that fails.
        let endsInSlash = written.utf8.last == 0x2F, plain = Self.isPlain(written)
        var target = plain ? "" : Self.normalize(written)
        let first = plain ? written : endsInSlash ? target + "/" : target
        if let key = table.pages[first] { return .page(path: first, fragment: fragment, key: key, title: nil) }
        if plain { target = Self.normalize(written) }
        let folder = target + "/"
        let second = endsInSlash ? target : folder
        if let key = table.pages[second] { return .page(path: second, fragment: fragment, key: key, title: nil) }
        if target.hasSuffix("index.html") {
            let index = String(target.dropLast("index.html".count))
            if let key = table.pages[index] { return .page(path: index, fragment: fragment, key: key, title: nil) }
        }
        if table.staticFiles.contains(target) { return .page(path: target, fragment: fragment, key: nil, title: nil) }
        // Files Materia writes itself, and theme assets by their plain names.
        if SiteLinkTable.generatedFiles.contains(target) { return .page(path: target, fragment: fragment, key: nil, title: nil) }
        if target.hasPrefix("assets/"), let hashed = table.assets.names[String(target.dropFirst("assets/".count))] {
            return .page(path: "assets/" + hashed, fragment: fragment, key: nil, title: nil)
        }
        let suggestion = Suggestion.closest(to: target, in: table.pages.keys).map { "did you mean '/\($0)'?" }
            ?? "link to an article as [text](/articles/SLUG/) or [[SLUG]]"
        return .failure(message: "broken link '\(url)': there is no page or file at '/\(target)'", fix: suggestion)
    }

    var autolinkMatcher: AutolinkMatcher { table.matcher }

    func directive(_ text: String, inline: Bool) -> Result<DirectiveOutput, DirectiveError> {
        table.directives.render(text, inline: inline).map { rendered in
            let html = rendered.html
            // The links a directive's table makes count as mentions, like links written by hand.
            var links: [LinkTarget] = []
            var rest = html[...]
            let marker = "href=\"" + SiteLink.prefix
            while let start = rest.range(of: marker) {
                let after = rest[start.upperBound...]
                guard let end = after.firstIndex(of: "\"") else { break }
                let path = String(after[..<end])
                if !links.contains(where: { $0.path == path }) { links.append(LinkTarget(path: path, key: table.pages[path])) }
                rest = after[end...]
            }
            return DirectiveOutput(html: html, links: links, context: rendered.caption.map { "Table: " + $0 } ?? "")
        }
    }

    /// Whether `path` has no empty, "." or ".." segment (a final "/" aside), so that normalizing
    /// it only takes off that slash.
    static func isPlain(_ path: String) -> Bool {
        // On the string's own bytes (through the UTF-8 view's iterator it took 1,600 instructions
        // for a link's path: it is asked for every internal link).
        path.withUTF8InPlace { bytes in
            var previous: UInt8 = 0x2F
            for index in bytes.indices {
                let byte = bytes[index]
                if previous == 0x2F && (byte == 0x2F || byte == 0x2E) { return false }
                previous = byte
            }
            return true
        }
    }

    /// Whether `text` ends with the ASCII `suffix`, compared on bytes.
    static func endsWith(_ text: String, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        return text.withUTF8InPlace { bytes in
            bytes.count >= count && memcmp(bytes.baseAddress! + (bytes.count - count), suffix.utf8Start, count) == 0
        }
    }

    /// Resolves "." and ".." in a path below the site root (never above it).
    static func normalize(_ path: String) -> String {
        // Most paths hold no empty, "." or ".." segment: only a trailing "/" goes (one ASCII byte).
        if isPlain(path) {
            return path.utf8.last == 0x2F ? String(decoding: path.utf8.dropLast(), as: UTF8.self) : path
        }
        var parts: [Substring.UTF8View] = []
        for part in path.utf8.split(separator: 0x2F, omittingEmptySubsequences: true) {
            if part.elementsEqual([0x2E]) { continue }
            if part.elementsEqual([0x2E, 0x2E]) { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        var out: [UInt8] = []
        out.reserveCapacity(path.utf8.count)
        for (index, part) in parts.enumerated() {
            if index > 0 { out.append(0x2F) }
            out.append(contentsOf: part)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Page {
    /// A stable name for the page, used by backlinks and graph.json ("nutrient:magnesium").
    var key: String {
        switch self {
        case .article(let slug): return joined("article:", slug)
        case .nutrient(let id): return joined("nutrient:", id)
        case .condition(let id): return joined("condition:", id)
        case .symptom(let id): return joined("symptom:", id)
        case .home: return "page:home"
        default: return "page:" + path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        }
    }

    /// Whether `Page(key:)` makes a page of `key`, asked without making it.
    static func isEntityKey(_ key: String) -> Bool {
        // On the bytes, by the first one (asked for every link of every text).
        var key = key
        return key.withUTF8 { bytes in
            func starts(_ prefix: StaticString) -> Bool {
                prefix.utf8CodeUnitCount <= bytes.count && memcmp(bytes.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
            }
            switch bytes.first {
            case 0x61: return starts("article:")
            case 0x6E: return starts("nutrient:")
            case 0x63: return starts("condition:")
            case 0x73: return starts("symptom:")
            default: return false
            }
        }
    }

    init?(key: String) {
        guard let colon = key.firstIndex(of: ":") else { return nil }
        let kind = key[..<colon], value = String(key[key.index(after: colon)...])
        switch kind {
        case "article": self = .article(value)
        case "nutrient": self = .nutrient(value)
        case "condition": self = .condition(value)
        case "symptom": self = .symptom(value)
        default: return nil
        }
    }
}

/// `prefix + middle + suffix`, made in one allocation. (Interpolation reserves room for short
/// values only, so a page's path or key grew once more for its slug; they are made for every
/// link and page.)
@inline(__always)
func joined(_ prefix: String, _ middle: String, _ suffix: String = "") -> String {
    joined(prefix, middle, suffix, "")
}

/// `first + second + third + fourth` in one allocation: the parts' bytes are copied into the new
/// string's storage (`+=` checked, grew and flagged the string once per part, about a hundred
/// instructions each).
func joined(_ first: String, _ second: String, _ third: String, _ fourth: String) -> String {
    let total = first.utf8.count + second.utf8.count + third.utf8.count + fourth.utf8.count
    return String(unsafeUninitializedCapacity: total) { buffer in
        guard let base = buffer.baseAddress else { return 0 }
        // Part by part, not through an array of the four (an allocation and a reference count
        // on each part, for every link and URL a build makes).
        var end = copyUTF8(first, to: base)
        end += copyUTF8(second, to: base + end)
        end += copyUTF8(third, to: base + end)
        end += copyUTF8(fourth, to: base + end)
        return end
    }
}

/// Copies `text`'s UTF-8 to `destination`; the number of bytes.
@inline(__always)
private func copyUTF8(_ text: String, to destination: UnsafeMutablePointer<UInt8>) -> Int {
    text.withUTF8InPlace { bytes in
        guard let source = bytes.baseAddress else { return 0 }
        destination.initialize(from: source, count: bytes.count)
        return bytes.count
    }
}
