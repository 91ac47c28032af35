import CTextScan
/// Mustache (https://mustache.github.io/mustache.5.html) compiled to a tree once and rendered
/// straight into UTF-8 bytes: variables (`{{x}}` escaped, `{{{x}}}` and `{{&x}}` not), dotted
/// names and `{{.}}`, sections and inverted sections, comments, set delimiters, partials
/// (`{{>name}}`, indented when standalone) and inheritance (`{{<parent}}{{$block}}…{{/block}}{{/parent}}`).
/// Standalone lines (a section, comment, partial or delimiter tag alone on its line) leave no
/// trace in the output, as the spec requires.
public struct MustacheTemplate: Sendable {
    let nodes: [Node]
    /// What the template's nodes point into.
    let storage: TemplateStorage

    /// Compiles `text`; throws the first problem (`compile` reports them all).
    public init(_ text: String) throws(MustacheError) {
        let compiled = Self.compile(text)
        if let first = compiled.problems.first { throw first }
        self = compiled.template!
    }

    private init(nodes: [Node], storage: TemplateStorage) {
        self.nodes = nodes
        self.storage = storage
    }

    /// What compiling a template found: the template (nil when there are problems), every
    /// problem, and the partials and parents it names, with their places, so a caller can check
    /// that they exist and do not include each other in a loop.
    public struct Compiled: Sendable {
        public let template: MustacheTemplate?
        public let problems: [MustacheError]
        public let references: [TemplateReference]
    }

    /// Compiles `text`, carrying on past each problem so that all of them are reported: a tag
    /// that is never closed, a section closed out of order (each section left open is named
    /// where it opens) or never opened, and tags Materia does not support.
    public static func compile(_ text: String) -> Compiled {
        var parser = Parser(bytes: Array(text.utf8))
        let nodes = parser.parseTop()
        return Compiled(template: parser.problems.isEmpty ? MustacheTemplate(nodes: nodes, storage: parser.storage) : nil,
                        problems: parser.problems, references: parser.references)
    }
}

/// A problem in a template, with the line and column (1-based, in characters) of the tag at fault.
public struct MustacheError: Error, Sendable, Equatable {
    public let line: Int
    public let column: Int
    public let message: String
    public let fix: String
}

/// A partial (`{{>name}}`, kind ">") or parent (`{{<name}}`, kind "<") a template includes.
public struct TemplateReference: Sendable, Equatable {
    public let kind: String
    public let name: String
    public let line: Int
    public let column: Int
}

/// Names used in a tag: `a.b.c` (looked up through the context stack), `.a` (only the innermost
/// context) or `.` (the innermost context itself). A class: a node holding one is copied with
/// one reference count, not one per array inside it.
final class Path: Sendable {
    let names: [String]
    let anchored: Bool
    /// For each name `has_<key>`, the `key` whose non-empty list makes it true.
    let flagOf: [String?]

    init(names: [String], anchored: Bool) {
        self.names = names
        self.anchored = anchored
        flagOf = names.map { $0.hasPrefix("has_") && $0.count > 4 ? String($0.dropFirst(4)) : nil }
    }
}

/// A section's name, kind and contents.
final class Section: Sendable {
    let path: Path
    let inverted: Bool
    let children: [Node]

    init(path: Path, inverted: Bool, children: [Node]) {
        self.path = path
        self.inverted = inverted
        self.children = children
    }
}

/// A reference a node holds without counting it: the template's `TemplateStorage` keeps the object.
struct Kept<Object: AnyObject & Sendable>: @unchecked Sendable {
    let unmanaged: Unmanaged<Object>

    /// `body` with the object, borrowed (no reference counted).
    @inline(__always)
    func with<R>(_ body: (Object) -> R) -> R { unmanaged._withUnsafeGuaranteedRef(body) }
}

/// What a template's nodes point into without counting references (so rendering a node counts
/// none): the bytes of its text, in one block that never moves and is never larger than the
/// template, and its paths, sections, partials, parents and blocks.
final class TemplateStorage: @unchecked Sendable {
    private let start: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var used = 0
    private var objects: [AnyObject] = []

