import MateriaContent
import MateriaMarkdown
import MateriaTemplates

/// One page of the output: its kind and the URL path below the site root ("" for home).
public enum Page: Sendable, Hashable {
    case home, disclaimer, faq, keyPoints, azIndex, search, notFound
    case articleList, nutrientList, conditionList, symptomList
    case article(String), nutrient(String), condition(String), symptom(String)

    /// URL path relative to the site root, with a trailing slash ("articles/x/").
    var path: String { path(after: "") }

    /// `prefix + path`, made in one string (a link or a URL to the page; made for every one).
    func path(after prefix: String) -> String {
        switch self {
        case .home: return prefix
        case .disclaimer: return prefix + "disclaimer/"
        case .faq: return prefix + "faq/"
        case .keyPoints: return prefix + "key-points/"
        case .azIndex: return prefix + "a-z/"
        case .search: return prefix + "search/"
        case .notFound: return prefix + "404.html"
        case .articleList: return prefix + "articles/"
        case .nutrientList: return prefix + "nutrients/"
        case .conditionList: return prefix + "conditions/"
        case .symptomList: return prefix + "symptoms/"
        case .article(let slug): return joined(prefix, "articles/", slug, "/")
        case .nutrient(let id): return joined(prefix, "nutrients/", id, "/")
        case .condition(let id): return joined(prefix, "conditions/", id, "/")
        case .symptom(let id): return joined(prefix, "symptoms/", id, "/")
        }
    }

    /// Whether the page shows something of every article (so grows with the site).
    var listsEveryArticle: Bool {
        switch self {
        case .home, .faq, .keyPoints, .azIndex, .articleList: return true
        default: return false
        }
    }

    /// File the page is written to.
    var file: String { path.hasSuffix(".html") ? path : path + "index.html" }

    var template: String {
        switch self {
        case .home: return "home"
        case .disclaimer: return "disclaimer"
        case .faq: return "faq"
        case .keyPoints: return "key-points"
        case .azIndex: return "a-z"
        case .search: return "search"
        case .notFound: return "404"
        case .articleList, .nutrientList, .conditionList, .symptomList: return "list"
        case .article: return "article"
        case .nutrient: return "nutrient"
        case .condition: return "condition"
        case .symptom: return "symptom"
        }
    }
}

/// Builds the Mustache context of each page from the resolved site. Every value is plain text
/// (escaped by `{{ }}`) unless its key ends in `_html`, which holds HTML Materia generated.
struct PageContexts: Sendable {
    let site: ResolvedSite
    let texts: RenderedTexts
    let assets: AssetManifest
    /// The "nutrients in this article" box of each nutrient, made once: every article page
    /// sits at the same depth, so the box is the same on all of them.
    private var articleFacts: [String: TemplateObject] = [:]
    /// Each condition's and symptom's entry in an article page's lists, made once for the same
    /// reason (and a lookup of the entity itself copied it whole: a reference count on each of
    /// its fields, shared by every article page).
    private var articleConditions: [String: TemplateValue] = [:]
    private var articleSymptoms: [String: TemplateValue] = [:]
    /// What every article page's context shares (settings, navigation): made once, as above.
    private var articleCommon: TemplateObject = [:]
    /// The pages' JSON-LD writer, made once: made per page, it copied the site and its texts
    /// (a reference count on each of their thirty-odd members, which every page shares).
    private let structuredData: StructuredData

    init(site: ResolvedSite, texts: RenderedTexts, assets: AssetManifest) {
        basePath = Self.basePath(of: site.config.baseURL)
        self.site = site
        self.texts = texts
        self.assets = assets
        structuredData = StructuredData(site: site, texts: texts)
        let links = Links(page: .article("x"), basePath: "/")
        articleFacts = Dictionary(uniqueKeysWithValues: site.nutrients.map { ($0.id, quickFacts($0, links)) })
        articleConditions = Dictionary(uniqueKeysWithValues: site.conditions.map { ($0.id, item($0.name, links.condition($0.id), $0.summary)) })
        articleSymptoms = Dictionary(uniqueKeysWithValues: site.symptoms.map { ($0.id, item($0.name, links.symptom($0.id), $0.summary)) })
        articleCommon = shared(.article("x"), links)
    }

