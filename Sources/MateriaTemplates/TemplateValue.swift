/// A value a template can show: text, a flag, a list or an object of named values. Pages build
/// their contexts from these instead of `[String: Any]`, so rendering never casts at run time.
public enum TemplateValue: Sendable {
    case text(String)
    case flag(Bool)
    case list([TemplateValue])
    case object(TemplateObject)

    /// A list of objects: `{{#items}}…{{/items}}` renders once per object.
    public static func objects(_ objects: [TemplateObject]) -> TemplateValue { .list(objects.map(TemplateValue.object)) }

    /// The value under `name` when this is an object. `has_<key>` (`flagOf` is then `key`), when
    /// the object does not set it, is true beside a non-empty list `key`, so templates can wrap a
    /// list in `<section>`/`<ul>` once (`{{#has_faq}}`) instead of once per item.
    @inline(__always)
    func child(_ name: String, flagOf key: String?) -> TemplateValue? {
        guard case .object(let object) = self else { return nil }
        if let value = object[name] { return value }
        if let key, case .list(let items)? = object[key], !items.isEmpty { return .flag(true) }
        return nil
    }
}

/// Named values, as a list of members in the order they were set. A page's context is a few
/// dozen small objects made for one render: a list is cheaper to build than a dictionary, and a
/// lookup compares a few short names (mostly stored inline, compared without hashing).
public struct TemplateObject: Sendable, ExpressibleByDictionaryLiteral {
    private var members: [(name: String, value: TemplateValue)]

    public init() { members = [] }

    /// Like a dictionary literal; a name given twice keeps its last value.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        members = []
        members.reserveCapacity(elements.count)
        for (name, value) in elements { self[name] = value }
    }

    public var isEmpty: Bool { members.isEmpty }
    public var count: Int { members.count }
    public var names: [String] { members.map(\.name) }

    /// The value under `name`; setting `nil` removes it.
    public subscript(name: String) -> TemplateValue? {
        @inline(__always) get {
            for member in members where member.name == name { return member.value }
            return nil
        }
        set {
            let index = members.firstIndex { $0.name == name }
            switch (index, newValue) {
            case (let index?, let value?): members[index].value = value
            case (let index?, nil): members.remove(at: index)
            case (nil, let value?): members.append((name, value))
            case (nil, nil): break
            }
        }
    }

    /// Adds `other`'s members; for a name both have, `combine` picks the value.
    public mutating func merge(_ other: TemplateObject, uniquingKeysWith combine: (TemplateValue, TemplateValue) -> TemplateValue) {
        for (name, value) in other.members {
            if let existing = self[name] { self[name] = combine(existing, value) } else { members.append((name, value)) }
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .text(String(stringInterpolation: stringInterpolation)) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
}
