import MateriaContent
import MateriaTemplates
import MateriaMarkdown

/// Renders the data directives that merge nutrient data into prose, so that numbers in
/// articles come from the data instead of being typed by hand.
///
/// Blocks (a fenced code block with the info string `materia`, one line inside):
/// `intakes ID [authority=A] [stage=S]`, `limits ID [authority=A]`, `foods ID`,
/// `compare ID ID… fields=F,F…`; each takes `caption="…"`.
/// Inline (a code span): `materia:ul ID [AUTHORITY]`, `materia:intake ID [AUTHORITY]`.
struct DataDirectives: Sendable {
    static let blockNames = ["intakes", "limits", "foods", "compare"]
    static let inlineNames = ["ul", "intake"]
    static let compareFields = ["kind", "unit", "summary", "functions", "adult-intake", "upper-limit", "deficiency",
                                "deficiency-symptoms", "excess", "excess-symptoms", "food-sources"]

    let nutrients: [String: Nutrient]
    let conditions: [String: Condition]
    let symptoms: [String: Symptom]
    let authorities: [String: String]

    private struct Token {
        let text: String
        let offset: Int
    }

    /// Splits on spaces; `key="a b"` keeps its quoted value together.
    private static func tokens(_ line: String) -> [Token] {
        var result: [Token] = []
        var current = "", start = 0, quoted = false
        for (offset, character) in line.enumerated() {
            if character == "\"" {
                quoted.toggle()
                continue
            }
            if character == " " && !quoted {
                if !current.isEmpty { result.append(Token(text: current, offset: start)) }
                current = ""
                continue
            }
            if current.isEmpty { start = offset }
            current.append(character)
        }
        if !current.isEmpty { result.append(Token(text: current, offset: start)) }
        return result
    }

    /// A directive's HTML and, for a table, its caption as plain text (for "Mentioned in").
    typealias Rendered = (html: String, caption: String?)

