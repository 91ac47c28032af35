import Foundation
import MateriaContent
import MateriaMarkdown
import MateriaTemplates

/// A page that links to another from its text, with the sentence around the link.
public struct Backlink: Sendable, Equatable {
    public let sourceKey: String
    public let title: String
    public let path: String
    public let context: String
}

/// What one page's Markdown texts say about the site: problems, external and internal links,
/// and the backlinks it gives other pages.
struct Collected {
    var problems: [Diagnostic] = []
    var external: [(location: SourceLocation, url: String)] = []
    var links: [SourcedLink] = []
    var backlinks: [(target: String, link: Backlink)] = []
    var linkedTargets: Set<String> = []
}

/// An internal link with the file position it was written at and the page it appears on.
struct SourcedLink: Sendable {
    let page: String
    let location: SourceLocation
    let record: LinkRecord
    let sourceKey: String?
}

/// The HTML of every Markdown text in the site, keyed by where it came from, and every link in it.
public struct RenderedTexts: Sendable {
    public var articleBodies: [String: RenderedMarkdown] = [:]
    /// FAQ answers per article slug, in FAQ order.
    public var faqAnswers: [String: [String]] = [:]
    /// Entity descriptions keyed by "kind/id".
    public var descriptions: [String: String] = [:]
    public var disclaimer: String = ""
    /// Wikilinks and directives that do not resolve.
    public var problems: [Diagnostic] = []
    /// Backlinks per target key ("nutrient:magnesium"), sorted by the linking page's title.
    public var backlinks: [String: [Backlink]] = [:]
    /// Links by the page whose text holds them ("article:x", "nutrient:y", "disclaimer"), so that
    /// a rebuild replaces one page's links without copying the others.
    var linksByOwner: [String: [SourcedLink]] = [:]
    /// Article HTML written to a build's text spill instead of `articleBodies[slug].html`.
    var spilledHTML: [String: TextSpill.Range] = [:]
    var spill: TextSpill?

    /// The HTML of an article's body, its links already written for the article's page (the
    /// Markdown phase renders it with that page's `linkRoot`): from memory as text, or read back
    /// from the spill as bytes (never made a String: it goes straight into the page). Once per article
    /// from the spill: a second call fails (on tmpfs the spill frees what it read).
    /// `rendered` is the article's entry in `articleBodies` (its caller has it already).
    func articleHTML(_ slug: String, rendered: RenderedMarkdown) throws(TextSpill.ReadFailure) -> TemplateValue {
        guard let range = spilledHTML[slug], let spill else { return .text(rendered.html) }
        guard let html = spill.take(range) else { throw TextSpill.ReadFailure(slug: slug, folder: spill.folder) }
        return .bytes(html)
    }
    var externalByOwner: [String: [(location: SourceLocation, url: String)]] = [:]

    /// Every internal link, page by page (in order of the page's key), without copying them into one array.
    var linkGroups: [[SourcedLink]] { Self.byKey(linksByOwner) }
    var linkCount: Int { linksByOwner.values.reduce(0) { $0 + $1.count } }
    public var externalLinks: [(location: SourceLocation, url: String)] { Self.byKey(externalByOwner).flatMap { $0 } }

    /// The values of `groups` in the order of their keys: read out in one pass and put in order
    /// by `StringOrder`, not looked up again key by key (at 100,000 pages each lookup read its
    /// key from memory to compare it).
    static func byKey<Value>(_ groups: [String: Value]) -> [Value] {
        StringOrder.sorted(Array(groups), by: { $0.key }).map(\.value)
    }
}

/// Converts every Markdown text with cmark-gfm, resolving links and data directives against the
/// site. Articles render on every thread (see `MarkdownRenderer.parsesInParallel` for cmark-gfm).
struct MarkdownPhase {
    let site: ResolvedSite
    /// Literal `id="…"` values of the article and disclaimer pages' templates; heading anchors avoid them.
    let articleIDs: Set<String>
    let disclaimerIDs: Set<String>
    let staticFiles: [String]
    let assets: AssetManifest
    let drafts: Set<String>
    /// Articles rendered by an earlier run (`materia serve`), reused while nothing they depend on changed.
    var cache: MarkdownCache? = nil
    /// The articles' Markdown, when `site` holds the articles without it (`materia build`): each
    /// body is taken out as its article is rendered, so a large site never holds all of its
    /// Markdown and all of its HTML at once.
    var bodies: ArticleBodies? = nil
    /// Where rendered article HTML waits for the pages (`materia build` into a staging folder).
    var spill: TextSpill? = nil
    var jobs = 1

