#!/usr/bin/env python3
"""`make bench-ab A=… B=…`: two (or more) materia binaries built side by side on the same generated
articles, runs alternating (A, B, B, A, A, B, …: the order turns every round) so that a machine
getting slower or faster during the measurement weighs on both alike. This is how a change is measured on a noisy machine: one build
of each, or a `make bench` now against one from an hour ago, can differ by 10–30 % on its own.

Prints, per binary, the median and the minimum of wall time, CPU time (user + system) and peak RSS,
then each phase's CPU time from `MATERIA_TIMINGS=1`, the ratio of medians of each binary to the
first, and the median of the round-by-round CPU ratios with how many rounds each was faster in. `--jobs 1` measures CPU with less scheduling noise. Even so, a difference under about 5 %
needs a second round before it is believed.

Usage: ab.py BINARY BINARY [BINARY…] [-n 10000] [--pairs 5] [--dest /tmp] [--jobs N]   (--dest /dev/shm for tmpfs)
"""
import argparse, atexit, os, statistics, sys

from bench import ENV, Outputs, corpus, measure, warm


def build(binary, site, out, jobs, outputs):
    """One full build from an empty output: wall, CPU, peak RSS in MiB, and CPU seconds by phase."""
    outputs.clear(out)
    command = [binary, "build", "--root", site, "--output", out, "--quiet"]
    if jobs:
        command += ["--jobs", str(jobs)]
    wall, cpu, rss, errors = measure(command, env=dict(ENV, MATERIA_TIMINGS="1"))
    phases = {}
    # "timing markdown     2.660 s   cpu  5.056 s   rss …": the name, then the phase's CPU seconds.
    for line in errors.splitlines():
        if line.startswith("timing ") and " cpu " in line:
            name = line[len("timing "):line.index(" s ")].rsplit(" ", 1)[0].strip()
            phases[name] = float(line.split(" cpu ")[1].split()[0])
    return wall, cpu, rss, phases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--pairs", type=int, default=5, help="rounds; each builds every binary once")
    parser.add_argument("--dest", default="/tmp", help="parent folder of the output (/dev/shm for tmpfs)")
    parser.add_argument("--jobs", type=int, default=0, help="threads (default: materia's own, all cores)")
    args = parser.parse_args()
    if len(args.binaries) < 2:
        sys.exit("give two binaries or more, e.g. a copy of the release binary before a change and after it")
    for binary in args.binaries:
        if not os.access(binary, os.X_OK):
            sys.exit("not an executable: %s" % binary)

    site = corpus(args.n)
    warm(site)
    out = os.path.join(args.dest, "materia-ab-out-%d" % args.n)
    outputs = Outputs(args.dest)  # see bench.Outputs: on a disk, old outputs are deleted at the end
    atexit.register(outputs.finish)  # after the last run, or when a run fails
    results = {binary: [] for binary in args.binaries}
    print("corpus: %d articles (%s), output to %s, %d rounds, %s, load %s" % (
        args.n, site, args.dest, args.pairs, "--jobs %d" % args.jobs if args.jobs else "all cores",
        open("/proc/loadavg").read().split()[0]))
    for round_ in range(args.pairs):
        # The order turns every round, so a host that speeds up or slows down favours no binary.
        for binary in (args.binaries if round_ % 2 == 0 else args.binaries[::-1]):
            results[binary].append(build(binary, site, out, args.jobs, outputs))
        print("  round %d: " % (round_ + 1) + ", ".join("%.2f s" % results[b][-1][0] for b in args.binaries))
    outputs.clear(out)

    def figures(binary, index):
        values = [run[index] for run in results[binary]]
        return statistics.median(values), min(values)

    names = [os.path.basename(binary) for binary in args.binaries]
    if len(set(names)) < len(names):
        names = list(args.binaries)
    width = max(14, max(len(name) for name in names) + 1)
    print("%-16s" % "median | min" + "".join("%*s" % (width + 4, name) for name in names))
    for label, index, unit in (("wall", 0, "s"), ("CPU", 1, "s"), ("peak RSS", 2, "MiB")):
        cells = []
        for binary in args.binaries:
            median, least = figures(binary, index)
            cells.append("%*s" % (width + 4, ("%.2f | %.2f" if unit == "s" else "%.0f | %.0f") % (median, least)))
        print("%-16s" % (label + " (" + unit + ")") + "".join(cells))
    phases = [name for name in results[args.binaries[0]][0][3]]
    for phase in phases:
        cells = []
        for binary in args.binaries:
            values = [run[3].get(phase, 0.0) for run in results[binary]]
            cells.append("%*s" % (width + 4, "%.3f | %.3f" % (statistics.median(values), min(values))))
        print("%-16s" % ("cpu " + phase) + "".join(cells))
    base_wall, base_cpu = figures(args.binaries[0], 0)[0], figures(args.binaries[0], 1)[0]
    for binary, name in zip(args.binaries[1:], names[1:]):
        print("  %s / %s: wall %.3f, CPU %.3f (ratios of medians)" % (
            name, names[0], figures(binary, 0)[0] / base_wall, figures(binary, 1)[0] / base_cpu))
        # Round by round: each round's two runs were next to each other in time.
        ratios = [mine[1] / base[1] for mine, base in zip(results[binary], results[args.binaries[0]])]
        print("  %s / %s round by round: CPU median %.3f, faster in %d of %d rounds" % (
            name, names[0], statistics.median(ratios), sum(1 for ratio in ratios if ratio < 1), len(ratios)))


if __name__ == "__main__":
    main()