    /// Keeps `object` as long as the template (only while parsing, on one thread).
    func keep<Object: AnyObject & Sendable>(_ object: Object) -> Kept<Object> {
        objects.append(object)
        return Kept(unmanaged: .passUnretained(object))
    }

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        start = .allocate(capacity: self.capacity)
    }

    deinit { start.deallocate() }

    /// Keeps `bytes` (only while parsing, on one thread) and returns where they are.
    func keep(_ bytes: [UInt8]) -> TextRun {
        precondition(used + bytes.count <= capacity, "template text larger than the template")
        bytes.withUnsafeBufferPointer { (start + used).update(from: $0.baseAddress!, count: $0.count) }
        defer { used += bytes.count }
        return TextRun(start: UnsafePointer(start + used), count: bytes.count)
    }
}

/// Bytes in a template's `TemplateStorage`, valid while the template (or a library holding it) lives.
struct TextRun: @unchecked Sendable {
    let start: UnsafePointer<UInt8>
    let count: Int

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }
}

enum Node: Sendable {
    case text(TextRun)
    case variable(Kept<Path>, escaped: Bool)
    case section(Kept<Section>)
    case partial(Kept<Inclusion>)
    case parent(Kept<Inclusion>)
    case block(Kept<Inclusion>)
}

/// A partial (`name`, indented by `indentation`), a parent (with the blocks this template
/// overrides) or a block (with its own contents, used unless overridden).
final class Inclusion: Sendable {
    let name: String
    let indentation: [UInt8]
    let overrides: [String: [Node]]
    let children: [Node]

    init(name: String, indentation: [UInt8], overrides: [String: [Node]] = [:], children: [Node] = []) {
        self.name = name
        self.indentation = indentation
        self.overrides = overrides
        self.children = children
    }
}

// MARK: - Parsing

private struct Parser {
    let bytes: [UInt8]
    var position = 0
    var open: [UInt8] = [0x7B, 0x7B]   // {{
    var close: [UInt8] = [0x7D, 0x7D]  // }}
    var problems: [MustacheError] = []
    var references: [TemplateReference] = []
    /// Sections, blocks and parents open around the current position, outermost first.
    var scopes: [(kind: UInt8, name: String, at: Int)] = []
    let storage: TemplateStorage

    init(bytes: [UInt8]) {
        self.bytes = bytes
        storage = TemplateStorage(capacity: bytes.count)
    }

    /// How a scope ended: at the end of the text, at its own closing tag, or at the closing tag
    /// of an outer scope (`{{/name}}` on `line`), which leaves this one unclosed.
    private enum End {
        case text, closed
        case outer(String, line: Int)
    }

    mutating func parseTop() -> [Node] {
        parse(inParent: false).nodes
    }

