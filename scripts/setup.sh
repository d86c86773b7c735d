#!/usr/bin/env bash
# Installs what the tests need on a fresh machine: gnupg (OpenPGP tests) from
# apt when missing, the Python reference implementation in target/pyref, and
# the reference's own command-line tests from its sdist in target/pyref-sdist.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v gpg >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq gnupg >/dev/null
  else
    echo "gpg is missing and apt-get is not available; install GnuPG" >&2
    exit 1
  fi
fi
"$root/scripts/pyref-venv.sh"
"$root/scripts/reference-sdist.sh"
