import Foundation

/// A calendar date as written in content (`YYYY-MM-DD`); no time zone, no clock.
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...Day.daysIn(month: month, year: year)).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Today in UTC, or `MATERIA_TODAY` (YYYY-MM-DD) when set, so that tests can fix the date.
    /// Used for review reminders only: no page ever shows the build date.
    public static func today() -> Day {
        if let fixed = ProcessInfo.processInfo.environment["MATERIA_TODAY"], let day = Day(iso: fixed) { return day }
        let seconds = Int(Date().timeIntervalSince1970)
        // Civil-from-days (Howard Hinnant's algorithm), avoiding calendars and locales.
        let z = seconds / 86_400 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return Day(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)!
    }

    /// Strict ISO form, `YYYY-MM-DD` in ASCII digits, read on its bytes.
    public init?(iso text: String) {
        var text = text
        let parts: (Int, Int, Int)? = text.withUTF8 { bytes in
            guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    guard bytes[index] >= 0x30 && bytes[index] <= 0x39 else { return nil }
                    value = value * 10 + Int(bytes[index] - 0x30)
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
            return (year, month, day)
        }
        guard let (year, month, day) = parts else { return nil }
        self.init(year: year, month: month, day: day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The same day `months` later, clamped to the end of a shorter month (and to year 9999).
    public func adding(months: Int) -> Day {
        let total = min(year * 12 + (month - 1) + months, 9999 * 12 + 11)
        let y = total / 12, m = total % 12 + 1
        return Day(year: y, month: m, day: min(day, Day.daysIn(month: m, year: y)))!
    }

    /// Days since 1970-01-01 (days-from-civil), for timestamps derived from content dates.
    public var daysSince1970: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public var iso: String {
        // Ten bytes (the year is 1...9999, see `init`): a string that short is stored inline, with
        // no allocation (the feeds, sitemap, JSON-LD and page contexts ask for thousands).
        String(unsafeUninitializedCapacity: 10) { buffer in
            func put(_ value: Int, at start: Int, width: Int) {
                var rest = value
                for index in stride(from: start + width - 1, through: start, by: -1) {
                    buffer[index] = UInt8(0x30 + rest % 10)
                    rest /= 10
                }
            }
            put(year, at: 0, width: 4)
            buffer[4] = 0x2D
            put(month, at: 5, width: 2)
            buffer[7] = 0x2D
            put(day, at: 8, width: 2)
            return 10
        }
    }

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"]

    /// "14 September 2026": unambiguous in every English-speaking country. Written as bytes, as
    /// `iso` is (through string interpolation it took about 1,400 instructions, asked for two or
    /// three dates of every article page).
    public var display: String {
        // At most 2 + 1 + 9 + 1 + 4 bytes ("September", a year of up to four digits, see `init`).
        String(unsafeUninitializedCapacity: 17) { buffer in
            var count = 0
            func put(_ value: Int) {
                let digits = value >= 1000 ? 4 : value >= 100 ? 3 : value >= 10 ? 2 : 1
                var rest = value
                for index in stride(from: count + digits - 1, through: count, by: -1) {
                    buffer[index] = UInt8(0x30 + rest % 10)
                    rest /= 10
                }
                count += digits
            }
            put(day)
            buffer[count] = 0x20
            count += 1
            for byte in Day.monthNames[month - 1].utf8 {
                buffer[count] = byte
                count += 1
            }
            buffer[count] = 0x20
            count += 1
            put(year)
            return count
        }
    }

    public var description: String { iso }

    public static func < (lhs: Day, rhs: Day) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// Site-wide settings from `materia.yaml`.
public struct SiteConfig: Sendable, Equatable {
    public var title: String
    public var description: String
    public var baseURL: String
    public var language: String
    public var disclaimerShort: String
    /// Markdown.
    public var disclaimerFull: String
    public var reviewCycleMonths: Int
    public var allowRawHTML: Bool
    /// Authority id (as used in the data, e.g. `NASEM`) → full name.
    public var authorities: [String: String]
    /// Auto-links from the data: "first" (default), "first-per-section" or "off".
    public var autolink: String = "first"
    /// Where the full disclaimer's Markdown starts in materia.yaml.
    public var disclaimerOrigin: TextOrigin?
    public var location: SourceLocation

    public init(title: String, description: String, baseURL: String, language: String, disclaimerShort: String,
                disclaimerFull: String, reviewCycleMonths: Int, allowRawHTML: Bool, authorities: [String: String],
                location: SourceLocation) {
        self.title = title
        self.description = description
        self.baseURL = baseURL
        self.language = language
        self.disclaimerShort = disclaimerShort
        self.disclaimerFull = disclaimerFull
        self.reviewCycleMonths = reviewCycleMonths
        self.allowRawHTML = allowRawHTML
        self.authorities = authorities
        self.location = location
    }
}

/// A reference in an article or a data file, shown as a numbered list.
public struct Citation: Sendable, Hashable {
    public let title: String
    public let url: String?
    public let publisher: String?
    public let year: Int?
    /// Where the url is written, for `materia check --external`.
    public var urlLocation: SourceLocation?
}

/// One question and its Markdown answer from an article's `faq`.
public struct FAQEntry: Sendable, Hashable {
    public let question: String
    public let answer: String
    public let location: SourceLocation
    public let answerOrigin: TextOrigin
}

/// An article: front matter plus Markdown body.
public struct Article: Sendable, Equatable {
    /// The fields, in one shared object: an article is copied into many lists, contexts and
    /// caches during a build, and a copy then costs one reference count instead of one per field.
    /// Readable from other modules' inlined code (the getters below are inlinable), so that
    /// `article.slug.value` retains the one string it reads rather than every field it passes.
    @usableFromInline final class Fields: Sendable {
        @usableFromInline let sourcePath: String
        @usableFromInline let slug: Located<String>
        @usableFromInline let title: String
        @usableFromInline let summary: String
        @usableFromInline let date: Day?
        @usableFromInline let updated: Day?
        @usableFromInline let reviewed: Day?
        @usableFromInline let reviewer: String?
        @usableFromInline let author: String?
        @usableFromInline let nutrients: [Located<String>]
        @usableFromInline let conditions: [Located<String>]
        @usableFromInline let symptoms: [Located<String>]
        @usableFromInline let tags: [String]
        @usableFromInline let keyPoints: [String]
        @usableFromInline let faq: [FAQEntry]
        @usableFromInline let references: [Citation]
        @usableFromInline let draft: Bool
        @usableFromInline let body: String
        @usableFromInline let bodyStartLine: Int

        init(sourcePath: String, slug: Located<String>, title: String, summary: String, date: Day?, updated: Day?, reviewed: Day?, reviewer: String?, author: String?, nutrients: [Located<String>], conditions: [Located<String>], symptoms: [Located<String>], tags: [String], keyPoints: [String], faq: [FAQEntry], references: [Citation], draft: Bool, body: String, bodyStartLine: Int) {
            self.sourcePath = sourcePath
            self.slug = slug
            self.title = title
            self.summary = summary
            self.date = date
            self.updated = updated
            self.reviewed = reviewed
            self.reviewer = reviewer
            self.author = author
            self.nutrients = nutrients
            self.conditions = conditions
            self.symptoms = symptoms
            self.tags = tags
            self.keyPoints = keyPoints
            self.faq = faq
            self.references = references
            self.draft = draft
            self.body = body
            self.bodyStartLine = bodyStartLine
        }
    }

    @usableFromInline let fields: Fields

    init(sourcePath: String, slug: Located<String>, title: String, summary: String, date: Day?, updated: Day?, reviewed: Day?, reviewer: String?, author: String?, nutrients: [Located<String>], conditions: [Located<String>], symptoms: [Located<String>], tags: [String], keyPoints: [String], faq: [FAQEntry], references: [Citation], draft: Bool, body: String, bodyStartLine: Int) {
        fields = Fields(sourcePath: sourcePath, slug: slug, title: title, summary: summary, date: date, updated: updated, reviewed: reviewed, reviewer: reviewer, author: author, nutrients: nutrients, conditions: conditions, symptoms: symptoms, tags: tags, keyPoints: keyPoints, faq: faq, references: references, draft: draft, body: body, bodyStartLine: bodyStartLine)
    }

    @inlinable public var sourcePath: String { fields.sourcePath }
    @inlinable public var slug: Located<String> { fields.slug }
    @inlinable public var title: String { fields.title }
    @inlinable public var summary: String { fields.summary }
    @inlinable public var date: Day? { fields.date }
    @inlinable public var updated: Day? { fields.updated }
    @inlinable public var reviewed: Day? { fields.reviewed }
    @inlinable public var reviewer: String? { fields.reviewer }
    @inlinable public var author: String? { fields.author }
    @inlinable public var nutrients: [Located<String>] { fields.nutrients }
    @inlinable public var conditions: [Located<String>] { fields.conditions }
    @inlinable public var symptoms: [Located<String>] { fields.symptoms }
    @inlinable public var tags: [String] { fields.tags }
    @inlinable public var keyPoints: [String] { fields.keyPoints }
    @inlinable public var faq: [FAQEntry] { fields.faq }
    @inlinable public var references: [Citation] { fields.references }
    @inlinable public var draft: Bool { fields.draft }
    @inlinable public var body: String { fields.body }
    /// File line of the body's first line, so Markdown positions map back to the file.
    @inlinable public var bodyStartLine: Int { fields.bodyStartLine }

    public var bodyOrigin: TextOrigin { TextOrigin(path: sourcePath, line: bodyStartLine) }

    /// The article without its Markdown, once that has been rendered: a build then no longer
    /// keeps every body in memory while it renders the pages.
    public func withoutBody() -> Article {
        Article(sourcePath: sourcePath, slug: slug, title: title, summary: summary, date: date, updated: updated, reviewed: reviewed, reviewer: reviewer, author: author, nutrients: nutrients, conditions: conditions, symptoms: symptoms, tags: tags, keyPoints: keyPoints, faq: faq, references: references, draft: draft, body: "", bodyStartLine: bodyStartLine)
    }

    public static func == (lhs: Article, rhs: Article) -> Bool {
        if lhs.fields === rhs.fields { return true }
        return lhs.sourcePath == rhs.sourcePath
            && lhs.slug == rhs.slug
            && lhs.title == rhs.title
            && lhs.summary == rhs.summary
            && lhs.date == rhs.date
            && lhs.updated == rhs.updated
            && lhs.reviewed == rhs.reviewed
            && lhs.reviewer == rhs.reviewer
            && lhs.author == rhs.author
            && lhs.nutrients == rhs.nutrients
            && lhs.conditions == rhs.conditions
            && lhs.symptoms == rhs.symptoms
            && lhs.tags == rhs.tags
            && lhs.keyPoints == rhs.keyPoints
            && lhs.faq == rhs.faq
            && lhs.references == rhs.references
            && lhs.draft == rhs.draft
            && lhs.body == rhs.body
            && lhs.bodyStartLine == rhs.bodyStartLine
    }
}

/// Whether a nutrient is a mineral or a vitamin.
public enum NutrientKind: String, Sendable, CaseIterable {
    case mineral, vitamin
}

/// RDA (Recommended Dietary Allowance, NASEM), PRI (Population Reference Intake, EFSA's
/// equivalent) or AI (Adequate Intake, used by both where evidence is thinner).
public enum IntakeKind: String, Sendable, CaseIterable {
    case RDA, PRI, AI
}

/// Life stages, in the order tables list them.
public enum LifeStage: String, Sendable, CaseIterable {
    case infants, children, adolescents, adults, olderAdults = "older-adults", pregnancy, lactation

    public var label: String {
        switch self {
        case .infants: return "Infants"
        case .children: return "Children"
        case .adolescents: return "Adolescents"
        case .adults: return "Adults"
        case .olderAdults: return "Older adults"
        case .pregnancy: return "Pregnancy"
        case .lactation: return "Breastfeeding"
        }
    }
}

/// A recommended daily intake for one population group, set by one authority.
public struct ReferenceIntake: Sendable, Hashable {
    public let authority: Located<String>
    public let kind: IntakeKind
    public let group: String
    public let stage: LifeStage?
    public let value: Double
}

/// A tolerable upper intake level, with what it applies to (e.g. "supplements only").
public struct UpperLimit: Sendable, Hashable {
    public let authority: Located<String>
    public let group: String
    public let value: Double
    public let scope: String?
}

/// A food and how much of the nutrient one serving of it holds.
public struct FoodSource: Sendable, Hashable {
    public let food: String
    public let serving: String?
    public let amount: Double?
}

/// What too little or too much of a nutrient causes: a condition and its symptoms, by id.
public struct NutrientEffect: Sendable, Hashable {
    public let condition: Located<String>?
    public let symptoms: [Located<String>]
}

/// A mineral or vitamin from `Content/data/nutrients/<id>.yaml`.
public struct Nutrient: Sendable, Equatable {
    public let id: String
    public let sourcePath: String
    /// Where `description` starts in the data file.
    public let descriptionOrigin: TextOrigin?
    public let name: String
    public let kind: NutrientKind
    public let unit: String
    public let aliases: [String]
    public let summary: String
    public let description: String?
    public let functions: [String]
    public let referenceIntakes: [ReferenceIntake]
    public let upperLimits: [UpperLimit]
    public let foodSources: [FoodSource]
    public let deficiency: NutrientEffect?
    public let excess: NutrientEffect?
    public let references: [Citation]
}

/// A condition (e.g. hypomagnesemia) from `Content/data/conditions/<id>.yaml`.
public struct Condition: Sendable, Equatable {
    public let id: String
    public let sourcePath: String
    /// Where `description` starts in the data file.
    public let descriptionOrigin: TextOrigin?
    public let name: String
    public let aliases: [String]
    public let summary: String
    public let description: String?
    public let causes: [String]
    public let nutrients: [Located<String>]
    public let symptoms: [Located<String>]
    public let references: [Citation]
}

/// A symptom (e.g. fasciculations) from `Content/data/symptoms/<id>.yaml`.
public struct Symptom: Sendable, Equatable {
    public let id: String
    public let sourcePath: String
    /// Where `description` starts in the data file.
    public let descriptionOrigin: TextOrigin?
    public let name: String
    public let aliases: [String]
    public let summary: String
    public let description: String?
    public let conditions: [Located<String>]
    public let nutrients: [Located<String>]
    public let references: [Citation]
}

/// Amounts as people write them: 400, 2.4, 0.25 (never 400.0).
public enum Amount {
    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
