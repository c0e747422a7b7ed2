#!/usr/bin/env bash
# Installs the system and Python packages rlmkit's tests use, when they are missing. Idempotent: a
# second run installs nothing. Runs apt-get as root (these machines run as root); elsewhere it uses
# sudo if present, and otherwise prints what to install.
#
# Each capability that needs something outside npm adds one fragment in scripts/setup.d/ (sourced
# in name order) that calls the helpers below; this file stays the same.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
APT_UPDATED=0

# apt_ensure COMMAND PACKAGE [COMMAND PACKAGE ...]: installs each Debian PACKAGE whose COMMAND is missing.
apt_ensure() {
  local missing=()
  while [ $# -ge 2 ]; do
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    echo "setup: missing packages: ${missing[*]}; install them as root: apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing packages: ${missing[*]}; this system has no apt-get, install them with its package manager" >&2
    return 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$APT_UPDATED" -eq 0 ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# pip_ensure IMPORT_NAME PIP_SPEC...: installs the Python packages when `import IMPORT_NAME` fails.
pip_ensure() {
  local mod="$1"; shift
  if python3 -c "import $mod" >/dev/null 2>&1; then return 0; fi
  echo "setup: installing $* (Python)"
  python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}

apt_ensure bwrap bubblewrap prlimit util-linux python3 python3 git git
# pyarrow: the tests check that a real Parquet reader accepts our verl-layout files.
pip_ensure pyarrow pyarrow==26.0.1

for fragment in scripts/setup.d/*.sh; do
  [ -e "$fragment" ] || continue
  # shellcheck source=/dev/null
  source "$fragment"
done
echo "setup: done"
