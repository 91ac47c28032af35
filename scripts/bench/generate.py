#!/usr/bin/env python3
"""Materia's own benchmark corpus: N synthetic articles in Materia's site layout.

Each article is shaped like a real knowledge-base article (and like ../shared/bench/gen_corpus.py's):
a body of about 1,200 words with 6 to 8 headings (some with subheadings), two lists, one pipe
table, 3 to 6 links to other articles, inline emphasis, strong text, code and strikethrough and
the odd bare URL; front matter with title, summary, dates, reviewer, tags (plain or quoted),
nutrients, key points and a FAQ. The text is random words from a small health vocabulary,
seeded, so the same N gives the same bytes.
The site gets the repository's data files, templates and settings.

Usage: generate.py OUT -n N [--seed S]
"""
import argparse, os, random, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NUTRIENTS = ["magnesium", "calcium", "potassium", "vitamin-d", "vitamin-b12", "vitamin-b6"]
THEMES = ["sleep", "pregnancy", "older adults", "athletes", "kidney health", "bone health", "heart rhythm", "migraine",
          "muscle cramps", "fatigue", "digestion", "medication", "children", "vegan diets", "stress"]
ANGLES = ["what the evidence says", "how much is enough", "signs of a shortfall", "food first", "supplements compared",
          "safety and upper limits", "common questions", "testing and diagnosis", "who is at risk", "interactions"]
WORDS = ("intake level blood serum muscle nerve bone heart kidney absorption diet supplement dose study trial evidence "
         "adult child older deficiency excess symptom cramp twitch fatigue sleep energy enzyme cell signal balance "
         "food source leafy greens nuts seeds beans fish dairy fortified daily average upper limit risk benefit "
         "effect research review clinical measure marker range normal low high common rare mild severe doctor test "
         "often usually sometimes may can should because while although however therefore people groups women men").split()
TAGS = ["diet", "safety", "supplements", "symptoms", "testing", "women", "men", "elderly", "children", "sport"]


# Version of the corpus's shape: the benchmark generates its corpus again when this changes.
VERSION = 2


def marks(rng):
    """None to two inline marks for a sentence of the body, as authors use them."""
    options = ["*%s*" % rng.choice(WORDS), "_%s_" % rng.choice(WORDS), "**%s %s**" % (rng.choice(WORDS), rng.choice(WORDS)),
               "`%d mg`" % rng.randint(5, 900), "~~%s %s~~" % (rng.choice(WORDS), rng.choice(WORDS))]
    return rng.sample(options, rng.randint(0, 2))


def sentence(rng, low=8, high=20, marked=False):
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    words[0] = words[0].capitalize()
    if marked:
        for mark in marks(rng):
            words.insert(rng.randint(1, len(words)), mark)
    return " ".join(words) + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng, sentences=None, marked=True):
    text = " ".join(sentence(rng, marked=marked) for _ in range(sentences or rng.randint(3, 6)))
    if marked and rng.random() < 0.05:
        text += " More at https://ods.od.nih.gov/factsheets/."
    return text


def body_words(lines):
    return sum(len(line.split()) for line in lines)


def title_of(index):
    rng = random.Random(index * 7919)
    nutrient = NUTRIENTS[index % len(NUTRIENTS)].replace("-", " ").title().replace("B12", "B12").replace("B6", "B6")
    return "%s and %s: %s" % (nutrient, rng.choice(THEMES), rng.choice(ANGLES))


def slug_of(index):
    return "%s-%05d" % ("-".join(title_of(index).lower().replace(":", "").split()[:5]), index)


def article(index, n, rng):
    nutrients = [NUTRIENTS[index % len(NUTRIENTS)]] + rng.sample([x for x in NUTRIENTS if x != NUTRIENTS[index % len(NUTRIENTS)]], rng.randint(0, 2))
    day = "2026-%02d-%02d" % (rng.randint(1, 10), rng.randint(1, 28))
    lines = ["---", 'title: "%s"' % title_of(index), "slug: %s" % slug_of(index),
             'summary: "%s"' % sentence(rng, 14, 24).replace('"', ""), "date: %s" % day, "reviewed: %s" % day,
             'reviewer: "Dr. Reviewer %d"' % rng.randint(1, 40),
             "tags: [%s]" % ", ".join(('"%s"' if rng.random() < 0.5 else "%s") % tag for tag in rng.sample(TAGS, 3)),
             "nutrients: [%s]" % ", ".join(nutrients), "key_points:"]
    lines += ['  - "%s"' % sentence(rng, 8, 16) for _ in range(rng.randint(3, 5))]
    lines.append("faq:")
    for _ in range(rng.randint(2, 4)):
        lines.append('  - question: "%s?"' % sentence(rng, 6, 10).rstrip(".!?"))
        lines.append('    answer: "%s"' % paragraph(rng, 2, marked=False))
    lines += ["---", ""]
    body = [paragraph(rng), ""]
    links = rng.sample(range(n), min(n - 1, rng.randint(3, 6))) if n > 1 else []
    links = [other for other in links if other != index]
    headings = rng.randint(6, 8)
    words = 0
    for section in range(headings):
        body += ["## %s" % sentence(rng, 3, 6).rstrip(".!?"), ""]
        for _ in range(rng.randint(1, 2)):
            text = paragraph(rng)
            if links and rng.random() < 0.6:
                other = links.pop()
                text += " See [%s](/articles/%s/) for more." % (title_of(other).split(":")[0], slug_of(other))
            body += [text, ""]
        if section == 1 or section == 4:
            body += ["- " + sentence(rng, 5, 10) for _ in range(rng.randint(3, 5))] + [""]
        if section == 2:
            body += ["| Group | Amount | Note |", "| --- | ---: | --- |"]
            body += ["| %s | %d mg | %s |" % (rng.choice(["Adults", "Children", "Older adults", "Pregnancy"]), rng.randint(10, 900),
                                               sentence(rng, 3, 6)) for _ in range(rng.randint(3, 5))] + [""]
        if section == 3:
            body += ["### %s" % sentence(rng, 2, 4).rstrip(".!?"), "", paragraph(rng), ""]
    for other in links:
        body += ["Related: [%s](/articles/%s/)." % (title_of(other), slug_of(other)), ""]
    # A body of about 1,200 words, as real articles have.
    while body_words(body) < 1200:
        body += [paragraph(rng), ""]
    return "\n".join(lines + body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    articles = os.path.join(args.out, "Content", "articles")
    os.makedirs(articles)
    shutil.copytree(os.path.join(REPO, "Content", "data"), os.path.join(args.out, "Content", "data"))
    shutil.copytree(os.path.join(REPO, "Templates"), os.path.join(args.out, "Templates"))
    shutil.copy(os.path.join(REPO, "materia.yaml"), args.out)
    total = 0
    for index in range(args.n):
        text = article(index, args.n, random.Random(args.seed * 1_000_003 + index))
        total += len(text.encode())
        with open(os.path.join(articles, slug_of(index) + ".md"), "w") as handle:
            handle.write(text)
    print("generated %d articles, %.1f MB, in %s" % (args.n, total / 1e6, args.out))


if __name__ == "__main__":
    main()
