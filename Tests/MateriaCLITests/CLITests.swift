import Foundation
import Testing
import MateriaTestSupport

/// Runs the built `materia` binary the way a user does and checks exit codes and output.
@Suite struct CLITests {
    static let repository = TestSite.repository
    static let binary = TestSite.binary

    typealias Run = TestSite.Run

    func run(_ arguments: [String], in directory: URL? = nil) throws -> Run {
        try TestSite.run(arguments, in: directory)
    }

    func sampleSite() throws -> URL { try TestSite.sampleSite() }

    func read(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    /// Modification times of every file below `folder`, by relative path.
    func modificationTimes(_ folder: URL) -> [String: Date] {
        var result: [String: Date] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return result }
        for case let relative as String in enumerator {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(relative).path),
                  (attributes[.type] as? FileAttributeType) == .typeRegular else { continue }
            result[relative] = attributes[.modificationDate] as? Date
        }
        return result
    }

    @Test func aRebuildWritesOnlyWhatChanged() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        #expect(try run(["build", "--quiet"], in: site).status == 0)
        let output = site.appendingPathComponent("Output")
        let first = modificationTimes(output)
        usleep(20_000)
        // Nothing changed: nothing is written, and the summary and warnings are the same.
        let again = try run(["build"], in: site)
        #expect(again.status == 0)
        #expect(again.stdout.contains("Nothing changed since the last build: Output/ is up to date"), "\(again.stdout)")
        #expect(again.stdout.contains("Built 47 pages (5 articles"), "\(again.stdout)")
        #expect(modificationTimes(output) == first)
        // A page deleted from the output by hand comes back.
        try FileManager.default.removeItem(at: output.appendingPathComponent("faq/index.html"))
        #expect(try run(["build", "--quiet"], in: site).status == 0)
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("faq/index.html").path))
        // One article's body: its page is rewritten, an unrelated page is not.
        let article = site.appendingPathComponent("Content/articles/low-magnesium-lip-twitching.md")
        let text = read(article)
        try text.replacingOccurrences(of: "## Other common triggers for lip twitching",
                                      with: "One more sentence.\n\n## Other common triggers for lip twitching")
            .write(to: article, atomically: true, encoding: .utf8)
        let edited = try run(["build"], in: site)
        #expect(edited.status == 0)
        #expect(edited.stdout.contains("files changed in Output/"), "\(edited.stdout)")
        let after = modificationTimes(output)
        #expect(after["articles/low-magnesium-lip-twitching/index.html"] != first["articles/low-magnesium-lip-twitching/index.html"])
        #expect(after["symptoms/nausea/index.html"] == first["symptoms/nausea/index.html"])
        #expect(read(output.appendingPathComponent("articles/low-magnesium-lip-twitching/index.html")).contains("One more sentence."))
        // The result equals a clean build.
        let clean = site.appendingPathComponent("Clean")
        #expect(try run(["build", "--quiet", "--output", clean.path], in: site).status == 0)
        for (path, _) in modificationTimes(clean) where path != ".materia-build" {
            #expect(FileManager.default.contents(atPath: output.appendingPathComponent(path).path)
                    == FileManager.default.contents(atPath: clean.appendingPathComponent(path).path), "\(path)")
        }
        #expect(Set(modificationTimes(clean).keys) == Set(after.keys))
        // Changed pages were staged beside the output and moved in: no staging folder is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.path).filter { $0.hasPrefix(".materia-") } == [])
    }

    /// A rebuild over an earlier build that fails only at the link check, after every page was
    /// rendered (and the changed ones staged), leaves every file of the output as it was.
    @Test func aRebuildFailingAtTheLinkCheckKeepsTheOutput() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        #expect(try run(["build", "--quiet"], in: site).status == 0)
        let output = site.appendingPathComponent("Output")
        let before = modificationTimes(output)
        let page = output.appendingPathComponent("articles/low-magnesium-lip-twitching/index.html")
        let pageBefore = read(page)
        usleep(20_000)
        let article = site.appendingPathComponent("Content/articles/low-magnesium-lip-twitching.md")
        try read(article).replacingOccurrences(of: "## Other common triggers for lip twitching",
                                               with: "See [the missing page](/nutrients/magnesum/).\n\n## Other common triggers for lip twitching")
            .write(to: article, atomically: true, encoding: .utf8)
        let result = try run(["build"], in: site)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: broken link '/nutrients/magnesum/'"), "\(result.stderr)")
        #expect(result.stderr.contains("Output/ was left unchanged."), "\(result.stderr)")
        #expect(modificationTimes(output) == before)
        #expect(read(page) == pageBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: site.path).filter { $0.hasPrefix(".materia-") } == [])
    }

    @Test func buildsTheSampleSiteWithProgressAndEveryPageKind() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let result = try run(["build"], in: site)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        for (index, phase) in ["Load", "Validate", "Resolve", "Render", "Write"].enumerated() {
            #expect(lines[index].hasPrefix("[\(index + 1)/5] \(phase) "))
        }
        #expect(lines.last?.hasPrefix("Built ") == true)
        let output = site.appendingPathComponent("Output")
        let articles = try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("Content/articles").path)
        #expect(articles.count >= 5)
        for page in ["index.html", "404.html", "faq/index.html", "key-points/index.html", "disclaimer/index.html",
                     "articles/index.html", "nutrients/index.html", "conditions/index.html", "symptoms/index.html",
                     "a-z/index.html", "graph.json"] {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(page).path), "missing \(page)")
        }
        for id in ["magnesium", "calcium", "potassium", "vitamin-d", "vitamin-b12", "vitamin-b6"] {
            let page = read(output.appendingPathComponent("nutrients/\(id)/index.html"))
            #expect(page.contains("<table>"), "nutrient \(id) has no tables")
            #expect(page.contains("Medical disclaimer"), "nutrient \(id) has no disclaimer")
        }
        let magnesium = read(output.appendingPathComponent("nutrients/magnesium/index.html"))
        #expect(magnesium.contains("350 mg/day") && magnesium.contains("250 mg/day"))
        let b6 = read(output.appendingPathComponent("nutrients/vitamin-b6/index.html"))
        #expect(b6.contains("100 mg/day") && b6.contains("12 mg/day"))
        for id in ["hypomagnesemia", "hypermagnesemia", "hypocalcemia", "hypokalemia", "vitamin-b6-toxicity"] {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("conditions/\(id)/index.html").path), "condition \(id)")
        }
        for id in ["fasciculations", "muscle-cramps", "tetany", "lip-twitching", "muscle-weakness", "numbness-tingling"] {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("symptoms/\(id)/index.html").path), "symptom \(id)")
        }
        // Cross-links both ways: the condition page links to magnesium, and magnesium back to it.
        let hypo = read(output.appendingPathComponent("conditions/hypomagnesemia/index.html"))
        #expect(hypo.contains("href=\"../../nutrients/magnesium/\""))
        #expect(magnesium.contains("href=\"../../conditions/hypomagnesemia/\""))
    }

    @Test func quietPrintsNothingOnSuccess() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let result = try run(["build", "--root", site.path, "--quiet", "--output", site.appendingPathComponent("out").path])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent("out/index.html").path))
    }

    @Test func brokenSiteExitsOneListsEveryErrorAndKeepsTheOldOutput() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        #expect(try run(["build", "--quiet"], in: site).status == 0)
        let index = site.appendingPathComponent("Output/index.html")
        let before = read(index)
        let articles = site.appendingPathComponent("Content/articles")
        try "---\ntitle: Broken\nsummary: x\nreviwed: 2026-01-01\nnutrients: [magnesum]\n---\nBody\n"
            .write(to: articles.appendingPathComponent("broken.md"), atomically: true, encoding: .utf8)
        try "no front matter\n".write(to: articles.appendingPathComponent("other.md"), atomically: true, encoding: .utf8)
        let result = try run(["build"], in: site)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Content/articles/broken.md:4:1: error: unknown key 'reviwed' in front matter — did you mean 'reviewed'?"))
        #expect(result.stderr.contains("Content/articles/broken.md:5:13: error: unknown nutrient id 'magnesum' — did you mean 'magnesium'?"))
        #expect(result.stderr.contains("Content/articles/other.md:1:1: error: the article has no front matter"))
        #expect(result.stderr.contains("Build failed with 3 errors; Output/ was left unchanged."))
        #expect(read(index) == before)
    }

    /// Starts a Python one-liner on 127.0.0.1 that prints its port on the first line.
    func startServer(_ script: String, _ arguments: [String] = []) throws -> (process: Process, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", "-c", script] + arguments
        let out = Pipe()
        process.standardOutput = out
        // Not the test's own stderr: a server left running must not hold the runner's pipes open.
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        return (process, Int(String(decoding: line, as: UTF8.self)) ?? 0)
    }

    /// `materia check --external` against servers on 127.0.0.1: a page that exists, one that
    /// does not, a server that never answers and a closed port. No test touches the internet.
    @Test func checkExternalReportsBrokenLinksWithPositions() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let pages = site.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: pages, withIntermediateDirectories: true)
        try "<p>ok</p>".write(to: pages.appendingPathComponent("ok.html"), atomically: true, encoding: .utf8)
        let web = try startServer("""
            import http.server, os, sys
            os.chdir(sys.argv[1])
            class Quiet(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *a): pass
            s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
            print(s.server_address[1]); s.serve_forever()
            """, [pages.path])
        // SIGKILL: children of the test process inherit a blocked SIGTERM.
        defer { kill(web.process.processIdentifier, SIGKILL) }
        let silent = try startServer("""
            import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
            print(s.getsockname()[1])
            conns = []
            while True: conns.append(s.accept())
            """)
        defer { kill(silent.process.processIdentifier, SIGKILL) }
        #expect(web.port > 0 && silent.port > 0)
        let base = "http://127.0.0.1:\(web.port)"
        let article = """
            ---
            title: Links out
            summary: Links to a local server.
            references:
              - title: A page that exists
                url: \(base)/ok.html
              - title: A page that does not
                url: \(base)/missing.html
            ---

            See [the page](\(base)/ok.html) and [the missing page](\(base)/missing.html).

            A [slow server](http://127.0.0.1:\(silent.port)/) and [a closed port](http://127.0.0.1:9/).
            """
        try article.write(to: site.appendingPathComponent("Content/articles/links-out.md"), atomically: true, encoding: .utf8)
        // Only this article's links are local; check a site holding just it and the data.
        for file in try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("Content/articles").path) where file != "links-out.md" {
            try FileManager.default.removeItem(at: site.appendingPathComponent("Content/articles/\(file)"))
        }
        for kind in ["nutrients", "conditions", "symptoms"] {
            let folder = site.appendingPathComponent("Content/data/\(kind)")
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                let path = folder.appendingPathComponent(file)
                let text = try String(contentsOf: path, encoding: .utf8)
                if let range = text.range(of: "\nreferences:") { try String(text[..<range.lowerBound]).appending("\n").write(to: path, atomically: true, encoding: .utf8) }
            }
        }
        let offline = try run(["check", "--quiet"], in: site)
        #expect(offline.status == 0, "\(offline.stderr)")
        let result = try run(["check", "--external", "--timeout", "2", "--concurrency", "3"], in: site)
        #expect(result.status == 1)
        let errors = result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }.map(String.init)
        #expect(errors.count == 4, "\(result.stderr)")
        #expect(errors.contains("Content/articles/links-out.md:8:10: error: external link \(base)/missing.html returned HTTP 404 Not Found — correct the address, or remove or replace the link"))
        let missingColumn = "See [the page](\(base)/ok.html) and ".utf8.count + 1
        #expect(errors.contains { $0.hasPrefix("Content/articles/links-out.md:11:\(missingColumn): error: external link \(base)/missing.html returned HTTP 404") })
        #expect(errors.contains { $0.hasPrefix("Content/articles/links-out.md:13:3: error: external link http://127.0.0.1:\(silent.port)/ did not answer within 2 s") })
        let closedColumn = "A [slow server](http://127.0.0.1:\(silent.port)/) and ".utf8.count + 1
        #expect(errors.contains { $0.hasPrefix("Content/articles/links-out.md:13:\(closedColumn): error: external link http://127.0.0.1:9/ could not be reached") })
        #expect(!result.stderr.contains("ok.html"))
    }

    /// Bare links become links as cmark-gfm's autolink extension makes them. Materia leaves "w" out
    /// of that extension's characters until a text holds "www.", so the first text with one puts it
    /// back into cmark-gfm's table while the build runs (on one thread here: after the probe, the
    /// sample's articles, which hold none, and an article whose "www." all follow "/"): its "www."
    /// links must still be found.
    @Test func bareLinksAreLinkedAfterTextsWithoutThem() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let article = """
            ---
            title: Zinc and bare links
            summary: A page of bare links.
            faq:
              - question: Where is more?
                answer: "At www.example.com/faq, or write to help@example.com."
            ---

            Read www.example.org/guide, then https://example.net/page. WWW.EXAMPLE.NET stays text.
            Write to team@example.org; swallow two windows.
            """
        try article.write(to: site.appendingPathComponent("Content/articles/zz-bare-links.md"), atomically: true, encoding: .utf8)
        // Parsed before it, with "w" still left out: "www." after "/" is never where a link starts.
        let before = """
            ---
            title: Zinc and full addresses
            summary: A page of links to full addresses.
            ---

            See [the NCBI shelf](https://www.ncbi.nlm.nih.gov/books/) or https://www.example.net/x today.
            """
        try before.write(to: site.appendingPathComponent("Content/articles/zy-full-addresses.md"), atomically: true, encoding: .utf8)
        let result = try run(["build", "--jobs", "1", "--quiet"], in: site)
        #expect(result.status == 0, "\(result.stderr)")
        let page = read(site.appendingPathComponent("Output/articles/zz-bare-links/index.html"))
        #expect(page.contains(#"<a href="http://www.example.org/guide">www.example.org/guide</a>"#))
        #expect(page.contains(#"<a href="https://example.net/page">https://example.net/page</a>"#))
        #expect(page.contains(#"<a href="mailto:team@example.org">team@example.org</a>"#))
        #expect(page.contains(#"<a href="http://www.example.com/faq">www.example.com/faq</a>"#))
        #expect(page.contains(#"<a href="mailto:help@example.com">help@example.com</a>"#))
        #expect(page.contains("WWW.EXAMPLE.NET stays text") && page.contains("swallow two windows"))
        let full = read(site.appendingPathComponent("Output/articles/zy-full-addresses/index.html"))
        #expect(full.contains(#"<a href="https://www.ncbi.nlm.nih.gov/books/">the NCBI shelf</a>"#))
        #expect(full.contains(#"<a href="https://www.example.net/x">https://www.example.net/x</a> today."#))
    }

    /// A failing build with --quiet prints its errors only, never the warnings around them.
    @Test func quietFailurePrintsErrorsOnly() throws {
        let site = try sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        try "---\ntitle: No review\nsummary: Warned about, and broken.\nnutrients: [magnesum]\n---\nBody\n"
            .write(to: site.appendingPathComponent("Content/articles/unreviewed.md"), atomically: true, encoding: .utf8)
        let quiet = try run(["build", "--quiet"], in: site)
        #expect(quiet.status == 1)
        #expect(!quiet.stderr.contains(": warning: "))
        #expect(quiet.stderr.contains("Content/articles/unreviewed.md:4:13: error: unknown nutrient id 'magnesum'"))
        let loud = try run(["build"], in: site)
        let lines = loud.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("Content/articles/unreviewed.md:1:1: warning: the article has no 'reviewed' date") })
        #expect(lines.suffix(2).first?.contains(": error: ") == true)
    }

    @Test func usageErrorsExitWith64() throws {
        #expect(try run(["build", "--jobs", "0"]).status == 64)
        #expect(try run(["build", "--no-such-flag"]).status == 64)
        #expect(try run(["frobnicate"]).status == 64)
        #expect(try run([]).status == 64)
        let missing = try run(["build", "--root", "/nonexistent-materia-site"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--root /nonexistent-materia-site: no such folder"))
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("materia-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let notASite = try run(["build", "--root", empty.path])
        #expect(notASite.status == 64)
        #expect(notASite.stderr.contains("is not a Materia site: it has no materia.yaml"))
    }

    @Test func helpDescribesTheBuildCommand() throws {
        let result = try run(["build", "--help"])
        #expect(result.status == 0)
        for option in ["--root", "--output", "--drafts", "--quiet"] { #expect(result.stdout.contains(option)) }
    }
}
