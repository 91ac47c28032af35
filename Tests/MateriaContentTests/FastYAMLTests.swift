import Foundation
import Testing
import Yams
@testable import MateriaContent

/// `FastYAML` must read exactly what Yams reads (text, style, line and column of every node),
/// or decline so that Yams reads it.
@Suite struct FastYAMLTests {
    static func dump(_ node: YAMLNode) -> String {
        let mark = node.mark.map { "@\($0.line):\($0.column)" } ?? "@?"
        switch node {
        case .scalar(let scalar): return "\(scalar.style)\(mark)\(String(reflecting: scalar.string))"
        case .mapping(let pairs, _): return "{\(mark) " + pairs.map { dump($0.key) + ": " + dump($0.value) }.joined(separator: ", ") + "}"
        case .sequence(let items, _): return "[\(mark) " + items.map(dump).joined(separator: ", ") + "]"
        }
    }

    /// Yams's reading of `text`, or nil when Yams rejects it.
    static func yams(_ text: String) -> String? {
        guard let node = try? Yams.compose(yaml: text) else { return nil }
        return dump(YAMLNode(node))
    }

    /// Checks one text; returns whether the fast reader took it.
    @discardableResult
    static func agree(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        guard let fast = FastYAML.compose(text) else { return false }
        #expect(dump(fast) == yams(text), "\(text)", sourceLocation: sourceLocation)
        return true
    }

