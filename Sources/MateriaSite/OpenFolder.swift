import Foundation

/// A folder held open while many files in it are made or read (a build's staging folder, the
/// articles folder): each file is then opened relative to it (openat(2), mkdirat(2)), and the
/// kernel walks one to three names per call instead of the whole path from the root.
final class OpenFolder: @unchecked Sendable {
    let path: String
    /// The open folder, or AT_FDCWD when it could not be opened (paths are then given whole).
    let descriptor: Int32
    private let prefix: String

    init(path: String) {
        self.path = path
        prefix = path.hasSuffix("/") ? path : path + "/"
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        self.descriptor = descriptor >= 0 ? descriptor : AT_FDCWD
    }

    deinit { if descriptor != AT_FDCWD { close(descriptor) } }

    /// How to name `relative` (a path inside the folder) to the *at calls with `descriptor`: as it
    /// is when the folder is open, else whole.
    func name(_ relative: String) -> String { descriptor == AT_FDCWD ? prefix + relative : relative }

    /// `file` (a whole path) relative to the folder when the folder is open and holds it.
    func relative(_ file: String) -> String? {
        guard descriptor != AT_FDCWD, file.hasPrefix(prefix), file.utf8.count > prefix.utf8.count else { return nil }
        return String(file.utf8.dropFirst(prefix.utf8.count))!
    }
}
