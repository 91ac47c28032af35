import MateriaContent

/// Phase 2 (validate): checks the decoded sources against each other before anything renders:
/// every id that is referenced exists, slugs are unique, authorities are known.
public struct SiteValidator {
    let source: SiteSource

    public init(source: SiteSource) { self.source = source }

    public func validate() -> Diagnostics {
        var diagnostics = Diagnostics()
        let nutrientIDs = source.nutrients.map(\.id)
        let conditionIDs = source.conditions.map(\.id)
        let symptomIDs = source.symptoms.map(\.id)

        // Files that exist but failed to parse were reported already; their ids are not unknown.
        // Made once per folder, not once per reference list (three per article).
        var knownIDs: [String: Set<String>] = [:]
        for (folder, ids) in [("nutrients", nutrientIDs), ("conditions", conditionIDs), ("symptoms", symptomIDs)] {
            knownIDs[folder] = Set(ids).union(source.unreadableIDs[folder] ?? [])
        }
        func check(_ refs: [Located<String>], against ids: [String], kind: String, folder: String) {
            guard !refs.isEmpty, let known = knownIDs[folder] else { return }
            for ref in refs where !known.contains(ref.value) {
                diagnostics.error(ref.location, "unknown \(kind) id '\(ref.value)'",
                                  fix: Suggestion.hint(for: ref.value, in: ids, noun: "\(kind) id")
                                      + " (ids are the file names in Content/data/\(folder)/)")
            }
        }
        func checkEffect(_ effect: NutrientEffect?) {
            guard let effect else { return }
            if let condition = effect.condition { check([condition], against: conditionIDs, kind: "condition", folder: "conditions") }
            check(effect.symptoms, against: symptomIDs, kind: "symptom", folder: "symptoms")
        }

        // Each slug's first article by position (a copy of every article cost more than the check).
        var slugs: [String: Int] = [:]
        slugs.reserveCapacity(source.articles.count)
        for (position, article) in source.articles.enumerated() {
            if let first = slugs[article.slug.value] {
                diagnostics.error(article.slug.location, "duplicate slug '\(article.slug.value)': \(source.articles[first].sourcePath) already uses it",
                                  fix: "give one of the two articles another 'slug:' (or rename its file)")
            } else {
                slugs[article.slug.value] = position
            }
            check(article.nutrients, against: nutrientIDs, kind: "nutrient", folder: "nutrients")
            check(article.conditions, against: conditionIDs, kind: "condition", folder: "conditions")
            check(article.symptoms, against: symptomIDs, kind: "symptom", folder: "symptoms")
            if article.reviewed == nil {
                diagnostics.warning(SourceLocation(path: article.sourcePath), "the article has no 'reviewed' date",
                                    fix: "add 'reviewed: YYYY-MM-DD' and 'reviewer: …' once a clinician has checked it")
            }
            if let reviewed = article.reviewed, let date = article.date, reviewed < date {
                diagnostics.warning(SourceLocation(path: article.sourcePath),
                                    "the article was reviewed (\(reviewed)) before it was first published (\(date))",
                                    fix: "check the 'reviewed' and 'date' fields")
            }
        }
        let authorities = source.config.authorities.keys.sorted()
        for nutrient in source.nutrients {
            checkEffect(nutrient.deficiency)
            checkEffect(nutrient.excess)
            if !authorities.isEmpty {
                let used = nutrient.referenceIntakes.map(\.authority) + nutrient.upperLimits.map(\.authority)
                for authority in used where source.config.authorities[authority.value] == nil {
                    diagnostics.error(authority.location, "unknown authority '\(authority.value)'",
                                      fix: Suggestion.hint(for: authority.value, in: authorities, noun: "authority")
                                          + " (authorities are listed under 'authorities:' in materia.yaml)")
                }
            }
        }
        for condition in source.conditions {
            check(condition.nutrients, against: nutrientIDs, kind: "nutrient", folder: "nutrients")
            check(condition.symptoms, against: symptomIDs, kind: "symptom", folder: "symptoms")
        }
        for symptom in source.symptoms {
            check(symptom.conditions, against: conditionIDs, kind: "condition", folder: "conditions")
            check(symptom.nutrients, against: nutrientIDs, kind: "nutrient", folder: "nutrients")
        }
        checkNames(source.nutrients.map { ($0.name, $0.sourcePath) }, kind: "nutrient", &diagnostics)
        checkNames(source.conditions.map { ($0.name, $0.sourcePath) }, kind: "condition", &diagnostics)
        checkNames(source.symptoms.map { ($0.name, $0.sourcePath) }, kind: "symptom", &diagnostics)

        checkSharedTerms(&diagnostics)

        // The generated paths are made only when there are static files to check against them.
        let generated = source.staticFiles.isEmpty ? []
            : Set(Page.all(source).map(\.file)).union(["assets/", OutputWriter.markerFile, "graph.json", "search-index.json", "sitemap.xml", "robots.txt", "feed.xml"])
        for file in source.staticFiles where generated.contains(file) || file.hasPrefix("assets/") {
            diagnostics.error(SourceLocation(path: "Content/static/" + file), "the static file would overwrite the generated \(file)",
                              fix: "rename or move it; assets/ and the page paths belong to Materia")
        }
        return diagnostics
    }