    func render(_ text: String, inline: Bool) -> Result<Rendered, DirectiveError> {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let line = lines.first.map(String.init), !line.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(DirectiveError(message: "empty data directive",
                                           fix: "write e.g. '\(inline ? "ul magnesium NASEM" : "limits magnesium")'"))
        }
        if lines.count > 1 {
            return .failure(DirectiveError(message: "a data directive is one line", fix: "put the whole directive on its first line"))
        }
        let tokens = Self.tokens(line)
        guard let name = tokens.first else {
            return .failure(DirectiveError(message: "empty data directive",
                                           fix: "write e.g. '\(inline ? "ul magnesium NASEM" : "limits magnesium")'"))
        }
        if line.filter({ $0 == "\"" }).count % 2 == 1 {
            return .failure(DirectiveError(message: "a quoted value is not closed", fix: "close it with \"",
                                           offset: line.lastIndex(of: "\"").map { line.distance(from: line.startIndex, to: $0) } ?? 0))
        }
        let known = inline ? Self.inlineNames : Self.blockNames
        guard known.contains(name.text) else {
            let other = inline ? Self.blockNames : Self.inlineNames
            let fix = other.contains(name.text)
                ? (inline ? "'\(name.text)' is a block directive: write it in a ```materia fenced block"
                          : "'\(name.text)' is an inline directive: write it as `materia:\(name.text) …`")
                : Suggestion.hint(for: name.text, in: known, noun: "directive")
            return .failure(DirectiveError(message: "unknown data directive '\(name.text)'", fix: fix, offset: name.offset))
        }
        var ids: [Token] = []
        var options: [String: Token] = [:]
        for token in tokens.dropFirst() {
            if let equals = token.text.firstIndex(of: "=") {
                let key = String(token.text[..<equals])
                options[key] = Token(text: String(token.text[token.text.index(after: equals)...]),
                                     offset: token.offset + key.count + 1)
                options[key + "@key"] = Token(text: key, offset: token.offset)
            } else {
                ids.append(token)
            }
        }
        let allowed: [String]
        switch name.text {
        case "intakes": allowed = ["authority", "stage", "caption"]
        case "limits": allowed = ["authority", "caption"]
        case "compare": allowed = ["fields", "caption"]
        case "foods": allowed = ["caption"]
        default: allowed = []
        }
        for (key, token) in options where key.hasSuffix("@key") {
            let option = String(key.dropLast(4))
            if !allowed.contains(option) {
                return .failure(DirectiveError(message: "'\(name.text)' has no option '\(option)'",
                                               fix: allowed.isEmpty ? "remove it" : Suggestion.hint(for: option, in: allowed, noun: "option"),
                                               offset: token.offset))
            }
        }
        guard let first = ids.first else {
            return .failure(DirectiveError(message: "'\(name.text)' needs a nutrient id", fix: "e.g. '\(name.text) magnesium'",
                                           offset: name.offset + name.text.count))
        }
        var chosen: [Nutrient] = []
        let nutrientIDs = inline || name.text != "compare" ? [first] : ids
        for id in nutrientIDs {
            guard let nutrient = nutrients[id.text] else {
                return .failure(DirectiveError(message: "unknown nutrient id '\(id.text)'",
                                               fix: Suggestion.hint(for: id.text, in: nutrients.keys.sorted(), noun: "nutrient id"),
                                               offset: id.offset))
            }
            chosen.append(nutrient)
        }
        // Inline: an optional authority as the second word.
        var authority = options["authority"]
        if inline {
            if ids.count > 2 {
                return .failure(DirectiveError(message: "too many words", fix: "write 'ul ID' or 'ul ID AUTHORITY'", offset: ids[2].offset))
            }
            if ids.count == 2 { authority = ids[1] }
        } else if name.text != "compare", ids.count > 1 {
            return .failure(DirectiveError(message: "'\(name.text)' takes one nutrient id", fix: "use 'compare' for several",
                                           offset: ids[1].offset))
        }
        if let authority, authorities[authority.text] == nil, !authorities.isEmpty
            || !chosen[0].referenceIntakes.contains(where: { $0.authority.value == authority.text }) {
            let known = authorities.isEmpty ? unique(chosen[0].referenceIntakes.map(\.authority.value)) : authorities.keys.sorted()
            return .failure(DirectiveError(message: "unknown authority '\(authority.text)'",
                                           fix: Suggestion.hint(for: authority.text, in: known, noun: "authority"), offset: authority.offset))
        }
        let caption = options["caption"]?.text
        switch name.text {
        case "ul": return .success((inlineLimits(chosen[0], authority: authority?.text), nil))
        case "intake": return .success((inlineIntake(chosen[0], authority: authority?.text), nil))
        case "intakes":
            var stage: LifeStage?
            if let token = options["stage"] {
                guard let value = LifeStage(rawValue: token.text) else {
                    return .failure(DirectiveError(message: "unknown stage '\(token.text)'",
                                                   fix: Suggestion.hint(for: token.text, in: LifeStage.allCases.map(\.rawValue), noun: "stage"),
                                                   offset: token.offset))
                }
                stage = value
            }
            return .success(intakesTable(chosen[0], authority: authority?.text, stage: stage, caption: caption))
        case "limits": return .success(limitsTable(chosen[0], authority: authority?.text, caption: caption))
        case "foods": return .success(foodsTable(chosen[0], caption: caption))
        default:
            guard let fieldsToken = options["fields"] else {
                return .failure(DirectiveError(message: "'compare' needs fields=…",
                                               fix: "e.g. fields=functions,deficiency-symptoms,food-sources", offset: name.offset))
            }
            var fields: [String] = []
            var offset = fieldsToken.offset
            for field in fieldsToken.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard Self.compareFields.contains(field) else {
                    return .failure(DirectiveError(message: "unknown field '\(field)'",
                                                   fix: Suggestion.hint(for: field, in: Self.compareFields, noun: "field"), offset: offset))
                }
                fields.append(field)
                offset += field.count + 1
            }
            return .success(compareTable(chosen, fields: fields, caption: caption))
        }
    }

    // MARK: rendering

    private func escape(_ text: String) -> String { HTMLEscaping.escape(text) }

    private func link(_ path: String, _ label: String) -> String {
        "<a href=\"\(SiteLink.prefix)\(path)\">\(escape(label))</a>"
    }

    private func authority(_ id: String) -> String {
        if let name = authorities[id] { return "<abbr title=\"\(escape(name))\">\(escape(id))</abbr>" }
        return escape(id)
    }

    private func inlineLimits(_ nutrient: Nutrient, authority: String?) -> String {
        let limits = NutrientFacts.adultLimits(nutrient, authority: authority)
        if limits.isEmpty { return "<span class=\"data\">no upper limit set\(authority.map { " by \(escape($0))" } ?? "")</span>" }
        let parts = limits.map { limit in
            escape(NutrientFacts.amount(limit, nutrient)) + " (" + self.authority(limit.authority.value)
                + (limit.scope.map { ", " + escape($0) } ?? "") + ")"
        }
        return "<span class=\"data\">" + parts.joined(separator: "; ") + "</span>"
    }

    private func inlineIntake(_ nutrient: Nutrient, authority: String?) -> String {
        let intakes = NutrientFacts.adultIntakes(nutrient, authority: authority)
        if intakes.isEmpty { return "<span class=\"data\">no adult reference intake</span>" }
        let parts = intakes.map { "\(escape($0.amount)) (\(self.authority($0.authority)) \($0.kind.rawValue), adults)" }
        return "<span class=\"data\">" + parts.joined(separator: "; ") + "</span>"
    }

    private func table(caption: String, headers: [String], rows: [[String]]) -> Rendered {
        var html = "<div class=\"table-wrap\">\n<table>\n<caption>\(escape(caption))</caption>\n<thead>\n<tr>"
        html += headers.map { "<th scope=\"col\">\(escape($0))</th>" }.joined()
        html += "</tr>\n</thead>\n<tbody>\n"
        for row in rows {
            html += "<tr>" + row.enumerated().map { index, cell in index == 0 ? "<th scope=\"row\">\(cell)</th>" : "<td>\(cell)</td>" }.joined() + "</tr>\n"
        }
        return (html + "</tbody>\n</table>\n</div>\n", caption)
    }

    private func intakesTable(_ nutrient: Nutrient, authority: String?, stage: LifeStage?, caption: String?) -> Rendered {
        let rows = nutrient.referenceIntakes.filter { (authority == nil || $0.authority.value == authority) && (stage == nil || $0.stage == stage) }
        return table(caption: caption ?? "Daily reference intakes of \(nutrient.name)" + (authority.map { " (\($0))" } ?? ""),
                     headers: ["Group", "Authority", "Type", "Amount per day"],
                     rows: rows.map { [escape($0.group), self.authority($0.authority.value), $0.kind.rawValue,
                                       escape("\(Amount.format($0.value)) \(nutrient.unit)")] })
    }

    private func limitsTable(_ nutrient: Nutrient, authority: String?, caption: String?) -> Rendered {
        let rows = nutrient.upperLimits.filter { authority == nil || $0.authority.value == authority }
        return table(caption: caption ?? "Tolerable upper intake levels of \(nutrient.name)" + (authority.map { " (\($0))" } ?? ""),
                     headers: ["Group", "Authority", "Upper limit", "Applies to"],
                     rows: rows.map { [escape($0.group), self.authority($0.authority.value), escape(NutrientFacts.amount($0, nutrient)),
                                       escape($0.scope ?? "All sources")] })
    }

    private func foodsTable(_ nutrient: Nutrient, caption: String?) -> Rendered {
        table(caption: caption ?? "\(nutrient.name) in common foods", headers: ["Food", "Serving", nutrient.name],
              rows: nutrient.foodSources.map { [escape($0.food), escape($0.serving ?? ""),
                                                 escape($0.amount.map { "\(Amount.format($0)) \(nutrient.unit)" } ?? "")] })
    }

    private static let fieldTitles = ["kind": "Kind", "unit": "Unit", "summary": "Summary", "functions": "Role in the body",
                                      "adult-intake": "Adult intake", "upper-limit": "Upper limit (adults)",
                                      "deficiency": "Deficiency", "deficiency-symptoms": "Deficiency symptoms",
                                      "excess": "Excess", "excess-symptoms": "Excess symptoms", "food-sources": "Food sources"]

    private func compareTable(_ chosen: [Nutrient], fields: [String], caption: String?) -> Rendered {
        let rows = chosen.map { nutrient in
            [link("nutrients/\(nutrient.id)/", nutrient.name)] + fields.map { field(field: $0, nutrient) }
        }
        return table(caption: caption ?? "\(chosen.map(\.name).joined(separator: ", ")) compared",
                     headers: ["Nutrient"] + fields.map { Self.fieldTitles[$0] ?? $0 }, rows: rows)
    }

    private func field(field: String, _ nutrient: Nutrient) -> String {
        func condition(_ effect: NutrientEffect?) -> String {
            guard let id = effect?.condition?.value, let condition = conditions[id] else { return "—" }
            return link("conditions/\(id)/", condition.name)
        }
        func symptomList(_ effect: NutrientEffect?) -> String {
            let items = (effect?.symptoms ?? []).compactMap { ref in symptoms[ref.value].map { link("symptoms/\(ref.value)/", $0.name) } }
            return items.isEmpty ? "—" : items.joined(separator: ", ")
        }
        switch field {
        case "kind": return nutrient.kind == .mineral ? "Mineral" : "Vitamin"
        case "unit": return escape(nutrient.unit)
        case "summary": return escape(nutrient.summary)
        case "functions": return nutrient.functions.isEmpty ? "—" : escape(nutrient.functions.joined(separator: "; "))
        case "adult-intake":
            let intakes = NutrientFacts.adultIntakes(nutrient)
            return intakes.isEmpty ? "—" : intakes.map { "\(escape($0.amount)) (\(authority($0.authority)) \($0.kind.rawValue))" }.joined(separator: "; ")
        case "upper-limit":
            let limits = NutrientFacts.adultLimits(nutrient)
            return limits.isEmpty ? "None set" : limits.map { "\(escape(NutrientFacts.amount($0, nutrient))) (\(authority($0.authority.value)))" }
                .joined(separator: "; ")
        case "deficiency": return condition(nutrient.deficiency)
        case "deficiency-symptoms": return symptomList(nutrient.deficiency)
        case "excess": return condition(nutrient.excess)
        case "excess-symptoms": return symptomList(nutrient.excess)
        default:
            let foods = nutrient.foodSources.prefix(4).map(\.food)
            return foods.isEmpty ? "—" : escape(foods.joined(separator: ", "))
        }
    }
}
