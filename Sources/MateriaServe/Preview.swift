import Foundation
import MateriaContent
import MateriaSite

/// `materia serve`: builds the site, serves it, and rebuilds on every change of its sources.
public final class Preview: @unchecked Sendable {
    public let server: HTTPServer
    public let events = LiveReload()
    public let session: SiteSession
    /// The address pages are served at, with a trailing slash.
    public let url: String
    private let watcher: Watcher
    private let log: @Sendable (String) -> Void
    private let report: @Sendable ([Diagnostic]) -> Void

    /// Binds the port and prepares the first build; nothing is built or served before `start`.
    /// `log` receives progress lines, `report` the errors of a failed rebuild (once per change).
    public init(options: BuildOptions, host: String, port: Int, log: @escaping @Sendable (String) -> Void,
                report: @escaping @Sendable ([Diagnostic]) -> Void) throws {
        let events = self.events
        let output = options.layout.output
        try? FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let site = PreviewSite(root: output, events: events)
        server = try HTTPServer(host: host, port: port) { site.handle($0) }
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        url = "http://\(shownHost):\(server.port)/"
        var options = options
        // Links in feeds, canonical tags and the 404 page point at the preview, not the live site.
        options.baseURL = url
        options.fingerprintAssets = false
        session = SiteSession(options: options)
        watcher = try Watcher(root: options.layout.root)
        self.log = log
        self.report = report
    }

    /// Builds once, starts serving, and keeps rebuilding on a background thread.
    /// Returns whether the first build succeeded (the server runs either way).
    @discardableResult
    public func start() -> Bool {
        for problem in watcher.problems { log("warning: \(problem)") }
        log("Building \(session.options.layout.root.path) for the preview…")
        let ok = rebuild(after: [])
        server.start()
        let thread = Thread { [self] in
            while true {
                let changed = watcher.next()
                rebuild(after: changed)
            }
        }
        thread.start()
        return ok
    }

    public func stop() {
        events.stop()
        server.stop()
    }

    /// One rebuild: on success the changed paths go to every open page; on failure the errors
    /// go to the terminal and to the pages' overlay, and the last good output stays served.
    @discardableResult
    func rebuild(after changed: [String]) -> Bool {
        let started = DispatchTime.now().uptimeNanoseconds
        let result = session.rebuild(changed: changed.isEmpty ? nil : changed)
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let cause = changed.isEmpty ? "Built" : "\(Self.describe(changed)) changed: rebuilt"
        switch result {
        case .success(let rebuilt):
            events.changed(rebuilt.written, removed: rebuilt.removed)
            let files = rebuilt.written.count + rebuilt.removed.count
            log("\(cause) in \(String(format: "%.0f", milliseconds)) ms: \(rebuilt.pagesRendered) of \(rebuilt.pages) pages rendered, "
                + "\(files) \(files == 1 ? "file" : "files") updated"
                + (rebuilt.warnings.isEmpty || !changed.isEmpty ? "" : ", \(rebuilt.warnings.count) warnings (materia build lists them)"))
            return true
        case .failure(let failure):
            let errors = failure.diagnostics.filter { $0.severity == .error }
            events.failed(errors.map { ("\($0.location)", $0.message + ($0.fix.map { " — \($0)" } ?? "")) })
            log("\(cause) with \(errors.count) \(errors.count == 1 ? "error" : "errors"); still serving the last good build")
            report(errors)
            return false
        }
    }

    static func describe(_ paths: [String]) -> String {
        paths.count == 1 ? paths[0] : "\(paths[0]) and \(paths.count - 1) more"
    }
}
