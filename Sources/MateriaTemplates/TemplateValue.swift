/// A value a template can show: text, a flag, a list or an object of named values. Pages build
/// their contexts from these instead of `[String: Any]`, so rendering never casts at run time.
public enum TemplateValue: Sendable {
    case text(String)
    /// Text as UTF-8 bytes, shown like `text`: for a value made as bytes (a page's JSON-LD,
    /// which on the FAQ page is as large as the site) that need never become a String.
    case bytes([UInt8])
    case flag(Bool)
    case list([TemplateValue])
    case object(TemplateObject)
    /// Text that something else keeps alive while the value is used: made by `kept(_:)` only.
    case keptText(KeptText)

    /// `text`, shown like `.text(text)`, for text its owner keeps, unchanged, for as long as this
    /// value is used: a page's context made from the site's data, which lives until every page is
    /// written. Such a value is made and dropped without counting a reference to the string (an
    /// atomic write to memory shared by every page that shows it, and usually not in the cache).
    /// Never for a string made for the value: it would be gone before the page is rendered. A
    /// string of up to 15 bytes holds its bytes itself, counts no reference, and stays `.text`.
    @inline(__always)
    public static func kept(_ text: String) -> TemplateValue {
        let count = text.utf8.count
        guard count > 15, let start = text.utf8.withContiguousStorageIfAvailable({ $0.baseAddress }) ?? nil else { return .text(text) }
        return .keptText(KeptText(start: start, count: count))
    }

    /// The text `{{ }}` shows for a text value (nil for other values).
    public var string: String? {
        switch self {
        case .text(let text): return text
        case .keptText(let text): return String(decoding: UnsafeBufferPointer(start: text.start, count: text.count), as: UTF8.self)
        default: return nil
        }
    }

    /// A list of objects: `{{#items}}…{{/items}}` renders once per object.
    public static func objects(_ objects: [TemplateObject]) -> TemplateValue { .list(objects.map(TemplateValue.object)) }

