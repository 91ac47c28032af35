import CCMarkGFM
import Foundation

// The only file in Materia that calls cmark-gfm. Every cmark object is created and freed in the
// function that owns it, and no cmark pointer leaves this file: callers get Swift values.

/// Converts Markdown to HTML with Debian's cmark-gfm, with Materia's safety and accessibility fixes.
public enum MarkdownRenderer {
    /// cmark-gfm 0.29 rewrites a process-wide table of special characters on every parser
    /// (upstream PR #176), so two parsers on two threads corrupt each other's output without
    /// any error. Every call into cmark goes through this lock; callers parallelise the rest.
    private static let cmarkLock = NSLock()

    /// Parse options: GFM + footnotes + smart punctuation. Kept apart from the render options so
    /// that parse-only flags (such as source positions) never leak into the HTML.
    private static let parseOptions: Int32 = CMARK_OPT_FOOTNOTES | CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8

    /// Render options. UNSAFE is set because Materia itself inserts HTML nodes (heading ids, table
    /// captions, task-list labels); raw HTML written by authors is turned into text before rendering
    /// unless the site opts in, and dangerous link schemes are removed in the tree.
    private static let renderOptions: Int32 = CMARK_OPT_UNSAFE | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES | CMARK_OPT_FOOTNOTES

    private static let extensionNames = ["table", "strikethrough", "autolink", "tagfilter"]

    nonisolated(unsafe) private static var extensionsRegistered = false

