import MateriaContent

/// A file of the built site: its path below the output folder and its bytes.
public struct OutputFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
}

extension Page {
    /// Every page of a site, in a fixed order.
    static func all(articles: [Article], nutrients: [Nutrient], conditions: [Condition], symptoms: [Symptom]) -> [Page] {
        var pages: [Page] = [.home, .articleList, .nutrientList, .conditionList, .symptomList, .faq, .keyPoints,
                             .disclaimer, .notFound]
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

/// Phase 4 (render): Markdown to HTML on one thread, then every page through its template in parallel.
struct PageRenderer {
    let site: ResolvedSite
    let templates: TemplateSet
    let jobs: Int

    func pages() -> [Page] {
        Page.all(articles: site.articles, nutrients: site.nutrients, conditions: site.conditions, symptoms: site.symptoms)
    }

    func render(_ pages: [Page]) -> Result<[OutputFile], BuildFailure> {
        let contexts = PageContexts(site: site, texts: MarkdownPhase(site: site, articleIDs: templates.literalIDs(forPage: "article"),
                                                                          disclaimerIDs: templates.literalIDs(forPage: "disclaimer")).run())
        let templates = self.templates
        let results = parallelMap(pages, jobs: jobs) { page -> OutputFile? in
            guard let html = templates.render(page.template, contexts.context(for: page)) else { return nil }
            return OutputFile(path: page.file, bytes: Array(html.utf8))
        }
        var files: [OutputFile] = []
        var problems: [Diagnostic] = []
        for (page, file) in zip(pages, results) {
            if let file {
                files.append(file)
            } else {
                problems.append(Diagnostic(at: SourceLocation(path: "Templates/\(page.template).mustache"),
                                           "template '\(page.template)' could not render \(page.file)",
                                           fix: "check the template exists and is valid Mustache"))
            }
        }
        return problems.isEmpty ? .success(files) : .failure(BuildFailure(problems))
    }
}
