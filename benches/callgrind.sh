#!/usr/bin/env bash
# Instruction counts (valgrind's callgrind) of recording and verification on
# fixed small workloads. Unlike wall times, these counts repeat to within a
# fraction of a percent whatever else the machine is doing, so a regression
# shows as a larger count even on a noisy machine.
#
#   record   `intoto run -m . -- true` over 2,000 files of 1-8 KiB
#   verify   `intoto verify` of the 3-step chain of benches/verify.sh with
#            10,000 artifacts per link
#
# Usage: benches/callgrind.sh            (both)
#        BASELINE=<commit> benches/callgrind.sh
#            also counts that commit's build (in target/bench-baseline) on
#            the same inputs, and prints the ratio this tree / baseline.
#
# Prints, per workload, the instructions executed by the whole process
# (all threads; valgrind runs them one at a time) and, for verification,
# per artifact. Needs valgrind (`apt-get install valgrind`).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }

echo "building the release binary..." >&2
cargo build --release -q -p intoto-cli --manifest-path "$root/Cargo.toml"
intoto=$root/target/release/intoto
baseline=""
if [[ -n ${BASELINE:-} ]]; then
  rev=$(git -C "$root" rev-parse --verify "$BASELINE^{commit}")
  tree=$root/target/bench-baseline/src
  rm -rf "$tree"
  mkdir -p "$tree"
  git -C "$root" archive "$rev" | tar -x -C "$tree"
  CARGO_TARGET_DIR=$root/target/bench-baseline/target \
    cargo build --release -q -p intoto-cli --manifest-path "$tree/Cargo.toml"
  baseline=$root/target/bench-baseline/target/release/intoto
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/intoto-callgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT

# instructions DIR CMD...: the total instructions CMD executes in DIR.
instructions() {
  local dir=$1
  shift
  (cd "$dir" && valgrind --tool=callgrind --callgrind-out-file="$work/out" "$@" \
      >/dev/null 2>"$work/valgrind.log") || { cat "$work/valgrind.log" >&2; return 1; }
  awk '/^summary:/ { print $2 }' "$work/out"
}

# The recording tree: deterministic contents.
python3 - "$work/tree" <<'PY'
import os, random, sys
root = sys.argv[1]
random.seed(11)
for i in range(2000):
    path = os.path.join(root, f"d{i // 100:02d}", f"f{i:04d}.bin")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(random.randbytes(random.randint(1 << 10, 8 << 10)))
PY
"$intoto" key generate "$work/key" >/dev/null
mkdir -p "$work/links"

# The verification chain: benches/verify.sh's, kept.
BENCH_WORK=$work/chain "$root/benches/verify.sh" 10000 >/dev/null
chain=$work/chain/n10000

printf '%-8s %16s %14s %16s %8s\n' workload "instructions" "per artifact" "baseline" "ratio"
row() {
  local name=$1 per=$2 ours=$3 base=${4:-}
  local ratio=-
  [[ -n $base ]] && ratio=$(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
  printf '%-8s %16s %14s %16s %8s\n' "$name" "$ours" \
    "$(awk -v a="$ours" -v n="$per" 'BEGIN { printf "%.0f", a / n }')" "${base:--}" "$ratio"
}

record() {
  instructions "$work/tree" "$1" -q run -n bench --signing-key "$work/key" -m . -d "$work/links" -- true
}
verify() {
  instructions "$chain" "$1" verify -l root.layout --verification-keys owner.pub
}

ours=$(record "$intoto")
base=""
[[ -n $baseline ]] && base=$(record "$baseline")
row record 2000 "$ours" "$base"

ours=$(verify "$intoto")
base=""
[[ -n $baseline ]] && base=$(verify "$baseline")
row verify 30000 "$ours" "$base"
