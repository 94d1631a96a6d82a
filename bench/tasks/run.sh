#!/usr/bin/env bash
# bench/tasks/run.sh — Kiln's task throughput and add→start latency beside the
# machine's raw rate of spawning a process (see bench_tasks.py for the method).
#
#   bench/tasks/run.sh [--quick] [--rounds R] [--durable] [--build-dir DIR] [--markdown FILE]
#   bench/tasks/run.sh --million | --million-tasks N [--build-dir DIR] [--markdown FILE]
#
# Needs `kiln` and `kiln-raw-spawn` built in the build directory (default build/,
# or $KILN_BUILD_DIR) and Debian's python3-azure. Full run: about 40 seconds
# (10 end-to-end rounds of 2,000 tasks, alternately added through the SDK and pre-serialized,
# each between two raw-spawn runs; --quick: 4 of 300).
# --durable runs `kiln serve` with its data on disk instead of --in-memory.
# --million instead measures a job of 1,000,000 queued tasks (bench_million.py):
# the server's memory and the time of task.list pages of 1,000 (about 2 minutes,
# ~0.6 GB of disk in a temporary directory; needs only `kiln`); --million-tasks N
# does the same with N tasks.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir="${KILN_BUILD_DIR:-$repo/build}"
command_line="bench/tasks/run.sh $*"
extra=()
million=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) extra+=(--tasks 300 --rounds 4 --wire-tasks 2000 --idle-tasks 20) ;;
    --rounds) extra+=(--rounds "$2"); shift ;;
    --durable) extra+=(--durable) ;;
    --million) million=1 ;;
    --million-tasks) million=1; extra+=(--tasks "$2"); shift ;;
    --build-dir) build_dir=$2; shift ;;
    --markdown) extra+=(--markdown "$2"); shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

kiln="$build_dir/src/cli/kiln"
if [ "$million" = 1 ]; then
  [ -x "$kiln" ] || { echo "missing $kiln: cmake --build $build_dir --target kiln" >&2; exit 1; }
  exec /usr/bin/python3 "$here/bench_million.py" --kiln "$kiln" --command "$command_line" "${extra[@]}"
fi
raw="$build_dir/bench/tasks/kiln-raw-spawn"
for f in "$kiln" "$raw"; do
  [ -x "$f" ] || { echo "missing $f: cmake --build $build_dir --target kiln kiln-raw-spawn" >&2; exit 1; }
done
exec /usr/bin/python3 "$here/bench_tasks.py" --kiln "$kiln" --raw-spawn "$raw" \
  --command "$command_line" "${extra[@]}"
