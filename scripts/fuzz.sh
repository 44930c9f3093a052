#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a fixed time and merges new coverage into corpus/.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
build=${1:?build dir (e.g. build/fuzz)}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
dict="$root/corpus/spop.dict"

for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  target=$(basename "$bin"); target=${target#fuzz_}
  corpus="$root/corpus/$target"
  scratch=$(mktemp -d)
  mkdir -p "$corpus"
  echo "== $target: ${seconds}s"
  dict_arg=()
  [ -f "$dict" ] && dict_arg=(-dict="$dict")
  "$bin" -max_total_time="$seconds" -print_final_stats=1 "${dict_arg[@]}" "$scratch" "$corpus" 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::new_units_added|==.*ERROR)' || true
  "$bin" -merge=1 "$corpus" "$scratch" 2>&1 | grep MERGE-OUTER || true
  rm -rf "$scratch"
done
