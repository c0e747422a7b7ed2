#!/usr/bin/env bash
# Installs the system packages rlmkit's tests use, when they are missing. Idempotent: a second run
# installs nothing. Runs apt-get as root (these machines run as root); elsewhere it uses sudo if
# present, and otherwise prints what to install.
set -euo pipefail

# command -> Debian package
declare -A wanted=(
  [bwrap]=bubblewrap
  [prlimit]=util-linux
  [python3]=python3
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done

# pyarrow: the tests check that a real Parquet reader accepts our verl-layout files.
ensure_pyarrow() {
  if python3 -c 'import pyarrow' >/dev/null 2>&1; then return 0; fi
  echo "setup: installing pyarrow (Python) for the Parquet reader check"
  python3 -m pip install -q pyarrow==26.0.1 || python3 -m pip install -q --break-system-packages pyarrow==26.0.1
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present (bubblewrap, util-linux, python3)"
  ensure_pyarrow
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: missing packages: ${missing[*]}; install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing packages: ${missing[*]}; this system has no apt-get, install them with its package manager" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: installed ${missing[*]}"
ensure_pyarrow