    /// Parses until the end of the innermost open scope (or of the text, at the top).
    private mutating func parse(inParent: Bool) -> (nodes: [Node], overrides: [String: [Node]], end: End) {
        var nodes: [Node] = []
        var overrides: [String: [Node]] = [:]
        var text: [UInt8] = []
        func flush() {
            if !text.isEmpty && !inParent { nodes.append(.text(storage.keep(text))) }
            text.removeAll(keepingCapacity: true)
        }
        /// Parses the scope just opened by the tag at `at`; when its end was an outer scope's
        /// closing tag, says whether that tag also ends the scope being parsed here.
        func child(_ kind: UInt8, _ name: String, at: Int, parent: Bool) -> (nodes: [Node], overrides: [String: [Node]], end: End) {
            scopes.append((kind, name, at))
            return parse(inParent: parent)
        }
        let outside = "a tag inside a {{<parent}} block outside any {{$block}}"
        let outsideFix = "move it into a {{$block}} or out of the parent"
        while position < bytes.count {
            guard let tagStart = find(open, from: position) else {
                text.append(contentsOf: bytes[position...])
                position = bytes.count
                break
            }
            text.append(contentsOf: bytes[position..<tagStart])
            var inner = tagStart + open.count
            let triple = open == [0x7B, 0x7B] && inner < bytes.count && bytes[inner] == 0x7B
            if triple { inner += 1 }
            let closing = triple ? [0x7D] + close : close
            let closeText = String(decoding: close, as: UTF8.self)
            guard let tagEnd = find(closing, from: inner) else {
                problem(at: tagStart, "the tag opened here is never closed", fix: "end it with '\(closeText)'")
                position = bytes.count
                break
            }
            var content = trimmed(inner, tagEnd)
            var kind: UInt8 = 0
            if triple {
                kind = 0x26  // &
            } else if let first = content.first, Self.sigils.contains(first) {
                kind = first
                content = trimmed(content.dropFirst())
                // `{name}` between custom delimiters: the unescaped form, closing brace included.
                if kind == 0x7B, content.last == 0x7D { content = trimmed(content.dropLast()) }
            }
            // A tag never spans another opening delimiter or (unless a comment) a line:
            // "{{title</h1> {{/x}}" is an unclosed "{{title". The text goes on after its "{{".
            let raw = bytes[inner..<tagEnd]
            if find(open, in: raw) || (kind != 0x21 && raw.contains(0x0A)) {
                problem(at: tagStart, "the tag opened here is never closed", fix: "end it with '\(closeText)' on the same line")
                text.append(contentsOf: open)
                position = tagStart + open.count
                continue
            }
            let name = String(decoding: content, as: UTF8.self)
            let after = tagEnd + closing.count
            // A standalone tag: only blanks before it on its line and only blanks after it.
            var indentation: [UInt8] = []
            if Self.standaloneKinds.contains(kind), let lineStart = blankLineStart(before: tagStart),
               let next = blankLineEnd(from: after) {
                indentation = Array(bytes[lineStart..<tagStart])
                text.removeLast(tagStart - lineStart)
                position = next
            } else {
                position = after
            }
            var ended: End? = nil
            switch kind {
            case 0x21:  // ! comment
                break
            case 0x3D:  // = set delimiters
                setDelimiters(name, at: tagStart)
            case 0x23, 0x5E:  // # ^
                let path = self.path(name, at: tagStart)
                if inParent { problem(at: tagStart, outside, fix: outsideFix) }
                flush()
                let section = child(kind, name, at: tagStart, parent: false)
                if let path { nodes.append(.section(storage.keep(Section(path: path, inverted: kind == 0x5E, children: section.nodes)))) }
                ended = section.end
            case 0x2F:  // / close
                if let top = scopes.last, top.name == name {
                    flush()
                    scopes.removeLast()
                    return (nodes, overrides, .closed)
                }
                if scopes.contains(where: { $0.name == name }) {
                    flush()
                    ended = .outer(name, line: line(of: tagStart))
                } else {
                    problem(at: tagStart, "{{/\(name)}} closes a section that was never opened", fix: "remove it or add the matching {{#\(name)}}")
                }
            case 0x3E, 0x3C:  // > partial, < parent
                guard checkName(name, at: tagStart) else { break }
                if inParent { problem(at: tagStart, outside, fix: outsideFix) }
                let (line, column) = place(of: tagStart)
                references.append(TemplateReference(kind: kind == 0x3E ? ">" : "<", name: name, line: line, column: column))
                flush()
                if kind == 0x3E {
                    nodes.append(.partial(storage.keep(Inclusion(name: name, indentation: indentation))))
                } else {
                    let parent = child(kind, name, at: tagStart, parent: true)
                    nodes.append(.parent(storage.keep(Inclusion(name: name, indentation: indentation, overrides: parent.overrides))))
                    ended = parent.end
                }
            case 0x24:  // $ block
                guard checkName(name, at: tagStart) else { break }
                if inParent {
                    text.removeAll()
                    let block = child(kind, name, at: tagStart, parent: false)
                    overrides[name] = block.nodes
                    ended = block.end
                } else {
                    flush()
                    let block = child(kind, name, at: tagStart, parent: false)
                    nodes.append(.block(storage.keep(Inclusion(name: name, indentation: indentation, children: block.nodes))))
                    ended = block.end
                }
            case 0x25:  // % pragma
                problem(at: tagStart, "pragmas ({{%…}}) are not supported", fix: "remove the tag")
            default:  // variables: & (and {{{ }}}), or none
                guard let path = self.path(name, at: tagStart) else { break }
                if inParent { problem(at: tagStart, outside, fix: outsideFix) }
                flush()
                nodes.append(.variable(storage.keep(path), escaped: kind == 0))
            }
            // An outer scope's closing tag ended what was inside: this scope, if it is not the
            // one closed, was left open too.
            if case .outer(let closed, let line)? = ended, let top = scopes.last {
                scopes.removeLast()
                flush()
                if top.name == closed { return (nodes, overrides, .closed) }
                problem(at: top.at, "{{\(Character(Unicode.Scalar(top.kind)))\(top.name)}} is never closed",
                        fix: "add {{/\(top.name)}} before {{/\(closed)}} on line \(line)")
                return (nodes, overrides, .outer(closed, line: line))
            }
        }
        flush()
        if let top = scopes.popLast() {
            problem(at: top.at, "{{\(Character(Unicode.Scalar(top.kind)))\(top.name)}} is never closed",
                    fix: "add {{/\(top.name)}} where the section ends")
        }
        return (nodes, overrides, .text)
    }

