import CTextScan
import Foundation
import Testing

/// The byte scans in C read a text's last bytes (fewer than sixteen) as one sixteen-byte block,
/// which holds bytes beyond the text. They must find what a byte-by-byte search finds, and never
/// read a page the text does not reach: here every text lies against a page that cannot be read,
/// before or after it, so a read beyond the text's page stops the test.
@Suite struct TextScanTests {
    /// Three pages, the first and last unreadable; `body` gets `count` bytes that end at the end
    /// of the middle page, then the same bytes starting at its start. The rest of the middle page
    /// holds bytes that every scan stops at (after one that none does): a scan that used bytes
    /// beyond the text would find them.
    private func withTextsAgainstGuardPages(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> Void) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let memory = mmap(nil, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              memory != MAP_FAILED else {
            Issue.record("mmap failed")
            return
        }
        defer { munmap(memory, 3 * page) }
        mprotect(memory, page, PROT_NONE)
        mprotect(memory + 2 * page, page, PROT_NONE)
        let middle = (memory + page).assumingMemoryBound(to: UInt8.self)
        let filler = Array("m<@://www.\"\u{1}".utf8)
        for start in [middle + page - bytes.count, middle] {
            for index in 0..<page { middle[index] = filler[index % filler.count] }
            start.initialize(from: bytes, count: bytes.count)
            body(UnsafePointer(start), bytes.count)
        }
    }

    @Test func lastBytesAreScannedInTheirPageAsByteByByte() {
        let alphabet = Array("ab<>&\"'w:/@W.x\u{1F}\\é\u{2028}".utf8)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var checked = 0
        for count in 0...40 {
            for _ in 0..<60 {
                // Mostly bytes that stop no scan, so the stops fall anywhere, or nowhere.
                let bytes = (0..<count).map { _ in next(4) == 0 ? alphabet[next(alphabet.count)] : UInt8(ascii: "m") }
                withTextsAgainstGuardPages(bytes) { text, count in
                    for apostrophe: Int32 in [0, 1] {
                        let expected = bytes.firstIndex { "&<>\"".utf8.contains($0) || (apostrophe == 1 && $0 == UInt8(ascii: "'")) } ?? count
                        #expect(materia_html_escape_scan(text, count, apostrophe) == expected, "\(bytes) \(apostrophe)")
                    }
                    for script: Int32 in [0, 1] {
                        let expected = bytes.firstIndex { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || (script == 1 && "<>&".utf8.contains($0)) || (script == 1 && $0 == 0xE2) } ?? count
                        #expect(materia_json_escape_scan(text, count, script) == expected, "\(bytes) \(script)")
                    }
                    #expect(materia_autolink_forms(text, count) == Self.forms(bytes), "\(bytes)")
                    checked += 1
                }
            }
        }
        #expect(checked == 41 * 60 * 2)
    }

    /// `materia_autolink_forms`, a byte at a time.
    private static func forms(_ bytes: [UInt8]) -> Int32 {
        var forms: Int32 = 0
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "@"), UInt8(ascii: "&"):
                forms |= Int32(MATERIA_AUTOLINK_ANY | MATERIA_AUTOLINK_ADDRESS)
            case UInt8(ascii: ":") where index + 2 < bytes.count && bytes[index + 1] == UInt8(ascii: "/") && bytes[index + 2] == UInt8(ascii: "/"):
                forms |= Int32(MATERIA_AUTOLINK_ANY)
            case UInt8(ascii: "w"), UInt8(ascii: "W"):
                if index + 3 < bytes.count, bytes[(index + 1)...(index + 2)].allSatisfy({ $0 | 0x20 == UInt8(ascii: "w") }),
                   bytes[index + 3] == UInt8(ascii: "."), index == 0 || bytes[index - 1] != UInt8(ascii: "/") {
                    forms |= Int32(MATERIA_AUTOLINK_ANY | MATERIA_AUTOLINK_WWW)
                }
            default:
                break
            }
        }
        return forms
    }
}