    /// Throws only when a build's parked article HTML cannot be read back.
    func context(for page: Page) throws(TextSpill.ReadFailure) -> TemplateObject {
        let links = Links(page: page, basePath: basePath)
        var context: TemplateObject
        // The article an article page shows, with what its JSON-LD takes from the article's texts.
        var shown: (article: Article, wordCount: Int, answers: [String])?
        if case .article = page { context = articleCommon } else { context = shared(page, links) }
        if site.config.baseURL.hasPrefix("http") { context["canonical"] = .text(page.path(after: site.config.baseURL)) }
        switch page {
        case .home: context.merge(home(links)) { $1 }
        case .disclaimer:
            context["title"] = "Medical disclaimer"
            context["body_html"] = .text(SiteLink.complete(texts.disclaimer, root: links.root))
            context["breadcrumbs"] = crumbs(links, [("Medical disclaimer", nil)])
        case .faq: context.merge(faq(links)) { $1 }
        case .keyPoints: context.merge(keyPoints(links)) { $1 }
        case .azIndex: context.merge(azIndex(links)) { $1 }
        case .search:
            context["title"] = "Search"
            context["description"] = "Search the articles, nutrients, conditions and symptoms of \(site.config.title)."
            context["index_href"] = .text(links.to("search-index.json"))
            context["script_href"] = .text(links.to(assets.path("search.js")))
            context["az_href"] = .text(links.to(Page.azIndex.path))
            context["breadcrumbs"] = crumbs(links, [("Search", nil)])
        case .notFound:
            context["title"] = "Page not found"
        case .articleList:
            context.merge(list("Articles", "Every article in \(site.config.title), A to Z.",
                               site.articles.map { item($0.title, links.article($0.slug.value), $0.summary) }, links)) { $1 }
        case .nutrientList:
            context.merge(list("Nutrients", "Minerals and vitamins, with reference intakes, upper limits and food sources.",
                               site.nutrients.map { item($0.name, links.nutrient($0.id), $0.summary, kind: $0.kind.rawValue) }, links)) { $1 }
        case .conditionList:
            context.merge(list("Conditions", "Conditions linked to too little or too much of a nutrient.",
                               site.conditions.map { item($0.name, links.condition($0.id), $0.summary) }, links)) { $1 }
        case .symptomList:
            context.merge(list("Symptoms", "Symptoms, and the conditions and nutrients behind them.",
                               site.symptoms.map { item($0.name, links.symptom($0.id), $0.summary) }, links)) { $1 }
        case .article(let slug): shown = try article(site.articleBySlug[slug]!, links, into: &context)
        case .nutrient(let id): context.merge(nutrient(site.nutrientByID[id]!, links)) { $1 }
        case .condition(let id): context.merge(condition(site.conditionByID[id]!, links)) { $1 }
        case .symptom(let id): context.merge(symptom(site.symptomByID[id]!, links)) { $1 }
        }
        if let backlinks = texts.backlinks[page.key] {
            // Read in place: a copy of each backlink was four retains and four releases (one per
            // string) for one use of each string.
            context["mentioned_in"] = .objects(backlinks.withUnsafeBufferPointer { backlinks in
                backlinks.indices.map { index in
                    ["title": .kept(backlinks[index].title), "href": .text(links.to(backlinks[index].path)),
                     "context": .kept(backlinks[index].context),
                     "kind": .text(String(decoding: backlinks[index].sourceKey.utf8.prefix { $0 != 0x3A }, as: UTF8.self))]
                }
            })
        }
        var title = site.config.title
        if let text = context["title"]?.string { title = text }
        if context["page_title"] == nil, context["title"] != nil {
            context["page_title"] = page == .home ? .text(site.config.title) : "\(title) | \(site.config.title)"
        }
        context["og_type"] = { if case .article = page { return "article" } else { return "website" } }()
        context["jsonld_html"] = .bytes(structuredData.script(for: page, title: title, breadcrumbs: trail(page, title), shown: shown))
        // `{{#has_faq}}` and the like are answered by the template engine from the lists themselves.
        return context
    }

