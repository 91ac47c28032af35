#!/usr/bin/env python3
"""`make bench-stripped`: how far the build is from the cmark-gfm floor once the features that the
floor does not have are taken away. Builds the `make bench` corpus two ways, alternating, each
build with a floor run beside it:

- full: the corpus as `make bench` builds it (the repository's templates and settings);
- stripped: the same articles with every template cut to `{{{body_html}}}` and `autolink: off`,
  so no page layout, no lists, no auto-links are rendered (the rest of the build is unchanged:
  front matter, links, headings, JSON-LD, graph, search index, feeds, hashes, files).

Prints each run and the medians of wall time, CPU time and the ratio to the floor pair by pair (the
floor in Materia's arena, the stricter of `make bench`'s two).

Usage: stripped.py [-n 10000] [--runs 3] [--dest /tmp]   (--dest /dev/shm for tmpfs)
"""
import atexit, os, shutil, statistics

from bench import Outputs, corpus, floor_seconds, options, run, warm


def stripped_copy(site):
    """The corpus with one-line templates and auto-links off; the articles are hard links."""
    copy = site + "-stripped"
    shutil.rmtree(copy, ignore_errors=True)
    os.makedirs(copy)
    shutil.copytree(os.path.join(site, "Content"), os.path.join(copy, "Content"), copy_function=os.link)
    shutil.copytree(os.path.join(site, "Templates"), os.path.join(copy, "Templates"))
    for folder, _, files in os.walk(os.path.join(copy, "Templates")):
        for name in files:
            if name.endswith(".mustache"):
                with open(os.path.join(folder, name), "w") as handle:
                    handle.write("{{{body_html}}}\n")
    settings = open(os.path.join(site, "materia.yaml")).read()
    lines = [line for line in settings.splitlines() if not line.startswith("autolink:")]
    with open(os.path.join(copy, "materia.yaml"), "w") as handle:
        handle.write("\n".join(lines + ["autolink: off", ""]))
    return copy


def main():
    args = options().parse_args()

    site = corpus(args.n)
    stripped = stripped_copy(site)
    warm(site)
    articles = os.path.join(site, "Content", "articles")
    out = os.path.join(args.dest, "materia-bench-stripped-out-%d" % args.n)
    outputs = Outputs(args.dest)  # see bench.Outputs: on a disk, old outputs are deleted at the end
    atexit.register(outputs.finish)  # after the last run, or when a run fails
    builds = {"full": site, "stripped": stripped}
    results = {name: [] for name in builds}
    for index in range(args.runs):
        for name, root in builds.items():
            outputs.clear(out)
            wall, cpu, rss = run([args.materia, "build", "--root", root, "--output", out, "--quiet"])
            floor = floor_seconds(args.floor, articles)[0]["floor"]
            results[name].append((wall, cpu, rss, floor))
            print("  %-10s run %d   wall %5.2f s   cpu %5.2f s   peak rss %4.0f MiB   floor %.3f s   ratio %.2f" % (
                name, index + 1, wall, cpu, rss, floor, wall / floor))
    outputs.clear(out)
    print("medians:")
    for name, rows in results.items():
        print("  %-10s wall %5.2f s   cpu %5.2f s   build / floor, pair by pair: %s → median %.2f×" % (
            name, statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows),
            ", ".join("%.2f" % (r[0] / r[3]) for r in rows), statistics.median(r[0] / r[3] for r in rows)))


if __name__ == "__main__":
    main()
