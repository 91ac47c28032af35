import Testing
@testable import MateriaContent

@Suite struct ContentDecoderTests {
    @Test func frontMatterSplitsOnlyOnWholeFenceLines() throws {
        let text = "---\ntitle: A --- B\nsummary: x\n---\nBody --- here\n----\nmore\n"
        let front = try FrontMatter.split(text, path: "a.md").get()
        #expect(front.yaml == "title: A --- B\nsummary: x")
        #expect(front.body == "Body --- here\n----\nmore")
        #expect(front.bodyStartLine == 5)
    }

    /// File names are slugified on their bytes when ASCII; the rules are those of the Unicode path.
    @Test func slugsOfFileNames() {
        #expect(Slugify.make("Magnesium & Sleep--Guide_2") == "magnesium-sleep-guide-2")
        #expect(Slugify.make("--B6 (Pyridoxine)--") == "b6-pyridoxine")
        #expect(Slugify.make("") == "page")
        #expect(Slugify.make("?!") == "page")
        #expect(Slugify.make("Vitamin B12") == Slugify.make("Vitamin B\u{31}2"))
        // Not ASCII: letters outside a–z become hyphens, as before.
        #expect(Slugify.make("Café Über") == "caf-ber")
    }

    @Test func fenceLinesMustBeExactlyThreeDashes() {
        guard case .failure(let closing) = FrontMatter.split("---\ntitle: x\n--- \nBody\n", path: "f.md") else {
            Issue.record("expected failure"); return
        }
        #expect(closing.description == "f.md:3:4: error: the front matter is never closed: line 3 has spaces after '---' — make line 3 exactly '---'")
        guard case .failure(let opening) = FrontMatter.split("---\t\ntitle: x\n---\n", path: "g.md") else {
            Issue.record("expected failure"); return
        }
        #expect(opening.description.hasPrefix("g.md:1:4: error: the front matter line has spaces after '---'"))
    }

    @Test func missingAndUnclosedFrontMatterAreErrors() {
        guard case .failure(let missing) = FrontMatter.split("# Title\n", path: "a.md") else { Issue.record("expected failure"); return }
        #expect(missing.description.hasPrefix("a.md:1:1: error: the article has no front matter — "))
        guard case .failure(let open) = FrontMatter.split("---\ntitle: x\n", path: "b.md") else { Issue.record("expected failure"); return }
        #expect(open.description.contains("never closed"))
    }