    @Test func readsPlainFrontMatterExactlyAsYams() {
        let taken = [
            "title: Magnesium and sleep\nslug: magnesium-sleep\ndate: 2026-01-25\n",
            "title: \"Calcium: the basics\"\nsummary: 'It''s common'\ntags: [diet, men, a b]\nempty: []\n",
            "# a comment\ntitle: Zinc   \n\nnutrients:\n  - zinc\n  - \"iron\"\n",
            "tags:\n- a\n- b\nafter: x\n",
            "faq:\n  - question: \"Why?\"\n    answer: Because it is.\n  - question: Q2\n    answer: 'A2'\nnext: 1\n",
            "references:\n  - title: Dietary Reference Values\n    url: https://www.efsa.europa.eu/en/topics/topic/dietary-reference-values\n    year: 2017\n",
            "nested:\n  inner:\n    deep: v\n  other: [x, y]\n",
            "title: Vitamin B12 (cobalamin) — ß, é, 漢字\nnote: a#b and a:b and 50%\n",
            "key_points:\n  - \"one\"\n  -   two\n",
            "tags: [\"lab-tests\", \"sport\", safety]\nnutrients: [calcium, vitamin-d]\n",
            "tags: ['it''s', \"a, b\", c d , '', \"\"]\nmore: [ \"x\" ,'y' ]\nlast: ['[not a list]', \"{x: y} # z\"]\n",
            // Literal blocks (`|` alone): lines, blank lines, deeper lines, trailing spaces and blank lines.
            "answer: |\n  block\n",
            "description: |\n  First line.\n  Second: with a colon # and no comment\n\n  After a blank line.\n    indented more\n  trailing spaces  \n\n\nnext: x\n",
            "a: |\n    four\n    # not a comment\n\n    - not a list\nb: |\n  two\n",
            "full: |   \n  text\n  \n  more\n",
            "faq:\n  - question: Q\n    answer: |\n      Line one.\n\n      Line two.\n  - question: R\n    answer: plain\nend: 1\n",
            "nested:\n  inner: |\n    x\n  other: y\n",
            "answer: >\n  folded\n", "a: |-\n  x\n", "a: |+\n  x\n\n\nb: y\n", "a: | # c\n  x\n", "a: >+ # c\n  x\n  y\n\n",
            // One-line flow mappings, as values and as list items.
            "title: {a: b}\n",
            "references:\n  - {title: \"A: b\", url: \"https://x.org/a?b=c\", publisher: 'P''s', year: 2024}\n  - {title: T, year: 2023}\n  - {}\n  - { a: b , c: d }\nnext: x\n",
            "links: {url: https://example.org/path, note: plain text here}\n",
            "title: \"esc \\\" q\"\n", "title: first\n  continued\n",
            "summary: A long summary that\n  goes on over lines\n\n  and a blank one.\nnext: x\nlist:\n  - k: first\n      second\n    l: v\n",
            // Empty values.
            "a:\nb: c\n", "a:   \nb: c\n", "a: # c\nb: x\n", "list:\n  - k:\n    l: v\n", "a: x\nb:\n", "n:\n  inner:\nnext: y\n",
            // Comments after values.
            "title: a # comment\nreviewed: 2026-01-25  # checked\nsummary: \"x # y\" # z\ntags: [a, 'b # c'] # d\nkey: {a: b} # e\nnested: # f\n  inner: v # g\nlist: # h\n  - one # i\n  - 'two' # j\n  - k: v # l\nurl: a#b # m\n",
            "deficiency: {condition: hypocalcemia, symptoms: [tetany, \"a, b]\", 'c]'], after: x}\nexcess: {symptoms: [], x: [ a ]}\n", "a: {b: [c]}\n",
        ]
        for text in taken { #expect(Self.agree(text), "declined: \(text)") }
    }

    @Test func leavesEverythingElseToYams() {
        let declined = [
            "title: a: b\n",
            "a: 1\na: 2\n", "base: &b\n  x: 1\nother: *b\n", 
            "a: \"x\"# c\n", "a: [x]# c\n", "a: {b: c}# c\n", "a: [x # c]\n", "a: {b: c # d}\n", "list:\n  - # c\n    x\n",
            "a: |2\n  x\n", "a: >-2\n  x\n", "a: |#c\n  x\n", "a: |x\n  x\n", "a: |\n\n  x\n", "a: >\n\n  x\n", "a: |\n  x", "a: |\nb: c\n",
            "a: |\n  x\n     \n", "a: |\n    x\n  y\n", "a: |\n  x\n\tb\n", "list:\n  - |\n    x\n",
            "a: {b}\n", "a: {b: }\n", "a: {b: c,}\n", "a: {\"b\": c}\n", "a: {b: {c: d}}\n", "a: {b: c, b: d}\n",
            "a: {b: c} x\n", "a: {b: [c, [d]]}\n", "a: {b: [c}\n", "a: {b: [\"c]}\n", "a: {b: [c] d}\n", "a: {b: [c],}\n", "a: {b: c\n", "a: {b:c}\n", "a: {b: c: d}\n", "a: {b: \"c\\\"\"}\n",
            "\ttitle: x\n", "title: x\r\n", "---\ntitle: x\n", "- a\n- b\n", "tags: [a, [b]]\n", "tags: [\"a\" \"b\"]\n",
            "tags: [\"a\\\"b\"]\n", "tags: ['a]\n", "tags: [\"a\",]\n", "tags: ['a', ]\n", "tags: [\"a\"b]\n",
            "tags: [a,]\n", "\"quoted key\": x\n", "key: -5\n", "key: [a\n", "list:\n  - - a\n", "title: !tag x\n",
        ]
        for text in declined { #expect(FastYAML.compose(text) == nil, "taken: \(text)") }
    }

    /// One-line lists built from awkward items two at a time: whatever the fast reader takes, it
    /// reads as Yams does (and it never takes a list Yams rejects).
    @Test func flowListsOfQuotedAndPlainItemsAgreeWithYams() {
        let items = ["a", "a b", "\"a, b\"", "'it''s'", "\"\"", "''", "\"x\"y", "'a", "\"a\\\"\"", "\"#c\"", "'[x]'",
                     "b:", "\"é ß\"", "-1", "\"a\" ", " 'b'", "[c]", ""]
        var taken = 0
        for first in items {
            for second in items {
                for separator in [", ", ",", " , "] {
                    if Self.agree("tags: [" + first + separator + second + "]\n") { taken += 1 }
                }
            }
        }
        #expect(taken > 100)
    }

    /// Literal blocks built from awkward lines two at a time, and flow mappings from awkward
    /// values: whatever the fast reader takes, it reads as Yams does.
    @Test func literalBlocksAndFlowMappingsAgreeWithYams() {
        let rows = ["text", "  deeper", "", "  ", "# hash", "- dash", "a: b", "trailing  ", "é ß"]
        var taken = 0
        for indicator in ["|", "|-", "|+", ">", ">-", ">+"] {
            for first in rows {
                for second in rows {
                    for after in ["next: x\n", "", "  # comment\n", "  late: y\n", "\n\nnext: x\n"] {
                        if Self.agree("key: " + indicator + "\n  " + first + "\n  " + second + "\n" + after) { taken += 1 }
                        if Self.agree("list:\n  - key: " + indicator + "\n      " + first + "\n      " + second + "\n" + after) { taken += 1 }
                    }
                }
            }
            // Three lines, to fold between more and less indented ones and across blank lines.
            for middle in ["  deeper", "", "text", "  "] {
                if Self.agree("key: " + indicator + "\n  one\n  " + middle + "\n  three\n\n  four\n") { taken += 1 }
            }
        }
        let values = ["a", "a b", "\"a, b\"", "'it''s'", "\"\"", "https://x.org/a", "2024", "\"#c\"", "a:b", "-1", "b:", "[c]", "\"x\"y", "",
                      "[c, 'd]', \"e, f\"]", "[]", "[ g ]", "['h''s']", "[i] j"]
        // Each value alone on a line, with and without a comment after it.
        for value in values {
            for comment in ["", " # c", "  #c", "# c", " #", " # 'q' \"r\" [s] {t}"] {
                if Self.agree("k: " + value + comment + "\nnext: x\n") { taken += 1 }
                if Self.agree("list:\n  - " + value + comment + "\n") { taken += 1 }
                if Self.agree("m: {k: " + value + "}" + comment + "\n") { taken += 1 }
            }
        }
        for first in values {
            for second in values {
                for separator in [", ", ",", " , "] {
                    if Self.agree("m: {k: " + first + separator + "l: " + second + "}\n") { taken += 1 }
                }
            }
        }
        #expect(taken > 1_000)
    }

    /// Plain values over several lines, from awkward lines two at a time: whatever the fast
    /// reader takes, it reads as Yams does.
    @Test func multilinePlainValuesAgreeWithYams() {
        let rows = ["more words", "  deeper", "", "  ", "# hash", "- dash", "a: b", "x # c", "trailing  ", "é ß", "'q'", "\"d\"", "[l]", "{m}", "a:b", "%"]
        var taken = 0
        for first in rows {
            for second in rows {
                for after in ["next: x\n", "", "  # comment\n", "\n\nnext: x\n"] {
                    if Self.agree("key: start of it\n  " + first + "\n  " + second + "\n" + after) { taken += 1 }
                    if Self.agree("list:\n  - key: start\n      " + first + "\n      " + second + "\n" + after) { taken += 1 }
                    if Self.agree("key: start\n " + first + "\n   " + second + "\n" + after) { taken += 1 }
                }
            }
        }
        #expect(taken > 300)
    }

    /// Double-quoted values with escapes: whatever the fast reader takes, it reads as Yams does,
    /// alone on a line, as a list item and in a one-line mapping, with a comment after or not.
    @Test func escapesInDoubleQuotesAgreeWithYams() {
        let escapes = ["\\\"", "\\\\", "\\/", "\\ ", "\\a", "\\b", "\\t", "\\n", "\\v", "\\f", "\\r", "\\e", "\\N", "\\_", "\\L", "\\P",
                       "\\x41", "\\xe9", "\\u00e9", "\\u2014", "\\U0001F600", "\\x4", "\\u12", "\\uD800", "\\U00110000", "\\q", "\\0", "\\", "\\xZZ"]
        var taken = 0
        for escape in escapes {
            for text in ["a" + escape + "b", escape, "say " + escape + "hi" + escape, "\\\\" + escape] {
                let quoted = "\"" + text + "\""
                for comment in ["", " # c"] {
                    if Self.agree("k: " + quoted + comment + "\nnext: x\n") { taken += 1 }
                    if Self.agree("list:\n  - " + quoted + comment + "\n") { taken += 1 }
                    if Self.agree("m: {k: " + quoted + ", l: v}" + comment + "\n") { taken += 1 }
                }
            }
        }
        #expect(taken > 300)
        // A title with quotes in it, escaped, is read without Yams.
        #expect(FastYAML.compose("title: \"The \\\"magnesium myth\\\"\"\n") != nil)
    }

    /// Every front matter and data file of the sample site: the same nodes, and most taken fast.
    @Test func sampleSiteReadsTheSameBothWays() throws {
        let content = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Content")
        var files = 0, declined: [String] = []
        for case let path as String in FileManager.default.enumerator(atPath: content.path)! {
            let yaml: String
            guard path.hasSuffix(".md") || path.hasSuffix(".yaml") || path.hasSuffix(".yml") else { continue }
            let text = try String(contentsOf: content.appendingPathComponent(path), encoding: .utf8)
            if path.hasSuffix(".md") {
                yaml = try FrontMatter.split(text, path: path).get().yaml
            } else {
                yaml = text
            }
            files += 1
            if !Self.agree(yaml) { declined.append(path) }
        }
        #expect(files > 10)
        // Block literals and one-line flow mappings included: no file of the sample needs Yams.
        #expect(declined.isEmpty, "read by Yams: \(declined)")
    }
}
