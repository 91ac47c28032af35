import ArgumentParser
import Foundation
import MateriaContent
import MateriaSite
import MateriaServe

/// The `materia` command line: a thin layer over MateriaSite.
@main
struct Materia: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "materia",
        abstract: "Build a static health knowledge base from Markdown articles and nutrient data.",
        version: "0.1.0",
        subcommands: [Build.self, Check.self, Publish.self, Serve.self],
        defaultSubcommand: nil
    )

    /// `materia` alone is a usage mistake: show the help and exit 64, like any other.
    func run() async throws {
        printError(Materia.helpMessage())
        throw ExitCode(64)
    }
}

/// Options every command that reads a site shares.
struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: "The site folder (holding materia.yaml, Content/ and Templates/).")
    var root: String = "."

    @Option(name: .long, help: "Where to write the site (default: ROOT/Output).")
    var output: String?

    /// A wrong --root is a usage mistake, reported once, not as a cascade of missing files.
    func validate() throws {
        let folder = layout().root
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--root \(root): no such folder")
        }
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("materia.yaml").path) else {
            throw ValidationError("\(folder.path) is not a Materia site: it has no materia.yaml (run materia in the site's folder or pass --root DIR)")
        }
    }

    func layout() -> SiteLayout {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let rootURL = URL(fileURLWithPath: root, relativeTo: cwd).standardizedFileURL
        return SiteLayout(root: rootURL, output: output.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL })
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build the site into the output folder.")

    @OptionGroup var site: SiteOptions

    @Flag(name: .long, help: "Include articles marked 'draft: true'.")
    var drafts = false

    @Flag(name: .long, help: "Print errors only.")
    var quiet = false

    @Option(name: .long, help: "Threads for reading, rendering and writing (default: all cores; cmark-gfm parses one document at a time).")
    var jobs: Int?

    func validate() throws {
        try site.validate()
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let quiet = self.quiet
        var options = BuildOptions(layout: site.layout(), includeDrafts: drafts,
                                   jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        options.exitsAfterBuild = true
        let builder = SiteBuilder(options: options) { line in if !quiet { print(line) } }
        do {
            let report = try builder.build()
            if !quiet {
                for warning in report.warnings { printError(warning.description) }
                print("Built \(report.pages) pages (\(report.articles) articles, \(report.nutrients) nutrients, "
                      + "\(report.conditions) conditions, \(report.symptoms) symptoms) in \(seconds(since: start)) s")
            }
        } catch {
            report(error, "Build", leftUnchanged: options.layout.relativePath(options.layout.output), quiet: quiet)
            throw ExitCode(1)
        }
    }
}

struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the site for production at its final address.",
        discussion: """
            Like build, with absolute URLs from --base-url (a subpath such as https://example.org/kb/ works), \
            every warning listed, and overdue medical reviews as errors unless --allow-overdue. The output \
            is swapped in atomically and is byte-identical for the same input.
            """)

    @OptionGroup var site: SiteOptions

    @Option(name: .long, help: "The address the site will be served at, e.g. https://example.org/kb/.")
    var baseURL: String

    @Option(name: .long, help: "Also write the published tree as a reproducible .tar.gz.")
    var archive: String?

    @Flag(name: .long, help: "Publish even when an article's medical review is overdue.")
    var allowOverdue = false

    @Flag(name: .long, help: "Print errors and warnings only.")
    var quiet = false

    @Option(name: .long, help: "Threads for rendering and writing.")
    var jobs: Int?

    func validate() throws {
        try site.validate()
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false,
              url.query == nil, url.fragment == nil else {
            throw ValidationError("--base-url must be an absolute http(s) address such as https://example.org/kb/")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let quiet = self.quiet
        var options = BuildOptions(layout: site.layout(), jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        options.publishing = true
        options.allowOverdue = allowOverdue
        options.exitsAfterBuild = true
        options.baseURL = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        let builder = SiteBuilder(options: options) { line in if !quiet { print(line) } }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        do {
            let report = try builder.publish(archive: archive.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL })
            // A publish lists every warning, even when quiet.
            for warning in report.warnings { printError(warning.description) }
            if !quiet {
                print("Published \(report.pages) pages to \(options.layout.relativePath(options.layout.output))/ for \(options.baseURL!) "
                      + "in \(seconds(since: start)) s, \(report.warnings.count) warning\(report.warnings.count == 1 ? "" : "s")")
            }
        } catch {
            report(error, "Publish", leftUnchanged: options.layout.relativePath(options.layout.output), quiet: quiet)
            throw ExitCode(1)
        }
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the site without writing it: content, data, templates and every internal link and anchor.",
        discussion: "With --external, links to other sites (in article text and references) are requested too, a few at a time.")

    @OptionGroup var site: SiteOptions

    @Flag(name: .long, help: "Include articles marked 'draft: true'.")
    var drafts = false

    @Flag(name: .long, help: "Also check links to other sites (needs the network).")
    var external = false

    @Option(name: .long, help: "Seconds to wait for each external link.")
    var timeout: Double = 10

    @Option(name: .long, help: "External links checked at the same time.")
    var concurrency: Int = 8

    @Flag(name: .long, help: "Print errors only.")
    var quiet = false

    func validate() throws {
        try site.validate()
        if timeout <= 0 { throw ValidationError("--timeout must be more than 0 seconds") }
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let quiet = self.quiet
        let layout = site.layout()
        var options = BuildOptions(layout: layout, includeDrafts: drafts)
        // With --external the process goes on to ask other sites: the site is freed first.
        options.exitsAfterBuild = !external
        let builder = SiteBuilder(options: options) { line in if !quiet { print(line) } }
        let checked: (warnings: [Diagnostic], externalLinks: [(location: SourceLocation, url: String)])
        do {
            checked = try builder.check()
        } catch {
            report(error, "Check", quiet: quiet)
            throw ExitCode(1)
        }
        if !quiet { for warning in checked.warnings { printError(warning.description) } }
        guard external else {
            if !quiet { print("No errors. \(checked.externalLinks.count) external links not checked (use --external).") }
            return
        }
        let distinct = Set(checked.externalLinks.map(\.url)).count
        if !quiet { print("Checking \(distinct) external links, \(concurrency) at a time, \(Int(timeout)) s each…") }
        let problems = await ExternalLinkChecker(concurrency: concurrency, timeout: timeout).check(checked.externalLinks)
        for problem in problems { printError(problem.description) }
        if !problems.isEmpty {
            printError("Check failed: \(problems.count) broken external link\(problems.count == 1 ? "" : "s").")
            throw ExitCode(1)
        }
        if !quiet { print("No errors. All \(distinct) external links answered.") }
    }
}

