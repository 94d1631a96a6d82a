#!/usr/bin/env bash
# bench/blob/profile.sh — where Kiln's Blob service spends its time under load.
# Starts `kiln serve` (data dir on disk, free ports), then:
#   1. 4 KiB GET at 16 connections while `perf record -g` samples the server:
#      prints the top self-time symbols;
#   2. 4 KiB PUT at 16 connections while `strace -c -f` counts the server's
#      syscalls: fsync/fdatasync per acknowledged PUT shows how well commits are grouped
#      (strace slows the server; read the counts, not the rate);
#   3. a 512 MiB staged upload (8 MiB blocks, 4 in flight) under `perf record -g`;
#   4. List Blobs (5000 per page) over 10,000 blobs, repeated, under `perf record -g`.
#
#   bench/blob/profile.sh [--build-dir DIR] [--seconds N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir="${KILN_BUILD_DIR:-$repo/build}"
seconds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
kiln="$build_dir/src/cli/kiln"
loadgen="$build_dir/bench/blob/kiln-blob-loadgen"
command -v perf >/dev/null && command -v strace >/dev/null || { echo "needs perf and strace" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-blob-profile.XXXXXX")
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
blob_port=$(port)
"$kiln" serve --blob-port "$blob_port" --batch-port "$(port)" --data-dir "$work/data" >"$work/kiln.log" 2>&1 &
kiln_pid=$!
pids+=($kiln_pid)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$blob_port") 2>/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$blob_port/devstoreaccount1"
sas=$(/usr/bin/python3 "$here/sas.py" "$base" bench | awk '{print $2}')
hdr=(--header "x-ms-version: 2021-12-02" --header "x-ms-blob-type: BlockBlob")
"$loadgen" rate --url "$base/bench/small?$sas" --method PUT --body-size 4096 "${hdr[@]}" --count 1 >/dev/null

echo "== 4 KiB GET, 16 connections, perf record on kiln (pid $kiln_pid)"
"$loadgen" rate --url "$base/bench/small?$sas" "${hdr[@]}" --connections 16 --warmup 0.5 \
  --seconds "$((seconds + 1))" --expect-bytes 4096 >"$work/get.json" &
load=$!
sleep 0.7
perf record -q -F 499 --call-graph dwarf,16384 -p "$kiln_pid" -o "$work/perf.data" -- sleep "$seconds" >/dev/null 2>&1
wait "$load"
cat "$work/get.json"
set +o pipefail  # the reports below are cut short with head
report() { perf report -i "$work/perf.data" --stdio "$@" 2>/dev/null | grep -E '^ +[0-9.]+%' | cut -c1-160 || true; }
echo "== self time, top symbols"
report --no-children --sort dso,symbol | head -n 25
echo
echo "== self time by shared object"
report --no-children --sort dso | head -n 8
echo
echo "== inclusive time of Kiln's own functions (callers of the above)"
report --children --sort symbol -g none | grep -E 'kiln::' | head -n 25

echo
echo "== 4 KiB PUT, 16 connections, strace -c on kiln"
strace -c -f -p "$kiln_pid" -o "$work/strace.txt" &
tracer=$!
sleep 0.5
"$loadgen" rate --url "$base/bench/put-{n}?$sas" --method PUT --body-size 4096 "${hdr[@]}" --connections 16 \
  --warmup 0 --seconds "$seconds" | tee "$work/put.json"
kill -INT "$tracer"
wait "$tracer" 2>/dev/null || true
head -n 25 "$work/strace.txt" || true

echo
echo "== 512 MiB staged upload, perf record on kiln"
perf record -q -F 499 --call-graph dwarf,16384 -p "$kiln_pid" -o "$work/perf-up.data" >/dev/null 2>&1 &
recorder=$!
sleep 0.5
"$loadgen" upload --url "$base/bench/big?$sas" --size $((512 << 20)) --connections 4
kill -INT "$recorder"
wait "$recorder" 2>/dev/null || true
perf report -i "$work/perf-up.data" --stdio --no-children --sort dso,symbol 2>/dev/null | grep -E '^ +[0-9.]+%' | cut -c1-160 | head -n 15
echo "-- inclusive"
perf report -i "$work/perf-up.data" --stdio --children --sort symbol -g none 2>/dev/null | grep -E '^ +[0-9.]+%' |
  grep -E 'kiln::' | cut -c1-160 | head -n 20

echo
echo "== List Blobs over 10,000 blobs, perf record on kiln"
lsas=$(/usr/bin/python3 "$here/sas.py" "$base" list | awk '{print $2}')
"$loadgen" rate --url "$base/list/blob-{n}?$lsas" --method PUT --body-size 0 "${hdr[@]}" --connections 16 --count 10000
perf record -q -F 499 --call-graph dwarf,16384 -p "$kiln_pid" -o "$work/perf-list.data" >/dev/null 2>&1 &
recorder=$!
sleep 0.5
"$loadgen" list --url "$base/list?$lsas" --expect 10000 --min-seconds "$seconds"
kill -INT "$recorder"
wait "$recorder" 2>/dev/null || true
perf report -i "$work/perf-list.data" --stdio --no-children --sort dso,symbol 2>/dev/null | grep -E '^ +[0-9.]+%' | cut -c1-160 | head -n 15
echo "-- inclusive"
perf report -i "$work/perf-list.data" --stdio --children --sort symbol -g none 2>/dev/null | grep -E '^ +[0-9.]+%' |
  grep -E 'kiln::' | cut -c1-160 | head -n 25
