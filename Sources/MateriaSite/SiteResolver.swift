import Foundation
import MateriaContent

/// How a nutrient relates to a condition or symptom.
public enum NutrientRelation: String, Sendable {
    case deficiency, excess, related
}

/// A link from one entity to another, with why they are linked.
public struct EntityLink: Sendable, Hashable {
    public let id: String
    public let relation: NutrientRelation
}

/// The validated site with every relation resolved in both directions. Immutable: pages
/// render from it as pure functions, in any order, on any thread.
public struct ResolvedSite: Sendable {
    public let config: SiteConfig
    /// Sorted by title.
    public internal(set) var articles: [Article]
    public let nutrients: [Nutrient]
    public let conditions: [Condition]
    public let symptoms: [Symptom]

    public let nutrientByID: [String: Nutrient]
    public let conditionByID: [String: Condition]
    public let symptomByID: [String: Symptom]

    /// Article slugs per entity id, in article order.
    public let articlesByNutrient: [String: [String]]
    public let articlesByCondition: [String: [String]]
    public let articlesBySymptom: [String: [String]]
    public internal(set) var articleBySlug: [String: Article]

    public let nutrientsOfCondition: [String: [EntityLink]]
    public let symptomsOfCondition: [String: [String]]
    public let conditionsOfSymptom: [String: [String]]
    public let nutrientsOfSymptom: [String: [EntityLink]]
    public let conditionsOfNutrient: [String: [EntityLink]]
    /// Up to five related articles per slug, best first.
    public let relatedArticles: [String: [String]]

    /// The same site with every article's Markdown dropped (after the Markdown phase).
    func withoutArticleBodies(jobs: Int = 1) -> ResolvedSite {
        var copy = self
        copy.articles = parallelMap(articles, jobs: jobs) { $0.withoutBody() }
        // Made as `resolve` makes it, from the stripped articles, so that no article is held twice.
        copy.articleBySlug = Dictionary(copy.articles.map { ($0.slug.value, $0) }, uniquingKeysWith: { first, _ in first })
        return copy
    }
}

/// Phase 3 (resolve): links nutrients, conditions, symptoms and articles both ways.
public struct SiteResolver: Sendable {
    let source: SiteSource
    /// The related articles of an earlier resolve (`materia serve`), reused while no article's
    /// slug, position, nutrients, conditions, symptoms or tags changed.
    var relatedCache: RelatedCache?
    /// Threads for the related-article lists (`--jobs`).
    var jobs: Int

    /// A build resolves with a temporary (`SiteResolver(source:jobs:).resolve()`): the resolver
    /// holds the loaded articles with their Markdown, which must not live on after resolving.
    public init(source: SiteSource, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.source = source
        self.jobs = jobs
    }

    public func resolve() -> ResolvedSite {
        // Each title lowercased once, not twice per comparison (a sort of 10,000 makes ~270,000).
        let titleKeys = source.articles.map { ($0.title.lowercased(), $0.slug.value) }
        let articles = source.articles.indices.sorted { titleKeys[$0] < titleKeys[$1] }.map { source.articles[$0] }
        // Every order has a final tie-break on the id: output must not depend on hashing or input order.
        let nutrients = source.nutrients.sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        let conditions = source.conditions.sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }
        let symptoms = source.symptoms.sorted { ($0.name.lowercased(), $0.id) < ($1.name.lowercased(), $1.id) }

        // The related articles (a pass over every article, then a ranking) are found beside the
        // indexes by entity, which are another pass.
        let (relatedArticles, indexes) = concurrently(jobs: jobs, { [self] in
            relatedCache?.related(articles, compute: related) ?? related(articles)
        }, { () -> (byNutrient: [String: [String]], byCondition: [String: [String]], bySymptom: [String: [String]], bySlug: [String: Article]) in
            var byNutrient: [String: [String]] = [:], byCondition: [String: [String]] = [:], bySymptom: [String: [String]] = [:]
            for article in articles {
                for id in unique(article.nutrients.map(\.value)) { byNutrient[id, default: []].append(article.slug.value) }
                for id in unique(article.conditions.map(\.value)) { byCondition[id, default: []].append(article.slug.value) }
                for id in unique(article.symptoms.map(\.value)) { bySymptom[id, default: []].append(article.slug.value) }
            }
            return (byNutrient, byCondition, bySymptom, Dictionary(articles.map { ($0.slug.value, $0) }, uniquingKeysWith: { first, _ in first }))
        })

