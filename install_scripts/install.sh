#!/usr/bin/env bash
# Install answerprint for DaVinci Resolve on Linux or macOS (Windows: install.ps1).
#
# Makes a dedicated Python environment with answerprint in it, copies the menu scripts into Resolve's
# Fusion/Scripts/Utility/answerprint (Workspace › Scripts › answerprint), and writes resolve.json telling those
# scripts which Python to start. Re-running it updates everything in place; colorist settings in resolve.json
# (production, render folder, job defaults) are kept.
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
#   --source SPEC       what pip installs (default: this checkout)
#   --extras LIST       extra extras, comma separated (train: Train from bin; ui: the Panel)
#   --gpu | --no-gpu    the GPU extra on or off (default: on when nvidia-smi lists an NVIDIA GPU; never on macOS)
# Environment: ANSWERPRINT_TARGET_OS=linux|macos picks the folder table (tests); ANSWERPRINT_SKIP_PIP=1 creates
# or registers the environment without running pip.
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
menu_source="$repo_root/plugin/resolve/menu"
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

# Folders, from Blackmagic's scripting README (see docs/resolve.md).
case "$target_os/$scope" in
  linux/user|linux/all)
    resolve_root=/opt/resolve
    if [ ! -d /opt/resolve ] && [ -d /home/resolve ]; then resolve_root=/home/resolve; fi
    lut_folder="$resolve_root/LUT"
    if [ "$scope" = user ]; then
      scripts="$HOME/.local/share/DaVinciResolve/Fusion/Scripts"
      default_environment="${XDG_DATA_HOME:-$HOME/.local/share}/answerprint/resolve-env"
      config="${XDG_CONFIG_HOME:-$HOME/.config}/answerprint/resolve.json"
    else
      scripts="$resolve_root/Fusion/Scripts"
      default_environment=/opt/answerprint/resolve-env
      config=/etc/answerprint/resolve.json
    fi ;;
  macos/user)
    scripts="$HOME/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    default_environment="$HOME/Library/Application Support/answerprint/resolve-env"
    config="$HOME/Library/Application Support/answerprint/resolve.json"
    lut_folder="/Library/Application Support/Blackmagic Design/DaVinci Resolve/LUT" ;;
  macos/all)
    scripts="/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts"
    default_environment="/Library/Application Support/answerprint/resolve-env"
    config="/Library/Application Support/answerprint/resolve.json"
    lut_folder="/Library/Application Support/Blackmagic Design/DaVinci Resolve/LUT" ;;
  windows/*) echo "install.sh: on Windows run install_scripts/install.ps1" >&2; exit 2 ;;
  *) echo "install.sh: unsupported system $target_os (Linux and macOS only)" >&2; exit 2 ;;
esac
menu_folder="$scripts/Utility/answerprint"
environment="${environment:-$default_environment}"
[ "$scope" = user ] && scope_words="per user" || scope_words="all users"
[ "$dry_run" = 1 ] && run_words=" (dry run: nothing is changed)" || run_words=""

say() { printf '%-14s%s\n' "$1" "$2"; }
run() { if [ "$dry_run" = 1 ]; then :; else "$@"; fi; }

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
  registered="$(config_value environment)" owned=""
  if [ "$(config_value owns_environment)" = 1 ]; then owned="$registered"; fi
  say "menu scripts:" "$menu_folder (remove)"
  for script in "$menu_source"/*.py; do run rm -f "$menu_folder/$(basename "$script")"; done
  run rmdir "$menu_folder" 2>/dev/null || true
  say "config:" "$config (remove)"
  run rm -f "$config"
  if [ -n "$owned" ] && [ -f "$owned/pyvenv.cfg" ]; then
    say "environment:" "$owned (remove)"
    run rm -rf "$owned"
  elif [ -n "$registered" ]; then
    say "environment:" "$registered (kept: registered with --python-env, not made by this installer)"
  fi
  say "LUT folder:" "$lut_folder/answerprint (kept: grades use these LUTs)"
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
    if [ "${ANSWERPRINT_SKIP_PIP:-0}" = 1 ]; then
      run "$python_bin" -m venv --without-pip "$environment"
    else
      run "$python_bin" -m venv "$environment"
    fi
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
  if [ "${ANSWERPRINT_SKIP_PIP:-0}" = 1 ]; then
    say "install:" "skipped (ANSWERPRINT_SKIP_PIP=1): $requirement"
  else
    say "install:" "pip install $requirement"
    run "$env_python" -m pip install -q --upgrade pip
    run "$env_python" -m pip install -q --upgrade "$requirement"
  fi
fi
if [ "${ANSWERPRINT_SKIP_PIP:-0}" != 1 ] && [ "$dry_run" = 0 ]; then
  "$env_python" -c "import answerprint.plugin.resolve" || {
    echo "install.sh: answerprint is not importable from $env_python" >&2; exit 1; }
  # The Panel on Linux: Qt's X11 plugin needs system libraries; name any missing package now, not at first click.
  case ",$extras," in *,ui,*)
    [ "$target_os" = linux ] && { "$env_python" -m answerprint.ui.platform_check || true; } ;;
  esac
fi

say "menu scripts:" "$menu_folder"
run mkdir -p "$menu_folder"
for script in "$menu_source"/*.py; do
  run cp "$script" "$menu_folder/"
done
say "config:" "$config"
run mkdir -p "$(dirname "$config")"
run "$env_python" - "$config" "$env_python" "$environment" "$owns" "$menu_folder" <<'PY'
import json, os, sys
path, python, environment, owns, scripts = sys.argv[1:6]
data = {}
if os.path.isfile(path):
    with open(path, encoding="utf-8-sig") as handle:
        data = json.load(handle)
data.update(schema="answerprint.resolve/1", python=python, environment=environment,
            owns_environment=owns == "1", scripts_folder=scripts)
with open(path + ".tmp", "w", encoding="utf-8") as handle:
    json.dump(data, handle, indent=2)
    handle.write("\n")
os.replace(path + ".tmp", path)
PY
say "LUT folder:" "$lut_folder/answerprint (Color Match writes its LUTs here; make it writable for colorists)"
if [ "$dry_run" = 0 ]; then
  echo "done: in Resolve Studio, with External scripting = Local, open Workspace › Scripts › answerprint"
fi
