#!/usr/bin/env bash
# Tests scripts/build-haproxy.sh without building HAProxy: argument handling and the checks of the source
# tree (each refusal with its message and exit status 2), the make command lines of --dry-run, and a whole
# run against a stub `make` that "installs" a fake haproxy whose -vv lists (or lacks) the features.
# Usage: build_haproxy_script_test.sh SOURCE_DIR
set -uo pipefail
src=${1:?source dir}
script=$src/scripts/build-haproxy.sh
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run ARGS...: the script's status, stdout and stderr in $status, $out, $err.
run() {
  status=0
  bash "$script" "$@" >"$work/out" 2>"$work/err" || status=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}
# refused WHAT NEEDLE ARGS...: the script must exit 2, print nothing on stdout and NEEDLE on stderr.
refused() {
  local what=$1 needle=$2
  shift 2
  run "$@"
  [ "$status" -eq 2 ] || fail "$what: exit status $status, expected 2 (stderr: $err)"
  [ -z "$out" ] || fail "$what: stdout should be empty, is '$out'"
  grep -qF -- "$needle" <<<"$err" || fail "$what: stderr should say '$needle', says: $err"
}

# A fake source tree: what the script looks at (Makefile, src/haproxy.c, VERSION).
tree() {
  mkdir -p "$1/src"
  touch "$1/Makefile" "$1/src/haproxy.c"
  [ -n "${2:-}" ] && echo "$2" > "$1/VERSION"
  return 0
}
tree "$work/h32" 3.2.0
tree "$work/h28" 2.8.5
tree "$work/bad" "not a version"
mkdir -p "$work/empty"

refused "no arguments" "SOURCE_DIR and PREFIX are required"
refused "one argument" "SOURCE_DIR and PREFIX are required" "$work/h32"
refused "missing source" "no such source directory: $work/nope" "$work/nope" "$work/p"
refused "not a source tree" "is not an HAProxy source tree" "$work/empty" "$work/p"
refused "2.8 refused" "is HAProxy 2.8.5; this script builds 3.0 or later" "$work/h28" "$work/p"
refused "unreadable version" "cannot read the version 'not a version'" "$work/bad" "$work/p"
refused "unknown option" "unknown option '--frobnicate'" --frobnicate "$work/h32" "$work/p"
refused "bad job count" "positive integer, not 'many'" -j many "$work/h32" "$work/p"
refused "-j without a value" "-j needs a number" "$work/h32" "$work/p" -j
refused "bad extra argument" "must be MAKE_VAR=value, not 'lua'" "$work/h32" "$work/p" lua
tree "$work/nover"
refused "no version" "cannot tell the version" "$work/nover" "$work/p"

run --help
[ "$status" -eq 0 ] && grep -q "usage: scripts/build-haproxy.sh" <<<"$err" || fail "--help: status $status, $err"

# --dry-run: the path on stdout (PREFIX made absolute), the commands on stderr, nothing built.
(cd "$work" && bash "$script" --dry-run -j 3 h32 rel/prefix USE_QUIC=1 >"$work/out" 2>"$work/err")
status=$?
out=$(cat "$work/out")
err=$(cat "$work/err")
[ "$status" -eq 0 ] || fail "dry run: exit status $status ($err)"
[ "$out" = "$work/rel/prefix/sbin/haproxy" ] || fail "dry run: stdout '$out', expected $work/rel/prefix/sbin/haproxy"
[ ! -e "$work/rel" ] || fail "dry run: created $work/rel"
for needle in "HAProxy 3.2.0 from $work/h32" "install-deps.sh haproxy-build" "make -C $work/h32 -j3 TARGET=linux-glibc" \
  "USE_OPENSSL=1" "USE_PCRE2=1" "USE_PCRE2_JIT=1" "USE_LUA=1" "USE_PROMEX=1" "USE_QUIC=1" \
  "install-bin install-man PREFIX=$work/rel/prefix"; do
  grep -qF -- "$needle" <<<"$err" || fail "dry run: stderr should contain '$needle': $err"
done
run --dry-run --no-deps --jobs=2 "$work/h32" "$work/p"
[ "$status" -eq 0 ] || fail "dry run --no-deps: status $status"
grep -q "install-deps" <<<"$err" && fail "--no-deps: install-deps still run: $err"
grep -qF -- "-j2 " <<<"$err" || fail "--jobs=2: $err"

# A git checkout without a VERSION file: the version comes from its tag.
if command -v git >/dev/null; then
  tree "$work/git"
  git -C "$work/git" init -q && git -C "$work/git" add -A &&
    git -C "$work/git" -c user.name=t -c user.email=t@t commit -qm x && git -C "$work/git" tag v3.1.7
  run --dry-run --no-deps "$work/git" "$work/p"
  [ "$status" -eq 0 ] && grep -qF "HAProxy 3.1.7 from" <<<"$err" || fail "git checkout: status $status, $err"
else
  echo "note: no git, the git checkout case is not run"
fi

# A whole run against a stub make: the build is a no-op, the install writes a haproxy whose -vv shows
# $FEATURES. The script must print the binary's path, alone, on stdout.
mkdir -p "$work/bin"
cat > "$work/bin/make" <<'STUB'
#!/usr/bin/env bash
echo "stub make $*" >&2
prefix=
for a in "$@"; do case $a in PREFIX=*) prefix=${a#PREFIX=} ;; esac; done
[ -n "$prefix" ] || exit 0
mkdir -p "$prefix/sbin"
cat > "$prefix/sbin/haproxy" <<FAKE
#!/usr/bin/env bash
if [ "\$1" = -vv ]; then echo "Feature list : +EPOLL $FEATURES -QUIC"; fi
echo "HAProxy version 3.2.0-stub"
FAKE
chmod +x "$prefix/sbin/haproxy"
STUB
chmod +x "$work/bin/make"
status=0
PATH="$work/bin:$PATH" FEATURES="+LUA +OPENSSL +PCRE2 +PCRE2_JIT +PROMEX" \
  bash "$script" --no-deps "$work/h32" "$work/inst" >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 0 ] || fail "stub build: status $status: $(cat "$work/err")"
[ "$(cat "$work/out")" = "$work/inst/sbin/haproxy" ] || fail "stub build: stdout '$(cat "$work/out")'"
grep -q "stub make -C $work/h32 install-bin install-man PREFIX=$work/inst" "$work/err" || fail "stub build: no install: $(cat "$work/err")"
status=0
PATH="$work/bin:$PATH" FEATURES="+LUA +OPENSSL +PCRE2" \
  bash "$script" --no-deps "$work/h32" "$work/inst2" >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 2 ] || fail "stub build without PROMEX: status $status"
grep -qF "built without PROMEX" "$work/err" || fail "stub build without PROMEX: $(cat "$work/err")"
[ -z "$(cat "$work/out")" ] || fail "stub build without PROMEX: stdout should be empty"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "build-haproxy.sh: all checks passed"
