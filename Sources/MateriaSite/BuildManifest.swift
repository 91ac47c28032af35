import Foundation
import MateriaContent

/// A 64-bit hash that is the same in every process and on every machine (Swift's `Hasher` is
/// seeded per process): for content fingerprints kept on disk. Eight bytes per step.
public enum StableHash {
    public static func of(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let p1: UInt64 = 0x9E37_79B9_7F4A_7C15, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        var hash = seed ^ (UInt64(bytes.count) &* p1)
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            hash = ((hash ^ (word &* p2)) << 31 | (hash ^ (word &* p2)) >> 33) &* p1
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = ((hash ^ (tail &* p2)) << 31 | (hash ^ (tail &* p2)) >> 33) &* p1
        hash ^= hash >> 33
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash = hash &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 33)
    }

    public static func of(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 { bytes.withUnsafeBytes { of($0, seed: seed) } }

    static func of(_ text: String, seed: UInt64 = 0) -> UInt64 { of(Array(text.utf8), seed: seed) }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// `.materia-build` in the output folder of `materia build`: a fingerprint of everything the
/// build read (every source file's bytes, the options, the date and the materia binary), the
/// summary it printed, and a hash of every file it wrote. The next build with the same
/// fingerprint has nothing to do; any other build rewrites only files whose bytes changed.
struct BuildManifest {
    static let file = ".materia-build"
    var inputs: String
    var counts: [Int]
    var warnings: [Diagnostic]
    var files: [String: UInt64]

    /// The fingerprint of a build's inputs. Reads every file of Content/ and Templates/ and
    /// materia.yaml (in parallel); a file that cannot be read makes the fingerprint unique, so
    /// the build runs and reports it.
    static func fingerprint(_ layout: SiteLayout, _ options: BuildOptions) -> String {
        var paths: [String] = [layout.configFile.path]
        for folder in [layout.root.appendingPathComponent("Content"), layout.templatesDirectory] {
            guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let relative as String in enumerator { paths.append(folder.path + "/" + relative) }
        }
        paths.sort()
        let hashes = parallelMap(paths, jobs: options.jobs) { path -> String in
            var info = stat()
            guard stat(path, &info) == 0 else { return "missing \(path)" }
            if (info.st_mode & S_IFMT) == S_IFDIR { return "dir \(path)" }
            guard let data = FileManager.default.contents(atPath: path) else { return "unreadable \(path) \(UUID())" }
            return "\(path) \(data.count) " + StableHash.hex(data.withUnsafeBytes { StableHash.of($0) })
        }
        var binary = stat()
        let executable = stat("/proc/self/exe", &binary) == 0 ? "\(binary.st_size) \(binary.st_mtim.tv_sec).\(binary.st_mtim.tv_nsec)" : UUID().uuidString
        let settings = "materia-build 1|\(executable)|drafts \(options.includeDrafts)|base \(options.baseURL ?? "")|"
            + "fingerprint \(options.fingerprintAssets)|today \(options.today.iso)"
        return StableHash.hex(StableHash.of(([settings] + hashes).joined(separator: "\n")))
    }

    static func read(_ output: URL) -> BuildManifest? {
        guard let text = try? String(contentsOf: output.appendingPathComponent(file), encoding: .utf8) else { return nil }
        var manifest = BuildManifest(inputs: "", counts: [], warnings: [], files: [:])
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields[0] {
            case "inputs" where fields.count == 2: manifest.inputs = fields[1]
            case "counts": manifest.counts = fields.dropFirst().compactMap { Int($0) }
            case "warning" where fields.count == 6:
                manifest.warnings.append(Diagnostic(.warning, at: SourceLocation(path: fields[1], line: Int(fields[2]) ?? 0, column: Int(fields[3]) ?? 0),
                                                    fields[4], fix: fields[5].isEmpty ? nil : fields[5]))
            case "file" where fields.count == 3:
                guard let hash = UInt64(fields[1], radix: 16) else { return nil }
                manifest.files[fields[2]] = hash
            default: continue
            }
        }
        return manifest.inputs.isEmpty || manifest.counts.count != 5 ? nil : manifest
    }

    func text() -> String {
        func clean(_ text: String) -> String { text.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }
        var lines = ["materia-build 1", "inputs\t\(inputs)", "counts\t" + counts.map(String.init).joined(separator: "\t")]
        for warning in warnings {
            let location = warning.location
            lines.append(["warning", clean(location.path), String(location.line), String(location.column), clean(warning.message),
                          clean(warning.fix ?? "")].joined(separator: "\t"))
        }
        for path in files.keys.sorted() { lines.append("file\t\(StableHash.hex(files[path]!))\t\(path)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
