#!/usr/bin/env bash
# bench/blob/run.sh — Kiln's Blob service, Azurite and the machine's own limits
# (nginx serving the same bytes from a static file; the disk's write+fsync
# bandwidth and 4 KiB O_DSYNC rate) side by side, in one run, on one workload.
# Prints a table of figures and Kiln/peer ratios, then the same as markdown.
#
#   bench/blob/run.sh [--quick] [--rounds N] [--build-dir DIR] [--no-build] [--kiln PATH]
#                     [--markdown FILE] [--keep]
#
# Every server listens on a free 127.0.0.1 port; every data directory lives in one
# temporary work directory (on the disk that is measured). Everything this script
# starts is stopped on exit, failure or Ctrl-C. Full run: about 4 minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir="${KILN_BUILD_DIR:-$repo/build}"
kiln_bin=""
quick=0
keep=0
build=1
rounds_override=""
markdown_out=""
command_line="bench/blob/run.sh $*"

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --build-dir) build_dir=$2; shift ;;
    --kiln) kiln_bin=$2; shift ;;
    --markdown) markdown_out=$2; shift ;;
    --keep) keep=1 ;;
    --no-build) build=0 ;;
    --rounds) rounds_override=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$kiln_bin" ] || kiln_bin="$build_dir/src/cli/kiln"

# Workload sizes: full run, or --quick (a smoke run of a few seconds each).
if [ "$quick" = 1 ]; then
  rounds=1; rate_seconds=1; warmup=0.2; big_size=$((128 << 20)); blob_count=1000; list_seconds=0.5; dsync_seconds=0.5
else
  rounds=3; rate_seconds=2; warmup=0.5; big_size=$((1 << 30)); blob_count=10000; list_seconds=2; dsync_seconds=3
fi
[ -z "$rounds_override" ] || rounds=$rounds_override
connection_levels=(1 16 64)
block_size=$((8 << 20))
upload_connections=4
api_version="x-ms-version: 2021-12-02"

# --- processes we start, stopped by the trap -------------------------------------------------
pids=()
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-blob-bench.XXXXXX")
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$keep" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for_port() {  # port seconds pid
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$3" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# --- build the tools (and Kiln, if it builds) -------------------------------------------------
loadgen="$build_dir/bench/blob/kiln-blob-loadgen"
diskprobe="$build_dir/bench/blob/kiln-blob-diskprobe"
if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
  log "configuring $build_dir"
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
if [ "$build" = 0 ]; then
  log "using the binaries already built in $build_dir"
else
  log "building the load generator and disk probe"
  if ! cmake --build "$build_dir" --target kiln-blob-loadgen kiln-blob-diskprobe -j2 >"$work/build.log" 2>&1; then
    if [ -x "$loadgen" ] && [ -x "$diskprobe" ]; then
      log "the build fails now (see below); using the tools already built"; tail -n 5 "$work/build.log" >&2
    else
      cat "$work/build.log" >&2; exit 1
    fi
  fi
  if [ "$kiln_bin" = "$build_dir/src/cli/kiln" ]; then
    log "building kiln"
    cmake --build "$build_dir" --target kiln -j2 >"$work/build-kiln.log" 2>&1 ||
      log "kiln does not build now: $(grep -m1 -E 'error' "$work/build-kiln.log" || tail -n 1 "$work/build-kiln.log")"
  fi
fi
if [ ! -x "$here/node_modules/.bin/azurite-blob" ]; then
  log "installing Azurite (npm ci in bench/blob)"
  npm ci --prefix "$here" --no-audit --no-fund >/dev/null
fi

results="$work/results.jsonl"
: >"$results"

# measure WORKLOAD TARGET CONNECTIONS loadgen-args... : runs one workload, appends its JSON.
measure() {
  local workload=$1 target=$2 conns=$3
  shift 3
  local out
  out=$("$@" 2>&1 | tail -n 1) || true
  case "$out" in \{*) ;; *) out=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"error": sys.argv[1]}))' "$out") ;; esac
  echo "{\"workload\":\"$workload\",\"target\":\"$target\",\"connections\":$conns,\"result\":$out}" >>"$results"
  log "$workload $target c=$conns: $out"
}

