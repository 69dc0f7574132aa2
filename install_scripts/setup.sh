#!/usr/bin/env bash
# Set up answerprint on a fresh Linux/macOS machine, then run the demo or the tests.
#
#   bash install_scripts/setup.sh demo [DIR]   # install, then `answerprint demo --out DIR` (default demo_out)
#   bash install_scripts/setup.sh test         # install with test tools, then run the test suite
#
# Creates ./.venv (Python >= 3.11). On Debian/Ubuntu it adds the system libraries Qt needs offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-demo}"

python_bin="${PYTHON:-python3}"
"$python_bin" - <<'PY' || { echo "answerprint needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
import sys; sys.exit(sys.version_info < (3, 11))
PY

if [ "$mode" = test ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for pkg in libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-dejavu-core; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
  done
  if [ -n "$missing" ]; then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq $missing >/dev/null
  fi
fi

[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
pip=".venv/bin/python -m pip"
$pip install -q --upgrade pip
# torch is pinned to the release answerprint is tested with (the train extra accepts any >= 2.5).
$pip install -q "torch==${TORCH_VERSION:-2.13.0}"

case "$mode" in
  demo)
    $pip install -q -e ".[train]"
    exec .venv/bin/answerprint demo --out "${2:-demo_out}"
    ;;
  test)
    $pip install -q -e ".[train,ui,farm,dev]"
    # Chart detection (BSD-3) without its opencv-python pin, which would clash with PySide6's Qt.
    $pip install -q --no-deps "colour-checker-detection>=0.2"
    export QT_QPA_PLATFORM=offscreen
    exec .venv/bin/python -m pytest -q
    ;;
  *)
    echo "usage: $0 demo [DIR] | test" >&2; exit 2 ;;
esac
