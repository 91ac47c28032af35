import Foundation
import MateriaContent

/// What `materia build` was asked to do.
public struct BuildOptions: Sendable {
    public var layout: SiteLayout
    public var includeDrafts: Bool
    /// Threads for reading, rendering and writing; 1 does everything serially. cmark-gfm parses one document at a time.
    public var jobs: Int
    /// `publish` instead of `build`: an overdue review is an error (unless allowed).
    public var publishing = false
    public var allowOverdue = false
    /// Replaces `base_url` from materia.yaml (`publish --base-url`).
    public var baseURL: String?
    /// The date reviews are compared with. Only diagnostics use it, never the output.
    public var today: Day = .today()
    /// Content-hashed asset names (`style.3f2a….css`); `serve` keeps plain names.
    public var fingerprintAssets = true
    /// The process exits right after this build (`materia build`, `publish`, `check` without
    /// `--external`): the site held in
    /// memory is left for the exit to reclaim instead of being freed string by string, which
    /// took 0.25 s on one thread at 10,000 articles. Long-lived callers (tests) keep the default.
    public var exitsAfterBuild = false
    /// A site whose article Markdown is at most this many bytes keeps its rendered HTML in memory
    /// for the pages; a larger one parks it in a temporary file (see `TextSpill`). 128 MB: about
    /// 15,000 articles of 1,200 words. At 10,000 articles the file's writes and reads were 2.8 %
    /// of the build's CPU samples; at 100,000 the HTML would cost over 1 GB of memory. Tests lower
    /// it to build through the file.
    var textMemoryBudget = 128 << 20

    public init(layout: SiteLayout, includeDrafts: Bool = false, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.layout = layout
        self.includeDrafts = includeDrafts
        self.jobs = max(1, jobs)
    }
}

/// Counts for the closing summary line.
public struct BuildReport: Sendable {
    public let articles: Int
    public let nutrients: Int
    public let conditions: Int
    public let symptoms: Int
    public let pages: Int
    public let files: Int
    public let warnings: [Diagnostic]
}

/// Runs the build as named phases — load, validate, resolve, render, write — and reports each.
public struct SiteBuilder {
    public static let phases = ["Load", "Validate", "Resolve", "Render", "Write"]

    let options: BuildOptions
    let progress: @Sendable (String) -> Void

    public init(options: BuildOptions, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.options = options
        self.progress = progress
    }

    private func step(_ index: Int, _ detail: String) {
        progress("[\(index)/\(Self.phases.count)] \(Self.phases[index - 1]) \(detail)")
    }

