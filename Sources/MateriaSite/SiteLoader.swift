import Foundation
import MateriaContent
import MateriaMarkdown
import Synchronization

/// Where a site's sources live and where its output goes.
public struct SiteLayout: Sendable {
    public let root: URL
    public let output: URL
    /// The root's path ending in "/": what `relativePath` cuts off (worked out once, not per file).
    private let rootPrefix: String

    /// Paths are resolved through symlinks, so that checks on where the output may go compare
    /// real folders (a symlinked root must not let a build replace the sources).
    public init(root: URL, output: URL? = nil) {
        self.root = SiteLayout.realPath(root)
        self.output = SiteLayout.realPath(output ?? self.root.appendingPathComponent("Output"))
        let path = self.root.path
        rootPrefix = path.hasSuffix("/") ? path : path + "/"
    }

    static func realPath(_ url: URL, depth: Int = 0) -> URL {
        let url = url.standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) { return url.resolvingSymlinksInPath().standardizedFileURL }
        // A link whose target does not exist yet (an output folder still to be made).
        if depth < 16, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path) {
            return realPath(URL(fileURLWithPath: target, relativeTo: url.deletingLastPathComponent()), depth: depth + 1)
        }
        let parent = url.deletingLastPathComponent()
        guard parent.path != url.path else { return url }
        return realPath(parent).appendingPathComponent(url.lastPathComponent)
    }

    public var configFile: URL { root.appendingPathComponent("materia.yaml") }
    public var articlesDirectory: URL { root.appendingPathComponent("Content/articles") }
    public var staticDirectory: URL { root.appendingPathComponent("Content/static") }
    public var templatesDirectory: URL { root.appendingPathComponent("Templates") }
    public var assetsDirectory: URL { root.appendingPathComponent("Templates/assets") }

    public func dataDirectory(_ kind: String) -> URL { root.appendingPathComponent("Content/data/\(kind)") }

    /// Path relative to the site root, as diagnostics print it.
    public func relativePath(_ url: URL) -> String { relativePath(filePath: url.path) }

    /// `relativePath` of an absolute file path, without making a URL (it runs once per article).
    func relativePath(filePath: String) -> String {
        var full = filePath
        // Standardizing (resolving "." and "..") is slow: only paths with a segment starting
        // with "." can need it.
        if ByteText.contains(full, "/.") { full = URL(fileURLWithPath: filePath).standardizedFileURL.path }
        return full.hasPrefix(rootPrefix) ? String(full.dropFirst(rootPrefix.count)) : full
    }
}

/// Everything read from disk, decoded but not yet checked against each other.
public struct SiteSource: Sendable {
    public var config: SiteConfig
    public var articles: [Article]
    public var nutrients: [Nutrient]
    public var conditions: [Condition]
    public var symptoms: [Symptom]
    /// Nil when the templates have errors; the content is still validated so all errors are reported.
    public var templates: TemplateSet?
    /// Data ids whose files exist but could not be read, by folder ("nutrients"): references to
    /// them are not reported again as unknown ids.
    public var unreadableIDs: [String: Set<String>] = [:]
    /// Files under Content/static/, relative to it, as they will appear in the output.
    public var staticFiles: [String] = []
    /// The theme's assets under fingerprinted names, and the map from their plain names.
    public var assets = AssetManifest(files: [])
    /// Slugs of draft articles left out of this build.
    public var draftSlugs: Set<String> = []
}

/// Phase 1 (load): reads `materia.yaml`, content, data and templates, and decodes them.
public struct SiteLoader: Sendable {
    let layout: SiteLayout
    let includeDrafts: Bool
    /// Decoded files of an earlier load (`materia serve`): a file whose size, times and inode
    /// are unchanged is not read or decoded again.
    let cache: LoadCache?
    /// False for `materia serve`: assets keep their plain names, so a stylesheet edit changes
    /// the stylesheet only and the browser can swap it without reloading the page.
    let fingerprintAssets: Bool
    /// Threads that read and decode articles.
    public var jobs = 1
    /// Where the size and hash of every file read are recorded (for the build's fingerprint).
    var readHashes: ReadHashes?
    /// The articles folder, open while `load` reads the articles (see `OpenFolder`).
    private var articlesFolder: OpenFolder?

