import Foundation
import MateriaContent

/// `search-index.json`: Materia's own compact search index, read by `assets/search.js` in the
/// browser, so search works on any static host with no server and no extra tool. One entry per
/// article, nutrient, condition and symptom: title, kind, path, snippet, and the words a reader
/// might search for (aliases, headings, key points, tags).
struct SearchIndex {
    let site: ResolvedSite
    let texts: RenderedTexts

    struct Entry: Encodable {
        /// Title, kind, path below the site root, snippet, extra search words.
        let t: String
        let k: String
        let u: String
        let s: String
        /// The extra search words in parts, which `w` joins with spaces (the JSON writer writes
        /// them one after another, with no joined copy).
        let words: [String]

        init(t: String, k: String, u: String, s: String, words: [String]) {
            (self.t, self.k, self.u, self.s, self.words) = (t, k, u, s, words)
        }

        init(t: String, k: String, u: String, s: String, w: String) {
            self.init(t: t, k: k, u: u, s: s, words: [w])
        }

        var w: String { words.joined(separator: " ") }

        private enum CodingKeys: String, CodingKey { case t, k, u, s, w }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(t, forKey: .t)
            try container.encode(k, forKey: .k)
            try container.encode(u, forKey: .u)
            try container.encode(s, forKey: .s)
            try container.encode(w, forKey: .w)
        }
    }

    func file() -> OutputFile {
        var entries: [Entry] = []
        entries.reserveCapacity(site.articles.count + site.nutrients.count + site.conditions.count + site.symptoms.count)
        for article in site.articles {
            var words: [String] = []
            let headings = texts.articleBodies[article.slug.value]?.headings ?? []
            words.reserveCapacity(headings.count + article.keyPoints.count + article.tags.count + article.faq.count)
            for heading in headings { words.append(heading.text) }
            words += article.keyPoints
            words += article.tags
            for entry in article.faq { words.append(entry.question) }
            entries.append(Entry(t: article.title, k: "article", u: Page.article(article.slug.value).path, s: article.summary, words: words))
        }
        for nutrient in site.nutrients {
            entries.append(Entry(t: nutrient.name, k: nutrient.kind.rawValue, u: Page.nutrient(nutrient.id).path, s: nutrient.summary,
                                 words: nutrient.aliases + nutrient.functions))
        }
        for condition in site.conditions {
            entries.append(Entry(t: condition.name, k: "condition", u: Page.condition(condition.id).path, s: condition.summary,
                                 words: condition.aliases + condition.causes))
        }
        for symptom in site.symptoms {
            entries.append(Entry(t: symptom.name, k: "symptom", u: Page.symptom(symptom.id).path, s: symptom.summary,
                                 words: symptom.aliases))
        }
        return OutputFile(path: "search-index.json", bytes: Self.json(entries))
    }

    /// The bytes JSONEncoder writes with `.sortedKeys, .withoutEscapingSlashes`, plus a final
    /// newline; written directly.
    static func json(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = [0x5B]
        // Reserved at once: the index of a large site is megabytes.
        var size = 2
        for entry in entries {
            size += 40 + entry.t.utf8.count + entry.k.utf8.count + entry.u.utf8.count + entry.s.utf8.count + entry.words.count
            for word in entry.words { size += word.utf8.count }
        }
        out.reserveCapacity(size + size / 8)
        // Each member's `,"name":` made once, not once per entry.
        let k = Array("{\"k\":".utf8), s = Array(",\"s\":".utf8), t = Array(",\"t\":".utf8)
        let u = Array(",\"u\":".utf8), w = Array(",\"w\":".utf8)
        for (index, entry) in entries.enumerated() {
            if index > 0 { out.append(0x2C) }
            out += k
            JSONText.writeString(entry.k, to: &out, forScript: false)
            out += s
            JSONText.writeString(entry.s, to: &out, forScript: false)
            out += t
            JSONText.writeString(entry.t, to: &out, forScript: false)
            out += u
            JSONText.writeString(entry.u, to: &out, forScript: false)
            out += w
            JSONText.writeJoined(entry.words, to: &out, forScript: false)
            out.append(0x7D)
        }
        out += [0x5D, 0x0A]
        return out
    }
}
