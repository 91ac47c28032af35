import Foundation
import MateriaContent
import MateriaMarkdown

/// What one rebuild of a `materia serve` session changed in the output folder.
public struct RebuildReport: Sendable {
    /// Output paths written because their bytes are new or changed, sorted.
    public let written: [String]
    /// Output paths removed because the site no longer has them, sorted.
    public let removed: [String]
    /// Pages that went through their template, and articles whose Markdown was rendered.
    public let pagesRendered: Int
    public let articlesRendered: Int
    public let pages: Int
    public let warnings: [Diagnostic]
}

/// A site kept in memory between rebuilds, for `materia serve`. Each rebuild reads only files
/// whose signature changed, renders Markdown only for articles whose text or link environment
/// changed, renders only the pages whose inputs changed, and writes only files whose bytes
/// changed. The output equals a clean build with the same options, byte for byte.
///
/// A rebuild with errors changes nothing: the output and the session keep the last good site.
public final class SiteSession: @unchecked Sendable {
    public let options: BuildOptions
    private let loadCache = LoadCache()
    private let markdownCache = MarkdownCache()
    private let relatedCache = RelatedCache()
    private let manifests = SessionManifests()
    private var last: Snapshot?
    /// The last full rebuild failed. `unbuilt` keeps the paths it was given, but one asked for
    /// without paths (`rebuild()`) may stand for changes of any kind, which the body shortcut would
    /// leave out: rebuilds stay full until one succeeds.
    private var fullRebuildFailed = false
    /// Paths changed since the last rebuild that succeeded.
    private var unbuilt: Set<String> = []

    /// The last good build: what its pages were rendered from, and what was written.
    private struct Snapshot {
        var site: ResolvedSite
        var texts: RenderedTexts
        let templates: TemplateSet
        let assets: AssetManifest
        let staticFiles: [String]
        let drafts: Set<String>
        let table: SiteLinkTable
        let warnings: [Diagnostic]
        /// Every path of the output.
        let existing: Set<String>
        /// What each article's Markdown gave, as in `texts`.
        var entries: [String: MarkdownCache.Entry]
        var articleBySource: [String: Article]
        /// Index of each article (by slug) in `site.articles`.
        let articlePositions: [String: Int]
        let pageCount: Int
        /// Graph, search index and feeds, regenerated only when their inputs may have changed.
        var siteFiles: [OutputFile]
        /// Every file of the output with a hash of its bytes.
        var hashes: [String: UInt64]
        /// The `id` attributes of every page, for anchor checks.
        var ids: [String: Set<String>]
    }

    public init(options: BuildOptions) {
        self.options = options
    }

    /// Waits until the output's manifest, written after each rebuild, is on disk.
    func flushManifest() {
        manifests.flush()
    }

    /// Loads, checks and renders the site again and brings the output folder up to date.
    /// `changed` (paths below the site root, from the watcher) allows a shortcut when only
    /// article bodies changed; without it, or when the shortcut does not apply, every source
    /// file's signature is checked.
    public func rebuild(changed: [String]? = nil) -> Result<RebuildReport, BuildFailure> {
        // The paths of failed rebuilds are kept for the next: a broken edit to one article, then an
        // edit to another, must not let the second rebuild succeed without the first article.
        if let changed { unbuilt.formUnion(changed) }
        let result: Result<RebuildReport, BuildFailure>
        if changed != nil, !fullRebuildFailed, let shortcut = rebuildEditedBodies(unbuilt.sorted()) {
            result = shortcut
        } else {
            result = rebuildAll()
            if case .failure = result { fullRebuildFailed = true } else { fullRebuildFailed = false }
        }
        if case .success = result { unbuilt = [] }
        return result
    }

