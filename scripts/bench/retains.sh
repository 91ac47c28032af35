#!/bin/bash
# Counts swift_retain and swift_release calls of one build (--jobs 1): a figure that is the same
# from run to run (within 0.2 %) on a host whose timings vary by 10-30 %, for steps that save
# reference counting. Needs perf with uprobes (run as root).
#   scripts/bench/retains.sh BINARY SITE_DIR
set -euo pipefail
binary=${1:?usage: retains.sh BINARY SITE_DIR}
site=${2:?usage: retains.sh BINARY SITE_DIR}
# The runtime is in libswiftCore.so, or in the binary itself when Swift's runtime is linked in
# statically (the release build): the probes go where swift_retain is, made anew for each binary.
target=$(ldd "$binary" | awk '/libswiftCore.so/ {print $3}')
[ -n "$target" ] || target=$(readlink -f "$binary")
perf probe -q -d 'materia_counts:*' 2>/dev/null || true
for function in swift_retain swift_release; do
    # By name, or else by address: a static runtime has no debug information to find it by name.
    perf probe -q -x "$target" -a "materia_counts:counted_$function=$function" 2>/dev/null \
        || perf probe -q -x "$target" -a "materia_counts:counted_$function=0x$(nm "$target" | awk -v f="$function" '$3 == f {print $1; exit}')"
done
# The build's output goes to tmpfs where there is one: deleting 10,000 pages from an ext4 disk makes
# that disk slower to make files on for the next six minutes, and `make bench` to the disk would
# time it (docs/performance.md, sessions 27 and 29). The counts are the same either way within their
# 0.2 % (1,000 articles: 1,818,422 and 1,818,351 retains, tmpfs and disk).
output=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$output"; perf probe -q -d "materia_counts:*" 2>/dev/null || true' EXIT
MATERIA_TODAY=2026-11-22 perf stat -x, -e materia_counts:counted_swift_retain,materia_counts:counted_swift_release \
    "$binary" build --root "$site" --output "$output/site" --quiet --jobs 1 2>&1 >/dev/null \
    | awk -F, '/materia_counts/ {sub("materia_counts:counted_", "", $3); printf "%s %s\n", $3, $1}'
