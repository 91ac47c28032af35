import Foundation
import MateriaContent
import MateriaTemplates

/// A file of the built site: its path below the output folder and its bytes.
public struct OutputFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
}

extension Page {
    /// Every page of a site, in a fixed order.
    static func all(articles: [Article], nutrients: [Nutrient], conditions: [Condition], symptoms: [Symptom]) -> [Page] {
        var pages: [Page] = [.home, .articleList, .nutrientList, .conditionList, .symptomList, .faq, .keyPoints,
                             .azIndex, .search, .disclaimer, .notFound]
        pages += articles.map { .article($0.slug.value) }
        pages += nutrients.map { .nutrient($0.id) }
        pages += conditions.map { .condition($0.id) }
        pages += symptoms.map { .symptom($0.id) }
        return pages
    }

    static func all(_ source: SiteSource) -> [Page] {
        all(articles: source.articles, nutrients: source.nutrients, conditions: source.conditions, symptoms: source.symptoms)
    }
}

/// What rendering produced: the files to write and what the Markdown said about links.
struct RenderResult: Sendable {
    /// Pages handed to a spill come without bytes; `hashes` has theirs.
    let files: [OutputFile]
    let texts: RenderedTexts
    var hashes: [String: UInt64] = [:]
}

/// Takes a rendered page and its hash out of memory while the build goes on (see
/// `PageRenderer.render(spill:)`); nil when done, else what went wrong.
typealias PageSpill = @Sendable (OutputFile, UInt64) -> Diagnostic?

/// Phase 4 (render): Markdown to HTML, every page through its template in parallel,
/// then every internal link and anchor checked against the rendered pages.
struct PageRenderer {
    let site: ResolvedSite
    let templates: TemplateSet
    let staticFiles: [String]
    let assets: AssetManifest
    let drafts: Set<String>
    let jobs: Int
    var markdownCache: MarkdownCache? = nil

    func pages() -> [Page] {
        Page.all(articles: site.articles, nutrients: site.nutrients, conditions: site.conditions, symptoms: site.symptoms)
    }

    /// Every Markdown text of the site as HTML, with its links.
    func markdown(bodies: ArticleBodies? = nil, spill: TextSpill? = nil) -> RenderedTexts {
        var phase = MarkdownPhase(site: site, articleIDs: templates.literalIDs(forPage: "article"),
                                  disclaimerIDs: templates.literalIDs(forPage: "disclaimer"), staticFiles: staticFiles,
                                  assets: assets, drafts: drafts)
        phase.cache = markdownCache
        phase.bodies = bodies
        phase.spill = spill
        phase.jobs = jobs
        return phase.run()
    }

    /// `pages` through their templates, in parallel; a page that cannot render becomes a problem.
    func renderPages(_ pages: [Page], texts: RenderedTexts) -> (files: [OutputFile], problems: [Diagnostic]) {
        let contexts = PageContexts(site: site, texts: texts, assets: assets)
        let templates = self.templates
        let site = self.site
        let results = parallelMap(pages, jobs: jobs) { page in Self.html(of: page, contexts, templates, site) }
        var files: [OutputFile] = []
        var problems: [Diagnostic] = []
        for (page, result) in zip(pages, results) {
            switch result {
            case .success(let html): files.append(OutputFile(path: page.file, bytes: html))
            case .failure(let problem): problems.append(problem)
            }
        }
        return (files, problems)
    }

    /// A page rendered by `streamPages`: its path, its ids (when asked for) and the hash of its bytes.
    struct StreamedPage {
        let path: String
        let ids: Set<String>
        let hash: UInt64
    }

