#!/usr/bin/env bash
# The store's speed, SQLite and PostgreSQL side by side in one run:
# verified ingest (signature checked, 64 uploaders, group commit) and
# lookups by subject digest (p50, p99) at TOTAL stored attestations.
#
#   benches/store.sh [INGEST=20000] [TOTAL=1000000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ingest=${1:-20000}
total=${2:-1000000}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release --quiet -p intoto-store --example store_bench
bench=target/release/examples/store_bench
work=$(mktemp -d)
trap 'rm -rf "$work"; scripts/postgres.sh stop >/dev/null' EXIT
"$bench" "sqlite:$work/bench.db" "$ingest" "$total"
scripts/postgres.sh start >/dev/null
"$bench" "$(cat target/postgres/url)" "$ingest" "$total"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
