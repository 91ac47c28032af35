import Foundation
import MateriaContent
import MateriaMarkdown

/// A 64-bit hash that is the same in every process and on every machine (Swift's `Hasher` is
/// seeded per process): for content fingerprints kept on disk. Four independent lanes of eight
/// bytes per step (as xxHash does), so that the multiplications of one lane overlap those of
/// the others instead of waiting on each other; then eight bytes per step for the rest.
public enum StableHash {
    private static let p1: UInt64 = 0x9E37_79B9_7F4A_7C15, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    @inline(__always)
    private static func round(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = hash ^ (word &* p2)
        return (mixed << 31 | mixed >> 33) &* p1
    }

    public static func of(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        var hash = seed ^ (UInt64(bytes.count) &* p1)
        var index = 0
        if bytes.count >= 32 {
            var lanes = (hash, hash ^ p2, hash &+ p1, hash &- p2)
            while index + 32 <= bytes.count {
                lanes.0 = round(lanes.0, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                lanes.1 = round(lanes.1, bytes.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self))
                lanes.2 = round(lanes.2, bytes.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self))
                lanes.3 = round(lanes.3, bytes.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self))
                index += 32
            }
            hash = round(round(round(round(hash, lanes.0), lanes.1), lanes.2), lanes.3)
        }
        while index + 8 <= bytes.count {
            hash = round(hash, bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = round(hash, tail)
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 33)
    }

    public static func of(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 { bytes.withUnsafeBytes { of($0, seed: seed) } }

    static func of(_ text: String, seed: UInt64 = 0) -> UInt64 { of(Array(text.utf8), seed: seed) }

    /// The hash as 16 lowercase hex digits.
    static func hex(_ value: UInt64) -> String {
        var digits: [UInt8] = []
        appendHex(value, to: &digits)
        return String(decoding: digits, as: UTF8.self)
    }

    /// `hex(value)`'s digits appended as bytes (the manifest writes one per file).
    static func appendHex(_ value: UInt64, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        for shift in stride(from: 60, through: 0, by: -4) { out.append(digits.utf8Start[Int((value >> UInt64(shift)) & 0xF)]) }
    }
}

/// `.materia-build` in the output folder of `materia build`: a fingerprint of everything the
/// build read (every source file's bytes, the options, the date and the materia binary), the
/// summary it printed, and a hash of every file it wrote. The next build with the same
/// fingerprint has nothing to do; any other build rewrites only files whose bytes changed.
struct BuildManifest {
    static let file = ".materia-build"
    /// The inputs line of a manifest `materia serve` wrote: its session does not fingerprint the
    /// inputs, and no fingerprint (16 hex digits) equals this, so a build there never takes the
    /// output for up to date; it still writes only the files whose bytes differ.
    static let sessionInputs = "materia-serve"
    var inputs: String
    var counts: [Int]
    var warnings: [Diagnostic]
    var files: [String: UInt64]

    /// The fingerprint of a build's inputs. Reads every file of Content/ and Templates/ and
    /// materia.yaml (in parallel); a file that cannot be read makes the fingerprint unique, so
    /// the build runs and reports it.
    static func fingerprint(_ layout: SiteLayout, _ options: BuildOptions) -> String {
        PendingFingerprint(layout, options, deferArticles: false).finish(options, read: nil)
    }

    /// A fingerprint taken in two steps, for a build that has no earlier manifest to compare
    /// with: every input but the articles is hashed before the build reads anything (as
    /// `fingerprint` does), and each article from the very bytes the loader read and built
    /// (`ReadHashes`), instead of reading every article twice. The result is the same string.
    struct PendingFingerprint {
        private var lines: [String?]
        private var deferred: [(index: Int, path: String)] = []
        /// The files whose hashes the load is to record (empty unless articles are deferred).
        var deferredPaths: [String] { deferred.map(\.path) }

