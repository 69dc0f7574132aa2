#!/usr/bin/env bash
# Install answerprint for DaVinci Resolve on Linux or macOS (Windows: install.ps1).
#
# Makes a dedicated Python environment, installs answerprint into it with pip, then runs
# `answerprint resolve install` from it: that writes the menu scripts into Resolve's
# Fusion/Scripts/Utility/answerprint (Workspace › Scripts › answerprint) and resolve.json, which tells them which
# Python to start. Re-running it updates everything in place; colorist settings in resolve.json (production,
# render folder, job defaults) are kept. Where answerprint is already installed (a wheel, a studio environment),
# `answerprint resolve install` alone does the Resolve part.
#
#   bash install_scripts/install.sh                   per user (default)
#   bash install_scripts/install.sh --all-users       for every user of the machine (run as an administrator)
#   bash install_scripts/install.sh --dry-run         print the folders and steps, change nothing
#   bash install_scripts/install.sh --uninstall       remove the menu scripts, resolve.json and the environment
#
# Options:
#   --python PATH       Python >= 3.11 for the environment (default: $PYTHON, else python3.13 ... python3)
#   --python-env DIR    register an existing environment that has answerprint (nothing created or installed)
#   --environment DIR   where to create the environment (default: per OS and scope, printed by --dry-run)
#   --source SPEC       what pip installs: this checkout (default), a wheel, or a requirement
#   --extras LIST       extra extras, comma separated (train: Train from bin; ui: the Panel)
#   --gpu | --no-gpu    the GPU extra on or off (default: on when nvidia-smi lists an NVIDIA GPU; never on macOS)
# Environment: ANSWERPRINT_TARGET_OS=linux|macos picks the folder tables (tests); pip's own PIP_* variables
# reach pip (PIP_NO_INDEX=1 with PIP_FIND_LINKS for an offline facility).
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
mode=install scope=user dry_run=0 python_bin="${PYTHON:-}" python_env="" environment="" source_spec="$repo_root"
extras="" gpu=auto

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0; }
while [ $# -gt 0 ]; do
  case "$1" in
    --all-users) scope=all ;;
    --dry-run) dry_run=1 ;;
    --uninstall) mode=uninstall ;;
    --python) python_bin="${2:?--python needs a value}"; shift ;;
    --python-env) python_env="${2:?--python-env needs a value}"; shift ;;
    --environment) environment="${2:?--environment needs a value}"; shift ;;
    --source) source_spec="${2:?--source needs a value}"; shift ;;
    --extras) extras="${2:?--extras needs a value}"; shift ;;
    --gpu) gpu=on ;;
    --no-gpu) gpu=off ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

target_os="${ANSWERPRINT_TARGET_OS:-}"
if [ -z "$target_os" ]; then
  case "$(uname -s)" in Darwin) target_os=macos ;; Linux) target_os=linux ;; *) target_os=unsupported ;; esac
fi
export ANSWERPRINT_TARGET_OS="$target_os"

