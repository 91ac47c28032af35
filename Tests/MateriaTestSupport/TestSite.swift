import Foundation

/// What the end-to-end tests share: the repository, the built `materia` binary and throwaway
/// copies of the sample site.
public enum TestSite {
    /// The repository, found from this file's path, so tests run from any working directory.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The binary next to the test bundle (same build folder), else the default debug build.
    public static let binary: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("materia")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repository.appendingPathComponent(".build/debug/materia")
    }()

    /// A copy of the repository's sample site (materia.yaml, Content/, Templates/) in a temp folder.
    public static func sampleSite() throws -> URL {
        let site = FileManager.default.temporaryDirectory.appendingPathComponent("materia-site-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        for item in ["materia.yaml", "Content", "Templates"] {
            try FileManager.default.copyItem(at: repository.appendingPathComponent(item), to: site.appendingPathComponent(item))
        }
        return site
    }
}
