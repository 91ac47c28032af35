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
        // An article's entry is written straight from the site: no entry and no list of its
        // words is built (building and then writing them read every string twice, and copied
        // and released each one, on objects long out of the cache).
        var writer = Writer(capacity: site.articles.count * 1_200 + 4_096)
        site.articles.withUnsafeBufferPointer { articles in
            for index in articles.indices {
                let article = articles[index]
                let slug = article.slug.value
                writer.begin(t: article.title, k: "article", u: Page.article(slug).path, s: article.summary)
                for heading in texts.articleBodies[slug]?.headings ?? [] { writer.word(heading.text) }
                for point in article.keyPoints { writer.word(point) }
                for tag in article.tags { writer.word(tag) }
                for entry in article.faq { writer.word(entry.question) }
                writer.end()
            }
        }
        var entries: [Entry] = []
        entries.reserveCapacity(site.nutrients.count + site.conditions.count + site.symptoms.count)
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
        for entry in entries { writer.write(entry) }
        return OutputFile(path: "search-index.json", bytes: writer.finish())
    }

    /// The bytes JSONEncoder writes with `.sortedKeys, .withoutEscapingSlashes`, plus a final
    /// newline; written directly.
    static func json(_ entries: [Entry]) -> [UInt8] {
        // Reserved at once: the index of a large site is megabytes.
        var size = 2
        for entry in entries {
            size += 40 + entry.t.utf8.count + entry.k.utf8.count + entry.u.utf8.count + entry.s.utf8.count + entry.words.count
            for word in entry.words { size += word.utf8.count }
        }
        var writer = Writer(capacity: size + size / 8)
        for entry in entries { writer.write(entry) }
        return writer.finish()
    }

    /// The index's bytes, written an entry at a time: `begin`, a `word` for each word (joined by
    /// spaces into the entry's `w`), `end`; then `finish`. The members are in the order of their
    /// names, as `JSONEncoder` writes them with `.sortedKeys`.
    struct Writer {
        private var out: [UInt8] = [0x5B]
        private var entries = 0
        private var words = 0

        init(capacity: Int) { out.reserveCapacity(capacity) }

        // Each member's `,"name":` made once, not once per entry.
        private static let k = Array("{\"k\":".utf8), s = Array(",\"s\":".utf8), t = Array(",\"t\":".utf8)
        private static let u = Array(",\"u\":".utf8), w = Array(",\"w\":\"".utf8)

        mutating func begin(t: String, k: String, u: String, s: String) {
            if entries > 0 { out.append(0x2C) }
            entries += 1
            words = 0
            out += Self.k
            JSONText.writeString(k, to: &out, forScript: false)
            out += Self.s
            JSONText.writeString(s, to: &out, forScript: false)
            out += Self.t
            JSONText.writeString(t, to: &out, forScript: false)
            out += Self.u
            JSONText.writeString(u, to: &out, forScript: false)
            out += Self.w
        }

        mutating func word(_ text: String) {
            if words > 0 { out.append(0x20) }
            words += 1
            text.withUTF8InPlace { JSONText.writeString($0, to: &out, forScript: false, quoted: false) }
        }

        mutating func end() { out += [0x22, 0x7D] }

        mutating func write(_ entry: Entry) {
            begin(t: entry.t, k: entry.k, u: entry.u, s: entry.s)
            for word in entry.words { self.word(word) }
            end()
        }

        mutating func finish() -> [UInt8] {
            out += [0x5D, 0x0A]
            return out
        }
    }
}

