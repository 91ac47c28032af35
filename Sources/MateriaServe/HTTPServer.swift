import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A parsed HTTP/1.x request: only what a static preview server needs.
public struct HTTPRequest: Sendable {
    public let method: String
    /// The request target as sent ("/articles/x/?a=b").
    public let target: String
    public let version: String
    /// Header names lowercased.
    public let headers: [String: String]

    /// HTTP/1.1 keeps the connection open unless told otherwise; HTTP/1.0 closes unless asked.
    var keepAlive: Bool {
        let connection = headers["connection"]?.lowercased() ?? ""
        return version == "HTTP/1.1" ? !connection.contains("close") : connection.contains("keep-alive")
    }
}

/// A response with its whole body, or a stream that the handler writes itself (Server-Sent Events).
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Called with the open connection after the headers are sent; the connection closes when it returns.
    public var stream: (@Sendable (HTTPConnection) -> Void)?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], stream: (@Sendable (HTTPConnection) -> Void)? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }

    static func text(_ status: Int, _ message: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array((message + "\n").utf8))
    }

    static let reasons: [Int: String] = [
        200: "OK", 301: "Moved Permanently", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
        431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented", 505: "HTTP Version Not Supported",
    ]
}

/// One client connection; `write` reports false once the client has gone.
public final class HTTPConnection: @unchecked Sendable {
    let socket: Int32

    init(socket: Int32) { self.socket = socket }

    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                send(socket, buffer.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }
}

/// Why the server could not start listening.
public enum ListenError: Error, CustomStringConvertible {
    case portInUse(host: String, port: Int, free: Int?)
    case badHost(String)
    case failed(String)

    public var description: String {
        switch self {
        case .portInUse(let host, let port, let free):
            let hint = free.map { "try --port \($0), which is free" } ?? "choose another port with --port, or --port 0 for any free one"
            return "port \(port) on \(host) is already in use — \(hint)"
        case .badHost(let host):
            return "cannot listen on '\(host)': give an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)"
        case .failed(let reason):
            return "cannot start the server: \(reason)"
        }
    }
}

/// A small HTTP/1.1 server on POSIX sockets: one thread accepts, one thread serves each
/// connection (keep-alive, several requests in turn). Built for a local preview: a handful of
/// browser tabs and tools, static files and one event stream per tab.
public final class HTTPServer: @unchecked Sendable {
    public let host: String
    public private(set) var port: Int
    private let listener: Int32
    /// Set by `stop`. The accepting thread, once started, is the only one that closes the
    /// listening socket: were `stop` to close it, a thread between two `accept` calls could
    /// accept on whatever socket the process opens next under the same number (another server's,
    /// in the tests, whose requests it then answered from its own folder).
    private let stopped = Atomic<Bool>(false)
    /// Who closes the listening socket, decided once: the accepting thread (`start` set it
    /// first) or `stop` (before any `start`; a later `start` then does nothing).
    private let claimed = Atomic<Bool>(false)
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    static let maxHeaderBytes = 16 * 1024

    /// Binds and listens; `port` 0 picks any free port (read it back from `port`).
    public init(host: String, port: Int, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws(ListenError) {
        self.host = host
        self.handler = handler
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw .badHost(host) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .failed(String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0 {
            let code = errno
            close(fd)
            if code == EADDRINUSE { throw .portInUse(host: host, port: port, free: HTTPServer.freePort(host: host, after: port)) }
            if code == EADDRNOTAVAIL { throw .badHost(host) }
            throw .failed(String(cString: strerror(code)))
        }
        guard listen(fd, 128) == 0 else {
            close(fd)
            throw .failed(String(cString: strerror(errno)))
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        listener = fd
    }

    /// The first port after `port` that can be bound on `host` right now.
    static func freePort(host: String, after port: Int) -> Int? {
        for candidate in (port + 1)...min(port + 200, 65535) {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(candidate).bigEndian)
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { return candidate }
        }
        return nil
    }

    /// Accepts connections on a background thread until `stop`.
    /// A second call, or a call after `stop`, does nothing: no two threads accept on the socket,
    /// and none on a socket already closed, whose number the process may have given to another.
    public func start() {
        guard claimed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged else { return }
        let thread = Thread { [self] in
            defer { close(listener) }
            while true {
                let client = accept(listener, nil, nil)
                if stopped.load(ordering: .sequentiallyConsistent) {
                    if client >= 0 { close(client) }
                    return
                }
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                        if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                        continue
                    }
                    return
                }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                let worker = Thread { [self] in serve(client) }
                worker.stackSize = 512 * 1024
                worker.start()
            }
        }
        thread.start()
    }

