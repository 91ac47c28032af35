#!/bin/bash
# The cost of memory touched for the first time on this machine, small pages against transparent
# huge pages (needs gcc):   scripts/bench/first_touch.sh [MEGABYTES]   (default 512)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/first_touch" "$here/first_touch.c"
echo "transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
"$work/first_touch" "${1:-512}"