    func run() -> RenderedTexts {
        let table = SiteLinkTable(site: site, staticFiles: staticFiles, assets: assets, drafts: drafts, jobs: jobs)
        cache?.table = table
        cache?.prepare(linkSignature: LinkSignature(site: site, staticFiles: staticFiles, assets: assets, drafts: drafts,
                                                    articleIDs: articleIDs, disclaimerIDs: disclaimerIDs),
                       data: DataSignature(nutrients: site.nutrients, conditions: site.conditions, symptoms: site.symptoms))
        let raw = site.config.allowRawHTML
        let autolink = AutolinkMode(rawValue: site.config.autolink) ?? .first
        let gathered = GatheredTexts()
        gathered.texts.spill = spill
        // Sized up front: 10,000 articles otherwise rehash each dictionary a dozen times.
        gathered.texts.articleBodies.reserveCapacity(site.articles.count)
        gathered.texts.faqAnswers.reserveCapacity(site.articles.count)
        gathered.texts.linksByOwner.reserveCapacity(site.articles.count + site.nutrients.count + site.conditions.count + site.symptoms.count + 1)
        if spill != nil { gathered.texts.spilledHTML.reserveCapacity(site.articles.count) }
        func environment(_ page: String, _ source: String) -> PageLinkEnvironment {
            PageLinkEnvironment(table: table, pagePath: page, sourcePath: source)
        }

        // Articles render in parallel: parsing, rewriting the tree, auto-links and HTML.
        let cached = cache.map { cache in site.articles.map { cache.entry(for: $0) } }
        let missing = cached.map { cached in site.articles.indices.filter { cached[$0] == nil } } ?? Array(site.articles.indices)
        let articles = site.articles, bodies = self.bodies, spill = self.spill, cache = self.cache
        // Each worker adds its article to the texts as soon as it is rendered (under a lock; the
        // texts do not depend on the order of adding: every list is sorted or keyed), so no pass
        // over all of them is left for one thread at the end.
        _ = parallelMap(missing, jobs: jobs, { index in
            var entry = renderArticle(articles[index], body: bodies?.take(index), table: table)
            let spilled = spill.flatMap { $0.store(entry.body.html) }
            // Without a cache (a build), the texts keep of a body only what its page shows: its
            // links, external links and problems are in `entry.collected`. (Kept in the bodies as
            // well, they were 7 MB of heap at 10,000 articles and 49-85 MB of peak RSS at 100,000.)
            if spilled != nil || cache == nil {
                entry = MarkdownCache.Entry(article: entry.article, body: entry.body.keeping(html: spilled == nil, links: cache != nil),
                                            answers: entry.answers, collected: entry.collected)
            }
            gathered.add(consume entry, spilled: spilled, cache: cache)
        })
        for hit in (cached ?? []).compactMap({ $0 }) { gathered.add(hit, spilled: nil, cache: nil) }
        var texts = gathered.texts
        gathered.texts = RenderedTexts()
        var backlinks = gathered.backlinks
        gathered.backlinks = [:]
        var sources = gathered.sources
        gathered.sources = []
        func merge(_ found: Collected, owner: String) {
            GatheredTexts.merge(found, owner: owner, into: &texts, &backlinks, &sources)
        }
        func collect(_ rendered: RenderedMarkdown, origin: TextOrigin, page: Page?, shownOn pagePath: String) {
            var found = Collected()
            Self.collect(rendered, origin: origin, page: page, shownOn: pagePath, table: table, into: &found)
            merge(found, owner: page?.key ?? "disclaimer")
        }
        func describe(_ page: Page, _ text: String?, _ origin: TextOrigin?, _ source: String) {
            guard let text else { return }
            var options = MarkdownOptions(allowRawHTML: raw, isFragment: true, environment: environment(page.path, source),
                                          autolink: autolink, selfKey: page.key)
            options.footnotePrefix = "about-"
            let rendered = MarkdownRenderer.render(text, options: options)
            texts.descriptions[String(page.path.dropLast())] = rendered.html
            collect(rendered, origin: origin ?? TextOrigin(path: source, line: 1), page: page, shownOn: page.path)
        }
        for nutrient in site.nutrients { describe(.nutrient(nutrient.id), nutrient.description, nutrient.descriptionOrigin, nutrient.sourcePath) }
        for condition in site.conditions { describe(.condition(condition.id), condition.description, condition.descriptionOrigin, condition.sourcePath) }
        for symptom in site.symptoms { describe(.symptom(symptom.id), symptom.description, symptom.descriptionOrigin, symptom.sourcePath) }

        let disclaimer = MarkdownRenderer.render(site.config.disclaimerFull, options: MarkdownOptions(
            allowRawHTML: raw, reservedIDs: disclaimerIDs, environment: environment(Page.disclaimer.path, "materia.yaml")))
        texts.disclaimer = disclaimer.html
        collect(disclaimer, origin: site.config.disclaimerOrigin ?? TextOrigin(path: "materia.yaml", line: 1), page: nil,
                shownOn: Page.disclaimer.path)
        // Each target's list is sorted on its own, the lists side by side (a nutrient's list can
        // hold most of the site's articles), by the rank of its linking page: the pages are put in
        // order (by title, then by key) once, not again in every list (at 100,000 articles the
        // lists' string comparisons took 0.7 s of CPU).
        var keys = StringOrder(capacity: sources.count)
        for source in sources { keys.append(source.title, source.key) }
        let order = keys.order() ?? sources.indices.sorted {
            sources[$0].title != sources[$1].title ? sources[$0].title < sources[$1].title : sources[$0].key < sources[$1].key
        }
        var rank = [Int](repeating: 0, count: sources.count)
        for (position, source) in order.enumerated() { rank[source] = position }
        let targets = Array(backlinks.keys), lists = backlinks, ranks = rank
        backlinks = [:]
        let sorted = parallelMap(targets, jobs: jobs) { target in
            let list = lists[target]!
            return list.indices.sorted { ranks[list[$0].source] < ranks[list[$1].source] }.map { list[$0].link }
        }
        texts.backlinks = Dictionary(uniqueKeysWithValues: zip(targets, sorted))
        // Neither is needed any more: freed beside the pages instead of before them.
        releaseInBackground(consume lists, jobs: jobs)
        releaseInBackground(consume table, jobs: jobs)
        return texts
    }