    public init(layout: SiteLayout, includeDrafts: Bool, cache: LoadCache? = nil, fingerprintAssets: Bool = true) {
        self.layout = layout
        self.includeDrafts = includeDrafts
        self.cache = cache
        self.fingerprintAssets = fingerprintAssets
    }

    /// Reads and decodes `file`, or returns what an earlier load decoded from the same file.
    private func decoded<T>(_ file: String, _ decode: (String) -> (T?, Diagnostics)) -> (value: T?, problems: Diagnostics, readable: Bool) {
        decoded(file, bytes: { bytes in
            var problems = Diagnostics()
            guard let text = text(of: bytes, file, &problems) else { return (nil, problems) }
            return decode(text)
        })
    }

    /// `decoded` for a decoder of the file's bytes (which decodes the text itself).
    private func decoded<T>(_ file: String, bytes decode: ([UInt8]) -> (T?, Diagnostics)) -> (value: T?, problems: Diagnostics, readable: Bool) {
        let signature = cache != nil ? FileSignature(path: file) : nil
        if let signature, let hit = cache?.entry(file, signature) as? (T?, Diagnostics, Bool) { return hit }
        var problems = Diagnostics()
        let result: (T?, Diagnostics, Bool)
        if let bytes = readBytes(file, &problems) {
            let (value, decodeProblems) = decode(bytes)
            problems.append(contentsOf: decodeProblems)
            result = (value, problems, true)
        } else {
            result = (nil, problems, false)
        }
        if let signature { cache?.store(file, signature, result) }
        return result
    }

    public func load() -> (SiteSource?, Diagnostics) {
        var diagnostics = Diagnostics()
        let config = loadConfig(&diagnostics)
        var articles: [Article] = []
        var drafts: Set<String> = []
        // Articles are read and decoded in parallel; their order stays the folder's.
        let articleFiles = files(in: layout.articlesDirectory, extensions: ["md", "markdown"], required: true, &diagnostics)
        let loader = {
            var loader = self
            loader.articlesFolder = OpenFolder(path: layout.articlesDirectory.path)
            return loader
        }()
        // The data, templates, assets and static files are few: with more than one job they are
        // read on a thread of their own while the articles are decoded, not after them.
        nonisolated(unsafe) var rest: Rest?
        let group = DispatchGroup()
        if jobs > 1 { DispatchQueue.global().async(group: group) { rest = loader.loadRest() } }
        let prefetch = ReadAhead(articleFiles)
        for (article, problems) in parallelMap(articleFiles, jobs: jobs, { loader.loadArticle($0) }) {
            diagnostics.append(contentsOf: problems)
            if let article, includeDrafts || !article.draft { articles.append(article) } else if let article { drafts.insert(article.slug.value) }
        }
        prefetch.stop()
        group.wait()
        let others = rest ?? loadRest()
        diagnostics.append(contentsOf: others.diagnostics)
        guard FileManager.default.fileExists(atPath: layout.configFile.path) else { return (nil, diagnostics) }
        // A broken materia.yaml still lets the content be checked, so one run reports everything.
        let settings = config ?? SiteConfig(title: "", description: "", baseURL: "/", language: "en", disclaimerShort: "",
                                            disclaimerFull: "", reviewCycleMonths: 12, allowRawHTML: false, authorities: [:],
                                            location: SourceLocation(path: "materia.yaml"))
        var source = SiteSource(config: settings, articles: articles, nutrients: others.nutrients, conditions: others.conditions,
                                symptoms: others.symptoms, templates: others.templates)
        source.unreadableIDs = others.unreadable
        source.staticFiles = others.staticFiles
        source.assets = others.assets
        source.draftSlugs = drafts
        return (source, diagnostics)
    }

    /// What a site has besides its articles and configuration, with the problems found in it
    /// (in the order they are reported: data, templates, assets).
    private struct Rest {
        var nutrients: [Nutrient], conditions: [Condition], symptoms: [Symptom]
        var templates: TemplateSet?
        var unreadable: [String: Set<String>]
        var staticFiles: [String]
        var assets: AssetManifest
        var diagnostics: Diagnostics
    }