    /// `body` with the UTF-8 bytes `{{ }}` shows for the value at `value`, read in place; nothing
    /// for a list or an object. The bytes are found first and `body` called after: a value bound
    /// in a `switch` that lives across a call is copied (a retain and a release of its string or
    /// array, atomic, and of an object many pages share, such as the site's title).
    @inline(__always)
    static func withShownBytes(_ value: UnsafePointer<TemplateValue>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        // A string of up to 16 bytes may keep them inside itself: they are copied out here.
        var inline: (UInt64, UInt64) = (0, 0)
        var start: UnsafePointer<UInt8>?
        var count = 0
        switch value.pointee {
        case .text(let text):
            let found: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
                count = bytes.count
                if bytes.count <= 16 {
                    withUnsafeMutableBytes(of: &inline) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
                } else {
                    start = bytes.baseAddress
                }
            }
            // A bridged string has no contiguous UTF-8 (not made by Materia): read through a copy.
            if found == nil { return text.withUTF8InPlace(body) }
        case .bytes(let bytes):
            // The array's storage, kept by the value at `value`.
            (start, count) = bytes.withUnsafeBufferPointer { ($0.baseAddress, $0.count) }
        case .flag(let flag):
            (start, count) = flag ? (Self.trueText, 4) : (Self.falseText, 5)
        case .keptText(let text):
            (start, count) = (text.start, text.count)
        case .list, .object:
            return
        }
        if let start { return body(UnsafeBufferPointer(start: start, count: count)) }
        withUnsafeBytes(of: &inline) { body(UnsafeBufferPointer(start: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)) }
    }

    /// "true" and "false", at addresses of their own for as long as the process runs.
    nonisolated(unsafe) private static let trueText = constantBytes("true"), falseText = constantBytes("false")

    private static func constantBytes(_ text: StaticString) -> UnsafePointer<UInt8> {
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: text.utf8CodeUnitCount)
        bytes.initialize(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return UnsafePointer(bytes)
    }

    /// Bytes of UTF-8 text held in the value at `value` and every value inside it, read in place:
    /// lists and objects are passed over by address (a recursive call on a copy of each member was
    /// a retain and a release of it).
    static func textBytes(at value: UnsafePointer<TemplateValue>) -> Int {
        if let items = elements(of: value) {
            var total = 0
            for index in items.indices { total += textBytes(at: items.baseAddress! + index) }
            return total
        }
        if let members = members(of: value) {
            var total = 0
            let offset = TemplateObject.valueOffset
            for index in members.indices {
                total += textBytes(at: (UnsafeRawPointer(members.baseAddress! + index) + offset).assumingMemoryBound(to: TemplateValue.self))
            }
            return total
        }
        switch value.pointee {
        case .text(let text): return text.utf8.count
        case .bytes(let bytes): return bytes.count
        case .keptText(let text): return text.count
        case .flag, .list, .object: return 0
        }
    }

    /// The items of the list at `value` (nil when it is no list), where they are: valid while the
    /// value lives unchanged (the list's storage is kept by it). Taken before any call, so the
    /// list is not copied to live across it.
    @inline(__always)
    static func elements(of value: UnsafePointer<TemplateValue>) -> UnsafeBufferPointer<TemplateValue>? {
        guard case .list(let items) = value.pointee else { return nil }
        return items.withUnsafeBufferPointer { $0 }
    }

    /// The members of the object at `value` (nil when it is no object), where they are, as `elements`.
    @inline(__always)
    static func members(of value: UnsafePointer<TemplateValue>) -> UnsafeBufferPointer<TemplateObject.Member>? {
        guard case .object(let object) = value.pointee else { return nil }
        return object.storage.withUnsafeBufferPointer { $0 }
    }

    /// Where the value under `name` is when `value` is an object (in the object's storage, valid
    /// while the object lives unchanged). `has_<key>` (`flagOf` is then `key`), when the object
    /// does not set it, is true beside a non-empty list `key`, so templates can wrap a list in
    /// `<section>`/`<ul>` once (`{{#has_faq}}`) instead of once per item.
    @inline(__always)
    static func child(of value: UnsafePointer<TemplateValue>, _ name: String, flagOf key: String?) -> UnsafePointer<TemplateValue>? {
        guard let members = members(of: value) else { return nil }
        if let found = TemplateObject.address(of: name, in: members) { return found }
        if let key, let list = TemplateObject.address(of: key, in: members), let items = elements(of: list), !items.isEmpty { return trueFlag }
        return nil
    }

    /// `.flag(true)`, at an address of its own for as long as the process runs (never written after).
    nonisolated(unsafe) private static let trueFlag: UnsafePointer<TemplateValue> = {
        let flag = UnsafeMutablePointer<TemplateValue>.allocate(capacity: 1)
        flag.initialize(to: .flag(true))
        return UnsafePointer(flag)
    }()
}

/// The bytes of a string that its owner keeps (`TemplateValue.kept(_:)`): where they are, and how many.
public struct KeptText: @unchecked Sendable {
    let start: UnsafePointer<UInt8>
    let count: Int
}

/// Named values, as a list of members in the order they were set. Page contexts and JSON-LD
/// are many small objects made for one page: a list is cheaper to build than a dictionary, and a
/// lookup compares a few short names (mostly stored inline, compared without hashing).
public struct NamedValues<Value>: ExpressibleByDictionaryLiteral {
    /// A name and its value. A struct, not a tuple: an array of tuples is copied and destroyed
    /// by the runtime's generic tuple functions, element by element and field by field through
    /// type metadata, an array of structs by the struct's own code.
    @frozen public struct Member {
        public let name: String
        /// The name's length in UTF-8 bytes: a lookup passes over the members comparing this one
        /// number (a string's length is read from its inline bytes or its storage, depending on
        /// its size: a dozen instructions and a load from elsewhere for each member passed).
        @usableFromInline let length: Int
        public var value: Value

        @inlinable init(name: String, value: Value) {
            self.name = name
            length = name.utf8.count
            self.value = value
        }
    }

    @usableFromInline var storage: [Member]

    /// The members in the order they were set.
    @inlinable public var members: [Member] { storage }

    // Inlinable throughout: used from other modules with concrete values, it must be specialized
    // there (unspecialized, every lookup went through generic metadata: pages took twice as long).
    @inlinable public init() { storage = [] }