    /// `links` (sorted) without `source`'s entry and with `added` in its place in the order.
    static func replacingBacklink(in links: [Backlink], source: String, with added: Backlink?) -> [Backlink] {
        var result = links.filter { $0.sourceKey != source }
        guard let added else { return result }
        let key = (added.title.lowercased(), added.sourceKey)
        var low = 0, high = result.count
        while low < high {
            let middle = (low + high) / 2
            if (result[middle].title.lowercased(), result[middle].sourceKey) < key { low = middle + 1 } else { high = middle }
        }
        result.insert(added, at: low)
        return result
    }

    /// An article's body and FAQ answers as HTML, with what they say about links.
    /// `markdown` is the article's body when the article no longer holds it (`bodies`).
    func renderArticle(_ article: Article, body markdown: String? = nil, table: SiteLinkTable) -> MarkdownCache.Entry {
        let raw = site.config.allowRawHTML
        let autolink = AutolinkMode(rawValue: site.config.autolink) ?? .first
        let page = Page.article(article.slug.value)
        let path = page.path
        let env = PageLinkEnvironment(table: table, pagePath: path, sourcePath: article.sourcePath)
        // FAQ entries are anchored as faq-1, faq-2, … on the same page.
        var options = MarkdownOptions(allowRawHTML: raw, reservedIDs: articleIDs, environment: env, autolink: autolink, selfKey: page.key)
        options.reservedSeries = ("faq-", article.faq.count)
        // The body is shown on its own page only: its links are written for that page.
        options.linkRoot = Links(page: page, basePath: "/").root  // (the base path matters only to 404.html)
        let body = MarkdownRenderer.render(markdown ?? article.body, options: options)
        let answers = article.faq.enumerated().map { index, entry in
            var options = MarkdownOptions(allowRawHTML: raw, isFragment: true, environment: env)
            options.footnotePrefix = "\(article.slug.value)-faq-\(index + 1)-"
            return MarkdownRenderer.render(entry.answer, options: options)
        }
        var found = Collected()
        Self.collect(body, origin: article.bodyOrigin, page: page, shownOn: path, table: table, into: &found)
        for (entry, answer) in zip(article.faq, answers) {
            Self.collect(answer, origin: entry.answerOrigin, page: page, shownOn: path, table: table, into: &found)
        }
        return MarkdownCache.Entry(article: article, body: body, answers: answers, collected: found)
    }