# --- the disk's limits (before any server runs) -----------------------------------------------
chmod 755 "$work"
mkdir -p "$work/nginx/www" "$work/nginx/tmp" "$work/kiln" "$work/azurite"
# The big file nginx serves is written by the disk probe. The limits that bound the PUT
# and upload workloads are measured again right before them: this machine's fsync rate
# swings widely with its neighbours' I/O, so adjacent figures compare best.
measure disk_first disk 1 "$diskprobe" --what bandwidth --dir "$work" --file "$work/nginx/www/big" --size "$big_size"
head -c 4096 /dev/urandom >"$work/nginx/www/small"
chmod -R a+rX "$work/nginx"

# --- nginx: the GET ceiling ---------------------------------------------------------------------
nginx_port=$(free_port)
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/www;
  }
}
EOF
nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
pids+=($!)
wait_for_port "$nginx_port" 10 "${pids[-1]}" || { log "nginx did not start"; cat "$work/nginx/error.log" >&2; exit 1; }
log "nginx $(nginx -v 2>&1 | sed 's/.*\///') on 127.0.0.1:$nginx_port"

# --- Azurite ------------------------------------------------------------------------------------
azurite_port=$(free_port)
"$here/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$azurite_port" \
  --location "$work/azurite" --loose --skipApiVersionCheck --silent --disableTelemetry \
  >"$work/azurite.log" 2>&1 &
azurite_pid=$!
pids+=($azurite_pid)
wait_for_port "$azurite_port" 30 "$azurite_pid" || { log "Azurite did not start"; cat "$work/azurite.log" >&2; exit 1; }
azurite_version=$(node -p "require('$here/node_modules/azurite/package.json').version")
log "Azurite $azurite_version on 127.0.0.1:$azurite_port (pid $azurite_pid)"

# --- Kiln ---------------------------------------------------------------------------------------
kiln_pid=0
if [ -x "$kiln_bin" ]; then
  kiln_port=$(free_port)
  batch_port=$(free_port)
  "$kiln_bin" serve --blob-port "$kiln_port" --batch-port "$batch_port" --data-dir "$work/kiln" \
    >"$work/kiln.log" 2>&1 &
  kiln_pid=$!
  pids+=($kiln_pid)
  if wait_for_port "$kiln_port" 30 "$kiln_pid"; then
    log "Kiln on 127.0.0.1:$kiln_port (pid $kiln_pid, data dir on disk)"
  else
    log "Kiln did not start:"; cat "$work/kiln.log" >&2; kiln_pid=0
  fi
  # The same server without durability (--in-memory: no fsync at all), for the PUT
  # workload only: how much of a durable PUT's cost is the request path itself.
  nosync_port=$(free_port)
  "$kiln_bin" serve --in-memory --blob-port "$nosync_port" --batch-port "$(free_port)" >"$work/kiln-nosync.log" 2>&1 &
  nosync_pid=$!
  pids+=($nosync_pid)
  wait_for_port "$nosync_port" 30 "$nosync_pid" || { log "Kiln --in-memory did not start"; nosync_pid=0; }
else
  log "no Kiln binary at $kiln_bin; Kiln's column will be empty"
fi

# Endpoints, SAS tokens and the 4 KiB blob every GET reads.
declare -A base sas_bench sas_list pid_of
targets=(azurite)
base[azurite]="http://127.0.0.1:$azurite_port/devstoreaccount1"; pid_of[azurite]=$azurite_pid
if [ "$kiln_pid" != 0 ]; then
  targets=(kiln azurite)
  base[kiln]="http://127.0.0.1:$kiln_port/devstoreaccount1"; pid_of[kiln]=$kiln_pid
fi
ready_targets=()
for t in "${targets[@]}"; do
  if tokens=$(/usr/bin/python3 "$here/sas.py" "${base[$t]}" bench list 2>"$work/sas-$t.err"); then
    sas_bench[$t]=$(awk '$1=="bench"{print $2}' <<<"$tokens")
    sas_list[$t]=$(awk '$1=="list"{print $2}' <<<"$tokens")
    "$loadgen" rate --url "${base[$t]}/bench/small?${sas_bench[$t]}" --method PUT --body-size 4096 \
      --header "$api_version" --header "x-ms-blob-type: BlockBlob" --count 1 >/dev/null
    ready_targets+=("$t")
  else
    log "$t: cannot create containers: $(tail -n 1 "$work/sas-$t.err")"
  fi
