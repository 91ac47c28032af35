import Foundation
import MateriaContent
import MateriaTemplates

/// The site's Mustache templates, parsed and checked: syntax, partials and layouts that exist,
/// and every page template the build needs.
public struct TemplateSet: Sendable {
    /// Page templates the build renders, one per page kind.
    public static let requiredTemplates = ["home", "article", "nutrient", "condition", "symptom", "list",
                                           "faq", "key-points", "a-z", "search", "disclaimer", "404"]

    let library: MustacheLibrary
    public let names: Set<String>
    /// Literal `id="…"` values of each template.
    let idsByTemplate: [String: Set<String>]
    /// Templates each template includes (partials and parents).
    let includesByTemplate: [String: [String]]
    /// Each template's text, so that a rebuild can tell which templates changed.
    let texts: [String: String]

    /// `name` and every template it includes, directly or through others.
    func closure(of name: String) -> Set<String> {
        var seen: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            pending += includesByTemplate[next] ?? []
        }
        return seen
    }

    /// The literal ids a page rendered with `name` carries: its own, its layout's and its partials'.
    /// Heading anchors avoid them so that every id on a page is unique.
    public func literalIDs(forPage name: String) -> Set<String> {
        closure(of: name).reduce(into: Set<String>()) { ids, next in ids.formUnion(idsByTemplate[next] ?? []) }
    }

    public static func load(from directory: URL, layout: SiteLayout) -> (TemplateSet?, Diagnostics) {
        var diagnostics = Diagnostics()
        let folder = layout.relativePath(directory)
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else {
            diagnostics.error(SourceLocation(path: folder), "the templates folder \(folder)/ is missing",
                              fix: "copy Templates/ from Materia's sample site, or create \(folder)/ with the page templates")
            return (nil, diagnostics)
        }
        var sources: [String: (path: String, text: String)] = [:]
        for case let relative as String in enumerator where relative.hasSuffix(".mustache") {
            let file = directory.appendingPathComponent(relative)
            let path = layout.relativePath(file)
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            switch SourceText.decode([UInt8](data), path: path) {
            case .success(let text): sources[String(relative.dropLast(".mustache".count))] = (path, text)
            case .failure(let diagnostic): diagnostics.append(diagnostic)
            }
        }
        var library = MustacheLibrary()
        var includes: [String: [TemplateReference]] = [:]
        for name in sources.keys.sorted() {
            let (path, text) = sources[name]!
            // Every problem of the template, each where it is (an unclosed section where it opens).
            let compiled = MustacheTemplate.compile(text)
            for problem in compiled.problems {
                diagnostics.error(SourceLocation(path: path, line: problem.line, column: problem.column),
                                  "broken template: \(problem.message)", fix: problem.fix)
            }
            includes[name] = compiled.references
            for reference in compiled.references where sources[reference.name] == nil {
                diagnostics.error(SourceLocation(path: path, line: reference.line, column: reference.column),
                                  "template '\(name)' uses '\(reference.name)', which does not exist",
                                  fix: "create \(folder)/\(reference.name).mustache"
                                      + (Suggestion.closest(to: reference.name, in: sources.keys).map { " or use '\($0)'" } ?? ""))
            }
            if let template = compiled.template { library.register(template, named: name) }
        }
        for cycle in includeCycles(includes) {
            let (name, tag) = cycle.closing
            diagnostics.error(SourceLocation(path: sources[name]!.path, line: tag.line, column: tag.column),
                              "templates include each other in a loop: \(cycle.names.joined(separator: " → "))",
                              fix: "remove the {{\(tag.kind)\(tag.name)}} that closes the loop; rendering it would never end")
        }
        for name in requiredTemplates where sources[name] == nil {
            diagnostics.error(SourceLocation(path: "\(folder)/\(name).mustache"), "missing template '\(name)'",
                              fix: "create \(folder)/\(name).mustache; every page kind needs its template")
        }
        guard !diagnostics.hasErrors else { return (nil, diagnostics) }
        return (TemplateSet(library: library, names: Set(sources.keys),
                            idsByTemplate: sources.mapValues { Set(literalIDs(in: $0.text)) },
                            includesByTemplate: includes.mapValues { $0.map(\.name) }, texts: sources.mapValues(\.text)), diagnostics)
    }

    /// Renders `context` with template `name`; nil only for an unknown name, which `load` rules out.
    func render(_ name: String, _ context: TemplateObject, sizedFromContext: Bool = false) -> [UInt8]? {
        library.render(name, context, sizedFromContext: sizedFromContext)
    }

    /// `id="name"` attributes whose value holds no Mustache tag.
    static func literalIDs(in text: String) -> [String] {
        var ids: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "id=\"") {
            let after = rest[start.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            let value = after[..<end]
            if !value.isEmpty && !value.contains("{") { ids.append(String(value)) }
            rest = after[end...].dropFirst()
        }
        return ids
    }

    /// Include loops (a partial that includes itself, directly or through others), each once.
    static func includeCycles(_ includes: [String: [TemplateReference]]) -> [(names: [String], closing: (String, TemplateReference))] {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        var cycles: [(names: [String], closing: (String, TemplateReference))] = []
        func visit(_ name: String) {
            state[name] = 1
            stack.append(name)
            for tag in includes[name] ?? [] where includes[tag.name] != nil {
                if state[tag.name] == 1 {
                    let start = stack.firstIndex(of: tag.name)!
                    cycles.append((Array(stack[start...]) + [tag.name], (name, tag)))
                } else if state[tag.name] == nil {
                    visit(tag.name)
                }
            }
            stack.removeLast()
            state[name] = 2
        }
        for name in includes.keys.sorted() where state[name] == nil { visit(name) }
        return cycles
    }
}
