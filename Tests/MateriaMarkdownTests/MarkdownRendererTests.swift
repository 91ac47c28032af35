import Foundation
import Testing
import MateriaTestSupport
@testable import MateriaMarkdown

@Suite struct MarkdownRendererTests {
    func html(_ source: String, raw: Bool = false) -> String {
        MarkdownRenderer.render(source, options: MarkdownOptions(allowRawHTML: raw)).html
    }

    @Test func rendersGFMExtensions() {
        let out = html("~~old~~ and www.example.org and a | table\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n")
        #expect(out.contains("<del>old</del>"))
        #expect(out.contains("<a href=\"http://www.example.org\">www.example.org</a>"))
        #expect(out.contains("<table>"))
    }

    @Test func tablesUseStyleAttributesAndHeaderScope() {
        let out = html("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
        #expect(!out.contains("align="))
        #expect(out.contains("<th scope=\"col\" style=\"text-align: left\">a</th>"))
        #expect(out.contains("<div class=\"table-wrap\">"))
    }

    @Test func tableCaptionFromPrecedingParagraph() {
        let out = html("Table: Magnesium *by age*\n\n| a |\n|---|\n| 1 |\n")
        #expect(out.contains("<table>\n<caption>Magnesium <em>by age</em></caption>"))
        #expect(!out.contains("Table:"))
    }

    @Test func headingsGetUniqueIDsAvoidingReservedOnes() {
        let rendered = MarkdownRenderer.render("## Key points\n\n## Dose & *safety*\n\n## Dose & safety\n",
                                               options: MarkdownOptions(reservedIDs: ["key-points"]))
        #expect(rendered.headings.map(\.id) == ["key-points-1", "dose-safety", "dose-safety-1"])
        #expect(rendered.headings.map(\.text) == ["Key points", "Dose & safety", "Dose & safety"])
        #expect(rendered.html.contains("<h2 id=\"dose-safety\">Dose &amp; <em>safety</em></h2>"))
        #expect(rendered.headings.map(\.line) == [1, 3, 5])
    }

    /// A page's numbered ids (its FAQ entries, `faq-1` … `faq-N`) are avoided like the reserved
    /// set: only numbers 1 … N as written (no leading zero), and no others.
    @Test func headingsAvoidAReservedSeries() {
        var options = MarkdownOptions(reservedIDs: ["key-points"])
        options.reservedSeries = ("faq-", 12)
        let rendered = MarkdownRenderer.render("## FAQ 1\n\n## FAQ 12\n\n## FAQ 13\n\n## FAQ 01\n\n## FAQ 0\n\n## FAQ\n\n## FAQ 1\n\n## Key points\n",
                                               options: options)
        #expect(rendered.headings.map(\.id) == ["faq-1-1", "faq-12-1", "faq-13", "faq-01", "faq-0", "faq", "faq-1-2", "key-points-1"])
        var none = MarkdownOptions()
        none.reservedSeries = ("faq-", 0)
        #expect(MarkdownRenderer.render("## FAQ 1\n", options: none).headings.map(\.id) == ["faq-1"])
    }

    /// Plain-text headings (and fragment headings) are written without cmark's renderer, and a
    /// table's scope, caption and wrapper are added in one pass. The expected HTML is what the
    /// earlier implementation (cmark rendering each heading and table, then string replacements)
    /// wrote for the same Markdown, escaping exactly as cmark does (`'` stays as it is).
    @Test func handWrittenHeadingsAndTablesMatchCmark() {
        let text = "Salt & \"pepper\" <b> it's 5 > 4 — ü"
        #expect(html("## \(text)\n") == "<h2 id=\"salt-pepper-b-its-5-4-ü\">Salt &amp; “pepper” &lt;b&gt; it’s 5 &gt; 4 — ü</h2>\n")
        let fragment = MarkdownRenderer.render("### \(text)\n", options: MarkdownOptions(isFragment: true)).html
        #expect(fragment == "<p><strong>Salt &amp; “pepper” &lt;b&gt; it’s 5 &gt; 4 — ü</strong></p>\n")
        // Smart punctuation curls a plain apostrophe; an escaped one stays, and cmark writes it as it is.
        #expect(html("## It\\'s \\\"x\\\"\n") == "<h2 id=\"its-x\">It's &quot;x&quot;</h2>\n")
        #expect(MarkdownRenderer.render("### It\\'s\n", options: MarkdownOptions(isFragment: true)).html == "<p><strong>It's</strong></p>\n")
        let table = html("Table: A *caption* <th>\n\n| a | <th> b | c |\n|:--|---|--:|\n| 1 | 2 | 3 |\n")
        #expect(table == """
            <div class="table-wrap">
            <table>
            <caption>A <em>caption</em> &lt;th&gt;</caption>
            <thead>
            <tr>
            <th scope="col" style="text-align: left">a</th>
            <th scope="col">&lt;th&gt; b</th>
            <th scope="col" style="text-align: right">c</th>
            </tr>
            </thead>
            <tbody>
            <tr>
            <td style="text-align: left">1</td>
            <td>2</td>
            <td style="text-align: right">3</td>
            </tr>
            </tbody>
            </table>
            </div>

            """)
        #expect(html("- [ ] task\n- [x] done\n- [not a task\n") == """
            <ul>
            <li><label class="task"><input type="checkbox" disabled> task</label></li>
            <li><label class="task"><input type="checkbox" disabled checked> done</label></li>
            <li>[not a task</li>
            </ul>

            """)
    }

    @Test func rawHTMLIsEscapedByDefault() {
        let out = html("<script>alert(1)</script>\n\nText with <b>bold</b>.\n")
        #expect(!out.contains("<script>"))
        #expect(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(out.contains("&lt;b&gt;bold&lt;/b&gt;"))
    }

    /// A site that has not opted in is rendered without cmark-gfm's tag filter: its raw HTML is
    /// text, so no tag the filter disables may reach the HTML, wherever Materia writes HTML itself.
    @Test func tagsTheFilterDisablesNeverComeOutOfEscapedRawHTML() {
        let tags = ["title", "textarea", "style", "xmp", "iframe", "noembed", "noframes", "script", "plaintext"]
        for tag in tags + tags.map { $0.uppercased() } {
            let raw = "<\(tag) x=1>a</\(tag)>"
            let text = """
                # Heading \(raw)

                Para \(raw) *em \(raw)* [link \(raw)](/x) `\(raw)`

                \(raw)

                Table: caption \(raw)

                | a \(raw) | b |
                | --- | --- |
                | \(raw) | - [ ] \(raw) |

                > \(raw)

                - [x] \(raw)
                - item \(raw)[^1]

                [^1]: note \(raw)
                """
            let out = MarkdownRenderer.render(text).html.lowercased()
            for disabled in tags { #expect(!out.contains("<\(disabled)"), "\(tag): \(out)") }
        }
    }

    @Test func optedInRawHTMLStillFiltersDangerousTags() {
        let out = html("<div class=\"note\">ok</div>\n\n<script>alert(1)</script>\n\nInline <b>bold</b> <iframe src=x></iframe>\n", raw: true)
        #expect(out.contains("<div class=\"note\">ok</div>"))
        #expect(out.contains("<b>bold</b>"))
        #expect(!out.contains("<script>"))
        #expect(out.contains("&lt;script>"))
        #expect(!out.contains("<iframe"))
    }

    @Test func dangerousURLsAreRemoved() {
        let out = html("[a](javascript:alert(1)) [b](JAVASCRIPT:x) [c](vbscript:x) [d](data:text/html,x) ![e](data:image/png;base64,AA) [f](https://ok.example/)")
        #expect(!out.lowercased().contains("javascript:"))
        #expect(!out.contains("vbscript:"))
        #expect(!out.contains("data:text/html"))
        #expect(out.contains("data:image/png;base64,AA"))
        #expect(out.contains("href=\"https://ok.example/\""))
    }

    @Test func taskListCheckboxesHaveLabels() {
        let out = html("- [x] done **well**\n- [ ] open\n- plain\n")
        #expect(out.contains("<li><label class=\"task\"><input type=\"checkbox\" disabled checked> done <strong>well</strong></label></li>"))
        #expect(out.contains("<li><label class=\"task\"><input type=\"checkbox\" disabled> open</label></li>"))
        #expect(out.contains("<li>plain</li>"))
    }

    @Test func smartPunctuationAndFootnotes() {
        let out = html("It's \"quoted\" -- yes...[^n]\n\n[^n]: Note.\n")
        #expect(out.contains("It’s “quoted” – yes…"))
        #expect(out.contains("<section class=\"footnotes\" data-footnotes>"))
    }

    @Test func fragmentsFlattenHeadingsAndPrefixFootnotes() {
        var options = MarkdownOptions(isFragment: true)
        options.footnotePrefix = "x-faq-1-"
        let rendered = MarkdownRenderer.render("## Dosage *today*\n\nSee note[^1].\n\n[^1]: A.\n", options: options)
        #expect(rendered.html.hasPrefix("<p><strong>Dosage <em>today</em></strong></p>"))
        #expect(rendered.headings.isEmpty)
        #expect(rendered.html.contains("<a href=\"#x-faq-1-fn-1\" id=\"x-faq-1-fnref-1\" data-footnote-ref>1</a>"))
        #expect(rendered.html.contains("<li id=\"x-faq-1-fn-1\">"))
        #expect(!rendered.html.contains("\"fn-1\""))
    }

    @Test func headingIDsNeverTakeFootnoteIDs() {
        let rendered = MarkdownRenderer.render("## Fn 1\n\n## Fnref 2\n\ntext[^a]\n\n[^a]: note\n")
        #expect(rendered.headings.map(\.id) == ["fn-1-1", "fnref-2-1"])
    }

    @Test func noSourcePositionsLeakIntoHTML() {
        #expect(!html("# A\n\npara\n").contains("data-sourcepos"))
    }

    @Test func wordCountCountsWhitespaceSeparatedWords() {
        #expect(MarkdownRenderer.render("one two\n\nthree  four\tfive").wordCount == 5)
        // Every separator at every position of short and long texts counts as in a plain loop.
        func reference(_ text: String) -> Int {
            var count = 0, previousSpace = true
            for byte in text.utf8 {
                let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
                if previousSpace && !isSpace { count += 1 }
                previousSpace = isSpace
            }
            return count
        }
        let positions = everyPosition(of: [" ", "\n", "\t", "\r", "  ", "\u{1F}", "!"], lengths: [1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47])
        let samples = ["", " ", "word", "é漢字 ünï", "\u{0B}\u{0C}x y", String(repeating: "ab cd\t", count: 9)]
            + positions + positions.map { $0.replacingOccurrences(of: "x", with: " ") }
        for sample in samples {
            #expect(MarkdownRenderer.countWords(sample) == reference(sample), "\(sample.debugDescription)")
        }
    }

    /// The benchmark's two floors (`materia-floor`) parse and render the same way, one with
    /// cmark-gfm's own allocator and one in Materia's arena: the HTML must be the same, extensions
    /// included, for small documents and for one larger than the arena's chunks.
    @Test func bothFloorsMakeTheSameHTML() {
        let table = "| Nutrient | Adults |\n| --- | ---: |\n| Magnesium | 400 mg |\n| Calcium | 1,000 mg |\n"
        let rich = "# Title\n\nSome ~~old~~ *new* text with a footnote.[^1] Visit www.example.org or write to a@b.org.\n\n"
            + table + "\n- [x] done\n- [ ] not done\n\n<div>raw <b>HTML</b></div> and <script>x</script>\n\n[^1]: The note.\n"
        let large = String(repeating: rich, count: 6_000)  // about 1.8 MB of HTML: past the arena's chunks
        for text in ["", "plain words", rich, large] {
            #expect(MarkdownRenderer.stockHTML(text) == MarkdownRenderer.plainHTML(text), "\(text.prefix(40).debugDescription)")
        }
        // Not two empty strings: the extensions ran.
        let html = MarkdownRenderer.stockHTML(rich)
        for part in ["<del>old</del>", "<table>", #"<td style="text-align: right">400 mg</td>"#, #"<a href="http://www.example.org">"#,
                     #"<a href="mailto:a@b.org">"#, "&lt;script>", "footnote-ref"] {
            #expect(html.contains(part), "\(part)")
        }
    }

    /// The autolink extension is left out of texts with none of the forms it looks for, and "w" out
    /// of its characters until a text holds "www." (`MarkdownRenderer.withDocument`): bare links
    /// must still come out exactly as stock cmark-gfm with every extension makes them (`plainHTML`).
    @Test func bareLinksComeOutAsStockCmarkGFMMakesThem() {
        let texts = [
            "Visit www.example.org today.", "Visit WWW.EXAMPLE.ORG or Www.example.org today.", "(www.example.org/a_(b))",
            "*www.example.org* and ~~www.example.net~~", "See https://example.org/x. And http://a.b/c?d=e#f, ftp://files.example.org/y",
            "a:b//c and x://y and https:/z and HTTPS://EXAMPLE.ORG", "Write to name@example.org, mailto:a@b.org or xmpp:c@d.org/r.",
            "An entity: user&#64;example.org, and &amp; alone.", "[www.example.org](/x), `www.example.org` and <https://example.org>",
            "Words with w: window, two, awwww.example.org, w w w., wwwx.org, www.", "no links at all here", "",
            "> quote www.example.org\n\n- item https://x.org\n- item two", "Line one\nwww.example.org/line two\\\nhttps://x.org",
            "[NCBI](https://www.ncbi.nlm.nih.gov/books/), https://www.example.org/x, a/www.example.org and http://www.",
            ">www.example.org", "Text(www.example.org) and *www.example.net*",
        ]
        for text in texts {
            #expect(MarkdownRenderer.render(text).html == MarkdownRenderer.plainHTML(text), "\(text.debugDescription)")
        }
        // Both ways share the process's table of characters: the links themselves are checked too.
        #expect(MarkdownRenderer.render(texts[0]).html == #"<p>Visit <a href="http://www.example.org">www.example.org</a> today.</p>"# + "\n")
        #expect(MarkdownRenderer.render(texts[7]).html.contains(#"<a href="mailto:user@example.org">user@example.org</a>"#))
        // A table cell starts a text of its own (Materia wraps tables, so the HTML is not cmark-gfm's).
        #expect(MarkdownRenderer.render("|a|b|\n|-|-|\n|www.example.org|x|").html.contains(#"<td><a href="http://www.example.org">www.example.org</a></td>"#))
    }

    @Test func autolinkFormsAreFoundWhereverTheyAre() {
        func reference(_ text: String) -> (any: Bool, www: Bool, address: Bool) {
            let folded = String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
            let www = folded.replacingOccurrences(of: "/www.", with: "/").contains("www."), address = text.contains("@") || text.contains("&")
            return (www || text.contains("://") || address, www, address)
        }
        let lengths = [4, 5, 8, 15, 16, 17, 19, 31, 32, 33, 48]
        let forms = everyPosition(of: ["www.", "WwW.", "://", "@", "&", "/www.", "://www."], lengths: lengths)
        let nearMisses = everyPosition(of: ["ww.", "w", "W", "wwW", ":/", "/", ":", "www", "w.w.w."], lengths: lengths)
        // A form after another: the scan goes on to "www." after "@", and to "@" after "www.".
        let both = everyPosition(of: ["www."], lengths: lengths).map { "@" + $0 } + everyPosition(of: ["@", "&"], lengths: lengths).map { "www." + $0 }
        for sample in ["", "x", "www", "www.", "w:/", "a://", String(repeating: "wow ", count: 20)] + forms + nearMisses + both {
            let found = MarkdownRenderer.autolinkForms(sample), expected = reference(sample)
            #expect(found.any == expected.any && found.www == expected.www && found.address == expected.address, "\(sample.debugDescription)")
        }
    }

    /// cmark-gfm 0.29 rewrites a process-wide table of special characters around every parse:
    /// with Materia's replacement of that function (CMarkGFMInlineChars) parsers run on several
    /// threads at once, and rendering from many threads must still give exactly the serial result.
    /// Without it, about a third of such documents lose their strikethrough.
    @Test func concurrentRenderingEqualsSerial() {
        #expect(MarkdownRenderer.parsesInParallel, "Debian's cmark-gfm should call Materia's replacement")
        let filler = String(repeating: "Plain words *with emphasis* and `code` between the marks. ", count: 20)
        let documents = (0..<2000).map { i in
            "## Part \(i)\n\n\(filler)~~struck \(i)~~ and **strong** and https://example.org/\(i)\n\n| a | b |\n|---|---|\n| \(i) | ~~x~~ |\n\n- [ ] task \(i)\n"
        }
        let serial = documents.map { MarkdownRenderer.render($0).html }
        nonisolated(unsafe) var parallel = [String](repeating: "", count: documents.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: documents.count) { index in
            let out = MarkdownRenderer.render(documents[index]).html
            lock.lock(); parallel[index] = out; lock.unlock()
        }
        let wrong = zip(parallel, serial).filter { $0 != $1 }.count
        #expect(wrong == 0, "\(wrong) of \(documents.count) documents differ from the serial rendering")
        #expect(serial.allSatisfy { $0.contains("<del>struck") })
    }
}

extension MarkdownRendererTests {
    /// cmark-gfm allocates through a per-thread arena that is released when each document is
    /// done. A document far larger than one of its chunks converts to the same HTML every time
    /// (its memory reused, never corrupted), and afterwards the thread holds no more than it did
    /// after a small document: the extra chunks were given back.
    @Test func arenaIsReleasedAfterEveryDocument() {
        let small = "Paragraph with **bold** text and a [link](https://example.org/)."
        let big = (1...4000).map { "- item \($0) with *emphasis*, `code` and [a link](https://example.org/\($0))" }
            .joined(separator: "\n") + "\n\n| a | b |\n|---|---|\n" + (1...2000).map { "| \($0) | ~~\($0)~~ |" }.joined(separator: "\n")
        _ = html(small)
        let afterSmall = MarkdownRenderer.arenaBytesOnThisThread
        let first = html(big)
        let afterBig = MarkdownRenderer.arenaBytesOnThisThread
        for index in 0..<300 { #expect(html("\(index): " + small).hasSuffix("</a>.</p>\n")) }
        // Nodes the rewriting takes out of a small document (a table, a heading, raw HTML, a
        // caption's paragraph) are left to the arena rather than freed one by one: nothing stays.
        for index in 0..<300 {
            let rewritten = html("# H \(index)\n\n<b>raw</b>\n\nTable: T\n\n| a |\n|---|\n| \(index) |\n")
            #expect(rewritten.contains("<td>\(index)</td>") && rewritten.contains("<caption>T</caption>") && rewritten.contains("&lt;b&gt;"))
        }
        #expect(MarkdownRenderer.arenaBytesOnThisThread == afterSmall)
        #expect(html(big) == first)
        #expect(first.contains("<li>item 4000 with <em>emphasis</em>, <code>code</code> and <a href=\"https://example.org/4000\">a link</a></li>"))
        #expect(first.contains("<td><del>2000</del></td>"))
        #expect(afterSmall > 0)
        #expect(afterBig == afterSmall)
        #expect(MarkdownRenderer.arenaBytesOnThisThread == afterSmall)
    }

    /// A NUL character in the Markdown never reaches the HTML: cmark-gfm puts U+FFFD in its place
    /// (Swift strings are valid UTF-8 already, so cmark-gfm is not asked to check that).
    @Test func nulBecomesReplacementCharacter() {
        #expect(html("a\u{0}b\n") == "<p>a\u{FFFD}b</p>\n")
        #expect(html("`x\u{0}y`\n") == "<p><code>x\u{FFFD}y</code></p>\n")
    }
}

extension MarkdownRendererTests {
    /// `ByteText.replacing` (and the one-pass `string` it uses) against Foundation's
    /// `replacingOccurrences` on texts with the needle at the start, the end, twice in a row,
    /// beside characters that are not ASCII, or not at all; replacements shorter, longer and empty.
    @Test func byteReplacingMatchesFoundation() {
        let texts = ["", "x", "materia-root:", "materia-root:materia-root:", "a materia-root:b/ ü materia-root:",
                     "materia-roo", "ümateria-root:ü", "materia-root:materia-root", String(repeating: "é materia-root:x ", count: 40)]
        for text in texts {
            for new in ["../../", "", "../../../../../../../../", "ü"] {
                #expect(ByteText.replacing(text, "materia-root:", with: new) == text.replacingOccurrences(of: "materia-root:", with: new),
                        "\(text) → \(new)")
            }
        }
        #expect(ByteText.replacing("abc", "", with: "x") == "abc")
        var text = "no needle here"
        #expect(text.withUTF8 { ByteText.string($0, replacing: "materia-root:", with: "../") } == nil)
    }

    /// FAQ answers of plain words skip cmark-gfm (`plainParagraph`): the same HTML and values as
    /// cmark-gfm gives, for texts that take that path, and cmark-gfm for everything else.
    @Test func plainParagraphsMatchCMark() {
        let options = MarkdownOptions(isFragment: true)
        let plain = ["Magnesium helps muscles relax.", "Yes: most adults get 310 to 420 mg/day (RDA); see a doctor!",
                     "Low iron? Eat beans, lentils and 100% whole grains; ask first.", "Vitamin D3 (cholecalciferol) is made in skin.",
                     "Caf\u{e9} au lait has calcium \u{2014} about 120 mg.", "x", "Two  spaces  stay.", "A.B.C. ends with a dot.", "a!"]
        for text in plain {
            let fast = MarkdownRenderer.plainParagraph(text, options)
            #expect(fast != nil, "\(text) should take the plain path")
            #expect(fast == MarkdownRenderer.renderWithCMark(text, options: options), "\(text)")
            #expect(fast?.html == "<p>\(text)</p>\n")
        }
        let markdown = ["1. a list", "- a list", "# heading", "*emphasis*", "a_b_c", "a `code` span", "a [link](x)", "[[wikilink]]",
                        "it's", "\"quoted\"", "dash -- here", "wait...", "a & b", "a < b", "a > b", "see https://example.org",
                        "www.example.org", "mail me@example.org", "trailing ", " leading", "two\nlines", "tab\there", "a | b", "~~gone~~",
                        "a\\b", "\u{feff}bom", "4 mg", "a ![image](x)", "note[^1]", "C++", "a = b", "$5", "#tag", "WWW.example.org"]
        for text in markdown {
            #expect(MarkdownRenderer.plainParagraph(text, options) == nil, "\(text) must go through cmark-gfm")
        }
        // Auto-linked terms and a link root rewrite plain text: those texts go through cmark-gfm.
        #expect(MarkdownRenderer.plainParagraph("Magnesium helps.", MarkdownOptions(autolink: .first)) == nil)
        var rooted = options
        rooted.linkRoot = "../../"
        #expect(MarkdownRenderer.plainParagraph("Magnesium helps.", rooted) == nil)
    }

    /// Random texts from letters, the punctuation the plain path takes and bytes that start
    /// Markdown: every one that takes the plain path renders as cmark-gfm renders it.
    @Test func randomPlainParagraphsMatchCMark() {
        var generator = SeededGenerator(seed: 0x5EED_F00D)
        let plain = ["a", "B", "z", "7", " ", "  ", ",", ".", "?", "!", ";", ":", "(", ")", "%", "/", "\u{e9}", "\u{2014}", "w"]
        let syntax = ["www.", "-", "*", "_", "'", "\"", "&", "<", "[", "]", "#", "`", "~", "|", "\\", "@", "://", "\n", "\t", "1.", "+",
                      "=", ">", "\u{0}", "\r", "--", "...", "'s", "2)"]
        var taken = 0
        for _ in 0..<20000 {
            let length = Int.random(in: 1...12, using: &generator)
            // Mostly plain pieces, with now and then one that starts Markdown.
            let text = (0..<length).map { _ in
                (Int.random(in: 0..<10, using: &generator) == 0 ? syntax : plain).randomElement(using: &generator)!
            }.joined()
            let options = MarkdownOptions(isFragment: Bool.random(using: &generator))
            guard let fast = MarkdownRenderer.plainParagraph(text, options) else { continue }
            taken += 1
            #expect(fast == MarkdownRenderer.renderWithCMark(text, options: options), "\(text.debugDescription)")
        }
        #expect(taken > 1000, "only \(taken) random texts took the plain path")
    }
}

/// A repeatable random number generator (SplitMix64) for the tests' random texts.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