    /// Path of the site below its host ("/kb/" for https://example.org/kb/), for the 404 page,
    /// which is served at any depth and so cannot use relative links.
    private let basePath: String

    private static func basePath(of base: String) -> String {
        guard let schemeEnd = base.range(of: "://") else { return base }
        let afterHost = base[schemeEnd.upperBound...]
        guard let slash = afterHost.firstIndex(of: "/") else { return "/" }
        return String(afterHost[slash...])
    }

    /// The values every page has, but for its canonical address (which `context` adds): they
    /// depend on the page's depth and section only.
    private func shared(_ page: Page, _ links: Links) -> TemplateObject {
        var context: TemplateObject = [
            "lang": .kept(site.config.language),
            "site_title": .kept(site.config.title),
            "site_description": .kept(site.config.description),
            "disclaimer_short": .kept(site.config.disclaimerShort),
            "home_href": .text(links.home),
            "stylesheet_href": .text(links.to(assets.path("style.css"))),
            "favicon_href": .text(links.to(assets.path("favicon.svg"))),
            "disclaimer_href": .text(links.to(Page.disclaimer.path)),
            "description": .kept(site.config.description),
        ]
        if site.config.baseURL.hasPrefix("http") { context["feed_href"] = .text(links.to("feed.xml")) }
        let nav: [(String, Page)] = [("Articles", .articleList), ("Nutrients", .nutrientList), ("Conditions", .conditionList),
                                     ("Symptoms", .symptomList), ("FAQ", .faq), ("Key points", .keyPoints), ("A–Z", .azIndex),
                                     ("Search", .search)]
        context["nav"] = .objects(nav.map { label, target -> TemplateObject in
            var entry: TemplateObject = ["label": .text(label), "href": .text(links.to(target.path))]
            if isSection(page, of: target) { entry["current"] = true }
            return entry
        })
        return context
    }

    private func isSection(_ page: Page, of target: Page) -> Bool {
        switch (page, target) {
        case (.article, .articleList), (.nutrient, .nutrientList), (.condition, .conditionList), (.symptom, .symptomList): return true
        default: return page == target
        }
    }

    /// The breadcrumb trail as pages, for structured data (the 404 page has none).
    private func trail(_ page: Page, _ title: String) -> [(String, Page?)] {
        switch page {
        case .home, .notFound: return [("Home", .home)]
        case .article: return [("Home", .home), ("Articles", .articleList), (title, nil)]
        case .nutrient: return [("Home", .home), ("Nutrients", .nutrientList), (title, nil)]
        case .condition: return [("Home", .home), ("Conditions", .conditionList), (title, nil)]
        case .symptom: return [("Home", .home), ("Symptoms", .symptomList), (title, nil)]
        default: return [("Home", .home), (title, nil)]
        }
    }

    /// The breadcrumb trail: labels are literals or the site's own names (kept by it, see
    /// `TemplateValue.kept`), never text made here.
    private func crumbs(_ links: Links, _ trail: [(String, String?)]) -> TemplateValue {
        .objects(([("Home", links.home)] + trail).map { label, href in
            href.map { ["label": .kept(label), "href": .text($0)] } ?? ["label": .kept(label), "current": true]
        })
    }

    /// An entry of a list of pages: `title` and `summary` are the site's own (kept by it, see
    /// `TemplateValue.kept`), `href` is made for the page that lists it.
    private func item(_ title: String, _ href: String, _ summary: String, kind: String? = nil) -> TemplateValue {
        var entry: TemplateObject = ["title": .kept(title), "href": .text(href), "summary": .kept(summary)]
        if let kind { entry["kind"] = .text(kind) }
        return .object(entry)
    }

    // MARK: pages