    private func rebuildAll() -> Result<RebuildReport, BuildFailure> {
        let layout = options.layout
        if last == nil, let problem = OutputWriter.checkOutput(layout) { return .failure(BuildFailure([problem])) }
        let source: SiteSource, templates: TemplateSet, diagnostics: Diagnostics
        do {
            (source, templates, diagnostics) = try SiteBuilder.loadAndValidate(options, cache: loadCache)
        } catch {
            return .failure(error)
        }
        var resolver = SiteResolver(source: source, jobs: options.jobs)
        resolver.relatedCache = relatedCache
        let site = resolver.resolve()
        var renderer = PageRenderer(site: site, templates: templates, staticFiles: source.staticFiles, assets: source.assets,
                                    drafts: source.draftSlugs, jobs: options.jobs)
        renderer.markdownCache = markdownCache
        let texts = renderer.markdown()
        let pages = renderer.pages()
        let previous = last
        let dirty = previous.map { PageSelection(old: $0.site, new: site, oldTexts: $0.texts, newTexts: texts,
                                                 oldTemplates: $0.templates, newTemplates: templates,
                                                 oldAssets: $0.assets.names, newAssets: source.assets.names) }
        let toRender = dirty.map { selection in pages.filter(selection.needsRender) } ?? pages
        let writer = OutputWriter(layout: layout, jobs: options.jobs)
        // What the output holds: the last rebuild's files, or on the first, those of the manifest
        // an earlier session or build left there (a restarted preview then writes only what
        // differs, not the whole site).
        let outputPath = layout.output.path
        let known = previous?.hashes ?? BuildManifest.previous(in: layout.output)?.files
        // Each page is rendered, hashed and dropped, as in a build: one whose bytes the output does
        // not hold (every page, when what it holds is unknown) goes into a staging folder beside
        // it first. Those pages are moved in only once the whole site checks out, so a rebuild
        // with errors leaves the output as it was, and the site is never held in memory (the
        // first rebuild of 100,000 articles peaked at 9.27 GB when it kept every page).
        let staging: URL
        do {
            staging = try writer.beginStaging()
        } catch {
            return .failure(error)
        }
        defer { writer.abandon(staging) }
        let folder = OpenFolder(path: staging.path)
        let staged = OutputWriter.StagedPages(previous: known ?? [:], output: outputPath)
        let spill: PageSpill = { file, hash in
            guard staged.differs(file.path, hash) else { return nil }
            let problem = writer.spill(file, into: folder)
            if problem == nil { staged.add(file.path) }
            return problem
        }
        // Every rendered page's ids are kept: a later edit may link into any of them.
        let streamed = renderer.streamPages(toRender, texts: texts, spill: spill, keepIDs: { _ in true })

        let siteFiles: [OutputFile]
        if let previous, let dirty, !dirty.siteFilesMayChange {
            siteFiles = previous.siteFiles
        } else {
            siteFiles = renderer.siteFiles(texts, pages: pages)
        }
        let staticFiles: [OutputFile]
        do {
            staticFiles = try writer.staticCopies()
        } catch {
            return .failure(error)
        }
        // The files besides the pages, which are small enough to keep.
        var files = siteFiles + source.assets.files + staticFiles
        files.append(OutputFile(path: OutputWriter.markerFile, bytes: Array(OutputWriter.markerText.utf8)))
        if let clash = OutputWriter.clash(in: files + streamed.pages.map { OutputFile(path: $0.path, bytes: []) }) {
            return .failure(BuildFailure([clash]))
        }

        // Anchors: ids of the pages just rendered, and of the others as they were last written.
        let renderedIDs = Dictionary(uniqueKeysWithValues: streamed.pages.map { ($0.path, $0.ids) })
        let pageFiles = Set(pages.map(\.file))
        let existing = pageFiles.union(files.map(\.path))
        let oldIDs = previous?.ids ?? [:]
        let checker = LinkChecker(exists: { existing.contains($0) }, ids: { targets in
            Dictionary(uniqueKeysWithValues: targets.map { ($0, renderedIDs[$0] ?? oldIDs[$0] ?? []) })
        })
        let problems = texts.problems + streamed.problems + checker.check(texts.linkGroups)
        if !problems.isEmpty {
            return .failure(BuildFailure(problems.sorted { ($0.location, $0.message) < ($1.location, $1.message) }))
        }

        let hashed = parallelMap(files, jobs: options.jobs) { ($0.path, StableHash.of($0.bytes)) }
        var hashes: [String: UInt64] = [:]
        if let previous {
            // Pages not rendered again keep the bytes (and hash) they were last written with.
            for path in pageFiles { if let hash = previous.hashes[path] { hashes[path] = hash } }
        }
        for page in streamed.pages { hashes[page.path] = page.hash }
        for (path, hash) in hashed { hashes[path] = hash }
        let written: [String], removed: [String]
        let moved = staged.paths
        do {
            if let known {
                let changed = files.filter {
                    known[$0.path] != hashes[$0.path] || (previous == nil && access(outputPath + "/" + $0.path, F_OK) != 0)
                }
                removed = known.keys.filter { hashes[$0] == nil }.sorted()
                if !changed.isEmpty || !removed.isEmpty || !moved.isEmpty { manifests.removeSaved(from: layout.output) }
                try writer.update(changed, removing: removed, moving: moved, from: staging.path)
                written = (changed.map(\.path) + moved).sorted()
            } else {
                // Every page is in the staging folder: the other files join them and it is swapped in.
                _ = try writer.finishStaging(staging, files: files.filter { $0.path != OutputWriter.markerFile }, spilled: Set(moved),
                                             includeStatic: false)
                written = (files.map(\.path) + moved).sorted()
                removed = []
            }
        } catch {
            // The output may now be partly updated: forget it, so the next rebuild writes everything.
            last = nil
            return .failure(error)
        }
        if previous == nil || !written.isEmpty || !removed.isEmpty {
            manifests.save(BuildManifest(inputs: BuildManifest.sessionInputs,
                                         counts: [site.articles.count, site.nutrients.count, site.conditions.count, site.symptoms.count, pages.count],
                                         warnings: [], files: hashes), to: layout.output)
        }
        var ids = previous?.ids.filter { pageFiles.contains($0.key) } ?? [:]
        ids.merge(renderedIDs) { $1 }
        var entries: [String: MarkdownCache.Entry] = [:]
        for article in site.articles { entries[article.slug.value] = markdownCache.entry(slug: article.slug.value) }
        last = Snapshot(site: site, texts: texts, templates: templates, assets: source.assets,
                        staticFiles: source.staticFiles, drafts: source.draftSlugs, table: markdownCache.table!,
                        warnings: diagnostics.warnings, existing: existing, entries: entries,
                        articleBySource: Dictionary(site.articles.map { ($0.sourcePath, $0) }, uniquingKeysWith: { first, _ in first }),
                        articlePositions: Dictionary(site.articles.enumerated().map { ($1.slug.value, $0) }, uniquingKeysWith: { first, _ in first }),
                        pageCount: pages.count, siteFiles: siteFiles, hashes: hashes, ids: ids)
        return .success(RebuildReport(written: written, removed: removed, pagesRendered: streamed.pages.count,
                                      articlesRendered: markdownCache.rendered, pages: pages.count, warnings: diagnostics.warnings))
    }