    private static let sigils: Set<UInt8> = Set("#^/><$!=&{%".utf8)
    private static let standaloneKinds: Set<UInt8> = Set("#^/><$!=%".utf8)

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = start
        let last = bytes.count - needle.count
        while index <= last {
            if bytes[index] == first {
                var match = true
                for offset in 1..<needle.count where bytes[index + offset] != needle[offset] { match = false; break }
                if match { return index }
            }
            index += 1
        }
        return nil
    }

    /// Whether `needle` occurs in `slice`.
    private func find(_ needle: [UInt8], in slice: ArraySlice<UInt8>) -> Bool {
        guard slice.count >= needle.count else { return false }
        return (slice.startIndex...(slice.endIndex - needle.count)).contains { slice[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    private func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    private func trimmed(_ start: Int, _ end: Int) -> ArraySlice<UInt8> { trimmed(bytes[start..<end]) }

    private func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = slice
        while let first = slice.first, first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D { slice.removeLast() }
        return slice
    }

    /// The start of the line holding `index` when only blanks come before it on that line.
    private func blankLineStart(before index: Int) -> Int? {
        var start = index
        while start > 0 && bytes[start - 1] != 0x0A {
            guard isBlank(bytes[start - 1]) else { return nil }
            start -= 1
        }
        return start
    }

    /// Just past the end of the line (its newline included) when only blanks follow `index`.
    private func blankLineEnd(from index: Int) -> Int? {
        var end = index
        while end < bytes.count && isBlank(bytes[end]) { end += 1 }
        if end == bytes.count { return end }
        if bytes[end] == 0x0A { return end + 1 }
        if bytes[end] == 0x0D && end + 1 < bytes.count && bytes[end + 1] == 0x0A { return end + 2 }
        return nil
    }

    private mutating func setDelimiters(_ body: String, at tagStart: Int) {
        let parts = body.dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard body.hasSuffix("="), parts.count == 2 else {
            problem(at: tagStart, "bad set-delimiter tag", fix: "write it as {{=<% %>=}}: two delimiters separated by a space")
            return
        }
        open = Array(parts[0].utf8)
        close = Array(parts[1].utf8)
    }

    private mutating func checkName(_ name: String, at tagStart: Int) -> Bool {
        if name.isEmpty { problem(at: tagStart, "the tag has no name", fix: "write the name inside the tag") }
        return !name.isEmpty
    }

    private mutating func path(_ name: String, at tagStart: Int) -> Path? {
        guard checkName(name, at: tagStart) else { return nil }
        if name.contains(where: { $0 == "(" || $0 == ")" || $0 == " " }) {
            problem(at: tagStart, "'\(name)' is not a name: functions in tags are not supported",
                    fix: "use a plain name such as {{title}} or {{article.title}}")
            return nil
        }
        if name == "." { return Path(names: [], anchored: true) }
        let anchored = name.hasPrefix(".")
        let names = name.split(separator: ".", omittingEmptySubsequences: false).dropFirst(anchored ? 1 : 0).map(String.init)
        if names.contains(where: \.isEmpty) {
            problem(at: tagStart, "'\(name)' has an empty part", fix: "write dotted names as a.b.c")
            return nil
        }
        return Path(names: names, anchored: anchored)
    }

    /// Line (from 1) and column (from 1, in characters) of byte `index`.
    private func place(of index: Int) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        for offset in 0..<index where bytes[offset] == 0x0A { line += 1; lineStart = offset + 1 }
        return (line, String(decoding: bytes[lineStart..<index], as: UTF8.self).count + 1)
    }

    private func line(of index: Int) -> Int { place(of: index).line }

    private mutating func problem(at index: Int, _ message: String, fix: String) {
        let (line, column) = place(of: index)
        problems.append(MustacheError(line: line, column: column, message: message, fix: fix))
    }
}

