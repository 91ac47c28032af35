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

    /// How a run of the binary ended.
    public struct Run: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs `materia` with `arguments` (in `directory`) and waits for it. Review reminders compare
    /// with today, so `today` is fixed (MATERIA_TODAY) to keep tests stable over time.
    public static func run(_ arguments: [String], in directory: URL? = nil, today: String = "2026-11-22") throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["MATERIA_TODAY": today]) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

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
