#!/bin/bash
# The auto-link word scan alone, byte loop against sixteen-byte blocks, on the Markdown of a
# generated corpus (x86-64 with SSE2; needs gcc):
#   scripts/bench/word_scan.sh SITE_DIR     e.g. /tmp/materia-bench-10000
set -euo pipefail
site=${1:?usage: word_scan.sh SITE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$site/Content/articles" -name '*.md' | sort > "$work/files"
head -n 3000 "$work/files" | xargs cat > "$work/text"
gcc -O2 -I "$here/../../Sources/CTextScan/include" -o "$work/word_scan" "$here/word_scan.c"
"$work/word_scan" "$work/text"