// MARK: - Rendering

/// Compiled templates by name, so partials and parents can be found while rendering.
public struct MustacheLibrary: Sendable {
    private var templates: [String: [Node]] = [:]
    /// What the templates' nodes point into.
    private var storages: [TemplateStorage] = []

    public init() {}

    public mutating func register(_ template: MustacheTemplate, named name: String) {
        templates[name] = template.nodes
        storages.append(template.storage)
    }

    /// Renders template `name` with `context` as the outermost context; nil for an unknown name.
    /// A partial or parent that does not exist renders as nothing.
    /// `sizedFromContext` (for a page as large as the site): the output is reserved from the text
    /// the context holds, with room for the template's own, so it is written without growing and
    /// never copied into a buffer twice its size (reserved pages it does not touch cost no memory).
    public func render(_ name: String, _ context: TemplateObject, sizedFromContext: Bool = false) -> [UInt8]? {
        guard let nodes = templates[name] else { return nil }
        // The context's values are read where they are (see `Renderer.stack`), the outermost one here.
        let root = UnsafeMutablePointer<TemplateValue>.allocate(capacity: 1)
        root.initialize(to: .object(context))
        defer {
            root.deinitialize(count: 1)
            root.deallocate()
        }
        let text = sizedFromContext ? TemplateValue.textBytes(at: root) : 0
        // Written straight into the storage of the array returned; only a page larger than that
        // moves to a buffer of its own on the way, and is copied into an array at the end.
        var moved: ByteSink?
        let page = [UInt8](unsafeUninitializedCapacity: max(32 * 1024, text + text / 2)) { storage, initialized in
            var renderer = Renderer(templates: templates, stack: [UnsafePointer(root)], out: ByteSink(storage))
            renderer.render(nodes, inherited: [:], indentation: [])
            if renderer.out.isInPlace { initialized = renderer.out.count } else { moved = renderer.out }
        }
        guard var moved else { return page }
        defer { moved.release() }
        return moved.array()
    }
}

/// Where a render writes: a buffer it was given (an array's storage), then, once that is full,
/// memory of its own twice as large. Appending is a capacity check and a copy: `[UInt8]`'s
/// `append(contentsOf:)` spent about sixty instructions per call besides the copy (uniqueness,
/// capacity, count), five million calls at 10,000 articles.
struct ByteSink {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    /// Still in the buffer it was given (else in memory it allocated, which `release` frees).
    private(set) var isInPlace = true

    init(_ storage: UnsafeMutableBufferPointer<UInt8>) {
        base = storage.baseAddress ?? .allocate(capacity: 0)
        capacity = storage.count
        isInPlace = storage.baseAddress != nil
    }

    var isEmpty: Bool { count == 0 }
    var last: UInt8? { count > 0 ? base[count - 1] : nil }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if capacity - count < bytes.count { grow(to: count + bytes.count) }
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append($0) } }

    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    /// Room for `length` more bytes at `count`: `write` fills some of it and returns how many.
    mutating func write(upTo length: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        if capacity - count < length { grow(to: count + length) }
        count += write(base + count)
    }

    private mutating func grow(to minimum: Int) {
        let larger = max(minimum, capacity * 2, 4096)
        let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        memory.initialize(from: base, count: count)
        if !isInPlace { base.deallocate() }
        base = memory
        capacity = larger
        isInPlace = false
    }

    /// The bytes as an array (a copy).
    func array() -> [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Frees the memory the sink allocated (nothing when it is still in place).
    mutating func release() {
        if !isInPlace { base.deallocate() }
        isInPlace = true
        count = 0
        capacity = 0
    }
}

