#!/usr/bin/env bash
# Installs what the tests need on a fresh machine: gnupg (OpenPGP tests),
# chromium and chromium-driver (the HTML report and the store's web page are
# checked in headless Chromium) and postgresql (the store's PostgreSQL
# backend; scripts/postgres.sh starts it) from apt when missing, the Python reference implementation in target/pyref,
# and the reference's own command-line tests from its sdist in
# target/pyref-sdist.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# apt_install PACKAGE WHAT: installs a Debian package with apt-get (through
# sudo unless running as root), or fails saying WHAT is missing.
apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq "$1" >/dev/null
  else
    echo "$2 is missing and apt-get is not available; install $2" >&2
    exit 1
  fi
}

if ! command -v gpg >/dev/null 2>&1; then
  apt_install gnupg GnuPG
fi
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium "Chromium (as /usr/bin/chromium)"
fi
if ! command -v openssl >/dev/null 2>&1; then
  apt_install openssl OpenSSL
fi
if [ ! -x /usr/bin/chromedriver ]; then
  apt_install chromium-driver "ChromeDriver (as /usr/bin/chromedriver)"
fi
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt_install postgresql "PostgreSQL"
fi
"$root/scripts/pyref-venv.sh"
"$root/scripts/reference-sdist.sh"
