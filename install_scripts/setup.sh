#!/usr/bin/env bash
# Set up answerprint on a fresh Linux/macOS machine, then run the demo or the tests.
#
#   bash install_scripts/setup.sh demo [DIR]   # install, then `answerprint demo --out DIR` (default demo_out)
#   bash install_scripts/setup.sh test         # install with test tools, then run the test suite
#   bash install_scripts/setup.sh panel [CLIPS]  # install with the panel, then open it on a desktop
#
# Creates ./.venv (Python >= 3.11). On Debian/Ubuntu it adds the system libraries Qt needs (test, panel): those of
# a real X11 desktop (the xcb platform plugin: libxcb-cursor0 since Qt 6.5, icccm, keysyms, ...), which also
# cover offscreen rendering. The panel checks them again before Qt starts and names any package still missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-demo}"

python_bin="${PYTHON:-python3}"
"$python_bin" - <<'PY' || { echo "answerprint needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
import sys; sys.exit(sys.version_info < (3, 11))
PY

# Qt 6's xcb platform plugin and what it loads (see ui/platform_check.py, which maps each library to its package).
qt_desktop_packages="libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
  libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
  libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0
  libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core"
if { [ "$mode" = test ] || [ "$mode" = panel ]; } && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for pkg in $qt_desktop_packages; do
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
  panel)
    $pip install -q -e ".[train,ui]"
    .venv/bin/python -m answerprint.ui.platform_check
    shift
    exec .venv/bin/answerprint panel "$@"
    ;;
  *)
    echo "usage: $0 demo [DIR] | test | panel [CLIPS]" >&2; exit 2 ;;
esac