    /// `pages` through their templates, in parallel, each handed to `spill` with its hash as soon
    /// as it is rendered (written, or skipped when the output already holds those bytes) and then
    /// dropped: only its path, hash and, where `keepIDs` says, its ids are kept, so a site of any
    /// size is never held in memory. A page that cannot render, or that `spill` could not take,
    /// becomes a problem.
    func streamPages(_ pages: [Page], texts: RenderedTexts, spill: @escaping PageSpill,
                     keepIDs: @escaping @Sendable (String) -> Bool) -> (pages: [StreamedPage], problems: [Diagnostic]) {
        let contexts = PageContexts(site: site, texts: texts, assets: assets)
        let templates = self.templates
        let site = self.site
        typealias Rendered = (page: StreamedPage, problem: Diagnostic?)
        let renderOne = { @Sendable (page: Page) -> Result<Rendered, Diagnostic> in
            Self.html(of: page, contexts, templates, site).map { html in
                let path = page.file
                let file = OutputFile(path: path, bytes: html)
                let ids = keepIDs(path) ? Set(LinkChecker.ids(in: file.bytes)) : []
                let hash = StableHash.of(file.bytes)
                return (StreamedPage(path: path, ids: ids, hash: hash), spill(file, hash))
            }
        }
        // The pages that list every article (home, FAQ, key points, A–Z, the article list) are
        // each as large as the site: one worker renders them one after another while the
        // others render the rest, so no two of them are in memory at once.
        let whole = pages.indices.filter { pages[$0].listsEveryArticle }
        let work = [whole] + pages.indices.filter { !pages[$0].listsEveryArticle }.map { [$0] }
        var results = [Result<Rendered, Diagnostic>?](repeating: nil, count: pages.count)
        for batch in parallelMap(work, jobs: jobs, { indices in indices.map { ($0, renderOne(pages[$0])) } }) {
            for (index, result) in batch { results[index] = result }
        }
        // Sized at once: the loop below runs on one thread while the other cores wait.
        var streamed: [StreamedPage] = []
        streamed.reserveCapacity(pages.count)
        var problems: [Diagnostic] = []
        for outcome in results {
            switch outcome! {
            case .success(let rendered):
                if let problem = rendered.problem { problems.append(problem) }
                streamed.append(rendered.page)
            case .failure(let problem):
                problems.append(problem)
            }
        }
        return (streamed, problems)
    }

    /// Renders every page, then checks every link. Each page is handed to `spill` with its hash
    /// as soon as it is rendered (a build writes it into its staging folder, or skips it when the
    /// output already holds those bytes; `check` drops it) and only its ids and hash are kept, so
    /// the whole site never sits in memory; those pages come back without bytes.
    func render(_ pages: [Page], texts: RenderedTexts, spill: @escaping PageSpill) -> Result<RenderResult, BuildFailure> {
        var problems = texts.problems
        var files: [OutputFile] = []
        var digests: [String: (ids: Set<String>, hash: UInt64)] = [:]
        let links = texts.linkGroups
        // Only pages that a link points into (with a fragment) need their ids for the check.
        let targets = LinkChecker.fragmentTargets(links)
        let streamed = streamPages(pages, texts: texts, spill: spill, keepIDs: { targets.contains($0) })
        problems += streamed.problems
        files.reserveCapacity(pages.count + 16)
        digests.reserveCapacity(pages.count)
        for page in streamed.pages {
            files.append(OutputFile(path: page.path, bytes: []))
            digests[page.path] = (page.ids, page.hash)
        }
        PhaseClock.mark("pages")
        files += siteFiles(texts, pages: pages)
        files += assets.files
        PhaseClock.mark("site files")
        let inMemory = LinkChecker(files: files + staticFiles.map { OutputFile(path: $0, bytes: []) }, jobs: jobs)
        let pageDigests = digests
        let checker = LinkChecker(exists: inMemory.exists, ids: { targets in
            let spilled = targets.filter { pageDigests[$0] != nil }
            var ids = inMemory.ids(targets.filter { pageDigests[$0] == nil })
            for path in spilled { ids[path] = pageDigests[path]!.ids }
            return ids
        })
        problems += checker.check(links, targets: targets, jobs: jobs)
        PhaseClock.mark("link check")
        if !problems.isEmpty { return .failure(BuildFailure(problems.sorted { ($0.location, $0.message) < ($1.location, $1.message) })) }
        return .success(RenderResult(files: files, texts: texts, hashes: digests.mapValues(\.hash)))
    }

