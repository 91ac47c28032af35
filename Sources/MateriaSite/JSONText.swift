import CTextScan
import Foundation
import MateriaTemplates

/// JSON for `<script type="application/ld+json">`: keys sorted, no whitespace, slashes as they
/// are, and `<`, `>`, `&`, U+2028 and U+2029 escaped so that no text can end the script element
/// or a line in old parsers. Written directly to bytes: it runs for every page.
enum JSONText {
    /// `capacity`: what the document is expected to take (a page's is a few kilobytes; one that
    /// holds every FAQ entry of the site says so), so a large one is not copied while it grows.
    static func bytes(_ value: JSONValue, capacity: Int = 4096) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        write(value, to: &out)
        return out
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .string(let text):
            writeString(text, to: &out)
        case .object(let object):
            out.append(0x7B)
            // Members in name order: their positions are sorted (insertion sort, as an object has
            // a few members), not a copy of the members themselves.
            let members = object.members
            withUnsafeTemporaryAllocation(of: Int.self, capacity: members.count) { order in
                for index in members.indices {
                    var slot = index
                    while slot > 0 && members[index].name < members[order[slot - 1]].name {
                        order[slot] = order[slot - 1]
                        slot -= 1
                    }
                    order[slot] = index
                }
                for position in members.indices {
                    if position > 0 { out.append(0x2C) }
                    writeString(members[order[position]].name, to: &out)
                    out.append(0x3A)
                    write(members[order[position]].value, to: &out)
                }
            }
            out.append(0x7D)
        case .array(let array):
            out.append(0x5B)
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(0x2C) }
                write(element, to: &out)
            }
            out.append(0x5D)
        case .double(let number):
            out += Array((number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)).utf8)
        case .written(let write):
            write(&out)
        }
    }

    /// A JSON string; `forScript` adds the escapes for a `<script>` element. Without it the
    /// bytes are those of `JSONEncoder` with `.withoutEscapingSlashes` (graph.json, search index).
    static func writeString(_ text: String, to out: inout [UInt8], forScript: Bool = true) {
        text.withUTF8InPlace { writeString($0, to: &out, forScript: forScript) }
    }

    /// `writeString` of UTF-8 bytes.
    static func writeString(_ text: [UInt8], to out: inout [UInt8], forScript: Bool = true) {
        text.withUnsafeBufferPointer { writeString($0, to: &out, forScript: forScript) }
    }

    /// A non-negative integer's decimal digits (as `String(value)` would write them).
    static func writeDecimal(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0)
        // Written from the last digit back (an Int has at most 19).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var start = buffer.count, rest = value
            repeat {
                start -= 1
                buffer[start] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// The escaped bytes, between quotes unless `quoted` is false.
    static func writeString(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], forScript: Bool, quoted: Bool = true) {
        if quoted { out.append(0x22) }
        var index = 0
        var run = 0  // start of the bytes not yet copied
        while index < bytes.count, let base = bytes.baseAddress {
            // Most bytes need no escape: sixteen at a time are passed over to the next stop, and
            // the bytes before it are copied as one run.
            index += materia_json_escape_scan(base + index, bytes.count - index, forScript ? 1 : 0)
            if index >= bytes.count { break }
            let byte = bytes[index]
            if run < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index])) }
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x08: out += [0x5C, 0x62]
            case 0x0C: out += [0x5C, 0x66]
            case 0x3C where forScript: out += Array("\\u003c".utf8)
            case 0x3E where forScript: out += Array("\\u003e".utf8)
            case 0x26 where forScript: out += Array("\\u0026".utf8)
            case 0xE2 where forScript && index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                out += Array((bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                index += 2
            case 0x00..<0x20:
                out += [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default:
                out.append(byte)
            }
            index += 1
            run = index
        }
        if run < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...])) }
        if quoted { out.append(0x22) }
    }
}

/// A JSON value for the JSON-LD of a page: typed, so writing it needs no casts.
indirect enum JSONValue: ExpressibleByStringLiteral, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    case string(String)
    case double(Double)
    case array([JSONValue])
    case object(JSONObject)
    /// JSON written by a function when the document is encoded: for a value as large as the
    /// site, which is then never held as a tree.
    case written((inout [UInt8]) -> Void)

    init(stringLiteral value: String) { self = .string(value) }
    init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject()
        for (name, value) in elements { object[name] = value }
        self = .object(object)
    }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

/// A JSON object: its members in the order they were set, written with names sorted.
typealias JSONObject = NamedValues<JSONValue>
