#!/usr/bin/env bash
# Distribution over TUF (ITE-2): the client's whole run beside its floors,
# all timed in the same run against the same loopback web server
# (python3 -m http.server):
#
#   tuf cold   intoto verify --tuf-repo URL --tuf-root root.json --target T
#              --download-to D, with an empty metadata folder (every role
#              downloaded and checked)
#   tuf warm   the same, keeping the metadata trusted by the previous run
#   local      intoto verify of the same layout and links already on disk
#              (no TUF, no download): the in-toto part alone
#   curl       curl of the package into a file: the download alone
#   curl+sha   curl, then a SHA-256 of the file (openssl dgst, which uses
#              the CPU's SHA instructions; sha256sum without openssl), then
#              `sync -d` of the file: download, one hash, the file on disk
#              (the client syncs the package it places)
#
# Workloads:
#
#   demo    the demo supply chain (`intoto demo`): a 10 KiB package, three
#           links, an inspection that untars the package
#   large   one SIZE_MIB package (default 512) made by one recorded step,
#           a layout with that step only
#
# Usage: benches/tuf.sh [demo|large]...   (default: both)
# Each command runs once to warm up, then RUNS times (default 5); the
# median wall time and the largest peak RSS are printed, with ratios to the
# floors. Run it on an otherwise idle machine; the load average is printed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
size_mib=${SIZE_MIB:-512}
workloads=("$@")
[[ ${#workloads[@]} -eq 0 ]] && workloads=(demo large)

echo "building the release binary..." >&2
(cd "$root" && cargo build --release -q -p intoto-cli)
intoto=$root/target/release/intoto
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }
hash="sha256sum"
command -v openssl >/dev/null && hash="openssl dgst -sha256"
timebin=/usr/bin/time
[[ -x $timebin ]] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/intoto-tuf-bench.XXXXXX")
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# "<seconds> <peak RSS KiB>" of one run; fails the bench if the command fails.
measure() {
  local start end status=0
  start=$(date +%s.%N)
  "$timebin" -f '%M' -o "$work/rss" "$@" >/dev/null 2>"$work/stderr" || status=$?
  end=$(date +%s.%N)
  if [[ $status -ne 0 ]]; then
    echo "failed ($status): $*" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') $(tail -1 "$work/rss")"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Runs "$@" once to warm up, then $runs times; prints "<median s> <max RSS KiB>".
# A command named `prepare` (if defined) runs before each run, untimed.
bench() {
  local times=() rss=0 t r
  prepare; measure "$@" >/dev/null
  for _ in $(seq "$runs"); do
    prepare
    read -r t r < <(measure "$@")
    times+=("$t")
    (( r > rss )) && rss=$r
  done
  echo "$(median "${times[@]}") $rss"
}

keys() {
  local dir=$1
  for k in root targets snapshot timestamp packages; do
    "$intoto" key generate "$dir/tuf-$k" >/dev/null
  done
  "$intoto" tuf init --repo "$dir/repo" --root-key "$dir/tuf-root" --targets-key "$dir/tuf-targets" \
    --snapshot-key "$dir/tuf-snapshot" --timestamp-key "$dir/tuf-timestamp" \
    --packages-key "$dir/tuf-packages" >/dev/null
}

publish() {
  local dir=$1 package=$2 layout=$3 owner=$4; shift 4
  "$intoto" tuf add-target --repo "$dir/repo" --target "$package" --in-toto "$layout" "$@" \
    --layout-key "$owner" --key "$dir/tuf-packages" --key "$dir/tuf-snapshot" \
    --key "$dir/tuf-timestamp" --key "$dir/tuf-targets" >/dev/null
}

# Prepares workload $1 in $work/$1; sets package, layout, owner, links, target.
setup() {
  local dir=$work/$1
  mkdir -p "$dir"
  case $1 in
    demo)
      "$intoto" demo --dir "$dir/chain" >/dev/null
      package=$dir/chain/client/hello.tar
      layout=$dir/chain/client/root.layout
      owner=$dir/chain/keys/alice.pub
      links=$dir/chain/client
      target=hello.tar
      ;;
    large)
      mkdir -p "$dir/build" "$dir/links"
      head -c "$((size_mib << 20))" /dev/urandom >"$dir/build/big.bin"
      "$intoto" key generate "$dir/owner" >/dev/null
      "$intoto" key generate "$dir/func" >/dev/null
      "$intoto" key layout "$dir/func.pub" >"$dir/keys.json"
      python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
keys = json.load(open(f"{d}/keys.json"))
keyid = next(iter(keys))
layout = {"_type": "layout", "expires": "2099-01-01T00:00:00Z", "readme": "", "keys": keys,
          "inspect": [], "steps": [{"_type": "step", "name": "package", "threshold": 1,
          "pubkeys": [keyid], "expected_command": [], "expected_materials": [],
          "expected_products": [["CREATE", "big.bin"], ["DISALLOW", "*"]]}]}
json.dump({"signed": layout, "signatures": []}, open(f"{d}/unsigned.layout", "w"))
PY
      "$intoto" sign -f "$dir/unsigned.layout" -k "$dir/owner" -o "$dir/root.layout" >/dev/null
      (cd "$dir/build" && "$intoto" run -n package --signing-key "$dir/func" --products big.bin -d "$dir/links" -- true >/dev/null)
      package=$dir/build/big.bin
      layout=$dir/root.layout
      owner=$dir/owner.pub
      links=$dir/links
      target=big.bin
      ;;
  esac
  keys "$dir"
  publish "$dir" "$package" "$layout" "$owner" $(ls "$links"/*.*.link)
  sync
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-9s %9s %10s %10s\n' workload command median_s rss_MiB ratio
for w in "${workloads[@]}"; do
  setup "$w"
  dir=$work/$w
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
  python3 -m http.server -b 127.0.0.1 -d "$dir/repo" "$port" >/dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/metadata/root.json" >/dev/null && break; sleep 0.1; done
  url=http://127.0.0.1:$port/
  stored=$(find "$dir/repo/targets" -maxdepth 1 -name "*.$target" | head -1)
  package_url=$url/targets/$(basename "$stored")

  prepare() { rm -rf "$dir/out" "$dir/meta"; }
  read -r cold cold_rss < <(bench "$intoto" verify --tuf-repo "$url" --tuf-root "$dir/repo/metadata/1.root.json" \
    --target "$target" --download-to "$dir/out" --tuf-metadata-dir "$dir/meta")
  prepare() { rm -rf "$dir/out"; }
  read -r warm warm_rss < <(bench "$intoto" verify --tuf-repo "$url" --tuf-root "$dir/repo/metadata/1.root.json" \
    --target "$target" --download-to "$dir/out" --tuf-metadata-dir "$dir/meta")
  prepare() { find "$dir/local" -mindepth 1 -delete; cp "$package" "$dir/local/"; }
  mkdir -p "$dir/local"
  read -r local_s local_rss < <(cd "$dir/local" && bench "$intoto" verify -l "$layout" --verification-keys "$owner" --link-dir "$links")
  prepare() { rm -f "$dir/curl.out"; }
  read -r curl_s curl_rss < <(bench curl -sf -o "$dir/curl.out" "$package_url")
  read -r sha_s sha_rss < <(bench sh -c "curl -sf -o '$dir/curl.out' '$package_url' && $hash '$dir/curl.out' && sync -d '$dir/curl.out'")
  floor=$(awk -v a="$local_s" -v b="$sha_s" 'BEGIN { printf "%.3f", a + b }')
  row() { printf '%-6s %-9s %9s %10s %10s\n' "$w" "$1" "$2" "$(awk -v k="$3" 'BEGIN { printf "%.1f", k / 1024 }')" "$4"; }
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  row "tuf cold" "$cold" "$cold_rss" "$(ratio "$cold" "$floor")x floor"
  row "tuf warm" "$warm" "$warm_rss" "$(ratio "$warm" "$floor")x floor"
  row local "$local_s" "$local_rss" "-"
  row curl "$curl_s" "$curl_rss" "-"
  row curl+sha "$sha_s" "$sha_rss" "-"
  echo "       floor = local + curl+sha = ${floor}s"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
