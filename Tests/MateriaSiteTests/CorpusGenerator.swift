import Foundation

/// Writes deterministic articles shaped like real ones (headings, lists, a table, strikethrough,
/// autolinks, FAQ, internal links) into a site, for parallel-versus-serial comparisons.
enum CorpusGenerator {
    static func write(count: Int, into articles: URL, nutrients: [String]) throws {
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let words = ["magnesium", "muscle", "nerve", "intake", "daily", "level", "supplement", "evidence", "cramp", "kidney",
                     "absorption", "food", "serum", "twitch", "dose", "limit", "adult", "study", "signal", "balance"]
        func sentence() -> String {
            var parts = (0..<(8 + next(10))).map { _ in words[next(words.count)] }
            parts[0] = parts[0].capitalized
            if next(4) == 0 { parts.insert("~~\(words[next(words.count)])~~", at: 1) }
            if next(5) == 0 { parts.insert("**\(words[next(words.count)])**", at: 2) }
            return parts.joined(separator: " ") + "."
        }
        for i in 0..<count {
            let nutrient = nutrients[i % nutrients.count]
            var body = [sentence() + " " + sentence()]
            for h in 0..<(4 + next(3)) {
                body.append("## Section \(h) on \(words[next(words.count)]) \"quoted\"")
                body.append((0..<3).map { _ in sentence() }.joined(separator: " ") + " See [article \((i + 7) % count)](/articles/generated-\((i + 7) % count)/) or https://example.org/\(i).")
                if h == 1 { body.append("| Food | mg |\n|:--|--:|\n| Spinach | \(next(200)) |\n| Almonds | \(next(200)) |") }
                if h == 2 { body.append("- \(sentence())\n- \(sentence())\n- [ ] \(sentence())") }
            }
            let text = """
            ---
            title: "Generated article \(i): \(words[next(words.count)])"
            summary: "\(sentence())"
            date: 2025-0\(1 + i % 9)-1\(i % 10)
            reviewed: 2026-0\(1 + i % 9)-1\(i % 10)
            reviewer: "Reviewer \(i % 7)"
            nutrients: [\(nutrient)]
            tags: [t\(i % 5), t\(i % 3)]
            key_points:
              - "\(sentence())"
              - "\(sentence())"
            faq:
              - question: "Is \(words[next(words.count)]) safe?"
                answer: "\(sentence()) ~~Old advice~~ changed."
            ---

            \(body.joined(separator: "\n\n"))

            """
            try text.write(to: articles.appendingPathComponent("generated-\(i).md"), atomically: false, encoding: .utf8)
        }
    }
}