private struct Renderer {
    let templates: [String: [Node]]
    /// The contexts, innermost last, by address. The context is one tree of values (objects and
    /// lists inside the outermost object) that nothing changes while a page renders, so every value
    /// stays where it is: it is read in place, never copied (a copy of a value is a retain of each
    /// string, list and object it holds, and its end a release of each: atomic, so not cheap).
    var stack: [UnsafePointer<TemplateValue>]
    var out: ByteSink

    mutating func render(_ nodes: [Node], inherited: [String: [Node]], indentation: [UInt8]) {
        // Through the buffer: a node is read in place, not copied out of the array.
        nodes.withUnsafeBufferPointer { nodes in render(nodes, inherited: inherited, indentation: indentation) }
    }

    private mutating func render(_ nodes: UnsafeBufferPointer<Node>, inherited: [String: [Node]], indentation: [UInt8]) {
        for index in nodes.indices {
            switch nodes[index] {
            case .text(let run):
                if indentation.isEmpty { out.append(run.buffer) } else { appendIndented(run.buffer, indentation) }
            case .variable(let path, let escaped):
                guard let value = path.with({ lookup($0) }) else { continue }
                TemplateValue.withShownBytes(value) { appendValue($0, escaped: escaped, indentation: indentation) }
            case .section(let section):
                section.with { section in renderSection(section, inherited: inherited, indentation: indentation) }
            case .partial(let partial):
                partial.with { partial in
                    guard let nodes = templates[partial.name] else { return }
                    let extra = partial.indentation
                    render(nodes, inherited: inherited, indentation: extra.isEmpty ? indentation : indentation + extra)
                }
            case .parent(let parent):
                parent.with { parent in
                    guard let nodes = templates[parent.name] else { return }
                    // Blocks overridden further out win over this parent's own overrides.
                    let blocks = inherited.isEmpty ? parent.overrides : parent.overrides.merging(inherited) { _, outer in outer }
                    let extra = parent.indentation
                    render(nodes, inherited: blocks, indentation: extra.isEmpty ? indentation : indentation + extra)
                }
            case .block(let block):
                block.with { block in
                    let extra = block.indentation
                    render(inherited[block.name] ?? block.children, inherited: inherited, indentation: extra.isEmpty ? indentation : indentation + extra)
                }
            }
        }
    }

    /// A section: its contents once per item of a list, once with any other value that is not
    /// false pushed as the innermost context; an inverted section's contents when it is false,
    /// missing or an empty list.
    private mutating func renderSection(_ section: Section, inherited: [String: [Node]], indentation: [UInt8]) {
        // The section's nodes where they are (the template keeps them): the array is not
        // retained and released around each use by both threads.
        let children = section.children.withUnsafeBufferPointer { $0 }
        guard let value = lookup(section.path) else {
            if section.inverted { render(children, inherited: inherited, indentation: indentation) }
            return
        }
        // Lists are read by address (see `TemplateValue.elements(of:)`), never copied.
        let items = TemplateValue.elements(of: value)
        if section.inverted {
            if items?.isEmpty ?? Self.isFalse(value) { render(children, inherited: inherited, indentation: indentation) }
            return
        }
        if let items {
            for index in items.indices {
                stack.append(items.baseAddress! + index)
                render(children, inherited: inherited, indentation: indentation)
                stack.removeLast()
            }
        } else if Self.isFalse(value) {
            return
        } else if Self.isTrue(value) {
            render(children, inherited: inherited, indentation: indentation)
        } else {
            stack.append(value)
            render(children, inherited: inherited, indentation: indentation)
            stack.removeLast()
        }
    }

    private static func isFalse(_ value: UnsafePointer<TemplateValue>) -> Bool {
        if case .flag(false) = value.pointee { return true }
        return false
    }

