import MateriaContent

/// The adult figures a reader looks for first, shared by the article quick facts and the data
/// directives so that both always say the same thing.
enum NutrientFacts {
    /// An adult RDA/PRI/AI range for one authority and kind: "310–420 mg/day".
    struct AdultIntake {
        let authority: String
        let kind: IntakeKind
        let amount: String
    }

    static func adultIntakes(_ nutrient: Nutrient, authority: String? = nil) -> [AdultIntake] {
        let adult = nutrient.referenceIntakes.filter {
            ($0.stage == .adults || ($0.stage == nil && $0.group.lowercased().contains("adult")))
                && (authority == nil || $0.authority.value == authority)
        }
        var result: [AdultIntake] = []
        for key in unique(adult.map { "\($0.authority.value) \($0.kind.rawValue)" }) {
            let rows = adult.filter { "\($0.authority.value) \($0.kind.rawValue)" == key }
            let low = rows.map(\.value).min()!, high = rows.map(\.value).max()!
            let range = low == high ? Amount.format(low) : "\(Amount.format(low))–\(Amount.format(high))"
            result.append(AdultIntake(authority: rows[0].authority.value, kind: rows[0].kind, amount: "\(range) \(nutrient.unit)/day"))
        }
        return result
    }

    /// Upper limits that apply to adults (all of them when none is marked for adults).
    static func adultLimits(_ nutrient: Nutrient, authority: String? = nil) -> [UpperLimit] {
        let candidates = nutrient.upperLimits.filter { authority == nil || $0.authority.value == authority }
        let adult = candidates.filter { $0.group.lowercased().contains("adult") }
        return adult.isEmpty ? candidates : adult
    }

    static func amount(_ limit: UpperLimit, _ nutrient: Nutrient) -> String {
        "\(Amount.format(limit.value)) \(nutrient.unit)/day"
    }
}