    /// Problems, links and backlinks of one page's texts. Backlinks are unique per (target,
    /// source) pair, and every source page's texts are collected into one value. `pagePath` is
    /// the path of `page` when there is one.
    static func collect(_ rendered: RenderedMarkdown, origin: TextOrigin, page: Page?, shownOn pagePath: String, table: SiteLinkTable,
                        into found: inout Collected) {
        for problem in rendered.problems {
            found.problems.append(Diagnostic(at: origin.location(line: problem.line, column: problem.column), problem.message, fix: problem.fix))
        }
        for external in rendered.externalLinks {
            found.external.append((origin.location(line: external.line, column: external.column), external.url))
        }
        let sourceKey = page?.key
        // In source order, so that the first mention gives the sentence "Mentioned in" shows. The
        // positions are sorted, not the records (a record is four strings to copy).
        let records = rendered.links
        let order = records.indices.sorted { (records[$0].line, records[$0].column) < (records[$1].line, records[$1].column) }
        found.links.reserveCapacity(found.links.count + records.count)
        // Room for every target at once: grown from empty, the set was rehashed at each doubling.
        if page != nil { found.linkedTargets.reserveCapacity(found.linkedTargets.count + records.count) }
        for position in order {
            let record = records[position]
            found.links.append(SourcedLink(page: pagePath, location: origin.location(line: record.line, column: record.column),
                                           record: record, sourceKey: sourceKey))
            guard page != nil, let sourceKey, let target = record.key, target != sourceKey, Page.isEntityKey(target),
                  found.linkedTargets.insert(target).inserted else { continue }
            found.backlinks.append((target, Backlink(sourceKey: sourceKey, title: table.titles[sourceKey] ?? pagePath,
                                                     path: pagePath, context: record.context)))
        }
    }
}

/// The texts of the articles as the Markdown phase's workers finish them.
private final class GatheredTexts: @unchecked Sendable {
    private let lock = NSLock()
    var texts = RenderedTexts()
    /// Backlinks per target, each with its linking page's place in `sources`.
    var backlinks: [String: [(source: Int, link: Backlink)]] = [:]
    /// The pages that give backlinks, as merged: title lowercased and key (the sort keys).
    var sources: [(title: String, key: String)] = []

    /// Adds one article's HTML, links and backlinks (and stores it in `cache`); safe from any thread.
    func add(_ entry: consuming MarkdownCache.Entry, spilled: TextSpill.Range?, cache: MarkdownCache?) {
        let slug = entry.article.slug.value
        let owner = Page.article(slug).key
        let answers = entry.answers.map(\.html)
        lock.lock()
        defer { lock.unlock() }
        if let spilled { texts.spilledHTML[slug] = spilled }
        cache?.store(entry)
        texts.articleBodies[slug] = entry.body
        texts.faqAnswers[slug] = answers
        // Taken out of the entry (kept only by a cache), so that its backlinks move, not copy.
        var found = Collected()
        swap(&found, &entry.collected)
        Self.merge(found, owner: owner, into: &texts, &backlinks, &sources)
    }

    static func merge(_ found: consuming Collected, owner: String, into texts: inout RenderedTexts,
                      _ backlinks: inout [String: [(source: Int, link: Backlink)]], _ sources: inout [(title: String, key: String)]) {
        if !found.problems.isEmpty { texts.problems += found.problems }
        if !found.external.isEmpty { texts.externalByOwner[owner] = found.external }
        if !found.links.isEmpty { texts.linksByOwner[owner] = found.links }
        // One page's backlinks all come from that page: its title is lowercased once.
        guard let first = found.backlinks.first?.link else { return }
        let source = sources.count
        sources.append((first.title.lowercased(), first.sourceKey))
        // Moved out from the end (the order they are added in does not matter: every list is
        // sorted, and a page gives a target one backlink at most).
        while let (target, link) = found.backlinks.popLast() {
            backlinks[target, default: []].append((source, link))
        }
    }
}

