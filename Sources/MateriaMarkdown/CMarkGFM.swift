import CCMarkGFM
import CMarkGFMArena
import CMarkGFMInlineChars
import CTextScan
import Foundation
import Synchronization

// The only file in Materia that calls cmark-gfm. Every cmark object belongs to the document being
// converted and is released when that document is done (`withDocument`, through the thread's
// arena, or node by node for the benchmark's stock floor), and no cmark pointer leaves this file:
// callers get Swift values.

/// Converts Markdown to HTML with Debian's cmark-gfm, with Materia's safety and accessibility fixes.
public enum MarkdownRenderer {
    /// cmark-gfm 0.29 rewrites a process-wide table of special characters around every parse of
    /// inlines (upstream PR #176), so two parsers on two threads corrupt each other's output
    /// without any error. The CMarkGFMInlineChars target replaces the library function that does
    /// it, so that the table is filled once and then only read; `parsesInParallel` checks that the
    /// library really calls the replacement. Until it is known to, and always if it does not,
    /// creating, feeding and finishing a parser go through this lock. The tree that comes out
    /// belongs to its caller, so rewriting it and rendering it to HTML run in parallel either way.
    private static let cmarkLock = NSLock()

    /// Whether parsers may run on several threads at once: true once a parse with the extensions
    /// went through Materia's replacement of cmark_manage_extensions_special_characters. Decided
    /// by one probe parse under the lock, the first time anything is parsed; registering the
    /// extensions (which must happen once, before any lookup) is part of it.
    public static let parsesInParallel: Bool = {
        cmarkLock.lock()
        defer { cmarkLock.unlock() }
        cmark_gfm_core_extensions_ensure_registered()
        autolinkCharacters.leaveOutW()
        let before = materia_cmark_inline_chars_calls()
        let mark = materia_arena_begin()
        defer { materia_arena_end(mark) }
        let parser = makeParser()
        let probe = Array("~~probe~~".utf8CString)
        probe.withUnsafeBufferPointer { cmark_parser_feed(parser, $0.baseAddress!, $0.count - 1) }
        if let document = cmark_parser_finish(parser) { cmark_node_free(document) }
        cmark_parser_free(parser)
        return materia_cmark_inline_chars_calls() > before
    }()

    /// cmark-gfm's allocations go to the calling thread's arena (CMarkGFMArena): a document and
    /// its parser are released together when the document is done, not node by node. Nodes
    /// Materia adds to a tree come from it too. One constant table of three functions: which
    /// arena they use depends on the thread that calls them.
    nonisolated(unsafe) fileprivate static let arena = materia_arena_allocator().assumingMemoryBound(to: cmark_mem.self)

    /// cmark-gfm's own allocator (the C library's calloc, realloc and free), for the stock floor.
    nonisolated(unsafe) fileprivate static let libraryMemory: UnsafeMutablePointer<cmark_mem> = cmark_get_default_mem_allocator()

    /// Bytes the calling thread's arena holds (for tests: after a document it is back to what it
    /// held before).
    static var arenaBytesOnThisThread: Int { materia_arena_reserved() }

    /// A parser with Materia's options and extensions, in the calling thread's arena (`memory`,
    /// unless the stock floor passes cmark-gfm's own allocator): it lives until the arena's current
    /// document ends.
    /// `autolink` is the autolink extension to attach in its place (nil: none), for a text in which
    /// it can find nothing or no address; `tagfilter` false leaves out the tag filter, for a text
    /// whose raw HTML Materia escapes (see `withDocument`).
    fileprivate static func makeParser(autolink: OpaquePointer? = autolinkExtension, tagfilter: Bool = true,
                                       memory: UnsafeMutablePointer<cmark_mem> = arena) -> OpaquePointer {
        guard let parser = cmark_parser_new_with_mem(parseOptions, memory) else {
            fatalError("cmark_parser_new failed: out of memory")
        }
        for ext in syntaxExtensions where tagfilter || ext != tagfilterExtension {
            if ext != autolinkExtension {
                cmark_parser_attach_syntax_extension(parser, ext)
            } else if let autolink {
                cmark_parser_attach_syntax_extension(parser, autolink)
            }
        }
        return parser
    }

    /// Parse options: GFM + footnotes + smart punctuation. Kept apart from the render options so
    /// that parse-only flags (such as source positions) never leak into the HTML. No
    /// CMARK_OPT_VALIDATE_UTF8: every text comes from a Swift String, which is valid UTF-8 (the
    /// loader reports files that are not), so checking it again cost a pass over every line; a
    /// NUL still becomes U+FFFD without it (a test checks).
    private static let parseOptions: Int32 = CMARK_OPT_FOOTNOTES | CMARK_OPT_SMART

    /// Render options. UNSAFE is set because Materia itself inserts HTML nodes (heading ids, table
    /// captions, task-list labels); raw HTML written by authors is turned into text before rendering
    /// unless the site opts in, and dangerous link schemes are removed in the tree.
    private static let renderOptions: Int32 = CMARK_OPT_UNSAFE | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES | CMARK_OPT_FOOTNOTES

    private static let extensionNames = ["table", "strikethrough", "autolink", "tagfilter"]

    /// The registered extensions, looked up by name once: they live as long as the process. First
    /// read by the probe in `parsesInParallel`, after it has registered them.
    nonisolated(unsafe) private static let syntaxExtensions: [OpaquePointer] =
        extensionNames.compactMap { cmark_find_syntax_extension($0) }

    /// Two of `syntaxExtensions`, by name, to leave out or replace per text. Like that list they
    /// must first be read after the probe in `parsesInParallel` has registered the extensions
    /// (looked up before, they would stay nil and the extension would never be attached): the
    /// probe reads them first (`makeParser`, `leaveOutW`), and `withDocument` only after it has
    /// asked for `parsesInParallel`.
    nonisolated(unsafe) fileprivate static let autolinkExtension: OpaquePointer? = cmark_find_syntax_extension("autolink")

    /// A second autolink extension that finds links while parsing (`https://…`, `www.…`) but does
    /// not search the text for addresses afterwards: its walk over the whole tree (and a second
    /// joining of its text nodes) finds nothing in a text without "@" or "&". Never registered, so
    /// only parsers Materia gives it use it.
    nonisolated(unsafe) fileprivate static let autolinkWithoutAddresses: OpaquePointer? = {
        guard let autolink = create_autolink_extension() else { return nil }
        cmark_syntax_extension_set_postprocess_func(autolink) { _, _, root in root }
        return autolink
    }()
    /// See `autolinkExtension`.
    nonisolated(unsafe) private static let tagfilterExtension: OpaquePointer? = cmark_find_syntax_extension("tagfilter")

    /// Which characters make the autolink extension stop and look (see `AutolinkCharacters`).
    private static let autolinkCharacters = AutolinkCharacters()

