#!/usr/bin/env bash
# Installs every Debian package portico needs to build, test and benchmark.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail
PKGS=(
  build-essential g++ cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
  libyaml-cpp-dev libfmt-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev openssl libnghttp2-dev libre2-dev libmaxminddb-dev zlib1g-dev libbrotli-dev
  libzstd-dev liburing-dev brotli zstd
  curl wrk nginx-light haproxy nghttp2-client
  python3 python3-pytest python3-h2 python3-websockets python3-grpcio
  procps iproute2 strace
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts nginx/haproxy services on install; portico's tests start their own copies.
for s in nginx haproxy; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop "$s" 2>/dev/null || true; fi
  $SUDO service "$s" stop 2>/dev/null || true
done
