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
# Node.js runs the JavaScript SDK tests (tests/integration/js) and Azurite (bench).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
# NodeSource's nodejs ships its own npm and conflicts with Debian's npm package.
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [ "${1:-}" = "--bench" ]; then
  packages+=(nginx-light)
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

# npm packages, pinned by each directory's package-lock.json: installed again
# whenever the lock file differs from the one last installed there.
repo=$(cd "$(dirname "$0")/.." && pwd)
npm_ci() {
  local dir="$repo/$1"
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.kiln-installed-lock"; then
    npm ci --prefix "$dir" --no-audit --no-fund
    cp "$dir/package-lock.json" "$dir/node_modules/.kiln-installed-lock"
  fi
}
npm_ci tests/integration/js          # the JavaScript Azure SDKs the integration tests drive
if [ "${1:-}" = "--bench" ]; then
  npm_ci bench/blob                  # Azurite, the Blob benchmark's peer
fi
