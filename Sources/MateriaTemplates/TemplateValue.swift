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

public typealias TemplateObject = [String: TemplateValue]

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .text(String(stringInterpolation: stringInterpolation)) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
}