    /// Builds the site; on any error throws every problem found and leaves the output untouched.
    ///
    /// When the output holds the manifest of an earlier build (`.materia-build`) and every input
    /// is byte-identical, nothing is done. Otherwise, with a manifest, only files whose bytes
    /// changed are written (each replaced atomically); without one, the whole site is written
    /// beside the output and swapped in.
    public func build() throws(BuildFailure) -> BuildReport {
        let layout = options.layout
        if let problem = OutputWriter.checkOutput(layout) { throw BuildFailure([problem]) }
        PhaseClock.mark("start")
        let previous = BuildManifest.previous(in: layout.output)
        // With an earlier manifest, the whole fingerprint is taken first: it may show that
        // nothing changed. Without one, the articles are hashed as the load reads them.
        let pending = BuildManifest.PendingFingerprint(layout, options, deferArticles: previous == nil)
        let readHashes = previous == nil ? ReadHashes(paths: pending.deferredPaths) : nil
        let earlyInputs = previous == nil ? nil : pending.finish(options, read: nil)
        PhaseClock.mark("fingerprint")
        let outputPath = layout.output.path
        if let previous, previous.inputs == earlyInputs,
           !parallelMap(Array(previous.files.keys), jobs: options.jobs, { access(outputPath + "/" + $0, F_OK) != 0 }).contains(true) {
            progress("Nothing changed since the last build: \(layout.relativePath(layout.output))/ is up to date")
            let counts = previous.counts
            return BuildReport(articles: counts[0], nutrients: counts[1], conditions: counts[2], symptoms: counts[3], pages: counts[4],
                               files: previous.files.count, warnings: previous.warnings)
        }
        let writer = OutputWriter(layout: layout, jobs: options.jobs)
        // Pages go into a staging folder beside the output as soon as they are rendered, so the
        // whole site is never held in memory. Without a manifest that is every page, and the
        // folder is swapped in at the end; with one, only pages whose bytes differ from the
        // output's (or that are missing from it), which are then moved in one by one.
        let staging = try writer.beginStaging()
        let stagingPath = staging.path
        let staged = previous.map { OutputWriter.StagedPages(previous: $0.files, output: outputPath) }
        let folder = OpenFolder(path: stagingPath)
        let spill: PageSpill = { file, hash in
            guard let staged else { return writer.spill(file, into: folder) }
            guard staged.differs(file.path, hash) else { return nil }
            let problem = writer.spill(file, into: folder)
            if problem == nil { staged.add(file.path) }
            return problem
        }
        let prepared: (site: ResolvedSite, result: RenderResult, pages: Int, warnings: [Diagnostic])
        do throws(BuildFailure) {
            prepared = try prepare(spill: spill, textFolder: stagingPath, readHashes: readHashes)
        } catch {
            writer.abandon(staging)
            throw error
        }
        if options.exitsAfterBuild { ProcessLifetime.keep(prepared) }
        let site = prepared.site
        var manifest = BuildManifest(inputs: earlyInputs ?? "", counts: [site.articles.count, site.nutrients.count, site.conditions.count,
                                                                         site.symptoms.count, prepared.pages],
                                     warnings: prepared.warnings, files: [:])
        let total: Int
        let spilled = prepared.result.hashes
        if let staged {
            let (written, all) = try writer.update(prepared.result.files, spilled: spilled, staged: staged, from: staging,
                                                   manifest: &manifest)
            PhaseClock.mark("write")
            total = all
            step(5, "\(written) of \(all) files changed in \(layout.relativePath(layout.output))/ (the others were left as they were)")
        } else {
            // The inputs' fingerprint (from the hashes the load recorded) is finished while the
            // staged site is completed and swapped in.
            let files = prepared.result.files, options = self.options
            let (staged, inputs) = concurrently(jobs: options.jobs, { () -> Result<[OutputFile], BuildFailure> in
                do throws(BuildFailure) {
                    return .success(try writer.finishStaging(staging, files: files, spilled: Set(spilled.keys)))
                } catch {
                    return .failure(error)
                }
            }, { pending.finish(options, read: readHashes) })
            let written = try staged.get()
            manifest.inputs = inputs
            PhaseClock.mark("write")
            total = written.count
            manifest.files = Dictionary(uniqueKeysWithValues: parallelMap(written, jobs: options.jobs) { file in
                (file.path, spilled[file.path] ?? StableHash.of(file.bytes))
            })
            manifest.save(in: layout.output)
            PhaseClock.mark("manifest")
            step(5, "\(written.count) files to \(layout.relativePath(layout.output))/")
        }
        return BuildReport(articles: site.articles.count, nutrients: site.nutrients.count, conditions: site.conditions.count,
                           symptoms: site.symptoms.count, pages: prepared.pages, files: total, warnings: prepared.warnings)
    }

