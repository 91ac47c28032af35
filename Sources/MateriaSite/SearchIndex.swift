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
        let w: String
    }

    func file() -> OutputFile {
        var entries: [Entry] = []
        for article in site.articles {
            let headings = texts.articleBodies[article.slug.value]?.headings.map(\.text) ?? []
            entries.append(Entry(t: article.title, k: "article", u: Page.article(article.slug.value).path, s: article.summary,
                                 w: (headings + article.keyPoints + article.tags + article.faq.map(\.question)).joined(separator: " ")))
        }
        for nutrient in site.nutrients {
            entries.append(Entry(t: nutrient.name, k: nutrient.kind.rawValue, u: Page.nutrient(nutrient.id).path, s: nutrient.summary,
                                 w: (nutrient.aliases + nutrient.functions).joined(separator: " ")))
        }
        for condition in site.conditions {
            entries.append(Entry(t: condition.name, k: "condition", u: Page.condition(condition.id).path, s: condition.summary,
                                 w: (condition.aliases + condition.causes).joined(separator: " ")))
        }
        for symptom in site.symptoms {
            entries.append(Entry(t: symptom.name, k: "symptom", u: Page.symptom(symptom.id).path, s: symptom.summary,
                                 w: symptom.aliases.joined(separator: " ")))
        }
        return OutputFile(path: "search-index.json", bytes: Self.json(entries))
    }

    /// The bytes JSONEncoder writes with `.sortedKeys, .withoutEscapingSlashes`, plus a final
    /// newline; written directly.
    static func json(_ entries: [Entry]) -> [UInt8] {
        var out: [UInt8] = [0x5B]
        out.reserveCapacity(256 * entries.count)
        // Each member's `,"name":` made once, not once per entry.
        let k = Array("{\"k\":".utf8), s = Array(",\"s\":".utf8), t = Array(",\"t\":".utf8)
        let u = Array(",\"u\":".utf8), w = Array(",\"w\":".utf8)
        for (index, entry) in entries.enumerated() {
            if index > 0 { out.append(0x2C) }
            for (name, value) in [(k, entry.k), (s, entry.s), (t, entry.t), (u, entry.u), (w, entry.w)] {
                out += name
                JSONText.writeString(value, to: &out, forScript: false)
            }
            out.append(0x7D)
        }
        out += [0x5D, 0x0A]
        return out
    }
}