    private func home(_ links: Links) -> TemplateObject {
        let minerals = site.nutrients.filter { $0.kind == .mineral }
        let vitamins = site.nutrients.filter { $0.kind == .vitamin }
        return [
            "title": .text(site.config.title),
            "page_title": .text(site.config.title),
            "articles": .list(site.articles.map { item($0.title, links.article($0.slug.value), $0.summary) }),
            "minerals": .list(minerals.map { item($0.name, links.nutrient($0.id), $0.summary) }),
            "vitamins": .list(vitamins.map { item($0.name, links.nutrient($0.id), $0.summary) }),
            "conditions": .list(site.conditions.map { item($0.name, links.condition($0.id), $0.summary) }),
            "symptoms": .list(site.symptoms.map { item($0.name, links.symptom($0.id), $0.summary) }),
            "faq_href": .text(links.to(Page.faq.path)),
            "key_points_href": .text(links.to(Page.keyPoints.path)),
            "az_href": .text(links.to(Page.azIndex.path)),
            "articles_href": .text(links.to(Page.articleList.path)),
            "counts": "\(site.articles.count) articles, \(site.nutrients.count) nutrients, \(site.conditions.count) conditions and \(site.symptoms.count) symptoms",
        ]
    }

    private func list(_ title: String, _ intro: String, _ items: [TemplateValue], _ links: Links) -> TemplateObject {
        ["title": .text(title), "intro": .text(intro), "items": .list(items), "breadcrumbs": crumbs(links, [(title, nil)]), "description": .text(intro)]
    }

    /// An article's values, set straight into the page's `context` (which holds the shared ones):
    /// built apart and merged, every member was looked up twice over. Returns the article with
    /// its word count and FAQ answers, for its JSON-LD (each is looked up by slug once per page).
    private func article(_ article: Article, _ links: Links, into context: inout TemplateObject) throws(TextSpill.ReadFailure)
        -> (article: Article, wordCount: Int, answers: [String]) {
        let slug = article.slug.value
        let rendered = texts.articleBodies[slug]!
        let minutes = max(1, Int((Double(rendered.wordCount) / 200).rounded(.up)))
        // The article's own texts are kept by the site while its pages render (`TemplateValue.kept`).
        context["title"] = .kept(article.title)
        context["summary"] = .kept(article.summary)
        context["description"] = .kept(article.summary)
        context["reading_time"] = "\(minutes) min read"
        context["main_class"] = "with-sidebar"
        context["reading_minutes"] = .text(String(minutes))
        context["body_html"] = try texts.articleHTML(slug, rendered: rendered)
        context["breadcrumbs"] = crumbs(links, [("Articles", links.to(Page.articleList.path)), (article.title, nil)])
        if let date = article.date { context["published"] = day(date) }
        if let updated = article.updated { context["updated"] = day(updated) }
        if let reviewed = article.reviewed {
            context["reviewed"] = day(reviewed)
            context["next_review"] = day(reviewed.adding(months: site.config.reviewCycleMonths))
        }
        if let reviewer = article.reviewer { context["reviewer"] = .kept(reviewer) }
        if let author = article.author { context["author"] = .kept(author) }
        if !article.keyPoints.isEmpty { context["key_points"] = .objects(article.keyPoints.map { ["text": .kept($0)] }) }
        let toc = tableOfContents(rendered.headings)
        if !toc.isEmpty { context["toc"] = .objects(toc) }
        let answers = texts.faqAnswers[slug] ?? []
        if !article.faq.isEmpty {
            // Entries read in place: a copy of one is five retains and five releases.
            context["faq"] = .objects(article.faq.withUnsafeBufferPointer { faq in
                faq.indices.map { index -> TemplateObject in
                    ["question": .kept(faq[index].question), "answer_html": .text(SiteLink.complete(answers[index], root: links.root)),
                     "id": "faq-\(index + 1)"]
                }
            })
        }
        if !article.references.isEmpty { context["references"] = citations(article.references) }
        let nutrientFacts = unique(article.nutrients.map(\.value)).compactMap { articleFacts[$0] }
        if !nutrientFacts.isEmpty { context["nutrients"] = .objects(nutrientFacts) }
        let conditions = unique(article.conditions.map(\.value)).compactMap { articleConditions[$0] }
        if !conditions.isEmpty { context["conditions"] = .list(conditions) }
        let symptoms = unique(article.symptoms.map(\.value)).compactMap { articleSymptoms[$0] }
        if !symptoms.isEmpty { context["symptoms"] = .list(symptoms) }
        let related = (site.relatedArticles[slug] ?? []).compactMap { site.articleBySlug[$0] }
        if !related.isEmpty { context["related"] = .list(related.map { item($0.title, links.article($0.slug.value), $0.summary) }) }
        if !article.tags.isEmpty { context["tags"] = .objects(article.tags.map { ["tag": .kept($0)] }) }
        return (article, rendered.wordCount, answers)
    }