    /// `materia publish`: a build for production. The base URL must be absolute, overdue reviews
    /// fail (unless allowed), and `archive` receives the same tree as a reproducible .tar.gz.
    public func publish(archive: URL?) throws(BuildFailure) -> BuildReport {
        let layout = options.layout
        guard let base = options.baseURL, base.hasPrefix("https://") || base.hasPrefix("http://"),
              let host = URL(string: base)?.host, !host.isEmpty else {
            throw BuildFailure([Diagnostic(at: SourceLocation(path: "materia.yaml"), "publish needs an absolute --base-url",
                                           fix: "pass the address the site will live at, e.g. --base-url https://example.org/kb/")])
        }
        if let problem = OutputWriter.checkOutput(layout) { throw BuildFailure([problem]) }
        // As in a build, each page goes into the staging folder as soon as it is rendered (and a
        // large site's article HTML waits in a nameless file there): the site is never held in
        // memory, and the archive reads those pages back from the output one at a time.
        let writer = OutputWriter(layout: layout, jobs: options.jobs)
        let staging = try writer.beginStaging()
        let folder = OpenFolder(path: staging.path)
        let prepared: (site: ResolvedSite, result: RenderResult, pages: Int, warnings: [Diagnostic])
        do throws(BuildFailure) {
            prepared = try prepare(spill: { file, _ in writer.spill(file, into: folder) }, textFolder: staging.path)
        } catch {
            writer.abandon(staging)
            throw error
        }
        if options.exitsAfterBuild { ProcessLifetime.keep(prepared) }
        let spilled = Set(prepared.result.hashes.keys)
        let written = try writer.finishStaging(staging, files: prepared.result.files, spilled: spilled)
        step(5, "\(written.count) files to \(layout.relativePath(layout.output))/")
        if let archive {
            // Every entry carries the newest content date: the archive depends on the content only.
            let newest = prepared.site.articles.compactMap { [$0.date, $0.updated, $0.reviewed].compactMap { $0 }.max() }.max()
            var tarball = TarArchive(files: written, modified: (newest?.daysSince1970 ?? 0) * 86_400)
            tarball.onDisk = spilled
            tarball.folder = layout.output.path
            let temporary = archive.deletingLastPathComponent().appendingPathComponent(".\(archive.lastPathComponent).partial")
            do throws(TarArchive.Failure) {
                try tarball.write(toFile: temporary.path)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                switch error {
                case .unreadable(let path):
                    throw BuildFailure([Diagnostic(at: SourceLocation(path: layout.relativePath(layout.output) + "/" + path),
                                                   "cannot read this file back from the output for the archive",
                                                   fix: "check nothing else changes the output folder while publishing, then publish again")])
                case .unwritable:
                    throw BuildFailure([Diagnostic(at: SourceLocation(path: archive.path), "cannot write the archive",
                                                   fix: "check the folder exists, is writable and has room for the site")])
                }
            }
            do {
                _ = try? FileManager.default.removeItem(at: archive)
                try FileManager.default.moveItem(at: temporary, to: archive)
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw BuildFailure([Diagnostic(at: SourceLocation(path: archive.path), "cannot write the archive: \(error.localizedDescription)",
                                               fix: "check the folder exists and is writable")])
            }
            progress("Archived \(written.count) files to \(archive.path)")
        }
        let site = prepared.site
        return BuildReport(articles: site.articles.count, nutrients: site.nutrients.count, conditions: site.conditions.count,
                           symptoms: site.symptoms.count, pages: prepared.pages, files: written.count, warnings: prepared.warnings)
    }

    /// Everything `build` checks, without writing: for `materia check`. Returns the external
    /// links of the site (body links and reference URLs) with where they are written.
    ///
    /// Every page is rendered and its links checked as a build does, but no page is kept: each one
    /// is dropped once its ids (for the anchor check) and hash are taken, and a large site's
    /// article HTML waits in a nameless temporary file, as in a build. Keeping every page made a
    /// check of 10,000 articles peak at 836 MB where a build peaks at 345 MB.
    public func check() throws(BuildFailure) -> (warnings: [Diagnostic], externalLinks: [(location: SourceLocation, url: String)]) {
        let prepared = try prepare(spill: { _, _ in nil }, textFolder: NSTemporaryDirectory())
        if options.exitsAfterBuild { ProcessLifetime.keep(prepared) }
        var external = prepared.result.texts.externalLinks
        let site = prepared.site
        let citations = site.articles.flatMap(\.references) + site.nutrients.flatMap(\.references)
            + site.conditions.flatMap(\.references) + site.symptoms.flatMap(\.references)
        for citation in citations {
            if let url = citation.url, let location = citation.urlLocation, url.hasPrefix("http") { external.append((location, url)) }
        }
        external.sort { ($0.location, $0.url) < ($1.location, $1.url) }
        return (prepared.warnings, external)
    }