/// Prints every diagnostic of a failed run and its summary line; the caller exits with 1.
/// With `quiet`, errors only; otherwise warnings first, so the errors end up next to the summary.
func report(_ failure: BuildFailure, _ verb: String, leftUnchanged output: String? = nil, quiet: Bool) {
    let warnings = failure.diagnostics.filter { $0.severity == .warning }
    if !quiet { for diagnostic in warnings { printError(diagnostic.description) } }
    for diagnostic in failure.diagnostics where diagnostic.severity == .error { printError(diagnostic.description) }
    let count = failure.diagnostics.filter { $0.severity == .error }.count
    printError("\(verb) failed with \(count) error\(count == 1 ? "" : "s")" + (output.map { "; \($0)/ was left unchanged." } ?? "."))
}

/// "0.42" seconds since `start`, for summary lines (never for output).
func seconds(since start: ContinuousClock.Instant) -> String {
    let elapsed = ContinuousClock.now - start
    return String(format: "%.2f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the site, serve it on this machine and rebuild it on every change, reloading open pages.",
        discussion: """
            The preview is written to ROOT/.materia-serve (not Output/) with plain asset names. Pages reload \
            after a rebuild that changed them; a stylesheet edit is swapped in without a reload. A broken edit \
            keeps the last good site served and shows its errors over the page.
            """)

    @Option(name: .long, help: "The site folder (holding materia.yaml, Content/ and Templates/).")
    var root: String = "."

    @Option(name: .long, help: "Where to write the preview (default: ROOT/.materia-serve).")
    var output: String?

    @Option(name: .long, help: "The address to listen on; 0.0.0.0 exposes the preview to the network.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0: any free port).")
    var port = 8080

    @Flag(name: .long, help: "Open the preview in the default browser.")
    var open = false

    @Flag(name: .long, help: "Include articles marked 'draft: true'.")
    var drafts = false

    func run() throws {
        var site = SiteOptions()
        site.root = root
        site.output = output ?? (root as NSString).appendingPathComponent(".materia-serve")
        try site.validate()
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port): a port is a number from 0 to 65535") }
        var options = BuildOptions(layout: site.layout(), includeDrafts: drafts)
        options.today = Day.today()
        let preview: Preview
        do {
            preview = try Preview(options: options, host: host, port: port, log: { printError($0) }, report: { errors in
                for error in errors { printError(error.description) }
            })
        } catch {
            // A port in use, an address that is not this machine's, or inotify that cannot start.
            printError("error: \(error)")
            throw ExitCode(1)
        }
        // Ctrl-C is handled from here on, also during the first build (which may take a while).
        let stop: @Sendable () -> Void = {
            preview.stop()
            printError("Stopped.")
            Foundation.exit(0)
        }
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            sources.append(source)
        }
        preview.start()
        FileHandle.standardOutput.write(Data("Serving \(preview.url) (Ctrl-C to stop)\n".utf8))
        if open { openBrowser(preview.url) }
        withExtendedLifetime(sources) {
            while true { sleep(3600) }
        }
    }

    private func openBrowser(_ url: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xdg-open", url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { printError("Could not open a browser (\(error.localizedDescription)); open \(url) yourself.") }
    }
}
