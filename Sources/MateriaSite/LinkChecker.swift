import MateriaContent
import MateriaMarkdown

/// Checks every internal link after rendering, when every page and its anchors exist: a link to
/// a heading or section that is not on the target page fails the build at the link's position.
struct LinkChecker: Sendable {
    /// Whether the built site has a file at a path.
    let exists: @Sendable (String) -> Bool
    /// The ids of the files at some paths (only pages that a link points into need them).
    let ids: @Sendable ([String]) -> [String: Set<String>]

    init(exists: @escaping @Sendable (String) -> Bool, ids: @escaping @Sendable ([String]) -> [String: Set<String>]) {
        self.exists = exists
        self.ids = ids
    }

    /// Checks against files in memory, reading the ids of the targeted ones in parallel.
    init(files: [OutputFile], jobs: Int) {
        let byPath = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        exists = { byPath[$0] != nil }
        ids = { targets in
            Dictionary(uniqueKeysWithValues: parallelMap(targets, jobs: jobs) { path -> (String, Set<String>) in
                (path, Set(byPath[path].map { LinkChecker.ids(in: $0.bytes) } ?? []))
            })
        }
    }

    /// The files that links point into with a fragment: the only ones whose ids `check` reads.
    /// The site's links come page by page, never copied into one array.
    static func fragmentTargets(_ groups: [[SourcedLink]]) -> Set<String> {
        var targets: Set<String> = []
        for links in groups {
            for link in links where link.record.fragment != nil {
                targets.insert(file(for: link.record.path.isEmpty ? link.page : link.record.path))
            }
        }
        return targets
    }

    /// `targets`: `fragmentTargets(links)`, when the caller has it already.
    func check(_ links: [SourcedLink], targets: Set<String>? = nil) -> [Diagnostic] { check([links], targets: targets) }

    /// `check` of links in groups, in order; with `jobs`, batches of groups side by side.
    func check(_ groups: [[SourcedLink]], targets: Set<String>? = nil, jobs: Int = 1) -> [Diagnostic] {
        let targets = targets ?? Self.fragmentTargets(groups)
        let ids = self.ids(targets.sorted())
        guard jobs > 1 else { return check(groups[...], ids: ids) }
        let batch = max(64, groups.count / (jobs * 8) + 1)
        let batches = stride(from: 0, to: groups.count, by: batch).map { groups[$0..<min($0 + batch, groups.count)] }
        return parallelMap(batches, jobs: jobs) { check($0, ids: ids) }.flatMap { $0 }
    }

    private func check(_ groups: ArraySlice<[SourcedLink]>, ids: [String: Set<String>]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        // Most links of a site point to a few pages: each target path is looked up once.
        // (Room for a few targets per page from the start, not grown one doubling at a time.)
        var existing: [String: Bool] = [:]
        existing.reserveCapacity(groups.count * 4)
        for links in groups {
            // Fields read in place: a link copied whole is a retain and a release of each of its
            // strings, on records written long before and no longer in the cache.
            for index in links.indices {
                let path = links[index].record.path
                let targetPath = path.isEmpty ? links[index].page : path
                let targetExists: Bool
                if let known = existing[targetPath] {
                    targetExists = known
                } else {
                    targetExists = exists(Self.file(for: targetPath))
                    existing[targetPath] = targetExists
                }
                guard targetExists else {
                    problems.append(Diagnostic(at: links[index].location, "broken link: nothing is built at '/\(targetPath)'",
                                               fix: "check the target; drafts are built only with --drafts"))
                    continue
                }
                guard let fragment = links[index].record.fragment, !fragment.isEmpty else { continue }
                let available = ids[Self.file(for: targetPath)] ?? []
                if !available.contains(fragment) {
                    let place = path.isEmpty ? "this page" : "'/\(targetPath)'"
                    // A heading's id often starts with what the author typed ("#when-to-see").
                    let prefixed = available.filter { $0.hasPrefix(fragment) }.sorted { ($0.count, $0) < ($1.count, $1) }.first
                    let hint = (prefixed ?? Suggestion.closest(to: fragment, in: available)).map { "did you mean '#\($0)'?" }
                        ?? "link to one of the page's headings (its id is the heading text in lowercase with hyphens)"
                    problems.append(Diagnostic(at: links[index].location, "broken anchor: \(place) has no heading or section '#\(fragment)'", fix: hint))
                }
            }
        }
        return problems
    }

    static func file(for path: String) -> String {
        path.isEmpty || path.hasSuffix("/") ? path + "index.html" : path
    }

    /// Values of `id="…"` attributes, read from the bytes of a page.
    static func ids(in bytes: [UInt8]) -> [String] {
        let pattern: [UInt8] = Array(" id=\"".utf8)
        var result: [String] = []
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while let found = ByteText.find(pattern, in: buffer, from: index) {
                let start = found + pattern.count
                guard start < buffer.count else { break }
                var end = start
                while end < buffer.count && buffer[end] != 0x22 { end += 1 }
                result.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self))
                index = end
            }
        }
        return result
    }
}
