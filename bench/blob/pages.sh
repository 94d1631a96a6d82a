#!/usr/bin/env bash
# bench/blob/pages.sh — page blobs on Kiln (durable: every write fsynced) and
# Azurite (npm, --loose, no fsync), side by side through one Python SDK client
# (bench/blob/pages.py): a staged page blob upload and its download, and random
# 4 KiB Put Page from 1 and 8 clients. Prints a markdown table with ratios.
#
#   bench/blob/pages.sh [--build-dir DIR] [--rounds N] [--upload-mib N] [--seconds S]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir="${KILN_BUILD_DIR:-$repo/build}"
rounds=2 upload_mib=256 seconds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --upload-mib) upload_mib=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$here/node_modules/.bin/azurite-blob" ] || npm ci --prefix "$here" --no-audit --no-fund >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-pages-bench.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

kiln_port=$(free_port) azurite_port=$(free_port)
"$build_dir/src/cli/kiln" serve --blob-port "$kiln_port" --batch-port "$(free_port)" --data-dir "$work/kiln" \
  >"$work/kiln.log" 2>&1 &
pids+=($!)
"$here/node_modules/.bin/azurite-blob" --blobPort "$azurite_port" --location "$work/azurite" --loose \
  --skipApiVersionCheck --silent >"$work/azurite.log" 2>&1 &
pids+=($!)
wait_for_port "$kiln_port" && wait_for_port "$azurite_port"

for round in $(seq "$rounds"); do
  for server in kiln azurite; do
    port_var="${server}_port"
    result=$(/usr/bin/python3 "$here/pages.py" "http://127.0.0.1:${!port_var}/devstoreaccount1" "$upload_mib" "$seconds")
    echo "{\"server\":\"$server\",\"round\":$round,\"result\":$result}" >>"$work/results.jsonl"
    echo "[$(date +%H:%M:%S)] $server round $round: $result" >&2
  done
done

/usr/bin/python3 - "$work/results.jsonl" "$upload_mib" "$rounds" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda server, k: statistics.median(r["result"][k] for r in rows if r["server"] == server)
print(f"| workload (median of {sys.argv[3]} rounds) | Kiln | Azurite | Kiln/Azurite |")
print("|---|---|---|---|")
for k, label in [("upload_mib_s", f"{sys.argv[2]} MiB page blob upload (4 MiB pages, 4 in flight), MiB/s"),
                 ("download_mib_s", "its download (4 ranges in flight), MiB/s"),
                 ("random_put_page_1", "random 4 KiB Put Page, 1 client, ops/s"),
                 ("random_put_page_8", "random 4 KiB Put Page, 8 clients, ops/s")]:
    k_, a_ = med("kiln", k), med("azurite", k)
    print(f"| {label} | {k_:,.0f} | {a_:,.0f} | {k_ / a_:.1f}× |")
PY
