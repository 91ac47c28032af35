#!/usr/bin/env bash
# Installs the C libraries Materia links against (Debian's cmark-gfm + its GFM extensions, and jemalloc) if missing,
# and libcurl's link library, which the release binary needs to link Swift's Foundation statically.
set -euo pipefail
if pkg-config --exists libcmark-gfm 2>/dev/null && [ -f /usr/include/cmark-gfm-core-extensions.h ] \
    && pkg-config --exists jemalloc 2>/dev/null && pkg-config --exists libcurl 2>/dev/null; then
  exit 0
fi
echo "Installing cmark-gfm, jemalloc and libcurl (libcmark-gfm-dev, libcmark-gfm-extensions-dev, libjemalloc-dev, libcurl4-openssl-dev)…"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  pkg-config libcmark-gfm-dev libcmark-gfm-extensions-dev libjemalloc-dev libcurl4-openssl-dev >/dev/null
for pair in libcmark-gfm:libcmark-gfm-dev jemalloc:libjemalloc-dev libcurl:libcurl4-openssl-dev; do
  pkg-config --exists "${pair%%:*}" || {
    echo "error: pkg-config finds no ${pair%%:*} after apt-get: install ${pair#*:} (apt-get install ${pair#*:}), then run make again" >&2
    exit 1
  }
done
