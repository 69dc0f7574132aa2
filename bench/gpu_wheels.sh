#!/usr/bin/env bash
# The wheels bench/gpu_check.sh needs on a GPU machine that cannot reach PyPI, cut to fit a transfer limit.
#
#   bash bench/gpu_wheels.sh fetch           # here (PyPI reachable): the wheels into .whl/ (Python 3.12, x86-64)
#   bash bench/gpu_wheels.sh split [MIB]     # here: .whl/ as one tar cut into .gpuwheels1/, .gpuwheels2/ ...
#                                            #   (MIB per part, default 52), and the parts' SHA-256 list
#   bash bench/gpu_wheels.sh join            # there: the parts (all carried by now) back into .whl/, checked
#
# What the GPU machine's image lacks (its Python 3.12 has torch, numpy, scipy, onnx, OpenCV and scikit-image):
# onnxruntime-gpu (its CUDA provider alone is ~220 MB compressed), PyAV, OpenImageIO, OpenColorIO and the pack
# signature and schema libraries. When a machine takes at most so many MiB per transfer, each part travels in
# its own call while the machine stays warm (files copied earlier stay there), then one call joins them and runs
# `WHEELS=.whl ANSWERPRINT_GPU_MEMORY_GB=80 bash bench/gpu_check.sh --budget 545`.
set -euo pipefail
cd "$(dirname "$0")/.."
wheels=.whl
prefix=.gpuwheels

fetch() {
  # Versions as this checkout is tested with; onnxruntime-gpu is the newest published (it trails onnxruntime).
  local python_bin="${PYTHON:-.venv/bin/python}"
  local pinned
  pinned=$("$python_bin" - <<'EOF'
from importlib.metadata import version
names = ["av", "OpenImageIO", "opencolorio", "cryptography", "cffi", "pycparser", "jsonschema",
         "jsonschema-specifications", "referencing", "rpds-py", "attrs", "typing_extensions", "platformdirs"]
print(" ".join(f"{name}=={version(name)}" for name in names))
EOF
)
  mkdir -p "$wheels"
  # shellcheck disable=SC2086  # the pins are words
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$wheels" onnxruntime-gpu $pinned
  du -sh "$wheels"
}

split_parts() {
  local mib="${1:-52}"
  compgen -G "$wheels/*.whl" >/dev/null || { echo "gpu_wheels: no wheels in $wheels (run fetch first)" >&2; exit 1; }
  rm -rf "$prefix"*/
  local bundle
  bundle=$(mktemp)
  tar -cf "$bundle" -C "$wheels" .
  local count=$(( ($(stat -c %s "$bundle") + mib * 1048576 - 1) / (mib * 1048576) ))
  for ((i = 1; i <= count; i++)); do
    mkdir -p "$prefix$i"
    dd if="$bundle" of="$prefix$i/part" bs=1M skip=$(( (i - 1) * mib )) count="$mib" status=none
  done
  (cd "$(dirname "$bundle")" && sha256sum "$(basename "$bundle")") | cut -d' ' -f1 >"${prefix}1/bundle.sha256"
  rm -f "$bundle"
  echo "$count parts of at most $mib MiB: ${prefix}1 ... ${prefix}$count (carry one per call, in order)"
}

join_parts() {
  local parts=()
  for ((i = 1; ; i++)); do
    [[ -f "$prefix$i/part" ]] || break
    parts+=("$prefix$i/part")
  done
  ((${#parts[@]})) || { echo "gpu_wheels: no ${prefix}N/part here" >&2; exit 1; }
  local bundle
  bundle=$(mktemp)
  cat "${parts[@]}" >"$bundle"
  if [[ "$(sha256sum "$bundle" | cut -d' ' -f1)" != "$(cat "${prefix}1/bundle.sha256")" ]]; then
    echo "gpu_wheels: the ${#parts[@]} parts do not make the bundle that was split (a part missing or cut short)" >&2
    rm -f "$bundle"
    exit 1
  fi
  mkdir -p "$wheels"
  tar -xf "$bundle" -C "$wheels"
  rm -f "$bundle"
  echo "joined ${#parts[@]} parts into $wheels: $(ls "$wheels" | wc -l) wheels"
}

case "${1:-}" in
  fetch) fetch ;;
  split) split_parts "${2:-52}" ;;
  join) join_parts ;;
  *) echo "usage: bash bench/gpu_wheels.sh fetch | split [MIB] | join" >&2; exit 2 ;;
esac
