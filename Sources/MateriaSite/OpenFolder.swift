import Foundation

/// A folder held open while many files in it are made or read (a build's staging folder, the
/// articles folder): each file is then opened relative to it (openat(2), mkdirat(2)), and the
/// kernel walks one to three names per call instead of the whole path from the root.
final class OpenFolder: @unchecked Sendable {
    /// The open folder, or AT_FDCWD when it could not be opened (paths are then given whole).
    let descriptor: Int32
    private let prefix: String

    init(path: String) {
        prefix = path.hasSuffix("/") ? path : path + "/"
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        self.descriptor = descriptor >= 0 ? descriptor : AT_FDCWD
    }

    deinit { if descriptor != AT_FDCWD { close(descriptor) } }

    /// `file` (a whole path) relative to the folder when the folder is open and holds it.
    func relative(_ file: String) -> String? {
        guard descriptor != AT_FDCWD, file.hasPrefix(prefix), file.utf8.count > prefix.utf8.count else { return nil }
        return String(file.utf8.dropFirst(prefix.utf8.count))!
    }
}
