import CAtomicSwap
import Foundation
import MateriaTemplates

/// Rendered article HTML kept in an unnamed temporary file instead of memory while a build goes
/// from the Markdown phase to the pages: a large site's HTML is as large as its Markdown, and
/// each page reads its own article back once. The file (O_TMPFILE, beside the staging folder) has
/// no name, so it disappears when the build ends, however it ends.
///
/// On tmpfs (a build writing to /dev/shm), each article starts on a page of its own in the file,
/// and `take` hands the file's pages back once the article's page has its HTML: that memory is
/// then reused for the pages the build writes next, instead of new memory the machine must clear
/// first. The cost is the unused end of each article's last page until the article is taken
/// (about 2 KB per article: 200 MB of tmpfs at 100,000 articles, all of it freed during the
/// pages). Not on other file systems: ext4 writes a range's pages to the disk before it frees
/// them. docs/performance.md (session 26) has what it saved and when.
final class TextSpill: @unchecked Sendable {
    struct Range: Sendable {
        let offset: Int
        let count: Int
        /// The order of storing: which `taken` flag is this range's.
        let index: Int
    }

    /// An article's HTML could not be read back: an I/O error on the temporary file, or a second
    /// read of the same article (which a build never makes).
    struct ReadFailure: Error {
        let slug: String
        /// The folder that holds the temporary file.
        let folder: String
    }

    private let descriptor: Int32
    private let lock = NSLock()
    private var end = 0
    /// One flag per stored range: set once `take` has read it back and freed its pages.
    private var taken: [Bool] = []
    /// 4 KB, whatever the kernel's page size: with larger pages (64 KB on some arm64 kernels) the
    /// rounding would cost more memory than the freeing gives back; a 4 KB hole frees whole pages
    /// only where they fall inside it.
    private static let pageSize = 4096
    /// Whether taken ranges are freed: only where the file is in memory (tmpfs).
    let freesTaken: Bool

    /// Nil when the file system cannot make such a file; the HTML then stays in memory.
    /// The folder that holds the file (nameless, so the file has no path of its own).
    let folder: String

    init?(folder: String) {
        // O_TMPFILE (Linux): __O_TMPFILE | O_DIRECTORY, not imported into Swift as a constant.
        let descriptor = open(folder, 0o20_000_000 | O_DIRECTORY | O_RDWR, 0o600)
        guard descriptor >= 0 else { return nil }
        self.folder = folder
        self.descriptor = descriptor
        freesTaken = materia_is_on_tmpfs(descriptor) == 1
    }

    deinit { close(descriptor) }

    /// Writes `text`; nil when it could not be written (the caller keeps it in memory).
    func store(_ text: String) -> Range? {
        text.withUTF8InPlace { bytes -> Range? in
            lock.lock()
            // Rounded up to a page where taken ranges are freed: no two articles share a page of the
            // file, so each one's can be freed.
            let offset = freesTaken ? (end + Self.pageSize - 1) / Self.pageSize * Self.pageSize : end
            end = offset + bytes.count
            let index = taken.count
            taken.append(false)
            lock.unlock()
            var written = 0
            while written < bytes.count {
                let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { return nil }
                written += result
            }
            return Range(offset: offset, count: bytes.count, index: index)
        }
    }

    /// The UTF-8 bytes stored at `range` (they came from a String, so they are valid UTF-8 and
    /// need no check), after which the file's pages holding them are freed (`freesTaken`); nil if
    /// they cannot be read back, or were taken before (a freed range would read as zeros).
    func take(_ range: Range) -> [UInt8]? {
        lock.lock()
        let first = taken.indices.contains(range.index) && !taken[range.index]
        if first { taken[range.index] = true }
        lock.unlock()
        guard first, let bytes = read(range) else { return nil }
        guard freesTaken else { return bytes }
        let pages = (range.count + Self.pageSize - 1) / Self.pageSize * Self.pageSize
        _ = materia_free_file_range(descriptor, Int64(range.offset), Int64(pages))
        return bytes
    }

    /// The bytes of storage the file holds now (for tests: taken ranges hold none).
    var allocatedBytes: Int {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? Int(status.st_blocks) * 512 : -1
    }

    private func read(_ range: Range) -> [UInt8]? {
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
            var read = 0
            while read < range.count {
                let result = pread(descriptor, buffer.baseAddress! + read, range.count - read, off_t(range.offset + read))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { failed = true; break }
                read += result
            }
            initialized = read
        }
        return failed ? nil : bytes
    }
}