        // Relations are the union of what each side declares, so authors may write a link once.
        var conditionNutrients: [String: Set<EntityLink>] = [:]
        var conditionSymptoms: [String: Set<String>] = [:]
        var symptomNutrients: [String: Set<EntityLink>] = [:]
        var symptomConditions: [String: Set<String>] = [:]
        for nutrient in nutrients {
            for (effect, relation) in [(nutrient.deficiency, NutrientRelation.deficiency), (nutrient.excess, .excess)] {
                guard let effect else { continue }
                if let condition = effect.condition?.value {
                    conditionNutrients[condition, default: []].insert(EntityLink(id: nutrient.id, relation: relation))
                    for symptom in effect.symptoms {
                        conditionSymptoms[condition, default: []].insert(symptom.value)
                        symptomConditions[symptom.value, default: []].insert(condition)
                    }
                }
                for symptom in effect.symptoms {
                    symptomNutrients[symptom.value, default: []].insert(EntityLink(id: nutrient.id, relation: relation))
                }
            }
        }
        for condition in conditions {
            for nutrient in condition.nutrients {
                conditionNutrients[condition.id, default: []].insert(EntityLink(id: nutrient.value, relation: .related))
            }
            for symptom in condition.symptoms {
                conditionSymptoms[condition.id, default: []].insert(symptom.value)
                symptomConditions[symptom.value, default: []].insert(condition.id)
            }
        }
        for symptom in symptoms {
            for condition in symptom.conditions {
                symptomConditions[symptom.id, default: []].insert(condition.value)
                conditionSymptoms[condition.value, default: []].insert(symptom.id)
            }
            for nutrient in symptom.nutrients {
                symptomNutrients[symptom.id, default: []].insert(EntityLink(id: nutrient.value, relation: .related))
            }
        }
        var nutrientConditions: [String: Set<EntityLink>] = [:]
        for (condition, links) in conditionNutrients {
            for link in links { nutrientConditions[link.id, default: []].insert(EntityLink(id: condition, relation: link.relation)) }
        }

        let nutrientName = Dictionary(uniqueKeysWithValues: nutrients.map { ($0.id, $0.name.lowercased()) })
        let conditionName = Dictionary(uniqueKeysWithValues: conditions.map { ($0.id, $0.name.lowercased()) })
        let symptomName = Dictionary(uniqueKeysWithValues: symptoms.map { ($0.id, $0.name.lowercased()) })
        // A specific relation (deficiency, excess) hides a plain "related" one for the same pair.
        func links(_ set: Set<EntityLink>?, names: [String: String]) -> [EntityLink] {
            let all = set ?? []
            let specific = Set(all.filter { $0.relation != .related }.map(\.id))
            return all.filter { $0.relation != .related || !specific.contains($0.id) }
                .sorted { (names[$0.id] ?? $0.id, $0.id, $0.relation.rawValue) < (names[$1.id] ?? $1.id, $1.id, $1.relation.rawValue) }
        }
        func ids(_ set: Set<String>?, names: [String: String]) -> [String] {
            (set ?? []).sorted { (names[$0] ?? $0, $0) < (names[$1] ?? $1, $1) }
        }

