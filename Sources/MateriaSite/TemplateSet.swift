import Foundation
import MateriaContent
import Mustache

/// The site's Mustache templates, parsed and checked: syntax, partials and layouts that exist,
/// and every page template the build needs.
public struct TemplateSet: Sendable {
    /// Page templates the build renders, one per page kind.
    public static let requiredTemplates = ["home", "article", "nutrient", "condition", "symptom", "list",
                                           "faq", "key-points", "disclaimer", "404"]

    let library: MustacheLibrary
    public let names: Set<String>

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
        MustacheContentTypes.register(ByteHTMLEscaping(), named: ByteHTMLEscaping.name)
        for name in sources.keys.sorted() {
            let (path, text) = sources[name]!
            do {
                library.register(try MustacheTemplate(string: ByteHTMLEscaping.pragma + text), named: name)
            } catch let error as MustacheTemplate.ParserError {
                // The pragma takes line 1 of what the parser sees.
                diagnostics.error(SourceLocation(path: path, line: error.context.lineNumber - 1, column: error.context.columnNumber),
                                  "broken template: \(describe(error.error))",
                                  fix: "check that every {{#section}} and {{<parent}} is closed with a matching {{/name}}")
            } catch {
                diagnostics.error(SourceLocation(path: path), "broken template: \(error)")
            }
            for reference in references(in: text) where sources[reference.name] == nil {
                diagnostics.error(SourceLocation(path: path, line: reference.line, column: reference.column),
                                  "template '\(name)' uses '\(reference.name)', which does not exist",
                                  fix: "create \(folder)/\(reference.name).mustache"
                                      + (Suggestion.closest(to: reference.name, in: sources.keys).map { " or use '\($0)'" } ?? ""))
            }
        }
        for name in requiredTemplates where sources[name] == nil {
            diagnostics.error(SourceLocation(path: "\(folder)/\(name).mustache"), "missing template '\(name)'",
                              fix: "create \(folder)/\(name).mustache; every page kind needs its template")
        }
        guard !diagnostics.hasErrors else { return (nil, diagnostics) }
        return (TemplateSet(library: library, names: Set(sources.keys)), diagnostics)
    }

    /// Renders `context` with template `name`; nil only for an unknown name, which `load` rules out.
    func render(_ name: String, _ context: [String: Any]) -> String? {
        library.render(context, withTemplate: name)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case MustacheTemplate.Error.sectionCloseNameIncorrect: return "a closing tag does not match the open section"
        case MustacheTemplate.Error.unfinishedName: return "a tag is not finished (missing '}}')"
        case MustacheTemplate.Error.expectedSectionEnd: return "a section is never closed"
        case MustacheTemplate.Error.invalidSetDelimiter: return "bad set-delimiter tag"
        case MustacheTemplate.Error.textInsideInheritSection: return "text inside a {{<parent}} block outside any {{$block}}"
        case MustacheTemplate.Error.illegalTokenInsideInheritSection: return "a tag inside a {{<parent}} block outside any {{$block}}"
        default: return "\(error)"
        }
    }

    /// `{{> partial}}` and `{{< parent}}` references, with their positions.
    static func references(in text: String) -> [(name: String, line: Int, column: Int)] {
        var result: [(String, Int, Int)] = []
        var line = 1
        for lineText in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var rest = lineText[...]
            while let open = rest.range(of: "{{") {
                let afterOpen = rest[open.upperBound...]
                guard let close = afterOpen.range(of: "}}") else { break }
                let tag = afterOpen[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                if let sigil = tag.first, sigil == ">" || sigil == "<" {
                    let name = tag.dropFirst().trimmingCharacters(in: .whitespaces)
                    let column = lineText.distance(from: lineText.startIndex, to: open.lowerBound) + 1
                    if !name.isEmpty { result.append((name, line, column)) }
                }
                rest = afterOpen[close.upperBound...]
            }
            line += 1
        }
        return result
    }
}

/// The same HTML escaping as Mustache's default (`& < > " '`), done on UTF-8 bytes instead of
/// Characters: list pages escape tens of thousands of titles and summaries. Every template is
/// loaded with a pragma line selecting it; error positions are shifted back by that line.
struct ByteHTMLEscaping: MustacheContentType {
    static let name = "MATERIA_HTML"
    /// A standalone tag on its own line: Mustache removes the whole line from the output.
    static let pragma = "{{% CONTENT_TYPE: \(name) }}\n"

    func escapeText(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            return text
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        for byte in utf8 {
            switch byte {
            case 0x26: out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B])              // &amp;
            case 0x3C: out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B])                    // &lt;
            case 0x3E: out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B])                    // &gt;
            case 0x22: out.append(contentsOf: [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B])        // &quot;
            case 0x27: out.append(contentsOf: [0x26, 0x23, 0x33, 0x39, 0x3B])              // &#39;
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