        init(_ layout: SiteLayout, _ options: BuildOptions, deferArticles: Bool) {
            var paths: [String] = [layout.configFile.path]
            for folder in [layout.root.appendingPathComponent("Content"), layout.templatesDirectory] {
                BuildManifest.listTree(folder.path, into: &paths)
            }
            paths = StringOrder.sorted(paths)
            let articles = layout.articlesDirectory.path + "/"
            let isArticle = { @Sendable (path: String) -> Bool in
                deferArticles && path.hasPrefix(articles) && !path.utf8.dropFirst(articles.utf8.count).contains(0x2F)
                    && ["md", "markdown"].contains(SiteLoader.lowercasedExtension(path))
            }
            // Every file is read here when the articles are not deferred (a rebuild): read ahead.
            let ahead = deferArticles ? nil : ReadAhead(paths)
            lines = parallelMap(paths, jobs: options.jobs) { path -> String? in
                isArticle(path) ? nil : PendingFingerprint.line(path)
            }
            ahead?.stop()
            deferred = paths.indices.filter { lines[$0] == nil }.map { ($0, paths[$0]) }
        }

        /// What the fingerprint says of one input file.
        static func line(_ path: String) -> String {
            var info = stat()
            guard stat(path, &info) == 0 else { return "missing \(path)" }
            if (info.st_mode & S_IFMT) == S_IFDIR { return "dir \(path)" }
            guard let bytes = SiteLoader.contents(path) else { return "unreadable \(path) \(UUID())" }
            return line(path, count: bytes.count, hash: StableHash.of(bytes))
        }

        static func line(_ path: String, count: Int, hash: UInt64) -> String { "\(path) \(count) " + StableHash.hex(hash) }

        /// The fingerprint, with the deferred articles taken from `read` (an article the loader
        /// did not read is read here).
        func finish(_ options: BuildOptions, read: ReadHashes?) -> String {
            var lines = self.lines
            for (index, path) in deferred {
                if let known = read?.entry(path) { lines[index] = Self.line(path, count: known.count, hash: known.hash) }
                else { lines[index] = Self.line(path) }
            }
            var binary = stat()
            let executable = stat("/proc/self/exe", &binary) == 0 ? "\(binary.st_size) \(binary.st_mtim.tv_sec).\(binary.st_mtim.tv_nsec)" : UUID().uuidString
            let settings = "materia-build 1|\(executable)|drafts \(options.includeDrafts)|base \(options.baseURL ?? "")|"
                + "fingerprint \(options.fingerprintAssets)|today \(options.today.iso)"
            return StableHash.hex(StableHash.of(([settings] + lines.map { $0! }).joined(separator: "\n")))
        }
    }

