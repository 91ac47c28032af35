#!/usr/bin/env python3
"""Reference-counting calls of one build, from a callgrind profile.

The profile is the third argument of `instructions.sh` (one build, --jobs 1, valgrind): the figure
is the same from run to run, like the instruction count. It counts the calls of swift_retain,
swift_release, their bridge-object forms and their _n forms, by adding up the call counts of every
caller that callgrind_annotate lists for each of them.

    scripts/bench/instructions.sh BINARY SITE /tmp/callgrind.out
    python3 scripts/bench/refcounts.py /tmp/callgrind.out
"""
import re
import subprocess
import sys

ENTRY_POINTS = ["swift_retain", "swift_release", "swift_bridgeObjectRetain", "swift_bridgeObjectRelease",
                "swift_retain_n", "swift_release_n", "swift_bridgeObjectRetain_n", "swift_bridgeObjectRelease_n"]


def counts(profile):
    tree = subprocess.run(["callgrind_annotate", "--tree=caller", "--threshold=100", profile],
                          capture_output=True, text=True, check=True).stdout
    found = {name: 0 for name in ENTRY_POINTS}
    calls = 0
    # Each block lists a function's callers ("<" lines, with "(Nx)" calls), then the function ("*").
    for line in tree.splitlines():
        if not line.strip():
            calls = 0
        elif " < " in line:
            match = re.search(r"\(([\d,]+)x\)", line)
            if match:
                calls += int(match.group(1).replace(",", ""))
        elif " *  " in line:
            match = re.search(r"\?\?\?:(\S+) \[", line)
            if match and match.group(1) in found:
                found[match.group(1)] += calls
            calls = 0
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: refcounts.py CALLGRIND_PROFILE...")
    for profile in sys.argv[1:]:
        found = counts(profile)
        print(profile)
        for name in ENTRY_POINTS:
            print(f"  {name:<30} {found[name]:>14,}")
        print(f"  {'total':<30} {sum(found.values()):>14,}")


if __name__ == "__main__":
    main()
