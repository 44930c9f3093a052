#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a fixed time and merges new coverage into corpus/.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
# The Python engine under LeakSanitizer: see tests/python/CMakeLists.txt. The interpreter keeps caches
# between inputs, which libFuzzer's per-input leak check would report
# (so libFuzzer's per-input leak check is off for it: the replay test checks leaks over a whole run).
export PYTHONMALLOC=malloc
build=${1:?build dir (e.g. build/fuzz)}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)

for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  target=$(basename "$bin"); target=${target#fuzz_}
  corpus="$root/corpus/$target"
  scratch=$(mktemp -d)
  mkdir -p "$corpus"
  echo "== $target: ${seconds}s"
  # A target's own dictionary (corpus/<target>.dict) or the protocol one. The configuration reader gets
  # the SPOE keywords; the engines take NOTIFYs built from FuzzedDataProvider, so no dictionary helps.
  dict=$root/corpus/$target.dict
  case $target in
    spoe_config) dict=$root/corpus/spoe.dict ;;
    lua_engine|python_engine) dict= ;;
    *) [ -f "$dict" ] || dict=$root/corpus/spop.dict ;;
  esac
  extra=()
  [ "$target" = python_engine ] && extra=(-detect_leaks=0)
  dict_arg=()
  [ -n "$dict" ] && [ -f "$dict" ] && dict_arg=(-dict="$dict")
  "$bin" -max_total_time="$seconds" -print_final_stats=1 "${dict_arg[@]}" "${extra[@]}" "$scratch" "$corpus" 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::new_units_added|==.*ERROR)' || true
  "$bin" -merge=1 "$corpus" "$scratch" 2>&1 | grep MERGE-OUTER || true
  rm -rf "$scratch"
done
