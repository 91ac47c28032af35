#!/bin/bash
# Counts swift_retain and swift_release calls of one build (--jobs 1): a figure that is the same
# from run to run (within 0.2 %) on a host whose timings vary by 10-30 %, for steps that save
# reference counting. Needs perf with uprobes (run as root).
#   scripts/bench/retains.sh BINARY SITE_DIR
set -euo pipefail
binary=${1:?usage: retains.sh BINARY SITE_DIR}
site=${2:?usage: retains.sh BINARY SITE_DIR}
core=$(ldd "$binary" | awk '/libswiftCore.so/ {print $3}')
for function in swift_retain swift_release; do
    perf probe -q -x "$core" "$function" 2>/dev/null || true  # already there from an earlier run
done
output=$(mktemp -d)
trap 'rm -rf "$output"' EXIT
MATERIA_TODAY=2026-11-22 perf stat -x, -e probe_libswiftCore:swift_retain,probe_libswiftCore:swift_release \
    "$binary" build --root "$site" --output "$output/site" --quiet --jobs 1 2>&1 >/dev/null \
    | awk -F, '/probe_libswiftCore/ {sub("probe_libswiftCore:", "", $3); printf "%s %s\n", $3, $1}'
