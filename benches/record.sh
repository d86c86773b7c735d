#!/usr/bin/env bash
# Recording speed, all tools timed in the same run on the same trees:
#
#   intoto     `intoto run -n bench --signing-key KEY -m . -d LINKS -- true` (release build)
#   attest     `intoto attest --type URI --predicate P --subject . --signing-key KEY -o OUT`
#              (the same tree as the subjects of one signed statement)
#   python     the reference's `in-toto-run` with the same arguments (target/pyref)
#   floor      a bare parallel walk + read + SHA-256 of the same files
#              (crates/intoto-record/examples/floor.rs: walkdir, rayon, sha2)
#   sha256sum  `find . -type f -print0 | xargs -0 -P2 -n 500 sha256sum`
#
# on three generated trees:
#
#   small   100,000 files of 1-8 KiB
#   large   4 files of 512 MiB
#   mixed   20,000 files totalling 1 GiB (18,000 of 1-16 KiB, 1,980 of
#           16-512 KiB, 20 that share the rest, about 18 MiB each)
#
# Usage: benches/record.sh [small|large|mixed]...   (default: all three)
#
# Every tool runs once to warm the page cache, then RUNS times (default 3;
# PY_RUNS for the reference, default 1), and the median is reported: wall
# time, files/s, MB/s (10^6 bytes), peak RSS (/usr/bin/time), and the ratios
# intoto/floor and python/intoto. The trees go to a temporary folder under
# $TMPDIR (default /tmp), deleted at the end. Needs about 3.5 GB of disk and,
# to measure hashing rather than the disk, as much free memory for the page
# cache. Run it on an otherwise idle machine; the load average is printed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
py_runs=${PY_RUNS:-1}
pyref=${INTOTO_PYREF:-$root/target/pyref}
workloads=("$@")
[[ ${#workloads[@]} -eq 0 ]] && workloads=(small large mixed)

echo "building release binaries..." >&2
(cd "$root" && cargo build --release -q -p intoto-cli && cargo build --release -q -p intoto-record --example floor)
intoto=$root/target/release/intoto
floor=$root/target/release/examples/floor
python_run=$pyref/bin/in-toto-run
if [[ ! -x $python_run ]]; then
  echo "note: no reference at $pyref (scripts/pyref-venv.sh makes it); skipping it" >&2
  python_run=
fi
have_time=
[[ -x /usr/bin/time ]] && have_time=1

work=$(mktemp -d "${TMPDIR:-/tmp}/intoto-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$intoto" key generate "$work/key" >/dev/null
mkdir -p "$work/links"
echo '{"bench": true}' > "$work/predicate.json"

# Deterministic trees: a random 64 MiB block, sliced differently per file.
generate() {
  python3 - "$1" "$2" <<'PY'
import os, random, sys
kind, root = sys.argv[1], sys.argv[2]
random.seed(7)
block = random.randbytes(64 << 20)
def put(path, size, salt):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        head = salt.to_bytes(8, "little")[:size]
        f.write(head)
        size -= len(head)
        off = salt * 4099 % (len(block) // 2)
        while size > 0:
            n = min(size, len(block) - off)
            f.write(block[off:off + n])
            size -= n
            off = 0
def nested(i):  # 100 files per folder, 10 folders per folder
    return os.path.join(root, f"d{i // 1000:03d}", f"s{i // 100 % 10}", f"f{i:06d}.bin")
if kind == "small":
    for i in range(100_000):
        put(nested(i), random.randint(1 << 10, 8 << 10), i)
elif kind == "large":
    for i in range(4):
        put(os.path.join(root, f"image{i}.img"), 512 << 20, i)
elif kind == "mixed":
    sizes = [random.randint(1 << 10, 16 << 10) for _ in range(18_000)]
    sizes += [random.randint(16 << 10, 512 << 10) for _ in range(1_980)]
    rest = (1 << 30) - sum(sizes)
    sizes += [rest // 20 + (1 if i < rest % 20 else 0) for i in range(20)]
    random.shuffle(sizes)
    for i, size in enumerate(sizes):
        put(nested(i), size, i)
else:
    sys.exit(f"unknown workload {kind}")
PY
}

# run_tool TOOL: runs TOOL once in the current folder; prints "seconds kib".
run_tool() {
  local cmd
  case $1 in
    intoto) cmd=("$intoto" -q run -n bench --signing-key "$work/key" -m . -d "$work/links" -- true) ;;
    attest) cmd=("$intoto" -q attest --type https://example.com/bench/v1 --predicate "$work/predicate.json" \
                   --subject . --signing-key "$work/key" -o "$work/links/bench.intoto.json") ;;
    python) cmd=("$python_run" -q -n bench --signing-key "$work/key" -m . -d "$work/links" -- true) ;;
    floor) cmd=("$floor" .) ;;
    sha256sum) cmd=(sh -c 'find . -type f -print0 | xargs -0 -P2 -n 500 sha256sum >/dev/null') ;;
  esac
  local start end rss=-
  start=$(date +%s%N)
  if [[ -n $have_time ]]; then
    /usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" >/dev/null
    rss=$(tail -n 1 "$work/rss")
  else
    "${cmd[@]}" >/dev/null
  fi
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 )) $rss"
}

