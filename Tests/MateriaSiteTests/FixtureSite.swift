import Foundation

/// The repository, found from this file's path, so tests run from any working directory.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures")
}

/// A throwaway copy of a fixture site in a temporary folder.
struct FixtureSite {
    let root: URL

    /// Copies `Tests/Fixtures/sites/<base>`; adds the default theme when the fixture has no
    /// Templates/; then applies `overlay` (files copied on top, `remove.txt` lists files to delete).
    init(base: String, overlay: URL? = nil) throws {
        let fileManager = FileManager.default
        root = fileManager.temporaryDirectory.appendingPathComponent("materia-test-\(UUID().uuidString)")
        try fileManager.copyItem(at: Repository.fixtures.appendingPathComponent("sites/\(base)"), to: root)
        if !fileManager.fileExists(atPath: root.appendingPathComponent("Templates").path) {
            try fileManager.copyItem(at: Repository.root.appendingPathComponent("Templates"), to: root.appendingPathComponent("Templates"))
        }
        guard let overlay else { return }
        let skip: Set<String> = ["expected.txt", "remove.txt"]
        if let enumerator = fileManager.enumerator(atPath: overlay.path) {
            for case let relative as String in enumerator where !skip.contains(relative) {
                let source = overlay.appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                fileManager.fileExists(atPath: source.path, isDirectory: &isDirectory)
                let target = root.appendingPathComponent(relative)
                if isDirectory.boolValue {
                    try fileManager.createDirectory(at: target, withIntermediateDirectories: true)
                } else {
                    try? fileManager.removeItem(at: target)
                    try fileManager.copyItem(at: source, to: target)
                }
            }
        }
        if let removals = try? String(contentsOf: overlay.appendingPathComponent("remove.txt"), encoding: .utf8) {
            for line in removals.split(separator: "\n") where !line.isEmpty {
                try fileManager.removeItem(at: root.appendingPathComponent(String(line)))
            }
        }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// Every regular file below `directory`, as relative path → bytes; without the build manifest
/// (`.materia-build`), which records the build rather than being part of the site.
func readTree(_ directory: URL) -> [String: Data] {
    var result: [String: Data] = [:]
    guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return result }
    for case let relative as String in enumerator where relative != ".materia-build" {
        var isDirectory: ObjCBool = false
        let path = directory.appendingPathComponent(relative).path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            result[relative] = FileManager.default.contents(atPath: path)
        }
    }
    return result
}
