#!/usr/bin/env bash
# Compares recording speed: this crate (examples/hash_tree), the Python
# reference (record_artifacts_as_dict) and `find | xargs -P2 sha256sum`.
#
#   crates/intoto-record/benches/record.sh [files] [runs]
#
# Builds a tree of small files (default 20000) under a temp dir, warms the
# page cache, then reports the best of N runs (default 3) of each. Set
# INTOTO_PYREF to the reference interpreter (default target/pyref/bin/python,
# then /tmp/pyref/bin/python).
set -euo pipefail
files=${1:-20000}
runs=${2:-3}
root=$(cd "$(dirname "$0")/../../.." && pwd)
py=${INTOTO_PYREF:-}
for cand in "$root/target/pyref/bin/python" /tmp/pyref/bin/python; do
  [[ -z "$py" && -x "$cand" ]] && py=$cand
done
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

python3 - "$tree" "$files" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
for i in range(n):
    d = os.path.join(root, f"dir{i // 100:04d}", f"sub{(i // 100) % 7}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file{i % 100:03d}.dat"), "wb") as f:
        f.write(os.urandom(random.choice([0, 100, 500, 1000, 2000, 4000, 8000, 16000])))
PY
du -sh "$tree"

(cd "$root" && cargo build --release -q -p intoto-record --example hash_tree)
bin="$root/target/release/examples/hash_tree"

best() { sort -n | head -1; }
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }

cd "$tree"
"$bin" . >/dev/null # warm the page cache
echo "intoto-record:   $(for _ in $(seq "$runs"); do secs "$bin" .; done | best) s"
if [[ -n "$py" ]]; then
  # Timed inside the interpreter: the function alone, without start-up.
  echo "python reference: $(for _ in $(seq "$runs"); do "$py" -c 'import time; from in_toto.runlib import record_artifacts_as_dict as r; t = time.time(); r(["."], follow_symlink_dirs=True); print(time.time() - t)'; done | best) s"
fi
echo "find|xargs -P2 sha256sum: $(for _ in $(seq "$runs"); do secs sh -c 'find . -type f -print0 | xargs -0 -P2 -n 500 sha256sum'; done | best) s"
