import Foundation
import Testing
import MateriaContent
@testable import MateriaSite

/// `materia serve` rebuilds: after every edit the incrementally updated output must equal a
/// clean build of the same sources, byte for byte, and a rebuild must redo only what changed.
@Suite struct SessionTests {
    /// A copy of the repository's sample site that the test edits.
    final class Sandbox {
        let root: URL
        let output: URL
        var session: SiteSession
        /// Paths changed since the last rebuild, as the watcher would report them.
        var changed: [String] = []

        init() throws {
            let fileManager = FileManager.default
            root = fileManager.temporaryDirectory.appendingPathComponent("materia-session-\(UUID().uuidString)")
            try fileManager.createDirectory(at: root, withIntermediateDirectories: true)
            for item in ["Content", "Templates", "materia.yaml"] {
                try fileManager.copyItem(at: Repository.root.appendingPathComponent(item), to: root.appendingPathComponent(item))
            }
            output = root.appendingPathComponent("Output")
            session = SiteSession(options: Self.options(root: root, output: output))
        }

        static func options(root: URL, output: URL) -> BuildOptions {
            var options = BuildOptions(layout: SiteLayout(root: root, output: output))
            options.today = Day(iso: "2026-11-22")!
            options.fingerprintAssets = false
            return options
        }

        func url(_ path: String) -> URL { root.appendingPathComponent(path) }

        func read(_ path: String) throws -> String { try String(contentsOf: url(path), encoding: .utf8) }

        /// Saves as editors do: the new text goes to a temporary file renamed over the old one.
        func write(_ path: String, _ text: String) throws {
            let target = url(path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).swp")
            try text.write(to: temporary, atomically: false, encoding: .utf8)
            _ = rename(temporary.path, target.path)
            changed.append(path)
        }

        func move(_ from: String, to: String) {
            _ = rename(url(from).path, url(to).path)
            changed += [from, to]
        }

        func remove(_ path: String) throws {
            try FileManager.default.removeItem(at: url(path))
            changed.append(path)
        }

        func replace(_ path: String, _ old: String, with new: String) throws {
            let text = try read(path)
            #expect(text.contains(old), "\(path) should contain \(old)")
            try write(path, text.replacingOccurrences(of: old, with: new))
        }

