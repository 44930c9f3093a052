#!/usr/bin/env bash
# Tests scripts/fuzz.sh (`make fuzz`) without clang: a copy of the script in a scratch tree drives stub
# "libFuzzer" targets that behave as told (clean run, leak reported at exit with status 0, crash), and the
# test checks what the script promises: the whole output kept per run, artifacts beside it, the right
# dictionary per target, new inputs merged, the scratch inputs kept after a finding, the exit status.
# Usage: fuzz_script_test.sh SOURCE_DIR
set -uo pipefail
src=${1:?source dir}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

mkdir -p "$work/tree/scripts" "$work/tree/corpus" "$work/build/fuzz"
cp "$src/scripts/fuzz.sh" "$work/tree/scripts/"
echo '"kw"' > "$work/tree/corpus/spop.dict"
echo '"own"' > "$work/tree/corpus/withdict.dict"

# The stub: a libFuzzer run adds one input to its first directory and reports per $STUB_MODE; a merge
# (-merge=1 CORPUS NEW) copies NEW's files into CORPUS.
stub() {
  cat > "$work/build/fuzz/fuzz_$1" <<'EOF'
#!/usr/bin/env bash
if [ "$1" = -merge=1 ]; then
  n=$(ls "$3" | wc -l); cp "$3"/* "$2"/ 2>/dev/null
  echo "MERGE-OUTER: $n new files with 1 new features added; 1 new coverage edges"; exit 0
fi
dirs=(); prefix=
for a in "$@"; do
  case $a in -artifact_prefix=*) prefix=${a#-artifact_prefix=} ;; -*) ;; *) dirs+=("$a") ;; esac
done
echo "args: $*"
echo "#42 NEW cov: 7 ft: 9 corp: 2/10b lim: 4 exec/s: 0 rss: 30Mb L: 3/3 MS: 1 ChangeByte-"
echo "input-$RANDOM$RANDOM" > "${dirs[0]}/new-input"
echo "stat::number_of_executed_units: 100"
echo "stat::average_exec_per_sec:     50"
echo "stat::new_units_added:          1"
case ${STUB_MODE:-clean} in
  leak-at-exit)
    echo "==7==ERROR: LeakSanitizer: detected memory leaks"
    echo "    #1 0x55 in leaky_reader simulator/leaky.cpp:12"
    : > "${prefix}crash-da39a3ee5e6b4b0d3255bfef95601890afd80709"; exit 0 ;;
  crash)
    echo "==7==ERROR: AddressSanitizer: heap-buffer-overflow"
    echo "x" > "${prefix}crash-1234"; exit 77 ;;
esac
exit 0
EOF
  chmod +x "$work/build/fuzz/fuzz_$1"
}
stub withdict
stub plain
stub lua_engine
logs=$work/build/fuzz-logs

mkdir -p "$work/tmp"
run() {  # run MODE TARGET... : the script's exit status; its output in $work/stdout and $work/stderr
  rm -rf "$logs"
  TMPDIR=$work/tmp STUB_MODE=$1 bash "$work/tree/scripts/fuzz.sh" "$work/build" 5 "${@:2}" \
    > "$work/stdout" 2> "$work/stderr"
}
log_of() { ls "$logs"/"$1"-*.log 2>/dev/null; }

# A clean run: status 0, the whole output in the log, the new input merged, scratch removed.
run clean withdict; status=$?
[ "$status" -eq 0 ] || fail "clean run: exit status $status, want 0"
log=$(log_of withdict)
[ -n "$log" ] || fail "clean run: no log in $logs"
grep -q '^#42 NEW cov' "$log" || fail "clean run: the log lacks libFuzzer's progress lines"
grep -q "stat::number_of_executed_units: 100" "$work/stdout" || fail "clean run: no summary on stdout"
grep -q -- "-max_total_time=5" "$log" || fail "clean run: the time limit was not passed"
grep -q -- "-artifact_prefix=$logs/" "$log" || fail "clean run: artifacts do not go to the log directory"
ls "$work/tree/corpus/withdict"/new-input > /dev/null 2>&1 || fail "clean run: the new input was not merged"
[ -z "$(ls "$work/tmp")" ] || fail "clean run: the scratch directory was left behind"

# Dictionaries: the target's own, else SPOP's; none for an engine.
grep -q -- "-dict=$work/tree/corpus/withdict.dict" "$log" || fail "a target's own dictionary was not used"
run clean plain
grep -q -- "-dict=$work/tree/corpus/spop.dict" "$(log_of plain)" || fail "spop.dict was not the default"
run clean lua_engine
grep -q -- "-dict=" "$(log_of lua_engine)" && fail "an engine target got a dictionary"

# FUZZ_RUNS replaces the time limit.
FUZZ_RUNS=123 run clean plain
grep -q -- "-runs=123" "$(log_of plain)" || fail "FUZZ_RUNS was not passed as -runs"

# A leak reported at exit while libFuzzer's status is 0: a finding all the same.
run leak-at-exit plain; status=$?
[ "$status" -eq 1 ] || fail "leak at exit: exit status $status, want 1"
log=$(log_of plain)
grep -q "in leaky_reader simulator/leaky.cpp:12" "$log" || fail "leak at exit: the log lost the stack"
[ -f "$logs/crash-da39a3ee5e6b4b0d3255bfef95601890afd80709" ] || fail "leak at exit: no artifact in $logs"
grep -q "a finding" "$work/stderr" || fail "leak at exit: stderr does not report the finding"
scratch=$(sed -n 's/.*its new inputs stay in \(.*\)$/\1/p' "$work/stderr")
[ -n "$scratch" ] && [ -f "$scratch/new-input" ] || fail "leak at exit: the scratch inputs were not kept ($scratch)"

# A crash (non-zero status).
run crash plain; status=$?
[ "$status" -eq 1 ] || fail "crash: exit status $status, want 1"
grep -q "heap-buffer-overflow" "$(log_of plain)" || fail "crash: the report is not in the log"

# An unknown target: status 2 and its name.
run clean nosuch; status=$?
[ "$status" -eq 2 ] || fail "unknown target: exit status $status, want 2"
grep -q "no fuzz target nosuch" "$work/stderr" || fail "unknown target: not named in the error"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "scripts/fuzz.sh: all checks passed"
