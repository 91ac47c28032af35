#!/usr/bin/env python3
"""`make bench`: full builds of N generated articles with the release binary, medians of several
runs, next to two cmark-gfm floors and (when Debian's hugo is installed and the machine has the
memory for it) Hugo on the same articles to the same destination.

Prints per run and then medians: wall time, CPU time (user + system), peak RSS; two floors
(cmark-gfm parse+render of the same bodies in one process on one thread, with cmark-gfm's own
allocator and in Materia's arena, see Sources/MateriaFloor) and the build's ratio to each; Materia/Hugo
ratios computed pair by pair (the runs alternate); a rebuild with nothing changed.

Usage: bench.py [-n 10000] [--runs 3] [--dest /tmp] [--hugo auto|yes|no]   (--dest /dev/shm for tmpfs)
"""
import argparse, atexit, os, shutil, statistics, subprocess, sys, time

import generate  # beside this script (Python puts a script's folder first on its path)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ENV = dict(os.environ, MATERIA_TODAY="2026-11-22")


def measure(command, cwd=None, env=ENV):
    """Runs a command; returns wall seconds, CPU seconds (user + system), peak RSS in MiB and what
    it wrote to standard error. Stops the benchmark if the command fails."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    errors = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: %s\n%s" % (" ".join(command), errors[-2000:]))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, errors


def run(command, cwd=None):
    """Runs a command; returns wall seconds, CPU seconds (user + system) and peak RSS in MiB."""
    return measure(command, cwd)[:3]


def corpus(n):
    site = "/tmp/materia-bench-%d" % n
    stamp = os.path.join(site, ".generated")
    made = "%d articles, shape %d" % (n, generate.VERSION)
    if not os.path.exists(stamp) or open(stamp).read() != made:
        subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), site, "-n", str(n)], check=True)
        open(stamp, "w").write(made)
    # The site's templates and settings follow the repository.
    shutil.rmtree(os.path.join(site, "Templates"))
    shutil.copytree(os.path.join(REPO, "Templates"), os.path.join(site, "Templates"))
    shutil.copy(os.path.join(REPO, "materia.yaml"), site)
    return site


def warm(folder):
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                handle.read()


def file_system(path):
    """The type of the file system that holds `path` ("tmpfs", "ext4", "ext4 without a journal",
    …), from /proc/mounts (the mount point that is the longest prefix of its real path) and, for
    ext4, /proc/fs/jbd2 (which lists a journal per device)."""
    real = os.path.realpath(path)
    best, kind, device = "", "unknown", ""
    try:
        for entry in open("/proc/mounts"):
            fields = entry.split()
            point = fields[1].replace("\\040", " ")
            if (real == point or real.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                best, kind, device = point, fields[2], fields[0]
    except OSError:
        pass
    if kind == "ext4" and os.path.isdir("/proc/fs/jbd2"):
        name = os.path.basename(device) + "-"
        if not any(journal.startswith(name) for journal in os.listdir("/proc/fs/jbd2")):
            kind = "ext4 without a journal"
    return kind


class Outputs:
    """Empties an output folder before each run. On tmpfs the old folder is deleted. Elsewhere it
    is renamed into a holding folder beside it, which is deleted only after the timed runs.

    ext4 without a journal (this machine's disk) skips an inode freed in the last 60 s, or the
    last 6 min while its inode table is not yet written back, each time it allocates one. It
    reads the inode table to check. A build of 10,000 articles creates 20,000 files and folders.
    Right after the last run's 20,000 were deleted, those checks made a build take up to 14 s of
    system time against about 1 s (docs/performance.md, session 27). A first build into an empty
    folder does not pay that, and neither should a benchmark of one. On tmpfs no such check is
    made, and keeping old outputs would take memory the runs would otherwise reuse."""

    # How long ext4 without a journal passes over a freed inode: 60 s, 6 min while the inode
    # table block that holds it is not yet written back (fs/ext4/ialloc.c, `recently_deleted`). A
    # build that allocates inodes next to freed ones keeps that block unwritten.
    RECENT = 360

    def __init__(self, dest):
        self.kind = file_system(dest)
        self.hold = None if self.kind == "tmpfs" else os.path.join(dest, "materia-bench-old-outputs")
        self.stamp = self.hold and self.hold + ".deleted"
        self.count = 0
        self.wait_for_deleted()

    def wait_for_deleted(self):
        """Waits until the outputs an earlier benchmark deleted here are no longer recent."""
        try:
            left = float(open(self.stamp).read()) + self.RECENT - time.time()
        except (OSError, TypeError, ValueError):
            return
        if self.kind == "ext4 without a journal" and 0 < left <= self.RECENT:
            print("waiting %.0f s: an earlier benchmark deleted its outputs in %s less than %d s ago, and "
                  "ext4 without a journal passes over such inodes each time it makes a file (see bench.Outputs)"
                  % (left, os.path.dirname(self.stamp), self.RECENT), flush=True)
            time.sleep(left)

    def clear(self, path):
        """Empties `path` for the next run, then settles the disk (see `settle`)."""
        if os.path.exists(path):
            if self.hold is None:
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.makedirs(self.hold, exist_ok=True)
                while os.path.exists(os.path.join(self.hold, str(self.count))):
                    self.count += 1
                os.rename(path, os.path.join(self.hold, str(self.count)))
        self.settle()

    def settle(self):
        """On a disk, writes back what the last run left to write, so that the kernel's writing
        it does not share the cores with the next run (a build leaves 0.3 GB, Hugo more)."""
        if self.hold is not None:
            subprocess.run(["sync"], check=False)

    def finish(self):
        """Deletes what was held, writes the freed inodes back and notes when (the next benchmark
        to this folder waits until they are no longer recent)."""
        if self.hold and os.path.exists(self.hold):
            print("deleting the %d earlier outputs held in %s" % (len(os.listdir(self.hold)), self.hold), flush=True)
            shutil.rmtree(self.hold, ignore_errors=True)
            subprocess.run(["sync"], check=False)
            with open(self.stamp, "w") as handle:
                handle.write("%f\n" % time.time())


def line(label, wall, cpu, rss):
    print("  %-34s wall %7.2f s   cpu %7.2f s   peak rss %6.0f MiB" % (label, wall, cpu, rss))


def options():
    """The command line `make bench` and `make bench-stripped` share."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dest", default="/tmp", help="parent folder of the outputs (/dev/shm for tmpfs)")
    parser.add_argument("--materia", default=os.path.join(REPO, ".build", "release", "materia"))
    parser.add_argument("--floor", default=os.path.join(REPO, ".build", "release", "materia-floor"))
    parser.add_argument("--hugo", choices=["auto", "yes", "no"], default="auto",
                        help="make bench only: run Hugo beside Materia when installed and the machine has the memory for it (auto)")
    parser.add_argument("--warmup", type=int, default=1,
                        help="make bench only: untimed rounds (a build, Hugo, the floor) before the timed ones (1; none with --cold)")
    parser.add_argument("--cold", action="store_true",
                        help="make bench only: before each timed full build, Hugo run and floor, free memory is compacted "
                             "and left 8 s for a VM to hand back to its host, as on a fresh machine (needs root)")
    return parser


