import Foundation
import Testing
import MateriaTestSupport

/// `materia publish` run as a user runs it.
@Suite struct PublishTests {
    let cli = CLITests()

    func tree(_ directory: URL) -> [String: Data] {
        var result: [String: Data] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return result }
        for case let relative as String in enumerator {
            var isDirectory: ObjCBool = false
            let path = directory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[relative] = FileManager.default.contents(atPath: path)
            }
        }
        return result
    }

    func text(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    @Test func publishIsDeterministicAndTheArchiveHoldsTheSameTree() throws {
        let site = try cli.sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let one = site.appendingPathComponent("one"), two = site.appendingPathComponent("two")
        for (output, archive) in [(one, "one.tar.gz"), (two, "two.tar.gz")] {
            let result = try cli.run(["publish", "--base-url", "https://example.org/kb/", "--output", output.path, "--archive", archive, "--quiet"], in: site)
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(tree(one) == tree(two))
        let archiveOne = try Data(contentsOf: site.appendingPathComponent("one.tar.gz"))
        #expect(archiveOne == (try Data(contentsOf: site.appendingPathComponent("two.tar.gz"))))
        let extracted = site.appendingPathComponent("extracted")
        try FileManager.default.createDirectory(at: extracted, withIntermediateDirectories: true)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-xzf", site.appendingPathComponent("one.tar.gz").path, "-C", extracted.path]
        try tar.run()
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        #expect(tree(extracted) == tree(one))
    }

    @Test func absoluteURLsFollowTheBaseURLIncludingASubpath() throws {
        let site = try cli.sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let output = site.appendingPathComponent("out")
        #expect(try cli.run(["publish", "--base-url", "https://health.example.net/kb", "--output", output.path, "--quiet"], in: site).status == 0)
        let article = text(output.appendingPathComponent("articles/low-magnesium-lip-twitching/index.html"))
        #expect(article.contains("<link rel=\"canonical\" href=\"https://health.example.net/kb/articles/low-magnesium-lip-twitching/\">"))
        #expect(article.contains("<meta property=\"og:url\" content=\"https://health.example.net/kb/articles/low-magnesium-lip-twitching/\">"))
        #expect(article.contains("<meta property=\"og:type\" content=\"article\">"))
        #expect(article.contains("<meta property=\"og:description\" content=\""))
        let sitemap = text(output.appendingPathComponent("sitemap.xml"))
        #expect(sitemap.contains("<url><loc>https://health.example.net/kb/articles/low-magnesium-lip-twitching/</loc><lastmod>"))
        #expect(!sitemap.contains("404.html"))
        #expect(text(output.appendingPathComponent("robots.txt")).contains("Sitemap: https://health.example.net/kb/sitemap.xml"))
        let feed = text(output.appendingPathComponent("feed.xml"))
        #expect(feed.contains("<link href=\"https://health.example.net/kb/feed.xml\" rel=\"self\""))
        #expect(feed.components(separatedBy: "<entry>").count - 1 == 5)
        // The 404 page is served at any depth, so it links from the base path.
        #expect(text(output.appendingPathComponent("404.html")).contains("href=\"/kb/articles/\""))
        #expect(try cli.run(["publish", "--base-url", "not a url"], in: site).status == 64)
        #expect(try cli.run(["publish"], in: site).status == 64)
    }

    @Test func jsonLDDescribesEachPageAndContentCannotCloseTheScript() throws {
        let site = try cli.sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let hostile = """
            ---
            title: "Tricky </script><script>alert(1)</script> title"
            summary: "A summary with </script> & <!-- in it."
            reviewed: 2026-10-01
            reviewer: "Dr. Test"
            faq:
              - question: "Does </script> break it?"
                answer: "No: <b>never</b>."
            ---

            Body.
            """
        try hostile.write(to: site.appendingPathComponent("Content/articles/tricky.md"), atomically: true, encoding: .utf8)
        let output = site.appendingPathComponent("out")
        #expect(try cli.run(["publish", "--base-url", "https://example.org/", "--output", output.path, "--quiet"], in: site).status == 0)
        for (path, data) in tree(output) where path.hasSuffix(".html") {
            let html = String(decoding: data, as: UTF8.self)
            let scripts = html.components(separatedBy: "<script type=\"application/ld+json\">")
            #expect(scripts.count == 2, "\(path) has one JSON-LD block")
            let json = try #require(scripts.last?.components(separatedBy: "</script>").first)
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            #expect(object?["@context"] as? String == "https://schema.org", "\(path)")
        }
        let tricky = text(output.appendingPathComponent("articles/tricky/index.html"))
        #expect(tricky.components(separatedBy: "</script>").count - 1 == 1 + tricky.components(separatedBy: "<script src=").count - 1)
        let json = tricky.components(separatedBy: "<script type=\"application/ld+json\">")[1].components(separatedBy: "</script>")[0]
        #expect(json.contains("\\u003c/script\\u003e"))
        let graph = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["@graph"] as? [[String: Any]])
        let page = try #require(graph.first { $0["@type"] as? String == "MedicalWebPage" })
        #expect(page["headline"] as? String == "Tricky </script><script>alert(1)</script> title")
        #expect(page["lastReviewed"] as? String == "2026-10-01")
        #expect((page["reviewedBy"] as? [String: Any])?["name"] as? String == "Dr. Test")
        #expect(page["timeRequired"] as? String == "PT1M")
        let faq = try #require(graph.first { $0["@type"] as? String == "FAQPage" })
        let question = try #require((faq["mainEntity"] as? [[String: Any]])?.first)
        #expect(question["name"] as? String == "Does </script> break it?")
        // Nutrients carry dose schedules with the authority that set them.
        let nutrient = text(output.appendingPathComponent("nutrients/magnesium/index.html"))
        let nutrientJSON = nutrient.components(separatedBy: "<script type=\"application/ld+json\">")[1].components(separatedBy: "</script>")[0]
        let nutrientGraph = try #require((try JSONSerialization.jsonObject(with: Data(nutrientJSON.utf8)) as? [String: Any])?["@graph"] as? [[String: Any]])
        let about = try #require(nutrientGraph.first?["about"] as? [String: Any])
        #expect(about["@type"] as? String == "DietarySupplement")
        let limits = try #require(about["maximumIntake"] as? [[String: Any]])
        #expect(limits.contains { $0["doseValue"] as? Int == 350 && ($0["recognizingAuthority"] as? [String: Any])?["alternateName"] as? String == "NASEM" })
        #expect(limits.contains { $0["doseValue"] as? Int == 250 && ($0["recognizingAuthority"] as? [String: Any])?["alternateName"] as? String == "EFSA" })
        #expect((about["recommendedIntake"] as? [[String: Any]])?.isEmpty == false)
        let condition = text(output.appendingPathComponent("conditions/hypomagnesemia/index.html"))
        #expect(condition.contains("\"@type\":\"MedicalCondition\"") && condition.contains("\"signOrSymptom\""))
        #expect(condition.contains("\"@type\":\"BreadcrumbList\""))
    }

    @Test func overdueReviewsWarnOnBuildAndFailPublishUnlessAllowed() throws {
        let site = try cli.sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        func run(_ arguments: [String]) throws -> CLITests.Run { try TestSite.run(arguments, in: site, today: "2028-01-15") }
        let build = try run(["build"])
        #expect(build.status == 0)
        #expect(build.stderr.contains("Content/articles/low-magnesium-lip-twitching.md:1:1: warning: the medical review is overdue: last reviewed"))
        let publish = try run(["publish", "--base-url", "https://example.org/", "--output", "published"])
        #expect(publish.status == 1)
        #expect(publish.stderr.contains(": error: the medical review is overdue"))
        #expect(publish.stderr.contains("(or publish with --allow-overdue)"))
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("published").path))
        let allowed = try run(["publish", "--base-url", "https://example.org/", "--output", "published", "--allow-overdue"])
        #expect(allowed.status == 0)
        #expect(allowed.stderr.contains(": warning: the medical review is overdue"))
    }

    /// A publish killed at any moment leaves the whole old site or the whole new one.
    @Test func killedPublishLeavesTheOldOrTheNewSite() throws {
        let site = try cli.sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let output = site.appendingPathComponent("out")
        #expect(try cli.run(["publish", "--base-url", "https://example.org/", "--output", output.path, "--quiet"], in: site).status == 0)
        let old = tree(output)
        let newOutput = site.appendingPathComponent("reference")
        #expect(try cli.run(["publish", "--base-url", "https://example.org/new/", "--output", newOutput.path, "--quiet"], in: site).status == 0)
        let new = tree(newOutput)
        #expect(old != new)
        var seenNew = false
        for attempt in 0..<12 {
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = ["publish", "--base-url", "https://example.org/new/", "--output", output.path, "--quiet", "--root", site.path]
            process.environment = ProcessInfo.processInfo.environment.merging(["MATERIA_TODAY": "2026-11-22"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(attempt * 9_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = tree(output)
            #expect(now == old || now == new, "attempt \(attempt): the output is neither the old nor the new site")
            if now == new { seenNew = true; break }
        }
        _ = seenNew
        // A later publish cleans up what killed ones left and completes.
        #expect(try cli.run(["publish", "--base-url", "https://example.org/new/", "--output", output.path, "--quiet"], in: site).status == 0)
        #expect(tree(output) == new)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: site.path).filter { $0.hasPrefix(".materia-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