    /// Stops accepting: the socket is shut down at once (a waiting `accept` returns) and closed
    /// by the accepting thread, or here if `start` was never called.
    public func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        if claimed.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged { close(listener) }
    }

    private func serve(_ socket: Int32) {
        defer { close(socket) }
        // An idle keep-alive connection is closed after 30 s; a stalled request as well.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connection = HTTPConnection(socket: socket)
        var buffer: [UInt8] = []
        while true {
            let parsed = readRequest(socket, &buffer)
            switch parsed {
            case .closed:
                return
            case .failed(let status):
                send(HTTPResponse.text(status, HTTPResponse.reasons[status] ?? "Bad Request"), head: false, keepAlive: false, on: connection)
                return
            case .request(let request):
                var response = handler(request)
                let keepAlive = request.keepAlive && response.stream == nil
                if request.method == "HEAD" { response.stream = nil }
                guard send(response, head: request.method == "HEAD", keepAlive: keepAlive, on: connection) else { return }
                if let stream = response.stream {
                    stream(connection)
                    return
                }
                if !keepAlive { return }
            }
        }
    }

    @discardableResult
    private func send(_ response: HTTPResponse, head: Bool, keepAlive: Bool, on connection: HTTPConnection) -> Bool {
        var lines = "HTTP/1.1 \(response.status) \(HTTPResponse.reasons[response.status] ?? "Unknown")\r\n"
        for (name, value) in response.headers { lines += "\(name): \(value)\r\n" }
        if response.stream == nil { lines += "Content-Length: \(response.body.count)\r\n" }
        lines += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n\r\n"
        var bytes = Array(lines.utf8)
        if !head && response.stream == nil { bytes += response.body }
        return connection.write(bytes)
    }

    enum ReadResult {
        case request(HTTPRequest)
        case failed(Int)
        case closed
    }

    /// Reads one request head (and skips a body, which GET and HEAD do not use).
    private func readRequest(_ socket: Int32, _ buffer: inout [UInt8]) -> ReadResult {
        var chunk = [UInt8](repeating: 0, count: 8192)
        var end: Int?
        while true {
            end = Self.headEnd(in: buffer)
            if end != nil { break }
            if buffer.count > Self.maxHeaderBytes { return .failed(431) }
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, 8192, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return buffer.isEmpty ? .closed : .failed(count == 0 ? 400 : 408) }
            buffer += chunk[0..<count]
        }
        guard let end, end <= Self.maxHeaderBytes else { return .failed(431) }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty else { return .failed(400) }
        guard requestLine[2] == "HTTP/1.1" || requestLine[2] == "HTTP/1.0" else {
            return .failed(requestLine[2].hasPrefix("HTTP/") ? 505 : 400)
        }
        if requestLine[1].utf8.count > 8192 { return .failed(414) }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }) else { return .failed(400) }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        if headers["transfer-encoding"] != nil { return .failed(501) }
        if let length = headers["content-length"] {
            guard let bytes = Int(length), bytes >= 0 else { return .failed(400) }
            if bytes > 1 << 20 { return .failed(413) }
            while buffer.count < bytes {
                let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, 8192, 0) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return .closed }
                buffer += chunk[0..<count]
            }
            buffer.removeFirst(bytes)
        }
        return .request(HTTPRequest(method: requestLine[0], target: requestLine[1], version: requestLine[2], headers: headers))
    }

    static func headEnd(in buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}
