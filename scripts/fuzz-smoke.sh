#!/usr/bin/env bash
# Builds every fuzz target with cargo-fuzz (installed into target/tools when
# missing) and runs each for FUZZ_SECONDS (default 10) from its seeds.
# Stable toolchain: no sanitizer is needed (the code forbids `unsafe`), and
# RUSTC_BOOTSTRAP lets cargo-fuzz pass its flags.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-10}
tools=$root/target/tools
export PATH=$tools/bin:$PATH
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --quiet --locked --root "$tools" cargo-fuzz@0.13.2
fi
export RUSTC_BOOTSTRAP=1
cd "$root/fuzz"
cargo fuzz build -s none --release
for target in $(cargo fuzz list); do
  corpus=$root/target/fuzz-corpus/$target
  mkdir -p "$corpus"
  if [ -d "seeds/$target" ]; then cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true; fi
  echo "fuzz $target for ${seconds}s"
  cargo fuzz run -s none --release "$target" "$corpus" -- \
    -max_total_time="$seconds" -max_len=65536 -print_final_stats=0 2>&1 | grep -E "^Done|panicked|SUMMARY|ERROR" || true
  # A crash leaves an artifact and a non-zero status above; fail on artifacts.
  if compgen -G "artifacts/$target/crash-*" >/dev/null; then
    echo "fuzz target $target crashed; see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