done
targets=("${ready_targets[@]}")
nosync=()
if [ "${nosync_pid:-0}" != 0 ]; then
  base[kiln_nosync]="http://127.0.0.1:$nosync_port/devstoreaccount1"
  if tokens=$(/usr/bin/python3 "$here/sas.py" "${base[kiln_nosync]}" bench 2>>"$work/sas-nosync.err"); then
    sas_bench[kiln_nosync]=$(awk '$1=="bench"{print $2}' <<<"$tokens")
    nosync=(kiln_nosync)
  fi
fi

# --- 4 KiB GET and PUT at 1/16/64 connections ---------------------------------------------------
# Short rounds, the servers taking turns; the report keeps each one's median round, so a
# burst of a neighbour's load on this shared machine hits every server alike.
rate() { "$loadgen" rate --warmup "$warmup" --seconds "$rate_seconds" "$@"; }
for c in "${connection_levels[@]}"; do
  for round in $(seq "$rounds"); do
    measure get4k nginx "$c" rate --url "http://127.0.0.1:$nginx_port/small" --connections "$c" --expect-bytes 4096
    for t in "${targets[@]}"; do
      measure get4k "$t" "$c" rate --url "${base[$t]}/bench/small?${sas_bench[$t]}" --header "$api_version" \
        --connections "$c" --expect-bytes 4096
    done
  done
done
for round in $(seq "$rounds"); do
  measure disk_dsync disk 1 "$diskprobe" --what dsync --dir "$work" --dsync-seconds "$dsync_seconds"
  for c in "${connection_levels[@]}"; do
    for t in "${targets[@]}" $([ "$c" = 16 ] && echo "${nosync[@]}"); do
      measure put4k "$t" "$c" rate --url "${base[$t]}/bench/put-c$c-r$round-{n}?${sas_bench[$t]}" --method PUT \
        --body-size 4096 --header "$api_version" --header "x-ms-blob-type: BlockBlob" --connections "$c"
    done
  done
done

# --- big staged upload and its download (server RSS sampled throughout) -------------------------
measure disk_bandwidth disk 1 "$diskprobe" --what bandwidth --dir "$work" --size "$big_size"
for t in "${targets[@]}"; do
  measure upload "$t" "$upload_connections" "$loadgen" upload --url "${base[$t]}/bench/big?${sas_bench[$t]}" \
    --size "$big_size" --block-size "$block_size" --connections "$upload_connections" --watch-pid "${pid_of[$t]}"
done
# Downloads in rounds, taking turns, like the rates; three times as many, as
# a 1 GiB download from the page cache lasts only ~0.2 s.
for round in $(seq "$((rounds * 3))"); do
  measure download nginx 1 "$loadgen" download --url "http://127.0.0.1:$nginx_port/big" --expect-bytes "$big_size"
  for t in "${targets[@]}"; do
    measure download "$t" 1 "$loadgen" download --url "${base[$t]}/bench/big?${sas_bench[$t]}" \
      --expect-bytes "$big_size" --watch-pid "${pid_of[$t]}"
  done
done

# --- create N blobs, then list them in pages of 5000 --------------------------------------------
for t in "${targets[@]}"; do
  measure create "$t" 16 "$loadgen" rate --url "${base[$t]}/list/blob-{n}?${sas_list[$t]}" --method PUT \
    --body-size 0 --header "$api_version" --header "x-ms-blob-type: BlockBlob" --connections 16 --count "$blob_count"
  measure list "$t" 1 "$loadgen" list --url "${base[$t]}/list?${sas_list[$t]}" --max-results 5000 \
    --expect "$blob_count" --min-seconds "$list_seconds"
done

# --- report ---------------------------------------------------------------------------------------
/usr/bin/python3 "$here/report.py" "$results" --command "$command_line" --quick "$quick" \
  --azurite-version "$azurite_version" --big-size "$big_size" --blob-count "$blob_count" \
  --rate-seconds "$rate_seconds" --rounds "$rounds" ${markdown_out:+--markdown "$markdown_out"}
