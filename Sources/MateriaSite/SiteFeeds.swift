import MateriaContent
import MateriaTemplates

/// `sitemap.xml`, `robots.txt` and the Atom feed `feed.xml`, written when the base URL is absolute.
/// Every date comes from the content, never from the clock, so the same input gives the same bytes.
struct SiteFeeds {
    let site: ResolvedSite

    /// XML text and attribute escaping: the same five characters as HTML (`&#39;` is valid XML).
    static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

    /// The newest date an article carries: updated, reviewed or first published.
    static func lastModified(_ article: Article) -> Day? {
        // Asked for every article by the sitemap, the feed and the JSON-LD: no arrays made.
        var newest = article.updated
        if let reviewed = article.reviewed, newest.map({ reviewed > $0 }) ?? true { newest = reviewed }
        if let date = article.date, newest.map({ date > $0 }) ?? true { newest = date }
        return newest
    }

    /// When a page last changed, as far as the content says.
    func lastModified(_ page: Page) -> Day? {
        func newest(_ slugs: [String]?) -> Day? {
            (slugs ?? []).compactMap { site.articleBySlug[$0].flatMap(Self.lastModified) }.max()
        }
        switch page {
        case .article(let slug): return site.articleBySlug[slug].flatMap(Self.lastModified)
        case .nutrient(let id): return newest(site.articlesByNutrient[id])
        case .condition(let id): return newest(site.articlesByCondition[id])
        case .symptom(let id): return newest(site.articlesBySymptom[id])
        case .disclaimer, .notFound, .search: return nil
        default: return newestArticle
        }
    }

    /// The newest date of any article: what the home page and the lists last changed on.
    private let newestArticle: Day?

    init(site: ResolvedSite) {
        self.site = site
        newestArticle = site.articles.compactMap(Self.lastModified).max()
    }

    /// Feeds need an absolute base URL; without one there are none.
    private var hasAbsoluteBase: Bool { site.config.baseURL.hasPrefix("http://") || site.config.baseURL.hasPrefix("https://") }

    /// sitemap.xml and robots.txt.
    func sitemapFiles(pages: [Page]) -> [OutputFile] {
        let base = site.config.baseURL
        guard hasAbsoluteBase else { return [] }
        // Written as bytes: a site of 10,000 articles has a line here for every page.
        var sitemap: [UInt8] = []
        sitemap.reserveCapacity(128 * pages.count + 128)
        sitemap += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n".utf8
        for page in pages where page != .notFound && page != .search {
            sitemap += "<url><loc>".utf8
            HTMLEscaping.append(page.path(after: base), to: &sitemap)
            sitemap += "</loc>".utf8
            if let day = lastModified(page) {
                sitemap += "<lastmod>".utf8
                sitemap += day.iso.utf8
                sitemap += "</lastmod>".utf8
            }
            sitemap += "</url>\n".utf8
        }
        sitemap += "</urlset>\n".utf8
        let robots = "User-agent: *\nAllow: /\n\nSitemap: \(base)sitemap.xml\n"
        return [OutputFile(path: "sitemap.xml", bytes: sitemap), OutputFile(path: "robots.txt", bytes: Array(robots.utf8))]
    }

    /// feed.xml.
    func feedFiles() -> [OutputFile] {
        hasAbsoluteBase ? [OutputFile(path: "feed.xml", bytes: atom())] : []
    }

    /// Articles, newest first.
    func atom() -> [UInt8] {
        let base = site.config.baseURL
        // Newest first, ties by slug; each article's date (as one number) and slug taken out
        // once, not per comparison.
        let unknown = Day(year: 1900, month: 1, day: 1)!
        let keys = site.articles.map { article -> (day: Int, slug: String) in
            let day = Self.lastModified(article) ?? unknown
            return (day.year * 10_000 + day.month * 100 + day.day, article.slug.value)
        }
        let articles = keys.indices.sorted { (keys[$0].day, keys[$1].slug) > (keys[$1].day, keys[$0].slug) }
            .map { site.articles[$0] }
        func stamp(_ day: Day?) -> String { (day ?? Day(year: 1970, month: 1, day: 1)!).iso + "T00:00:00Z" }
        var xml: [UInt8] = []
        xml.reserveCapacity(512 * articles.count + 1024)
        xml += """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="\(Self.escape(site.config.language))">
            <title>\(Self.escape(site.config.title))</title>
            <subtitle>\(Self.escape(site.config.description))</subtitle>
            <link href="\(Self.escape(base))" rel="alternate" type="text/html"/>
            <link href="\(Self.escape(base))feed.xml" rel="self" type="application/atom+xml"/>
            <id>\(Self.escape(base))</id>
            <updated>\(stamp(articles.compactMap(Self.lastModified).max()))</updated>
            <author><name>\(Self.escape(site.config.title))</name></author>

            """.utf8
        func element(_ name: StaticString, _ text: String) {
            xml += "<".utf8; name.withUTF8Buffer { xml += $0 }; xml += ">".utf8
            HTMLEscaping.append(text, to: &xml)
            xml += "</".utf8; name.withUTF8Buffer { xml += $0 }; xml += ">\n".utf8
        }
        for article in articles {
            let url = Page.article(article.slug.value).path(after: base)
            xml += "<entry>\n".utf8
            element("title", article.title)
            xml += "<link href=\"".utf8
            HTMLEscaping.append(url, to: &xml)
            xml += "\"/>\n".utf8
            element("id", url)
            if let published = article.date { element("published", stamp(published)) }
            element("updated", stamp(Self.lastModified(article)))
            if let author = article.author {
                xml += "<author><name>".utf8
                HTMLEscaping.append(author, to: &xml)
                xml += "</name></author>\n".utf8
            }
            xml += "<summary>".utf8
            HTMLEscaping.append(article.summary, to: &xml)
            xml += "</summary>\n</entry>\n".utf8
        }
        xml += "</feed>\n".utf8
        return xml
    }
}
