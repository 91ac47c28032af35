import Foundation
import Testing
import MateriaContent
@testable import MateriaSite

/// Cross-linking checked on the real sample site, from the built HTML, as a reader meets it.
@Suite struct CrossLinkTests {
    static let contentKinds = ["articles/", "nutrients/", "conditions/", "symptoms/"]

    /// Builds the repository's own sample site into a temporary folder once for this suite.
    static let output: URL = {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("materia-crosslinks-\(UUID().uuidString)")
        var options = BuildOptions(layout: SiteLayout(root: Repository.root, output: output))
        options.today = Day(iso: "2026-11-22")!
        _ = try? SiteBuilder(options: options).build()
        return output
    }()

    /// The inner HTML of the first element opening with `marker` (nesting of `tag` counted).
    func element(_ marker: String, tag: String, in html: String) -> String? {
        guard let start = html.range(of: marker) else { return nil }
        var depth = 0
        var index = start.lowerBound
        while index < html.endIndex {
            if html[index...].hasPrefix("<\(tag)") { depth += 1 }
            if html[index...].hasPrefix("</\(tag)>") {
                depth -= 1
                if depth == 0 { return String(html[start.lowerBound..<index]) }
            }
            index = html.index(after: index)
        }
        return nil
    }

    func hrefs(in html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "href=\"") {
            let after = rest[start.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            result.append(String(after[..<end]))
            rest = after[end...]
        }
        return result
    }

    /// A relative href on page `page` ("articles/x/") as a site path, without its fragment.
    func resolve(_ href: String, from page: String) -> String {
        let path = String(href.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
        return PageLinkEnvironment.normalize(page + path) + (path.hasSuffix("/") ? "/" : "")
    }

    func contentPages() -> [String: String] {
        var pages: [String: String] = [:]
        for (path, data) in readTree(Self.output) where path.hasSuffix("/index.html") {
            let page = String(path.dropLast("index.html".count))
            if Self.contentKinds.contains(where: { page.hasPrefix($0) && page.count > $0.count }) {
                pages[page] = String(decoding: data, as: UTF8.self)
            }
        }
        return pages
    }

    @Test func mentionedInListsExactlyThePagesWhoseTextLinksHere() throws {
        let pages = contentPages()
        #expect(pages.count == 36)
        var expected: [String: Set<String>] = [:]
        for (page, html) in pages {
            // The page's own text: the article body and FAQ, or the entity's description.
            let text = [element("<div class=\"prose\">", tag: "div", in: html), element("<section class=\"faq\"", tag: "section", in: html)]
                .compactMap { $0 }.joined()
            for href in hrefs(in: text) where !href.hasPrefix("#") && !href.contains("://") {
                let target = resolve(href, from: page)
                if target != page && pages[target] != nil { expected[target, default: []].insert(page) }
            }
        }
        #expect(expected.values.reduce(0) { $0 + $1.count } > 60, "the sample site should be richly cross-linked")
        for (page, html) in pages.sorted(by: { $0.key < $1.key }) {
            let section = element("<section class=\"backlinks\"", tag: "section", in: html) ?? ""
            let listed = Set(hrefs(in: section).map { resolve($0, from: page) })
            #expect(listed == (expected[page] ?? []), "Mentioned in on \(page)")
        }
        // Every listed mention shows the sentence it comes from.
        let magnesium = try #require(pages["nutrients/magnesium/"])
        let mentions = element("<section class=\"backlinks\"", tag: "section", in: magnesium) ?? ""
        #expect(mentions.components(separatedBy: "<blockquote>").count - 1 == expected["nutrients/magnesium/"]?.count)
    }

    @Test func graphJSONMatchesThePages() throws {
        let data = try Data(contentsOf: Self.output.appendingPathComponent("graph.json"))
        let graph = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let nodes = try #require(graph["nodes"] as? [[String: String]])
        let edges = try #require(graph["edges"] as? [[String: String]])
        #expect(nodes.count == 36)
        #expect(Set(nodes.compactMap { $0["kind"] }) == ["article", "nutrient", "condition", "symptom"])
        #expect(nodes.contains { $0["id"] == "nutrient:magnesium" && $0["url"] == "https://example.org/nutrients/magnesium/" })
        #expect(Set(edges.compactMap { $0["kind"] }) == ["mentions", "wikilink", "data"])
        let ids = Set(nodes.compactMap { $0["id"] })
        #expect(edges.allSatisfy { ids.contains($0["source"]!) && ids.contains($0["target"]!) })
        // Text edges are exactly the backlinks shown on the pages.
        let pages = contentPages()
        var shown = Set<String>()
        for (page, html) in pages {
            let section = element("<section class=\"backlinks\"", tag: "section", in: html) ?? ""
            for source in hrefs(in: section).map({ resolve($0, from: page) }) { shown.insert("\(source)→\(page)") }
        }
        func path(_ key: String) -> String {
            let parts = key.split(separator: ":", maxSplits: 1)
            return (parts[0] == "article" ? "articles" : parts[0] + "s") + "/" + parts[1] + "/"
        }
        let textEdges = Set(edges.filter { $0["kind"] != "data" }.map { "\(path($0["source"]!))→\(path($0["target"]!))" })
        #expect(textEdges == shown)
    }

    @Test func azIndexListsEveryArticleAndEntity() throws {
        let html = String(decoding: try Data(contentsOf: Self.output.appendingPathComponent("a-z/index.html")), as: UTF8.self)
        let targets = Set(hrefs(in: element("<main", tag: "main", in: html) ?? "").filter { !$0.hasPrefix("#") }.map { resolve($0, from: "a-z/") })
        #expect(targets == Set(contentPages().keys))
    }
}
