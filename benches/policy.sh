#!/usr/bin/env bash
# Benchmark: `intoto verify -l POLICY -a ATTESTATIONS` (policies over
# attestations, ITE-10/11) on two generated workloads:
#
#   rules   1,000 signed attestations (100 steps x 10 functionaries, each a
#           test-result with 20 tests) under 10 CEL rules each: 10,000 rule
#           evaluations, 1,000 DSSE signature checks (goal: under 1 s)
#   match   one build attestation (SLSA provenance v1) with 20,000 resolved
#           dependencies, each MATCHed against the 20,000 subjects of a
#           fetch attestation, then DISALLOW * (goal: under 0.5 s)
#
# The floor from the same run: `sha256sum` over the same attestation files
# (the least any verifier that reads its inputs does). No other
# implementation verifies these policies with bundles and thresholds, so
# the goals above are absolute, and the floor says what the machine did
# that day.
#
# Usage: benches/policy.sh [rules|match]...   (default: both)
# RUNS (default 5) timed runs after one warm-up; the median is printed.
# BENCH_WORK=DIR keeps the generated attestations and policies in DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
workloads=("$@")
[[ ${#workloads[@]} -eq 0 ]] && workloads=(rules match)

echo "building the release binary..." >&2
(cd "$root" && cargo build --release -q -p intoto-cli)
intoto=$root/target/release/intoto

# BENCH_WORK=DIR keeps the generated workloads in DIR (for profiling).
if [[ -n ${BENCH_WORK:-} ]]; then
  work=$BENCH_WORK
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/intoto-policy-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

# The median wall time of RUNS runs of a command (after one warm-up), in
# seconds; the command's exit status must be 0.
median() {
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@" >&2; exit 1; }
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

keyid() { "$intoto" key id "$1" | awk '{print $1}'; }

rules() {
  local dir=$work/rules
  mkdir -p "$dir/atts"
  cd "$dir"
  local ids=()
  for i in $(seq 0 9); do
    "$intoto" key generate "f$i" --type ed25519 >/dev/null
    ids+=("$(keyid "f$i.pub")")
  done
  # Each functionary's key as a policy entry (the key-dict form).
  for i in $(seq 0 9); do "$intoto" key layout "f$i.pub" >"f$i.entry.json"; done
  python3 - <<'PY'
import json
functionaries = {}
for i in range(10):
    functionaries.update(json.load(open(f"f{i}.entry.json")))
ids = list(functionaries)
rules = [
    "predicate.result == 'PASSED'",
    "size(predicate.failedTests) == 0",
    "size(predicate.passedTests) >= 10",
    "predicate.passedTests.all(t, t.startsWith('test_'))",
    "!predicate.passedTests.exists(t, t.contains('skip'))",
    "predicate.url.startsWith('https://ci.example.com/')",
    "predicate.configuration.all(c, has(c.digest))",
    "size(subject) == 1",
    "subject[0].name.matches('^pkg-[0-9]+[.]tar[.]gz$')",
    "predicateType == 'https://in-toto.io/attestation/test-result/v0.1'",
]
steps = [{
    "name": f"test{s}",
    "expectedPredicates": [{
        "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
        "expectedAttributes": [{"rule": r} for r in rules],
        "functionaries": ids,
        "threshold": 10,
    }],
} for s in range(100)]
json.dump({"expires": "2100-01-01T00:00:00Z", "functionaries": functionaries, "steps": steps},
          open("policy.json", "w"))
json.dump({
    "result": "PASSED",
    "configuration": [{"name": "ci.yml", "digest": {"sha256": "ab" * 32}}],
    "url": "https://ci.example.com/run/1",
    "passedTests": [f"test_{t}" for t in range(20)],
    "warnedTests": [],
    "failedTests": [],
}, open("predicate.json", "w"))
PY
  echo "signing 1,000 attestations..." >&2
  for i in $(seq 0 9); do
    local short=${ids[$i]:0:8}
    for s in $(seq 0 99); do
      "$intoto" attest --type test-result --predicate predicate.json \
        --subject-digest "pkg-$s.tar.gz=sha256:$(printf '%064d' "$s")" \
        --signing-key "f$i" -o "atts/test$s.$short.json" >/dev/null
    done
  done
  local t floor
  t=$(median "$intoto" verify -l policy.json -a atts)
  floor=$(median sh -c 'cat atts/* | sha256sum')
  printf '%-7s %8s %10s %10s %8s\n' workload intoto_s floor_s ratio goal
  printf '%-7s %8s %10s %10s %8s\n' rules "$t" "$floor" "$(ratio "$t" "$floor")" "<1s"
}

match() {
  local dir=$work/match
  mkdir -p "$dir/atts"
  cd "$dir"
  "$intoto" key generate fetcher --type ed25519 >/dev/null
  "$intoto" key generate builder --type ed25519 >/dev/null
  "$intoto" key layout fetcher.pub >fetcher.entry.json
  "$intoto" key layout builder.pub >builder.entry.json
  python3 - <<'PY'
import hashlib, json
n = 20000
fetcher = json.load(open("fetcher.entry.json"))
builder = json.load(open("builder.entry.json"))
deps = [{"name": f"vendor/dep{i:05d}.tar.gz",
         "digest": {"sha256": hashlib.sha256(str(i).encode()).hexdigest()}} for i in range(n)]
json.dump({"_type": "https://in-toto.io/Statement/v1",
           "subject": deps,
           "predicateType": "https://example.com/fetch/v1",
           "predicate": {"registry": "https://registry.example.com"}},
          open("fetch.statement.json", "w"))
json.dump({"_type": "https://in-toto.io/Statement/v1",
           "subject": [{"name": "app.tar.gz", "digest": {"sha256": "ab" * 32}}],
           "predicateType": "https://slsa.dev/provenance/v1",
           "predicate": {"buildDefinition": {"buildType": "https://example.com/build/v1",
                                             "externalParameters": {},
                                             "resolvedDependencies": deps},
                         "runDetails": {"builder": {"id": "https://ci.example.com"}}}},
          open("build.statement.json", "w"))
json.dump({"expires": "2100-01-01T00:00:00Z",
           "functionaries": {**fetcher, **builder},
           "steps": [
               {"name": "fetch",
                "expectedMaterials": ["ALLOW vendor/*", "DISALLOW *"],
                "expectedPredicates": [{"predicateType": "https://example.com/fetch/v1",
                                        "functionaries": list(fetcher)}]},
               {"name": "build",
                "expectedMaterials": ["MATCH vendor/* WITH materials FROM fetch", "DISALLOW *"],
                "expectedProducts": ["CREATE app.tar.gz", "DISALLOW *"],
                "expectedPredicates": [{"predicateType": "https://slsa.dev/provenance/v1",
                                        "expectedAttributes": [
                                            {"rule": "predicate.runDetails.builder.id == 'https://ci.example.com'"}],
                                        "functionaries": list(builder)}]}]},
          open("policy.json", "w"))
PY
  local fid bid
  fid=$(keyid fetcher.pub)
  bid=$(keyid builder.pub)
  "$intoto" attest --statement fetch.statement.json --signing-key fetcher -o "atts/fetch.${fid:0:8}.json" >/dev/null
  "$intoto" attest --statement build.statement.json --signing-key builder -o "atts/build.${bid:0:8}.json" >/dev/null
  local t floor
  t=$(median "$intoto" verify -l policy.json -a atts)
  floor=$(median sh -c 'cat atts/* | sha256sum')
  printf '%-7s %8s %10s %10s %8s\n' workload intoto_s floor_s ratio goal
  printf '%-7s %8s %10s %10s %8s\n' match "$t" "$floor" "$(ratio "$t" "$floor")" "<0.5s"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for w in "${workloads[@]}"; do
  case $w in
    rules) rules ;;
    match) match ;;
    *) echo "unknown workload $w (rules, match)" >&2; exit 2 ;;
  esac
done
