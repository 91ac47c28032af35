import Foundation
import MateriaContent
import MateriaMarkdown

/// schema.org JSON-LD for each page, saying what the page shows: a `MedicalWebPage` (review
/// date, reviewer, subject, citations, reading time), `FAQPage` questions, nutrients as
/// `DietarySupplement` with recommended and maximum dose schedules per authority, conditions as
/// `MedicalCondition` with their signs and symptoms, and the breadcrumb trail.
struct StructuredData {
    let site: ResolvedSite
    let texts: RenderedTexts

    private var base: String { site.config.baseURL }
    private func url(_ page: Page) -> String { base + page.path }

    /// JSON safe inside `<script type="application/ld+json">`: `<`, `>` and `&` are escaped, so
    /// no content can close the element or open a comment.
    func script(for page: Page, title: String, breadcrumbs: [(String, Page?)]) -> String {
        var graph: [[String: Any]] = [webPage(page, title: title)]
        switch page {
        case .article(let slug):
            if let article = site.articleBySlug[slug], !article.faq.isEmpty {
                graph.append(faqPage(page, [(article, texts.faqAnswers[slug] ?? [])]))
            }
        case .faq:
            let entries = site.articles.filter { !$0.faq.isEmpty }.map { ($0, texts.faqAnswers[$0.slug.value] ?? []) }
            if !entries.isEmpty { graph.append(faqPage(page, entries)) }
        default: break
        }
        if breadcrumbs.count > 1 {
            graph.append([
                "@type": "BreadcrumbList",
                "itemListElement": breadcrumbs.enumerated().map { index, crumb -> [String: Any] in
                    var item: [String: Any] = ["@type": "ListItem", "position": index + 1, "name": crumb.0]
                    item["item"] = url(crumb.1 ?? page)
                    return item
                },
            ])
        }
        let document: [String: Any] = ["@context": "https://schema.org", "@graph": graph]
        return JSONText.encode(document)
    }

    private func organization(_ id: String) -> [String: Any] {
        ["@type": "Organization", "name": site.config.authorities[id] ?? id, "alternateName": id]
    }

    private func webPage(_ page: Page, title: String) -> [String: Any] {
        var node: [String: Any] = [
            "@type": "MedicalWebPage", "@id": url(page) + "#page", "url": url(page), "name": title,
            "inLanguage": site.config.language,
            "isPartOf": ["@type": "WebSite", "name": site.config.title, "url": base],
        ]
        switch page {
        case .article(let slug):
            guard let article = site.articleBySlug[slug] else { break }
            node["headline"] = article.title
            node["description"] = article.summary
            if let date = article.date { node["datePublished"] = date.iso }
            if let modified = SiteFeeds.lastModified(article) { node["dateModified"] = modified.iso }
            if let reviewed = article.reviewed { node["lastReviewed"] = reviewed.iso }
            if let reviewer = article.reviewer { node["reviewedBy"] = ["@type": "Person", "name": reviewer] }
            if let author = article.author { node["author"] = ["@type": "Organization", "name": author] }
            let words = texts.articleBodies[slug]?.wordCount ?? 0
            node["timeRequired"] = "PT\(max(1, Int((Double(words) / 200).rounded(.up))))M"
            var about: [[String: Any]] = []
            for id in unique(article.nutrients.map(\.value)) {
                if let nutrient = site.nutrientByID[id] { about.append(["@type": "DietarySupplement", "name": nutrient.name, "url": url(.nutrient(id))]) }
            }
            for id in unique(article.conditions.map(\.value)) {
                if let condition = site.conditionByID[id] { about.append(["@type": "MedicalCondition", "name": condition.name, "url": url(.condition(id))]) }
            }
            for id in unique(article.symptoms.map(\.value)) {
                if let symptom = site.symptomByID[id] { about.append(["@type": "MedicalSignOrSymptom", "name": symptom.name, "url": url(.symptom(id))]) }
            }
            if !about.isEmpty { node["about"] = about }
            if !article.references.isEmpty { node["citation"] = article.references.map(citation) }
            if !article.keyPoints.isEmpty { node["abstract"] = article.keyPoints.joined(separator: " ") }
        case .nutrient(let id):
            guard let nutrient = site.nutrientByID[id] else { break }
            node["description"] = nutrient.summary
            node["about"] = supplement(nutrient)
            if !nutrient.references.isEmpty { node["citation"] = nutrient.references.map(citation) }
        case .condition(let id):
            guard let condition = site.conditionByID[id] else { break }
            node["description"] = condition.summary
            var about: [String: Any] = ["@type": "MedicalCondition", "name": condition.name, "url": url(page), "description": condition.summary]
            if !condition.aliases.isEmpty { about["alternateName"] = condition.aliases }
            let symptoms = (site.symptomsOfCondition[id] ?? []).compactMap { symptomID in
                site.symptomByID[symptomID].map { ["@type": "MedicalSignOrSymptom", "name": $0.name, "url": url(.symptom(symptomID))] as [String: Any] }
            }
            if !symptoms.isEmpty { about["signOrSymptom"] = symptoms }
            node["about"] = about
            if !condition.references.isEmpty { node["citation"] = condition.references.map(citation) }
        case .symptom(let id):
            guard let symptom = site.symptomByID[id] else { break }
            node["description"] = symptom.summary
            var about: [String: Any] = ["@type": "MedicalSignOrSymptom", "name": symptom.name, "url": url(page), "description": symptom.summary]
            if !symptom.aliases.isEmpty { about["alternateName"] = symptom.aliases }
            node["about"] = about
            if !symptom.references.isEmpty { node["citation"] = symptom.references.map(citation) }
        default:
            node["description"] = site.config.description
        }
        return node
    }