    /// The shortcut for the most common edit: only article files changed, and only in their
    /// bodies (front matter identical). Nothing else is read, resolved or checked again: those
    /// articles go through cmark-gfm, their pages and the pages whose "Mentioned in" changed are
    /// rendered, and the links they hold or that point into them are checked. The snapshot is
    /// updated in place (no copy of the whole site) and restored if the edit has errors.
    /// Returns nil when the edit is anything else, and the full rebuild runs instead.
    private func rebuildEditedBodies(_ changed: [String]) -> Result<RebuildReport, BuildFailure>? {
        let layout = options.layout
        guard !changed.isEmpty, let current = last else { return nil }
        let loader = SiteLoader(layout: layout, includeDrafts: options.includeDrafts, cache: loadCache,
                                fingerprintAssets: options.fingerprintAssets)
        var edited: [Article] = []
        for path in Set(changed).sorted() {
            guard let old = current.articleBySource[path], current.entries[old.slug.value] != nil else { return nil }
            let (article, problems) = loader.loadArticle(layout.root.appendingPathComponent(path).path)
            guard let article, problems.items.isEmpty, PageSelection.sameListing(old, article) else { return nil }
            if article != old { edited.append(article) }
        }
        let rendered = renderMarkdown(edited, current)
        let problems = rendered.flatMap(\.collected.problems)
        if !problems.isEmpty {
            return .failure(BuildFailure(problems.sorted { ($0.location, $0.message) < ($1.location, $1.message) }))
        }

        // Own the snapshot, so that its arrays and dictionaries change in place.
        var state = current
        last = nil
        _ = consume current
        var undo: [(inout Snapshot) -> Void] = []
        var pages: Set<Page> = []
        var siteFilesChange = false
        var toCheck: [SourcedLink] = []
        for entry in rendered {
            let article = entry.article, slug = article.slug.value, page = Page.article(slug), key = page.key
            let old = state.entries[slug]!
            let position = state.articlePositions[slug]!
            let oldArticle = state.site.articles[position]
            let oldLinks = state.texts.linksByOwner[key], oldExternal = state.texts.externalByOwner[key]
            undo.append {
                $0.site.articles[position] = oldArticle
                $0.site.articleBySlug[slug] = oldArticle
                $0.articleBySource[oldArticle.sourcePath] = oldArticle
                $0.entries[slug] = old
                $0.texts.articleBodies[slug] = old.body
                $0.texts.faqAnswers[slug] = old.answers.map(\.html)
                $0.texts.linksByOwner[key] = oldLinks
                $0.texts.externalByOwner[key] = oldExternal
            }
            state.site.articles[position] = article
            state.site.articleBySlug[slug] = article
            state.articleBySource[article.sourcePath] = article
            state.entries[slug] = entry
            state.texts.articleBodies[slug] = entry.body
            state.texts.faqAnswers[slug] = entry.answers.map(\.html)
            state.texts.linksByOwner[key] = entry.collected.links.isEmpty ? nil : entry.collected.links
            state.texts.externalByOwner[key] = entry.collected.external.isEmpty ? nil : entry.collected.external
            toCheck += entry.collected.links
            if old.body != entry.body || old.answers != entry.answers { pages.insert(page) }
            if old.body.headings != entry.body.headings
                || Set((old.body.links + old.answers.flatMap(\.links)).map(PageSelection.edge))
                    != Set((entry.body.links + entry.answers.flatMap(\.links)).map(PageSelection.edge)) {
                siteFilesChange = true
            }
            for target in Set(old.collected.backlinks.map(\.target)).union(entry.collected.backlinks.map(\.target)) {
                let before = state.texts.backlinks[target]
                let after = MarkdownPhase.replacingBacklink(in: before ?? [], source: key,
                                                            with: entry.collected.backlinks.first { $0.target == target }?.link)
                guard after != (before ?? []), let targetPage = Page(key: target) else { continue }
                pages.insert(targetPage)
                undo.append { $0.texts.backlinks[target] = before }
                state.texts.backlinks[target] = after.isEmpty ? nil : after
            }
        }
        func fail(_ problems: [Diagnostic]) -> Result<RebuildReport, BuildFailure> {
            for step in undo.reversed() { step(&state) }
            last = state
            return .failure(BuildFailure(problems.sorted { ($0.location, $0.message) < ($1.location, $1.message) }))
        }

        let renderer = PageRenderer(site: state.site, templates: state.templates, staticFiles: state.staticFiles, assets: state.assets,
                                    drafts: state.drafts, jobs: options.jobs)
        let (files, renderProblems) = renderer.renderPages(pages.sorted { $0.file < $1.file }, texts: state.texts)
        let renderedIDs = Dictionary(uniqueKeysWithValues: files.map { ($0.path, Set(LinkChecker.ids(in: $0.bytes))) })
        // Links from anywhere into an anchor of a page rendered again (its headings may have changed).
        let editedKeys = Set(edited.map { Page.article($0.slug.value).key })
        for (owner, links) in state.texts.linksByOwner where !editedKeys.contains(owner) {
            for link in links where link.record.fragment != nil
                && renderedIDs[LinkChecker.file(for: link.record.path.isEmpty ? link.page : link.record.path)] != nil {
                toCheck.append(link)
            }
        }
        let linkProblems = renderProblems + Self.check(toCheck, existing: state.existing, ids: state.ids, renderedIDs: renderedIDs)
        if !linkProblems.isEmpty { return fail(linkProblems) }

        var written = files
        if siteFilesChange {
            // A body edit changes headings and links, never what the sitemap and feed list.
            let regenerated = renderer.siteFiles(state.texts, pages: [], feeds: false)
            let paths = Set(regenerated.map(\.path))
            state.siteFiles = regenerated + state.siteFiles.filter { !paths.contains($0.path) }
            written += regenerated
        }
        written = written.filter { file in
            let hash = StableHash.of(file.bytes)
            defer { state.hashes[file.path] = hash }
            return state.hashes[file.path] != hash
        }
        if !written.isEmpty {
            do {
                manifests.removeSaved(from: layout.output)
                try OutputWriter(layout: layout, jobs: options.jobs).update(written, removing: [])
            } catch {
                return .failure(error)
            }
            manifests.save(BuildManifest(inputs: BuildManifest.sessionInputs,
                                         counts: [state.site.articles.count, state.site.nutrients.count, state.site.conditions.count,
                                                  state.site.symptoms.count, state.pageCount],
                                         warnings: [], files: state.hashes), to: layout.output)
        }
        state.ids.merge(renderedIDs) { $1 }
        for entry in rendered { markdownCache.store(entry) }
        let report = RebuildReport(written: written.map(\.path).sorted(), removed: [], pagesRendered: files.count,
                                   articlesRendered: edited.count, pages: state.pageCount, warnings: state.warnings)
        last = state
        return .success(report)
    }

