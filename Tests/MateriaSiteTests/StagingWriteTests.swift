import Foundation
import Testing
@testable import MateriaSite

/// Pages are written into the staging folder relative to it when it could be opened
/// (`OutputWriter.StagingFolder`), by their whole path when not: the same files either way,
/// with every missing folder above a page made.
@Suite struct StagingWriteTests {
    @Test func pagesLandTheSameWithTheFolderOpenOrNot() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("materia-staging-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let writer = OutputWriter(layout: SiteLayout(root: root, output: root.appendingPathComponent("Output")), jobs: 1)
        let files = [OutputFile(path: "index.html", bytes: Array("home".utf8)),
                     OutputFile(path: "articles/a/index.html", bytes: Array("a".utf8)),
                     OutputFile(path: "deep/er/still/page.html", bytes: Array("deep".utf8))]
        for open in [true, false] {
            let staging = root.appendingPathComponent(open ? "open" : "closed").path
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            let folder = OutputWriter.StagingFolder(path: open ? staging : staging + "/missing")
            #expect((folder.descriptor != AT_FDCWD) == open)
            for file in files {
                #expect(writer.spill(file, into: staging, directory: open ? folder.descriptor : AT_FDCWD) == nil)
                #expect(FileManager.default.contents(atPath: staging + "/" + file.path).map { [UInt8]($0) } == file.bytes, "\(file.path)")
            }
        }
    }
}
