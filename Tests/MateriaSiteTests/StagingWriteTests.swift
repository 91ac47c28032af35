import Foundation
import Testing
@testable import MateriaSite

/// Pages are written into the staging folder relative to it when it could be opened
/// (`OpenFolder`), by their whole path when not: the same files either way,
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
            // The folder that could not be opened is made after its OpenFolder: its pages go by whole paths.
            if open { try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true) }
            let folder = OpenFolder(path: staging)
            if !open { try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true) }
            #expect((folder.descriptor != AT_FDCWD) == open)
            for file in files {
                #expect(writer.spill(file, into: folder) == nil)
                #expect(FileManager.default.contents(atPath: staging + "/" + file.path).map { [UInt8]($0) } == file.bytes, "\(file.path)")
            }
        }
    }
}

/// The articles are read relative to their open folder; a path outside it (or a folder that could
/// not be opened) is read by its whole path.
@Suite struct OpenFolderTests {
    @Test func onlyPathsInsideTheFolderAreMadeRelative() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("materia-folder-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let articles = root.appendingPathComponent("articles").path
        try FileManager.default.createDirectory(atPath: articles, withIntermediateDirectories: true)
        try Data("body".utf8).write(to: URL(fileURLWithPath: articles + "/a.md"))
        let folder = OpenFolder(path: articles)
        #expect(folder.relative(articles + "/a.md") == "a.md")
        #expect(folder.relative(articles + "2/a.md") == nil)
        #expect(folder.relative(articles + "/") == nil)
        #expect(folder.relative(root.path + "/a.md") == nil)
        #expect(SiteLoader.contents(articles + "/a.md", in: folder) == Array("body".utf8))
        #expect(OpenFolder(path: root.path + "/missing").relative(root.path + "/missing/a.md") == nil)
    }
}
