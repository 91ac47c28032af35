import Foundation
import MateriaContent

/// What `materia build` was asked to do.
public struct BuildOptions: Sendable {
    public var layout: SiteLayout
    public var includeDrafts: Bool
    /// Threads for rendering and writing pages; 1 renders serially. Markdown parsing always runs on one.
    public var jobs: Int

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
    public func build() throws(BuildFailure) -> BuildReport {
        let layout = options.layout
        if let problem = OutputWriter.checkOutput(layout) { throw BuildFailure([problem]) }
        let prepared = try prepare()
        let written = try OutputWriter(layout: layout, jobs: options.jobs).write(prepared.result.files)
        step(5, "\(written) files to \(layout.relativePath(layout.output))/")
        let site = prepared.site
        return BuildReport(articles: site.articles.count, nutrients: site.nutrients.count, conditions: site.conditions.count,
                           symptoms: site.symptoms.count, pages: prepared.pages, files: written, warnings: prepared.warnings)
    }

    /// Everything `build` checks, without writing: for `materia check`. Returns the external
    /// links of the site (body links and reference URLs) with where they are written.
    public func check() throws(BuildFailure) -> (warnings: [Diagnostic], externalLinks: [(location: SourceLocation, url: String)]) {
        let prepared = try prepare()
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

    /// Phases 1 to 4: load, validate, resolve, render (with every internal link checked).
    private func prepare() throws(BuildFailure) -> (site: ResolvedSite, result: RenderResult, pages: Int, warnings: [Diagnostic]) {
        let layout = options.layout
        let (loaded, loadProblems) = SiteLoader(layout: layout, includeDrafts: options.includeDrafts).load()
        var diagnostics = loadProblems
        guard let source = loaded else { throw BuildFailure(diagnostics.sorted) }
        diagnostics.append(contentsOf: SiteValidator(source: source).validate())
        guard let templates = source.templates, !diagnostics.hasErrors else { throw BuildFailure(diagnostics.sorted) }
        step(1, "\(source.articles.count) articles, \(source.nutrients.count) nutrients, \(source.conditions.count) conditions, "
            + "\(source.symptoms.count) symptoms, \(templates.names.count) templates")
        step(2, "no errors" + (diagnostics.warnings.isEmpty ? "" : ", \(diagnostics.warnings.count) warnings"))

        let site = SiteResolver(source: source).resolve()
        step(3, "links between \(site.articles.count + site.nutrients.count + site.conditions.count + site.symptoms.count) pages")

        let renderer = PageRenderer(site: site, templates: templates, staticFiles: source.staticFiles, jobs: options.jobs)
        let pages = renderer.pages()
        let result = try renderer.render(pages).get()
        step(4, "\(pages.count) pages, \(result.texts.links.count) internal links checked")
        return (site, result, pages.count, diagnostics.warnings)
    }
}
