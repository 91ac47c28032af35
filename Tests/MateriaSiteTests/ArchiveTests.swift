import CTextScan
import Foundation
import Testing
@testable import MateriaSite

/// `materia publish --archive` writes its .tar.gz as it makes it: the gzip framing and CRC-32 as
/// the bytes come, and pages read back from the output one at a time.
@Suite struct ArchiveTests {
    /// Bytes that are not all alike (a CRC of zeros would miss mistakes in the tables).
    func sample(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    /// gzip's CRC-32 a bit at a time, as RFC 1952 defines it.
    func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return ~crc
    }

    @Test func crc32MatchesTheDefinitionInAnyPieces() {
        let bytes = sample(10_000)
        #expect(materia_crc32(0, Array("123456789".utf8), 9) == 0xCBF4_3926)  // the standard check value
        for count in [0, 1, 7, 8, 9, 15, 16, 17, 1000, 10_000] {
            #expect(materia_crc32(0, bytes, count) == referenceCRC(Array(bytes[..<count])), "\(count) bytes")
        }
        // Continued piece by piece, at every alignment.
        var crc: UInt32 = 0
        var offset = 0
        for piece in [3, 1, 8, 13, 64, 5, 906] {
            crc = bytes[offset..<(offset + piece)].withUnsafeBufferPointer { materia_crc32(crc, $0.baseAddress, piece) }
            offset += piece
        }
        #expect(crc == referenceCRC(Array(bytes[..<offset])))
    }

    /// Fed in pieces of any size, the stream makes what `gzip -d` reads back, with blocks framed
    /// as for the whole input at once (the archive's bytes must not depend on how files come).
    @Test(arguments: [0, 1, 65_534, 65_535, 65_536, 2 * 65_535, 200_001])
    func gzipStreamRoundTripsThroughGzip(_ count: Int) throws {
        let bytes = sample(count)
        var whole = GzipStoredStream()
        bytes.withUnsafeBufferPointer { whole.append($0) }
        let expected = whole.finish()
        var pieces = GzipStoredStream()
        var taken: [UInt8] = []
        var offset = 0, size = 1
        while offset < count {
            let end = min(count, offset + size)
            bytes[offset..<end].withUnsafeBufferPointer { pieces.append($0) }
            taken += pieces.take()
            offset = end
            size = size * 3 + 1
        }
        taken += pieces.finish()
        #expect(taken == expected)
        // Stored blocks: the size is the input's plus 5 bytes a block and 18 of header and trailer.
        #expect(expected.count == count + 5 * max(1, (count + 65_534) / 65_535) + 18)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("materia-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("sample.gz")
        try Data(expected).write(to: file)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-dc", file.path]
        let pipe = Pipe()
        gzip.standardOutput = pipe
        try gzip.run()
        let decompressed = pipe.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        #expect([UInt8](decompressed) == bytes)
    }

    /// Pages read back from a folder make the same archive as pages held in memory, and a page
    /// that cannot be read back is an error that names it.
    @Test func archiveReadsWrittenPagesBackAsIfHeld() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("materia-tar-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = [OutputFile(path: "index.html", bytes: sample(700)), OutputFile(path: "articles/a/index.html", bytes: sample(70_000)),
                     OutputFile(path: "articles/b/index.html", bytes: []), OutputFile(path: "feed.xml", bytes: Array("<feed/>".utf8)),
                     // Read back in pieces (a megabyte at a time).
                     OutputFile(path: "faq/index.html", bytes: sample(2_500_000))]
        for file in files {
            let url = folder.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.bytes).write(to: url)
        }
        let held = try TarArchive(files: files, modified: 1_700_000_000).gzipped()
        var read = TarArchive(files: files.map { $0.path == "feed.xml" ? $0 : OutputFile(path: $0.path, bytes: []) }, modified: 1_700_000_000)
        read.onDisk = ["index.html", "articles/a/index.html", "articles/b/index.html", "faq/index.html"]
        read.folder = folder.path
        let archive = folder.appendingPathComponent("site.tar.gz")
        try read.write(toFile: archive.path)
        #expect([UInt8](try Data(contentsOf: archive)) == held)

        var missing = TarArchive(files: read.files + [OutputFile(path: "missing.html", bytes: [])], modified: 1_700_000_000)
        missing.onDisk = ["missing.html"]
        missing.folder = folder.path
        do {
            _ = try missing.gzipped()
            Issue.record("an archive of a file that is not there should fail")
        } catch {
            guard case .unreadable(let path) = error else {
                Issue.record("expected the unreadable file, got \(error)")
                return
            }
            #expect(path == "missing.html")
        }
    }
}