    /// Like a dictionary literal; a name given twice keeps its last value.
    @inlinable public init(dictionaryLiteral elements: (String, Value)...) {
        storage = []
        storage.reserveCapacity(elements.count)
        // Each value is copied once, from the literal into its member (through the setter it
        // was copied out of the literal, wrapped as an optional and copied again).
        elements.withUnsafeBufferPointer { elements in
            for index in elements.indices {
                if let existing = firstIndex(of: elements[index].0) {
                    storage[existing].value = elements[index].1
                } else {
                    storage.append(Member(name: elements[index].0, value: elements[index].1))
                }
            }
        }
    }

    @inlinable public var isEmpty: Bool { storage.isEmpty }
    @inlinable public var count: Int { storage.count }

    /// The value under `name`; setting `nil` removes it.
    @inlinable public subscript(name: String) -> Value? {
        get { firstIndex(of: name).map { storage[$0].value } }
        set {
            let index = firstIndex(of: name)
            switch (index, newValue) {
            case (let index?, let value?): storage[index].value = value
            case (let index?, nil): storage.remove(at: index)
            case (nil, let value?): storage.append(Member(name: name, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Where the value under `name` is among `members` (an object's storage, read in place): valid
    /// while these values live and are not changed (a template's context while a page renders).
    /// Nil when there is none.
    @inlinable static func address(of name: String, in members: UnsafeBufferPointer<Member>) -> UnsafePointer<Value>? {
        guard let index = firstIndex(of: name, in: members) else { return nil }
        return (UnsafeRawPointer(members.baseAddress! + index) + valueOffset).assumingMemoryBound(to: Value.self)
    }

    /// Where `value` is in a `Member` (frozen: its fields are laid out in order, each at its
    /// alignment: the name, its length, the value).
    @inlinable static var valueOffset: Int {
        let alignment = MemoryLayout<Value>.alignment
        return (MemoryLayout<String>.size + MemoryLayout<Int>.size + alignment - 1) / alignment * alignment
    }

    /// The place of the member named `name`. Names of different lengths differ, so most members
    /// are ruled out without comparing text; members are compared in place, through the buffer
    /// (not copied out one by one: a copy is two retains and two releases per member passed over).
    @inlinable func firstIndex(of name: String) -> Int? {
        storage.withUnsafeBufferPointer { Self.firstIndex(of: name, in: $0) }
    }

    @inlinable static func firstIndex(of name: String, in members: UnsafeBufferPointer<Member>) -> Int? {
        let length = name.utf8.count
        for index in members.indices where members[index].length == length && same(members[index].name, name) {
            return index
        }
        return nil
    }

    /// Whether two names are the same text. Most names are ASCII and up to 15 bytes, which a
    /// String keeps in its own two words (the top four bits 0xE, then the length and the bytes):
    /// two such strings are the same text exactly when their words are the same. String's `==`
    /// compares the words first too, but calls into the runtime for every pair that differs, and a
    /// lookup passes over names of the same length that differ (4M of 2,118M instructions for
    /// 1,000 articles, session 22).
    @inlinable static func same(_ a: String, _ b: String) -> Bool {
        let x = unsafeBitCast(a, to: (UInt64, UInt64).self), y = unsafeBitCast(b, to: (UInt64, UInt64).self)
        if x == y { return true }
        if x.1 >> 60 == 0xE && y.1 >> 60 == 0xE { return false }
        return a == b
    }

    /// Adds `other`'s members; for a name both have, `combine` picks the value.
    @inlinable public mutating func merge(_ other: NamedValues, uniquingKeysWith combine: (Value, Value) -> Value) {
        // Each name is looked for once (a get and then a set looked twice).
        for member in other.storage {
            if let index = firstIndex(of: member.name) {
                storage[index].value = combine(storage[index].value, member.value)
            } else {
                storage.append(member)
            }
        }
    }
}

extension NamedValues: Sendable where Value: Sendable {}
extension NamedValues.Member: Sendable where Value: Sendable {}

/// The values a template sees by name.
public typealias TemplateObject = NamedValues<TemplateValue>

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .text(String(stringInterpolation: stringInterpolation)) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
}