    /// The files that describe the whole site: the knowledge graph and the search index (which
    /// follow the Markdown: headings and links), then the sitemap, robots.txt and feed.
    func siteFiles(_ texts: RenderedTexts, pages: [Page], feeds: Bool = true) -> [OutputFile] {
        let site = self.site
        let siteFeeds = feeds ? SiteFeeds(site: site) : nil
        // Independent of each other: made side by side, the largest first.
        return parallelMap([0, 1, 2, 3], jobs: jobs) { part -> [OutputFile] in
            switch part {
            case 0: return [GraphExport(site: site, texts: texts).file()]
            case 1: return [SearchIndex(site: site, texts: texts).file()]
            case 2: return siteFeeds?.sitemapFiles(pages: pages) ?? []
            default: return siteFeeds?.feedFiles() ?? []
            }
        }.flatMap { $0 }
    }

    /// A page through its template, or the problem that stopped it.
    static func html(of page: Page, _ contexts: PageContexts, _ templates: TemplateSet, _ site: ResolvedSite) -> Result<[UInt8], Diagnostic> {
        let context: TemplateObject
        do throws(TextSpill.ReadFailure) {
            context = try contexts.context(for: page)
        } catch {
            // Located at the start of the body whose HTML was lost.
            let article = site.articleBySlug[error.slug]
            let location = article.map { SourceLocation(path: $0.sourcePath, line: $0.bodyStartLine, column: 1) }
                ?? SourceLocation(path: "Content/articles")
            return .failure(Diagnostic(at: location,
                                       "cannot read back this article's rendered HTML from the build's temporary file in \(error.folder)",
                                       fix: "check the disk that holds \(error.folder) (free space, I/O errors) and run again; the output folder is unchanged"))
        }
        guard let html = templates.render(page.template, context, sizedFromContext: page.listsEveryArticle) else { return .failure(unrenderable(page)) }
        return .success(html)
    }

    static func unrenderable(_ page: Page) -> Diagnostic {
        Diagnostic(at: SourceLocation(path: "Templates/\(page.template).mustache"), "template '\(page.template)' could not render \(page.file)",
                   fix: "check the template exists and is valid Mustache")
    }
}

/// `/graph.json`: the knowledge graph for other tools. Nodes are articles, nutrients, conditions
/// and symptoms; edges are `mentions` (auto-links), `wikilink`, `link` (Markdown links) and
/// `data` (relations declared in front matter and data files).
struct GraphExport {
    let site: ResolvedSite
    let texts: RenderedTexts

    struct Node: Encodable {
        let id: String
        let kind: String
        let title: String
        let url: String
    }

    struct Edge: Encodable, Hashable {
        let source: String
        let target: String
        let kind: String
    }

    /// The graph as it is written. Edges name their ends by number, in `keys`, so that a key
    /// that ends a thousand edges is kept, sorted and escaped once, not a thousand times.
    struct Graph: Encodable {
        /// Edge kinds, in the order their names sort.
        static let kinds = ["data", "link", "mentions", "wikilink"]

        let nodes: [Node]
        let keys: [String]
        /// Source and target (indices into `keys`) and kind (into `kinds`), in the order written.
        let links: [(source: Int, target: Int, kind: Int)]

        init(nodes: [Node], keys: [String], links: [(source: Int, target: Int, kind: Int)]) {
            self.nodes = nodes
            self.keys = keys
            self.links = links
        }

        /// A graph of `edges` as given, in their order.
        init(nodes: [Node], edges: [Edge]) {
            var number = KeyNumbers()
            let links = edges.map { (number($0.source), number($0.target), Graph.kinds.firstIndex(of: $0.kind)!) }
            self.init(nodes: nodes, keys: number.keys, links: links)
        }

