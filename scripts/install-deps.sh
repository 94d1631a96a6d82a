#!/usr/bin/env bash
# Installs every Debian package that Kiln's build, tests, demo and benchmarks need.
# Idempotent: does nothing when everything is already present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  libboost-dev libssl-dev libsqlite3-dev nlohmann-json3-dev libpugixml-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-azure python3-pytest azure-cli curl
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(nginx-light nodejs)
  # NodeSource's nodejs ships its own npm and conflicts with Debian's npm package.
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Benchmark peers from the npm registry (bench/blob: Azurite), pinned by package-lock.json.
if [ "${1:-}" = "--bench" ]; then
  repo=$(cd "$(dirname "$0")/.." && pwd)
  if [ ! -x "$repo/bench/blob/node_modules/.bin/azurite-blob" ]; then
    npm ci --prefix "$repo/bench/blob" --no-audit --no-fund
  fi
fi
