import Foundation
import Testing
import MateriaTestSupport
@testable import MateriaSite

/// graph.json and search-index.json are written byte by byte; they must stay exactly what
/// JSONEncoder writes, which tools reading them may rely on.
@Suite struct JSONWriterTests {
    static let awkward = ["plain", "quote \" backslash \\ slash /", "lines\nand\ttabs\r\u{08}\u{0C}", "control \u{01}\u{1F} del \u{7F}",
                          "<script> & é 漢字 \u{2028}", ""]

    /// Strings are passed over sixteen bytes at a time (CTextScan): every byte that needs an escape,
    /// at every position of strings shorter and longer than one and two blocks, comes out as JSONEncoder writes it
    /// (plain), and as JSONEncoder plus `<`, `>`, `&`, U+2028 and U+2029 as \u escapes (in a script).
    @Test func everyEscapeAtEveryPosition() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let samples = ["", "é漢字", "\u{2027}\u{202A}–"]
            + everyPosition(of: ["\"", "\\", "\n", "\t", "\r", "\u{01}", "\u{1F}", "\u{20}", "<", ">", "&", "\u{2028}", "\u{2029}", "\u{7F}", "é"],
                            lengths: [1, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47])
        for sample in samples {
            var plain: [UInt8] = []
            JSONText.writeString(sample, to: &plain, forScript: false)
            let expected = String(decoding: try encoder.encode(sample), as: UTF8.self)
            #expect(String(decoding: plain, as: UTF8.self) == expected, "\(sample)")
            var script: [UInt8] = []
            JSONText.writeString(sample, to: &script, forScript: true)
            let scriptExpected = expected.replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
                .replacingOccurrences(of: "&", with: "\\u0026").replacingOccurrences(of: "\u{2028}", with: "\\u2028")
                .replacingOccurrences(of: "\u{2029}", with: "\\u2029")
            #expect(String(decoding: script, as: UTF8.self) == scriptExpected, "\(sample)")
        }
    }

    @Test func decimalsAreWhatStringWrites() {
        for value in [0, 1, 9, 10, 99, 100, 12_345, Int.max] {
            var out: [UInt8] = [0x2A]
            JSONText.writeDecimal(value, to: &out)
            #expect(out == [0x2A] + Array(String(value).utf8))
        }
    }

    @Test func graphMatchesJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let nodes = Self.awkward.map { GraphExport.Node(id: "article:\($0)", kind: "article", title: $0, url: "https://x.org/a/\($0)/") }
        let edges = Self.awkward.map { GraphExport.Edge(source: $0, target: "nutrient:\($0)", kind: "mentions") }
        for graph in [GraphExport.Graph(nodes: nodes, edges: edges), GraphExport.Graph(nodes: nodes, edges: []),
                      GraphExport.Graph(nodes: [], edges: [])] {
            let expected = [UInt8](try encoder.encode(graph)) + [0x0A]
            #expect(GraphExport.json(graph) == expected, "\(String(decoding: GraphExport.json(graph), as: UTF8.self))")
        }
    }

    @Test func searchIndexMatchesJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let entries = Self.awkward.map { SearchIndex.Entry(t: $0, k: "article", u: "articles/\($0)/", s: "summary \($0)", w: $0 + " words") }
        // Words in parts, empty ones too, are written as their join with spaces.
        let parts = Self.awkward.map { SearchIndex.Entry(t: $0, k: "article", u: "a/", s: "", words: [$0, "", "x \($0)", ""]) }
            + [SearchIndex.Entry(t: "none", k: "symptom", u: "s/", s: "", words: [])]
        for list in [entries, [entries[0]], [], parts] {
            #expect(SearchIndex.json(list) == [UInt8](try encoder.encode(list)) + [0x0A])
        }
    }
}

extension JSONWriterTests {
    /// FAQ answers in JSON-LD are the answer's text: tags dropped (each counts as a space),
    /// cmark-gfm's five entities decoded, runs of space collapsed, no space before "." or ",".
    @Test func answersBecomePlainText() {
        let cases: [(html: String, text: String)] = [
            ("<p>Yes, from <strong>supplements</strong>.</p>\n", "Yes, from supplements."),
            ("<p>A &lt; B &amp;&amp; C &gt; D, &quot;q&quot; &#39;s&#39;</p>", "A < B && C > D, \"q\" 's'"),
            ("<p>Lone & ampersand &copy; stays</p>", "Lone & ampersand &copy; stays"),
            ("<ul>\n<li>one</li>\n<li>two</li>\n</ul>", "one two"),
            ("<p>See <a href=\"x\">this</a>, then <em>that</em>.</p>", "See this, then that."),
            ("  leading\tand   trailing  ", "leading and trailing"),
            ("<p>magnésium 漢字</p>", "magnésium 漢字"),
            ("text <unclosed tag", "text"),
            ("", ""),
        ]
        for (html, text) in cases {
            #expect(String(decoding: StructuredData.plainText(html), as: UTF8.self) == text, "\(html)")
        }
    }
}
