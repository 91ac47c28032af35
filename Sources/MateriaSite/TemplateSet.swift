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
        var includes: [String: [TemplateTag]] = [:]
        for name in sources.keys.sorted() {
            let (path, text) = sources[name]!
            // Structural problems are found by our own scan, which knows where a section opened;
            // the Mustache parser reports only where it gave up (often the end of the file).
            let scan = TemplateTag.scan(text)
            for problem in scan.problems {
                diagnostics.error(SourceLocation(path: path, line: problem.line, column: problem.column), problem.message, fix: problem.fix)
            }
            includes[name] = scan.tags.filter { $0.kind == ">" || $0.kind == "<" }
            for reference in includes[name]! where sources[reference.name] == nil {
                diagnostics.error(SourceLocation(path: path, line: reference.line, column: reference.column),
                                  "template '\(name)' uses '\(reference.name)', which does not exist",
                                  fix: "create \(folder)/\(reference.name).mustache"
                                      + (Suggestion.closest(to: reference.name, in: sources.keys).map { " or use '\($0)'" } ?? ""))
            }
            do {
                library.register(try MustacheTemplate(text), named: name)
            } catch {
                if !scan.problems.isEmpty { continue }
                diagnostics.error(SourceLocation(path: path, line: error.line, column: error.column),
                                  "broken template: \(error.message)", fix: error.fix)
            }
        }
        for cycle in includeCycles(includes) {
            let (name, tag) = cycle.closing
            diagnostics.error(SourceLocation(path: sources[name]!.path, line: tag.line, column: tag.column),
                              "templates include each other in a loop: \(cycle.names.joined(separator: " → "))",
                              fix: "remove the {{\(tag.kind.map(String.init) ?? "")\(tag.name)}} that closes the loop; rendering it would never end")
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
    func render(_ name: String, _ context: TemplateObject) -> [UInt8]? {
        library.render(name, context)
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
    static func includeCycles(_ includes: [String: [TemplateTag]]) -> [(names: [String], closing: (String, TemplateTag))] {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        var cycles: [(names: [String], closing: (String, TemplateTag))] = []
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

/// One Mustache tag and where it starts: `kind` is the sigil (`#`, `^`, `/`, `>`, `<`, `$`, `!`,
/// `=`, `&`, `{`, `%`) or nil for a plain variable.
struct TemplateTag {
    let kind: Character?
    let name: String
    let line: Int
    let column: Int

    struct Problem {
        let line: Int
        let column: Int
        let message: String
        let fix: String
    }

    /// Scans a template the way Mustache reads it, including `{{=<% %>=}}` delimiter changes.
    static func scan(_ text: String) -> (tags: [TemplateTag], problems: [Problem]) {
        var tags: [TemplateTag] = []
        var problems: [Problem] = []
        var open = "{{", close = "}}"
        var sections: [TemplateTag] = []
        let chars = Array(text)
        var index = 0, line = 1, column = 1
        func advance(_ count: Int) {
            for _ in 0..<count where index < chars.count {
                if chars[index] == "\n" { line += 1; column = 1 } else { column += 1 }
                index += 1
            }
        }
        func matches(_ token: String, at position: Int) -> Bool {
            let token = Array(token)
            guard position + token.count <= chars.count else { return false }
            return Array(chars[position..<position + token.count]) == token
        }
        while index < chars.count {
            guard matches(open, at: index) else { advance(1); continue }
            let (tagLine, tagColumn) = (line, column)
            var end = index + open.count
            let triple = open == "{{" && end < chars.count && chars[end] == "{"
            let closing = triple ? "}" + close : close
            while end < chars.count && !matches(closing, at: end) { end += 1 }
            guard end < chars.count else {
                problems.append(Problem(line: tagLine, column: tagColumn, message: "broken template: the tag opened here is never closed",
                                        fix: "end it with '\(close)'"))
                break
            }
            let raw = String(chars[(index + open.count)..<end])
            // A tag never spans another opening delimiter: "{{title</h1> {{/x}}" is an unclosed "{{title".
            let isComment = raw.trimmingCharacters(in: .whitespaces).hasPrefix("!")
            if raw.contains(open) || (raw.contains("\n") && !isComment) {
                problems.append(Problem(line: tagLine, column: tagColumn, message: "broken template: the tag opened here is never closed",
                                        fix: "end it with '\(close)' on the same line"))
                advance(open.count)
                continue
            }
            var body = raw.trimmingCharacters(in: .whitespaces)
            var kind: Character? = nil
            if let first = body.first, "#^/><$!=&{%".contains(first) {
                kind = first
                body = String(body.dropFirst()).trimmingCharacters(in: .whitespaces)
            }
            if kind == "=" {
                let parts = body.dropLast().split(separator: " ", omittingEmptySubsequences: true)
                if body.hasSuffix("="), parts.count == 2 {
                    open = String(parts[0]); close = String(parts[1])
                }
            }
            let tag = TemplateTag(kind: kind, name: body, line: tagLine, column: tagColumn)
            tags.append(tag)
            switch kind {
            case "#", "^", "$", "<": sections.append(tag)
            case "/":
                if let match = sections.lastIndex(where: { $0.name == body }) {
                    // Sections opened after the one this closes were left open.
                    for unclosed in sections[(match + 1)...] {
                        problems.append(Problem(line: unclosed.line, column: unclosed.column,
                                                message: "broken template: {{\(unclosed.kind.map(String.init) ?? "")\(unclosed.name)}} is never closed",
                                                fix: "add {{/\(unclosed.name)}} before {{/\(body)}} on line \(tagLine)"))
                    }
                    sections.removeSubrange(match...)
                } else {
                    problems.append(Problem(line: tagLine, column: tagColumn,
                                            message: "broken template: {{/\(body)}} closes a section that was never opened",
                                            fix: "remove it or add the matching {{#\(body)}}"))
                }
            default: break
            }
            advance(end + closing.count - index)
        }
        for section in sections {
            problems.append(Problem(line: section.line, column: section.column,
                                    message: "broken template: {{\(section.kind.map(String.init) ?? "")\(section.name)}} is never closed",
                                    fix: "add {{/\(section.name)}} where the section ends"))
        }
        return (tags, problems)
    }
}
