import MateriaContent

/// A file of the built site: its path below the output folder and its bytes.
public struct OutputFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
}

/// Phase 4 (render): Markdown to HTML on one thread, then every page through its template in parallel.
struct PageRenderer {
    let site: ResolvedSite
    let templates: TemplateSet
    let jobs: Int

    func pages() -> [Page] {
        var pages: [Page] = [.home, .articleList, .nutrientList, .conditionList, .symptomList, .faq, .keyPoints,
                             .disclaimer, .notFound]
        pages += site.articles.map { .article($0.slug.value) }
        pages += site.nutrients.map { .nutrient($0.id) }
        pages += site.conditions.map { .condition($0.id) }
        pages += site.symptoms.map { .symptom($0.id) }
        return pages
    }

    func render(_ pages: [Page]) -> Result<[OutputFile], BuildFailure> {
        let contexts = PageContexts(site: site, texts: MarkdownPhase(site: site).run())
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