COMPACT = "/proc/sys/vm/compact_memory"


def cold(enabled):
    """`--cold`: the kernel compacts free memory into large blocks, then 8 s pass, in which a VM
    with free page reporting (in blocks of up to 8 MB here) hands them back to its host. The next
    run then touches memory its host must back again, as the first runs on a fresh machine do; the
    runs that follow one another without it reuse memory the last one freed, which costs a few
    times less (docs/performance.md, session 26)."""
    if not enabled:
        return
    subprocess.run(["sync"], check=False)
    with open(COMPACT, "w") as handle:
        handle.write("1")
    time.sleep(8)


def available_mb():
    """MemAvailable from /proc/meminfo in MB (10^6 bytes), or None where there is none."""
    try:
        for text in open("/proc/meminfo"):
            if text.startswith("MemAvailable:"):
                return int(text.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return None


def floor_seconds(floor, articles, mode="arena"):
    """One timed pass of the floor over the articles' bodies: {"floor": seconds} for cmark-gfm in
    Materia's arena (`arena`), {"stock floor": seconds} for cmark-gfm with its own allocator
    (`stock`), or both (`both`); and what the floor printed."""
    finished = subprocess.run([floor, articles, "1", mode], capture_output=True, text=True)
    if finished.returncode != 0:
        sys.exit("the floor failed: %s %s 1 %s\n%s" % (floor, articles, mode, finished.stderr.strip()))
    printed = finished.stdout
    seconds = {}
    for text in printed.strip().splitlines():
        seconds[text.split(":", 1)[0]] = float(text.split("median ")[1].split(" s")[0])
    return seconds, printed.strip()


def main():
    args = options().parse_args()
    if args.cold and not os.access(COMPACT, os.W_OK):
        sys.exit("--cold writes %s: run as root, or without COLD=1" % COMPACT)

    site = corpus(args.n)
    articles = os.path.join(site, "Content", "articles")
    warm(site)
    out = os.path.join(args.dest, "materia-bench-out-%d" % args.n)
    hugo = shutil.which("hugo")
    hugo_note = "not installed (apt-get install hugo), no comparison"
    if hugo and args.hugo == "no":
        hugo, hugo_note = None, "left out (--hugo no)"
    elif hugo and args.hugo == "auto":
        # Hugo 0.111 peaked at 2.7-3.1 GiB (2.9-3.2 GB) for 10,000 of these articles here: about
        # 0.3 MB each.
        # Far past the memory the machine has free, it would only be killed or swap.
        need = 0.3 * args.n
        free = available_mb()
        if free is not None and need > 0.75 * free:
            hugo, hugo_note = None, ("left out: it would need about %.0f GB for %d articles, and %.0f GB is free "
                                     "(--hugo yes runs it anyway)" % (need / 1000, args.n, free / 1000))
    hugo_site = hugo_out = None
    if hugo:
        hugo_site = "/tmp/materia-bench-hugo-%d" % args.n
        # Made again whenever the corpus was (the same stamp).
        made = open(os.path.join(site, ".generated")).read()
        hugo_stamp = os.path.join(hugo_site, ".generated")
        if not os.path.exists(hugo_stamp) or open(hugo_stamp).read() != made:
            shutil.rmtree(hugo_site, ignore_errors=True)
            shutil.copytree(os.path.join(HERE, "hugo-site"), hugo_site)
            shutil.copytree(articles, os.path.join(hugo_site, "content", "articles"))
            open(hugo_stamp, "w").write(made)
        hugo_out = os.path.join(args.dest, "materia-bench-hugo-out-%d" % args.n)
        warm(hugo_site)
    outputs = Outputs(args.dest)
    atexit.register(outputs.finish)  # after the last run, or when a run fails
    print("corpus: %d articles (%s), output to %s (%s), %d runs, %d cores, load %s%s" % (
        args.n, site, args.dest, outputs.kind, args.runs, os.cpu_count(), open("/proc/loadavg").read().split()[0],
        ", cold (memory compacted and left 8 s before each timed run)" if args.cold else ""))

    def one_round():
        """A build, Hugo (when it runs) and both floors, in that order, each from an empty output
        and, with `--cold`, each cold (the floors then in processes of their own): the build's
        figures, Hugo's (or None), the floors' seconds and what the floor printed."""
        outputs.clear(out)
        cold(args.cold)
        built = run([args.materia, "build", "--root", site, "--output", out, "--quiet"])
        other = None
        if hugo:
            outputs.clear(hugo_out)
            cold(args.cold)
            other = run([hugo, "--source", hugo_site, "--destination", hugo_out, "--quiet"])
        # One timed pass of each floor right after the build: the pair shares the host's minute.
        if not args.cold:
            outputs.settle()
            seconds, printed = floor_seconds(args.floor, articles, "both")
            return built, other, seconds, printed
        seconds = {}
        for mode in ("stock", "arena"):
            cold(True)
            found, printed = floor_seconds(args.floor, articles, mode)
            seconds.update(found)
        return built, other, seconds, printed

    # Untimed rounds first, as a benchmark's warm-up runs: without one, the first timed build was
    # the first large process after the set-up and touched memory the host had to back again,
    # while its floor ran after Hugo had just freed 3 GB (run 1 took 1.3-1.4x runs 2 and 3 at
    # 10,000 articles). After one, every timed run follows the same sequence of processes.
    # `--cold` makes every run cold instead.
    for index in range(0 if args.cold else args.warmup):
        built, other, seconds, _ = one_round()
        print("  warm-up %d (not counted): materia %.2f s%s, floors %.3f and %.3f s" % (
            index + 1, built[0], ", hugo %.2f s" % other[0] if other else "", seconds["stock floor"], seconds["floor"]))

    materia, peer, ratios = [], [], []
    floors = {"stock floor": [], "floor": []}
    floor = ""
    for index in range(args.runs):
        result, other, seconds, floor = one_round()
        materia.append(result)
        line("materia build, run %d" % (index + 1), *result)
        if other:
            peer.append(other)
            ratios.append(result[0] / other[0])
            line("hugo, run %d" % (index + 1), *other)
        for name in floors:
            floors[name].append(seconds[name])
        print("  %-34s parse+render %.3f s on one thread, %.3f s in Materia's arena" % (
            "floor, run %d" % (index + 1), seconds["stock floor"], seconds["floor"]))
    unchanged = [run([args.materia, "build", "--root", site, "--output", out, "--quiet"]) for _ in range(args.runs)]

    def median(values, index):
        return statistics.median(value[index] for value in values)

    print("medians:")
    line("materia build (full)", median(materia, 0), median(materia, 1), median(materia, 2))
    line("materia build (nothing changed)", median(unchanged, 0), median(unchanged, 1), median(unchanged, 2))
    if hugo:
        line("hugo (full)", median(peer, 0), median(peer, 1), median(peer, 2))
        print("  materia / hugo wall time, pair by pair: %s → median %.2f" % (
            ", ".join("%.2f" % r for r in ratios), statistics.median(ratios)))
    else:
        print("  hugo: %s" % hugo_note)
    print("  floor: %s" % floor.splitlines()[0].split(":", 1)[1].split(", parse+render")[0].strip())
    labels = {
        "stock floor": "cmark-gfm with its own allocator, as a program calling it runs it, like the issue's floor",
        "floor": "cmark-gfm in Materia's arena, as builds call it",
    }
    shares = {}
    for name, label in labels.items():
        times = floors[name]
        shares[name] = [build[0] / time for build, time in zip(materia, times)]
        print("  %s (%s): median %.3f s (min %.3f s, %d runs)" % (name, label, statistics.median(times), min(times), len(times)))
        print("  materia full build / %s, pair by pair: %s → median %.2f×" % (
            name, ", ".join("%.2f" % r for r in shares[name]), statistics.median(shares[name])))
    targets(args.n, median(materia, 0), median(materia, 2), median(unchanged, 0),
            statistics.median(ratios) if hugo else None,
            {name: statistics.median(values) for name, values in shares.items()})


def targets(n, wall, rss, unchanged, hugo_ratio, floor_ratios):
    """The performance issue's targets for this size (10,000 or 100,000 articles), each with the
    median just measured: met or not."""
    rows = []
    if n == 10000:
        if hugo_ratio is not None:
            rows.append(("materia ≤ 0.25× hugo's wall time", "%.2f×" % hugo_ratio, hugo_ratio <= 0.25))
        for name, ratio in floor_ratios.items():
            rows.append(("≤ 1.5× the %s" % name, "%.2f×" % ratio, ratio <= 1.5))
        # Peak RSS is measured in MiB (ru_maxrss); the targets are read in decimal units, the stricter way.
        rows.append(("peak RSS ≤ 400 MB", "%.0f MB" % (rss * 1.048576), rss * 1.048576 <= 400))
        rows.append(("nothing changed ≤ 0.3 s", "%.2f s" % unchanged, unchanged <= 0.3))
    elif n == 100000:
        rows.append(("under 30 s", "%.1f s" % wall, wall < 30))
        rows.append(("under 2 GB", "%.2f GB" % (rss * 1024 * 1024 / 1e9), rss * 1024 * 1024 < 2e9))
    if not rows:
        return
    print("targets at %d articles (medians):" % n)
    for what, measured, met in rows:
        print("  %-40s %10s   %s" % (what, measured, "met" if met else "NOT met"))


if __name__ == "__main__":
    main()