    private func loadRest() -> Rest {
        var diagnostics = Diagnostics()
        var unreadable: [String: Set<String>] = [:]
        let nutrients = loadData("nutrients", &diagnostics, &unreadable, ContentDecoder.nutrient)
        let conditions = loadData("conditions", &diagnostics, &unreadable, ContentDecoder.condition)
        let symptoms = loadData("symptoms", &diagnostics, &unreadable, ContentDecoder.symptom)
        let (templates, templateProblems) = TemplateSet.load(from: layout.templatesDirectory, layout: layout)
        diagnostics.append(contentsOf: templateProblems)
        let staticFiles = staticFiles()
        let assets = loadAssets(&diagnostics)
        return Rest(nutrients: nutrients, conditions: conditions, symptoms: symptoms, templates: templates, unreadable: unreadable,
                    staticFiles: staticFiles, assets: assets, diagnostics: diagnostics)
    }

    /// One article file (an absolute path), decoded (also for a rebuild after an edit of that file alone).
    func loadArticle(_ file: String) -> (Article?, Diagnostics) {
        let slug = Slugify.make(Self.stem(of: file))
        let path = layout.relativePath(filePath: file)
        let (article, problems, _) = decoded(file, bytes: { ContentDecoder.article(fileBytes: $0, path: path, defaultSlug: slug) })
        return (article, problems)
    }

    /// A path's file name without its extension ("a/b.md" → "b"), as `URL` gives it.
    static func stem(of path: String) -> String {
        let name = path.utf8.lastIndex(of: 0x2F).map { path[path.utf8.index(after: $0)...] } ?? path[...]
        guard let dot = name.utf8.lastIndex(of: 0x2E), dot != name.startIndex else { return String(name) }
        return String(name[..<dot])
    }

    /// A file name's extension, lowercased ("" when it has none, or only a leading dot).
    static func lowercasedExtension(_ name: String) -> String {
        guard let dot = name.utf8.lastIndex(of: 0x2E), dot != name.startIndex else { return "" }
        return name[name.utf8.index(after: dot)...].lowercased()
    }

