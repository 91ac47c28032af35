import Foundation
import MateriaContent

/// Phase 5 (write): writes the site into a temporary folder beside the output, then swaps it in,
/// so a failed or interrupted build never leaves a half-written output folder.
struct OutputWriter {
    let layout: SiteLayout
    let jobs: Int

    /// Refuses output folders whose replacement would destroy the site's sources.
    static func checkOutput(_ layout: SiteLayout) -> Diagnostic? {
        let output = layout.output.path, root = layout.root.path
        let protected = [root, layout.root.appendingPathComponent("Content").path, layout.templatesDirectory.path]
        if protected.contains(where: { $0 == output || $0.hasPrefix(output.hasSuffix("/") ? output : output + "/") })
            || output.hasPrefix(layout.root.appendingPathComponent("Content").path + "/")
            || output.hasPrefix(layout.templatesDirectory.path + "/") {
            return Diagnostic(at: SourceLocation(path: output), "the output folder would replace the site's own sources",
                              fix: "choose an output folder outside Content/ and Templates/, such as Output/")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), !isDirectory.boolValue {
            return Diagnostic(at: SourceLocation(path: output), "the output path exists and is not a folder",
                              fix: "remove it or pass another --output")
        }
        return nil
    }

    /// Writes `files` plus the theme's assets and the site's static files; returns the file count.
    func write(_ files: [OutputFile]) throws(BuildFailure) -> Int {
        let fileManager = FileManager.default
        let parent = layout.output.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".materia-build-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try? fileManager.removeItem(at: staging)
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
            var all = files
            all += try copies(from: layout.assetsDirectory, to: "assets/")
            all += try copies(from: layout.staticDirectory, to: "")
            var seen: [String: Int] = [:]
            for (index, file) in all.enumerated() {
                if seen[file.path] != nil {
                    throw BuildFailure([Diagnostic(at: SourceLocation(path: file.path), "two files would be written to \(file.path)",
                                                   fix: "rename the static file in Content/static/ that clashes with a generated page")])
                }
                seen[file.path] = index
            }
            let directories = Set(all.map { ($0.path as NSString).deletingLastPathComponent }).sorted()
            for directory in directories where !directory.isEmpty {
                try fileManager.createDirectory(at: staging.appendingPathComponent(directory), withIntermediateDirectories: true)
            }
            let stagingPath = staging.path
            let failures = parallelMap(all, jobs: jobs) { file -> String? in
                let ok = FileManager.default.createFile(atPath: stagingPath + "/" + file.path, contents: Data(file.bytes))
                return ok ? nil : file.path
            }.compactMap { $0 }
            if let failed = failures.first {
                throw BuildFailure([Diagnostic(at: SourceLocation(path: layout.relativePath(layout.output) + "/" + failed),
                                               "cannot write the file", fix: "check the disk has space and the folder is writable")])
            }
            try swapIn(staging)
            return all.count
        } catch let failure as BuildFailure {
            try? fileManager.removeItem(at: staging)
            throw failure
        } catch {
            try? fileManager.removeItem(at: staging)
            throw BuildFailure([Diagnostic(at: SourceLocation(path: layout.relativePath(layout.output)),
                                           "cannot write the output: \(error.localizedDescription)",
                                           fix: "check the folder is writable; the previous output is unchanged")])
        }
    }

    /// Replaces the output folder with `staging`: rename the old one aside, rename the new one in.
    private func swapIn(_ staging: URL) throws {
        let fileManager = FileManager.default
        let output = layout.output
        let old = output.deletingLastPathComponent().appendingPathComponent(".materia-old-\(ProcessInfo.processInfo.processIdentifier)")
        try? fileManager.removeItem(at: old)
        if fileManager.fileExists(atPath: output.path) {
            try fileManager.moveItem(at: output, to: old)
            do {
                try fileManager.moveItem(at: staging, to: output)
            } catch {
                try? fileManager.moveItem(at: old, to: output)
                throw error
            }
            try? fileManager.removeItem(at: old)
        } else {
            try fileManager.moveItem(at: staging, to: output)
        }
    }

    private func copies(from directory: URL, to prefix: String) throws -> [OutputFile] {
        let fileManager = FileManager.default
        guard let enumerator = fileManager.enumerator(atPath: directory.path) else { return [] }
        var files: [OutputFile] = []
        for case let relative as String in enumerator {
            let source = directory.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: source.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !(relative as NSString).lastPathComponent.hasPrefix(".") else { continue }
            guard let data = fileManager.contents(atPath: source.path) else {
                throw BuildFailure([Diagnostic(at: SourceLocation(path: layout.relativePath(source)), "cannot read the file",
                                               fix: "check its permissions")])
            }
            files.append(OutputFile(path: prefix + relative, bytes: [UInt8](data)))
        }
        return files.sorted { $0.path < $1.path }
    }
}
