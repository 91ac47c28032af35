import Foundation
import Testing
@testable import MateriaSite

/// Paths, keys and titles are put in order on a packed copy of their bytes (`StringOrder`); the
/// order must be the one `<` gives, which the output's lists and the manifest follow.
@Suite struct StringOrderTests {
    /// Strings that share long beginnings (as a site's paths do), end inside each other's eight
    /// first bytes or just past them, repeat, or are empty.
    static func words(count: Int, seed: UInt64) -> [String] {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let stems = ["", "a", "articles/", "articles/calcium", "articles/calcium-and-", "nutrients/iron/", "Zinc", "abcdefgh", "abcdefg"]
        // "\u{01}" is the lowest byte a key may hold: it sorts after the end of a string.
        let alphabet = Array("abAB-/09 z~\t\u{01}".utf8)
        return (0..<count).map { _ in
            var bytes = Array(stems[next(stems.count)].utf8)
            for _ in 0..<next(12) { bytes.append(alphabet[next(alphabet.count)]) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Positions where two orders differ (all of them when their lengths differ).
    static func misplaced<T: Equatable>(_ found: [T], _ expected: [T]) -> Int {
        found.count == expected.count ? zip(found, expected).filter { $0 != $1 }.count : max(found.count, expected.count)
    }

    @Test func stringsSortAsLessThanSortsThem() {
        for seed in 1...40 {
            let strings = Self.words(count: 300, seed: UInt64(seed))
            #expect(Self.misplaced(StringOrder.sorted(strings), strings.sorted()) == 0, "seed \(seed)")
        }
    }

    /// Keys of two strings sort as tuples do, equal keys in the order they were added.
    @Test func pairsSortAsTuplesAndTiesKeepTheirOrder() {
        for seed in 1...40 {
            let firsts = Self.words(count: 300, seed: UInt64(seed)), seconds = Self.words(count: 300, seed: UInt64(seed) + 1000)
            var keys = StringOrder(capacity: firsts.count)
            for index in firsts.indices { keys.append(firsts[index], seconds[index]) }
            let expected = firsts.indices.sorted { (firsts[$0], seconds[$0], $0) < (firsts[$1], seconds[$1], $1) }
            #expect(Self.misplaced(keys.order() ?? [], expected) == 0, "seed \(seed)")
        }
    }

    /// The same key added more than once: in the order added, whatever its length.
    @Test func sameKeysKeepTheOrderAdded() {
        for key in ["", "b", "abcdefgh", "articles/calcium-and-athletes/index.html"] {
            var keys = StringOrder(capacity: 6)
            for (first, second) in [(key, "x"), ("a", ""), (key, "x"), ("a", ""), (key, "x"), (key, "w")] { keys.append(first, second) }
            let expected = key < "a" ? [5, 0, 2, 4, 1, 3] : [1, 3, 5, 0, 2, 4]
            #expect(keys.order() == expected, "\(key)")
        }
    }

    /// Anything but ASCII without NUL is left to `<`, which orders canonically equivalent text as
    /// one ("é" written as one scalar or as "e" and an accent), unlike the bytes.
    @Test func otherTextIsLeftToLessThan() {
        let strings = ["e\u{301}x", "éa", "eb", "a\u{0}b", "a"]
        var keys = StringOrder(capacity: strings.count)
        for string in strings { keys.append(string) }
        #expect(keys.order() == nil)
        #expect(StringOrder.sorted(strings) == strings.sorted())
        var nul = StringOrder(capacity: 1)
        nul.append("a", "b\u{0}")
        #expect(nul.order() == nil)
        #expect(StringOrder.sorted([OutputFile(path: "b", bytes: []), OutputFile(path: "a", bytes: [])], by: \.path).map(\.path) == ["a", "b"])
    }
}