/// The Markdown of every article, by the article's index, each taken once. Each index is taken
/// by one thread only (parallelMap hands every index to one worker), so no lock is needed.
final class ArticleBodies: @unchecked Sendable {
    private let bodies: UnsafeMutableBufferPointer<String>

    init(_ bodies: [String]) {
        self.bodies = .allocate(capacity: bodies.count)
        _ = self.bodies.initialize(from: bodies)
    }

    deinit {
        bodies.deinitialize()
        bodies.deallocate()
    }

    /// The body at `index`, leaving an empty string in its place.
    func take(_ index: Int) -> String {
        var body = ""
        swap(&body, &bodies[index])
        return body
    }
}

/// What every article's Markdown is rendered against, apart from the data values that only
/// directives read: the pages that exist with their titles, names and aliases (wikilinks and
/// auto-links), the files links may point to, and the settings.
struct LinkSignature: Equatable {
    let config: SiteConfig
    let articles: [String]
    let nutrients: [[String]]
    let conditions: [[String]]
    let symptoms: [[String]]
    let staticFiles: [String]
    let assets: [String: String]
    let drafts: Set<String>
    let articleIDs: Set<String>
    let disclaimerIDs: Set<String>

    init(site: ResolvedSite, staticFiles: [String], assets: AssetManifest, drafts: Set<String>,
         articleIDs: Set<String>, disclaimerIDs: Set<String>) {
        config = site.config
        articles = site.articles.flatMap { [$0.slug.value, $0.title, $0.sourcePath] }
        nutrients = site.nutrients.map { [$0.id, $0.name, $0.sourcePath] + $0.aliases }
        conditions = site.conditions.map { [$0.id, $0.name, $0.sourcePath] + $0.aliases }
        symptoms = site.symptoms.map { [$0.id, $0.name, $0.sourcePath] + $0.aliases }
        self.staticFiles = staticFiles
        self.assets = assets.names
        self.drafts = drafts
        self.articleIDs = articleIDs
        self.disclaimerIDs = disclaimerIDs
    }
}

/// The data that data directives read.
struct DataSignature: Equatable {
    let nutrients: [Nutrient]
    let conditions: [Condition]
    let symptoms: [Symptom]
}

/// Rendered articles kept between rebuilds of one `materia serve` session. An entry is reused
/// while its article is unchanged and so is everything its Markdown was rendered against; an
/// article that may hold a data directive is rendered again whenever any data changes.
final class MarkdownCache: @unchecked Sendable {
    struct Entry {
        let article: Article
        let body: RenderedMarkdown
        let answers: [RenderedMarkdown]
        /// Depends on the article, its title and the link table, like the HTML.
        var collected: Collected
        /// Whether the body or an answer holds a data directive (found by the rewriting as it
        /// rendered them): such an article is rendered again when data changes. Scanning every
        /// article's Markdown for "materia" instead took 13 % of a data edit's rebuild at 10,000
        /// articles, on one thread.
        var readsData: Bool { body.readsData || answers.contains { $0.readsData } }
    }

    private var entries: [String: Entry] = [:]
    private var linkSignature: LinkSignature?
    private var dataSignature: DataSignature?
    /// Articles rendered (not taken from the cache) by the last run.
    private(set) var rendered = 0
    /// The link table of the last run.
    var table: SiteLinkTable?

    func prepare(linkSignature: LinkSignature, data: DataSignature) {
        rendered = 0
        if linkSignature != self.linkSignature {
            entries = [:]
        } else if data != dataSignature {
            entries = entries.filter { !$0.value.readsData }
        }
        self.linkSignature = linkSignature
        dataSignature = data
    }

    /// The entry of a slug, whatever its article: what a rebuild replaces.
    func entry(slug: String) -> Entry? { entries[slug] }

    func entry(for article: Article) -> Entry? {
        guard let entry = entries[article.slug.value], entry.article == article else { return nil }
        return entry
    }

    func store(_ entry: Entry) {
        rendered += 1
        entries[entry.article.slug.value] = entry
    }
}
