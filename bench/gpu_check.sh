#!/usr/bin/env bash
# The GPU check: cleanup (quick and full packs), look LUT and relight on UHD 10-bit ProRes through the render
# engine and through bare onnxruntime sessions, on one NVIDIA GPU, in at most 8 minutes. Prints a markdown
# table; writes gpu_check.json and gpu_check.md into OUT (default bench/out/gpu_check).
#
#   bash bench/gpu_check.sh                 # on the GPU machine
#   bash bench/gpu_check.sh --dry-run       # the same steps on the CPU at small sizes (checks the script)
#
# Installs answerprint from this checkout (no index, no build isolation) into a private folder, with the
# wheels in $WHEELS (default .whl/, for a machine that cannot reach PyPI: onnxruntime-gpu, av, OpenImageIO,
# opencolorio, cryptography, jsonschema and its parts, platformdirs) — everything else (numpy, torch,
# onnx, scipy, opencv, scikit-image) is taken from the machine's Python. $PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin="${PYTHON:-python3}"
site="${ANSWERPRINT_GPU_SITE:-/tmp/answerprint-gpu-site}"
wheels="${WHEELS:-.whl}"
mkdir -p "$site"
log="$site/install.log"
{
  if compgen -G "$wheels/*.whl" >/dev/null; then
    "$python_bin" -m pip install -q --no-index --no-deps --no-compile --upgrade --target "$site" "$wheels"/*.whl
  fi
  "$python_bin" -m pip install -q --no-index --no-deps --no-build-isolation --upgrade --target "$site" .
} >"$log" 2>&1 || { cat "$log" >&2; echo "gpu_check: installing answerprint failed (log above)" >&2; exit 1; }
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
exec "$python_bin" bench/gpu_check.py "$@"