    /// Every file and folder under `folder` (hidden ones too), as full paths; folders that are
    /// symbolic links are listed, not entered. readdir(3) directly: FileManager's enumerator
    /// spends most of a nothing-changed build on path strings.
    static func listTree(_ folder: String, into paths: inout [String]) {
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        var folders: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = folder + "/" + name
            paths.append(path)
            var isFolder = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isFolder = lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            if isFolder { folders.append(path) }
        }
        for path in folders { listTree(path, into: &paths) }
    }

    /// The manifest an earlier build or preview left in `output`, trusted only in a folder that
    /// Materia made (one holding its marker file).
    static func previous(in output: URL) -> BuildManifest? {
        guard FileManager.default.fileExists(atPath: output.appendingPathComponent(OutputWriter.markerFile).path) else { return nil }
        return read(output)
    }

    /// Removes the manifest from `output`, before any of its files changes: a build or preview
    /// stopped half-way then leaves none, and the next one writes every file.
    static func remove(from output: URL) {
        unlink(output.appendingPathComponent(file).path)
    }

    /// Writes the manifest into `output` (a temporary file renamed into place), once its files are.
    func save(in output: URL) {
        let target = output.appendingPathComponent(BuildManifest.file).path
        let temporary = target + ".tmp"
        if OutputWriter.writeFile(temporary, bytes()) {
            rename(temporary, target)
        } else {
            unlink(temporary)
        }
    }

    static func read(_ output: URL) -> BuildManifest? {
        guard let data = FileManager.default.contents(atPath: output.appendingPathComponent(file).path) else { return nil }
        var manifest = BuildManifest(inputs: "", counts: [], warnings: [], files: [:])
        let bytes = [UInt8](data)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1 }
            if end == start { continue }
            // "file\t<hash>\t<path>", one per output file: read on the bytes.
            if end - start > 5 && bytes[start..<start + 5].elementsEqual("file\t".utf8) {
                var index = start + 5
                var hash: UInt64 = 0
                var digits = 0
                while index < end, let digit = ByteText.hexDigit(bytes[index]) {
                    hash = hash << 4 | UInt64(digit)
                    digits += 1
                    index += 1
                }
                guard digits > 0, digits <= 16, index < end, bytes[index] == 0x09 else { return nil }
                let path = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
                if path.utf8.contains(0x09) { continue }
                manifest.files[path] = hash
                continue
            }
            guard let text = String(validating: bytes[start..<end], as: UTF8.self) else { return nil }
            let line = Substring(text)
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields[0] {
            case "inputs" where fields.count == 2: manifest.inputs = fields[1]
            case "counts": manifest.counts = fields.dropFirst().compactMap { Int($0) }
            case "warning" where fields.count == 6:
                manifest.warnings.append(Diagnostic(.warning, at: SourceLocation(path: fields[1], line: Int(fields[2]) ?? 0, column: Int(fields[3]) ?? 0),
                                                    fields[4], fix: fields[5].isEmpty ? nil : fields[5]))
            default: continue
            }
        }
        return manifest.inputs.isEmpty || manifest.counts.count != 5 ? nil : manifest
    }

    /// The manifest file's bytes: a line per warning and per file written (written as bytes: a
    /// site of 10,000 articles has a line for every page).
    func bytes() -> [UInt8] {
        var out = Array("materia-build 1\ninputs\t\(inputs)\ncounts\t".utf8)
        out += Array(counts.map(String.init).joined(separator: "\t").utf8)
        out.append(0x0A)
        /// `text` with its tabs and line breaks as spaces, then `end`.
        func field(_ text: String, _ end: UInt8 = 0x09) {
            var text = text
            text.withUTF8 { bytes in
                for byte in bytes { out.append(byte == 0x09 || byte == 0x0A ? 0x20 : byte) }
            }
            out.append(end)
        }
        for warning in warnings {
            let location = warning.location
            field("warning")
            field(location.path)
            field(String(location.line))
            field(String(location.column))
            field(warning.message)
            field(warning.fix ?? "", 0x0A)
        }
        out.reserveCapacity(out.count + files.count * 96)
        for (path, hash) in StringOrder.sorted(Array(files), by: { $0.key }) {
            out += [0x66, 0x69, 0x6C, 0x65, 0x09]  // "file\t"
            StableHash.appendHex(hash, to: &out)
            out.append(0x09)
            var path = path
            path.withUTF8 { out.append(contentsOf: $0) }
            out.append(0x0A)
        }
        return out
    }
}

/// Size and `StableHash` of the files a fingerprint waits for (`PendingFingerprint`), recorded
/// by the load as it reads them, from any thread: each path has its own slot, fixed before the
/// load starts, and is read by one thread only, so recording takes no lock.
final class ReadHashes: @unchecked Sendable {
    private let slots: [String: Int]
    private let values: UnsafeMutableBufferPointer<(count: Int, hash: UInt64)?>

    init(paths: [String]) {
        slots = Dictionary(paths.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        values = .allocate(capacity: paths.count)
        values.initialize(repeating: nil)
    }

    deinit {
        values.deinitialize()
        values.deallocate()
    }

    func record(_ path: String, _ bytes: [UInt8]) {
        guard let slot = slots[path] else { return }
        values[slot] = (bytes.count, StableHash.of(bytes))
    }

    func entry(_ path: String) -> (count: Int, hash: UInt64)? {
        slots[path].flatMap { values[$0] }
    }
}