    /// In a function of its own, so that nothing it holds keeps the snapshot's storage shared.
    private func renderMarkdown(_ edited: [Article], _ current: Snapshot) -> [MarkdownCache.Entry] {
        let phase = MarkdownPhase(site: current.site, articleIDs: current.templates.literalIDs(forPage: "article"),
                                  disclaimerIDs: current.templates.literalIDs(forPage: "disclaimer"), staticFiles: current.staticFiles,
                                  assets: current.assets, drafts: current.drafts)
        return edited.map { phase.renderArticle($0, table: current.table) }
    }

    private static func check(_ links: [SourcedLink], existing: Set<String>, ids: [String: Set<String>],
                              renderedIDs: [String: Set<String>]) -> [Diagnostic] {
        LinkChecker(exists: { existing.contains($0) }, ids: { targets in
            Dictionary(uniqueKeysWithValues: targets.map { ($0, renderedIDs[$0] ?? ids[$0] ?? []) })
        }).check(links)
    }

}

/// The manifest (`.materia-build`) of a session's output, kept as `materia build` keeps its own:
/// removed before a rebuild changes any file and written once the output is complete, so a
/// manifest there always tells the truth about the files. A restarted session reads it and writes
/// only what differs. It is written on a queue of its own, after the rebuild has reported (a
/// site of 10,000 pages has a 700 KB manifest); the next rebuild waits for it before removing it.
final class SessionManifests: @unchecked Sendable {
    private let queue = DispatchQueue(label: "materia.session-manifest")

