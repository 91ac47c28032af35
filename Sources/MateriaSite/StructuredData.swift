import Foundation
import MateriaContent
import MateriaMarkdown
import MateriaTemplates

/// schema.org JSON-LD for each page, saying what the page shows: a `MedicalWebPage` (review
/// date, reviewer, subject, citations, reading time), `FAQPage` questions, nutrients as
/// `DietarySupplement` with recommended and maximum dose schedules per authority, conditions as
/// `MedicalCondition` with their signs and symptoms, and the breadcrumb trail.
struct StructuredData {
    let site: ResolvedSite
    let texts: RenderedTexts
    /// What an article's `about` holds for each nutrient, condition and symptom (by its page),
    /// written once: reading an entity's name for every article copied the whole entity (a
    /// reference count on each of its fields, which every article page shares).
    private let about: [Page: [UInt8]]

    init(site: ResolvedSite, texts: RenderedTexts) {
        self.site = site
        self.texts = texts
        var about: [Page: [UInt8]] = [:]
        func add(_ page: Page, _ type: StaticString, _ name: String) {
            var out: [UInt8] = []
            type.withUTF8Buffer { out.append(contentsOf: $0) }  // `type` quoted
            out += Array(#","name":"#.utf8)
            JSONText.writeString(name, to: &out)
            out += Array(#","url":"#.utf8)
            JSONText.writeString(page.path(after: site.config.baseURL), to: &out)
            out.append(0x7D)
            about[page] = out
        }
        for nutrient in site.nutrients { add(.nutrient(nutrient.id), #""DietarySupplement""#, nutrient.name) }
        for condition in site.conditions { add(.condition(condition.id), #""MedicalCondition""#, condition.name) }
        for symptom in site.symptoms { add(.symptom(symptom.id), #""MedicalSignOrSymptom""#, symptom.name) }
        self.about = about
    }

    private var base: String { site.config.baseURL }
    private func url(_ page: Page) -> String { page.path(after: base) }

    /// JSON safe inside `<script type="application/ld+json">`: `<`, `>` and `&` are escaped, so
    /// no content can close the element or open a comment.
    /// `shown`: on an article's page, the article with its word count and FAQ answers (its page's
    /// context has looked them up already).
    func script(for page: Page, title: String, breadcrumbs: [(String, Page?)],
                shown: (article: Article, wordCount: Int, answers: [String])?) -> [UInt8] {
        if let shown { return articleScript(shown.article, page, title: title, breadcrumbs: breadcrumbs, words: shown.wordCount, answers: shown.answers) }
        var graph: [JSONValue] = [.object(webPage(page, title: title))]
        var capacity = 4096
        if case .faq = page {
            let entries = site.articles.filter { !$0.faq.isEmpty }.map { ($0, texts.faqAnswers[$0.slug.value] ?? []) }
            if !entries.isEmpty {
                capacity += faqSize(entries)
                graph.append(.written { writeFAQPage(page, entries, to: &$0) })
            }
        }
        if breadcrumbs.count > 1 {
            graph.append(.written { writeBreadcrumbs(page, breadcrumbs, to: &$0) })
        }
        let document: JSONValue = ["@context": "https://schema.org", "@graph": .array(graph)]
        return JSONText.bytes(document, capacity: capacity)
    }

    /// An article's JSON-LD, written straight to bytes with the members of each object in name
    /// order (as `JSONText` sorts them), so the same bytes as a tree would give. It runs for
    /// every article: building the tree and sorting its members took most of the pages' JSON time.
    private func articleScript(_ article: Article, _ page: Page, title: String, breadcrumbs: [(String, Page?)], words: Int,
                               answers: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        func raw(_ text: StaticString) { text.withUTF8Buffer { out.append(contentsOf: $0) } }
        func string(_ text: String) { JSONText.writeString(text, to: &out) }
        let pageURL = url(page)
        raw(#"{"@context":"https://schema.org","@graph":[{"@id":"#)
        string(pageURL + "#page")
        raw(#","@type":"MedicalWebPage""#)
        var first = true
        func about(_ page: Page) {
            guard let written = self.about[page] else { return }
            raw(first ? #","about":[{"@type":"# : #",{"@type":"#)
            first = false
            out += written
        }
        for id in unique(article.nutrients.map(\.value)) { about(.nutrient(id)) }
        for id in unique(article.conditions.map(\.value)) { about(.condition(id)) }
        for id in unique(article.symptoms.map(\.value)) { about(.symptom(id)) }
        if !first { raw("]") }
        if !article.keyPoints.isEmpty {
            raw(#","abstract":"#)
            string(article.keyPoints.joined(separator: " "))
        }
        if let author = article.author {
            raw(#","author":{"@type":"Organization","name":"#)
            string(author)
            raw("}")
        }
        if !article.references.isEmpty {
            raw(#","citation":["#)
            for (index, reference) in article.references.enumerated() {
                if index > 0 { raw(",") }
                JSONText.write(citation(reference), to: &out)
            }
            raw("]")
        }
        if let modified = SiteFeeds.lastModified(article) {
            raw(#","dateModified":"#)
            string(modified.iso)
        }
        if let date = article.date {
            raw(#","datePublished":"#)
            string(date.iso)
        }
        raw(#","description":"#)
        string(article.summary)
        raw(#","headline":"#)
        string(article.title)
        raw(#","inLanguage":"#)
        string(site.config.language)
        raw(#","isPartOf":{"@type":"WebSite","name":"#)
        string(site.config.title)
        raw(#","url":"#)
        string(base)
        raw("}")
        if let reviewed = article.reviewed {
            raw(#","lastReviewed":"#)
            string(reviewed.iso)
        }
        raw(#","name":"#)
        string(title)
        if let reviewer = article.reviewer {
            raw(#","reviewedBy":{"@type":"Person","name":"#)
            string(reviewer)
            raw("}")
        }
        raw(#","timeRequired":"#)
        string("PT\(max(1, Int((Double(words) / 200).rounded(.up))))M")
        raw(#","url":"#)
        string(pageURL)
        raw("}")
        if !article.faq.isEmpty {
            raw(",")
            writeFAQPage(page, [(article, answers)], to: &out)
        }
        if breadcrumbs.count > 1 {
            raw(",")
            writeBreadcrumbs(page, breadcrumbs, to: &out)
        }
        raw("]}")
        return out
    }

    /// `{"@type":"BreadcrumbList","itemListElement":[{"@type":"ListItem","item":…,"name":…,"position":…},…]}`:
    /// the trail's last crumb (with no page) is the page itself.
    private func writeBreadcrumbs(_ page: Page, _ breadcrumbs: [(String, Page?)], to out: inout [UInt8]) {
        out += Self.breadcrumbsOpen
        for (index, crumb) in breadcrumbs.enumerated() {
            if index > 0 { out.append(0x2C) }
            out += Self.listItemOpen
            JSONText.writeString(url(crumb.1 ?? page), to: &out)
            out += Self.listItemName
            JSONText.writeString(crumb.0, to: &out)
            out += Self.listItemPosition
            JSONText.writeDecimal(index + 1, to: &out)
            out.append(0x7D)
        }
        out += [0x5D, 0x7D]
    }

    private static let breadcrumbsOpen = Array(#"{"@type":"BreadcrumbList","itemListElement":["#.utf8)
    private static let listItemOpen = Array(#"{"@type":"ListItem","item":"#.utf8)
    private static let listItemName = Array(#","name":"#.utf8)
    private static let listItemPosition = Array(#","position":"#.utf8)

    private func organization(_ id: String) -> JSONValue {
        ["@type": "Organization", "name": .string(site.config.authorities[id] ?? id), "alternateName": .string(id)]
    }

    private func webPage(_ page: Page, title: String) -> JSONObject {
        var node: JSONObject = [
            "@type": "MedicalWebPage", "@id": .string(url(page) + "#page"), "url": .string(url(page)), "name": .string(title),
            "inLanguage": .string(site.config.language),
            "isPartOf": ["@type": "WebSite", "name": .string(site.config.title), "url": .string(base)],
        ]
        switch page {
        case .article:
            // Written by `articleScript`; an article that is not in the site gets the common members only.
            break
        case .nutrient(let id):
            guard let nutrient = site.nutrientByID[id] else { break }
            node["description"] = .string(nutrient.summary)
            node["about"] = .object(supplement(nutrient))
            if !nutrient.references.isEmpty { node["citation"] = .array(nutrient.references.map(citation)) }
        case .condition(let id):
            guard let condition = site.conditionByID[id] else { break }
            node["description"] = .string(condition.summary)
            var about: JSONObject = ["@type": "MedicalCondition", "name": .string(condition.name), "url": .string(url(page)), "description": .string(condition.summary)]
            if !condition.aliases.isEmpty { about["alternateName"] = .array(condition.aliases.map(JSONValue.string)) }
            let symptoms = (site.symptomsOfCondition[id] ?? []).compactMap { symptomID in
                site.symptomByID[symptomID].map { ["@type": "MedicalSignOrSymptom", "name": .string($0.name), "url": .string(url(.symptom(symptomID)))] as JSONValue }
            }
            if !symptoms.isEmpty { about["signOrSymptom"] = .array(symptoms) }
            node["about"] = .object(about)
            if !condition.references.isEmpty { node["citation"] = .array(condition.references.map(citation)) }
        case .symptom(let id):
            guard let symptom = site.symptomByID[id] else { break }
            node["description"] = .string(symptom.summary)
            var about: JSONObject = ["@type": "MedicalSignOrSymptom", "name": .string(symptom.name), "url": .string(url(page)), "description": .string(symptom.summary)]
            if !symptom.aliases.isEmpty { about["alternateName"] = .array(symptom.aliases.map(JSONValue.string)) }
            node["about"] = .object(about)
            if !symptom.references.isEmpty { node["citation"] = .array(symptom.references.map(citation)) }
        default:
            node["description"] = .string(site.config.description)
        }
        return node
    }

    /// The nutrient with its reference intakes and upper limits as dose schedules.
    private func supplement(_ nutrient: Nutrient) -> JSONObject {
        var node: JSONObject = ["@type": "DietarySupplement", "name": .string(nutrient.name), "url": .string(url(.nutrient(nutrient.id))),
                                   "description": .string(nutrient.summary)]
        if !nutrient.aliases.isEmpty { node["alternateName"] = .array(nutrient.aliases.map(JSONValue.string)) }
        if !nutrient.referenceIntakes.isEmpty {
            node["recommendedIntake"] = .array(nutrient.referenceIntakes.map { intake -> JSONValue in
                ["@type": "RecommendedDoseSchedule", "doseValue": .double(intake.value), "doseUnit": .string(nutrient.unit), "frequency": "daily",
                 "targetPopulation": .string(intake.group), "name": .string("\(intake.kind.rawValue) (\(intake.authority.value))"),
                 "recognizingAuthority": organization(intake.authority.value)]
            })
        }
        if !nutrient.upperLimits.isEmpty {
            node["maximumIntake"] = .array(nutrient.upperLimits.map { limit -> JSONValue in
                var schedule: JSONObject = ["@type": "MaximumDoseSchedule", "doseValue": .double(limit.value), "doseUnit": .string(nutrient.unit),
                                               "frequency": "daily", "targetPopulation": .string(limit.group),
                                               "recognizingAuthority": organization(limit.authority.value)]
                if let scope = limit.scope { schedule["description"] = .string("Applies to: \(scope)") }
                return .object(schedule)
            })
        }
        return node
    }

    private func citation(_ citation: Citation) -> JSONValue {
        var node: JSONObject = ["@type": "CreativeWork", "name": .string(citation.title)]
        if let url = citation.url { node["url"] = .string(url) }
        if let publisher = citation.publisher { node["publisher"] = ["@type": "Organization", "name": .string(publisher)] }
        if let year = citation.year { node["datePublished"] = .string(String(year)) }
        return .object(node)
    }

    /// What the questions of `entries` take in JSON, roughly (with a quarter to spare): the FAQ
    /// page holds every entry of the site, and its JSON is reserved at once rather than grown.
    private func faqSize(_ entries: [(Article, [String])]) -> Int {
        var estimate = 2
        for (article, answers) in entries {
            for (index, entry) in article.faq.enumerated() {
                estimate += 160 + entry.question.utf8.count + (index < answers.count ? answers[index].utf8.count : entry.answer.utf8.count)
            }
        }
        return estimate + estimate / 4
    }

    /// `{"@id":…,"@type":"FAQPage","mainEntity":[…],"url":…}` with the questions of `entries`
    /// (an article's own, or on the FAQ page every entry of the site): written straight into the
    /// JSON, members in name order, never built as a tree, so the page's JSON-LD never exists
    /// twice over in memory.
    private func writeFAQPage(_ page: Page, _ entries: [(Article, [String])], to out: inout [UInt8]) {
        let pageURL = url(page)
        out += Self.faqOpen
        JSONText.writeString(pageURL + "#faq", to: &out)
        out += Self.faqType
        var first = true
        for (article, answers) in entries {
            // The answers' URLs differ only in their number: the rest is escaped once per article.
            var urlStart: [UInt8] = [0x22]
            (Page.article(article.slug.value).path(after: base) + "#faq-").withUTF8InPlace {
                JSONText.writeString($0, to: &urlStart, forScript: true, quoted: false)
            }
            // Entries read in place (a copy of one is five retains and five releases).
            for index in article.faq.indices {
                if !first { out.append(0x2C) }
                first = false
                out += Self.questionOpen
                if index < answers.count {
                    JSONText.writeString(Self.plainText(answers[index]), to: &out)
                } else {
                    JSONText.writeString(article.faq[index].answer, to: &out)
                }
                out += Self.answerURL
                out += urlStart
                JSONText.writeDecimal(index + 1, to: &out)
                out.append(0x22)
                out += Self.questionName
                JSONText.writeString(article.faq[index].question, to: &out)
                out.append(0x7D)
            }
        }
        out += Self.faqURL
        JSONText.writeString(pageURL, to: &out)
        out.append(0x7D)
    }

    private static let faqOpen = Array(#"{"@id":"#.utf8)
    private static let faqType = Array(#","@type":"FAQPage","mainEntity":["#.utf8)
    private static let faqURL = Array(#"],"url":"#.utf8)
    /// The fixed parts of a question: `{"@type":"Question","acceptedAnswer":{"@type":"Answer","text":…,"url":…},"name":…}`.
    private static let questionOpen = Array(#"{"@type":"Question","acceptedAnswer":{"@type":"Answer","text":"#.utf8)
    private static let answerURL = Array(#","url":"#.utf8)
    private static let questionName = Array(#"},"name":"#.utf8)

    /// The text of rendered HTML: tags dropped, the five entities decoded, space collapsed.
    /// One pass over the bytes (the FAQ page reads every answer of the site).
    /// As UTF-8 bytes, which is how the JSON writer takes it. Text between tags and spaces is
    /// copied in runs; tags are skipped with memchr.
    static func plainText(_ html: String) -> [UInt8] {
        html.withUTF8InPlace { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var index = 0, pendingSpace = false
            // A pending space goes out before the next text, unless that starts with "." or ",".
            func spaceBefore(_ first: UInt8) {
                if pendingSpace && !out.isEmpty && first != 0x2E && first != 0x2C { out.append(0x20) }
                pendingSpace = false
            }
            while index < bytes.count {
                switch plainTextClass[Int(bytes[index])] {
                case 1:  // "<": the tag is dropped, and counts as a space
                    guard let close = memchr(bytes.baseAddress! + index + 1, 0x3E, bytes.count - index - 1) else { return out }
                    index = UnsafePointer(close.assumingMemoryBound(to: UInt8.self)) - bytes.baseAddress! + 1
                    pendingSpace = true
                case 2:  // space, line break, tab
                    pendingSpace = true
                    index += 1
                case 3:  // "&": one of cmark-gfm's entities, or a lone ampersand
                    let (length, value) = entity(bytes, at: index) ?? (1, 0x26)
                    spaceBefore(value)
                    out.append(value)
                    index += length
                default:
                    // A run of text, with the single spaces inside it (between words): each of
                    // those would go out as it is anyway, before text that is not "." or ",".
                    var end = index + 1
                    while end < bytes.count {
                        let kind = plainTextClass[Int(bytes[end])]
                        if kind == 0 { end += 1; continue }
                        guard bytes[end] == 0x20, end + 1 < bytes.count, plainTextClass[Int(bytes[end + 1])] == 0,
                              bytes[end + 1] != 0x2E, bytes[end + 1] != 0x2C else { break }
                        end += 2
                    }
                    spaceBefore(bytes[index])
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<end]))
                    index = end
                }
            }
            return out
        }
    }

    /// 1 for "<", 2 for space, line feed and tab, 3 for "&", 0 for the bytes copied as they are.
    private static let plainTextClass: [UInt8] = (0..<256).map { byte in
        switch byte {
        case 0x3C: return 1
        case 0x20, 0x0A, 0x09: return 2
        case 0x26: return 3
        default: return 0
        }
    }

    /// The five entities cmark-gfm writes (`&lt;` `&gt;` `&quot;` `&#39;` `&amp;`) at `index`:
    /// their length and the byte they stand for.
    @inline(__always)
    private static func entity(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (Int, UInt8)? {
        func matches(_ name: StaticString) -> Bool {
            let count = name.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            let pointer = name.utf8Start
            for offset in 0..<count where bytes[index + offset] != pointer[offset] { return false }
            return true
        }
        if matches("&lt;") { return (4, 0x3C) }
        if matches("&gt;") { return (4, 0x3E) }
        if matches("&quot;") { return (6, 0x22) }
        if matches("&#39;") { return (5, 0x27) }
        if matches("&amp;") { return (5, 0x26) }
        return nil
    }
}