    /// h2 entries with their h3 children; deeper levels are left out of the contents list.
    private func tableOfContents(_ headings: [Heading]) -> [TemplateObject] {
        var entries: [TemplateObject] = []
        var children: [TemplateObject] = []
        func flush() {
            if !children.isEmpty, !entries.isEmpty { entries[entries.count - 1]["children"] = .objects(children) }
            children = []
        }
        for heading in headings where heading.level == 2 || heading.level == 3 {
            let entry: TemplateObject = ["text": .kept(heading.text), "id": .kept(heading.id)]
            if heading.level == 2 || entries.isEmpty {
                flush()
                entries.append(entry)
            } else {
                children.append(entry)
            }
        }
        flush()
        return entries
    }

    /// Adult RDA/AI ranges and adult upper limits, for the "nutrients in this article" box.
    private func quickFacts(_ nutrient: Nutrient, _ links: Links) -> TemplateObject {
        var facts: TemplateObject = ["name": .text(nutrient.name), "href": .text(links.nutrient(nutrient.id)), "summary": .text(nutrient.summary)]
        let intakes = NutrientFacts.adultIntakes(nutrient).map { intake -> TemplateObject in
            ["authority": .text(intake.authority), "authority_name": .text(authorityName(intake.authority)),
             "kind": .text(intake.kind.rawValue), "amount": .text(intake.amount)]
        }
        if !intakes.isEmpty { facts["intakes"] = .objects(intakes) }
        let limits = NutrientFacts.adultLimits(nutrient)
        if !limits.isEmpty { facts["limits"] = .list(limits.map { upperLimit($0, nutrient) }) }
        return facts
    }

    private func upperLimit(_ limit: UpperLimit, _ nutrient: Nutrient) -> TemplateValue {
        var entry: TemplateObject = ["authority": .text(limit.authority.value), "authority_name": .text(authorityName(limit.authority.value)),
                                     "group": .text(limit.group), "amount": .text(NutrientFacts.amount(limit, nutrient))]
        if let scope = limit.scope { entry["scope"] = .text(scope) }
        return .object(entry)
    }

