#!/usr/bin/env bash
# Fetches the in-toto 3.1.0 source distribution (pinned, sha256-checked) into
# target/pyref-sdist and unpacks it, so that target/pyref-sdist/in_toto-3.1.0/
# tests holds the reference's own command-line tests that
# tests/reference-cli/harness.py runs against a set of programs.
# Uses the pip of the venv made by scripts/pyref-venv.sh (run that first).
# Idempotent: does nothing when the checked, unpacked sdist is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${INTOTO_PYREF:-$root/target/pyref}
dest=$root/target/pyref-sdist
name=in_toto-3.1.0
sha256=56b02363e0eb74be3365faf98a60f6d2c3c6a06419be7fcb4dd59e0d1b86fb09
stamp=$dest/.sdist.sha256
if [ -d "$dest/$name/tests" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sha256" ]; then
  exit 0
fi
mkdir -p "$dest"
tarball=$dest/$name.tar.gz
if ! echo "$sha256  $tarball" | sha256sum --check --status 2>/dev/null; then
  rm -f "$tarball"
  "$venv/bin/pip" download --quiet --disable-pip-version-check \
    --no-deps --no-binary :all: --dest "$dest" in-toto==3.1.0
fi
if ! echo "$sha256  $tarball" | sha256sum --check --status; then
  echo "reference-sdist: $tarball does not have sha256 $sha256" >&2
  exit 1
fi
# Unpack beside the final place, then swap it in, so that an interrupted run
# never leaves a half-unpacked tree behind a valid stamp.
rm -rf "$dest/$name" "$dest/.unpack"
mkdir "$dest/.unpack"
tar -xzf "$tarball" -C "$dest/.unpack"
mv "$dest/.unpack/$name" "$dest/$name"
rmdir "$dest/.unpack"
echo "$sha256" > "$stamp"
echo "reference-sdist: unpacked $dest/$name"