        var edges: [Edge] { links.map { Edge(source: keys[$0.source], target: keys[$0.target], kind: Graph.kinds[$0.kind]) } }

        private enum CodingKeys: String, CodingKey { case nodes, edges }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(nodes, forKey: .nodes)
            try container.encode(edges, forKey: .edges)
        }
    }

    func file() -> OutputFile {
        var nodes: [Node] = []
        nodes.reserveCapacity(site.articles.count + site.nutrients.count + site.conditions.count + site.symptoms.count)
        func node(_ page: Page, _ kind: String, _ title: String) {
            nodes.append(Node(id: page.key, kind: kind, title: title, url: page.path(after: site.config.baseURL)))
        }
        for article in site.articles { node(.article(article.slug.value), "article", article.title) }
        for nutrient in site.nutrients { node(.nutrient(nutrient.id), "nutrient", nutrient.name) }
        for condition in site.conditions { node(.condition(condition.id), "condition", condition.name) }
        for symptom in site.symptoms { node(.symptom(symptom.id), "symptom", symptom.name) }

        // Every key an edge names gets a number; an edge is three numbers (one per link of the site).
        var number = KeyNumbers(capacity: nodes.count)
        var edges: [(source: Int, target: Int, kind: Int)] = []
        let (data, link, mentions, wikilink) = (0, 1, 2, 3)  // indices into Graph.kinds
        for links in texts.linksByOwner.values {
            // A page's links all come from that page: its number is looked up once per run of them.
            var source: (key: String, number: Int)?
            for index in links.indices {  // fields read in place: a link is not copied whole
                guard let from = links[index].sourceKey, let target = links[index].record.key, from != target,
                      Page.isEntityKey(target) else { continue }
                let kind: Int
                switch links[index].record.kind {
                case .autolink, .directive: kind = mentions
                case .wikilink: kind = wikilink
                case .markdown: kind = link
                }
                if source?.key != from { source = (from, number(from)) }
                edges.append((source!.number, number(target), kind))
            }
        }
        for article in site.articles {
            let source = number(Page.article(article.slug.value).key)
            for id in article.nutrients { edges.append((source, number(Page.nutrient(id.value).key), data)) }
            for id in article.conditions { edges.append((source, number(Page.condition(id.value).key), data)) }
            for id in article.symptoms { edges.append((source, number(Page.symptom(id.value).key), data)) }
        }
        for (condition, links) in site.nutrientsOfCondition {
            for link in links { edges.append((number(Page.nutrient(link.id).key), number(Page.condition(condition).key), data)) }
        }
        for (condition, symptoms) in site.symptomsOfCondition {
            for symptom in symptoms { edges.append((number(Page.condition(condition).key), number(Page.symptom(symptom).key), data)) }
        }
        for (symptom, links) in site.nutrientsOfSymptom {
            for link in links { edges.append((number(Page.nutrient(link.id).key), number(Page.symptom(symptom).key), data)) }
        }
        // Sorted by source, then target (both as strings), then kind; repeats dropped. The keys
        // are sorted once, and each edge becomes one integer of their ranks that sorts the same way
        // (30 bits of source rank, 32 of target rank, 2 of kind).
        let keys = number.keys
        precondition(keys.count < 1 << 30, "more keys than an edge's integer holds")
        let order = StringOrder.sorted(Array(keys.indices), by: { keys[$0] })
        var rank = [Int](repeating: 0, count: keys.count)
        for (position, key) in order.enumerated() { rank[key] = position }
        var packed = edges.map { UInt64(rank[$0.source]) << 34 | UInt64(rank[$0.target]) << 2 | UInt64($0.kind) }
        packed.sort()
        var sorted: [(source: Int, target: Int, kind: Int)] = []
        sorted.reserveCapacity(packed.count)
        var previous: UInt64?
        for value in packed where value != previous {
            sorted.append((order[Int(value >> 34)], order[Int(value >> 2 & (1 << 32 - 1))], Int(value & 3)))
            previous = value
        }
        return OutputFile(path: "graph.json", bytes: Self.json(Graph(nodes: nodes, keys: keys, links: sorted)))
    }

    /// The bytes `JSONEncoder` writes with `.sortedKeys, .prettyPrinted, .withoutEscapingSlashes`
    /// (two-space indents, " : ", an empty list as "[\n\n  ]"), plus a final newline; written
    /// directly, as the graph has an edge per link of the site.
    static func json(_ graph: Graph) -> [UInt8] {
        var out: [UInt8] = []
        // Every field's `      "name" : ` made once, not once per node and edge.
        func prefix(_ name: String) -> [UInt8] { Array("      \"\(name)\" : ".utf8) }
        let (id, kind, source, target, title, url) = (prefix("id"), prefix("kind"), prefix("source"), prefix("target"), prefix("title"), prefix("url"))
        let open = Array("    {\n".utf8), close = Array("    },\n".utf8), closeLast = Array("    }\n".utf8)
        func field(_ prefix: [UInt8], _ value: String, last: Bool = false) {
            out += prefix
            JSONText.writeString(value, to: &out, forScript: false)
            if !last { out.append(0x2C) }
            out.append(0x0A)
        }
        // Each key and kind escaped once, with the comma and line break that follow it.
        func escaped(_ text: String, last: Bool) -> [UInt8] {
            var bytes: [UInt8] = []
            JSONText.writeString(text, to: &bytes, forScript: false)
            bytes += last ? [0x0A] : [0x2C, 0x0A]
            return bytes
        }
        let kinds = Graph.kinds.map { kind + escaped($0, last: false) }
        let sources = graph.keys.map { source + escaped($0, last: false) }
        let targets = graph.keys.map { target + escaped($0, last: true) }
        // Reserved at once (the graph of a large site is megabytes): the edges' bytes exactly,
        // the nodes' as their text plus what escaping usually adds.
        var size = 64 + 128 * graph.nodes.count
        for node in graph.nodes { size += node.id.utf8.count + node.kind.utf8.count + node.title.utf8.count + node.url.utf8.count }
        for edge in graph.links {
            size += open.count + close.count + kinds[edge.kind].count + sources[edge.source].count + targets[edge.target].count
        }
        out.reserveCapacity(size)
        func list<T>(_ name: String, _ items: [T], last: Bool, _ write: (T) -> Void) {
            out += Array("  \"\(name)\" : [\n".utf8)
            if items.isEmpty { out.append(0x0A) }
            for (index, item) in items.enumerated() {
                out += open
                write(item)
                out += index == items.count - 1 ? closeLast : close
            }
            out += Array((last ? "  ]\n" : "  ],\n").utf8)
        }
        out += Array("{\n".utf8)
        list("edges", graph.links, last: false) { edge in
            out += kinds[edge.kind]; out += sources[edge.source]; out += targets[edge.target]
        }
        list("nodes", graph.nodes, last: true) { node in
            field(id, node.id); field(kind, node.kind); field(title, node.title); field(url, node.url, last: true)
        }
        out += Array("}\n".utf8)
        return out
    }
}

/// A number for every key, in the order the keys are first seen: keys that many values name
/// (graph edges, related-article keys) are then compared and sorted as numbers.
struct KeyNumbers {
    private var numbers: [String: Int] = [:]
    private(set) var keys: [String] = []

    init(capacity: Int = 0) {
        numbers.reserveCapacity(capacity)
        keys.reserveCapacity(capacity)
    }

    mutating func callAsFunction(_ key: String) -> Int {
        if let known = numbers[key] { return known }
        numbers[key] = keys.count
        keys.append(key)
        return keys.count - 1
    }
}