    private func nutrient(_ nutrient: Nutrient, _ links: Links) -> TemplateObject {
        var context: TemplateObject = [
            "title": .text(nutrient.name), "summary": .text(nutrient.summary), "description": .text(nutrient.summary),
            "kind": .text(nutrient.kind.rawValue), "unit": .text(nutrient.unit),
            "breadcrumbs": crumbs(links, [("Nutrients", links.to(Page.nutrientList.path)), (nutrient.name, nil)]),
        ]
        if let html = texts.descriptions["nutrients/" + nutrient.id] { context["description_html"] = .text(SiteLink.complete(html, root: links.root)) }
        if !nutrient.aliases.isEmpty { context["aliases"] = .text(nutrient.aliases.joined(separator: ", ")) }
        if !nutrient.functions.isEmpty { context["functions"] = .objects(nutrient.functions.map { ["text": .text($0)] }) }
        // Tables list life stages in age order; rows within a stage keep the data file's order.
        let stageOrder = Dictionary(uniqueKeysWithValues: LifeStage.allCases.enumerated().map { ($1, $0) })
        func rank(_ intake: ReferenceIntake) -> Int { intake.stage.flatMap { stageOrder[$0] } ?? LifeStage.allCases.count }
        let intakes = nutrient.referenceIntakes.enumerated().sorted {
            (rank($0.element), $0.offset) < (rank($1.element), $1.offset)
        }.map(\.element)
        if !intakes.isEmpty {
            context["intakes"] = .objects(intakes.map { intake -> TemplateObject in
                ["stage": .text(intake.stage?.label ?? ""), "group": .text(intake.group), "authority": .text(intake.authority.value),
                 "authority_name": .text(authorityName(intake.authority.value)), "kind": .text(intake.kind.rawValue),
                 "amount": "\(Amount.format(intake.value)) \(nutrient.unit)"]
            })
        }
        if !nutrient.upperLimits.isEmpty { context["limits"] = .list(nutrient.upperLimits.map { upperLimit($0, nutrient) }) }
        if !nutrient.foodSources.isEmpty {
            context["foods"] = .objects(nutrient.foodSources.map { food -> TemplateObject in
                var entry: TemplateObject = ["food": .text(food.food), "serving": .text(food.serving ?? "")]
                entry["amount"] = .text(food.amount.map { "\(Amount.format($0)) \(nutrient.unit)" } ?? "")
                return entry
            })
        }
        var effects: [TemplateObject] = []
        for (label, effect) in [("Too little (deficiency)", nutrient.deficiency), ("Too much (excess)", nutrient.excess)] {
            guard let effect else { continue }
            var entry: TemplateObject = ["label": .text(label)]
            if let id = effect.condition?.value, let condition = site.conditionByID[id] {
                entry["condition"] = item(condition.name, links.condition(id), condition.summary)
            }
            let symptoms = effect.symptoms.compactMap { site.symptomByID[$0.value] }
            if !symptoms.isEmpty { entry["symptoms"] = .list(symptoms.map { item($0.name, links.symptom($0.id), $0.summary) }) }
            effects.append(entry)
        }
        if !effects.isEmpty { context["effects"] = .objects(effects) }
        let conditions = (site.conditionsOfNutrient[nutrient.id] ?? []).compactMap { link in
            site.conditionByID[link.id].map { relatedItem($0.name, links.condition($0.id), link.relation) }
        }
        if !conditions.isEmpty { context["conditions"] = .list(conditions) }
        context["articles"] = articleItems(site.articlesByNutrient[nutrient.id], links)
        if !nutrient.references.isEmpty { context["references"] = citations(nutrient.references) }
        return context
    }

    private func condition(_ condition: Condition, _ links: Links) -> TemplateObject {
        var context: TemplateObject = [
            "title": .text(condition.name), "summary": .text(condition.summary), "description": .text(condition.summary),
            "breadcrumbs": crumbs(links, [("Conditions", links.to(Page.conditionList.path)), (condition.name, nil)]),
        ]
        if let html = texts.descriptions["conditions/" + condition.id] { context["description_html"] = .text(SiteLink.complete(html, root: links.root)) }
        if !condition.aliases.isEmpty { context["aliases"] = .text(condition.aliases.joined(separator: ", ")) }
        if !condition.causes.isEmpty { context["causes"] = .objects(condition.causes.map { ["text": .text($0)] }) }
        let nutrients = (site.nutrientsOfCondition[condition.id] ?? []).compactMap { link in
            site.nutrientByID[link.id].map { relatedItem($0.name, links.nutrient($0.id), link.relation) }
        }
        if !nutrients.isEmpty { context["nutrients"] = .list(nutrients) }
        let symptoms = (site.symptomsOfCondition[condition.id] ?? []).compactMap { site.symptomByID[$0] }
        if !symptoms.isEmpty { context["symptoms"] = .list(symptoms.map { item($0.name, links.symptom($0.id), $0.summary) }) }
        context["articles"] = articleItems(site.articlesByCondition[condition.id], links)
        if !condition.references.isEmpty { context["references"] = citations(condition.references) }
        return context
    }

