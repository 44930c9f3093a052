#!/usr/bin/env bash
# Builds an HAProxy source tree (3.0 or later: a release tarball unpacked, or a git checkout) with what the
# integration suite and the benchmark need -- OpenSSL, PCRE2 (JIT), Lua 5.4 and the Prometheus exporter,
# all from Debian -- installs it under PREFIX and prints the installed binary's path, alone, on stdout
# (everything else goes to stderr), so that
#   HAPROXY_BIN=$(scripts/build-haproxy.sh ~/src/haproxy-3.2.0 /opt/haproxy-3.2) ctest -L integration
# works. The objects are built inside SOURCE_DIR, as HAProxy's Makefile does. The Debian build packages
# are installed first through scripts/install-deps.sh (group haproxy-build), only when missing.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: scripts/build-haproxy.sh [options] SOURCE_DIR PREFIX [MAKE_VAR=value...]
  SOURCE_DIR  an HAProxy 3.0 or later source tree (unpacked release tarball or git checkout)
  PREFIX      where to install it; the binary lands in PREFIX/sbin/haproxy
  MAKE_VAR=value  extra variables for HAProxy's make (e.g. USE_QUIC=1 USE_QUIC_OPENSSL_COMPAT=1)
options:
  -j N, --jobs N  parallel make jobs (default: $JOBS, else the number of CPUs)
  --no-deps       do not run scripts/install-deps.sh haproxy-build first
  --dry-run       check the arguments and the source tree, print the commands, build nothing
  -h, --help      this text
USAGE
}

die() {
  echo "build-haproxy: $*" >&2
  exit 2
}

jobs=${JOBS:-$(nproc)}
deps=1
dry_run=0
positional=()
make_vars=()
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    -j|--jobs)
      [ $# -ge 2 ] || die "$1 needs a number"
      jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --jobs=*) jobs=${1#--jobs=}; shift ;;
    --no-deps) deps=0; shift ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; positional+=("$@"); break ;;
    -*) usage; die "unknown option '$1'" ;;
    *) positional+=("$1"); shift ;;
  esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "the number of jobs must be a positive integer, not '$jobs'"

if [ ${#positional[@]} -lt 2 ]; then
  usage
  die "SOURCE_DIR and PREFIX are required"
fi
source_dir=${positional[0]}
prefix=${positional[1]}
for var in "${positional[@]:2}"; do
  [[ $var =~ ^[A-Za-z_][A-Za-z0-9_]*=.*$ ]] || die "extra arguments must be MAKE_VAR=value, not '$var'"
  make_vars+=("$var")
done

[ -d "$source_dir" ] || die "no such source directory: $source_dir"
source_dir=$(cd "$source_dir" && pwd)
if [ ! -f "$source_dir/Makefile" ] || [ ! -f "$source_dir/src/haproxy.c" ]; then
  die "$source_dir is not an HAProxy source tree (no Makefile and src/haproxy.c)"
fi
[ -n "$prefix" ] || die "PREFIX is empty"
prefix=$(realpath -m -- "$prefix")

# The version as HAProxy's Makefile sees it: the VERSION file of a release (and of a git checkout), or
# `git describe` when a checkout lacks it.
version=""
if [ -s "$source_dir/VERSION" ]; then
  version=$(head -n1 "$source_dir/VERSION")
elif [ -e "$source_dir/.git" ]; then
  version=$(git -C "$source_dir" describe --tags 2>/dev/null | sed 's/^v//') || true
fi
[ -n "$version" ] || die "cannot tell the version of $source_dir (no VERSION file, no git tag)"
if ! [[ $version =~ ^([0-9]+)\.([0-9]+) ]]; then
  die "cannot read the version '$version' of $source_dir"
fi
major=${BASH_REMATCH[1]}
if [ "$major" -lt 3 ]; then
  die "$source_dir is HAProxy $version; this script builds 3.0 or later (Debian 12's haproxy package is 2.6)"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
build_cmd=(make -C "$source_dir" -j"$jobs" TARGET=linux-glibc
  USE_OPENSSL=1 USE_PCRE2=1 USE_PCRE2_JIT=1 USE_LUA=1 USE_PROMEX=1 "${make_vars[@]}")
install_cmd=(make -C "$source_dir" install-bin install-man PREFIX="$prefix" "${make_vars[@]}")
binary=$prefix/sbin/haproxy

echo "build-haproxy: HAProxy $version from $source_dir into $prefix" >&2
if [ "$dry_run" -eq 1 ]; then
  [ "$deps" -eq 1 ] && echo "would run: bash $root/scripts/install-deps.sh haproxy-build" >&2
  echo "would run: ${build_cmd[*]}" >&2
  echo "would run: ${install_cmd[*]}" >&2
  echo "$binary"
  exit 0
fi

# Everything below writes to stderr: stdout carries only the binary's path.
{
  [ "$deps" -eq 1 ] && bash "$root/scripts/install-deps.sh" haproxy-build
  "${build_cmd[@]}"
  mkdir -p "$prefix"
  "${install_cmd[@]}"
} >&2

# The options must really be in: a missing development package makes HAProxy's Makefile fail, but a
# MAKE_VAR such as USE_LUA= would silently drop one.
features=$("$binary" -vv 2>&1) || die "$binary -vv failed: $features"
for feature in OPENSSL PCRE2 LUA PROMEX; do
  grep -q -- "+$feature\b" <<<"$features" || die "$binary was built without $feature"
done
echo "build-haproxy: $("$binary" -v | head -n1)" >&2
echo "$binary"
