import Foundation
import MateriaTemplates

/// Rendered article HTML kept in an unnamed temporary file instead of memory while a build goes
/// from the Markdown phase to the pages: a large site's HTML is as large as its Markdown, and
/// each page reads its own article back once. The file (O_TMPFILE, beside the staging folder) has
/// no name, so it disappears when the build ends, however it ends.
final class TextSpill: @unchecked Sendable {
    struct Range: Sendable {
        let offset: Int
        let count: Int
    }

    /// An article's HTML could not be read back (an I/O error on the temporary file).
    struct ReadFailure: Error {
        let slug: String
    }

    private let descriptor: Int32
    private let lock = NSLock()
    private var end = 0

    /// Nil when the file system cannot make such a file; the HTML then stays in memory.
    init?(folder: String) {
        // O_TMPFILE (Linux): __O_TMPFILE | O_DIRECTORY, not imported into Swift as a constant.
        let descriptor = open(folder, 0o20_000_000 | O_DIRECTORY | O_RDWR, 0o600)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Writes `text`; nil when it could not be written (the caller keeps it in memory).
    func store(_ text: String) -> Range? {
        text.withUTF8InPlace { bytes -> Range? in
            lock.lock()
            let offset = end
            end += bytes.count
            lock.unlock()
            var written = 0
            while written < bytes.count {
                let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { return nil }
                written += result
            }
            return Range(offset: offset, count: bytes.count)
        }
    }

    /// The UTF-8 bytes stored at `range` (they came from a String, so they are valid UTF-8 and
    /// need no check); nil if they cannot be read back.
    func load(_ range: Range) -> [UInt8]? {
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