    /// Phases 1 and 2: reads and decodes the site, then checks it. Throws every error found;
    /// returns the source, its templates and the warnings. `cache` skips unchanged files (`serve`).
    static func loadAndValidate(_ options: BuildOptions, cache: LoadCache? = nil, readHashes: ReadHashes? = nil) throws(BuildFailure)
        -> (source: SiteSource, templates: TemplateSet, diagnostics: Diagnostics) {
        var loader = SiteLoader(layout: options.layout, includeDrafts: options.includeDrafts, cache: cache,
                                fingerprintAssets: options.fingerprintAssets)
        loader.jobs = options.jobs
        loader.readHashes = readHashes
        let (loaded, loadProblems) = loader.load()
        var diagnostics = loadProblems
        guard var source = loaded else { throw BuildFailure(diagnostics.sorted) }
        if let baseURL = options.baseURL {
            source.config.baseURL = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        }
        let validator = SiteValidator(source: source)
        diagnostics.append(contentsOf: validator.validate())
        diagnostics.append(contentsOf: validator.checkReviews(today: options.today, cycle: source.config.reviewCycleMonths,
                                                              overdueIsError: options.publishing && !options.allowOverdue))
        guard let templates = source.templates, !diagnostics.hasErrors else { throw BuildFailure(diagnostics.sorted) }
        return (source, templates, diagnostics)
    }

    /// Phases 1 to 4: load, validate, resolve, render (with every internal link checked). Each page
    /// goes to `spill` as it is rendered (see `PageRenderer.render`). With `textFolder`, a large
    /// site's rendered article HTML waits there for the pages in a nameless file.
    private func prepare(spill: @escaping PageSpill, textFolder: String?,
                         readHashes: ReadHashes? = nil) throws(BuildFailure)
        -> (site: ResolvedSite, result: RenderResult, pages: Int, warnings: [Diagnostic]) {
        var (source, templates, diagnostics) = try Self.loadAndValidate(options, readHashes: readHashes)
        PhaseClock.mark("load")
        step(1, "\(source.articles.count) articles, \(source.nutrients.count) nutrients, \(source.conditions.count) conditions, "
            + "\(source.symptoms.count) symptoms, \(templates.names.count) templates")
        step(2, "no errors" + (diagnostics.warnings.isEmpty ? "" : ", \(diagnostics.warnings.count) warnings"))

        // A temporary resolver: it holds the loaded articles with their Markdown, which the build
        // must not keep once resolved (860 MB at 100,000 articles).
        var site = SiteResolver(source: source, jobs: options.jobs).resolve()
        source.articles = []  // the resolved site holds them now
        PhaseClock.mark("resolve")
        step(3, "links between \(site.articles.count + site.nutrients.count + site.conditions.count + site.symptoms.count) pages")

        func renderer(_ site: ResolvedSite) -> PageRenderer {
            PageRenderer(site: site, templates: templates, staticFiles: source.staticFiles, assets: source.assets,
                         drafts: source.draftSlugs, jobs: options.jobs)
        }
        let pages = renderer(site).pages()
        // The pages need the HTML, not the Markdown, which a large site cannot afford to keep: the
        // Markdown phase takes each body out as it renders it, and the site keeps none.
        let bodies = ArticleBodies(site.articles.map(\.body))
        let markdownBytes = site.articles.reduce(0) { $0 + $1.body.utf8.count }
        let stripped = site.withoutArticleBodies(jobs: options.jobs)
        releaseInBackground(consume site, jobs: options.jobs)
        site = stripped
        let texts = renderer(site).markdown(bodies: bodies, spill: markdownBytes > options.textMemoryBudget ? textFolder.flatMap(TextSpill.init(folder:)) : nil)
        PhaseClock.mark("markdown")
        let result = try renderer(site).render(pages, texts: texts, spill: spill).get()
        step(4, "\(pages.count) pages, \(result.texts.linkCount) internal links checked")
        return (site, result, pages.count, diagnostics.warnings)
    }
}

/// Values kept until the process exits (see `BuildOptions.exitsAfterBuild`).
enum ProcessLifetime {
    nonisolated(unsafe) private static var kept: [Any] = []
    private static let lock = NSLock()

    static func keep(_ value: Any) {
        lock.lock()
        kept.append(value)
        lock.unlock()
    }
}
