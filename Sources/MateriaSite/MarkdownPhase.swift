import MateriaContent
import MateriaMarkdown

/// The HTML of every Markdown text in the site, keyed by where it came from.
public struct RenderedTexts: Sendable {
    public var articleBodies: [String: RenderedMarkdown] = [:]
    /// FAQ answers per article slug, in FAQ order.
    public var faqAnswers: [String: [String]] = [:]
    /// Entity descriptions keyed by "kind/id".
    public var descriptions: [String: String] = [:]
    public var disclaimer: String = ""
}

/// Converts every Markdown text with cmark-gfm. cmark-gfm parsing is not thread-safe, so this
/// runs on one thread (the renderer's lock would serialise it anyway) while pages render in parallel.
struct MarkdownPhase {
    let site: ResolvedSite
    /// Literal `id="…"` values of the article and disclaimer pages' templates; heading anchors avoid them.
    let articleIDs: Set<String>
    let disclaimerIDs: Set<String>

    func run() -> RenderedTexts {
        let inline = MarkdownOptions(allowRawHTML: site.config.allowRawHTML, isFragment: true)
        var texts = RenderedTexts()
        for article in site.articles {
            // FAQ entries are anchored as faq-1, faq-2, … on the same page.
            let faqIDs = (0..<article.faq.count).map { "faq-\($0 + 1)" }
            let options = MarkdownOptions(allowRawHTML: site.config.allowRawHTML, reservedIDs: articleIDs.union(faqIDs))
            texts.articleBodies[article.slug.value] = MarkdownRenderer.render(article.body, options: options)
            texts.faqAnswers[article.slug.value] = article.faq.map { MarkdownRenderer.render($0.answer, options: inline).html }
        }
        for nutrient in site.nutrients {
            if let text = nutrient.description { texts.descriptions["nutrients/" + nutrient.id] = MarkdownRenderer.render(text, options: inline).html }
        }
        for condition in site.conditions {
            if let text = condition.description { texts.descriptions["conditions/" + condition.id] = MarkdownRenderer.render(text, options: inline).html }
        }
        for symptom in site.symptoms {
            if let text = symptom.description { texts.descriptions["symptoms/" + symptom.id] = MarkdownRenderer.render(text, options: inline).html }
        }
        texts.disclaimer = MarkdownRenderer.render(site.config.disclaimerFull,
                                                   options: MarkdownOptions(allowRawHTML: site.config.allowRawHTML, reservedIDs: disclaimerIDs)).html
        return texts
    }
}