# Where the environment goes, and resolve.json (read here to find the environment again on --uninstall); the
# Resolve folders themselves are answerprint's to know (`answerprint resolve install --dry-run` prints them).
case "$target_os/$scope" in
  linux/user)
    default_environment="${XDG_DATA_HOME:-$HOME/.local/share}/answerprint/resolve-env"
    config="${XDG_CONFIG_HOME:-$HOME/.config}/answerprint/resolve.json" ;;
  linux/all)
    default_environment=/opt/answerprint/resolve-env
    config=/etc/answerprint/resolve.json ;;
  macos/user)
    default_environment="$HOME/Library/Application Support/answerprint/resolve-env"
    config="$HOME/Library/Application Support/answerprint/resolve.json" ;;
  macos/all)
    default_environment="/Library/Application Support/answerprint/resolve-env"
    config="/Library/Application Support/answerprint/resolve.json" ;;
  windows/*) echo "install.sh: on Windows run install_scripts/install.ps1" >&2; exit 2 ;;
  *) echo "install.sh: unsupported system $target_os (Linux and macOS only)" >&2; exit 2 ;;
esac
environment="${environment:-$default_environment}"
[ "$scope" = user ] && scope_words="per user" || scope_words="all users"
[ "$dry_run" = 1 ] && run_words=" (dry run: nothing is changed)" || run_words=""
resolve_options=()
[ "$scope" = all ] && resolve_options+=(--all-users)
[ "$dry_run" = 1 ] && resolve_options+=(--dry-run)

say() { printf '%-14s%s\n' "$1" "$2"; }
run() { if [ "$dry_run" = 1 ]; then :; else "$@"; fi; }
answerprint_resolve() {  # PYTHON ACTION [OPTIONS]: `answerprint resolve ACTION` in that Python's environment
  local python="$1"; shift
  "$python" -m answerprint.core.cli resolve "$@" ${resolve_options[@]+"${resolve_options[@]}"}
}

echo "answerprint for DaVinci Resolve: $mode, $target_os, $scope_words$run_words"

if [ "$mode" = uninstall ]; then
  reader="$(command -v python3 || true)"
  config_value() {  # KEY: resolve.json's value for KEY (true as 1), empty when absent or unreadable
    if [ -f "$config" ] && [ -n "$reader" ]; then
      "$reader" - "$config" "$1" 2>/dev/null <<'PY' || true
import json, sys
value = json.load(open(sys.argv[1], encoding="utf-8-sig")).get(sys.argv[2], "")
print({True: "1", False: ""}.get(value, value) if isinstance(value, bool) else value)
PY
    fi
  }
  registered="$(config_value environment)" registered_python="$(config_value python)" owned=""
  scripts_folder="$(config_value scripts_folder)"
  if [ "$(config_value owns_environment)" = 1 ]; then owned="$registered"; fi
  if [ -n "$registered_python" ] && [ -x "$registered_python" ]; then
    answerprint_resolve "$registered_python" uninstall
  else
    # The environment is gone: take out what it had put in, from what resolve.json recorded.
    say "menu scripts:" "${scripts_folder:-(none recorded)} (remove)"
    if [ -n "$scripts_folder" ] && [ -d "$scripts_folder" ]; then
      for script in "$scripts_folder"/*.py; do
        [ -f "$script" ] && head -c 20 "$script" | grep -q '^"""answerprint ›' && run rm -f "$script"
      done
      run rmdir "$scripts_folder" 2>/dev/null || true
    fi
    say "config:" "$config (remove)"
    run rm -f "$config"
  fi
  if [ -n "$owned" ] && [ -f "$owned/pyvenv.cfg" ]; then
    say "environment:" "$owned (remove)"
    run rm -rf "$owned"
  fi
  exit 0
fi

has_python_311() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

if [ -n "$python_env" ]; then
  environment="$(cd "$python_env" 2>/dev/null && pwd || echo "$python_env")"
  owns=0
  env_python="$environment/bin/python"
  [ -x "$env_python" ] || { echo "install.sh: no Python at $env_python" >&2; exit 1; }
  say "environment:" "$environment (registered; nothing installed)"
else
  owns=1
  env_python="$environment/bin/python"
  if [ -x "$env_python" ]; then
    say "environment:" "$environment (exists; updated)"
  else
    if [ -z "$python_bin" ]; then
      for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && has_python_311 "$candidate"; then
          python_bin="$(command -v "$candidate")"; break
        fi
      done
    fi
    if [ -z "$python_bin" ] || ! has_python_311 "$python_bin"; then
      [ "$dry_run" = 1 ] || { echo "install.sh: answerprint needs Python >= 3.11; pass --python PATH" >&2; exit 1; }
      python_bin="(no Python >= 3.11 found; pass --python PATH)"
    fi
    say "environment:" "$environment (create with $python_bin)"
    run mkdir -p "$(dirname "$environment")"
    run "$python_bin" -m venv "$environment"
  fi
  if [ "$gpu" = auto ]; then
    gpu=off
    if [ "$target_os" = linux ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
      gpu=on
    fi
  fi
  all_extras="$extras"
  [ "$gpu" = on ] && all_extras="gpu${extras:+,$extras}"
  requirement="$source_spec${all_extras:+[$all_extras]}"
  say "install:" "pip install $requirement"
  run "$env_python" -m pip install -q --upgrade pip
  run "$env_python" -m pip install -q --upgrade "$requirement"
fi

if [ ! -x "$env_python" ]; then
  say "menu scripts:" "(written by 'answerprint resolve install' from the new environment, which prints them)"
  exit 0
fi
if [ "$dry_run" = 0 ]; then
  "$env_python" -c "import answerprint.plugin.resolve" || {
    echo "install.sh: answerprint is not importable from $env_python" >&2; exit 1; }
  # The Panel on Linux: Qt's X11 plugin needs system libraries; name any missing package now, not at first click.
  case ",$extras," in *,ui,*)
    [ "$target_os" = linux ] && { "$env_python" -m answerprint.ui.platform_check || true; } ;;
  esac
fi
if [ "$owns" = 1 ]; then
  answerprint_resolve "$env_python" install --owned-environment
else
  answerprint_resolve "$env_python" install
fi