    private func symptom(_ symptom: Symptom, _ links: Links) -> TemplateObject {
        var context: TemplateObject = [
            "title": .text(symptom.name), "summary": .text(symptom.summary), "description": .text(symptom.summary),
            "breadcrumbs": crumbs(links, [("Symptoms", links.to(Page.symptomList.path)), (symptom.name, nil)]),
        ]
        if let html = texts.descriptions["symptoms/" + symptom.id] { context["description_html"] = .text(SiteLink.complete(html, root: links.root)) }
        if !symptom.aliases.isEmpty { context["aliases"] = .text(symptom.aliases.joined(separator: ", ")) }
        let conditions = (site.conditionsOfSymptom[symptom.id] ?? []).compactMap { site.conditionByID[$0] }
        if !conditions.isEmpty { context["conditions"] = .list(conditions.map { item($0.name, links.condition($0.id), $0.summary) }) }
        let nutrients = (site.nutrientsOfSymptom[symptom.id] ?? []).compactMap { link in
            site.nutrientByID[link.id].map { relatedItem($0.name, links.nutrient($0.id), link.relation) }
        }
        if !nutrients.isEmpty { context["nutrients"] = .list(nutrients) }
        context["articles"] = articleItems(site.articlesBySymptom[symptom.id], links)
        if !symptom.references.isEmpty { context["references"] = citations(symptom.references) }
        return context
    }

    private func faq(_ links: Links) -> TemplateObject {
        // Each article's questions appear once, under its first nutrient, so no entry is duplicated.
        var groups: [String: [TemplateObject]] = [:]
        for article in site.articles where !article.faq.isEmpty {
            let key = article.nutrients.first?.value ?? ""
            let answers = texts.faqAnswers[article.slug.value] ?? []
            // Answers may link to a section of their article ("#safety"): on this page that
            // anchor must point back to the article.
            let articleHref = links.article(article.slug.value)
            let anchor = "href=\"\(articleHref)#"
            for index in article.faq.indices {
                groups[key, default: []].append([
                    "question": .kept(article.faq[index].question),
                    "answer_html": .text(ByteText.replacing(SiteLink.complete(answers[index], root: links.root),
                                                            "href=\"#", with: anchor)),
                    "id": "\(article.slug.value)-\(index + 1)",
                    "article_title": .kept(article.title), "article_href": .text(articleHref),
                ])
            }
        }
        var result: [TemplateObject] = site.nutrients.compactMap { nutrient in
            groups[nutrient.id].map { ["name": .text(nutrient.name), "id": .text("faq-" + nutrient.id), "href": .text(links.nutrient(nutrient.id)), "entries": .objects($0)] }
        }
        if let general = groups[""] { result.append(["name": "General", "id": "faq-general", "entries": .objects(general)]) }
        return ["title": "Frequently asked questions", "groups": .objects(result),
                "description": "Every question answered in our articles, grouped by nutrient.",
                "breadcrumbs": crumbs(links, [("FAQ", nil)])]
    }

    private func keyPoints(_ links: Links) -> TemplateObject {
        let articles = site.articles.filter { !$0.keyPoints.isEmpty }.map { article -> TemplateObject in
            ["title": .kept(article.title), "href": .text(links.article(article.slug.value)), "points": .objects(article.keyPoints.map { ["text": .kept($0)] })]
        }
        return ["title": "Key points", "articles": .objects(articles),
                "description": "The key points of every article on one page.",
                "breadcrumbs": crumbs(links, [("Key points", nil)])]
    }