    func removeSaved(from output: URL) {
        queue.sync { BuildManifest.remove(from: output) }
    }

    func save(_ manifest: BuildManifest, to output: URL) {
        queue.async { manifest.save(in: output) }
    }

    /// Waits for a manifest being written (tests read it).
    func flush() {
        queue.sync {}
    }
}

/// Which pages of a rebuilt site may differ from the last build: those whose own content, or
/// anything they show of other pages, changed. It errs on the side of rendering a page again;
/// a page it leaves out must come out byte-identical, which the session tests check against
/// clean builds.
struct PageSelection {
    let old: ResolvedSite, new: ResolvedSite
    let oldTexts: RenderedTexts, newTexts: RenderedTexts
    /// Everything is rendered again (settings or asset names changed).
    let everything: Bool
    let changedTemplates: Set<String>
    let templates: TemplateSet
    /// Articles whose title, summary, dates, lists or FAQ changed (or that were added or removed).
    let changedListings: Set<String>
    /// Entities ("nutrient:x") that were added, removed or changed.
    let changedEntities: Set<String>
    /// Entities whose part shown on article pages changed: name and summary, and for nutrients
    /// the adult intakes and limits of the "nutrients in this article" box.
    let changedEntityViews: Set<String>
    /// Something other pages list changed: aggregate pages render again.
    let listingsChanged: Bool
    let entityListingsChanged: Bool
    let entitySearchChanged: Bool
    let faqChanged: Bool

