#!/usr/bin/env bash
# Workload identities: what a certificate functionary costs beside a key,
# and what a Sigstore bundle costs beside a key-signed attestation, all
# timed in the same run.
#
#   verify key     intoto verify of a layout whose step lists the
#                  functionary's key (ECDSA P-256): the floor
#   verify cert    the same step authorised by certificate constraints
#                  (ITE-7 trustBundles: root -> intermediate -> leaf with a
#                  SPIFFE ID); the link carries the leaf and intermediate;
#                  the link file is found by listing the link folder
#   policy key     intoto verify of a policy over one SLSA provenance
#                  attestation signed by a listed key: the floor
#   policy bundle  the same policy step, its functionary a Sigstore
#                  identity, over a real GitHub artifact attestation
#                  (bundle v0.3: Fulcio chain, SCT, Rekor inclusion proof
#                  and checkpoint, DSSE signature) and the public-good
#                  trusted root
#
# ARTIFACTS (default 10000) files are recorded by the step, so the
# certificate's share is seen against real link work too (ARTIFACTS=1 for
# the bare cost). Each command runs once to warm up, then RUNS times
# (default 5); the median wall time and the largest peak RSS are printed,
# with ratios. Run it on an otherwise idle machine; the load average is
# printed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
artifacts=${ARTIFACTS:-10000}

