import Foundation
import Testing
import MateriaTestSupport

/// `materia serve` as a user starts it: the binary, a real port, edits saved as editors save.
@Suite(.serialized) struct ServeTests {
    /// Reads the server's standard output line by line, without holding the test's own pipes.
    final class Server {
        let process = Process()
        let site: URL
        let log: URL
        private(set) var url = ""

        init(site: URL, arguments: [String] = []) throws {
            self.site = site
            log = site.appendingPathComponent("serve.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = TestSite.binary
            process.arguments = ["serve", "--root", site.path, "--port", "0"] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["MATERIA_TODAY": "2026-11-22"]) { $1 }
            let output = try FileHandle(forWritingTo: log)
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Serving ") }) {
                    url = String(line.dropFirst("Serving ".count).prefix { $0 != " " })
                    return
                }
                if !process.isRunning { break }
                usleep(50_000)
            }
            throw POSIXError(.ETIMEDOUT)
        }

        var port: Int { Int(url.split(separator: ":").last?.filter(\.isNumber) ?? "") ?? 0 }
        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// Writes a temporary file and renames it over the target, as vim, VS Code and others do.
    func save(_ url: URL, _ text: String) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try text.write(to: temporary, atomically: false, encoding: .utf8)
        #expect(rename(temporary.path, url.path) == 0)
    }

    @Test func editsReachTheBrowserAndBrokenEditsShowTheirErrors() throws {
        let site = try TestSite.sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let server = try Server(site: site)
        #expect(server.url.hasPrefix("http://127.0.0.1:"))
        let page = "/articles/low-magnesium-lip-twitching/"
        let client = try RawClient(port: server.port)
        let before = client.request(page)
        #expect(before.status == 200 && !before.body.contains("Written while the preview was open"))
        #expect(before.body.contains("/__materia/live.js"))

        let events = try RawClient(port: server.port)
        events.send("GET /__materia/events HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(events.read(until: "event: hello").contains("text/event-stream"))

        // An edit: the event names the page, and the page is new over HTTP.
        let article = site.appendingPathComponent("Content/articles/low-magnesium-lip-twitching.md")
        let text = try String(contentsOf: article, encoding: .utf8)
        try save(article, text.replacingOccurrences(of: "## Other common triggers for lip twitching",
                                                    with: "Written while the preview was open.\n\n## Other common triggers for lip twitching"))
        let change = events.read(until: "\"\(page)\"")
        #expect(change.contains("event: change"), "\(server.output)")
        let after = client.request(page)
        #expect(after.status == 200 && after.body.contains("Written while the preview was open."))

        // A broken edit: errors with their position go to the stream and, once, to the terminal.
        try save(article, text.replacingOccurrences(of: "nutrients: [magnesium, calcium, potassium]", with: "nutrients: [magnesium, calcum]"))
        let errors = events.read(until: "calcum")
        #expect(errors.contains("event: errors") && errors.contains("Content/articles/low-magnesium-lip-twitching.md:10:"))
        #expect(client.request(page).body.contains("Written while the preview was open."), "the last good page stays served")
        usleep(300_000)
        #expect(server.output.components(separatedBy: "'calcum'").count == 2, "printed once: \(server.output)")

        // The fix clears the errors; a folder made after the start is watched too.
        try save(article, text)
        #expect(events.read(until: "\"/articles/low-magnesium-lip-twitching/index.html\"]}").contains("event: change"))
        let folder = site.appendingPathComponent("Content/static/leaflets")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        usleep(100_000)
        try save(folder.appendingPathComponent("twitching.txt"), "A printable leaflet.\n")
        #expect(events.read(until: "\"/leaflets/twitching.txt\"").contains("event: change"), "\(server.output)")
        #expect(client.request("/leaflets/twitching.txt").body == "A printable leaflet.\n")

        // Ctrl-C stops it cleanly.
        kill(server.process.processIdentifier, SIGINT)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(server.output.contains("Stopped."))
    }

    @Test func aPortInUseIsAClearError() throws {
        let site = try TestSite.sampleSite()
        defer { try? FileManager.default.removeItem(at: site) }
        let first = try Server(site: site)
        let second = try TestSite.run(["serve", "--root", site.path, "--port", String(first.port)])
        #expect(second.status == 1)
        #expect(second.stderr.contains("port \(first.port) on 127.0.0.1 is already in use — try --port "), "\(second.stderr)")
    }
}