    /// Renders one Markdown document. Thread-safe: cmark work is serialised internally.
    public static func render(_ source: String, options: MarkdownOptions = MarkdownOptions()) -> RenderedMarkdown {
        cmarkLock.lock()
        defer { cmarkLock.unlock() }
        if !extensionsRegistered {
            // Must run once before cmark_find_syntax_extension, or every lookup returns NULL.
            cmark_gfm_core_extensions_ensure_registered()
            extensionsRegistered = true
        }

        let options = options
        let parseFlags = options.isFragment ? parseOptions & ~CMARK_OPT_FOOTNOTES : parseOptions
        guard let parser = cmark_parser_new(parseFlags) else {
            fatalError("cmark_parser_new failed: out of memory")
        }
        defer { cmark_parser_free(parser) }
        for name in extensionNames {
            if let ext = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, ext)
            }
        }
        var utf8 = Array(source.utf8)
        utf8.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) { pointer in
                cmark_parser_feed(parser, pointer, buffer.count)
            }
        }
        if utf8.isEmpty { utf8 = [] }
        guard let document = cmark_parser_finish(parser) else {
            fatalError("cmark_parser_finish failed: out of memory")
        }
        defer { cmark_node_free(document) }
        // With NULL here, tagfilter silently stops filtering: always pass the parser's list.
        let extensions = cmark_parser_get_syntax_extensions(parser)

        var transformer = TreeTransformer(options: options, extensions: extensions)
        transformer.transform(document)

        guard let cString = cmark_render_html(document, renderOptions, extensions) else {
            fatalError("cmark_render_html failed: out of memory")
        }
        defer { free(cString) }
        let html = String(cString: cString)
        return RenderedMarkdown(html: html, headings: transformer.headings, wordCount: countWords(source))
    }

    private static func countWords(_ source: String) -> Int {
        var count = 0
        var inWord = false
        for byte in source.utf8 {
            let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
            if isSpace {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// Rewrites the parsed tree in place before it is rendered.
    private struct TreeTransformer {
        let options: MarkdownOptions
        let extensions: UnsafeMutablePointer<cmark_llist>?
        var headings: [Heading] = []
        var usedIDs: Set<String>

        init(options: MarkdownOptions, extensions: UnsafeMutablePointer<cmark_llist>?) {
            self.options = options
            self.extensions = extensions
            self.usedIDs = options.reservedIDs
        }

        mutating func transform(_ document: OpaquePointer) {
            var rawInline: [OpaquePointer] = []
            var rawBlocks: [OpaquePointer] = []
            var links: [OpaquePointer] = []
            var items: [OpaquePointer] = []
            var headingNodes: [OpaquePointer] = []
            var tables: [OpaquePointer] = []

            guard let iterator = cmark_iter_new(document) else { return }
            while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
                guard cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER,
                      let node = cmark_iter_get_node(iterator) else { continue }
                let type = cmark_node_get_type(node)
                switch type {
                case CMARK_NODE_HTML_INLINE: rawInline.append(node)
                case CMARK_NODE_HTML_BLOCK: rawBlocks.append(node)
                case CMARK_NODE_LINK, CMARK_NODE_IMAGE: links.append(node)
                case CMARK_NODE_ITEM: items.append(node)
                case CMARK_NODE_HEADING: headingNodes.append(node)
                default:
                    if typeString(node) == "table" { tables.append(node) }
                }
            }
            cmark_iter_free(iterator)

            if !options.allowRawHTML {
                for node in rawInline { escapeRawInline(node) }
                for node in rawBlocks { escapeRawBlock(node) }
            }
            for node in links { sanitizeURL(node) }
            for node in items { labelTaskItem(node) }
            for node in headingNodes {
                if options.isFragment { flattenHeading(node) } else { anchorHeading(node) }
            }
            for node in tables { captionTable(node) }
        }

        private func typeString(_ node: OpaquePointer) -> String {
            guard let pointer = cmark_node_get_type_string(node) else { return "" }
            return String(cString: pointer)
        }

        private func literal(_ node: OpaquePointer) -> String {
            guard let pointer = cmark_node_get_literal(node) else { return "" }
            return String(cString: pointer)
        }

        /// Authors' raw HTML becomes visible text: `<script>` shows as `&lt;script&gt;`.
        private func escapeRawInline(_ node: OpaquePointer) {
            let text = makeNode(CMARK_NODE_TEXT, literal: literal(node))
            cmark_node_replace(node, text)
            cmark_node_free(node)
        }

        private func escapeRawBlock(_ node: OpaquePointer) {
            var source = literal(node)
            while source.hasSuffix("\n") { source.removeLast() }
            let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH)!
            cmark_node_append_child(paragraph, makeNode(CMARK_NODE_TEXT, literal: source))
            cmark_node_replace(node, paragraph)
            cmark_node_free(node)
        }

        /// Removes script-capable URL schemes; render runs with UNSAFE, so cmark would not.
        private func sanitizeURL(_ node: OpaquePointer) {
            guard let pointer = cmark_node_get_url(node) else { return }
            let url = String(cString: pointer)
            if !URLSafety.isSafe(url, isImage: cmark_node_get_type(node) == CMARK_NODE_IMAGE) {
                cmark_node_set_url(node, "")
            }
        }

        /// `- [ ] task` / `- [x] task`: a disabled checkbox wrapped with its text in a `<label>`,
        /// so that screen readers announce what the box stands for.
        private func labelTaskItem(_ item: OpaquePointer) {
            guard let paragraph = cmark_node_first_child(item),
                  cmark_node_get_type(paragraph) == CMARK_NODE_PARAGRAPH else { return }
            // cmark splits "[ ]" into several text nodes at the bracket; join the leading ones.
            var leading: [OpaquePointer] = []
            var prefix = ""
            var child = cmark_node_first_child(paragraph)
            while let node = child, cmark_node_get_type(node) == CMARK_NODE_TEXT, prefix.utf8.count < 4 {
                leading.append(node)
                prefix += literal(node)
                child = cmark_node_next(node)
            }
            let checked: Bool
            if prefix.hasPrefix("[ ] ") {
                checked = false
            } else if prefix.hasPrefix("[x] ") || prefix.hasPrefix("[X] ") {
                checked = true
            } else {
                return
            }
            let rest = String(prefix.dropFirst(4))
            for node in leading.dropFirst() {
                cmark_node_unlink(node)
                cmark_node_free(node)
            }
            let first = leading[0]
            if rest.isEmpty {
                cmark_node_unlink(first)
                cmark_node_free(first)
            } else {
                cmark_node_set_literal(first, rest)
            }
            let box = checked
                ? "<label class=\"task\"><input type=\"checkbox\" disabled checked> "
                : "<label class=\"task\"><input type=\"checkbox\" disabled> "
            cmark_node_prepend_child(paragraph, makeNode(CMARK_NODE_HTML_INLINE, literal: box))
            cmark_node_append_child(paragraph, makeNode(CMARK_NODE_HTML_INLINE, literal: "</label>"))
        }

        /// cmark-gfm gives headings no ids; each gets a unique slug for the table of contents.
        private mutating func anchorHeading(_ node: OpaquePointer) {
            let level = Int(cmark_node_get_heading_level(node))
            let text = plainText(node)
            let id = uniqueID(for: text)
            headings.append(Heading(level: level, text: text, id: id, line: Int(cmark_node_get_start_line(node))))
            var html = renderNode(node)
            let openTag = "<h\(level)>"
            if html.hasPrefix(openTag) {
                html = "<h\(level) id=\"\(id)\">" + html.dropFirst(openTag.count)
            }
            replace(node, withHTMLBlock: html)
        }

        /// A heading inside a fragment becomes `<p><strong>…</strong></p>`. Rendered to a string
        /// first: inline literals point into their block's buffer, so they must not outlive it.
        private func flattenHeading(_ node: OpaquePointer) {
            let level = Int(cmark_node_get_heading_level(node))
            var html = renderNode(node)
            let open = "<h\(level)>", close = "</h\(level)>\n"
            if html.hasPrefix(open) && html.hasSuffix(close) {
                html = "<p><strong>" + html.dropFirst(open.count).dropLast(close.count) + "</strong></p>\n"
            }
            replace(node, withHTMLBlock: html)
        }

        /// Tables get `scope` on header cells, a caption from a preceding `Table: …` paragraph,
        /// and a scrolling wrapper so wide tables do not break narrow screens.
        private func captionTable(_ table: OpaquePointer) {
            var caption: String?
            if let previous = cmark_node_previous(table), cmark_node_get_type(previous) == CMARK_NODE_PARAGRAPH,
               let first = cmark_node_first_child(previous), cmark_node_get_type(first) == CMARK_NODE_TEXT,
               literal(first).hasPrefix("Table: ") {
                let rest = String(literal(first).dropFirst("Table: ".count))
                cmark_node_set_literal(first, rest)
                var inner = renderNode(previous)
                inner = String(inner.trimmingSuffix("\n"))
                if inner.hasPrefix("<p>") && inner.hasSuffix("</p>") {
                    inner = String(inner.dropFirst(3).dropLast(4))
                }
                caption = inner
                cmark_node_unlink(previous)
                cmark_node_free(previous)
            }
            var html = renderNode(table)
            html = html.replacingOccurrences(of: "<th>", with: "<th scope=\"col\">")
            html = html.replacingOccurrences(of: "<th style=", with: "<th scope=\"col\" style=")
            if let caption, html.hasPrefix("<table>") {
                html = "<table>\n<caption>\(caption)</caption>" + html.dropFirst("<table>".count)
            }
            replace(table, withHTMLBlock: "<div class=\"table-wrap\">\n" + html + "</div>\n")
        }

        private func renderNode(_ node: OpaquePointer) -> String {
            guard let cString = cmark_render_html(node, MarkdownRenderer.renderOptions, extensions) else { return "" }
            defer { free(cString) }
            return String(cString: cString)
        }

        private func replace(_ node: OpaquePointer, withHTMLBlock html: String) {
            let block = makeNode(CMARK_NODE_HTML_BLOCK, literal: html)
            cmark_node_replace(node, block)
            cmark_node_free(node)
        }

        private func makeNode(_ type: cmark_node_type, literal: String) -> OpaquePointer {
            let node = cmark_node_new(type)!
            cmark_node_set_literal(node, literal)
            return node
        }

        private func plainText(_ root: OpaquePointer) -> String {
            var text = ""
            guard let iterator = cmark_iter_new(root) else { return "" }
            defer { cmark_iter_free(iterator) }
            while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
                guard cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER,
                      let node = cmark_iter_get_node(iterator) else { continue }
                switch cmark_node_get_type(node) {
                case CMARK_NODE_TEXT, CMARK_NODE_CODE: text += literal(node)
                case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK: text += " "
                default: break
                }
            }
            return text.trimmingCharacters(in: .whitespaces)
        }

        private mutating func uniqueID(for text: String) -> String {
            let base = Slug.make(text, fallback: "section")
            var candidate = base
            var counter = 1
            while usedIDs.contains(candidate) || MarkdownRenderer.isFootnoteID(candidate) {
                candidate = "\(base)-\(counter)"
                counter += 1
            }
            usedIDs.insert(candidate)
            return candidate
        }
    }

    /// cmark-gfm names footnotes `fn-N` and their references `fnref-N`.
    fileprivate static func isFootnoteID(_ id: String) -> Bool {
        for prefix in ["fn-", "fnref-"] where id.hasPrefix(prefix) {
            let rest = id.dropFirst(prefix.count)
            if !rest.isEmpty && rest.allSatisfy(\.isNumber) { return true }
        }
        return false
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> Substring {
        var result = Substring(self)
        while result.hasSuffix(suffix) { result = result.dropLast(suffix.count) }
        return result
    }
}