    init(old: ResolvedSite, new: ResolvedSite, oldTexts: RenderedTexts, newTexts: RenderedTexts,
         oldTemplates: TemplateSet, newTemplates: TemplateSet, oldAssets: [String: String], newAssets: [String: String]) {
        self.old = old
        self.new = new
        self.oldTexts = oldTexts
        self.newTexts = newTexts
        templates = newTemplates
        everything = old.config != new.config || oldAssets != newAssets
        changedTemplates = Set(oldTemplates.texts.keys).union(newTemplates.texts.keys)
            .filter { oldTemplates.texts[$0] != newTemplates.texts[$0] }
        var listings: Set<String> = []
        for slug in Set(old.articleBySlug.keys).union(new.articleBySlug.keys) {
            guard let before = old.articleBySlug[slug], let after = new.articleBySlug[slug], Self.sameListing(before, after) else {
                listings.insert(slug)
                continue
            }
        }
        changedListings = listings
        var entities: Set<String> = []
        func compare<T: Equatable>(_ kind: String, _ before: [String: T], _ after: [String: T]) {
            for id in Set(before.keys).union(after.keys) where before[id] != after[id] { entities.insert("\(kind):\(id)") }
        }
        compare("nutrient", old.nutrientByID, new.nutrientByID)
        compare("condition", old.conditionByID, new.conditionByID)
        compare("symptom", old.symptomByID, new.symptomByID)
        changedEntities = entities
        changedEntityViews = entities.filter { key in
            let id = String(key.drop { $0 != ":" }.dropFirst())
            switch key.prefix(while: { $0 != ":" }) {
            case "nutrient":
                guard let before = old.nutrientByID[id], let after = new.nutrientByID[id] else { return true }
                return Self.factsView(before) != Self.factsView(after)
            case "condition":
                return old.conditionByID[id].map { [$0.name, $0.summary] } != new.conditionByID[id].map { [$0.name, $0.summary] }
            default:
                return old.symptomByID[id].map { [$0.name, $0.summary] } != new.symptomByID[id].map { [$0.name, $0.summary] }
            }
        }
        faqChanged = Set(oldTexts.faqAnswers.keys).union(newTexts.faqAnswers.keys)
            .contains { oldTexts.faqAnswers[$0] != newTexts.faqAnswers[$0] }
        // Aggregate pages show entities by name, summary and kind only; the search index and the
        // graph also carry aliases, functions, causes and the relations between entities.
        let listing = { (site: ResolvedSite) -> [String] in
            site.nutrients.flatMap { [$0.id, $0.name, $0.summary, $0.kind.rawValue] }
                + site.conditions.flatMap { [$0.id, $0.name, $0.summary] } + site.symptoms.flatMap { [$0.id, $0.name, $0.summary] }
        }
        let searchable = { (site: ResolvedSite) -> String in
            String(describing: (site.nutrients.map { ($0.aliases, $0.functions) }, site.conditions.map { ($0.aliases, $0.causes) },
                                site.symptoms.map(\.aliases), site.nutrientsOfCondition, site.symptomsOfCondition,
                                site.nutrientsOfSymptom))
        }
        entityListingsChanged = !entities.isEmpty && listing(old) != listing(new)
        entitySearchChanged = entityListingsChanged || (!entities.isEmpty && searchable(old) != searchable(new))
        listingsChanged = !listings.isEmpty || entityListingsChanged || old.articles.map(\.slug.value) != new.articles.map(\.slug.value)
    }

    /// What an article page shows of a nutrient (PageContexts.quickFacts and the JSON-LD name).
    static func factsView(_ nutrient: Nutrient) -> String {
        String(describing: (nutrient.name, nutrient.summary, nutrient.unit, NutrientFacts.adultIntakes(nutrient), NutrientFacts.adultLimits(nutrient)))
    }

    /// Everything of an article that other pages or files show: all but its body.
    static func sameListing(_ a: Article, _ b: Article) -> Bool {
        a.sourcePath == b.sourcePath && a.slug == b.slug && a.title == b.title && a.summary == b.summary && a.date == b.date
            && a.updated == b.updated && a.reviewed == b.reviewed && a.reviewer == b.reviewer && a.author == b.author
            && a.nutrients == b.nutrients && a.conditions == b.conditions && a.symptoms == b.symptoms && a.tags == b.tags
            && a.keyPoints == b.keyPoints && a.faq == b.faq && a.references == b.references && a.draft == b.draft
            && a.bodyStartLine == b.bodyStartLine
    }

