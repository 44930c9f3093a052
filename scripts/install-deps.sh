#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, only those that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev liblua5.4-dev lua5.4 python3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libtclap-dev
  libfmt-dev libspdlog-dev nlohmann-json3-dev libsystemd-dev libyaml-cpp-dev libpcap-dev
  clang-14 libclang-rt-14-dev
  libphp8.2-embed php8.2-dev prometheus-cpp-dev libhiredis-dev redis-server
  haproxy curl procps wrk xxd
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
