import Yams

/// Decodes `materia.yaml`, article front matter and data files into typed models,
/// collecting every problem with its position.
public enum ContentDecoder {
    public static let configKeys = ["title", "description", "base_url", "language", "disclaimer",
                                    "review_cycle_months", "allow_raw_html", "authorities", "autolink"]
    public static let articleKeys = ["title", "summary", "slug", "date", "updated", "reviewed", "reviewer", "author",
                                     "nutrients", "conditions", "symptoms", "tags", "key_points", "faq",
                                     "references", "draft"]
    public static let nutrientKeys = ["name", "kind", "unit", "aliases", "summary", "description", "functions",
                                      "reference_intakes", "upper_limits", "food_sources", "deficiency", "excess",
                                      "references"]
    public static let conditionKeys = ["name", "aliases", "summary", "description", "causes", "nutrients",
                                       "symptoms", "references"]
    public static let symptomKeys = ["name", "aliases", "summary", "description", "conditions", "nutrients",
                                     "references"]
    static let citationKeys = ["title", "url", "publisher", "year"]

    // MARK: materia.yaml

    public static func config(_ text: String, path: String) -> (SiteConfig?, Diagnostics) {
        let document = YAMLDocument(path: path)
        guard let node = document.parse(text),
              let object = document.object(node, what: "materia.yaml", keys: configKeys) else {
            return (nil, document.diagnostics)
        }
        let title = object.string("title", required: true)
        let description = object.string("description") ?? ""
        var baseURL = object.string("base_url") ?? "/"
        if !(baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://") || baseURL.hasPrefix("/")) {
            document.error(at: object.location(of: "base_url"), "base_url '\(baseURL)' is not an absolute URL or path",
                           fix: "write it as https://example.org/ or https://example.org/kb/")
        }
        if !baseURL.hasSuffix("/") { baseURL += "/" }
        let language = object.string("language") ?? "en"
        if !isLanguageTag(language) {
            document.error(at: object.location(of: "language"), "language '\(language)' is not a language tag",
                           fix: "use a BCP 47 tag such as en, en-GB or de")
        }
        var short: String?, full: String?, fullOrigin: TextOrigin?
        if let disclaimer = object.object("disclaimer", what: "disclaimer", keys: ["short", "full"]) {
            short = disclaimer.string("short", required: true)
            full = disclaimer.string("full", required: true)
            fullOrigin = disclaimer.textOrigin("full")
        } else if !object.has("disclaimer") {
            document.error(at: object.location, "missing required field 'disclaimer' in materia.yaml",
                           fix: "add 'disclaimer:' with 'short:' (one line for every footer) and 'full:' (the disclaimer page)")
        }
        let cycle = object.integer("review_cycle_months") ?? 12
        if cycle < 1 || cycle > 60 {
            document.error(at: object.location(of: "review_cycle_months"), "review_cycle_months must be between 1 and 60, found \(cycle)",
                           fix: "health content is usually reviewed every 12 to 36 months")
        }
        let allowRaw = object.bool("allow_raw_html") ?? false
        var authorities: [String: String] = [:]
        if let node = object.node("authorities") {
            if case let .mapping(mapping, _) = node {
                for (key, value) in mapping {
                    guard let id = key.string, case let .scalar(name) = value else {
                        document.error(at: document.location(of: value), "each authority must be 'ID: full name'",
                                       fix: "e.g. 'EFSA: European Food Safety Authority'")
                        continue
                    }
                    authorities[id] = name.string
                }
            } else {
                object.typeError("authorities", node, expected: "a mapping of 'ID: full name' lines")
            }
        }
        let autolinkModes = ["first", "first-per-section", "off"]
        let autolink = object.string("autolink") ?? "first"
        if !autolinkModes.contains(autolink) {
            document.error(at: object.location(of: "autolink"), "'\(autolink)' is not a valid autolink setting",
                           fix: "use first, first-per-section or off" + (Suggestion.closest(to: autolink, in: autolinkModes).map { " (did you mean '\($0)'?)" } ?? ""))
        }
        // Returned even with errors so that content can still be checked against it.
        var config = SiteConfig(title: title ?? "", description: description, baseURL: baseURL, language: language,
                                disclaimerShort: short ?? "", disclaimerFull: full ?? "", reviewCycleMonths: cycle,
                                allowRawHTML: allowRaw, authorities: authorities, location: object.location)
        config.autolink = autolink
        config.disclaimerOrigin = fullOrigin
        return (config, document.diagnostics)
    }