    /// An article file's bytes decode to what its text decodes to: straight from the bytes when
    /// the text is the bytes themselves, through the decoded text when it is not (a byte order
    /// mark, carriage returns, bytes that are not UTF-8, or no front matter to split).
    @Test func articleBytesDecodeAsTheirText() {
        let plain = "---\ntitle: Tea — “hot”\nsummary: S\nfaq:\n  - question: Q?\n    answer: A.\n---\n\nBody ---\n\n---\nmore é\n\n\n"
        let files: [[UInt8]] = [
            Array(plain.utf8),
            Array("---\n---\nBody\n".utf8),
            Array("---\ntitle: T\nsummary: S\n---\n".utf8),
            [0xEF, 0xBB, 0xBF] + Array(plain.utf8),
            Array(plain.replacingOccurrences(of: "\n", with: "\r\n").utf8),
            Array("---\ntitle: T\nsummary: S\n---\nBody\r\nmore\rend\r\n".utf8),
            Array("---\ntitle: T\nsummary: S\n---\nBody \u{1}\n".utf8),
        ]
        for bytes in files {
            guard case .success(let text) = SourceText.decode(bytes, path: "a.md") else { Issue.record("not UTF-8: \(bytes)"); continue }
            let expected = ContentDecoder.article(text, path: "a.md", defaultSlug: "a")
            let actual = ContentDecoder.article(fileBytes: bytes, path: "a.md", defaultSlug: "a")
            #expect(actual.0?.body == expected.0?.body, "\(text)")
            #expect(actual.0?.bodyStartLine == expected.0?.bodyStartLine)
            #expect(actual.0?.title == expected.0?.title)
            #expect(actual.0?.faq.map(\.answer) == expected.0?.faq.map(\.answer))
            #expect(actual.1.items.map(\.description) == expected.1.items.map(\.description))
        }
        #expect(FrontMatter.split(plainBytes: Array(plain.utf8))?.body == "\nBody ---\n\n---\nmore é")
        #expect(ContentDecoder.article(fileBytes: Array(plain.utf8), path: "a.md", defaultSlug: "a").0?.title == "Tea — “hot”")
        // Not taken from the bytes: they would not be the text.
        #expect(FrontMatter.split(plainBytes: [0xEF, 0xBB, 0xBF] + Array(plain.utf8)) == nil)
        #expect(FrontMatter.split(plainBytes: Array(plain.replacingOccurrences(of: "\n", with: "\r\n").utf8)) == nil)
        #expect(FrontMatter.split(plainBytes: Array("---\ntitle: T\n---\nBody\r\n".utf8)) == nil)
        #expect(ContentDecoder.article(fileBytes: Array("---\ntitle: T\nsummary: S\n---\nA\r\nB\rC".utf8), path: "a.md",
                                       defaultSlug: "a").0?.body == "A\nB\nC")
        #expect(FrontMatter.split(plainBytes: Array("# No front matter\n".utf8)) == nil)
        // Bytes that are not UTF-8, in the front matter or in the body: the decoder says where.
        for (bytes, position) in [(Array("---\ntitle: T\nsummary: S\n---\nok\n".utf8) + [0xFF, 0x0A], "a.md:6:1:"),
                                  (Array("---\ntitle: T".utf8) + [0xC3] + Array("\nsummary: S\n---\nok\n".utf8), "a.md:2:9:")] {
            #expect(FrontMatter.split(plainBytes: bytes) == nil)
            let (article, diagnostics) = ContentDecoder.article(fileBytes: bytes, path: "a.md", defaultSlug: "a")
            #expect(article == nil)
            #expect(diagnostics.items.map(\.description).first?.hasPrefix(position + " error: the file is not valid UTF-8") == true,
                    "\(diagnostics.items.map(\.description))")
        }
    }

    @Test func articleUnknownKeySuggestsTheClosestKnownOne() {
        let (article, diagnostics) = ContentDecoder.article("---\ntitle: T\nsummary: S\nreviwed: 2026-01-01\n---\nx\n", path: "a.md", defaultSlug: "a")
        #expect(article?.title == "T")
        #expect(diagnostics.hasErrors)
        #expect(diagnostics.items.map(\.description) == ["a.md:4:1: error: unknown key 'reviwed' in front matter — did you mean 'reviewed'?"])
    }

    @Test func articleErrorsAreAllReportedWithFileLines() {
        let text = "---\ntitle: [a, b]\ndate: 2026-02-30\nnutrients: magnesium\ndraft: maybe\n---\n"
        let (_, diagnostics) = ContentDecoder.article(text, path: "x.md", defaultSlug: "x")
        let lines = diagnostics.sorted.map(\.description)
        #expect(lines.count == 5)
        #expect(lines[0].hasPrefix("x.md:2:1: error: missing required field 'summary'"))
        #expect(lines[1].hasPrefix("x.md:2:8: error: field 'title' in front matter must be text, found a list"))
        #expect(lines[2].hasPrefix("x.md:3:7: error: '2026-02-30' in field 'date' is not a date"))
        #expect(lines[3].hasPrefix("x.md:4:12: error: field 'nutrients' in front matter must be a list"))
        #expect(lines[4].hasPrefix("x.md:5:8: error: field 'draft' in front matter must be true or false"))
    }

    @Test func malformedYAMLReportsItsPosition() {
        let (_, diagnostics) = ContentDecoder.article("---\ntitle: \"open\nsummary: x\n---\n", path: "m.md", defaultSlug: "m")
        let first = diagnostics.items.first?.description ?? ""
        #expect(first.hasPrefix("m.md:"))
        #expect(first.contains("malformed YAML"))
    }

    @Test func nutrientDecodesValuesAndRejectsBadEnums() {
        let yaml = """
        name: Magnesium
        kind: minerl
        unit: mg
        summary: s
        reference_intakes:
          - {authority: NASEM, kind: RDA, group: Adults, stage: adults, value: 400}
          - {authority: NASEM, kind: RDI, group: Adults, value: lots}
        """
        let (nutrient, diagnostics) = ContentDecoder.nutrient(yaml, path: "n.yaml", id: "magnesium")
        #expect(nutrient?.referenceIntakes.count == 1)
        #expect(diagnostics.hasErrors)
        let lines = diagnostics.sorted.map(\.description)
        #expect(lines == [
            "n.yaml:2:7: error: 'minerl' is not a valid kind — use one of mineral, vitamin (did you mean 'mineral'?)",
            "n.yaml:7:30: error: 'RDI' is not a valid kind — use one of RDA, PRI, AI (did you mean 'RDA'?)",
            "n.yaml:7:57: error: field 'value' in reference intake must be a number (such as 350 or 2.4, without a unit), found the text 'lots' — change the value of 'value'",
        ])
    }

    @Test func invalidUTF8IsLocated() {
        let bytes: [UInt8] = Array("---\ntitle: caf".utf8) + [0xE9] + Array("\n".utf8)
        guard case .failure(let diagnostic) = SourceText.decode(bytes, path: "l.md") else { Issue.record("expected failure"); return }
        #expect(diagnostic.description.hasPrefix("l.md:2:11: error: the file is not valid UTF-8 (byte 0xE9)"))
    }

    @Test func validUTF8AndCRLFAreAccepted() throws {
        let text = try SourceText.decode(Array("a\r\nµg – ok\r\n".utf8), path: "x").get()
        #expect(text == "a\nµg – ok\n")
    }

    @Test func daysAreStrictAndAddMonthsClamped() {
        #expect(Day(iso: "2026-02-29") == nil)
        #expect(Day(iso: "2024-02-29") != nil)
        #expect(Day(iso: "2026-1-05") == nil)
        #expect(Day(iso: "2026-01-31")!.adding(months: 1).iso == "2026-02-28")
        #expect(Day(iso: "2026-09-14")!.adding(months: 12).display == "14 September 2027")
        // Every day and month, and years of one to four digits, as interpolation writes them.
        let names = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                     "November", "December"]
        for year in [1, 9, 10, 99, 100, 999, 1000, 2024, 2026, 9999] {
            for month in 1...12 {
                for day in 1...Day.daysIn(month: month, year: year) {
                    #expect(Day(year: year, month: month, day: day)!.display == "\(day) \(names[month - 1]) \(year)")
                }
            }
        }
        #expect(Day(iso: "9999-06-01")!.adding(months: 60).iso == "9999-12-01")
    }

    @Test func isoDatesArePaddedToTenCharacters() {
        #expect(Day(year: 1, month: 2, day: 3)!.iso == "0001-02-03")
        #expect(Day(year: 987, month: 10, day: 31)!.iso == "0987-10-31")
        #expect(Day(year: 9999, month: 12, day: 31)!.iso == "9999-12-31")
        for text in ["2026-01-05", "2024-02-29", "1970-11-20"] { #expect(Day(iso: text)!.iso == text) }
    }

    @Test func suggestionsFindCloseNamesOnly() {
        #expect(Suggestion.closest(to: "magnesum", in: ["magnesium", "calcium"]) == "magnesium")
        #expect(Suggestion.closest(to: "reivewed", in: ["reviewed", "reviewer"]) == "reviewed")
        #expect(Suggestion.closest(to: "zinc", in: ["magnesium", "calcium"]) == nil)
    }

    @Test func configRequiresDisclaimerAndValidatesLanguage() {
        let (config, diagnostics) = ContentDecoder.config("title: T\nlanguage: english!\n", path: "materia.yaml")
        #expect(config?.title == "T")
        #expect(diagnostics.hasErrors)
        #expect(diagnostics.sorted.map(\.description) == [
            "materia.yaml:1:1: error: missing required field 'disclaimer' in materia.yaml — add 'disclaimer:' with 'short:' (one line for every footer) and 'full:' (the disclaimer page)",
            "materia.yaml:2:11: error: language 'english!' is not a language tag — use a BCP 47 tag such as en, en-GB or de",
        ])
    }

    @Test func emptyFrontMatterSaysWhatIsMissing() {
        let (_, diagnostics) = ContentDecoder.article("---\n---\nBody\n", path: "e.md", defaultSlug: "e")
        #expect(diagnostics.items.map(\.description) == ["e.md:2:1: error: the YAML is empty — add the required fields"])
    }

    @Test func amountsMustBePositive() {
        let yaml = "name: M\nkind: mineral\nunit: mg\nsummary: s\nupper_limits:\n  - {authority: EFSA, group: Adults, value: -250}\n"
        let (_, diagnostics) = ContentDecoder.nutrient(yaml, path: "n.yaml", id: "m")
        #expect(diagnostics.items.map(\.description) == [
            "n.yaml:6:45: error: '-250' is not a valid amount — write the amount per day as a positive number in the nutrient's unit",
        ])
    }

    @Test func mergeKeysFillInFieldsAndExplicitKeysWin() {
        let yaml = """
        name: M
        kind: mineral
        unit: mg
        summary: s
        reference_intakes:
          - &men {authority: NASEM, kind: RDA, group: "Men 19–30 years", stage: adults, value: 400}
          - <<: *men
            group: "Men 31–50 years"
            value: 420
        """
        let (nutrient, diagnostics) = ContentDecoder.nutrient(yaml, path: "n.yaml", id: "m")
        #expect(!diagnostics.hasErrors, "\(diagnostics.items)")
        #expect(nutrient?.referenceIntakes.map(\.group) == ["Men 19–30 years", "Men 31–50 years"])
        #expect(nutrient?.referenceIntakes.map(\.value) == [400, 420])
        #expect(nutrient?.referenceIntakes.last?.authority.value == "NASEM")
    }

    /// Identifiers are checked on bytes: the same answers as the rule written on Unicode scalars
    /// (lowercase ASCII letters, digits, single inner hyphens), including for other scripts.
    @Test func identifiersFollowTheScalarRule() {
        func rule(_ text: String) -> Bool {
            !text.isEmpty && text.first != "-" && text.last != "-" && !text.unicodeScalars.indices.contains { index in
                text.unicodeScalars[index] == "-" && text.unicodeScalars.index(after: index) < text.unicodeScalars.endIndex
                    && text.unicodeScalars[text.unicodeScalars.index(after: index)] == "-"
            } && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }
        let samples = ["", "-", "--", "a", "z9", "vitamin-b12", "a--b", "-a", "a-", "a-b-c", "A", "ab_c", "a b", "é", "cafe\u{301}",
                       "ｂ", "a-\u{2010}b", "b12-", "0", "9-9", "a\u{0}", "ß", "x-ray", "x---ray"]
        for sample in samples {
            #expect(ContentDecoder.isIdentifier(sample) == rule(sample), "\(sample.debugDescription)")
        }
    }
}
