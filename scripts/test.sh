#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup, formatting, lints, every test
# (unit, property, vectors, interoperability with the Python reference,
# command line), doc tests, and a fuzz smoke run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

step "setup"
scripts/setup.sh
# The store's PostgreSQL, on loopback in a temporary data folder, stopped
# however the run ends.
scripts/postgres.sh start
trap 'scripts/postgres.sh stop' EXIT

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked --no-fail-fast
fi

step "fuzz smoke"
scripts/fuzz-smoke.sh

step "done"