    /// Review hygiene: a review older than the review cycle is overdue. A warning on `build`,
    /// an error on `publish` (unless `--allow-overdue`).
    public func checkReviews(today: Day, cycle: Int, overdueIsError: Bool) -> Diagnostics {
        var diagnostics = Diagnostics()
        for article in source.articles {
            guard let reviewed = article.reviewed else { continue }
            let due = reviewed.adding(months: cycle)
            guard due < today else { continue }
            let message = "the medical review is overdue: last reviewed \(reviewed.display), due \(due.display)"
            let fix = "have a clinician review the article, then update 'reviewed:'" + (overdueIsError ? " (or publish with --allow-overdue)" : "")
            diagnostics.append(Diagnostic(overdueIsError ? .error : .warning, at: SourceLocation(path: article.sourcePath), message, fix: fix))
        }
        return diagnostics
    }

    /// A name or alias that two entities share cannot be auto-linked: say so, once, on the later file.
    private func checkSharedTerms(_ diagnostics: inout Diagnostics) {
        var owners: [String: (kind: String, name: String)] = [:]
        let entries: [(String, String, String, [String])] =
            source.nutrients.map { ("nutrient", $0.name, $0.sourcePath, [$0.name] + $0.aliases) }
            + source.conditions.map { ("condition", $0.name, $0.sourcePath, [$0.name] + $0.aliases) }
            + source.symptoms.map { ("symptom", $0.name, $0.sourcePath, [$0.name] + $0.aliases) }
        for (kind, name, path, terms) in entries {
            for term in unique(terms.map { $0.count <= 3 ? $0 : $0.lowercased() }) {
                if let owner = owners[term], owner.name != name {
                    diagnostics.warning(SourceLocation(path: path), "'\(term)' names both the \(owner.kind) \(owner.name) and the \(kind) \(name), so it is not auto-linked",
                                        fix: "keep the alias on one of them, or link with [[id]] where you mean one")
                } else {
                    owners[term] = (kind, name)
                }
            }
        }
    }

    /// Two entities with one name would be indistinguishable in every list and link.
    private func checkNames(_ entries: [(name: String, path: String)], kind: String, _ diagnostics: inout Diagnostics) {
        var seen: [String: String] = [:]
        for entry in entries where !entry.name.isEmpty {
            if let first = seen[entry.name.lowercased()] {
                diagnostics.error(SourceLocation(path: entry.path, line: 1, column: 1),
                                  "\(first) already names a \(kind) '\(entry.name)'",
                                  fix: "give each \(kind) its own name; put other spellings under 'aliases'")
            } else {
                seen[entry.name.lowercased()] = entry.path
            }
        }
    }
}