# measure TOOL N: warm-up, then N runs; prints "median_ms max_kib".
measure() {
  run_tool "$1" >/dev/null
  local i out times=() peak=0
  for ((i = 0; i < $2; i++)); do
    out=$(run_tool "$1")
    times+=("${out% *}")
    [[ ${out#* } != - && ${out#* } -gt $peak ]] && peak=${out#* }
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( ($2 + 1) / 2 ))p")
  echo "$median $peak"
}

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs: $runs (python: $py_runs), median reported; warm page cache"
printf '\n%-7s %-10s %10s %10s %10s %10s %9s %10s\n' workload tool "wall s" "files/s" "MB/s" "peak MiB" "÷ floor" "python ÷"
for workload in "${workloads[@]}"; do
  tree=$work/$workload
  echo "generating $workload..." >&2
  generate "$workload" "$tree"
  # Write the new tree out first: ext4 commits a file's fsync with the
  # data other files have pending, and `intoto run` syncs its link (the
  # others write theirs without a sync), so without this the link's sync
  # would also pay for writing out the generated tree.
  sync
  cd "$tree"
  read -r _ files _ bytes < <("$floor" .)
  declare -A wall=() peak=()
  for tool in floor intoto attest python sha256sum; do
    [[ $tool == python && -z $python_run ]] && continue
    echo "timing $tool on $workload..." >&2
    n=$runs
    [[ $tool == python ]] && n=$py_runs
    read -r ms kib < <(measure "$tool" "$n")
    wall[$tool]=$ms
    peak[$tool]=$kib
  done
  for tool in intoto attest python floor sha256sum; do
    [[ -z ${wall[$tool]:-} ]] && continue
    ms=${wall[$tool]}
    vs_floor=$(awk -v a="$ms" -v b="${wall[floor]}" 'BEGIN { printf "%.2f", a / b }')
    vs_python=-
    [[ -n ${wall[python]:-} ]] && vs_python=$(awk -v a="${wall[python]}" -v b="$ms" 'BEGIN { printf "%.1f", a / b }')
    awk -v w="$workload" -v t="$tool" -v ms="$ms" -v f="$files" -v b="$bytes" -v k="${peak[$tool]}" \
        -v vf="$vs_floor" -v vp="$vs_python" 'BEGIN {
      s = ms / 1000
      printf "%-7s %-10s %10.2f %10.0f %10.0f %10s %9s %10s\n", w, t, s, f / s, b / 1e6 / s,
             (k > 0 ? sprintf("%.0f", k / 1024) : "-"), vf, vp }'
  done
  echo "        ($files files, $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }') MB)"
  cd "$work"
  rm -rf "$tree" "$work/links"/*
  unset wall peak
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