        /// Rebuilds incrementally, then checks the output against a clean build in another folder.
        @discardableResult
        func rebuildAndCompare(_ step: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> RebuildReport? {
            let report: RebuildReport
            defer { changed = [] }
            switch session.rebuild(changed: changed) {
            case .success(let value): report = value
            case .failure(let failure):
                Issue.record("\(step): rebuild failed: \(failure.diagnostics.map(\.description))", sourceLocation: sourceLocation)
                return nil
            }
            let clean = FileManager.default.temporaryDirectory.appendingPathComponent("materia-clean-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: clean) }
            do {
                _ = try SiteBuilder(options: Self.options(root: root, output: clean)).build()
            } catch {
                Issue.record("\(step): clean build failed: \(error.diagnostics.map(\.description))", sourceLocation: sourceLocation)
                return nil
            }
            let incremental = readTree(output), fresh = readTree(clean)
            let differing = Set(incremental.keys).union(fresh.keys).filter { incremental[$0] != fresh[$0] }.sorted()
            #expect(differing.isEmpty, "\(step): incremental output differs from a clean build in \(differing)", sourceLocation: sourceLocation)
            return report
        }

        /// Rebuilds incrementally where the edits so far must fail: the errors' text, one per line,
        /// or nil (with the test failed) when the rebuild succeeds.
        func failingRebuild(_ step: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String? {
            defer { changed = [] }
            guard case .failure(let failure) = session.rebuild(changed: changed) else {
                Issue.record("\(step): the rebuild should fail", sourceLocation: sourceLocation)
                return nil
            }
            return failure.diagnostics.map(\.description).joined(separator: "\n")
        }

        deinit { try? FileManager.default.removeItem(at: root) }
    }

    static let article = "Content/articles/low-magnesium-lip-twitching.md"
    static let articlePage = "articles/low-magnesium-lip-twitching/index.html"
    /// A heading of `article`, and a paragraph put before it that links to a heading no page has.
    static let heading = "## Other common triggers for lip twitching"
    static let missingAnchor = "See [the missing part](#no-such-heading).\n\n"

    /// A restarted session (`materia serve` run again) finds the manifest its predecessor left and
    /// writes only the files that differ: none when nothing changed, and otherwise the edited
    /// article's page and any file removed from the output by hand.
    @Test func aRestartedSessionWritesOnlyWhatDiffers() throws {
        let site = try Sandbox()
        let first = try #require(site.rebuildAndCompare("first build"))
        #expect(first.written.count > first.pages)
        site.session.flushManifest()
        let manifest = try #require(BuildManifest.read(site.output))
        #expect(manifest.inputs == BuildManifest.sessionInputs)
        #expect(Set(manifest.files.keys) == Set(readTree(site.output).keys))

        site.session = SiteSession(options: Sandbox.options(root: site.root, output: site.output))
        let again = try #require(site.rebuildAndCompare("restart, nothing changed"))
        #expect(again.written.isEmpty && again.removed.isEmpty)

        try site.replace(Self.article, "## Other common triggers for lip twitching", with: "One more line.\n\n## Other common triggers for lip twitching")
        try FileManager.default.removeItem(at: site.output.appendingPathComponent("symptoms/nausea/index.html"))
        site.session.flushManifest()
        site.session = SiteSession(options: Sandbox.options(root: site.root, output: site.output))
        site.changed = []
        let edited = try #require(site.rebuildAndCompare("restart after an edit and a deleted page"))
        #expect(edited.written.contains(Self.articlePage))
        #expect(edited.written.contains("symptoms/nausea/index.html"))
        #expect(!edited.written.contains("conditions/dehydration/index.html"))
        #expect(edited.written.count < 10, "\(edited.written)")

        // A build into the session's output is never "up to date" by the session's manifest, and
        // writes only what differs (here the fingerprinted asset names the preview leaves plain).
        site.session.flushManifest()
        var options = Sandbox.options(root: site.root, output: site.output)
        options.fingerprintAssets = true
        let report = try SiteBuilder(options: options).build()
        #expect(report.files > 0)
        #expect(BuildManifest.read(site.output)?.inputs != BuildManifest.sessionInputs)
    }

    @Test func everyKindOfEditMatchesACleanBuild() throws {
        let site = try Sandbox()
        let first = try #require(site.rebuildAndCompare("first build"))
        #expect(first.pagesRendered == first.pages)

        // A body edit: that article only (nothing it shows elsewhere changed).
        try site.replace(Self.article, "## Other common triggers for lip twitching",
                         with: "A short new paragraph written during the preview.\n\n## Other common triggers for lip twitching")
        var report = try #require(site.rebuildAndCompare("body edit"))
        #expect(report.articlesRendered == 1)
        #expect(report.pagesRendered == 1)
        #expect(report.written == [Self.articlePage])

        // A new wikilink: the target's "Mentioned in" changes too.
        try site.replace(Self.article, "A short new paragraph written during the preview.",
                         with: "A short new paragraph that also links [[nausea|feeling sick]].")
        report = try #require(site.rebuildAndCompare("new wikilink"))
        #expect(report.written.contains("symptoms/nausea/index.html"))
        #expect(!report.written.contains("index.html"))

        // A renamed heading breaks an anchor another article links to: the error is at that link.
        let other = "Content/articles/magnesium-deficiency-fasciculations.md"
        try site.replace(other, "## Other signs of low magnesium", with: "## More signs")
        let anchor = try #require(site.failingRebuild("a broken anchor"))
        #expect(anchor.contains("\(Self.article):80:"), "\(anchor)")
        #expect(anchor.contains("broken anchor"))
        try site.replace(other, "## More signs", with: "## Other signs of low magnesium")
        site.rebuildAndCompare("anchor restored")
        // A broken wikilink in a body fails; removing a link takes the backlink away again.
        try site.replace(Self.article, "also links [[nausea|feeling sick]]", with: "also links [[nausia|feeling sick]]")
        let wikilink = try #require(site.failingRebuild("a broken wikilink"))
        #expect(wikilink.contains("'nausia'"))
        try site.replace(Self.article, "also links [[nausia|feeling sick]]", with: "no longer links anywhere")
        report = try #require(site.rebuildAndCompare("link removed"))
        #expect(report.written.contains("symptoms/nausea/index.html"))
        try site.replace(Self.article, "no longer links anywhere", with: "also links [[nausea|feeling sick]]")
        site.rebuildAndCompare("link back")
        // A new heading changes the search index.
        try site.replace(Self.article, "A short new paragraph", with: "## A new heading\n\nA short new paragraph")
        report = try #require(site.rebuildAndCompare("new heading"))
        #expect(report.written.contains("search-index.json"))

        // Saving without a change writes nothing.
        try site.write(Self.article, try site.read(Self.article))
        report = try #require(site.rebuildAndCompare("unchanged save"))
        #expect(report.written.isEmpty && report.removed.isEmpty && report.pagesRendered == 0)

        // An FAQ answer: its article's page and the FAQ page, HTML and JSON-LD alike.
        try site.replace(Self.article, "so it is not proof of a deficiency on its own.",
                         with: "so on its own it proves nothing.")
        report = try #require(site.rebuildAndCompare("FAQ answer edit"))
        #expect(report.written.contains(Self.articlePage) && report.written.contains("faq/index.html"))
        let faqPage = try site.read("Output/faq/index.html")
        #expect(faqPage.contains("so on its own it proves nothing.\",\"url\""), "the FAQ page's JSON-LD has the new answer")

        // Front matter: the title shows on the home page, lists, related articles, FAQ, A–Z…
        try site.replace(Self.article, "title: \"Low Magnesium and Lip Twitching: Is There a Connection?\"",
                         with: "title: \"Lip Twitching and Low Magnesium\"")
        report = try #require(site.rebuildAndCompare("title edit"))
        #expect(report.written.contains("index.html") && report.written.contains("a-z/index.html"))

        // Add, rename and delete an article.
        let added = """
            ---
            title: "Hiccups and minerals"
            summary: "A short note on hiccups, magnesium and potassium."
            date: 2026-11-01
            reviewed: 2026-11-01
            reviewer: "Dr. Test"
            nutrients: [potassium, magnesium]
            symptoms: [muscle-cramps]
            key_points:
              - "Hiccups are rarely about minerals."
            faq:
              - question: "Can low potassium cause hiccups?"
                answer: "Rarely; see [[hypokalemia]]."
            ---

            Hiccups are spasms of the diaphragm. Low potassium and magnesium affect muscles,
            and [[low-magnesium-lip-twitching|lip twitching]] is another example.

            ## When to worry

            Hiccups lasting more than two days deserve a visit to a doctor.

            """
        try site.write("Content/articles/hiccups.md", added)
        report = try #require(site.rebuildAndCompare("added article"))
        #expect(report.written.contains("articles/hiccups/index.html") && report.written.contains("faq/index.html"))
        site.move("Content/articles/hiccups.md", to: "Content/articles/hiccups-and-minerals.md")
        report = try #require(site.rebuildAndCompare("renamed article"))
        #expect(report.removed.contains("articles/hiccups/index.html"))
        try site.remove("Content/articles/hiccups-and-minerals.md")
        report = try #require(site.rebuildAndCompare("deleted article"))
        #expect(report.removed.contains("articles/hiccups-and-minerals/index.html"))

        // Data: a value shown on the nutrient page and in articles' quick facts and directives.
        try site.replace("Content/data/nutrients/magnesium.yaml", "group: \"Men 19–30 years\", stage: adults, value: 400",
                         with: "group: \"Men 19–30 years\", stage: adults, value: 410")
        report = try #require(site.rebuildAndCompare("data value"))
        #expect(report.written.contains("nutrients/magnesium/index.html"))
        #expect(!report.written.contains("symptoms/nausea/index.html"))
        // A food source: the nutrient's page and the articles whose directives list its foods.
        try site.replace("Content/data/nutrients/magnesium.yaml", "Pumpkin seeds, roasted", with: "Pumpkin seeds, dry roasted")
        report = try #require(site.rebuildAndCompare("food source"))
        #expect(report.written.contains("nutrients/magnesium/index.html") && !report.written.contains("index.html"))
        #expect(!report.written.contains("search-index.json"))
        // A new alias changes what is auto-linked everywhere.
        try site.replace("Content/data/symptoms/nausea.yaml", "aliases: [\"feeling sick\",", with: "aliases: [\"feeling sick\", \"queasy stomach\",")
        site.rebuildAndCompare("new alias")
        // A new data file, then its removal.
        try site.write("Content/data/symptoms/hiccups.yaml", """
            name: Hiccups
            summary: "Repeated spasms of the diaphragm."
            nutrients: [potassium]
            conditions: [hypokalemia]

            """)
        report = try #require(site.rebuildAndCompare("new data file"))
        #expect(report.written.contains("symptoms/hiccups/index.html"))
        try site.remove("Content/data/symptoms/hiccups.yaml")
        report = try #require(site.rebuildAndCompare("removed data file"))
        #expect(report.removed.contains("symptoms/hiccups/index.html"))

        // Templates: a partial re-renders the pages that include it; the stylesheet is one file.
        try site.replace("Templates/partials/references.mustache", "</", with: "<!-- edited -->\n</")
        report = try #require(site.rebuildAndCompare("partial edit"))
        #expect(report.written.contains("nutrients/magnesium/index.html") && !report.written.contains("search/index.html"))
        try site.write("Templates/assets/style.css", try site.read("Templates/assets/style.css") + "\n.edited { color: #123456; }\n")
        report = try #require(site.rebuildAndCompare("stylesheet edit"))
        #expect(report.written == ["assets/style.css"])

        // A static file added, and a settings change that touches every page.
        try site.write("Content/static/files/leaflet.txt", "A printable leaflet.\n")
        report = try #require(site.rebuildAndCompare("static file"))
        #expect(report.written == ["files/leaflet.txt"])
        try site.replace("materia.yaml", "review_cycle_months: 12", with: "review_cycle_months: 18")
        report = try #require(site.rebuildAndCompare("settings edit"))
        #expect(report.pagesRendered == report.pages)
    }

    @Test func aBrokenEditKeepsTheLastGoodOutput() throws {
        let site = try Sandbox()
        _ = try #require(site.rebuildAndCompare("first build"))
        let before = readTree(site.output)
        try site.replace(Self.article, "nutrients: [magnesium, calcium, potassium]", with: "nutrients: [magnesium, calcum, potassium]")
        try site.replace("Content/data/nutrients/magnesium.yaml", "kind: mineral", with: "kind: metal")
        let text = try #require(site.failingRebuild("a rebuild with errors"))
        #expect(text.contains("Content/articles/low-magnesium-lip-twitching.md:10:"), "\(text)")
        #expect(text.contains("'calcum'"))
        #expect(text.contains("Content/data/nutrients/magnesium.yaml:2:7"), "\(text)")
        #expect(readTree(site.output) == before)
        // Fixing both brings the session back, equal to a clean build.
        try site.replace(Self.article, "calcum", with: "calcium")
        try site.replace("Content/data/nutrients/magnesium.yaml", "kind: metal", with: "kind: mineral")
        let report = try #require(site.rebuildAndCompare("fixed"))
        #expect(report.written.isEmpty)
    }

    /// A rebuild whose error shows only once its pages are rendered (a broken anchor, found by
    /// the link check after a template edit made every page render again) leaves the output as
    /// it was and no staging folder beside it: the pages it rendered waited in that folder.
    @Test func aRebuildFailingAfterItsPagesKeepsTheLastGoodOutput() throws {
        let site = try Sandbox()
        _ = try #require(site.rebuildAndCompare("first build"))
        let before = readTree(site.output)
        try site.replace("Templates/layout.mustache", "</footer>", with: "<p>Edited footer.</p></footer>")
        try site.replace(Self.article, Self.heading, with: Self.missingAnchor + Self.heading)
        let text = try #require(site.failingRebuild("a rebuild with a broken anchor"))
        #expect(text.contains("broken anchor: this page has no heading or section '#no-such-heading'"), "\(text)")
        #expect(readTree(site.output) == before)
        let beside = try FileManager.default.contentsOfDirectory(atPath: site.root.path)
        #expect(!beside.contains { $0.hasPrefix(".materia-build-") }, "\(beside)")
        // Fixed, the next rebuild writes every page the template changed, as a clean build does.
        try site.replace(Self.article, Self.missingAnchor, with: "")
        let report = try #require(site.rebuildAndCompare("fixed"))
        #expect(report.written.contains(Self.articlePage))
        #expect(report.written.contains("symptoms/nausea/index.html"))
    }

    /// A broken edit to one article, then a good edit to another: the second rebuild still fails
    /// with the first article's error (a clean build would), and fixing it brings in both edits.
    @Test func aBrokenArticleStaysReportedAfterAnotherArticleIsEdited() throws {
        let site = try Sandbox()
        _ = try #require(site.rebuildAndCompare("first build"))
        let before = readTree(site.output)
        try site.replace(Self.article, Self.heading, with: Self.missingAnchor + Self.heading)
        _ = try #require(site.failingRebuild("a body edit with a broken anchor"))
        let other = "Content/articles/magnesium-deficiency-fasciculations.md"
        let otherText = try site.read(other)
        let heading = try #require(otherText.split(separator: "\n").first { $0.hasPrefix("## ") }.map(String.init))
        try site.replace(other, heading, with: "An added sentence.\n\n" + heading)
        let text = try #require(site.failingRebuild("the broken article, after another article's edit"))
        #expect(text.contains("\(Self.article):"), "\(text)")
        #expect(text.contains("'#no-such-heading'"), "\(text)")
        #expect(readTree(site.output) == before)
        try site.replace(Self.article, Self.missingAnchor, with: "")
        let report = try #require(site.rebuildAndCompare("fixed"))
        #expect(report.written.contains("articles/magnesium-deficiency-fasciculations/index.html"), "\(report.written)")
    }
}