    static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return false
        }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    // MARK: articles

    public static func article(_ text: String, path: String, defaultSlug: String) -> (Article?, Diagnostics) {
        switch FrontMatter.split(text, path: path) {
        case .success(let frontMatter): return article(frontMatter, path: path, defaultSlug: defaultSlug)
        case .failure(let diagnostic): return noArticle(diagnostic)
        }
    }

    /// No article, for the one problem that stopped it.
    private static func noArticle(_ diagnostic: Diagnostic) -> (Article?, Diagnostics) {
        var diagnostics = Diagnostics()
        diagnostics.append(diagnostic)
        return (nil, diagnostics)
    }

    /// An article file's bytes, decoded as `article(_:path:defaultSlug:)` decodes its text. The
    /// front matter and the body are made straight from the bytes when that gives the same text
    /// (no byte order mark, no carriage return, valid UTF-8, a front matter that closes): the file
    /// never becomes a string of its own that the body is then copied out of. Otherwise the file
    /// is decoded first, which says what is wrong and where.
    public static func article(fileBytes bytes: [UInt8], path: String, defaultSlug: String) -> (Article?, Diagnostics) {
        if let frontMatter = FrontMatter.split(plainBytes: bytes) { return article(frontMatter, path: path, defaultSlug: defaultSlug) }
        switch SourceText.decode(bytes, path: path) {
        case .success(let text): return article(text, path: path, defaultSlug: defaultSlug)
        case .failure(let diagnostic): return noArticle(diagnostic)
        }
    }

    private static func article(_ frontMatter: FrontMatter, path: String, defaultSlug: String) -> (Article?, Diagnostics) {
        let document = YAMLDocument(path: path, lineOffset: frontMatter.yamlLineOffset)
        guard let node = document.parse(frontMatter.yaml),
              let object = document.object(node, what: "front matter", keys: articleKeys) else {
            return (nil, document.diagnostics)
        }
        let title = object.string("title", required: true)
        let summary = object.string("summary", required: true)
        let slugValue = object.string("slug") ?? defaultSlug
        let slugLocation = object.has("slug") ? object.location(of: "slug") : SourceLocation(path: path)
        if !isIdentifier(slugValue) {
            document.error(at: slugLocation, "slug '\(slugValue)' is not usable in a URL",
                           fix: "use lowercase letters, digits and hyphens only, e.g. '\(Slugify.make(slugValue))'")
        }
        let faq = object.objects("faq", what: "FAQ entry", keys: ["question", "answer"]) { entry -> FAQEntry? in
            guard let question = entry.string("question", required: true),
                  let answer = entry.string("answer", required: true) else { return nil }
            return FAQEntry(question: question, answer: answer, location: entry.location,
                            answerOrigin: entry.textOrigin("answer") ?? TextOrigin(path: path, line: entry.location.line))
        }
        let article = Article(
            sourcePath: path,
            slug: Located(slugValue, at: slugLocation),
            title: title ?? "",
            summary: summary ?? "",
            date: object.date("date"),
            updated: object.date("updated"),
            reviewed: object.date("reviewed"),
            reviewer: object.string("reviewer"),
            author: object.string("author"),
            nutrients: object.strings("nutrients"),
            conditions: object.strings("conditions"),
            symptoms: object.strings("symptoms"),
            tags: object.strings("tags").map(\.value),
            keyPoints: object.strings("key_points").map(\.value),
            faq: faq,
            references: citations(object),
            draft: object.bool("draft") ?? false,
            body: frontMatter.body,
            bodyStartLine: frontMatter.bodyStartLine
        )
        // Returned even with errors, so later checks (ids, slugs) still run and all problems are reported.
        return (article, document.diagnostics)
    }

    static func citations(_ object: YAMLObject) -> [Citation] {
        object.objects("references", what: "reference", keys: citationKeys) { entry in
            guard let title = entry.string("title", required: true) else { return nil }
            let url = entry.string("url")
            if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://") || url.hasPrefix("/")) {
                entry.document.error(at: entry.location(of: "url"), "reference url '\(url)' is not a web address",
                                     fix: "write the full address, starting with https://")
            }
            return Citation(title: title, url: url, publisher: entry.string("publisher"), year: entry.integer("year"),
                            urlLocation: url == nil ? nil : entry.location(of: "url"))
        }
    }

    /// Lowercase ASCII letters and digits in runs joined by single hyphens ("vitamin-b12"): safe in
    /// every URL and file system. Checked on the bytes (every article's slug is); no character of
    /// another script passes.
    public static func isIdentifier(_ text: String) -> Bool {
        var previous: UInt8 = 0x2D  // as if after a hyphen: a leading hyphen fails like a double one
        for byte in text.utf8 {
            if byte == 0x2D {
                if previous == 0x2D { return false }
            } else if !((byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)) {
                return false
            }
            previous = byte
        }
        return previous != 0x2D  // empty, or a trailing hyphen
    }

    // MARK: data

    public static func nutrient(_ text: String, path: String, id: String) -> (Nutrient?, Diagnostics) {
        let document = YAMLDocument(path: path)
        guard let node = document.parse(text),
              let object = document.object(node, what: "nutrient data", keys: nutrientKeys) else {
            return (nil, document.diagnostics)
        }
        let name = object.string("name", required: true)
        let summary = object.string("summary", required: true)
        let unit = object.string("unit", required: true)
        let kind: NutrientKind? = enumValue(object, "kind", required: true)
        let intakes = object.objects("reference_intakes", what: "reference intake",
                                     keys: ["authority", "kind", "group", "stage", "value"]) { entry -> ReferenceIntake? in
            let authority = entry.string("authority", required: true)
            let kind: IntakeKind? = enumValue(entry, "kind", required: true)
            let group = entry.string("group", required: true)
            let stage: LifeStage? = enumValue(entry, "stage")
            let value = positive(entry, "value")
            guard let authority, let kind, let group, let value else { return nil }
            return ReferenceIntake(authority: Located(authority, at: entry.location(of: "authority")), kind: kind,
                                   group: group, stage: stage, value: value)
        }
        let limits = object.objects("upper_limits", what: "upper limit",
                                    keys: ["authority", "group", "value", "scope"]) { entry -> UpperLimit? in
            let authority = entry.string("authority", required: true)
            let group = entry.string("group", required: true)
            let value = positive(entry, "value")
            guard let authority, let group, let value else { return nil }
            return UpperLimit(authority: Located(authority, at: entry.location(of: "authority")), group: group,
                              value: value, scope: entry.string("scope"))
        }
        let foods = object.objects("food_sources", what: "food source", keys: ["food", "serving", "amount"]) { entry -> FoodSource? in
            guard let food = entry.string("food", required: true) else { return nil }
            return FoodSource(food: food, serving: entry.string("serving"), amount: entry.number("amount"))
        }
        let nutrient = Nutrient(
            id: id, sourcePath: path, descriptionOrigin: object.textOrigin("description"), name: name ?? "", kind: kind ?? .mineral, unit: unit ?? "",
            aliases: object.strings("aliases").map(\.value), summary: summary ?? "",
            description: object.string("description"), functions: object.strings("functions").map(\.value),
            referenceIntakes: intakes, upperLimits: limits, foodSources: foods,
            deficiency: effect(object, "deficiency"), excess: effect(object, "excess"),
            references: citations(object))
        return (nutrient, document.diagnostics)
    }

    /// Intakes and limits are amounts: zero or negative is a typo, never a real figure.
    static func positive(_ entry: YAMLObject, _ key: String) -> Double? {
        guard let value = entry.number(key, required: true) else { return nil }
        if value <= 0 {
            entry.document.error(at: entry.location(of: key), "'\(Amount.format(value))' is not a valid amount",
                                 fix: "write the amount per day as a positive number in the nutrient's unit")
            return nil
        }
        return value
    }

    static func effect(_ object: YAMLObject, _ key: String) -> NutrientEffect? {
        guard let entry = object.object(key, what: key, keys: ["condition", "symptoms"]) else { return nil }
        let condition = entry.string("condition").map { Located($0, at: entry.location(of: "condition")) }
        return NutrientEffect(condition: condition, symptoms: entry.strings("symptoms"))
    }

    static func enumValue<T: RawRepresentable & CaseIterable>(_ object: YAMLObject, _ key: String, required: Bool = false) -> T?
        where T.RawValue == String {
        guard let text = object.string(key, required: required) else { return nil }
        if let value = T(rawValue: text) { return value }
        let allowed = T.allCases.map(\.rawValue)
        object.document.error(at: object.location(of: key), "'\(text)' is not a valid \(key)",
                              fix: "use one of \(allowed.joined(separator: ", "))"
                                  + (Suggestion.closest(to: text, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""))
        return nil
    }

    public static func condition(_ text: String, path: String, id: String) -> (Condition?, Diagnostics) {
        let document = YAMLDocument(path: path)
        guard let node = document.parse(text),
              let object = document.object(node, what: "condition data", keys: conditionKeys) else {
            return (nil, document.diagnostics)
        }
        let name = object.string("name", required: true)
        let summary = object.string("summary", required: true)
        let condition = Condition(
            id: id, sourcePath: path, descriptionOrigin: object.textOrigin("description"), name: name ?? "",
            aliases: object.strings("aliases").map(\.value),
            summary: summary ?? "", description: object.string("description"),
            causes: object.strings("causes").map(\.value), nutrients: object.strings("nutrients"),
            symptoms: object.strings("symptoms"), references: citations(object))
        return (condition, document.diagnostics)
    }

    public static func symptom(_ text: String, path: String, id: String) -> (Symptom?, Diagnostics) {
        let document = YAMLDocument(path: path)
        guard let node = document.parse(text),
              let object = document.object(node, what: "symptom data", keys: symptomKeys) else {
            return (nil, document.diagnostics)
        }
        let name = object.string("name", required: true)
        let summary = object.string("summary", required: true)
        let symptom = Symptom(
            id: id, sourcePath: path, descriptionOrigin: object.textOrigin("description"), name: name ?? "",
            aliases: object.strings("aliases").map(\.value),
            summary: summary ?? "", description: object.string("description"),
            conditions: object.strings("conditions"), nutrients: object.strings("nutrients"),
            references: citations(object))
        return (symptom, document.diagnostics)
    }
}

/// Makes a URL slug from a title or file name.
public enum Slugify {
    public static func make(_ text: String) -> String {
        // ASCII (every file name in practice) on its bytes, by the same rules as below.
        var bytes = text
        if let ascii = bytes.withUTF8({ makeASCII($0) }) { return ascii.isEmpty ? "page" : ascii }
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty && !out.hasSuffix("-") {
                out.append("-")
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "page" : out
    }

    /// `make` of ASCII bytes (without the "page" fallback), or nil when a byte is not ASCII.
    private static func makeASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard !bytes.isEmpty else { return "" }
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            var count = 0
            for var byte in bytes {
                if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
                if (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) {
                    out[count] = byte
                    count += 1
                } else if count > 0 && out[count - 1] != 0x2D {
                    out[count] = 0x2D
                    count += 1
                }
            }
            while count > 0 && out[count - 1] == 0x2D { count -= 1 }
            return count
        }
    }
}
