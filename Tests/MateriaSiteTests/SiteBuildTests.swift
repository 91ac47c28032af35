import Foundation
import Testing
import MateriaContent
@testable import MateriaSite

@Suite struct SiteBuildTests {
    func build(_ site: FixtureSite, output: URL? = nil, jobs: Int = 2, drafts: Bool = false,
               textMemoryBudget: Int = 128 << 20) throws(BuildFailure) -> BuildReport {
        var options = BuildOptions(layout: SiteLayout(root: site.root, output: output), includeDrafts: drafts, jobs: jobs)
        options.today = Day(iso: "2026-03-01")!
        options.textMemoryBudget = textMemoryBudget
        return try SiteBuilder(options: options).build()
    }

    /// The minimal fixture, built end to end, must match its golden HTML byte for byte.
    /// Set MATERIA_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change.
    @Test func minimalSiteMatchesGoldenFiles() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        let report = try build(site)
        #expect(report.articles == 1)
        let built = readTree(site.root.appendingPathComponent("Output")).filter { !$0.key.hasPrefix("assets/") }
        let goldenDirectory = Repository.fixtures.appendingPathComponent("golden/minimal")
        if ProcessInfo.processInfo.environment["MATERIA_UPDATE_GOLDEN"] == "1" {
            try? FileManager.default.removeItem(at: goldenDirectory)
            for (path, data) in built {
                let target = goldenDirectory.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: target)
            }
        }
        let golden = readTree(goldenDirectory)
        #expect(golden.count >= 13)
        #expect(Set(built.keys) == Set(golden.keys))
        for (path, data) in golden.sorted(by: { $0.key < $1.key }) {
            #expect(built[path] == data, "\(path) differs from its golden file")
        }
    }

    @Test func draftsAreSkippedUnlessAskedFor() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        _ = try build(site)
        #expect(!FileManager.default.fileExists(atPath: site.root.appendingPathComponent("Output/articles/draft-note/index.html").path))
        let report = try build(site, drafts: true)
        #expect(report.articles == 2)
        #expect(report.warnings.map(\.description) == [
            "Content/articles/draft-note.md:1:1: warning: the article has no 'reviewed' date — add 'reviewed: YYYY-MM-DD' and 'reviewer: …' once a clinician has checked it",
        ])
        #expect(FileManager.default.fileExists(atPath: site.root.appendingPathComponent("Output/articles/draft-note/index.html").path))
    }

    /// Every `Tests/Fixtures/invalid/<case>/` must fail with exactly the lines of its expected.txt,
    /// and leave the previous output untouched.
    @Test(arguments: try FileManager.default.contentsOfDirectory(atPath: Repository.fixtures.appendingPathComponent("invalid").path).sorted())
    func invalidFixtureFailsWithExpectedErrors(_ name: String) throws {
        let caseDirectory = Repository.fixtures.appendingPathComponent("invalid/\(name)")
        let expected = try String(contentsOf: caseDirectory.appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let site = try FixtureSite(base: "minimal", overlay: caseDirectory)
        defer { site.remove() }
        let output = site.root.appendingPathComponent("Output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try Data("previous build".utf8).write(to: output.appendingPathComponent("index.html"))
        try Data("marker".utf8).write(to: output.appendingPathComponent(".materia-output"))
        do {
            _ = try build(site)
            Issue.record("\(name): the build succeeded but should have failed")
        } catch {
            let errors = error.diagnostics.filter { $0.severity == .error }.map(\.description)
            #expect(errors == expected, "\(name)")
        }
        #expect(readTree(output) == ["index.html": Data("previous build".utf8), ".materia-output": Data("marker".utf8)],
                "\(name): the previous output changed")
        // `materia check` finds the same errors without keeping the pages it renders.
        var options = BuildOptions(layout: SiteLayout(root: site.root, output: nil), jobs: 2)
        options.today = Day(iso: "2026-03-01")!
        do {
            _ = try SiteBuilder(options: options).check()
            Issue.record("\(name): the check passed but should have failed")
        } catch {
            #expect(error.diagnostics.filter { $0.severity == .error }.map(\.description) == expected, "\(name) (check)")
        }
    }

    /// A parallel build of a few hundred articles must equal a serial one byte for byte; the
    /// parallel one parks its article HTML in the build's temporary file (as a large site does),
    /// the serial one keeps it in memory.
    @Test func parallelBuildEqualsSerialBuild() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        try CorpusGenerator.write(count: 300, into: site.root.appendingPathComponent("Content/articles"), nutrients: ["magnesium"])
        let serial = site.root.appendingPathComponent("serial"), parallel = site.root.appendingPathComponent("parallel")
        let serialReport = try build(site, output: serial, jobs: 1)
        _ = try build(site, output: parallel, jobs: 8, textMemoryBudget: 0)
        #expect(serialReport.articles == 301)
        let a = readTree(serial), b = readTree(parallel)
        #expect(a.count == serialReport.files)
        #expect(a.keys.sorted() == b.keys.sorted())
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "differs: \(differing.prefix(5))")
        let page = String(decoding: a["articles/generated-3/index.html"] ?? Data(), as: UTF8.self)
        #expect(page.contains("<del>"))
        #expect(page.contains("<caption>") == false && page.contains("<table>"))
    }

    /// The same with the output on tmpfs, where the build's spill frees each article's pages as
    /// its page is written (`TextSpill.freesTaken`): every page as a build without a spill makes it.
    @Test func spilledBuildOnTmpfsEqualsBuildInMemory() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        try CorpusGenerator.write(count: 300, into: site.root.appendingPathComponent("Content/articles"), nutrients: ["magnesium"])
        let memory = site.root.appendingPathComponent("memory")
        let shm = URL(fileURLWithPath: "/dev/shm").appendingPathComponent("materia-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: shm, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: shm) }
        let spilled = shm.appendingPathComponent("site")
        let report = try build(site, output: memory)
        _ = try build(site, output: spilled, jobs: 4, textMemoryBudget: 0)
        let a = readTree(memory), b = readTree(spilled)
        #expect(a.count == report.files && report.articles == 301)
        #expect(a.keys.sorted() == b.keys.sorted())
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "differs: \(differing.prefix(5))")
    }

    @Test func twoBuildsAreByteIdentical() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        let first = site.root.appendingPathComponent("one"), second = site.root.appendingPathComponent("two")
        _ = try build(site, output: first)
        _ = try build(site, output: second)
        #expect(readTree(first) == readTree(second))
    }

    @Test func outputInsideSourcesIsRefused() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        for target in [site.root, site.root.appendingPathComponent("Content"), site.root.appendingPathComponent("Templates/out")] {
            do {
                _ = try build(site, output: target)
                Issue.record("building into \(target.path) should fail")
            } catch {
                #expect(error.diagnostics.first?.message == "the output folder would replace the site's own sources")
            }
        }
        #expect(FileManager.default.fileExists(atPath: site.root.appendingPathComponent("Content/articles/magnesium-basics.md").path))
    }

    /// A symlinked root or an unrelated folder passed as --output must never be replaced.
    @Test func foldersMateriaDidNotMakeAreNeverReplaced() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        let fileManager = FileManager.default
        let link = site.root.deletingLastPathComponent().appendingPathComponent("materia-link-\(UUID().uuidString)")
        try fileManager.createSymbolicLink(at: link, withDestinationURL: site.root)
        defer { try? fileManager.removeItem(at: link) }
        do {
            _ = try SiteBuilder(options: BuildOptions(layout: SiteLayout(root: link, output: site.root))).build()  // fails before reviews matter
            Issue.record("building over the symlinked root should fail")
        } catch {
            #expect(error.diagnostics.first?.message == "the output folder would replace the site's own sources")
        }
        let unrelated = site.root.appendingPathComponent("unrelated")
        try fileManager.createDirectory(at: unrelated, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: unrelated.appendingPathComponent("keep.txt"))
        do {
            _ = try build(site, output: unrelated)
            Issue.record("replacing a folder Materia did not make should fail")
        } catch {
            #expect(error.diagnostics.first?.message.hasPrefix("the output folder is not empty and was not made by Materia") == true)
        }
        #expect(readTree(unrelated) == ["keep.txt": Data("keep".utf8)])
        #expect(fileManager.fileExists(atPath: site.root.appendingPathComponent("materia.yaml").path))
        // An output folder reached through a symlink is rebuilt in place; the link stays a link.
        let real = site.root.appendingPathComponent("real-output")
        let linkedOutput = site.root.appendingPathComponent("linked-output")
        try fileManager.createSymbolicLink(at: linkedOutput, withDestinationURL: real)
        _ = try build(site, output: linkedOutput)
        _ = try build(site, output: linkedOutput)
        #expect(try fileManager.destinationOfSymbolicLink(atPath: linkedOutput.path) == real.path)
        #expect(fileManager.fileExists(atPath: real.appendingPathComponent("index.html").path))
    }

    /// Headings that collide with the theme's ids, FAQ anchors and footnotes, plus headings and
    /// footnotes inside FAQ answers and data descriptions, must still give one id namespace per page.
    @Test func everyPageHasUniqueIDsAndWorkingInPageAnchors() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        let article = """
        ---
        title: Colliding headings
        summary: Headings named like the theme's own sections.
        faq:
          - question: One?
            answer: "## Dosage\\n\\nSee note[^1].\\n\\n[^1]: A."
          - question: Two?
            answer: "## Dosage\\n\\nAgain."
        ---

        ## Summary heading

        ## Contents heading

        ## Main

        ## FAQ 1

        ## Fn 1

        Text with a note.[^n]

        [^n]: The note.
        """
        try article.write(to: site.root.appendingPathComponent("Content/articles/colliding.md"), atomically: true, encoding: .utf8)
        let condition = site.root.appendingPathComponent("Content/data/conditions/hypomagnesemia.yaml")
        try (String(contentsOf: condition, encoding: .utf8) + "references: []\n")
            .replacingOccurrences(of: "description: |\n", with: "description: |\n  ## Symptoms\n\n")
            .write(to: condition, atomically: true, encoding: .utf8)
        _ = try build(site)
        let pages = readTree(site.root.appendingPathComponent("Output")).filter { $0.key.hasSuffix(".html") }
        #expect(pages.count >= 14)
        for (path, data) in pages {
            let html = String(decoding: data, as: UTF8.self)
            let ids = matches(of: " id=\"", in: html)
            #expect(Set(ids).count == ids.count, "\(path) repeats ids: \(ids.filter { id in ids.filter { $0 == id }.count > 1 })")
            for anchor in matches(of: "href=\"#", in: html) {
                #expect(ids.contains(anchor), "\(path) links to #\(anchor), which it does not have")
            }
        }
    }

    /// Links to files Materia writes, with query strings or encoded anchors, are valid; a
    /// near-miss anchor suggests the heading it starts; a draft is named as a draft.
    @Test func linkTargetsBeyondPages() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        let body = """
            ---
            title: Links
            summary: Links to generated files.
            ---

            [graph](/graph.json), [style](/assets/style.css), [query](/articles/magnesium-basics/?a=1),
            [encoded](/articles/links/#caf%C3%A9-au-lait).

            ## Café au lait
            """
        try body.write(to: site.root.appendingPathComponent("Content/articles/links.md"), atomically: true, encoding: .utf8)
        _ = try build(site)
        let html = String(decoding: FileManager.default.contents(atPath: site.root.appendingPathComponent("Output/articles/links/index.html").path)!, as: UTF8.self)
        #expect(html.contains("href=\"../../assets/style.") && html.contains(".css\">style</a>"))
        let broken = """
            ---
            title: Broken
            summary: A near miss and a draft.
            ---

            See [when](magnesium-basics.md#what-it) and [[draft-note]].
            """
        try broken.write(to: site.root.appendingPathComponent("Content/articles/links.md"), atomically: true, encoding: .utf8)
        do {
            _ = try build(site)
            Issue.record("expected broken links")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "Content/articles/links.md:6:5: error: broken anchor: '/articles/magnesium-basics/' has no heading or section '#what-it' — did you mean '#what-it-does'?",
                "Content/articles/links.md:6:45: error: wikilink 'draft-note' points to a draft — build with --drafts, or link once the article is published",
            ])
        }
    }

    private func matches(of prefix: String, in html: String) -> [String] {
        var values: [String] = []
        var rest = html[...]
        while let start = rest.range(of: prefix) {
            let after = rest[start.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            values.append(String(after[..<end]))
            rest = after[end...]
        }
        return values
    }

    @Test func staticFilesAndAssetsAreCopied() throws {
        let site = try FixtureSite(base: "minimal")
        defer { site.remove() }
        let staticDirectory = site.root.appendingPathComponent("Content/static/images")
        try FileManager.default.createDirectory(at: staticDirectory, withIntermediateDirectories: true)
        try Data([0x89, 0x50]).write(to: staticDirectory.appendingPathComponent("logo.png"))
        _ = try build(site)
        let tree = readTree(site.root.appendingPathComponent("Output"))
        #expect(tree["images/logo.png"] == Data([0x89, 0x50]))
        // The stylesheet gets a content-hashed name, and pages link that name.
        let styles = tree.keys.filter { $0.hasPrefix("assets/style.") && $0.hasSuffix(".css") }
        #expect(styles.count == 1)
        let style = try #require(styles.first)
        #expect(style.count == "assets/style.".count + 12 + ".css".count)
        #expect(tree[style] == FileManager.default.contents(atPath: site.root.appendingPathComponent("Templates/assets/style.css").path))
        #expect(String(decoding: tree["index.html"]!, as: UTF8.self).contains("href=\"./\(style)\""))
    }
}
