#!/usr/bin/env bash
# Times the Batch tutorial end to end over several runs and reports the medians.
#   bench/tutorial/run.sh [--runs N] [--no-python] [--markdown FILE] [--build-dir DIR]
# Builds `kiln` and `kiln_tutorial_task` in the build directory (default build/,
# or KILN_BUILD_DIR) unless KILN_BIN names a ready binary.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KILN_BUILD_DIR:-$REPO/build}
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD=$2; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
if [ -z "${KILN_BIN:-}" ]; then
  [ -f "$BUILD/build.ninja" ] || cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" --target kiln kiln_tutorial_task -j2 >/dev/null
  KILN_BIN=$BUILD/src/cli/kiln
fi
exec /usr/bin/python3 "$REPO/bench/tutorial/bench_tutorial.py" --kiln "$KILN_BIN" "${ARGS[@]}"