    private func azIndex(_ links: Links) -> TemplateObject {
        // Each title lowercased once, as its sort key, not twice per comparison.
        var entries: [(sortKey: String, title: String, href: String, kind: String, summary: String)] = []
        entries += site.articles.map { ($0.title.lowercased(), $0.title, links.article($0.slug.value), "article", $0.summary) }
        entries += site.nutrients.map { ($0.name.lowercased(), $0.name, links.nutrient($0.id), $0.kind.rawValue, $0.summary) }
        entries += site.conditions.map { ($0.name.lowercased(), $0.name, links.condition($0.id), "condition", $0.summary) }
        entries += site.symptoms.map { ($0.name.lowercased(), $0.name, links.symptom($0.id), "symptom", $0.summary) }
        func letter(_ title: String) -> String {
            // A title that starts with two ASCII bytes starts with an ASCII character: its letter is
            // read off the first byte (folding leaves ASCII as it is, but for case).
            let bytes = title.utf8
            if let first = bytes.first, first < 0x80, bytes.count == 1 || bytes[bytes.index(after: bytes.startIndex)] < 0x80 {
                let upper = first >= 0x61 && first <= 0x7A ? first - 0x20 : first
                return upper >= 0x41 && upper <= 0x5A ? String(UnicodeScalar(upper)) : "#"
            }
            guard let first = title.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).first,
                  first.isASCII, first.isLetter else { return "#" }
            return first.uppercased()
        }
        entries.sort { ($0.sortKey, $0.kind, $0.href) < ($1.sortKey, $1.kind, $1.href) }
        var groups: [(String, [TemplateObject])] = []
        for entry in entries {
            let item: TemplateObject = ["title": .kept(entry.title), "href": .text(entry.href), "kind": .text(entry.kind), "summary": .kept(entry.summary)]
            let key = letter(entry.title)
            if let index = groups.firstIndex(where: { $0.0 == key }) { groups[index].1.append(item) } else { groups.append((key, [item])) }
        }
        groups.sort { ($0.0 == "#" ? "~" : $0.0) < ($1.0 == "#" ? "~" : $1.0) }
        return ["title": "A–Z index", "description": "Every article, nutrient, condition and symptom, A to Z.",
                "letters": .objects(groups.map { ["letter": .text($0.0), "id": .text("letter-" + ($0.0 == "#" ? "other" : $0.0.lowercased())), "entries": .objects($0.1)] }),
                "breadcrumbs": crumbs(links, [("A–Z index", nil)])]
    }

    // MARK: helpers

    private func relatedItem(_ name: String, _ href: String, _ relation: NutrientRelation) -> TemplateValue {
        var entry: TemplateObject = ["name": .text(name), "href": .text(href)]
        switch relation {
        case .deficiency: entry["relation"] = "deficiency"
        case .excess: entry["relation"] = "excess"
        case .related: break
        }
        return .object(entry)
    }

    private func articleItems(_ slugs: [String]?, _ links: Links) -> TemplateValue {
        .list((slugs ?? []).compactMap { site.articleBySlug[$0] }.map { item($0.title, links.article($0.slug.value), $0.summary) })
    }

    private func citations(_ citations: [Citation]) -> TemplateValue {
        .objects(citations.enumerated().map { index, citation in
            var entry: TemplateObject = ["number": .text(String(index + 1)), "title": .kept(citation.title)]
            if let url = citation.url { entry["url"] = .kept(url) }
            if let publisher = citation.publisher { entry["publisher"] = .kept(publisher) }
            if let year = citation.year { entry["year"] = .text(String(year)) }
            return entry
        })
    }

    private func day(_ day: Day) -> TemplateValue { .object(["iso": .text(day.iso), "display": .text(day.display)]) }

    private func authorityName(_ id: String) -> String { site.config.authorities[id] ?? id }
}


/// Relative links from one page to another, so the output works under any host path.
struct Links {
    let root: String

    init(page: Page, basePath: String) {
        if page == .notFound {
            root = basePath
        } else {
            // The path's segments, counted on its bytes (a split made an array for every page).
            var depth = 0, inSegment = false
            for byte in page.path.utf8 {
                if byte == 0x2F { inSegment = false } else if !inSegment { inSegment = true; depth += 1 }
            }
            root = depth == 0 ? "./" : String(repeating: "../", count: depth)
        }
    }

    var home: String { root }
    func to(_ path: String) -> String { root + path }
    func article(_ slug: String) -> String { Page.article(slug).path(after: root) }
    func nutrient(_ id: String) -> String { Page.nutrient(id).path(after: root) }
    func condition(_ id: String) -> String { Page.condition(id).path(after: root) }
    func symptom(_ id: String) -> String { Page.symptom(id).path(after: root) }
}