    private static func isTrue(_ value: UnsafePointer<TemplateValue>) -> Bool {
        if case .flag(true) = value.pointee { return true }
        return false
    }

    /// Where the value `path` names is (see `stack`), or nil.
    private func lookup(_ path: Path) -> UnsafePointer<TemplateValue>? {
        guard let first = path.names.first else { return stack.last }
        let firstFlag = path.flagOf[0]
        var found: UnsafePointer<TemplateValue>?
        if path.anchored {
            found = stack.last.flatMap { TemplateValue.child(of: $0, first, flagOf: firstFlag) }
        } else {
            found = stack.withUnsafeBufferPointer { scopes in
                var index = scopes.count - 1
                while index >= 0 {
                    if let value = TemplateValue.child(of: scopes[index], first, flagOf: firstFlag) { return value }
                    index -= 1
                }
                return nil
            }
        }
        guard var value = found else { return nil }
        for position in path.names.indices.dropFirst() {
            guard let next = TemplateValue.child(of: value, path.names[position], flagOf: path.flagOf[position]) else { return nil }
            value = next
        }
        return value
    }

    /// Text of a partial rendered with indentation: every line starts with it.
    private mutating func appendIndented(_ bytes: UnsafeBufferPointer<UInt8>, _ indentation: [UInt8]) {
        for byte in bytes {
            if out.isEmpty || out.last == 0x0A { out.append(indentation) }
            out.append(byte)
        }
    }

    /// A variable's UTF-8 text, HTML-escaped unless `{{{ }}}`, indented when it starts a line of
    /// an indented partial.
    private mutating func appendValue(_ bytes: UnsafeBufferPointer<UInt8>, escaped: Bool, indentation: [UInt8]) {
        if !indentation.isEmpty && !bytes.isEmpty && (out.last == 0x0A || out.isEmpty) { out.append(indentation) }
        if escaped { HTMLEscaping.append(bytes, to: &out) } else { out.append(bytes) }
    }
}

/// The HTML escaping of `{{ }}`: `& < > " '` become `&amp; &lt; &gt; &quot; &#39;`, on UTF-8 bytes.
public enum HTMLEscaping {
    public static func escape(_ text: String) -> String {
        // The same scan as `append`'s (one definition of the five bytes, in CTextScan).
        let plain = text.withUTF8InPlace { bytes in
            bytes.baseAddress.map { materia_html_escape_scan($0, bytes.count, 1) == bytes.count } ?? true
        }
        guard !plain else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func append(_ text: String, to out: inout [UInt8]) {
        text.withUTF8InPlace { append($0, to: &out) }
    }

    public static func append(_ buffer: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) { escape(buffer, to: &out) }

    /// `append` into a render's output: the escaped text is written in place.
    static func append(_ buffer: UnsafeBufferPointer<UInt8>, to out: inout ByteSink) { escape(buffer, to: &out) }

    private static func escape<Output: EscapedOutput>(_ buffer: UnsafeBufferPointer<UInt8>, to out: inout Output) {
        guard let base = buffer.baseAddress else { return }
        let count = buffer.count
        // Sixteen bytes at a time to the first byte to replace (most text has none: one copy).
        let first = materia_html_escape_scan(base, count, 1)
        if first > 0 { out.append(UnsafeBufferPointer(start: base, count: first)) }
        guard first < count else { return }
        out.write(upTo: (count - first) * 6) { materia_html_escape(base + first, count - first, 1, $0) }
    }
}

/// Where HTML escaping writes: bytes appended as they are, and room for escaped ones.
protocol EscapedOutput {
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Room for `length` more bytes: `write` fills some of it and returns how many.
    mutating func write(upTo length: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int)
}

extension ByteSink: EscapedOutput {}

extension Array: EscapedOutput where Element == UInt8 {
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) { append(contentsOf: bytes) }

    /// Written into a temporary buffer, then appended (an array has no room past its count to write into).
    mutating func write(upTo length: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { room in
            let written = write(room.baseAddress!)
            append(contentsOf: UnsafeBufferPointer(start: room.baseAddress, count: written))
        }
    }
}
