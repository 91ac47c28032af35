import Foundation
import MateriaContent
import MateriaMarkdown
import Testing
@testable import MateriaSite

/// The two ways a build keeps memory down: article Markdown taken out as it is rendered, and
/// rendered HTML parked in a nameless temporary file until its page is written.
@Suite struct BuildMemoryTests {
    @Test func articleBodiesAreTakenOnce() {
        let bodies = ArticleBodies(["# One", "Two ~~three~~", ""])
        #expect(bodies.take(1) == "Two ~~three~~")
        #expect(bodies.take(1) == "")
        #expect(bodies.take(0) == "# One")
        #expect(bodies.take(2) == "")
    }

    @Test func spilledTextReadsBackExactlyFromManyThreads() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("materia-spill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let spill = try #require(TextSpill(folder: folder.path))
        let texts = (0..<500).map { "<p>Article \($0): magnésium, 漢字, \(String(repeating: "x", count: $0 * 7))</p>\n" } + [""]
        nonisolated(unsafe) var ranges = [TextSpill.Range?](repeating: nil, count: texts.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: texts.count) { index in
            let range = spill.store(texts[index])
            lock.lock(); ranges[index] = range; lock.unlock()
        }
        for (text, range) in zip(texts, ranges) {
            let range = try #require(range)
            #expect(spill.take(range) == Array(text.utf8))
            // Taken once (on tmpfs a second read would find the freed pages' zeros).
            #expect(spill.take(range) == nil)
        }
        // Nameless: nothing is left in the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}

extension BuildMemoryTests {
    /// HTML that cannot be read back is an error the page reports, never an empty article.
    @Test func unreadableSpilledHTMLThrows() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("materia-spill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var texts = RenderedTexts()
        texts.spill = try #require(TextSpill(folder: folder.path))
        texts.spilledHTML["kept"] = try #require(texts.spill?.store("<p><a href=\"../../x/\">kept</a></p>\n"))
        // A range past the end of the file, with the index of a text stored and not yet taken.
        let other = try #require(texts.spill?.store("<p>other</p>\n"))
        texts.spilledHTML["lost"] = TextSpill.Range(offset: 1_000_000, count: 16, index: other.index)
        // A spilled article's entry keeps neither its HTML nor its links, as the build keeps it.
        let entry = MarkdownRenderer.render("[kept](../../x/)").keeping(html: false, links: false)
        // Read back as bytes, as stored (an article's links are written for its page when rendered).
        guard case .bytes(let kept) = try texts.articleHTML("kept", rendered: entry) else {
            Issue.record("spilled HTML should come back as bytes")
            return
        }
        #expect(String(decoding: kept, as: UTF8.self) == "<p><a href=\"../../x/\">kept</a></p>\n")
        #expect(throws: TextSpill.ReadFailure.self) { try texts.articleHTML("lost", rendered: entry) }
        // Read twice, the article would be zeros: the second read is an error too.
        #expect(throws: TextSpill.ReadFailure.self) { try texts.articleHTML("kept", rendered: entry) }
    }

    /// On tmpfs (where a build's staging folder is when it writes to /dev/shm), taking an article's
    /// HTML frees the file's pages behind it, so the pages the build writes next reuse that memory.
    @Test func takingSpilledTextFreesItsPagesOnTmpfs() throws {
        let folder = URL(fileURLWithPath: "/dev/shm").appendingPathComponent("materia-spill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let spill = try #require(TextSpill(folder: folder.path))
        #expect(spill.freesTaken)
        let texts = (0..<8).map { String(repeating: "<p>\($0)</p>", count: 3_000 + $0) }
        let ranges = try texts.map { try #require(spill.store($0)) }
        // Each text starts on a page of its own.
        #expect(ranges.allSatisfy { $0.offset % 4096 == 0 })
        let stored = spill.allocatedBytes
        #expect(stored >= texts.reduce(0) { $0 + $1.utf8.count })
        for (text, range) in zip(texts, ranges).dropLast() { #expect(spill.take(range) == Array(text.utf8)) }
        // What is left is the last text's pages.
        let left = spill.allocatedBytes
        #expect(left < stored && left <= (texts.last!.utf8.count + 4095) / 4096 * 4096, "\(stored) -> \(left) bytes")
        #expect(spill.take(ranges.last!) == Array(texts.last!.utf8))
        #expect(spill.allocatedBytes == 0)
    }

    /// On a disk's file system nothing is freed (ext4 writes a range to the disk before freeing
    /// it) and the texts are stored end to end; each is still taken once only.
    @Test(.enabled(if: fileSystem(of: "/var/tmp").map { $0 != "tmpfs" } ?? false, "/var/tmp is on a disk's file system"))
    func spilledTextOnTheDiskIsKeptEndToEnd() throws {
        let folder = URL(fileURLWithPath: "/var/tmp").appendingPathComponent("materia-spill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let spill = try #require(TextSpill(folder: folder.path))
        #expect(!spill.freesTaken)
        let first = try #require(spill.store("<p>one</p>")), second = try #require(spill.store("<p>two</p>"))
        #expect(first.offset == 0 && second.offset == 10)
        #expect(spill.take(second) == Array("<p>two</p>".utf8))
        #expect(spill.take(second) == nil)
        #expect(spill.take(first) == Array("<p>one</p>".utf8))
    }
}

extension BuildMemoryTests {
    /// The sample site's Markdown phase, as a build runs it (no cache) and as `serve` does.
    private func markdownTexts(cached: Bool) throws -> RenderedTexts {
        var options = BuildOptions(layout: SiteLayout(root: Repository.root, output: Repository.root.appendingPathComponent("Output")))
        options.today = Day(iso: "2026-11-22")!
        let (source, templates, _) = try SiteBuilder.loadAndValidate(options)
        let site = SiteResolver(source: source, jobs: 2).resolve()
        var renderer = PageRenderer(site: site, templates: templates, staticFiles: source.staticFiles, assets: source.assets,
                                    drafts: source.draftSlugs, jobs: 2)
        if cached { renderer.markdownCache = MarkdownCache() }
        return renderer.markdown()
    }

    /// A build keeps an article body's links once, where the link check and the graph read them
    /// (`linksByOwner`), not a second time in the body the page shows; `serve` keeps them in both
    /// (its rebuilds compare bodies).
    @Test func aBuildKeepsEachLinkOnce() throws {
        let built = try markdownTexts(cached: false)
        let served = try markdownTexts(cached: true)
        #expect(built.articleBodies.count == served.articleBodies.count && !built.articleBodies.isEmpty)
        let linked = served.articleBodies.filter { !$0.value.links.isEmpty }.keys
        #expect(!linked.isEmpty)
        for slug in linked {
            let (kept, full) = (built.articleBodies[slug]!, served.articleBodies[slug]!)
            #expect(kept.links.isEmpty && kept.externalLinks.isEmpty && kept.problems.isEmpty, "\(slug)")
            // What the page shows is the same.
            #expect(kept.html == full.html && kept.headings == full.headings && kept.wordCount == full.wordCount, "\(slug)")
            // The links themselves are all still there.
            #expect(built.linksByOwner["article:\(slug)"]?.map(\.record) == served.linksByOwner["article:\(slug)"]?.map(\.record), "\(slug)")
        }
    }
}

/// The type of the file system that holds `path` (its deepest mount point in the mount table), or
/// nil when the table cannot be read.
func fileSystem(of path: String) -> String? {
    guard let table = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return nil }
    let mounts = table.split(separator: "\n").map { $0.split(separator: " ") }.filter { $0.count > 2 }
    let holding = mounts.filter { mount in
        let point = String(mount[1])
        return path == point || path.hasPrefix(point == "/" ? "/" : point + "/")
    }
    // The deepest point holds it; of two mounts on the same point, the later one.
    return holding.enumerated().max { ($0.element[1].count, $0.offset) < ($1.element[1].count, $1.offset) }.map { String($0.element[2]) }
}