    /// Parses `source` (under the lock unless parses may overlap) and hands the document and the
    /// parser's extension list to `body`, outside the lock. The parser, the document and
    /// everything `body` allocates through cmark are released together when `body` returns: no
    /// cmark pointer may outlive it, and all of it runs on the calling thread (whose arena it is).
    ///
    /// cmark-gfm's autolink extension finds links in text by itself (`https://…`, `www.…`,
    /// addresses), and cost 3.8 % of the benchmark build's instructions for nothing: it walks every
    /// document's tree once more after parsing, and it stops at every "w" of the text to look for
    /// "www." (each stop splits the text there; the pieces are joined again). So a text that holds
    /// none of the forms it looks for is parsed without it, one that can hold no address with a
    /// copy that does not search for addresses after parsing (`autolinkWithoutAddresses`), and "w"
    /// is left out of its characters until some text holds "www." (`AutolinkCharacters`): the HTML
    /// is the same.
    /// `stock` parses as cmark-gfm does with every extension, for the floor's comparison;
    /// `libraryAllocator` leaves the arena out too: the parser and the tree then come from
    /// cmark-gfm's own allocator (`libraryMemory`) and are freed node by node, as a program calling
    /// the library directly gets them (the stock floor, `stockHTML`).
    ///
    /// `rawHTML` false: Materia turns the text's raw HTML into text before rendering (a site that
    /// has not opted in), so the only HTML left is Materia's own (heading ids, tables, task labels,
    /// directives), which never holds the tags the tagfilter extension disables (`<script>`,
    /// `<style>`, `<iframe>`, …). The extension is left out then: it scanned each of those HTML
    /// nodes at every "<" while rendering (1.2 % of the benchmark build's instructions).
    private static func withDocument<R>(_ source: String, stock: Bool = false, libraryAllocator: Bool = false, rawHTML: Bool = true,
                                        _ body: (_ document: OpaquePointer, _ extensions: UnsafeMutablePointer<cmark_llist>?, _ mark: materia_arena_mark) -> R) -> R {
        let forms = stock ? (any: true, www: true, address: true) : autolinkForms(source)
        if forms.www { autolinkCharacters.includeW() }
        let mark = materia_arena_begin()
        let locked = !parsesInParallel
        autolinkCharacters.beginParse()
        if locked { cmarkLock.lock() }
        let autolink = !forms.any ? nil : forms.address ? autolinkExtension : autolinkWithoutAddresses ?? autolinkExtension
        let parser = makeParser(autolink: autolink, tagfilter: rawHTML, memory: libraryAllocator ? libraryMemory : arena)
        var text = source
        // cmark copies what it is fed: the string's own UTF-8 is passed, not a copy of it.
        text.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { pointer in
                if let base = pointer.baseAddress { cmark_parser_feed(parser, base, pointer.count) }
            }
        }
        guard let document = cmark_parser_finish(parser) else {
            fatalError("cmark_parser_finish failed: out of memory")
        }
        if locked { cmarkLock.unlock() }
        autolinkCharacters.endParse()
        defer {
            // Only a document with blocks outside the arena's chunks (very large ones), or one the
            // arena never saw, is freed node by node; the chunks are released at once either way.
            if libraryAllocator || materia_arena_outstanding(mark) != 0 {
                cmark_node_free(document)
                cmark_parser_free(parser)
            }
            materia_arena_end(mark)
        }
        // With NULL here, tagfilter silently stops filtering: always pass the parser's list.
        return body(document, cmark_parser_get_syntax_extensions(parser), mark)
    }

    /// `body` of the node's HTML as cmark writes it, without making it a String.
    fileprivate static func withHTML<R>(_ node: OpaquePointer, _ extensions: UnsafeMutablePointer<cmark_llist>?,
                                        memory: UnsafeMutablePointer<cmark_mem> = arena,
                                        _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard let cString = cmark_render_html_with_mem(node, renderOptions, extensions, memory) else {
            fatalError("cmark_render_html failed: out of memory")
        }
        defer { memory.pointee.free(cString) }
        return body(UnsafeBufferPointer(start: UnsafeRawPointer(cString).assumingMemoryBound(to: UInt8.self), count: strlen(cString)))
    }

    fileprivate static func html(_ node: OpaquePointer, _ extensions: UnsafeMutablePointer<cmark_llist>?,
                                 memory: UnsafeMutablePointer<cmark_mem> = arena) -> String {
        withHTML(node, extensions, memory: memory) { String(decoding: $0, as: UTF8.self) }
    }

    /// cmark-gfm alone: parse and render to HTML with the same options and extensions, without
    /// Materia's tree rewriting. The benchmark's floor (`materia-floor`); not used by builds.
    public static func plainHTML(_ source: String) -> String {
        withDocument(source, stock: true) { document, extensions, _ in html(document, extensions) }
    }

    /// `plainHTML` as a program that calls cmark-gfm directly gets it: the parser, the tree and
    /// the HTML in cmark-gfm's own allocator (the C library's calloc and free, node by node),
    /// where `plainHTML` carves them out of Materia's arena. The same options, extensions and
    /// HTML. For the benchmark's floor (`materia-floor` times both); not used by builds. One thing
    /// is still Materia's: cmark-gfm's table of special characters is filled once per process
    /// (CMarkGFMInlineChars), not rewritten around every parse (256 bytes, twice per document).
    public static func stockHTML(_ source: String) -> String {
        withDocument(source, stock: true, libraryAllocator: true) { document, extensions, _ in
            html(document, extensions, memory: libraryMemory)
        }
    }

    /// Renders one Markdown document. Thread-safe: parses overlap only when `parsesInParallel`.
    public static func render(_ source: String, options: MarkdownOptions = MarkdownOptions()) -> RenderedMarkdown {
        if let plain = plainParagraph(source, options) {
            // Debug builds (the tests) check every such text against cmark-gfm itself.
            assert(plain == renderWithCMark(source, options: options), "the plain-paragraph path differs from cmark-gfm for: \(source)")
            return plain
        }
        return renderWithCMark(source, options: options)
    }

    /// `render` through cmark-gfm, for every text (the tests compare `plainParagraph` with it).
    static func renderWithCMark(_ source: String, options: MarkdownOptions) -> RenderedMarkdown {
        withDocument(source, rawHTML: options.allowRawHTML) { document, extensions, mark in
            render(document, extensions, source: source, options: options, mark: mark)
        }
    }

    /// A text that cmark-gfm and the rewriting turn into one paragraph of the text as it is — a
    /// line of words and plain punctuation, as most FAQ answers are — rendered without a parser:
    /// `<p>`, the text, `</p>`. Each such answer cost about 35,000 instructions through cmark-gfm
    /// (two per article in the benchmark's corpus, 3 % of a build's instructions). Nil for
    /// anything else, which goes through cmark-gfm:
    /// - a byte that could start Markdown syntax, an entity, raw HTML or a smart quote or dash
    ///   (only ASCII letters and digits, spaces, `,.?!;:()%/` and bytes of characters beyond
    ///   ASCII are taken; no control character, so no line break or tab), or `..` (an ellipsis);
    /// - a first byte other than an ASCII letter (list markers, indented code, a byte order
    ///   mark) or a space at the end (which cmark-gfm drops);
    /// - what the autolink extension could take (`://`, `www.`);
    /// - options that rewrite plain text: auto-linked terms, or `linkRoot` (whose replacement
    ///   would reach a literal `SiteLink.prefix`).
    /// Nothing in such a text needs escaping, and it holds no link, heading or problem.
    static func plainParagraph(_ source: String, _ options: MarkdownOptions) -> RenderedMarkdown? {
        guard options.autolink == .off, options.linkRoot == nil else { return nil }
        var text = source
        let plain = text.withUTF8 { bytes -> Bool in
            guard let first = bytes.first, let last = bytes.last, (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A, last != 0x20 else {
                return false
            }
            var previous: UInt8 = 0
            for byte in bytes {
                guard plainParagraphBytes[Int(byte)] else { return false }
                if byte == 0x2E && previous == 0x2E { return false }  // ".."
                previous = byte
            }
            return materia_autolink_forms(bytes.baseAddress, bytes.count) & Int32(MATERIA_AUTOLINK_ANY) == 0
        }
        guard plain else { return nil }
        return RenderedMarkdown(html: "<p>" + source + "</p>\n", headings: [], wordCount: countWords(source))
    }

    /// The bytes `plainParagraph` takes, by value.
    private static let plainParagraphBytes: [Bool] = (0...255).map { byte in
        switch UInt8(byte) {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x80...0xFF: return true
        default: return " ,.?!;:()%/".utf8.contains(UInt8(byte))
        }
    }

    private static func render(_ document: OpaquePointer, _ extensions: UnsafeMutablePointer<cmark_llist>?, source: String,
                               options: MarkdownOptions, mark: materia_arena_mark) -> RenderedMarkdown {

        // The transformer reads the Markdown's own UTF-8 (no copy): it lives only in this closure,
        // which hands on what it found.
        var text = source
        let (headings, records, externalLinks, problems, readsData) = text.withUTF8 { bytes in
            var transformer = TreeTransformer(options: options, extensions: extensions, source: bytes, arenaMark: mark)
            transformer.transform(document)
            return (transformer.headings, transformer.records, transformer.externalLinks, transformer.problems, transformer.readsData)
        }

        // A text for one page has its site links completed as cmark's output becomes a String
        // (the same one copy), not in a second pass over it when the page is written.
        var html = options.linkRoot.map { root in
            withHTML(document, extensions) { ByteText.string($0, replacing: SiteLink.prefix, with: root) ?? String(decoding: $0, as: UTF8.self) }
        } ?? html(document, extensions)
        if !options.footnotePrefix.isEmpty && ByteText.contains(html, "fn-") {
            // Only cmark writes these attributes: authors' raw HTML is text unless the site opts in.
            for (old, new) in [("id=\"fn-", "id=\"\(options.footnotePrefix)fn-"), ("href=\"#fn-", "href=\"#\(options.footnotePrefix)fn-"),
                               ("id=\"fnref-", "id=\"\(options.footnotePrefix)fnref-"), ("href=\"#fnref-", "href=\"#\(options.footnotePrefix)fnref-")] {
                html = ByteText.replacing(html, old, with: new)
            }
        }
        var rendered = RenderedMarkdown(html: html, headings: headings, wordCount: countWords(source))
        rendered.links = records
        rendered.externalLinks = externalLinks
        rendered.problems = problems
        rendered.readsData = readsData
        return rendered
    }

    /// Whether the autolink extension could find anything in `source` (`any`), whether it holds
    /// "www." in either case, and whether an address could come to be in its text (see
    /// `withDocument` and `materia_autolink_forms`).
    static func autolinkForms(_ source: String) -> (any: Bool, www: Bool, address: Bool) {
        var source = source
        let forms = source.withUTF8 { materia_autolink_forms($0.baseAddress, $0.count) }
        return (forms & Int32(MATERIA_AUTOLINK_ANY) != 0, forms & Int32(MATERIA_AUTOLINK_WWW) != 0,
                forms & Int32(MATERIA_AUTOLINK_ADDRESS) != 0)
    }

    /// Words separated by spaces, tabs, line feeds and carriage returns, counted sixteen bytes at
    /// a time (CTextScan; a byte-by-byte loop here was 2 % of a build's instructions).
    static func countWords(_ source: String) -> Int {
        var source = source
        return source.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return 0 }
            return materia_count_words(base, bytes.count)
        }
    }

    /// Rewrites the parsed tree in place before it is rendered.
    private struct TreeTransformer {
        let options: MarkdownOptions
        let extensions: UnsafeMutablePointer<cmark_llist>?
        var headings: [Heading] = []
        /// Heading ids given so far; the reserved ones stay in `options` (not copied in per document).
        var usedIDs: Set<String> = []
        var records: [LinkRecord] = []
        /// The link node of each record, until its sentence is read (then the tree changes).
        var recordNodes: [OpaquePointer?] = []
        var externalLinks: [ExternalLink] = []
        var problems: [MarkdownProblem] = []
        /// Whether a data directive was met (rendered or not): the text depends on the site's data.
        var readsData = false

        /// The Markdown as bytes, and where each line starts: positions of wikilinks and names are
        /// found in the source itself, because cmark's text has smart quotes, entities and escapes
        /// resolved (and its inline positions drift after multi-line spans).
        /// The String's own storage, valid only while `render` runs the transformer.
        let source: UnsafeBufferPointer<UInt8>
        let lineStarts: [Int]
        /// Where the thread's arena stood when this document began (see `discard`).
        let arenaMark: materia_arena_mark

        init(options: MarkdownOptions, extensions: UnsafeMutablePointer<cmark_llist>?, source: UnsafeBufferPointer<UInt8>,
             arenaMark: materia_arena_mark) {
            self.options = options
            self.extensions = extensions
            self.source = source
            self.arenaMark = arenaMark
            var starts = [0]
            if let base = source.baseAddress {
                var index = 0
                while index < source.count, let found = memchr(base + index, 0x0A, source.count - index) {
                    index = base.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
                    starts.append(index)
                }
            }
            self.lineStarts = starts
        }

        private func offset(of place: (line: Int, column: Int)) -> Int {
            guard place.line >= 1, place.line <= lineStarts.count else { return source.count }
            return min(source.count, lineStarts[place.line - 1] + max(0, place.column - 1))
        }

        private func place(of offset: Int) -> (line: Int, column: Int) {
            var low = 0, high = lineStarts.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
            }
            return (low + 1, offset - lineStarts[low] + 1)
        }

        /// The first occurrence of `needle` in the source at or after `from` (within a few
        /// thousand bytes: the same paragraph), as a byte offset.
        private func find(_ needle: [UInt8], from start: Int, caseInsensitive: Bool = false) -> Int? {
            guard let first = needle.first, !needle.isEmpty else { return nil }
            let limit = min(source.count - needle.count, start + 8_192)
            guard start <= limit else { return nil }
            func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }
            var index = max(0, start)
            while index <= limit {
                let head = caseInsensitive ? lower(source[index]) == lower(first) : source[index] == first
                if head {
                    var matched = true
                    for k in 1..<needle.count {
                        let a = source[index + k], b = needle[k]
                        if caseInsensitive ? lower(a) != lower(b) : a != b { matched = false; break }
                    }
                    if matched { return index }
                }
                index += 1
            }
            return nil
        }

        /// Where the block holding `node` starts, in the source: a safe place to start searching.
        private func blockStart(_ node: OpaquePointer) -> Int {
            var block = node
            while let parent = cmark_node_parent(block), (cmark_node_get_type(block).rawValue & 0xC000) == 0xC000 { block = parent }
            return offset(of: position(block))
        }

        mutating func transform(_ document: OpaquePointer) {
            var rawInline: [OpaquePointer] = []
            var rawBlocks: [OpaquePointer] = []
            var links: [OpaquePointer] = []
            var items: [OpaquePointer] = []
            var headingNodes: [OpaquePointer] = []
            var tables: [OpaquePointer] = []
            var codeBlocks: [OpaquePointer] = []
            var codeSpans: [OpaquePointer] = []
            // The text nodes: the steps before the wikilinks change no text node unless raw HTML is
            // escaped into text, and only then is the tree walked again (`textNodes(in:)`).
            var texts = TextNodes()

            guard let iterator = cmark_iter_new(document) else { return }
            while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
                guard let node = cmark_iter_get_node(iterator) else { continue }
                let type = cmark_node_get_type(node)
                let entering = cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER
                texts.step(node, type, entering: entering)
                guard entering else { continue }
                switch type {
                case CMARK_NODE_HTML_INLINE: rawInline.append(node)
                case CMARK_NODE_HTML_BLOCK: rawBlocks.append(node)
                case CMARK_NODE_LINK, CMARK_NODE_IMAGE: links.append(node)
                case CMARK_NODE_ITEM: items.append(node)
                case CMARK_NODE_HEADING: headingNodes.append(node)
                case CMARK_NODE_CODE_BLOCK: codeBlocks.append(node)
                case CMARK_NODE_CODE: codeSpans.append(node)
                case CMARK_NODE_TEXT, CMARK_NODE_PARAGRAPH, CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK, CMARK_NODE_EMPH,
                     CMARK_NODE_STRONG, CMARK_NODE_LIST:
                    break  // the common nodes, which are no table
                default:
                    if isTable(node) { tables.append(node) }
                }
            }
            cmark_iter_free(iterator)

            if !options.allowRawHTML {
                for node in rawInline { escapeRawInline(node) }
                for node in rawBlocks { escapeRawBlock(node) }
            }
            for node in links { sanitizeURL(node) }
            if let environment = options.environment {
                for node in codeBlocks { renderDirective(node, environment, inline: false) }
                for node in codeSpans { renderDirective(node, environment, inline: true) }
                for node in links { rewriteLink(node, environment) }
                // Each step hands on the list of text nodes as it leaves it.
                let escapedRawHTML = !options.allowRawHTML && !(rawInline.isEmpty && rawBlocks.isEmpty)
                let merged = mergeAdjacentText(escapedRawHTML ? textNodes(in: document) : texts.list)
                // A text without "[[" in its source, and with no escaped bracket or entity that
                // could make one, holds no wikilink: its text nodes are not looked at one by one.
                let linked = Self.mayHoldWikilinks(source) ? insertWikilinks(merged, environment) : merged
                if options.autolink != .off { insertAutolinks(linked, environment) }
                readContexts()
            }
            for node in items { labelTaskItem(node) }
            for node in headingNodes {
                if options.isFragment { flattenHeading(node) } else { anchorHeading(node) }
            }
            for node in tables { captionTable(node) }
        }

        // MARK: links and directives

        private func position(_ node: OpaquePointer, offset: Int = 0) -> (line: Int, column: Int) {
            (Int(cmark_node_get_start_line(node)), Int(cmark_node_get_start_column(node)) + offset)
        }

        /// Whether an ancestor of `node` is a link or an image (asked of the few text nodes with
        /// "[[" in them; the walk that finds the text nodes tells the auto-links which are covered).
        private func isInLinkOrImage(_ node: OpaquePointer) -> Bool {
            var parent = cmark_node_parent(node)
            while let current = parent {
                let type = cmark_node_get_type(current)
                if type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE { return true }
                parent = cmark_node_parent(current)
            }
            return false
        }

        /// ```` ```materia ```` blocks and `` `materia:…` `` spans become the HTML the site renders from its data.
        private mutating func renderDirective(_ node: OpaquePointer, _ environment: any MarkdownEnvironment, inline: Bool) {
            let text: String
            var leading = 0
            if inline {
                let code = literal(node)
                guard code.hasPrefix("materia:") else { return }
                let rest = code.dropFirst("materia:".count)
                leading = rest.prefix { $0 == " " }.count
                text = String(rest).trimmingCharacters(in: .whitespaces)
            } else {
                let info = cmark_node_get_fence_info(node).map { String(cString: $0) } ?? ""
                guard info.trimmingCharacters(in: .whitespaces) == "materia" else { return }
                text = literal(node)
            }
            readsData = true
            switch environment.directive(text, inline: inline) {
            case .success(let output):
                let place = position(node)
                for target in output.links {
                    records.append(LinkRecord(kind: .directive, path: target.path, fragment: nil, key: target.key,
                                              line: place.line, column: place.column, context: output.context))
                    recordNodes.append(nil)
                }
                replace(node, with: makeNode(inline ? CMARK_NODE_HTML_INLINE : CMARK_NODE_HTML_BLOCK, literal: output.html))
            case .failure(let error):
                var (line, column) = position(node)
                if inline {
                    // cmark puts a code span's column at its content, just after the backtick.
                    column += "materia:".count + leading + error.offset
                } else {
                    // The directive starts on the line after the opening fence, at the fence's
                    // column (a fence inside a list item or a quote is indented, and so is its text).
                    line += 1
                    column += error.offset
                }
                problems.append(MarkdownProblem(line: line, column: column, message: error.message, fix: error.fix))
            }
        }

        private mutating func record(_ kind: LinkRecord.Kind, _ node: OpaquePointer, path: String, fragment: String?, key: String?,
                                     at place: (line: Int, column: Int)) {
            records.append(LinkRecord(kind: kind, path: path, fragment: fragment, key: key, line: place.line, column: place.column, context: ""))
            recordNodes.append(node)
        }

        /// Markdown links: site paths and source files become final URLs; the rest is recorded.
        private mutating func rewriteLink(_ node: OpaquePointer, _ environment: any MarkdownEnvironment) {
            guard let pointer = cmark_node_get_url(node) else { return }
            let url = String(cString: pointer)
            let place = position(node)
            if url.isEmpty { return }
            if url.hasPrefix("#") {
                record(.markdown, node, path: "", fragment: String(url.dropFirst()), key: nil, at: place)
                return
            }
            if URLSafety.hasScheme(url) || url.hasPrefix("//") {
                let lowered = url.lowercased()
                if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") || url.hasPrefix("//") {
                    // Bare URLs (the autolink extension) carry no reliable position: find their text.
                    var at: (line: Int, column: Int) = place
                    let shown: String = cmark_node_first_child(node).map(literal) ?? ""
                    if !shown.isEmpty && url.hasSuffix(shown), let found = find(Array(shown.utf8), from: blockStart(node)) {
                        let before: UInt8 = found > 0 ? source[found - 1] : 0
                        let start: Int = before == 0x3C ? found - 1 : found
                        at = self.place(of: start)
                    }
                    externalLinks.append(ExternalLink(url: url.hasPrefix("//") ? "https:" + url : url, line: at.line, column: at.column))
                }
                return
            }
            switch environment.markdownLink(url) {
            case let .page(path, fragment, key, _):
                setURL(node, path: path, fragment: fragment)
                // An image is checked like a link but links nothing: it is not a mention.
                let isImage: Bool = cmark_node_get_type(node) == CMARK_NODE_IMAGE
                record(.markdown, node, path: path, fragment: fragment, key: isImage ? nil : key, at: place)
            case .unchanged:
                break
            case let .failure(message, fix):
                problems.append(MarkdownProblem(line: place.line, column: place.column, message: message, fix: fix))
            }
        }

        /// The document's text nodes, found by a walk of their own (see `TextNodes`).
        private func textNodes(in document: OpaquePointer) -> [(node: OpaquePointer, section: Int, covered: Bool)] {
            var texts = TextNodes()
            guard let iterator = cmark_iter_new(document) else { return [] }
            while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
                guard let node = cmark_iter_get_node(iterator) else { continue }
                texts.step(node, cmark_node_get_type(node), entering: cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER)
            }
            cmark_iter_free(iterator)
            return texts.list
        }

        /// The text nodes a walk over the tree passes, in order, each with its section (the
        /// number of headings before it) and whether it is covered: inside a link, an image or a
        /// heading (their text is never auto-linked). Told of every node the walk enters and leaves.
        private struct TextNodes {
            private(set) var list: [(node: OpaquePointer, section: Int, covered: Bool)] = []
            private var section = 0
            /// How many links, images and headings the walk is inside.
            private var covering = 0

            @inline(__always)
            mutating func step(_ node: OpaquePointer, _ type: cmark_node_type, entering: Bool) {
                let isCover = type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE || type == CMARK_NODE_HEADING
                guard entering else {
                    if isCover { covering -= 1 }
                    return
                }
                if isCover { covering += 1 }
                if type == CMARK_NODE_HEADING { section += 1 }
                if type == CMARK_NODE_TEXT { list.append((node, section, covering > 0)) }
            }
        }

        /// cmark splits text at every bracket; wikilinks and names are found in whole runs of text.
        /// Joins runs of adjacent text nodes (`texts`, in document order) into their first node,
        /// and returns the text nodes left.
        private func mergeAdjacentText(_ texts: [(node: OpaquePointer, section: Int, covered: Bool)]) -> [(node: OpaquePointer, section: Int, covered: Bool)] {
            var kept: [(node: OpaquePointer, section: Int, covered: Bool)] = []
            kept.reserveCapacity(texts.count)
            var index = 0
            while index < texts.count {
                let first = texts[index].node
                kept.append(texts[index])
                // Most text nodes stand alone: no String is made for them.
                guard let after = cmark_node_next(first), cmark_node_get_type(after) == CMARK_NODE_TEXT else {
                    index += 1
                    continue
                }
                // The nodes merged are the siblings that follow: the next ones of the walk.
                var text = literal(first)
                var next = cmark_node_next(first)
                var merged: [OpaquePointer] = []
                while let node = next, cmark_node_get_type(node) == CMARK_NODE_TEXT {
                    text += literal(node)
                    merged.append(node)
                    next = cmark_node_next(node)
                }
                cmark_node_set_literal(first, text)
                for node in merged {
                    cmark_node_unlink(node)
                    discard(node)
                }
                index += 1 + merged.count
            }
            return kept
        }

        /// Replaces `node` by the pieces: text runs and links, in order.
        private func split(_ node: OpaquePointer, into pieces: [OpaquePointer]) {
            for piece in pieces { cmark_node_insert_before(node, piece) }
            cmark_node_unlink(node)
            discard(node)
        }

        /// Sets `node`'s URL to `SiteLink.prefix` (when `prefixed`), `path`, and "#" and `fragment`
        /// when there is one, written once with its NUL for cmark-gfm to copy (joined as a String
        /// and then made a C string, each link's URL took two allocations and two copies).
        private func setURL(_ node: OpaquePointer, prefixed: Bool = true, path: String, fragment: String?) {
            var prefix = prefixed ? SiteLink.prefix : "", path = path, rest = fragment.map { "#" + $0 } ?? ""
            let count = prefix.utf8.count + path.utf8.count + rest.utf8.count + 1
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
                var at = 0
                func put(_ text: inout String) {
                    text.withUTF8 { bytes in
                        guard let base = bytes.baseAddress else { return }
                        (buffer.baseAddress! + at).update(from: base, count: bytes.count)
                        at += bytes.count
                    }
                }
                put(&prefix)
                put(&path)
                put(&rest)
                buffer[at] = 0
                cmark_node_set_url(node, UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self))
            }
        }

        /// A link to `path` below the site's root (`prefixed`; else a link on this page) and `fragment`.
        private func makeLink(prefixed: Bool = true, path: String, fragment: String? = nil, label: String) -> OpaquePointer {
            let link = cmark_node_new_with_mem(CMARK_NODE_LINK, MarkdownRenderer.arena)!
            setURL(link, prefixed: prefixed, path: path, fragment: fragment)
            cmark_node_append_child(link, makeNode(CMARK_NODE_TEXT, literal: label))
            return link
        }

        /// `[[target]]`, `[[target|label]]`, `[[target#heading]]` become links; unknown targets are problems.
        /// Wikilinks in `texts` become links; returns the text nodes as they are afterwards (a node
        /// with links in it gives way to its runs of text).
        private mutating func insertWikilinks(_ texts: [(node: OpaquePointer, section: Int, covered: Bool)], _ environment: any MarkdownEnvironment)
            -> [(node: OpaquePointer, section: Int, covered: Bool)] {
            var result: [(node: OpaquePointer, section: Int, covered: Bool)] = []
            result.reserveCapacity(texts.count)
            for (node, section, covered) in texts {
                var replaced: [OpaquePointer]?
                defer {
                    if let replaced {
                        for piece in replaced where cmark_node_get_type(piece) == CMARK_NODE_TEXT { result.append((piece, section, covered)) }
                    } else {
                        result.append((node, section, covered))
                    }
                }
                // Checked on the C string: most text nodes hold no "[[" and never become Strings.
                guard let raw = cmark_node_get_literal(node), strstr(raw, "[[") != nil else { continue }
                let text = literal(node)
                // Inside a link's text (or an image's alt) a link cannot nest: show the label.
                if isInLinkOrImage(node) {
                    cmark_node_set_literal(node, Self.wikilinkLabels(text))
                    continue
                }
                let utf8 = Array(text.utf8)
                var pieces: [OpaquePointer] = []
                var made: [(OpaquePointer, LinkRecord)] = []
                var cursor = 0, index = 0
                var searchFrom = min(offset(of: position(node)), blockStart(node))
                while index + 1 < utf8.count {
                    guard utf8[index] == 0x5B, utf8[index + 1] == 0x5B,
                          let close = (index + 2..<max(index + 2, utf8.count - 1)).first(where: { utf8[$0] == 0x5D && utf8[$0 + 1] == 0x5D }) else {
                        index += 1
                        continue
                    }
                    let inner = String(decoding: utf8[(index + 2)..<close], as: UTF8.self)
                    // Find "[[target" in the source. Not there means the brackets were escaped
                    // (\[\[) or made by an entity: text, not a wikilink.
                    var needle: [UInt8] = [0x5B, 0x5B]
                    for byte in inner.utf8 {
                        if byte == 0x7C || byte == 0x23 { break }
                        needle.append(byte)
                    }
                    guard let found = find(needle, from: searchFrom) else {
                        index = close + 2
                        continue
                    }
                    searchFrom = found + 2
                    let place = self.place(of: found)
                    var target = inner, label: String?
                    if let bar = inner.firstIndex(of: "|") {
                        target = String(inner[..<bar])
                        label = String(inner[inner.index(after: bar)...]).trimmingCharacters(in: .whitespaces)
                    }
                    var fragment: String?
                    if let hash = target.firstIndex(of: "#") {
                        fragment = String(target[target.index(after: hash)...]).trimmingCharacters(in: .whitespaces)
                        target = String(target[..<hash])
                    }
                    target = target.trimmingCharacters(in: .whitespaces)
                    if let fragment, fragment.isEmpty {
                        problems.append(MarkdownProblem(line: place.0, column: place.1, message: "wikilink '[[\(inner)]]' has an empty '#' anchor",
                                                        fix: "name a heading after '#', or remove the '#'"))
                        index = close + 2
                        continue
                    }
                    switch target.isEmpty && fragment != nil ? .page(path: "", fragment: fragment, key: nil, title: nil) : environment.wikilink(target) {
                    case let .page(path, _, key, title):
                        if cursor < index {
                            pieces.append(makeNode(CMARK_NODE_TEXT, literal: String(decoding: utf8[cursor..<index], as: UTF8.self)))
                        }
                        // "[[symptom:fatigue]]" shows "fatigue"; an article shows its title.
                        let bare = target.split(separator: ":", maxSplits: 1).last.map(String.init) ?? target
                        let shown = label.flatMap { $0.isEmpty ? nil : $0 } ?? title ?? (target.isEmpty ? fragment ?? "" : bare)
                        let link = makeLink(prefixed: !path.isEmpty, path: path, fragment: fragment, label: shown)
                        pieces.append(link)
                        made.append((link, LinkRecord(kind: .wikilink, path: path, fragment: fragment, key: key,
                                                      line: place.0, column: place.1, context: "")))
                        cursor = close + 2
                    case .unchanged:
                        break
                    case let .failure(message, fix):
                        problems.append(MarkdownProblem(line: place.0, column: place.1, message: message, fix: fix))
                    }
                    index = close + 2
                }
                // "[[" left without its "]]" in this run of text: a typo, a table bar that split
                // it, or formatting inside the label. Say so instead of printing brackets.
                if let open = text.range(of: "[["), !text[open.upperBound...].contains("]]") || made.isEmpty && !text.contains("]]"),
                   let found = find([0x5B, 0x5B], from: min(offset(of: position(node)), blockStart(node))) {
                    let at = place(of: found)
                    problems.append(MarkdownProblem(line: at.line, column: at.column, message: "a wikilink opened here is not closed",
                                                    fix: "close it with ']]' on the same line; in a table write the label bar as '\\|'; keep the label plain text"))
                }
                guard !made.isEmpty else { continue }
                if cursor < utf8.count {
                    pieces.append(makeNode(CMARK_NODE_TEXT, literal: String(decoding: utf8[cursor...], as: UTF8.self)))
                }
                split(node, into: pieces)
                replaced = pieces
                for (link, record) in made {
                    records.append(record)
                    recordNodes.append(link)
                }
            }
            return result
        }

        /// Whether a text node of `source` can hold "[[": only a literal "[[", a backslash-escaped
        /// bracket ("\[") or an entity ("&#91;", "&lsqb;") puts a bracket into cmark's text.
        static func mayHoldWikilinks(_ source: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let base = source.baseAddress else { return false }
            return materia_may_hold_wikilinks(base, source.count) != 0
        }

        /// "see [[magnesium|this mineral]]" → "see this mineral".
        static func wikilinkLabels(_ text: String) -> String {
            var result = "", rest = text[...]
            while let open = rest.range(of: "[["), let close = rest[open.upperBound...].range(of: "]]") {
                result += rest[..<open.lowerBound]
                let inner = rest[open.upperBound..<close.lowerBound]
                let label = inner.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
                result += (label.count == 2 ? label[1] : label[0].split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
                    .trimmingCharacters(in: .whitespaces)
                rest = rest[close.upperBound...]
            }
            return result + rest
        }

        /// The first mention of a name or alias from the data links to its page.
        private mutating func insertAutolinks(_ texts: [(node: OpaquePointer, section: Int, covered: Bool)], _ environment: any MarkdownEnvironment) {
            let matcher = environment.autolinkMatcher
            guard !matcher.isEmpty else { return }
            // Entities linked on purpose anywhere in the text are not linked again automatically.
            // (Links a data directive's table makes are not "on purpose": they do not count.)
            // The entities linked so far, by their numbers in the matcher, as bits.
            var explicit = [UInt64](repeating: 0, count: (matcher.keyCount + 63) / 64)
            // How many of the matcher's entities are linked: all of them ends "first" mode.
            var explicitCount = 0
            func mark(_ number: Int, in bits: inout [UInt64]) -> Bool {
                let bit: UInt64 = 1 << UInt64(number & 63)
                guard bits[number >> 6] & bit == 0 else { return false }
                bits[number >> 6] |= bit
                return true
            }
            for record in records where record.kind == .wikilink || record.kind == .markdown {
                if let key = record.key, let number = matcher.keyNumber(key), mark(number, in: &explicit) { explicitCount += 1 }
            }
            if let key = options.selfKey, let number = matcher.keyNumber(key), mark(number, in: &explicit) { explicitCount += 1 }
            var linked = explicit
            var linkedCount = explicitCount
            var currentSection = 0
            let first = options.autolink == .first
            for (node, section, covered) in texts where !covered {
                if options.autolink == .firstPerSection && section != currentSection {
                    currentSection = section
                    linked = explicit
                    linkedCount = explicitCount
                }
                // In "first" mode there is nothing left to do once every entity is linked.
                if first && linkedCount == matcher.keyCount { break }
                // Scanned in place, in cmark's buffer: the text is copied only when a name is found.
                guard let literal = cmark_node_get_literal(node) else { continue }
                let found = literal.withMemoryRebound(to: UInt8.self, capacity: 1) { start in
                    matcher.matches(inCString: start, accept: { number in
                        guard mark(number, in: &linked) else { return false }
                        linkedCount += 1
                        return true
                    }, done: { first && linkedCount == matcher.keyCount })
                }
                guard !found.isEmpty else { continue }
                let bytes = literalBytes(node)
                var pieces: [OpaquePointer] = []
                var made: [(OpaquePointer, LinkRecord)] = []
                var cursor = 0
                let start = position(node)
                var searchFrom = min(offset(of: start), blockStart(node))
                for match in found {
                    if cursor < match.start {
                        pieces.append(makeNode(CMARK_NODE_TEXT, literal: bytes[cursor..<match.start]))
                    }
                    let label = bytes[match.start..<match.end]
                    let link = makeLink(path: match.term.path, label: String(decoding: label, as: UTF8.self))
                    pieces.append(link)
                    var line: Int = start.line
                    var column: Int = start.column + match.start
                    if let found = find(Array(label), from: searchFrom, caseInsensitive: true) {
                        let located = place(of: found)
                        line = located.line
                        column = located.column
                        searchFrom = found + label.count
                    }
                    made.append((link, LinkRecord(kind: .autolink, path: match.term.path, fragment: nil, key: match.term.key,
                                                  line: line, column: column, context: "")))
                    cursor = match.end
                }
                if cursor < bytes.count {
                    pieces.append(makeNode(CMARK_NODE_TEXT, literal: bytes[cursor...]))
                }
                split(node, into: pieces)
                for (link, record) in made {
                    records.append(record)
                    recordNodes.append(link)
                }
            }
        }

        /// Reads the sentence around each recorded link, for "Mentioned in" lists. Each block's
        /// text is read once for all the links in it (a paragraph may hold thousands). The records
        /// are grouped by block, and within a block by node, by sorting their addresses: no
        /// dictionary is built, and the order blocks are read in changes nothing (each record
        /// gets the sentence around its own node).
        private mutating func readContexts() {
            var found: [(block: UInt, node: UInt, index: Int)] = []
            found.reserveCapacity(recordNodes.count)
            for (index, node) in recordNodes.enumerated() {
                guard let node else { continue }
                var block = node
                while let parent = cmark_node_parent(block), (cmark_node_get_type(block).rawValue & 0xC000) == 0xC000 {
                    block = parent
                }
                found.append((UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(block))),
                              UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(node))), index))
            }
            recordNodes = []
            found.sort { $0.block != $1.block ? $0.block < $1.block : $0.node != $1.node ? $0.node < $1.node : $0.index < $1.index }
            var text: [UInt8] = []
            var offsets: [Int] = []
            var start = 0
            while start < found.count {
                var end = start + 1
                while end < found.count && found[end].block == found[start].block { end += 1 }
                let group = start..<end
                text.removeAll(keepingCapacity: true)
                offsets.removeAll(keepingCapacity: true)
                offsets.append(contentsOf: repeatElement(0, count: group.count))
                defer { start = end }
                guard let block = OpaquePointer(bitPattern: found[start].block), let iterator = cmark_iter_new(block) else { continue }
                while cmark_iter_next(iterator) != CMARK_EVENT_DONE {
                    guard cmark_iter_get_event_type(iterator) == CMARK_EVENT_ENTER, let current = cmark_iter_get_node(iterator) else { continue }
                    let type = cmark_node_get_type(current)
                    // Every recorded node is a link or an image: found by binary search in the group.
                    if type == CMARK_NODE_LINK || type == CMARK_NODE_IMAGE {
                        let address = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(current)))
                        var low = group.lowerBound, high = group.upperBound
                        while low < high {
                            let middle = (low + high) / 2
                            if found[middle].node < address { low = middle + 1 } else { high = middle }
                        }
                        while low < group.upperBound && found[low].node == address {
                            offsets[low - group.lowerBound] = text.count
                            low += 1
                        }
                    }
                    if type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE {
                        if let pointer = cmark_node_get_literal(current) {
                            text.append(contentsOf: UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                                        count: strlen(pointer)))
                        }
                    } else if type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK {
                        text.append(0x20)
                    }
                }
                cmark_iter_free(iterator)
                for position in group {
                    records[found[position].index].context = sentence(in: text, around: offsets[position - group.lowerBound])
                }
            }
        }

        /// The table extension's node type has no fixed number: it is known by its name.
        private func isTable(_ node: OpaquePointer) -> Bool {
            guard let pointer = cmark_node_get_type_string(node) else { return false }
            return strcmp(pointer, "table") == 0
        }

        private func literal(_ node: OpaquePointer) -> String {
            guard let pointer = cmark_node_get_literal(node) else { return "" }
            return String(cString: pointer)
        }

        /// The node's literal as UTF-8 bytes, without a detour through String.
        private func literalBytes(_ node: OpaquePointer) -> [UInt8] {
            guard let pointer = cmark_node_get_literal(node) else { return [] }
            return pointer.withMemoryRebound(to: UInt8.self, capacity: 1) { Array(UnsafeBufferPointer(start: $0, count: strlen(pointer))) }
        }

        /// Authors' raw HTML becomes visible text: `<script>` shows as `&lt;script&gt;`.
        private func escapeRawInline(_ node: OpaquePointer) {
            let text = makeNode(CMARK_NODE_TEXT, literal: literal(node))
            cmark_node_replace(node, text)
            discard(node)
        }

        private func escapeRawBlock(_ node: OpaquePointer) {
            var source = literal(node)
            while source.hasSuffix("\n") { source.removeLast() }
            let paragraph = cmark_node_new_with_mem(CMARK_NODE_PARAGRAPH, MarkdownRenderer.arena)!
            cmark_node_append_child(paragraph, makeNode(CMARK_NODE_TEXT, literal: source))
            cmark_node_replace(node, paragraph)
            discard(node)
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
            // Most items are no task: their text does not start with "[".
            if let first = cmark_node_first_child(paragraph), cmark_node_get_type(first) == CMARK_NODE_TEXT,
               let text = cmark_node_get_literal(first), text.pointee != 0, text.pointee != 0x5B { return }
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
                discard(node)
            }
            let first = leading[0]
            if rest.isEmpty {
                cmark_node_unlink(first)
                discard(first)
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
            // A heading of plain text (most of them) is one text node: its text is read once, for
            // the slug and for the HTML, which is written here as cmark would write it.
            if let literal = Self.onlyText(of: node) {
                let text = ByteText.trimmingSpaces(String(cString: literal))
                let id = uniqueID(for: text)
                headings.append(Heading(level: level, text: text, id: id, line: Int(cmark_node_get_start_line(node))))
                // The tags from tables by level (cmark's headings are 1 to 6): no interpolation per heading.
                replace(node, with: plainTextHTML(literal, open: Self.headingOpen[level], id, "\">", close: Self.headingClose[level]))
                return
            }
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

        /// `<hN id="` and `</hN>` and a line break, by level N (0 is never used).
        private static let headingOpen = (0...6).map { "<h\($0) id=\"" }
        private static let headingClose = (0...6).map { "</h\($0)>\n" }

        /// A heading inside a fragment becomes `<p><strong>…</strong></p>`. Rendered to a string
        /// first: inline literals point into their block's buffer, so they must not outlive it.
        private func flattenHeading(_ node: OpaquePointer) {
            let level = Int(cmark_node_get_heading_level(node))
            if let literal = Self.onlyText(of: node) {
                replace(node, with: plainTextHTML(literal, open: "<p><strong>", "", "", close: "</strong></p>\n"))
                return
            }
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
                discard(previous)
            }
            // Written in one pass over cmark's HTML of the table: `scope` goes into every `<th>`
            // and `<th style=…>`, the caption (if any) after `<table>`.
            let html: [UInt8] = MarkdownRenderer.withHTML(table, extensions) { table in
                var out = Array("<div class=\"table-wrap\">\n".utf8)
                out.reserveCapacity(table.count + 256)
                var copied = 0
                let open = Array("<table>".utf8)
                if let caption, table.starts(with: open) {
                    out += Array("<table>\n<caption>".utf8)
                    out += caption.utf8
                    out += Array("</caption>".utf8)
                    copied = open.count
                }
                let style = Array(" style=".utf8), scope = Array(" scope=\"col\"".utf8)
                var index = copied
                while let found = ByteText.find([0x3C, 0x74, 0x68], in: table, from: index) {  // "<th"
                    let after = found + 3
                    index = after
                    guard after < table.count else { break }
                    guard table[after] == 0x3E || UnsafeBufferPointer(rebasing: table[after...]).starts(with: style) else { continue }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: table[copied..<after]))
                    out += scope
                    copied = after
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: table[copied...]))
                out += Array("</div>\n".utf8)
                return out
            }
            replace(table, with: makeNode(CMARK_NODE_HTML_BLOCK, literal: html[...]))
        }

        /// The literal of the node's only child when that child is a text node (a heading of plain
        /// text); nil otherwise.
        private static func onlyText(of node: OpaquePointer) -> UnsafePointer<CChar>? {
            guard let child = cmark_node_first_child(node), cmark_node_next(child) == nil,
                  cmark_node_get_type(child) == CMARK_NODE_TEXT else { return nil }
            return cmark_node_get_literal(child)
        }

        /// An HTML block node of `open` (its three parts), the text `literal` escaped as cmark
        /// escapes text (`&`, `<`, `>`, `"`), and `close`. The bytes are made once, NUL-terminated,
        /// and handed to cmark as they are.
        private func plainTextHTML(_ literal: UnsafePointer<CChar>, open: String, _ open2: String, _ open3: String,
                                   close: String) -> OpaquePointer {
            let text = UnsafeRawPointer(literal).assumingMemoryBound(to: UInt8.self)
            let count = strlen(literal)
            var html: [UInt8] = []
            html.reserveCapacity(open.utf8.count + open2.utf8.count + open3.utf8.count + count + close.utf8.count + 17)
            var open = open, open2 = open2, open3 = open3, close = close  // appended through their buffers, not byte by byte
            open.withUTF8 { html.append(contentsOf: $0) }
            open2.withUTF8 { html.append(contentsOf: $0) }
            open3.withUTF8 { html.append(contentsOf: $0) }
            // Escaped as cmark-gfm escapes text: no apostrophe.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(count * 6, 1)) { escaped in
                let written = materia_html_escape(text, count, 0, escaped.baseAddress!)
                html.append(contentsOf: UnsafeBufferPointer(start: escaped.baseAddress, count: written))
            }
            close.withUTF8 { html.append(contentsOf: $0) }
            html.append(0)
            return makeNode(CMARK_NODE_HTML_BLOCK, terminated: html)
        }

        private func renderNode(_ node: OpaquePointer) -> String {
            MarkdownRenderer.html(node, extensions)
        }

        private func replace(_ node: OpaquePointer, withHTMLBlock html: String) {
            replace(node, with: makeNode(CMARK_NODE_HTML_BLOCK, literal: html))
        }

        private func replace(_ node: OpaquePointer, with replacement: OpaquePointer) {
            cmark_node_replace(node, replacement)
            discard(node)
        }

        /// Frees a node taken out of the tree (unlinked), unless the arena releases it with the
        /// document anyway: while no block of this document lives in malloc, all of the node's
        /// blocks are in the arena's chunks, and freeing it would only walk its subtree (about
        /// 5,000 instructions for a table). Otherwise it is freed as cmark frees it, since the
        /// document will then be freed node by node and would not reach it.
        private func discard(_ node: OpaquePointer) {
            if materia_arena_outstanding(arenaMark) != 0 { cmark_node_free(node) }
        }

        private func makeNode(_ type: cmark_node_type, literal: String) -> OpaquePointer {
            let node = cmark_node_new_with_mem(type, MarkdownRenderer.arena)!
            cmark_node_set_literal(node, literal)
            return node
        }

        private func makeNode(_ type: cmark_node_type, literal: ArraySlice<UInt8>) -> OpaquePointer {
            var terminated: [UInt8] = []
            terminated.reserveCapacity(literal.count + 1)  // one allocation, the NUL included
            terminated.append(contentsOf: literal)
            terminated.append(0)
            return makeNode(type, terminated: terminated)
        }

        /// A node whose literal is `terminated` up to its final NUL byte (cmark copies it).
        private func makeNode(_ type: cmark_node_type, terminated: [UInt8]) -> OpaquePointer {
            let node = cmark_node_new_with_mem(type, MarkdownRenderer.arena)!
            terminated.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { _ = cmark_node_set_literal(node, $0) }
            }
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
            return ByteText.trimmingSpaces(text)
        }

        private mutating func uniqueID(for text: String) -> String {
            let base = Slug.make(text, fallback: "section")
            var candidate = base
            var counter = 1
            // Room for an article's headings at once, not grown one doubling at a time.
            if usedIDs.isEmpty { usedIDs.reserveCapacity(16) }
            // The insert is the test for "used" too: a free id is hashed and looked up once.
            while options.reservedIDs.contains(candidate) || MarkdownRenderer.isInSeries(candidate, options.reservedSeries)
                    || MarkdownRenderer.isFootnoteID(candidate) || !usedIDs.insert(candidate).inserted {
                candidate = "\(base)-\(counter)"
                counter += 1
            }
            return candidate
        }
    }

    /// Whether `id` is one of `series.prefix` followed by 1 … `series.count` (no leading zero).
    fileprivate static func isInSeries(_ id: String, _ series: (prefix: String, count: Int)) -> Bool {
        guard series.count > 0, id.hasPrefix(series.prefix) else { return false }
        var number = 0
        for (index, byte) in id.utf8.dropFirst(series.prefix.utf8.count).enumerated() {
            guard byte >= 0x30 && byte <= 0x39, index > 0 || byte != 0x30, number <= series.count else { return false }
            number = number * 10 + Int(byte - 0x30)
        }
        return number >= 1 && number <= series.count
    }

    /// cmark-gfm names footnotes `fn-N` and their references `fnref-N`.
    fileprivate static func isFootnoteID(_ id: String) -> Bool {
        // Asked for every heading: most ids do not start with "fn", ruled out on two bytes.
        let bytes = id.utf8
        guard bytes.count >= 4, bytes.first == 0x66, bytes[bytes.index(after: bytes.startIndex)] == 0x6E else { return false }
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

/// The characters at which cmark-gfm's autolink extension stops to look for a link: ":" (for
/// "://") always, "w" (for "www.") only once a text holds "www.". Every "w" the extension stops
/// at splits the text node there, and the pieces are joined again after parsing: on prose with no
/// "www." that was 2.7 % of a build's instructions for nothing.
///
/// The extension's characters go into cmark-gfm's process-wide table when the first parse starts
/// (see `parsesInParallel`), so "w" is left out before that parse. When a text with "www." comes,
/// "w" is put back for good, before that text is parsed: while parses are running on other threads
/// it cannot be, so parses hold a read lock on the table and putting "w" back takes the write lock
/// (which new readers wait for).
private final class AutolinkCharacters: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>
    private let hasW = Atomic<Bool>(false)

    init() {
        lock = .allocate(capacity: 1)
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    /// Before the first parse only (the probe in `parsesInParallel`).
    func leaveOutW() { setCharacters(withW: false) }

    /// "w" back among the extension's characters and in the table, unless it already is.
    func includeW() {
        if hasW.load(ordering: .acquiring) { return }
        let parallel = MarkdownRenderer.parsesInParallel  // the probe has filled the table
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        if hasW.load(ordering: .acquiring) { return }
        setCharacters(withW: true)
        if parallel {
            // Materia's replacement fills the table once: the extension's characters are added
            // again, through a parser that has it (one parse on one thread does it otherwise).
            let mark = materia_arena_begin()
            let parser = MarkdownRenderer.makeParser()
            materia_cmark_inline_chars_add(UnsafeMutableRawPointer(parser))
            cmark_parser_free(parser)
            materia_arena_end(mark)
        }
        hasW.store(true, ordering: .releasing)
    }

    func beginParse() { pthread_rwlock_rdlock(lock) }
    func endParse() { pthread_rwlock_unlock(lock) }

    /// The list cmark-gfm keeps for the extension (allocated as the library allocates it; the one
    /// it replaces, a few bytes, stays allocated).
    private func setCharacters(withW: Bool) {
        for autolink in [MarkdownRenderer.autolinkExtension, MarkdownRenderer.autolinkWithoutAddresses].compactMap({ $0 }) {
            let memory = MarkdownRenderer.libraryMemory
            var list = cmark_llist_append(memory, nil, UnsafeMutableRawPointer(bitPattern: 0x3A))  // ":"
            if withW { list = cmark_llist_append(memory, list, UnsafeMutableRawPointer(bitPattern: 0x77)) }  // "w"
            cmark_syntax_extension_set_special_inline_chars(autolink, list)
        }
    }
}