    private func loadAssets(_ diagnostics: inout Diagnostics) -> AssetManifest {
        guard let enumerator = FileManager.default.enumerator(atPath: layout.assetsDirectory.path) else { return AssetManifest(files: []) }
        var files: [(String, [UInt8])] = []
        for case let relative as String in enumerator {
            let url = layout.assetsDirectory.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !(relative as NSString).lastPathComponent.hasPrefix(".") else { continue }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                diagnostics.error(SourceLocation(path: layout.relativePath(url)), "cannot read the file", fix: "check its permissions")
                continue
            }
            files.append((relative, [UInt8](data)))
        }
        return AssetManifest(files: files.sorted { $0.0 < $1.0 }, fingerprinted: fingerprintAssets)
    }

    private func staticFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: layout.staticDirectory.path) else { return [] }
        var files: [String] = []
        for case let relative as String in enumerator {
            var isDirectory: ObjCBool = false
            let path = layout.staticDirectory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
               !(relative as NSString).lastPathComponent.hasPrefix(".") {
                files.append(relative)
            }
        }
        return files.sorted()
    }

    private func loadConfig(_ diagnostics: inout Diagnostics) -> SiteConfig? {
        let path = layout.relativePath(layout.configFile)
        guard FileManager.default.fileExists(atPath: layout.configFile.path) else {
            diagnostics.error(SourceLocation(path: path), "the site folder has no materia.yaml",
                              fix: "run materia in the site's folder or pass --root DIR; a site needs materia.yaml with title and disclaimer")
            return nil
        }
        guard let text = read(layout.configFile.path, &diagnostics) else { return nil }
        let (config, problems) = ContentDecoder.config(text, path: path)
        diagnostics.append(contentsOf: problems)
        return config
    }

    private func loadData<T>(_ kind: String, _ diagnostics: inout Diagnostics, _ unreadable: inout [String: Set<String>],
                             _ decode: (String, String, String) -> (T?, Diagnostics)) -> [T] {
        var result: [T] = []
        var seen: [String: String] = [:]
        for file in files(in: layout.dataDirectory(kind), extensions: ["yaml", "yml"], required: false, &diagnostics) {
            let id = Self.stem(of: file)
            let path = layout.relativePath(filePath: file)
            if let first = seen[id] {
                diagnostics.error(SourceLocation(path: path), "\(first) already defines the \(kind.dropLast()) id '\(id)'",
                                  fix: "keep one of the two files")
                continue
            }
            seen[id] = path
            if !ContentDecoder.isIdentifier(id) {
                diagnostics.error(SourceLocation(path: path), "'\(id)' cannot be used as an id (it names the page URL)",
                                  fix: "rename the file to lowercase letters, digits and hyphens, e.g. '\(Slugify.make(id)).yaml'")
                continue
            }
            let (value, problems, _) = decoded(file) { decode($0, path, id) }
            diagnostics.append(contentsOf: problems)
            if let value { result.append(value) } else { unreadable[kind, default: []].insert(id) }
        }
        return result
    }

    /// The files of `directory` with one of `extensions`, as absolute paths, sorted by name.
    private func files(in directory: URL, extensions: Set<String>, required: Bool, _ diagnostics: inout Diagnostics) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            if required {
                diagnostics.error(SourceLocation(path: layout.relativePath(directory)), "folder \(layout.relativePath(directory))/ is missing",
                                  fix: "create it and put the site's Markdown articles in it")
            }
            return []
        }
        let folder = directory.path.hasSuffix("/") ? directory.path : directory.path + "/"
        return StringOrder.sorted(names)
            .filter { !$0.hasPrefix(".") && extensions.contains(Self.lowercasedExtension($0)) }
            .map { folder + $0 }
    }

    /// The bytes of `file` (recorded in `readHashes`), or nil with an error when it cannot be read.
    private func readBytes(_ file: String, _ diagnostics: inout Diagnostics) -> [UInt8]? {
        guard let bytes = Self.contents(file, in: articlesFolder) else {
            diagnostics.error(SourceLocation(path: layout.relativePath(filePath: file)), "cannot read the file",
                              fix: "check that it exists and is readable")
            return nil
        }
        readHashes?.record(file, bytes)
        return bytes
    }

    private func read(_ file: String, _ diagnostics: inout Diagnostics) -> String? {
        readBytes(file, &diagnostics).flatMap { text(of: $0, file, &diagnostics) }
    }

    /// The text of `file`'s `bytes`, or nil with an error saying where they stop being UTF-8.
    private func text(of bytes: [UInt8], _ file: String, _ diagnostics: inout Diagnostics) -> String? {
        switch SourceText.decode(bytes, path: layout.relativePath(filePath: file)) {
        case .success(let text): return text
        case .failure(let diagnostic):
            diagnostics.append(diagnostic)
            return nil
        }
    }
}

/// Asks the kernel, from a thread of its own, to start reading `files` into its page cache
/// (`posix_fadvise(POSIX_FADV_WILLNEED)`), in the order the loader reads them. Files the page
/// cache does not hold (a first build, or a cache the system has since reclaimed) are then read
/// many at a time, ahead of the loader, instead of one at a time per loader thread as each one
/// asks for its next file. The thread runs only on an idle core: with every file cached it
/// takes no time from the loader.
final class ReadAhead: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(_ files: [String]) {
        let thread = Thread { [self] in
            // Only when a core is idle (the loader waits for the disk): with every file cached,
            // the loader's threads keep the cores and this one barely runs.
            var idle = sched_param()
            _ = sched_setscheduler(0, ReadAhead.schedIdle, &idle)
            for file in files {
                if stopped.load(ordering: .relaxed) { break }
                let descriptor = open(file, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { continue }
                _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_WILLNEED)
                close(descriptor)
            }
            finished.signal()
        }
        thread.start()
    }

    /// Linux's SCHED_IDLE policy (the C headers define it only with _GNU_SOURCE); for the calling thread.
    private static let schedIdle: Int32 = 5

    /// Stops advising (the loader has read every file) and waits for the thread to end.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        finished.wait()
    }
}