        return ResolvedSite(
            config: source.config, articles: articles, nutrients: nutrients, conditions: conditions, symptoms: symptoms,
            nutrientByID: Dictionary(uniqueKeysWithValues: nutrients.map { ($0.id, $0) }),
            conditionByID: Dictionary(uniqueKeysWithValues: conditions.map { ($0.id, $0) }),
            symptomByID: Dictionary(uniqueKeysWithValues: symptoms.map { ($0.id, $0) }),
            articlesByNutrient: indexes.byNutrient, articlesByCondition: indexes.byCondition, articlesBySymptom: indexes.bySymptom,
            articleBySlug: indexes.bySlug,
            nutrientsOfCondition: conditionNutrients.mapValues { links($0, names: nutrientName) },
            symptomsOfCondition: conditionSymptoms.mapValues { ids($0, names: symptomName) },
            conditionsOfSymptom: symptomConditions.mapValues { ids($0, names: conditionName) },
            nutrientsOfSymptom: symptomNutrients.mapValues { links($0, names: nutrientName) },
            conditionsOfNutrient: nutrientConditions.mapValues { links($0, names: conditionName) },
            relatedArticles: relatedArticles)
    }

    /// Ranks other articles by what they share: nutrients and conditions weigh 3, symptoms 2, tags 1.
    ///
    /// Candidates come from the rarest shared keys first and are capped, so the cost stays linear
    /// on large sites where thousands of articles share a nutrient; the ranking is exact whenever
    /// fewer than `candidateLimit` articles share the article's keys. Ties go to the earlier title.
    private func related(_ articles: [Article]) -> [String: [String]] {
        let candidateLimit = 64
        // Keys ("n:magnesium", "t:sleep") are numbered once; an article's keys are then a few
        // (number, weight) pairs, and scoring a candidate compares numbers, not strings.
        var number = KeyNumbers()
        var keyIndex: [[Int]] = []  // the articles of each key, by the key's number
        var articleWeights: [[(key: Int, weight: Int)]] = []
        articleWeights.reserveCapacity(articles.count)
        for (position, article) in articles.enumerated() {
            var weights: [(key: Int, weight: Int)] = []
            func set(_ key: String, _ weight: Int) {
                let key = number(key)
                if key == keyIndex.count { keyIndex.append([]) }
                if let existing = weights.firstIndex(where: { $0.key == key }) { weights[existing].weight = weight } else { weights.append((key, weight)) }
            }
            for id in article.nutrients { set("n:" + id.value, 3) }
            for id in article.conditions { set("c:" + id.value, 3) }
            for id in article.symptoms { set("s:" + id.value, 2) }
            for tag in article.tags { set("t:" + tag.lowercased(), 1) }
            for (key, _) in weights { keyIndex[key].append(position) }
            articleWeights.append(weights)
        }
        // An article's keys in order of their number, so that two articles' shared keys are found
        // by one merge of their lists.
        for position in articleWeights.indices { articleWeights[position].sort { $0.key < $1.key } }
        // Each key's place in the order candidates are gathered in: rarest first, then by name
        // (compared once here, not again for every article that has the key).
        let keyNames = number.keys
        var rank = [Int](repeating: 0, count: keyIndex.count)
        for (place, key) in keyIndex.indices.sorted(by: { (keyIndex[$0].count, keyNames[$0]) < (keyIndex[$1].count, keyNames[$1]) }).enumerated() {
            rank[key] = place
        }
        let index = keyIndex, allWeights = articleWeights, keyRank = rank
        // Each article's list depends only on the index: computed in parallel, in input order.
        let lists = parallelMap(Array(articles.indices), jobs: jobs) { position -> [String] in
            let own = allWeights[position]
            let keys = own.map(\.key).sorted { keyRank[$0] < keyRank[$1] }
            // At most `candidateLimit` of them; whether one is already in is asked of a small
            // open-addressing set beside the list (asked of the list itself, it was a scan of up to
            // 64 numbers for every article a key names).
            var candidates: [Int] = []
            candidates.reserveCapacity(candidateLimit)
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * candidateLimit) { slots in
                slots.initialize(repeating: -1)
                let mask = slots.count - 1
                gather: for key in keys {
                    for other in index[key] where other != position {
                        var slot = (other &* 0x9E37_79B9) & mask
                        while slots[slot] != -1 && slots[slot] != other { slot = (slot + 1) & mask }
                        if slots[slot] == other { continue }
                        slots[slot] = other
                        candidates.append(other)
                        if candidates.count >= candidateLimit { break gather }
                    }
                }
            }
            // The weight of the keys both articles have: one merge of the two lists, in key order.
            var scored = candidates.map { other -> (Int, Int) in
                let theirs = allWeights[other]
                var score = 0, mine = 0, their = 0
                while mine < own.count && their < theirs.count {
                    if own[mine].key == theirs[their].key {
                        score += own[mine].weight
                        mine += 1
                        their += 1
                    } else if own[mine].key < theirs[their].key {
                        mine += 1
                    } else {
                        their += 1
                    }
                }
                return (other, score)
            }
            // Candidates are distinct, so no two compare equal and any sort gives the same order.
            scored.sort { ($1.1, $0.0) < ($0.1, $1.0) }
            let best = scored.prefix(5)
            return best.map { articles[$0.0].slug.value }
        }
        var result: [String: [String]] = [:]
        for (article, list) in zip(articles, lists) { result[article.slug.value] = list }
        return result
    }
}

/// `values` without repeats, first occurrence kept.
func unique(_ values: [String]) -> [String] {
    // Most lists are a handful of ids (an article's nutrients): compared pair by pair, and
    // returned as they are when nothing repeats, with no set built.
    if values.count <= 16 {
        var repeated = false
        for index in values.indices.dropFirst() where values[..<index].contains(values[index]) {
            repeated = true
            break
        }
        if !repeated { return values }
    }
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}

/// Related articles kept between rebuilds: they depend on every article's keys, not its text.
final class RelatedCache: @unchecked Sendable {
    private var keys: [[String]] = []
    private var value: [String: [String]] = [:]

    func related(_ articles: [Article], compute: ([Article]) -> [String: [String]]) -> [String: [String]] {
        let current = articles.map { article -> [String] in
            var key: [String] = [article.slug.value]
            key += article.nutrients.map(\.value)
            key.append("|")
            key += article.conditions.map(\.value)
            key.append("|")
            key += article.symptoms.map(\.value)
            key.append("|")
            key += article.tags
            return key
        }
        if current != keys {
            value = compute(articles)
            keys = current
        }
        return value
    }
}
