#!/usr/bin/env bash
# Creates target/pyref: a virtual environment with the Python reference
# implementation (in-toto 3.1.0) that the interoperability tests run against.
# Idempotent: does nothing when the venv already has the pinned versions.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${INTOTO_PYREF:-$root/target/pyref}
req=$root/scripts/pyref-requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/in-toto-verify" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python=${PYTHON:-python3}
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
"$venv/bin/in-toto-verify" --version
"$venv/bin/python" -c "import in_toto_attestation.v1.statement"
