import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Watches a site's sources with inotify: `Content/` and `Templates/` with every folder below
/// them (folders created later included) and `materia.yaml`. It sleeps in `poll` until the
/// kernel reports a change — no polling of files — and then waits for a quiet moment, so
/// that an editor's burst of writes, or its write-to-temp-and-rename, becomes one rebuild.
public final class Watcher: @unchecked Sendable {
    private let root: String
    private let fd: Int32
    private var folders: [Int32: String] = [:]
    /// Quiet time that ends a burst, and the longest a burst may delay a rebuild.
    let quiet: Int32
    let longest: Double
    static let watchedRoots: Set<String> = ["Content", "Templates"]
    /// Folders that could not be watched, with why and what to do; `Preview` prints them.
    public private(set) var problems: [String] = []

    /// Why watching could not start at all.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }
    static let watchedFiles: Set<String> = ["materia.yaml"]

    public init(root: URL, quietMilliseconds: Int32 = 15, longestSeconds: Double = 0.5) throws {
        self.root = root.standardizedFileURL.path
        quiet = quietMilliseconds
        longest = longestSeconds
        fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else {
            throw StartError(description: "cannot watch the site for changes: inotify_init1 failed (\(String(cString: strerror(errno))))"
                + " — close other programs that watch files, or raise fs.inotify.max_user_instances with sysctl")
        }
        watch(self.root, recursive: false)
        for name in Self.watchedRoots { watch(self.root + "/" + name, recursive: true) }
    }

    deinit { close(fd) }

    private static let mask = UInt32(IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)

    private func watch(_ path: String, recursive: Bool) {
        let descriptor = inotify_add_watch(fd, path, Self.mask | UInt32(IN_ONLYDIR))
        guard descriptor >= 0 else {
            // A missing folder (no Content/static/) is normal; anything else means edits there are missed.
            if errno != ENOENT && errno != ENOTDIR {
                let reason = errno == ENOSPC ? "the inotify watch limit is reached — raise fs.inotify.max_user_watches with sysctl"
                    : String(cString: strerror(errno))
                problems.append("\(path): not watched, edits there will not rebuild the site: \(reason)")
            }
            return
        }
        folders[descriptor] = path
        guard recursive, let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names {
            var isDirectory: ObjCBool = false
            let child = path + "/" + name
            if FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory), isDirectory.boolValue {
                watch(child, recursive: true)
            }
        }
    }

    /// Whether a changed name is part of the site rather than an editor's scratch file.
    static func matters(_ name: String) -> Bool {
        !(name.hasPrefix(".") || name.hasSuffix("~") || name.hasSuffix(".swp") || name.hasSuffix(".swx")
          || name.hasSuffix(".tmp") || name == "4913" || name.hasPrefix("#"))
    }

    /// Blocks until something changed and the burst of changes is over; returns the changed
    /// paths relative to the site root (for the log; the rebuild checks every file anyway).
    public func next() -> [String] {
        var changed: Set<String> = []
        var started: Date?
        while true {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let timeout: Int32 = started == nil ? -1 : quiet
            let ready = poll(&descriptor, 1, timeout)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                if !changed.isEmpty { return changed.sorted() }
                started = nil
                continue
            }
            changed.formUnion(drain())
            if !changed.isEmpty && started == nil { started = Date() }
            if let started, Date().timeIntervalSince(started) > longest, !changed.isEmpty { return changed.sorted() }
        }
    }

    private func drain() -> [String] {
        var result: [String] = []
        let size = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: size)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, size) }
            if count <= 0 { return result }
            var offset = 0
            while offset < count {
                let (descriptor, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let nameBytes = buffer[nameStart..<(nameStart + length)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                offset = nameStart + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    result.append("(many files)")
                    continue
                }
                guard let folder = folders[descriptor] else { continue }
                if mask & UInt32(IN_IGNORED) != 0 {
                    folders[descriptor] = nil
                    continue
                }
                let path = name.isEmpty ? folder : folder + "/" + name
                let isRoot = folder == root
                if isRoot && !(Self.watchedRoots.contains(name) || Self.watchedFiles.contains(name)) { continue }
                if mask & UInt32(IN_ISDIR) != 0 && mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                    watch(path, recursive: true)
                }
                guard name.isEmpty || Self.matters(name) else { continue }
                let relative = path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
                result.append(relative)
            }
        }
    }
}