    /// The nutrient with its reference intakes and upper limits as dose schedules.
    private func supplement(_ nutrient: Nutrient) -> [String: Any] {
        var node: [String: Any] = ["@type": "DietarySupplement", "name": nutrient.name, "url": url(.nutrient(nutrient.id)),
                                   "description": nutrient.summary]
        if !nutrient.aliases.isEmpty { node["alternateName"] = nutrient.aliases }
        if !nutrient.referenceIntakes.isEmpty {
            node["recommendedIntake"] = nutrient.referenceIntakes.map { intake -> [String: Any] in
                ["@type": "RecommendedDoseSchedule", "doseValue": intake.value, "doseUnit": nutrient.unit, "frequency": "daily",
                 "targetPopulation": intake.group, "name": "\(intake.kind.rawValue) (\(intake.authority.value))",
                 "recognizingAuthority": organization(intake.authority.value)]
            }
        }
        if !nutrient.upperLimits.isEmpty {
            node["maximumIntake"] = nutrient.upperLimits.map { limit -> [String: Any] in
                var schedule: [String: Any] = ["@type": "MaximumDoseSchedule", "doseValue": limit.value, "doseUnit": nutrient.unit,
                                               "frequency": "daily", "targetPopulation": limit.group,
                                               "recognizingAuthority": organization(limit.authority.value)]
                if let scope = limit.scope { schedule["description"] = "Applies to: \(scope)" }
                return schedule
            }
        }
        return node
    }

    private func citation(_ citation: Citation) -> [String: Any] {
        var node: [String: Any] = ["@type": "CreativeWork", "name": citation.title]
        if let url = citation.url { node["url"] = url }
        if let publisher = citation.publisher { node["publisher"] = ["@type": "Organization", "name": publisher] }
        if let year = citation.year { node["datePublished"] = String(year) }
        return node
    }

    private func faqPage(_ page: Page, _ entries: [(Article, [String])]) -> [String: Any] {
        var questions: [[String: Any]] = []
        for (article, answers) in entries {
            for (index, entry) in article.faq.enumerated() {
                let answer = index < answers.count ? Self.plainText(answers[index]) : entry.answer
                questions.append(["@type": "Question", "name": entry.question,
                                  "acceptedAnswer": ["@type": "Answer", "text": answer, "url": url(.article(article.slug.value)) + "#faq-\(index + 1)"]])
            }
        }
        return ["@type": "FAQPage", "@id": url(page) + "#faq", "url": url(page), "mainEntity": questions]
    }

    /// The text of rendered HTML: tags dropped, the five entities decoded, space collapsed.
    /// One pass over the bytes (the FAQ page reads every answer of the site).
    static func plainText(_ html: String) -> String {
        let entities: [(String, UInt8)] = [("&lt;", 0x3C), ("&gt;", 0x3E), ("&quot;", 0x22), ("&#39;", 0x27), ("&amp;", 0x26)]
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0, inTag = false, pendingSpace = false
        func emit(_ byte: UInt8) {
            if pendingSpace && !out.isEmpty && byte != 0x2E && byte != 0x2C { out.append(0x20) }
            pendingSpace = false
            out.append(byte)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inTag {
                if byte == 0x3E { inTag = false; pendingSpace = true }
            } else if byte == 0x3C {
                inTag = true
            } else if byte == 0x20 || byte == 0x0A || byte == 0x09 {
                pendingSpace = true
            } else if byte == 0x26, let (entity, value) = entities.first(where: { bytes[index...].starts(with: $0.0.utf8) }) {
                emit(value)
                index += entity.utf8.count
                continue
            } else {
                emit(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
