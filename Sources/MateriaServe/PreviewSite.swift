import Foundation
import MateriaMarkdown
import MateriaSite
#if canImport(Glibc)
import Glibc
#endif

/// Serves the built site from one folder: files by their path, `index.html` for folders,
/// the site's 404 page, the live-reload script and its event stream. Nothing outside the
/// folder is ever read: request paths are decoded once, `..`, encoded slashes, backslashes
/// and NUL are refused, and the real path (after symlinks) must stay inside the folder.
public struct PreviewSite: Sendable {
    /// The output folder, as a real path without a trailing slash.
    public let root: String
    let events: LiveReload

    public static let scriptPath = "/__materia/live.js"
    public static let eventsPath = "/__materia/events"

    public init(root: URL, events: LiveReload) {
        var path = root.standardizedFileURL.path
        if let real = realpath(path, nil) {
            path = String(cString: real)
            free(real)
        }
        self.root = path
        self.events = events
    }

    /// Where a request path leads.
    enum Resolution: Equatable {
        case file(String)
        /// A folder asked for without its trailing slash: relative links need it.
        case redirect(String)
        case notFound
        /// Outside the folder, or written to look like it might be.
        case refused
        case bad
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.text(405, "Only GET and HEAD are served.")
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        }
        let path = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if path == Self.eventsPath { return events.streamResponse() }
        if path == Self.scriptPath {
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/javascript; charset=utf-8"), ("Cache-Control", "no-cache")],
                                body: Array(LiveReload.script.utf8))
        }
        switch resolve(request.target) {
        case .file(let file):
            return fileResponse(file, status: 200, request: request)
        case .redirect(let location):
            return HTTPResponse(status: 301, headers: [("Location", location), ("Content-Type", "text/plain; charset=utf-8")],
                                body: Array("Moved to \(location)\n".utf8))
        case .notFound:
            return notFound(request)
        case .refused:
            return HTTPResponse.text(403, "Forbidden: the path leads outside the site.")
        case .bad:
            return HTTPResponse.text(400, "Bad request: the path is not valid.")
        }
    }

    private func notFound(_ request: HTTPRequest) -> HTTPResponse {
        let page = root + "/404.html"
        if access(page, R_OK) == 0 { return fileResponse(page, status: 404, request: request) }
        return HTTPResponse.text(404, "Not found.")
    }

    /// Maps a request target to a file of the site, refusing anything that could leave it.
    func resolve(_ target: String) -> Resolution {
        var target = Substring(target)
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = parts[0]
        let query = parts.count > 1 ? "?" + parts[1] : ""
        guard rawPath.hasPrefix("/"), let decoded = Self.percentDecoded(rawPath) else { return .bad }
        // A slash or backslash spelled %2f/%5c is never part of a file name here; NUL never is.
        if decoded.contains(0) || decoded.contains(0x5C) || rawPath.contains("\\") { return .refused }
        guard let text = String(validating: decoded, as: UTF8.self) else { return .bad }
        let segments = text.split(separator: "/", omittingEmptySubsequences: true)
        if segments.contains(where: { $0 == ".." }) { return .refused }
        if rawPath.lowercased().contains("%2f") { return .refused }
        // Hidden files (the output marker, files being written) are not part of the site.
        if segments.contains(where: { $0.hasPrefix(".") }) { return .notFound }
        let relative = segments.filter { $0 != "." }.joined(separator: "/")
        let candidate = relative.isEmpty ? root : root + "/" + relative
        guard let real = Self.realPath(candidate) else { return .notFound }
        guard real == root || real.hasPrefix(root + "/") else { return .refused }
        var info = stat()
        guard stat(real, &info) == 0 else { return .notFound }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard text.hasSuffix("/") else { return .redirect(String(rawPath) + "/" + query) }
            let index = real + "/index.html"
            guard let realIndex = Self.realPath(index), realIndex.hasPrefix(root + "/") else {
                return Self.realPath(index) == nil ? .notFound : .refused
            }
            var indexInfo = stat()
            guard stat(realIndex, &indexInfo) == 0, (indexInfo.st_mode & S_IFMT) == S_IFREG else { return .notFound }
            return .file(realIndex)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .notFound }
        return .file(real)
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// `%XX` decoded once; nil for a malformed escape.
    static func percentDecoded(_ text: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == 0x25 {
                guard index + 2 < utf8.count, let high = ByteText.hexDigit(utf8[index + 1]), let low = ByteText.hexDigit(utf8[index + 2]) else { return nil }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return bytes
    }

    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8", "mjs": "text/javascript; charset=utf-8", "json": "application/json; charset=utf-8",
        "xml": "application/xml; charset=utf-8", "txt": "text/plain; charset=utf-8", "md": "text/plain; charset=utf-8",
        "csv": "text/csv; charset=utf-8", "svg": "image/svg+xml; charset=utf-8", "png": "image/png", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "ico": "image/x-icon",
        "woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf", "pdf": "application/pdf",
        "map": "application/json; charset=utf-8", "webmanifest": "application/manifest+json; charset=utf-8",
        "wasm": "application/wasm", "mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg",
    ]

    static func contentType(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        return contentTypes[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }

    private func fileResponse(_ path: String, status: Int, request: HTTPRequest) -> HTTPResponse {
        guard var bytes = FileManager.default.contents(atPath: path).map([UInt8].init) else {
            return HTTPResponse.text(404, "Not found.")
        }
        let type = Self.contentType(of: path)
        if type.hasPrefix("text/html") { bytes = LiveReload.inject(into: bytes, notFound: status == 404) }
        // Every response is revalidated (no-cache), and the ETag makes an unchanged file cheap:
        // the browser never shows a page older than the last build.
        // StableHash is the same in every process, so a browser's stored ETag survives a restart.
        let tag = "\"\(String(StableHash.of(bytes), radix: 36))\""
        var headers: [(String, String)] = [("Content-Type", type), ("Cache-Control", "no-cache"), ("ETag", tag),
                                           ("X-Content-Type-Options", "nosniff")]
        if status == 200, let match = request.headers["if-none-match"],
           match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == tag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            headers.removeAll { $0.0 == "Content-Type" }
            return HTTPResponse(status: 304, headers: headers)
        }
        return HTTPResponse(status: status, headers: headers, body: bytes)
    }
}
