import Testing
@testable import MateriaMarkdown

/// A tiny site: magnesium (with the short alias Mg), hypomagnesemia, one article.
struct StubSite: MarkdownEnvironment {
    func wikilink(_ target: String) -> LinkResolution {
        switch target.lowercased() {
        case "magnesium": return .page(path: "nutrients/magnesium/", fragment: nil, key: "nutrient:magnesium", title: nil)
        case "hypomagnesemia": return .page(path: "conditions/hypomagnesemia/", fragment: nil, key: "condition:hypomagnesemia", title: nil)
        case "lip-twitching": return .page(path: "articles/lip-twitching/", fragment: nil, key: "article:lip-twitching", title: "Lip twitching")
        default: return .failure(message: "unknown wikilink target '\(target)'", fix: "did you mean 'magnesium'?")
        }
    }

    func markdownLink(_ url: String) -> LinkResolution {
        if url == "lip.md" || url == "/articles/lip-twitching/" {
            return .page(path: "articles/lip-twitching/", fragment: nil, key: "article:lip-twitching", title: nil)
        }
        return .failure(message: "no page at '\(url)'", fix: "check the path")
    }

    static let matcher = AutolinkMatcher([AutolinkTerm(text: "magnesium", key: "nutrient:magnesium", path: "nutrients/magnesium/", caseSensitive: false),
         AutolinkTerm(text: "Mg", key: "nutrient:magnesium", path: "nutrients/magnesium/", caseSensitive: true),
         AutolinkTerm(text: "low magnesium", key: "condition:hypomagnesemia", path: "conditions/hypomagnesemia/", caseSensitive: false),
         AutolinkTerm(text: "hypomagnesemia", key: "condition:hypomagnesemia", path: "conditions/hypomagnesemia/", caseSensitive: false)])

    var autolinkMatcher: AutolinkMatcher { Self.matcher }

    func directive(_ text: String, inline: Bool) -> Result<DirectiveOutput, DirectiveError> {
        text.hasPrefix("ul magnesium") ? .success(DirectiveOutput(html: inline ? "<span>350 mg</span>" : "<table></table>\n"))
            : .failure(DirectiveError(message: "unknown directive", fix: "use ul", offset: 0))
    }
}

@Suite struct LinkTests {
    func render(_ source: String, autolink: AutolinkMode = .first, selfKey: String? = nil) -> RenderedMarkdown {
        MarkdownRenderer.render(source, options: MarkdownOptions(environment: StubSite(), autolink: autolink, selfKey: selfKey))
    }

    /// A text shown on one page only (an article's body) has its site links written for that
    /// page as it is rendered: the same HTML as completing the prefix afterwards, directives' links
    /// included, and nothing else changed.
    @Test func linksWrittenForTheOnePageShowingTheText() {
        let source = "Read [[magnesium|this mineral]] and [text](lip.md), low magnesium, [[lip-twitching#causes]].\n\n"
            + "Plain materia-root: text is completed too, as a page would.\n"
        var options = MarkdownOptions(environment: StubSite(), autolink: .first)
        let prefixed = MarkdownRenderer.render(source, options: options)
        options.linkRoot = "../../"
        let written = MarkdownRenderer.render(source, options: options)
        #expect(prefixed.html.contains("materia-root:"))
        #expect(!written.html.contains("materia-root:"))
        #expect(written.html.contains("<a href=\"../../nutrients/magnesium/\">this mineral</a>"))
        #expect(written.html == SiteLink.complete(prefixed.html, root: "../../"))
        #expect(written.links == prefixed.links)
        // A root longer than the prefix, and no link at all.
        options.linkRoot = "../../../../../../"
        #expect(MarkdownRenderer.render(source, options: options).html == SiteLink.complete(prefixed.html, root: "../../../../../../"))
        #expect(MarkdownRenderer.render("No links here.\n", options: options).html == "<p>No links here.</p>\n")
    }

