#!/usr/bin/env bash
# Benchmark: `intoto verify` against the Python reference's `in-toto-verify`
# on a 3-step supply chain with N artifacts per link.
#
#   benches/verify.sh                    # N = 1k 10k 100k 1M; Python up to 100k
#   benches/verify.sh 1000 10000         # chosen sizes
#   PY_MAX=1000000 benches/verify.sh     # run Python on larger sizes too
#   BENCH_WORK=/tmp/b benches/verify.sh 100000   # keep the chain (profiling)
#   BASELINE=HEAD~1 benches/verify.sh 100000     # also time another commit's
#                                                # build on the same chains
#
# The chain: `clone` creates N sources; `build` consumes them (MATCH ... FROM
# clone) and creates N objects; `package` consumes the objects and creates N
# files. Links are written as the reference writes them (legacy, indented,
# sorted) and signed with `intoto sign`, the layout with `intoto key`-made
# ed25519 keys. Every rule list ends in DISALLOW *, so every artifact is
# looked at. Prints wall time and peak RSS (GNU time) of each verifier, the
# total size of the links, the speed-up (reference time / ours), our time
# per artifact (flat from 1k to 1M when verification is linear), and the
# machine's load average before and after. Our time is the median of
# OURS_RUNS runs (default 5), the reference's one run. With BASELINE=<commit>, that
# commit is built too (in target/bench-baseline) and both builds verify each
# chain ROUNDS times (default 5) in turn; the median times and their ratio
# (this tree / baseline) are printed.
#
# Needs: cargo, python3, GNU time (/usr/bin/time), and the reference's venv
# (target/pyref, made by scripts/pyref-venv.sh) for the comparison.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 100000 1000000)
py_max="${PY_MAX:-100000}"
pyref="${INTOTO_PYREF:-$root/target/pyref}/bin/in-toto-verify"
timebin=/usr/bin/time

cargo build --release -q -p intoto-cli --manifest-path "$root/Cargo.toml"
intoto="$root/target/release/intoto"
baseline=""
if [ -n "${BASELINE:-}" ]; then
    rev=$(git -C "$root" rev-parse --verify "$BASELINE^{commit}")
    tree="$root/target/bench-baseline/src"
    rm -rf "$tree"
    mkdir -p "$tree"
    git -C "$root" archive "$rev" | tar -x -C "$tree"
    CARGO_TARGET_DIR="$root/target/bench-baseline/target" \
        cargo build --release -q -p intoto-cli --manifest-path "$tree/Cargo.toml"
    baseline="$root/target/bench-baseline/target/release/intoto"
fi
# BENCH_WORK=DIR keeps the generated chains in DIR (for profiling).
if [ -n "${BENCH_WORK:-}" ]; then
    work="$BENCH_WORK"
    mkdir -p "$work"
else
    work="$(mktemp -d "${TMPDIR:-/tmp}/intoto-bench.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
fi