extension SiteLoader {
    /// A file's bytes, read with read(2) straight into an array (no `Data` to copy from); nil
    /// when it cannot be opened or read.
    /// `folder`, when it holds the file, is where it is opened from (see `OpenFolder`).
    static func contents(_ path: String, in folder: OpenFolder? = nil) -> [UInt8]? {
        let descriptor = folder.flatMap { folder in folder.relative(path).map { openat(folder.descriptor, $0, O_RDONLY | O_CLOEXEC) } }
            ?? open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        // The size fstat gives, plus one byte: a file that has not grown fills all but that byte,
        // and the read that finds the end needs no larger array (nor a copy into one). The array
        // is read into uninitialized (zeroing it first was 0.4 % of a build's instructions).
        let capacity = Int(info.st_size) + 1
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            initialized = readAll(descriptor, into: UnsafeMutableRawBufferPointer(buffer), failed: &failed)
        }
        // A file that grew since fstat filled the extra byte: the rest is read on, in pieces.
        while !failed && bytes.count >= capacity {
            let before = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: 4096))
            let added = bytes.withUnsafeMutableBytes { readAll(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0[before...]), failed: &failed) }
            bytes.removeSubrange((before + added)...)
            if added < 4096 { break }
        }
        return failed ? nil : bytes
    }

    /// Reads until `buffer` is full or the file ends: the bytes read.
    private static func readAll(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, failed: inout Bool) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if count < 0 {
                if errno == EINTR { continue }
                failed = true
                break
            }
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}

/// The theme's assets with content-hashed names (`style.3f2a9c0d1b7e.css`): a changed file gets a
/// new name, so hosts may cache every asset for a year without ever serving a stale one.
public struct AssetManifest: Sendable {
    /// Plain name ("style.css") → fingerprinted name.
    public let names: [String: String]
    public let files: [OutputFile]

    init(files: [(path: String, bytes: [UInt8])], fingerprinted: Bool = true) {
        var names: [String: String] = [:]
        var outputs: [OutputFile] = []
        for file in files {
            let hashed = fingerprinted ? AssetManifest.fingerprinted(file.path, bytes: file.bytes) : file.path
            names[file.path] = hashed
            outputs.append(OutputFile(path: "assets/" + hashed, bytes: file.bytes))
        }
        self.names = names
        self.files = outputs
    }

    /// Path below the site root of an asset, by its plain name.
    public func path(_ name: String) -> String { "assets/" + (names[name] ?? name) }

    static func fingerprinted(_ path: String, bytes: [UInt8]) -> String {
        // FNV-1a, 64 bits: stable across machines and runs, which is all a cache key needs.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        let digest = String(repeating: "0", count: 16 - hex.count) + hex
        let name = path as NSString
        let ext = name.pathExtension
        return ext.isEmpty ? "\(path).\(digest.prefix(12))" : "\(name.deletingPathExtension).\(digest.prefix(12)).\(ext)"
    }
}

/// What identifies one version of a file without reading it: a save changes its size or times,
/// and an editor's write-and-rename gives it a new inode.
struct FileSignature: Equatable {
    let device: UInt64, inode: UInt64, size: Int64
    let modified: Int, modifiedNanoseconds: Int, changed: Int, changedNanoseconds: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
        changed = info.st_ctim.tv_sec
        changedNanoseconds = info.st_ctim.tv_nsec
    }
}

/// Decoded content files kept between rebuilds of one `materia serve` session.
public final class LoadCache: @unchecked Sendable {
    private var entries: [String: (FileSignature, Any)] = [:]
    private let lock = NSLock()

    public init() {}

    func entry(_ path: String, _ signature: FileSignature) -> Any? {
        lock.lock()
        defer { lock.unlock() }
        guard let (stored, value) = entries[path], stored == signature else { return nil }
        return value
    }

    func store(_ path: String, _ signature: FileSignature, _ value: Any) {
        // File times tick in steps of a few milliseconds, so a second save in the same step as
        // this read would keep its signature ("racy" entries, as git calls them): such files
        // are read again next time.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        guard now.tv_sec - max(signature.modified, signature.changed) >= 2 else { return }
        lock.lock()
        entries[path] = (signature, value)
        lock.unlock()
    }
}