    @Test func wikilinksResolveWithLabelsFragmentsAndPositions() {
        let out = render("Read [[magnesium|this mineral]] and [[lip-twitching#causes]] or [[hypomagnesemia]].\n", autolink: .off)
        #expect(out.html.contains("<a href=\"materia-root:nutrients/magnesium/\">this mineral</a>"))
        #expect(out.html.contains("<a href=\"materia-root:articles/lip-twitching/#causes\">Lip twitching</a>"))
        #expect(out.html.contains("<a href=\"materia-root:conditions/hypomagnesemia/\">hypomagnesemia</a>"))
        #expect(out.links.map { "\($0.kind.rawValue) \($0.line):\($0.column) \($0.key ?? "-")" } == [
            "wikilink 1:6 nutrient:magnesium", "wikilink 1:37 article:lip-twitching", "wikilink 1:65 condition:hypomagnesemia",
        ])
        #expect(out.links[1].fragment == "causes")
        #expect(out.links[0].context == "Read this mineral and Lip twitching or hypomagnesemia.")
        // A heading of this page: a fragment alone, without the site's root in front.
        let here = render("Back to [[#causes]] or [[#causes|the causes]].\n", autolink: .off)
        #expect(here.html.contains("Back to <a href=\"#causes\">causes</a> or <a href=\"#causes\">the causes</a>."))
    }

    @Test func wikilinksInHeadingsLinkAndInLinkTextShowTheirLabel() {
        let out = render("## About [[magnesium]]\n\n[see [[magnesium|the mineral]] here](https://example.org/) ![[[hypomagnesemia]]](x.png)\n",
                         autolink: .off)
        #expect(out.html.contains("<h2 id=\"about-magnesium\">About <a href=\"materia-root:nutrients/magnesium/\">magnesium</a></h2>"))
        #expect(out.headings.map(\.text) == ["About magnesium"])
        #expect(out.html.contains("<a href=\"https://example.org/\">see the mineral here</a>"))
        #expect(out.html.contains("alt=\"hypomagnesemia\""))
        #expect(out.links.map(\.kind) == [.wikilink])
    }

    @Test func bracketsFromEscapesOrEntitiesInLinkTextShowTheLabel() {
        // Neither source holds "[[": a text is searched for wikilinks only when its source holds
        // "[[", an escaped bracket or an entity, each of which can put "[[" into cmark's text.
        for source in ["[\\[\\[magnesium|the mineral\\]\\] here](https://example.org/)\n",
                       "[&#91;&#91;magnesium|the mineral&#93;&#93; here](https://example.org/)\n"] {
            let out = render(source, autolink: .off)
            #expect(out.html.contains("<a href=\"https://example.org/\">the mineral here</a>"))
        }
        // Outside a link the brackets stay text, without a problem.
        let plain = render("See &#91;&#91;magnesium&#93;&#93; and \\[\\[magnesium\\]\\].\n", autolink: .off)
        #expect(plain.html.contains("See [[magnesium]] and [[magnesium]]."))
        #expect(plain.links.isEmpty && plain.problems.isEmpty)
    }

    @Test func unknownWikilinkIsAProblemAtItsPosition() {
        let out = render("Intro.\n\nSee [[magnesum]] now.\n", autolink: .off)
        #expect(out.problems == [MarkdownProblem(line: 3, column: 5, message: "unknown wikilink target 'magnesum'", fix: "did you mean 'magnesium'?")])
        #expect(out.html.contains("[[magnesum]]"))
    }

    @Test func positionsAreThoseOfTheSourceDespiteSmartQuotesEntitiesAndEscapes() {
        let out = render("Don't \"quote\" -- A &amp; B \\* then [[magnesum]].\n\n`code\nspan` then [[magnesb]]\n", autolink: .off)
        #expect(out.problems.map { "\($0.line):\($0.column)" } == ["1:36", "4:12"])
    }

    @Test func escapedBracketsStayTextAndUnclosedOrEmptyAnchorsAreErrors() {
        let escaped = render("Not a link: \\[\\[magnesium\\]\\].\n", autolink: .off)
        #expect(escaped.links.isEmpty && escaped.problems.isEmpty)
        #expect(escaped.html.contains("[[magnesium]]"))
        let unclosed = render("Take [[magnesium daily.\n", autolink: .off)
        #expect(unclosed.problems.map { "\($0.line):\($0.column) \($0.message)" } == ["1:6 a wikilink opened here is not closed"])
        let empty = render("See [[magnesium#]] and [[#]].\n", autolink: .off)
        #expect(empty.problems.map(\.column) == [5, 24])
        #expect(empty.problems.allSatisfy { $0.message.contains("empty '#' anchor") })
    }

    @Test func wikilinksInTablesAndNotInCode() {
        let out = render("| a | b |\n|---|---|\n| [[magnesium\\|Mg]] | `[[magnesium]]` |\n", autolink: .off)
        #expect(out.html.contains("<a href=\"materia-root:nutrients/magnesium/\">Mg</a>"))
        #expect(out.html.contains("<code>[[magnesium]]</code>"))
        #expect(out.links.count == 1)
    }

    @Test func autolinksFirstMentionLongestTermWholeWordsOnly() {
        let out = render("## Magnesium basics\n\nLow magnesium is common. Magnesium helps; magnesiumlike words do not. Take 350 mg, not Mg. More magnesium.\n")
        // Not in the heading; "Low magnesium" (the longer term) links the condition; the nutrient's
        // first mention is the next "Magnesium"; "mg" (lowercase) is not the alias "Mg".
        #expect(out.html.contains("<h2 id=\"magnesium-basics\">Magnesium basics</h2>"))
        #expect(out.html.contains("<a href=\"materia-root:conditions/hypomagnesemia/\">Low magnesium</a> is common. <a href=\"materia-root:nutrients/magnesium/\">Magnesium</a> helps"))
        #expect(out.html.contains("Take 350 mg, not Mg. More magnesium."))
        #expect(out.links.map(\.kind) == [.autolink, .autolink])
        #expect(out.links.map(\.column) == [1, 26])
        #expect(out.links.map(\.line) == [3, 3])
        #expect(out.links[1].context == "Magnesium helps; magnesiumlike words do not.")
    }

    @Test func autolinksSkipLinksCodeSelfAndExplicitlyLinkedEntities() {
        let out = render("[magnesium](https://example.org/) and `magnesium` and [[hypomagnesemia]] then hypomagnesemia and magnesium.\n",
                         selfKey: "nutrient:magnesium")
        #expect(!out.html.contains("materia-root:nutrients/magnesium/"))
        #expect(out.links.map(\.kind) == [.wikilink])
        #expect(out.externalLinks == [ExternalLink(url: "https://example.org/", line: 1, column: 1)])
    }

    /// The entities a text has linked are kept as bits by their numbers in the matcher: a site
    /// with more than 64 of them uses more than one word of bits.
    @Test func autolinksOfManyEntitiesLinkEachOnce() {
        struct Many: MarkdownEnvironment {
            static let matcher = AutolinkMatcher((0..<70).map {
                AutolinkTerm(text: "term\($0)", key: "symptom:s\($0)", path: "symptoms/s\($0)/", caseSensitive: false)
            } + [AutolinkTerm(text: "alias66", key: "symptom:s66", path: "symptoms/s66/", caseSensitive: false)])
            func wikilink(_ target: String) -> LinkResolution {
                .page(path: "symptoms/\(target)/", fragment: nil, key: "symptom:\(target)", title: nil)
            }
            func markdownLink(_ url: String) -> LinkResolution { .unchanged }
            var autolinkMatcher: AutolinkMatcher { Self.matcher }
            func directive(_ text: String, inline: Bool) -> Result<DirectiveOutput, DirectiveError> {
                .failure(DirectiveError(message: "none", fix: "none", offset: 0))
            }
        }
        let out = MarkdownRenderer.render("See [[s3]]. Term65, term3, term66 and term0; then term65, alias66, term64 and term1.\n",
                                          options: MarkdownOptions(environment: Many(), autolink: .first, selfKey: "symptom:s1"))
        // s3 is linked on purpose and s1 is the page itself; s65 and s66 (the second word of bits)
        // and s0 and s64 link once each, at their first mention.
        #expect(out.links.map { $0.key ?? "-" } == ["symptom:s3", "symptom:s65", "symptom:s66", "symptom:s0", "symptom:s64"])
        #expect(out.html.contains("<a href=\"materia-root:symptoms/s65/\">Term65</a>, term3, <a href=\"materia-root:symptoms/s66/\">term66</a>"))
        #expect(out.html.contains("then term65, alias66, <a href=\"materia-root:symptoms/s64/\">term64</a> and term1."))
    }

    @Test func directiveTablesDoNotStopAutolinks() {
        struct Linking: MarkdownEnvironment {
            func wikilink(_ target: String) -> LinkResolution { StubSite().wikilink(target) }
            func markdownLink(_ url: String) -> LinkResolution { StubSite().markdownLink(url) }
            var autolinkMatcher: AutolinkMatcher { StubSite.matcher }
            func directive(_ text: String, inline: Bool) -> Result<DirectiveOutput, DirectiveError> {
                .success(DirectiveOutput(html: "<table></table>\n", links: [LinkTarget(path: "nutrients/magnesium/", key: "nutrient:magnesium")],
                                         context: "Table: compared"))
            }
        }
        let out = MarkdownRenderer.render("```materia\ncompare magnesium\n```\n\nLater, magnesium.\n",
                                          options: MarkdownOptions(environment: Linking(), autolink: .first))
        #expect(out.links.map(\.kind) == [.directive, .autolink])
        #expect(out.links[0].context == "Table: compared")
        #expect(out.html.contains("Later, <a href=\"materia-root:nutrients/magnesium/\">magnesium</a>."))
    }

    @Test func possessivesAndNonASCIIWordsMatchWholeWords() {
        let out = render("Magnesium’s role in café life, then magnesiumcitrate and low magnesium.\n")
        #expect(out.html.hasPrefix("<p><a href=\"materia-root:nutrients/magnesium/\">Magnesium</a>’s role in café life"))
        #expect(out.html.contains("magnesiumcitrate and <a href=\"materia-root:conditions/hypomagnesemia/\">low magnesium</a>."))
        #expect(out.links.map(\.column) == [1, 61])
    }

    @Test func escapedRawHTMLJoinsTheTextAroundIt() {
        // Escaped raw HTML becomes text nodes after the tree's first walk: the text nodes are
        // found again, so the paragraph's runs are joined and the next paragraph's wikilink and
        // name are still whole.
        let out = render("a <b>bold</b> b and <i>c</i>\n\nSee [[magnesium]] and low magnesium.\n")
        #expect(out.html.contains("<p>a &lt;b&gt;bold&lt;/b&gt; b and &lt;i&gt;c&lt;/i&gt;</p>"))
        #expect(out.html.contains("See <a href=\"materia-root:nutrients/magnesium/\">magnesium</a> and "
                                  + "<a href=\"materia-root:conditions/hypomagnesemia/\">low magnesium</a>."))
        #expect(out.links.map(\.kind) == [.wikilink, .autolink])
        #expect(out.problems.isEmpty)
    }

    @Test func autolinksPerSectionRepeatAfterHeadings() {
        let out = render("magnesium one.\n\n## Next\n\nmagnesium two.\n", autolink: .firstPerSection)
        #expect(out.links.count == 2)
        #expect(render("magnesium one.\n\n## Next\n\nmagnesium two.\n").links.count == 1)
    }

    @Test func markdownLinksToSiteFilesAreRewritten() {
        let out = render("See [lip](lip.md), [same](/articles/lip-twitching/), [here](#top) and [bad](/nope/).\n", autolink: .off)
        #expect(out.html.contains("<a href=\"materia-root:articles/lip-twitching/\">lip</a>"))
        #expect(out.html.contains("<a href=\"#top\">here</a>"))
        #expect(out.links.map(\.path) == ["articles/lip-twitching/", "articles/lip-twitching/", ""])
        #expect(out.problems.map { "\($0.line):\($0.column) \($0.message)" } == ["1:71 no page at '/nope/'"])
    }

    @Test func directivePositionsInListsQuotesAndWithExtraSpaces() {
        let out = render("- item\n\n  ```materia\n  bogus\n  ```\n\n> ```materia\n> bogus\n> ```\n\nSee `materia:  bogus`.\n", autolink: .off)
        #expect(out.problems.map { "\($0.line):\($0.column)" } == ["4:3", "8:3", "11:16"])
    }

    @Test func directivesRenderOrReportTheirPosition() {
        let out = render("Limit: `materia:ul magnesium NASEM`.\n\n```materia\nul magnesium\n```\n\n```materia\nbogus\n```\n\nBad: `materia:nope`\n", autolink: .off)
        #expect(out.html.contains("Limit: <span>350 mg</span>."))
        #expect(out.html.contains("<table></table>"))
        #expect(out.problems.map { "\($0.line):\($0.column) \($0.message)" } == ["8:1 unknown directive", "11:15 unknown directive"])
    }

    /// The word scan passes over letters, digits and "_" eight bytes at a time: it must stop at the
    /// same byte as a byte-by-byte scan, whatever the byte and wherever it sits in the eight.
    @Test func wordByteRunStopsWhereTheBytewiseScanStops() {
        for value in 0...255 {
            for position in 0..<8 {
                var bytes = [UInt8](repeating: 0x61, count: 8)
                bytes[position] = UInt8(value)
                for (index, filler) in [(0, UInt8(0x5A)), (7, UInt8(0x39)), (3, UInt8(0x5F))] where index != position { bytes[index] = filler }
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let expected = bytes.firstIndex { !($0 < 0x80 && AutolinkMatcher.isWordByte($0)) } ?? 8
                #expect(AutolinkMatcher.wordByteRun(UInt64(littleEndian: word)) == expected, "byte \(value) at \(position)")
            }
        }
    }

    /// A name is found after words of every length (so its ends fall at every place in eight
    /// bytes), and not when a letter, digit, "_", inner hyphen or non-ASCII letter joins it to more.
    @Test func autolinksFindWholeWordsAtEveryOffset() {
        for length in 0...17 {
            let lead = String(repeating: "x", count: length)
            let prefix = length == 0 ? "" : lead + " "
            #expect(render(prefix + "magnesium's role.\n").links.map(\.key) == ["nutrient:magnesium"], "\(length)")
            for joined in ["magnesiumx", "magnesium2", "magnesium_x", "x-magnesium", "magnesium-x", "magnesiumé", "émagnesium"] {
                #expect(render(prefix + joined + " role.\n").links.isEmpty, "\(length) \(joined)")
            }
        }
    }

    /// The matcher (its word scan in C, with filters on each word's bytes and length) finds the same
    /// terms as a plain scan over `words(in:)`, on texts of mixed case, digits, "_", hyphens, one-
    /// and two-byte words and characters that are not ASCII, next to and inside the terms.
    @Test func matchesAgreeWithAPlainScanOfTheWords() {
        let terms = [("magnesium", false), ("Mg", true), ("low magnesium", false), ("low blood magnesium", false), ("vitamin B6", false),
                     ("B6", true), ("vitamin B12", false), ("x-ray", false), ("café au lait", false), ("D", true), ("a_b", false)]
            .map { AutolinkTerm(text: $0.0, key: "k:" + $0.0, path: "p/", caseSensitive: $0.1) }
        let matcher = AutolinkMatcher(terms)
        let vocabulary = ["magnesium", "Magnesium", "MAGNESIUM", "mg", "Mg", "MG", "low", "Low", "blood", "vitamin", "Vitamin", "B6", "b6",
                          "B12", "x-ray", "X-Ray", "café", "CAFÉ", "au", "lait", "magnesiumé", "émagnesium", "magnesium_x", "a_b", "A_B",
                          "mag-nesium", "the", "of", "2", "naïve", "D", "d", "lowmagnesium", "x", "ray", "µg"]
        let separators = [" ", " ", " ", "  ", ", ", ". ", "-", "—", "’", "\n", "(", ")", "_", "é"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        // Longest first, as the matcher orders a first word's terms (no two of these tie).
        let ordered = terms.map { term -> (term: AutolinkTerm, words: [String]) in
            let bytes = Array(term.text.utf8)
            return (term, AutolinkMatcher.words(in: bytes).map { String(decoding: bytes[$0.start..<$0.end], as: UTF8.self) })
        }.sorted { $0.words.joined(separator: " ").count > $1.words.joined(separator: " ").count }
        var found = 0
        for _ in 0..<3_000 {
            var text = ""
            for index in 0..<(1 + next(24)) {
                if index > 0 { text += separators[next(separators.count)] }
                text += vocabulary[next(vocabulary.count)]
            }
            let bytes = Array(text.utf8)
            let words = AutolinkMatcher.words(in: bytes)
            func word(_ index: Int) -> String { String(decoding: bytes[words[index].start..<words[index].end], as: UTF8.self) }
            var expected: [String] = []
            var index = 0
            while index < words.count {
                let match = ordered.first { candidate in
                    guard index + candidate.words.count <= words.count else { return false }
                    return candidate.words.indices.allSatisfy { offset in
                        let same = candidate.term.caseSensitive ? word(index + offset) == candidate.words[offset]
                            : word(index + offset).lowercased() == candidate.words[offset].lowercased()
                        let spaced = offset == 0 || bytes[words[index + offset - 1].end..<words[index + offset].start].allSatisfy { $0 == 0x20 }
                        return same && spaced
                    }
                }
                guard let match else {
                    index += 1
                    continue
                }
                expected.append("\(words[index].start)-\(words[index + match.words.count - 1].end) \(match.term.text)")
                index += match.words.count
            }
            let actual = text.withCString { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: bytes.count + 1) { start in
                    matcher.matches(inCString: start, accept: { _ in true }, done: { false }).map { "\($0.start)-\($0.end) \($0.term.text)" }
                }
            }
            #expect(actual == expected, "\(text)")
            found += expected.count
        }
        #expect(found > 1_000)
    }
}
