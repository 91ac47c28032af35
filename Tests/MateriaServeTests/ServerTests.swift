import Foundation
import Testing
@testable import MateriaServe

/// A raw HTTP/1.1 client over a loopback socket: it sends request targets exactly as written
/// (URLSession and browsers would normalise `..` away before the server saw them).
final class RawClient {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(socket) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    private var buffer: [UInt8] = []

    /// Reads until `marker` has arrived (or the connection closes); returns everything read so far.
    func read(until marker: String) -> String {
        let pattern = Array(marker.utf8)
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !contains(pattern) {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, 65536, 0) }
            if count <= 0 { break }
            buffer += chunk[0..<count]
        }
        return String(decoding: buffer, as: UTF8.self)
    }

    private func contains(_ pattern: [UInt8]) -> Bool {
        guard buffer.count >= pattern.count else { return false }
        for start in 0...(buffer.count - pattern.count) where buffer[start] == pattern[0] && Array(buffer[start..<(start + pattern.count)]) == pattern {
            return true
        }
        return false
    }

    struct Response {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    /// One request on this connection; reads exactly one response (by Content-Length).
    func request(_ target: String, method: String = "GET", headers: [String: String] = [:]) -> Response {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        send(text + "\r\n")
        return readResponse(head: method == "HEAD")
    }

    func readResponse(head: Bool = false) -> Response {
        let all = read(until: "\r\n\r\n")
        guard let end = all.range(of: "\r\n\r\n") else { return Response(status: 0, headers: [:], body: "") }
        let headText = String(all[..<end.lowerBound])
        var lines = headText.components(separatedBy: "\r\n")
        let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let headBytes = Array(headText.utf8).count + 4
        buffer.removeFirst(headBytes)
        let length = head ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while buffer.count < length {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, 65536, 0) }
            if count <= 0 { break }
            buffer += chunk[0..<count]
        }
        let body = String(decoding: buffer.prefix(length), as: UTF8.self)
        buffer.removeFirst(min(length, buffer.count))
        return Response(status: status, headers: headers, body: body)
    }
}

@Suite struct ServerTests {
    /// A small built site with the traps a traversal attempt would use: a symlink to a folder
    /// outside, a symlink to a file outside, a hidden file and a folder without index.html.
    final class Served {
        let folder: URL
        let site: URL
        let outside: URL
        let events = LiveReload()
        let server: HTTPServer

        init() throws {
            let fileManager = FileManager.default
            folder = fileManager.temporaryDirectory.appendingPathComponent("materia-serve-\(UUID().uuidString)")
            site = folder.appendingPathComponent("site")
            outside = folder.appendingPathComponent("secret")
            for path in ["site/articles/one", "site/assets", "site/empty", "secret"] {
                try fileManager.createDirectory(at: folder.appendingPathComponent(path), withIntermediateDirectories: true)
            }
            let folder = self.folder
            func write(_ path: String, _ text: String) throws { try text.write(to: folder.appendingPathComponent(path), atomically: true, encoding: .utf8) }
            try write("site/index.html", "<!DOCTYPE html><html><body><h1>Home</h1></body></html>")
            try write("site/articles/one/index.html", "<!DOCTYPE html><html><body><p>One, with é</p></body></html>")
            try write("site/404.html", "<!DOCTYPE html><html><body><h1>Not here</h1></body></html>")
            try write("site/assets/style.css", "body { color: black; }")
            try write("site/feed.xml", "<feed/>")
            try write("site/data.json", "{}")
            try write("site/.materia-output", "marker")
            try write("site/file name.txt", "spaces")
            try write("secret/passwd", "root:x:0:0")
            let site = self.site, outside = self.outside
            try fileManager.createSymbolicLink(atPath: site.appendingPathComponent("out").path, withDestinationPath: outside.path)
            try fileManager.createSymbolicLink(atPath: site.appendingPathComponent("passwd.txt").path,
                                               withDestinationPath: outside.appendingPathComponent("passwd").path)
            try fileManager.createSymbolicLink(atPath: site.appendingPathComponent("home.html").path, withDestinationPath: "index.html")
            let preview = PreviewSite(root: site, events: events)
            server = try HTTPServer(host: "127.0.0.1", port: 0) { preview.handle($0) }
            server.start()
        }

