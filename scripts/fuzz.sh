#!/usr/bin/env bash
# Runs libFuzzer targets of a fuzz build for a fixed time (or number of executions) each and merges new
# coverage into corpus/.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]   (default: every target)
# With FUZZ_RUNS=N in the environment each target runs N executions instead, however long that takes.
# Each run's full libFuzzer output, and any crash/leak/timeout input, is kept in BUILD_DIR/fuzz-logs/;
# the exit status is 1 when a run reported a finding.
set -euo pipefail
# The Python engine under LeakSanitizer: see tests/python/CMakeLists.txt. The interpreter keeps caches
# between inputs, which libFuzzer's per-input leak check would report
# (so libFuzzer's per-input leak check is off for it: the replay test checks leaks over a whole run).
export PYTHONMALLOC=malloc
# The PHP engine under AddressSanitizer: Debian's conf.d extensions are dlopen'ed with RTLD_DEEPBIND, which
# the sanitizer runtime refuses (see tests/php/CMakeLists.txt); the target needs none of them.
export PHP_INI_SCAN_DIR=
build=${1:?build dir (e.g. build/fuzz)}
seconds=${2:-60}
shift 2 || shift $#
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$build"/fuzz/fuzz_*; do
    [ -x "$bin" ] && targets+=("$(basename "$bin" | sed 's/^fuzz_//')")
  done
fi
limit=(-max_total_time="$seconds")
[ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")

logs=$(cd "$build" && pwd)/fuzz-logs
mkdir -p "$logs"
failed=0
for target in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$target
  if [ ! -x "$bin" ]; then
    echo "no fuzz target $target in $build/fuzz" >&2
    exit 2
  fi
  corpus="$root/corpus/$target"
  scratch=$(mktemp -d)
  mkdir -p "$corpus"
  if [ -n "${FUZZ_RUNS:-}" ]; then echo "== $target: $FUZZ_RUNS executions"; else echo "== $target: ${seconds}s"; fi
  # A target's own dictionary (corpus/<target>.dict: spoe_config has the SPOE keywords) or the protocol
  # one; the engines take NOTIFYs built from FuzzedDataProvider, so no dictionary helps them.
  dict=$root/corpus/$target.dict
  case $target in
    *_engine) dict= ;;
    *) [ -f "$dict" ] || dict=$root/corpus/spop.dict ;;
  esac
  extra=()
  [ "$target" = python_engine ] && extra=(-detect_leaks=0)
  dict_arg=()
  [ -n "$dict" ] && [ -f "$dict" ] && dict_arg=(-dict="$dict")
  # libFuzzer's whole output goes to a log (a finding's report and stack, the artifact's name); the
  # terminal gets the summary. Crash, leak and timeout artifacts land in the log directory too.
  log=$logs/$target-$(date +%Y%m%d-%H%M%S)-$$.log
  status=0
  "$bin" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$logs/" "${dict_arg[@]}" "${extra[@]}" \
    "$scratch" "$corpus" > "$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|==.*ERROR)' "$log" || true
  # A leak found at exit can leave libFuzzer's status at 0: its report counts all the same.
  finding=0
  if [ "$status" -ne 0 ] || grep -q 'ERROR:' "$log"; then
    echo "!! $target: a finding (exit status $status): see $log; its new inputs stay in $scratch" >&2
    finding=1
    failed=1
  fi
  "$bin" -merge=1 "$corpus" "$scratch" 2>&1 | grep MERGE-OUTER || true
  [ "$finding" -eq 0 ] && rm -rf "$scratch"
done
exit "$failed"
