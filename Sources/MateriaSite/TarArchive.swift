import CTextScan
import Foundation
import Glibc

/// A reproducible `.tar.gz` of the output: entries sorted, owner root, fixed modes, every mtime
/// set to one date taken from the content, and gzip without a timestamp. The same tree always
/// gives the same bytes. Compression uses stored deflate blocks: deterministic everywhere, and
/// static hosts compress on the wire anyway.
///
/// The archive is made as it is written: the pages, which a build writes as it renders them, are
/// read back from the output a megabyte at a time, and only the files a build keeps in memory
/// anyway (feeds, search index, graph, assets, static files) are held with it. `publish` at 10,000
/// articles used to hold the whole tar and then the whole gzip as well: 1.49 GB at peak.
struct TarArchive {
    let files: [OutputFile]
    /// Seconds since 1970 for every entry (the newest content date).
    let modified: Int
    /// Files whose bytes `files` does not hold (pages the build wrote as it rendered them): read
    /// from `folder` when their turn comes.
    var onDisk: Set<String> = []
    var folder = ""

    enum Failure: Error {
        /// A file of `onDisk` could not be read back from `folder`.
        case unreadable(String)
        /// The archive could not be written.
        case unwritable
    }

    /// The whole archive in memory (the tests compare it with `write(toFile:)`'s).
    func gzipped() throws(Failure) -> [UInt8] {
        var gzip = GzipStoredStream()
        try tar { gzip.append($0) }
        return gzip.finish()
    }

    /// Writes the archive into the file at `path` (made or emptied), a megabyte at a time.
    func write(toFile path: String) throws(Failure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw .unwritable }
        defer { close(descriptor) }
        var gzip = GzipStoredStream()
        func flush(_ bytes: [UInt8]) throws(Failure) {
            guard OutputWriter.writeAll(bytes, to: descriptor) else { throw .unwritable }
        }
        try tar { (piece: UnsafeBufferPointer<UInt8>) throws(Failure) in
            gzip.append(piece)
            if gzip.pending >= 1 << 20 { try flush(gzip.take()) }
        }
        try flush(gzip.finish())
    }

    /// The tar stream, handed to `emit` in order, a header or a file's bytes at a time.
    func tar(_ emit: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Void) throws(Failure) {
        var directories = Set<String>()
        for file in files {
            var parts = file.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert(parts.joined(separator: "/") + "/")
                parts = parts.dropLast()
            }
        }
        // A directory has no file index.
        var entries: [(path: String, file: Int?)] = directories.map { ($0, nil) } + files.indices.map { (files[$0].path, $0) }
        entries.sort { $0.path < $1.path }
        let zeros = [UInt8](repeating: 0, count: 1024)
        func put(_ bytes: [UInt8]) throws(Failure) {
            try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(Failure) in try emit(buffer) }
        }
        for entry in entries {
            guard let index = entry.file else {
                try put(header(path: entry.path, size: 0, directory: true))
                continue
            }
            let size: Int
            if onDisk.contains(entry.path) {
                size = try copy(entry.path, through: emit)
            } else {
                size = files[index].bytes.count
                try put(header(path: entry.path, size: size, directory: false))
                try put(files[index].bytes)
            }
            let padding = (512 - size % 512) % 512
            try zeros.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(Failure) in
                try emit(UnsafeBufferPointer(rebasing: buffer[..<padding]))
            }
        }
        try put(zeros)
    }

    /// The header and bytes of the file at `path` in `folder`, read a megabyte at a time (the FAQ
    /// page of 100,000 articles is 263 MB); its size. A file whose size changes while it is read
    /// is unreadable: its header would not match its bytes.
    private func copy(_ path: String, through emit: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Void) throws(Failure) -> Int {
        let descriptor = open(folder + "/" + path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path) }
        let size = Int(info.st_size)
        try header(path: path, size: size, directory: false).withUnsafeBufferPointer { (block: UnsafeBufferPointer<UInt8>) throws(Failure) in
            try emit(block)
        }
        var chunk = [UInt8](repeating: 0, count: min(size, 1 << 20) + 1)
        var copied = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0, copied + count <= size else { throw .unreadable(path) }
            if count == 0 { break }
            try chunk.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(Failure) in
                try emit(UnsafeBufferPointer(rebasing: buffer[..<count]))
            }
            copied += count
        }
        guard copied == size else { throw .unreadable(path) }
        return size
    }

    private func header(path: String, size: Int, directory: Bool) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, length: Int) {
            for (index, byte) in text.utf8.prefix(length).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, length: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, length - 1 - digits.count)) + digits, at: offset, length: length - 1)
        }
        // ustar keeps 100 bytes of name and 155 of prefix, split at a slash.
        var name = path, prefix = ""
        if path.utf8.count > 100, let split = path.indices.filter({ path[$0] == "/" })
            .last(where: { path[path.index(after: $0)...].utf8.count <= 100 && path[..<$0].utf8.count <= 155 }) {
            prefix = String(path[..<split])
            name = String(path[path.index(after: split)...])
        }
        put(name, at: 0, length: 100)
        octal(directory ? 0o755 : 0o644, at: 100, length: 8)
        octal(0, at: 108, length: 8)
        octal(0, at: 116, length: 8)
        octal(size, at: 124, length: 12)
        octal(modified, at: 136, length: 12)
        put("        ", at: 148, length: 8)
        block[156] = directory ? 0x35 : 0x30
        put("ustar", at: 257, length: 6)
        put("00", at: 263, length: 2)
        put("root", at: 265, length: 32)
        put("root", at: 297, length: 32)
        put(prefix, at: 345, length: 155)
        let checksum = block.reduce(0) { $0 + Int($1) }
        octal(checksum, at: 148, length: 7)
        block[155] = 0x20
        return block
    }
}

/// gzip (RFC 1952) around deflate stored blocks (RFC 1951), with CRC-32, made as the bytes come:
/// blocks of 65,535 bytes, the last one of 0 to 65,535 (the bytes framing the whole input at once
/// gives).
struct GzipStoredStream {
    static let blockSize = 65_535
    /// Framed bytes not yet taken. No file name, no timestamp, OS "unknown": nothing about the
    /// machine or the moment.
    private var output: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]
    /// Input not framed yet: a block is framed once more input shows it is not the last.
    private var block: [UInt8] = []
    private var crc: UInt32 = 0
    private var count = 0

    /// How many framed bytes `take` would hand over.
    var pending: Int { output.count }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        crc = materia_crc32(crc, base, bytes.count)
        count += bytes.count
        var offset = 0
        while offset < bytes.count {
            if block.count == Self.blockSize { frame(last: false) }
            let taken = min(Self.blockSize - block.count, bytes.count - offset)
            block.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[offset..<offset + taken]))
            offset += taken
        }
    }

    /// The framed bytes so far; the stream keeps none of them.
    mutating func take() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &output)
        return taken
    }

    /// The last block and the trailer (CRC-32 and length), with what `take` had not handed over.
    mutating func finish() -> [UInt8] {
        frame(last: true)
        for value in [crc, UInt32(truncatingIfNeeded: count)] {
            output += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
        }
        return take()
    }

    private mutating func frame(last: Bool) {
        let size = block.count
        if output.capacity < output.count + size + 5 { output.reserveCapacity(output.count + size + 5) }
        output.append(last ? 0x01 : 0x00)
        output += [UInt8(size & 0xFF), UInt8(size >> 8), UInt8(~size & 0xFF), UInt8((~size >> 8) & 0xFF)]
        output += block
        block.removeAll(keepingCapacity: true)
    }
}
