/// A reproducible `.tar.gz` of the output: entries sorted, owner root, fixed modes, every mtime
/// set to one date taken from the content, and gzip without a timestamp. The same tree always
/// gives the same bytes. Compression uses stored deflate blocks: deterministic everywhere, and
/// static hosts compress on the wire anyway.
struct TarArchive {
    let files: [OutputFile]
    /// Seconds since 1970 for every entry (the newest content date).
    let modified: Int

    func gzipped() -> [UInt8] {
        Gzip.stored(tar())
    }

    func tar() -> [UInt8] {
        var directories = Set<String>()
        for file in files {
            var parts = file.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                directories.insert(parts.joined(separator: "/") + "/")
                parts = parts.dropLast()
            }
        }
        var entries: [(path: String, bytes: [UInt8]?)] = directories.map { ($0, nil) } + files.map { ($0.path, $0.bytes) }
        entries.sort { $0.path < $1.path }
        var out: [UInt8] = []
        for entry in entries {
            out += header(path: entry.path, size: entry.bytes?.count ?? 0, directory: entry.bytes == nil)
            if let bytes = entry.bytes {
                out += bytes
                out += [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
            }
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
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

/// gzip (RFC 1952) around deflate stored blocks (RFC 1951), with CRC-32.
enum Gzip {
    static func stored(_ data: [UInt8]) -> [UInt8] {
        // No file name, no timestamp, OS "unknown": nothing about the machine or the moment.
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]
        var offset = 0
        repeat {
            let count = min(65_535, data.count - offset)
            let last = offset + count == data.count
            out.append(last ? 0x01 : 0x00)
            out += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[offset..<offset + count]
            offset += count
        } while offset < data.count
        let crc = crc32(data)
        for value in [crc, UInt32(truncatingIfNeeded: data.count)] {
            out += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
        }
        return out
    }

    private static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var c = UInt32(index)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
