#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, only those that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
# Usage: scripts/install-deps.sh [GROUP...]
#   no argument: what `make run` / `make test` need (the default group);
#   haproxy-build: what scripts/build-haproxy.sh needs to build HAProxy from source (opt-in: a fresh
#   machine that only tests against Debian's haproxy does not install them).
set -euo pipefail

default_packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev liblua5.4-dev lua5.4 lua-socket python3-dev python3-redis python3-hiredis python3-uvloop python3-aiohttp
  libgtest-dev libgmock-dev libbenchmark-dev libtclap-dev
  libfmt-dev libspdlog-dev nlohmann-json3-dev libsystemd-dev libyaml-cpp-dev libpcap-dev
  clang-14 libclang-rt-14-dev
  libphp8.2-embed php8.2-dev prometheus-cpp-dev libhiredis-dev redis-server redis-sentinel
  libssl-dev openssl
  haproxy curl procps wrk xxd
)
# HAProxy 3.x from source with OpenSSL, PCRE2 (JIT), Lua 5.4 and the Prometheus exporter (built in).
haproxy_build_packages=(build-essential libssl-dev libpcre2-dev liblua5.4-dev)

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(default)
packages=()
for group in "${groups[@]}"; do
  case $group in
    default) packages+=("${default_packages[@]}") ;;
    haproxy-build) packages+=("${haproxy_build_packages[@]}") ;;
    *) echo "install-deps: unknown group '$group' (known: default, haproxy-build)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present (${groups[*]})"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