    /// Graph, search index, sitemap and feed: they depend on listings, entities, headings and links.
    var siteFilesMayChange: Bool {
        if everything || listingsChanged || faqChanged || entitySearchChanged { return true }
        for (slug, body) in newTexts.articleBodies {
            guard let before = oldTexts.articleBodies[slug] else { return true }
            if before.html == body.html { continue }
            if before.headings != body.headings || Set(before.links.map(Self.edge)) != Set(body.links.map(Self.edge)) { return true }
        }
        return false
    }

    static func edge(_ record: LinkRecord) -> String { "\(record.kind) \(record.key ?? "")" }

    func needsRender(_ page: Page) -> Bool {
        if everything || !templates.closure(of: page.template).isDisjoint(with: changedTemplates) { return true }
        if oldTexts.backlinks[page.key] != newTexts.backlinks[page.key] { return true }
        switch page {
        case .home, .articleList, .nutrientList, .conditionList, .symptomList, .azIndex, .keyPoints:
            return listingsChanged
        case .faq:
            return listingsChanged || faqChanged
        case .disclaimer:
            return oldTexts.disclaimer != newTexts.disclaimer
        case .search, .notFound:
            return false
        case .article(let slug):
            guard let before = old.articleBySlug[slug], let after = new.articleBySlug[slug], before == after,
                  oldTexts.articleBodies[slug] == newTexts.articleBodies[slug], oldTexts.faqAnswers[slug] == newTexts.faqAnswers[slug]
            else { return true }
            let related = Set((old.relatedArticles[slug] ?? []) + (new.relatedArticles[slug] ?? []))
            if old.relatedArticles[slug] != new.relatedArticles[slug] || !related.isDisjoint(with: changedListings) { return true }
            let entities = after.nutrients.map { "nutrient:\($0.value)" } + after.conditions.map { "condition:\($0.value)" }
                + after.symptoms.map { "symptom:\($0.value)" }
            return entities.contains(where: changedEntityViews.contains)
        case .nutrient(let id):
            let related = [old, new].flatMap { site -> [String] in
                let nutrient = site.nutrientByID[id]
                let effects = [nutrient?.deficiency, nutrient?.excess].compactMap { $0 }
                return (site.conditionsOfNutrient[id] ?? []).map { "condition:\($0.id)" }
                    + effects.compactMap { $0.condition.map { "condition:\($0.value)" } }
                    + effects.flatMap { $0.symptoms.map { "symptom:\($0.value)" } }
            }
            if old.conditionsOfNutrient[id] != new.conditionsOfNutrient[id] { return true }
            return entityPage("nutrient:\(id)", related: related, description: "nutrients/\(id)",
                              articles: old.articlesByNutrient[id], new.articlesByNutrient[id])
        case .condition(let id):
            let related = [old, new].flatMap { site in
                (site.nutrientsOfCondition[id] ?? []).map { "nutrient:\($0.id)" } + (site.symptomsOfCondition[id] ?? []).map { "symptom:\($0)" }
            }
            if old.nutrientsOfCondition[id] != new.nutrientsOfCondition[id] || old.symptomsOfCondition[id] != new.symptomsOfCondition[id] {
                return true
            }
            return entityPage("condition:\(id)", related: related, description: "conditions/\(id)",
                              articles: old.articlesByCondition[id], new.articlesByCondition[id])
        case .symptom(let id):
            let related = [old, new].flatMap { site in
                (site.nutrientsOfSymptom[id] ?? []).map { "nutrient:\($0.id)" } + (site.conditionsOfSymptom[id] ?? []).map { "condition:\($0)" }
            }
            if old.nutrientsOfSymptom[id] != new.nutrientsOfSymptom[id] || old.conditionsOfSymptom[id] != new.conditionsOfSymptom[id] {
                return true
            }
            return entityPage("symptom:\(id)", related: related, description: "symptoms/\(id)",
                              articles: old.articlesBySymptom[id], new.articlesBySymptom[id])
        }
    }

    private func entityPage(_ key: String, related: [String], description: String, articles before: [String]?, _ after: [String]?) -> Bool {
        if changedEntities.contains(key) || related.contains(where: changedEntities.contains) { return true }
        if oldTexts.descriptions[description] != newTexts.descriptions[description] { return true }
        if before != after { return true }
        return (after ?? []).contains(where: changedListings.contains)
    }
}