# Runs a command under GNU time; prints "<seconds> <peak RSS KiB> <exit>"
# (wall time to the millisecond, measured around the command).
measure() {
    local log="$work/time.log" status=0 start end
    start=$(date +%s.%N)
    "$timebin" -v -o "$log" "$@" >/dev/null 2>"$work/stderr.log" || status=$?
    end=$(date +%s.%N)
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') $rss $status"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %11s %12s %10s %12s %10s %9s %9s %12s\n' \
    "N" "links MiB" "intoto s" "intoto MiB" "python s" "python MiB" "speed-up" "RSS/links" "ns/artifact"
for n in "${sizes[@]}"; do
    dir="$work/n$n"
    mkdir -p "$dir"
    (
        cd "$dir"
        "$intoto" key generate owner --type ed25519 >/dev/null
        "$intoto" key generate dev --type ed25519 >/dev/null
        dev_id=$("$intoto" key id dev.pub | awk '{print $1}')
        "$intoto" key layout dev.pub >keys.json
        python3 - "$n" "$dev_id" <<'PY'
import hashlib, json, sys

n, dev_id = int(sys.argv[1]), sys.argv[2]

def digest(kind, i):
    return {"sha256": hashlib.sha256(f"{kind}{i}".encode()).hexdigest()}

def names(prefix):
    return [f"{prefix}/d{i % 1000:03d}/file{i:07d}" for i in range(n)]

src, obj, dist = names("src"), names("out"), names("dist")
links = {
    "clone": ({}, {p: digest("src", i) for i, p in enumerate(src)}, ["git", "clone"]),
    "build": ({p: digest("src", i) for i, p in enumerate(src)},
              {p: digest("obj", i) for i, p in enumerate(obj)}, ["make"]),
    "package": ({p: digest("obj", i) for i, p in enumerate(obj)},
                {p: digest("dist", i) for i, p in enumerate(dist)}, ["make", "dist"]),
}
for name, (materials, products, command) in links.items():
    link = {"_type": "link", "name": name, "command": command, "materials": materials,
            "products": products, "byproducts": {"return-value": 0, "stderr": "", "stdout": ""},
            "environment": {}}
    with open(f"{name}.unsigned", "w") as f:
        json.dump({"signatures": [], "signed": link}, f, indent=1, sort_keys=True)

def step(name, materials, products, command):
    return {"_type": "step", "name": name, "threshold": 1, "pubkeys": [dev_id],
            "expected_command": command, "expected_materials": materials,
            "expected_products": products}
layout = {"_type": "layout", "expires": "2099-01-01T00:00:00Z", "readme": "bench",
          "keys": json.load(open("keys.json")), "inspect": [], "steps": [
    step("clone", [], [["CREATE", "src/*"], ["DISALLOW", "*"]], ["git", "clone"]),
    step("build", [["MATCH", "src/*", "WITH", "PRODUCTS", "FROM", "clone"], ["DISALLOW", "*"]],
         [["CREATE", "out/*"], ["DISALLOW", "*"]], ["make"]),
    step("package", [["MATCH", "out/*", "WITH", "PRODUCTS", "FROM", "build"], ["DISALLOW", "*"]],
         [["CREATE", "dist/*"], ["DISALLOW", "*"]], ["make", "dist"]),
]}
json.dump({"signatures": [], "signed": layout}, open("layout.unsigned", "w"), indent=1, sort_keys=True)
PY
        for step in clone build package; do
            "$intoto" sign -f "$step.unsigned" -k dev >/dev/null
        done
        "$intoto" sign -f layout.unsigned -k owner -o root.layout >/dev/null
        rm -f ./*.unsigned
    )
    links_kib=$(du -ck "$dir"/*.link | tail -1 | awk '{print $1}')
    # Ours: the median of OURS_RUNS (default 5) runs, and their largest RSS.
    times=() ours_kib=0
    for _ in $(seq "${OURS_RUNS:-5}"); do
        read -r t kib ours_status < <(cd "$dir" && measure "$intoto" verify -l root.layout --verification-keys owner.pub)
        [ "$ours_status" = 0 ] || { echo "intoto verify failed for N=$n:"; cat "$work/stderr.log"; exit 1; }
        times+=("$t")
        [ "$kib" -gt "$ours_kib" ] && ours_kib=$kib
    done
    ours_s=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    py_s="-" py_kib="" speedup="-"
    if [ -x "$pyref" ] && [ "$n" -le "$py_max" ]; then
        read -r py_s py_kib py_status < <(cd "$dir" && measure "$pyref" -l root.layout --verification-keys owner.pub)
        [ "$py_status" = 0 ] || { echo "in-toto-verify failed for N=$n:"; cat "$work/stderr.log"; exit 1; }
        speedup=$(awk -v p="$py_s" -v o="$ours_s" 'BEGIN { printf "%.1fx", p / o }')
    fi
    ratio=$(awk -v r="$ours_kib" -v l="$links_kib" 'BEGIN { printf "%.2f", r / l }')
    per=$(awk -v s="$ours_s" -v n="$n" 'BEGIN { printf "%.0f", s * 1e9 / (3 * n) }')
    printf '%-9s %11s %12s %10s %12s %10s %9s %9s %12s\n' "$n" "$(mib "$links_kib")" "$ours_s" \
        "$(mib "$ours_kib")" "$py_s" "$([ -n "$py_kib" ] && mib "$py_kib" || echo -)" "$speedup" "$ratio" "$per"
    if [ -n "$baseline" ]; then
        rounds="${ROUNDS:-5}" ours=() base=()
        for _ in $(seq "$rounds"); do
            read -r t _ st < <(cd "$dir" && measure "$intoto" verify -l root.layout --verification-keys owner.pub)
            [ "$st" = 0 ] || { echo "intoto verify failed for N=$n"; exit 1; }
            ours+=("$t")
            read -r t _ st < <(cd "$dir" && measure "$baseline" verify -l root.layout --verification-keys owner.pub)
            [ "$st" = 0 ] || { echo "baseline intoto verify failed for N=$n"; exit 1; }
            base+=("$t")
        done
        median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
        mo=$(median "${ours[@]}") mb=$(median "${base[@]}")
        printf '%-9s this tree %ss, baseline %s %ss (medians of %s, in turn): ratio %s\n' "$n" "$mo" \
            "${BASELINE}" "$mb" "$rounds" "$(awk -v a="$mo" -v b="$mb" 'BEGIN { printf "%.3f", a / b }')"
    fi
    [ -n "${BENCH_WORK:-}" ] || rm -rf "$dir"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
