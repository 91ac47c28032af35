@testable import MateriaTemplates
import MateriaTestSupport
import Testing

/// Renders `main` from `templates` (name → text) with `context`.
private func render(_ templates: [String: String], _ context: TemplateObject, main: String = "main") throws -> String {
    var library = MustacheLibrary()
    for (name, text) in templates { library.register(try MustacheTemplate(text), named: name) }
    return String(decoding: try #require(library.render(main, context)), as: UTF8.self)
}

private func render(_ text: String, _ context: TemplateObject) throws -> String { try render(["main": text], context) }

@Suite struct MustacheTests {
    /// The names' quick comparison (two words for short ASCII names) agrees with String's `==` for
    /// short and long names, ASCII or not, made from literals or built at run time, and for names
    /// that are the same text in two Unicode forms.
    @Test func namesCompareAsStringsDo() {
        var built = "sum"
        built += "mary"
        let names = ["", "a", "b", "id", "di", "summary", "summarz", built, "stylesheet_href", "stylesheet_hreg", "disclaimer_short",
                     "disclaimer_shorts", "caf\u{E9}", "cafe\u{301}", "caf\u{E9} au lait, longer than fifteen", String(repeating: "x", count: 15),
                     String(repeating: "x", count: 16)]
        for a in names {
            for b in names {
                #expect(TemplateObject.same(a, b) == (a == b), "\(a.debugDescription) \(b.debugDescription)")
            }
        }
        #expect(TemplateObject.same(built, "summary"))
    }

    @Test func variablesAreEscapedUnlessTripleOrAmpersand() throws {
        let context: TemplateObject = ["x": "<a href=\"q\">Tom & Jerry's</a>"]
        #expect(try render("{{x}}|{{{x}}}|{{& x }}", context)
            == "&lt;a href=&quot;q&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;|<a href=\"q\">Tom & Jerry's</a>|<a href=\"q\">Tom & Jerry's</a>")
        #expect(try render("[{{missing}}] {{flag}}", ["flag": true]) == "[] true")
        #expect(HTMLEscaping.escape("é < ü") == "é &lt; ü")
    }

    /// Escaping passes over sixteen bytes at a time (CTextScan): every special byte at every
    /// position of texts shorter and longer than one and two blocks, and bytes one off the special
    /// ones, escape as one byte at a time would.
    @Test func escapingMatchesBytewiseEscaping() {
        func reference(_ text: String) -> String {
            var out = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
        let samples = ["", "a", "plain text without specials", "%=?;(", "é – ü ünïcödé", "&&&&&&&&&&&&&&&&&"]
            + everyPosition(of: ["&", "<", ">", "\"", "'"], lengths: [1, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47])
        for sample in samples {
            #expect(HTMLEscaping.escape(sample) == reference(sample), "\(sample)")
        }
    }

    /// A value held as bytes renders exactly as the same text would, escaped, raw and in an
    /// indented partial (whose indentation, as the spec says, does not reach inside a value), and a
    /// page sized from its context renders the same bytes.
    @Test func bytesRenderLikeText() throws {
        let text = "<b>Tom & Jerry's</b>\nline"
        let asText: TemplateObject = ["x": .text(text)], asBytes: TemplateObject = ["x": .bytes(Array(text.utf8))]
        let templates = ["main": "{{x}}|{{{x}}}|{{&x}}\n  {{>p}}\n", "p": "{{{x}}}\n"]
        let expected = try render(templates, asText)
        #expect(expected == "&lt;b&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;\nline|<b>Tom & Jerry's</b>\nline|<b>Tom & Jerry's</b>\nline\n  <b>Tom & Jerry's</b>\nline\n")
        #expect(try render(templates, asBytes) == expected)
        var library = MustacheLibrary()
        for (name, source) in templates { library.register(try MustacheTemplate(source), named: name) }
        #expect(library.render("main", asBytes, sizedFromContext: true).map { String(decoding: $0, as: UTF8.self) } == expected)
    }

    @Test func sectionsFollowTheValue() throws {
        let context: TemplateObject = [
            "items": .objects([["n": "1"], ["n": "2"]]), "empty": .list([]), "yes": true, "no": false,
            "person": .object(["name": "Ada"]), "name": "outer", "words": .list(["a", "b"]),
        ]
        #expect(try render("{{#items}}<{{n}}>{{/items}}", context) == "<1><2>")
        #expect(try render("{{#empty}}x{{/empty}}{{^empty}}none{{/empty}}", context) == "none")
        #expect(try render("{{#yes}}{{name}}{{/yes}}{{#no}}x{{/no}}{{^no}}n{{/no}}{{^yes}}y{{/yes}}", context) == "outern")
        #expect(try render("{{#person}}{{name}}/{{.name}}{{/person}} {{person.name}}", context) == "Ada/Ada Ada")
        #expect(try render("{{#items}}{{name}}{{/items}}", context) == "outerouter")
        #expect(try render("{{#items}}[{{.name}}]{{/items}}", context) == "[][]")
        #expect(try render("{{#words}}{{.}},{{/words}}", context) == "a,b,")
        #expect(try render("{{#missing}}x{{/missing}}{{^missing}}m{{/missing}}", context) == "m")
        #expect(try render("{{person.missing.deeper}}|{{#person.name}}{{.}}{{/person.name}}", context) == "|Ada")
    }

    @Test func hasFlagsFollowNonEmptyLists() throws {
        let context: TemplateObject = ["items": .objects([["n": "1", "inner": .list(["x"])]]), "empty": .list([]), "has_set": false]
        #expect(try render("{{#has_items}}<ul>{{#items}}{{n}}{{#has_inner}}+{{/has_inner}}{{/items}}</ul>{{/has_items}}", context) == "<ul>1+</ul>")
        #expect(try render("{{#has_empty}}x{{/has_empty}}{{^has_empty}}none{{/has_empty}}{{^has_set}}!{{/has_set}}{{has_missing}}", context) == "none!")
        #expect(try render("{{#items}}{{#has_items}}outer{{/has_items}}{{/items}}", context) == "outer")
    }

    @Test func standaloneLinesLeaveNoTrace() throws {
        let text = "<ul>\n  {{#items}}\n  <li>{{n}}</li>\n  {{/items}}\n  {{! a comment }}\n</ul>\n{{#yes}}x{{/yes}}\n"
        #expect(try render(text, ["items": .objects([["n": "1"], ["n": "2"]]), "yes": true])
            == "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\nx\n")
        // Not standalone: text before the tag, or a second tag on the line.
        #expect(try render("a {{#yes}}\nb\n{{/yes}} c\n", ["yes": true]) == "a \nb\n c\n")
        #expect(try render("{{#yes}}{{/yes}}\nz", ["yes": true]) == "\nz")
        #expect(try render("x\r\n{{#yes}}\r\ny\r\n{{/yes}}\r\n", ["yes": true]) == "x\r\ny\r\n")
        #expect(try render("{{! multi\nline }}\nz", [:]) == "z")
    }

    @Test func partialsAreIndentedWhenStandalone() throws {
        let templates = ["main": "<div>\n  {{>item}}\n</div>\nInline: {{>item}}!", "item": "<p>{{n}}</p>\n<p>two</p>\n"]
        #expect(try render(templates, ["n": "1"]) == "<div>\n  <p>1</p>\n  <p>two</p>\n</div>\nInline: <p>1</p>\n<p>two</p>\n!")
        #expect(try render(["main": "[{{>missing}}]"], [:]) == "[]")
    }

    /// A page renders into the storage of the array it returns (32 KB) until that is full, then
    /// into a buffer twice as large: pages of every size around the switch, with escaped values
    /// and indented partials across it, come out whole.
    @Test func pagesLargerThanTheFirstBufferComeOutWhole() throws {
        let templates = ["main": "<ul>\n{{#items}}\n  {{>item}}\n{{/items}}\n</ul>\n", "item": "<li>{{text}}</li>\n{{{raw}}}\n"]
        for count in [0, 1, 150] + Array(310...320) + [700, 1_500] {  // 317 items pass 32 KB
            let items = (0..<count).map { index -> TemplateObject in
                ["text": .text("Tom & Jerry's <\(index)> " + String(repeating: "x", count: index % 97)), "raw": .text("<b>\(index)</b>")]
            }
            var expected = "<ul>\n"
            for index in 0..<count {
                expected += "  <li>Tom &amp; Jerry&#39;s &lt;\(index)&gt; " + String(repeating: "x", count: index % 97) + "</li>\n"
                expected += "  <b>\(index)</b>\n"
            }
            expected += "</ul>\n"
            #expect(try render(templates, ["items": .objects(items)]) == expected, "\(count) items")
        }
    }

    /// Rendering reads each value where it is, at the offset `NamedValues` computes for it.
    @Test func valuesAreFoundWhereTheyAre() {
        #expect(TemplateObject.valueOffset == MemoryLayout<TemplateObject.Member>.offset(of: \TemplateObject.Member.value))
        let object: TemplateObject = ["a": "one", "bb": .list(["x", "y"]), "c": true]
        object.storage.withUnsafeBufferPointer { members in
            guard let list = TemplateObject.address(of: "bb", in: members), case .list(let items) = list.pointee else {
                Issue.record("no list under bb")
                return
            }
            #expect(items.count == 2)
            if case .text(let text)? = TemplateObject.address(of: "a", in: members)?.pointee { #expect(text == "one") } else { Issue.record("no text under a") }
            #expect(TemplateObject.address(of: "d", in: members) == nil)
        }
    }

    /// A value's bytes are read before they are written out: texts of up to 16 bytes, which may
    /// keep them inside the string, are copied out first; longer texts, byte arrays, flags and
    /// kept texts (`TemplateValue.kept`, in the list here) are read where they are. Every length around that line, with characters of one to four bytes,
    /// comes out whole, escaped and raw; `textBytes` counts the same bytes, lists and objects
    /// included.
    @Test func valuesOfEveryLengthComeOutWhole() throws {
        for length in 0...40 {
            for unit in ["a", "é", "€", "🙂", "&"] {
                var text = ""
                while text.utf8.count + unit.utf8.count <= length { text += unit }
                text += String(repeating: "b", count: length - text.utf8.count)
                #expect(text.utf8.count == length)
                let escaped = text.replacingOccurrences(of: "&", with: "&amp;")
                let context: TemplateObject = ["t": .text(text), "b": .bytes(Array(text.utf8)), "yes": true, "no": false,
                                               "list": .list([.kept(text), .object(["t": .kept(text)])])]
                #expect(TemplateValue.kept(text).string == text)
                #expect(try render("[{{t}}|{{{t}}}|{{b}}|{{yes}}|{{no}}|{{#list}}{{.}}{{t}}{{/list}}]", context)
                        == "[\(escaped)|\(text)|\(escaped)|true|false|\(escaped)\(escaped)\(escaped)]", "\(length) bytes of \(unit)")
                #expect(withUnsafePointer(to: TemplateValue.object(context)) { TemplateValue.textBytes(at: $0) } == 4 * length,
                        "\(length) bytes of \(unit)")
            }
        }
    }

    @Test func parentsAndBlocks() throws {
        let templates = [
            "layout": "<title>{{$title}}Default{{/title}}</title>\n<main>\n{{$content}}{{/content}}\n</main>\n",
            "page": "{{<layout}}\nignored text\n{{$content}}\n<p>{{body}}</p>\n{{/content}}\n{{/layout}}\n",
            "outer": "{{<page}}{{$title}}Outer wins{{/title}}{{/page}}",
        ]
        #expect(try render(templates, ["body": "Hi"], main: "page") == "<title>Default</title>\n<main>\n<p>Hi</p>\n\n</main>\n")
        #expect(try render(templates, ["body": "Hi"], main: "outer") == "<title>Outer wins</title>\n<main>\n<p>Hi</p>\n\n</main>\n")
    }

    @Test func setDelimiters() throws {
        #expect(try render("{{=<% %>=}}\n<% x %> {{x}} <%{x}%>\n<%={{ }}=%>{{x}}", ["x": "<"]) == "&lt; {{x}} <\n&lt;")
    }

    @Test func errorsNameTheLineAndColumn() {
        func failure(_ text: String) -> MustacheError? {
            do { _ = try MustacheTemplate(text); return nil } catch { return error }
        }
        let unclosed = failure("a\n  {{#x}}\nb")
        #expect(unclosed?.line == 2 && unclosed?.column == 3)
        #expect(unclosed?.message == "{{#x}} is never closed" && unclosed?.fix == "add {{/x}} where the section ends")
        #expect(failure("é{{/y}}")?.column == 2)
        #expect(failure("\n\n{{ upper(name) }}")?.line == 3)
        #expect(failure("{{<layout}}{{title}}{{/layout}}")?.message == "a tag inside a {{<parent}} block outside any {{$block}}")
        #expect(failure("x {{title")?.message == "the tag opened here is never closed")
        #expect(failure("{{=<%=}}")?.message == "bad set-delimiter tag")
    }

    /// Compiling goes on past a problem, so every problem of a template is reported at once.
    @Test func everyProblemIsReportedWhereItIs() {
        let text = "<ul>\n{{#items}}\n<li>{{^empty}}{{name}}</li>\n{{/items}}\n{{/stray}}\n{{title</h1>\n{{>part}} {{<layout}}{{/layout}}\n"
        let compiled = MustacheTemplate.compile(text)
        #expect(compiled.template == nil)
        #expect(compiled.problems.map { "\($0.line):\($0.column) \($0.message) — \($0.fix)" } == [
            "3:5 {{^empty}} is never closed — add {{/empty}} before {{/items}} on line 4",
            "5:1 {{/stray}} closes a section that was never opened — remove it or add the matching {{#stray}}",
            "6:1 the tag opened here is never closed — end it with '}}' on the same line",
        ])
        #expect(compiled.references.map { "\($0.kind)\($0.name)@\($0.line):\($0.column)" } == [">part@7:1", "<layout@7:11"])
        #expect(MustacheTemplate.compile("{{#a}}{{#b}}").problems.map(\.message) == ["{{#b}} is never closed", "{{#a}} is never closed"])
        #expect(MustacheTemplate.compile("ok {{x}}").problems.isEmpty)
    }
}
