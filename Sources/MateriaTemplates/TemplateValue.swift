/// A value a template can show: text, a flag, a list or an object of named values. Pages build
/// their contexts from these instead of `[String: Any]`, so rendering never casts at run time.
public enum TemplateValue: Sendable {
    case text(String)
    case flag(Bool)
    case list([TemplateValue])
    case object(TemplateObject)

    /// A list of objects: `{{#items}}…{{/items}}` renders once per object.
    public static func objects(_ objects: [TemplateObject]) -> TemplateValue { .list(objects.map(TemplateValue.object)) }

    /// The value under `name` when this is an object.
    @inline(__always)
    func child(_ name: String) -> TemplateValue? {
        if case .object(let object) = self { return object[name] }
        return nil
    }
}

public typealias TemplateObject = [String: TemplateValue]

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .text(String(stringInterpolation: stringInterpolation)) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
}

extension TemplateValue {
    /// `has_<key>: true` beside every non-empty list, in this object and every object below it,
    /// so templates can wrap a list in `<section>`/`<ul>` once (`{{#has_faq}}`).
    public func flaggingLists() -> TemplateValue {
        switch self {
        case .object(let object): return .object(Self.flaggingLists(object))
        case .list(let items): return .list(items.map { $0.flaggingLists() })
        case .text, .flag: return self
        }
    }

    public static func flaggingLists(_ object: TemplateObject) -> TemplateObject {
        var result = object
        for (key, value) in object {
            switch value {
            case .list(let items):
                result[key] = .list(items.map { $0.flaggingLists() })
                if !items.isEmpty { result["has_" + key] = true }
            case .object(let child):
                result[key] = .object(flaggingLists(child))
            case .text, .flag:
                break
            }
        }
        return result
    }
}