        func client() throws -> RawClient { try RawClient(port: server.port) }

        deinit {
            events.stop()
            server.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    @Test func servesFilesWithTypesCachingAndKeepAlive() throws {
        let served = try Served()
        let client = try served.client()
        let home = client.request("/")
        #expect(home.status == 200)
        #expect(home.headers["content-type"] == "text/html; charset=utf-8")
        #expect(home.headers["cache-control"] == "no-cache")
        #expect(home.body.contains("<h1>Home</h1>"))
        // The reload script goes into every HTML page the preview serves, before </body>.
        #expect(home.body.contains("<script src=\"/__materia/live.js\"></script>\n</body>"))
        #expect(Int(home.headers["content-length"] ?? "") == Array(home.body.utf8).count)
        // Same connection: keep-alive.
        let article = client.request("/articles/one/")
        #expect(article.status == 200 && article.body.contains("One, with é"))
        #expect(client.request("/articles/one/index.html").status == 200)
        #expect(client.request("/assets/style.css").headers["content-type"] == "text/css; charset=utf-8")
        #expect(client.request("/feed.xml").headers["content-type"] == "application/xml; charset=utf-8")
        #expect(client.request("/data.json").headers["content-type"] == "application/json; charset=utf-8")
        #expect(client.request("/file%20name.txt").body == "spaces")
        #expect(client.request("/?utm=1#top").status == 200)
        // A symlink that stays inside the site is followed.
        #expect(client.request("/home.html").body.contains("Home"))

        // HEAD: the same headers, no body; the connection stays usable.
        let head = client.request("/articles/one/", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty && head.headers["content-length"] == article.headers["content-length"])
        // Revalidation: the ETag gives 304 while the file is unchanged.
        let etag = try #require(article.headers["etag"])
        #expect(client.request("/articles/one/", headers: ["If-None-Match": etag]).status == 304)
        try "<!DOCTYPE html><html><body><p>One, edited</p></body></html>"
            .write(to: served.site.appendingPathComponent("articles/one/index.html"), atomically: true, encoding: .utf8)
        let edited = client.request("/articles/one/", headers: ["If-None-Match": etag])
        #expect(edited.status == 200 && edited.body.contains("One, edited"))

        // Folders: a redirect adds the slash relative links need; no listings.
        let redirect = client.request("/articles/one?x=1")
        #expect(redirect.status == 301 && redirect.headers["location"] == "/articles/one/?x=1")
        let missing = client.request("/empty/")
        #expect(missing.status == 404 && missing.body.contains("Not here"), "a folder without index.html is not listed")
        let notFound = client.request("/no/such/page/")
        #expect(notFound.status == 404 && notFound.body.contains("Not here") && notFound.body.contains("data-not-found"))
        #expect(client.request("/.materia-output").status == 404)
        let post = client.request("/", method: "POST", headers: ["Content-Length": "0"])
        #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
    }

    @Test(arguments: [
        "/../secret/passwd", "/../../../../etc/passwd", "/articles/../../secret/passwd", "/%2e%2e/secret/passwd",
        "/%2E%2E/%2e%2e/etc/passwd", "/..%2fsecret%2fpasswd", "/articles%2f..%2f..%2fsecret/passwd", "/..%5csecret%5cpasswd",
        "/..\\secret\\passwd", "/articles\\..\\..\\secret\\passwd", "/out/passwd", "/out/", "/passwd.txt", "/%00", "/index.html%00.txt",
        "/.%2e/secret/passwd", "/%2e./secret/passwd",
    ])
    func refusesEveryWayOutOfTheFolder(target: String) throws {
        let served = try Served()
        let response = try served.client().request(target)
        #expect([400, 403].contains(response.status), "\(target) → \(response.status)")
        #expect(!response.body.contains("root:x"))
    }

    @Test func malformedRequestsGetClearErrors() throws {
        let served = try Served()
        #expect(try served.client().request("/%zz").status == 400)
        #expect(try served.client().request("/%c0%ae%c0%ae/secret/passwd").status == 400)
        #expect(try served.client().request("relative/path").status == 400)
        let client = try served.client()
        client.send("NONSENSE\r\n\r\n")
        #expect(client.readResponse().status == 400)
        let huge = try served.client()
        huge.send("GET / HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n")
        #expect(huge.readResponse().status == 431)
    }

    @Test func aPortInUseNamesAFreeOne() throws {
        let served = try Served()
        do {
            _ = try HTTPServer(host: "127.0.0.1", port: served.server.port) { _ in HTTPResponse(status: 200) }
            Issue.record("binding a port in use should fail")
        } catch {
            guard case .portInUse(_, let port, let free) = error else {
                Issue.record("expected portInUse, got \(error)")
                return
            }
            #expect(port == served.server.port)
            let suggestion = try #require(free)
            #expect(suggestion != port)
            #expect("\(error)".contains("try --port \(suggestion)"))
            // The suggested port really is free.
            let other = try HTTPServer(host: "127.0.0.1", port: suggestion) { _ in HTTPResponse(status: 200) }
            other.stop()
        }
    }

    @Test func eventStreamSendsChangesAndErrors() throws {
        let served = try Served()
        let client = try served.client()
        client.send("GET /__materia/events HTTP/1.1\r\nHost: x\r\n\r\n")
        let hello = client.read(until: "event: hello")
        #expect(hello.contains("Content-Type: text/event-stream"))
        _ = client.read(until: "\n\n")
        served.events.failed([(location: "Content/articles/a.md:3:7", message: "unknown nutrient 'calcum'")])
        #expect(client.read(until: "calcum").contains("event: errors"))
        served.events.changed(["articles/one/index.html", "assets/style.css"], removed: ["articles/two/index.html"])
        let change = client.read(until: "/articles/two/index.html")
        #expect(change.contains("event: change"))
        #expect(change.contains("\"/articles/one/\"") && change.contains("\"/assets/style.css\"") && change.contains("\"/articles/two/\""))
        let script = try served.client().request(PreviewSite.scriptPath)
        #expect(script.status == 200 && script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.body.contains("EventSource"))
    }
}

extension ServerTests {
    /// A stopped server never answers for the next one. Each round stops a server right after
    /// it accepted a connection and starts another at once, which gets the same socket number:
    /// the first one's accepting thread, had `stop` closed the socket under it, could accept the
    /// second one's connections and answer them with its own handler.
    @Test func aStoppedServerNeverAnswersForTheNextOne() throws {
        var wrong = 0
        for round in 0..<300 {
            let first = try HTTPServer(host: "127.0.0.1", port: 0) { _ in HTTPResponse.text(200, "first \(round)") }
            first.start()
            // Connected, not yet served: the first server's thread is between two `accept` calls
            // for a moment (starting the connection's thread), at some point of which it stops.
            withExtendedLifetime(try RawClient(port: first.port)) {
                usleep(UInt32(round % 60) * 5)
                first.stop()
            }
            let second = try HTTPServer(host: "127.0.0.1", port: 0) { _ in HTTPResponse.text(200, "second \(round)") }
            second.start()
            let answer = try RawClient(port: second.port).request("/")
            if answer.body != "second \(round)\n" { wrong += 1 }
            second.stop()
        }
        #expect(wrong == 0, "\(wrong) of 300 requests were answered by a stopped server")
    }

    /// `start` after `stop`, or twice, starts no thread that accepts on a closed socket (whose
    /// number the next server gets) or on one another thread also accepts on and closes.
    @Test func startAfterStopOrTwiceStartsNothing() throws {
        var wrong = 0
        for round in 0..<50 {
            let first = try HTTPServer(host: "127.0.0.1", port: 0) { _ in HTTPResponse.text(200, "first \(round)") }
            if round % 2 == 0 {
                first.stop()
                first.start()
            } else {
                first.start()
                first.start()
                #expect(try RawClient(port: first.port).request("/").body == "first \(round)\n")
                first.stop()
            }
            let second = try HTTPServer(host: "127.0.0.1", port: 0) { _ in HTTPResponse.text(200, "second \(round)") }
            second.start()
            for _ in 0..<4 where try RawClient(port: second.port).request("/").body != "second \(round)\n" { wrong += 1 }
            second.stop()
        }
        #expect(wrong == 0, "\(wrong) of 200 requests were answered by another server")
    }
}
