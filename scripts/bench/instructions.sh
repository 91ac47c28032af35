#!/bin/bash
# Instructions one build executes (--jobs 1), counted by valgrind's callgrind: the same figure
# from run to run (within 0.1 %) on a host whose timings vary by 10-30 %, for steps too small to
# see in timings. Needs valgrind. The kernel's work (writing the pages) is not counted.
#   scripts/bench/instructions.sh BINARY SITE_DIR [callgrind.out]
set -euo pipefail
binary=${1:?usage: instructions.sh BINARY SITE_DIR [OUTPUT]}
site=${2:?usage: instructions.sh BINARY SITE_DIR [OUTPUT]}
# The build's output goes to tmpfs where there is one: deleting 10,000 pages from an ext4 disk makes
# that disk slower to make files on for the next six minutes, and `make bench` to the disk would
# time it (docs/performance.md, sessions 27 and 29). The figure is the same either way, within the
# 0.1 % it varies by (1,000 articles: 2,083.1M and 2,083.6M to tmpfs, 2,083.5M to the disk).
work=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind cannot read the debug information of the statically linked release binary: a copy
# without it is run (function names stay, from the symbol table).
strip --strip-debug -o "$work/materia" "$binary"
MATERIA_TODAY=2026-11-22 valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$work/materia" build --root "$site" --output "$work/site" --quiet --jobs 1 2> "$work/log"
[ -z "${3:-}" ] || cp "$work/callgrind.out" "$3"
refs=$(sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$work/log")
echo "instructions $refs"