echo "building the release binary..." >&2
(cd "$root" && cargo build --release -q -p intoto-cli)
intoto=$root/target/release/intoto
command -v openssl >/dev/null || { echo "openssl is needed" >&2; exit 2; }
timebin=/usr/bin/time
[[ -x $timebin ]] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/intoto-identities-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

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
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }') $(tail -1 "$work/rss")"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Runs "$@" once to warm up, then $runs times; prints "<median s> <max RSS KiB>".
bench() {
  local times=() rss=0 t r
  measure "$@" >/dev/null
  for _ in $(seq "$runs"); do
    read -r t r < <(measure "$@")
    times+=("$t")
    (( r > rss )) && rss=$r
  done
  echo "$(median "${times[@]}") $rss"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# --- a PKI with openssl: root -> intermediate -> leaf (SPIFFE ID) --------
pki=$work/pki
mkdir -p "$pki"
cat >"$pki/ext.cnf" <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:spiffe://example.org/build
EOF
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec "$pki/root.key"
openssl req -x509 -new -key "$pki/root.key" -subj "/CN=bench root" -days 3650 \
  -extensions ca -config "$pki/ext.cnf" -out "$pki/root.crt" 2>/dev/null
ec "$pki/mid.key"
openssl req -new -key "$pki/mid.key" -subj "/CN=bench issuing" -out "$pki/mid.csr" 2>/dev/null
openssl x509 -req -in "$pki/mid.csr" -CA "$pki/root.crt" -CAkey "$pki/root.key" -CAcreateserial \
  -days 3650 -extfile "$pki/ext.cnf" -extensions ca -out "$pki/mid.crt" 2>/dev/null
ec "$pki/leaf.key"
openssl req -new -key "$pki/leaf.key" -subj "/" -out "$pki/leaf.csr" 2>/dev/null
openssl x509 -req -in "$pki/leaf.csr" -CA "$pki/mid.crt" -CAkey "$pki/mid.key" -CAcreateserial \
  -days 365 -extfile "$pki/ext.cnf" -extensions leaf -out "$pki/leaf.crt" 2>/dev/null
openssl pkey -in "$pki/leaf.key" -pubout -out "$pki/leaf.pub" 2>/dev/null

# --- classic layouts: the same step by key and by certificate ------------
chain() {
  local dir=$work/$1 mode=$2
  mkdir -p "$dir/src"
  for i in $(seq "$artifacts"); do echo "$i" >"$dir/src/f$i"; done
  "$intoto" key generate "$dir/owner" >/dev/null
  "$intoto" key layout "$dir/owner.pub" >"$dir/owner.json"
  "$intoto" key layout "$pki/leaf.pub" >"$dir/leaf.json"
  python3 - "$dir" "$mode" "$pki/root.crt" <<'PY'
import json, sys
d, mode, root = sys.argv[1], sys.argv[2], sys.argv[3]
keys = json.load(open(f"{d}/owner.json"))
leaf = json.load(open(f"{d}/leaf.json"))
step = {"_type": "step", "name": "build", "threshold": 1, "expected_command": [],
        "expected_materials": [], "expected_products": [["ALLOW", "src/*"], ["DISALLOW", "*"]]}
layout = {"_type": "layout", "expires": "2099-01-01T00:00:00Z", "readme": "", "inspect": [],
          "keys": keys, "steps": [step]}
if mode == "key":
    keys.update(leaf)
    step["pubkeys"] = list(leaf)
else:
    step["pubkeys"] = []
    layout["trustBundles"] = {"bench": {"bundleid": "bench", "roots": [open(root).read()], "intermediates": []}}
    step["cert_constraints"] = [{"common_name": "*", "dns_names": ["*"], "emails": ["*"],
        "organizations": ["*"], "trustBundleIds": ["bench"], "uris": ["spiffe://example.org/build"]}]
json.dump({"signed": layout, "signatures": []}, open(f"{d}/unsigned.layout", "w"))
PY
  "$intoto" sign -f "$dir/unsigned.layout" -k "$dir/owner" -o "$dir/root.layout" >/dev/null
  local certs=()
  [[ $mode == cert ]] && certs=(--signing-cert "$pki/leaf.crt" --signing-chain "$pki/mid.crt")
  (cd "$dir" && "$intoto" run -n build --signing-key "$pki/leaf.key" "${certs[@]}" -p src -- true >/dev/null)
}
chain key key
chain cert cert

# --- policies: a key-signed attestation and a Sigstore bundle ------------
vectors=$root/tests/vectors/sigstore
policies=$work/policy
mkdir -p "$policies/key/atts" "$policies/bundle/atts"
cp "$vectors/gh-attest-reusable-workflow.v03.sigstore.json" "$policies/bundle/atts/"
cp "$vectors/gh-attest-reusable-workflow.artifact" "$policies/demo.whl"
payload=$(python3 -c "
import json, base64, sys
b = json.load(open(sys.argv[1]))
print(base64.b64decode(b['dsseEnvelope']['payload']).decode())" \
  "$vectors/gh-attest-reusable-workflow.v03.sigstore.json")
python3 -c "import json,sys; json.dump(json.loads(sys.argv[1]), open(sys.argv[2], 'w'))" \
  "$payload" "$policies/statement.json"
"$intoto" key generate "$policies/builder" >/dev/null
"$intoto" attest --statement "$policies/statement.json" --signing-key "$policies/builder" \
  -o "$policies/key/atts/build.json" >/dev/null
"$intoto" key layout "$policies/builder.pub" >"$policies/builder.json"
python3 - "$policies" <<'PY'
import json, sys
d = sys.argv[1]
key = json.load(open(f"{d}/builder.json"))
keyid = next(iter(key))
def policy(functionaries, listed):
    return {"expires": "2100-01-01T00:00:00Z", "functionaries": functionaries, "subjects": ["build"],
            "steps": [{"name": "build", "expectedMaterials": ["ALLOW *"], "expectedProducts": ["ALLOW *"],
                       "expectedPredicates": [{"predicateType": "https://slsa.dev/provenance/v1",
                                               "functionaries": [listed]}]}]}
json.dump(policy(key, keyid), open(f"{d}/key/policy.json", "w"))
json.dump(policy({"release": {"sigstore": {
    "issuer": "https://token.actions.githubusercontent.com",
    "subjectRegex": "https://github\\.com/github/artifact-attestations-workflows/.*",
    "sourceRepositoryURI": "https://github.com/malancas/attest-demo"}}}, "release"),
    open(f"{d}/bundle/policy.json", "w"))
PY

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; ARTIFACTS=$artifacts, RUNS=$runs"
read -r vk rk < <(cd "$work/key" && bench "$intoto" verify -l root.layout --verification-keys owner.pub)
read -r vc rc < <(cd "$work/cert" && bench "$intoto" verify -l root.layout --verification-keys owner.pub)
read -r pk rpk < <(cd "$policies" && bench "$intoto" verify -l key/policy.json -a key/atts --subject demo.whl)
read -r pb rpb < <(cd "$policies" && bench "$intoto" verify -l bundle/policy.json -a bundle/atts \
  --subject demo.whl --sigstore-trusted-root "$vectors/trusted_root.public-good.json")
printf '%-14s %9s %10s %8s\n' workload median "peak RSS" ratio
printf '%-14s %8ss %8sK %8s\n' "verify key" "$vk" "$rk" "1.00"
printf '%-14s %8ss %8sK %7sx\n' "verify cert" "$vc" "$rc" "$(ratio "$vc" "$vk")"
printf '%-14s %8ss %8sK %8s\n' "policy key" "$pk" "$rpk" "1.00"
printf '%-14s %8ss %8sK %7sx\n' "policy bundle" "$pb" "$rpb" "$(ratio "$pb" "$pk")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
