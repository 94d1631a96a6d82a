#!/usr/bin/python3
"""bench/tasks — Kiln's task throughput and latency beside the machine's raw spawn rate.

Starts `kiln serve --in-memory` on free ports and drives it with Debian's azure-batch SDK
(the client users run), plus a pre-serialized "wire" client for the server's own add rate:

  add rate        tasks/s through Add Task Collection into a job whose pool has no nodes (so
                  nothing runs meanwhile): with the SDK's add_collection(threads=4), and with
                  pre-built 100-task JSON bodies POSTed on 4 keep-alive connections
  add→start       executionInfo.startTime − creationTime on an idle pool (one task at a time,
                  each waited for), and under the end-to-end load
  end-to-end      rounds of N tasks running /bin/true on a pool of 2 nodes x 2 slots: first add
                  → last completion (the tasks' endTime), tasks/s; the rounds alternate with
                  raw spawn runs (raw, kiln, raw, ..., kiln, raw) and each round's ratio is to
                  the mean of the raw runs either side of it; the median ratio is the result.
                  Rounds alternate between adding through the SDK and adding pre-serialized
                  bodies: the SDK's Python serialisation runs on the same 2 cores, so the
                  second kind is Kiln's own throughput
  raw spawn       kiln-raw-spawn: /bin/true into a fresh working directory with stdout/stderr
                  redirected to files, 4 at a time (the pool's 2 nodes x 2 slots) — the ceiling;
                  its directories go beside the nodes' task directories (same filesystem and
                  parent: on ext4 the cost of a new inode depends on where it is allocated)

Usage: bench_tasks.py --kiln PATH --raw-spawn PATH [--tasks N] [--rounds R] [--wire-tasks N]
                      [--idle-tasks N] [--durable] [--markdown FILE]
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests
import azure.batch
import azure.batch.models as batchmodels
from azure.batch.batch_auth import SharedKeyAuth, SharedKeyCredentials

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
API_VERSION = "2022-10-01.16.0"
SLOTS = 4  # 2 nodes x 2 slots


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def raw_spawn(binary, count, parallel, work):
    # --keep: the directories go with the work directory at the end, so no phase
    # allocates inodes among thousands just deleted (costly on ext4).
    out = subprocess.run([binary, "--count", str(count), "--parallel", str(parallel), "--dir", work,
                          "--keep", "1"],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"rate=([\d.]+)", out).group(1))


class Kiln:
    """`kiln serve` on free ports (--in-memory unless durable), in its own process group."""

    def __init__(self, binary, work, in_memory=True):
        self.log_path = os.path.join(work, "kiln.log")
        data = os.path.join(work, "data")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "serve", "--blob-port", "0", "--batch-port", "0", "--data-dir", data]
            + (["--in-memory"] if in_memory else []),
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = open(self.log_path, errors="replace").read()
            m = re.search(r"Batch service:\s+\S+://[^:]+:(\d+)", text)
            if m and "Data directory:" in text:
                self.batch_url = f"http://127.0.0.1:{m.group(1)}"
                return
            if self.proc.poll() is not None:
                raise RuntimeError("kiln serve exited:\n" + text)
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("kiln serve did not become ready; see " + self.log_path)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


def make_pool(client, pool_id, nodes):
    image = batchmodels.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy",
                                       sku="22_04-lts", version="latest")
    client.pool.add(batchmodels.PoolAddParameter(
        id=pool_id, vm_size="standard_d2s_v3", target_dedicated_nodes=nodes, task_slots_per_node=2,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=image, node_agent_sku_id="batch.node.ubuntu 22.04")))

    def ready():
        states = [n.state for n in client.compute_node.list(pool_id)]
        return len(states) == nodes and all(s == "idle" for s in states)

    wait_until(ready, 60, what=f"{nodes} idle nodes in {pool_id}")


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def task_params(prefix, n):
    return [batchmodels.TaskAddParameter(id=f"{prefix}{i:07d}", command_line="/bin/true")
            for i in range(n)]


def sdk_add_rate(client, job_id, n):
    tasks = task_params("s", n)
    t0 = time.monotonic()
    client.task.add_collection(job_id, tasks, threads=4)
    return n / (time.monotonic() - t0)


def wire_add_rate(batch_url, job_id, n, connections=4, prefix="w"):
    bodies = []
    for start in range(0, n, 100):
        value = [{"id": f"{prefix}{i:07d}", "commandLine": "/bin/true"} for i in range(start, min(n, start + 100))]
        bodies.append(json.dumps({"value": value}))
    url = f"{batch_url}/jobs/{job_id}/addtaskcollection?api-version={API_VERSION}"
    headers = {"Content-Type": "application/json; odata=minimalmetadata; charset=utf-8"}
    sessions = []
    for _ in range(connections):
        s = requests.Session()
        s.auth = SharedKeyAuth("Authorization", ACCOUNT, KEY)
        sessions.append(s)
    next_body = iter(range(len(bodies)))
    lock = threading.Lock()
    errors = []

    def worker(session):
        while True:
            with lock:
                i = next(next_body, None)
            if i is None:
                return
            r = session.post(url, data=bodies[i], headers=headers)
            if r.status_code != 200 or any(v.get("status") != "success" for v in r.json()["value"]):
                errors.append(r.text[:300])

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    if errors:
        raise RuntimeError("add collection failed: " + errors[0])
    return n / elapsed


def completed_tasks(client, job_id):
    opts = batchmodels.TaskListOptions(select="id,state,creationTime,executionInfo", max_results=1000)
    return list(client.task.list(job_id, task_list_options=opts))


def end_to_end(client, job_id, n, wire_url=None):
    """First add → last completion. With `wire_url` the tasks are added as pre-serialized
    collection bodies (the server's own cost, without the SDK's Python serialisation
    competing for the same 2 cores), else through the SDK's add_collection."""
    first_add = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.monotonic()
    if wire_url:
        wire_add_rate(wire_url, job_id, n, prefix="e")
    else:
        client.task.add_collection(job_id, task_params("e", n), threads=4)
    add_seconds = time.monotonic() - t0

    def done():
        return client.job.get_task_counts(job_id).task_counts.completed >= n

    wait_until(done, 600, interval=0.05, what="all tasks completed")
    listed = completed_tasks(client, job_id)
    failed = [t.id for t in listed if t.execution_info.exit_code != 0]
    if len(listed) != n or failed:
        raise RuntimeError(f"{len(listed)} tasks listed, failed: {failed[:5]}")
    last_end = max(t.execution_info.end_time for t in listed)
    seconds = (last_end - first_add).total_seconds()
    latencies = [(t.execution_info.start_time - t.creation_time).total_seconds() * 1000 for t in listed]
    return n / seconds, n / add_seconds, latencies


def idle_latencies(client, job_id, n):
    out = []
    for i in range(n):
        tid = f"i{i:05d}"
        client.task.add(job_id, batchmodels.TaskAddParameter(id=tid, command_line="/bin/true"))

        def done():
            return client.task.get(job_id, tid).state == batchmodels.TaskState.completed

        wait_until(done, 30, interval=0.005, what=f"task {tid}")
        t = client.task.get(job_id, tid)
        out.append((t.execution_info.start_time - t.creation_time).total_seconds() * 1000)
    return out


def node_root_dir(client, job_id):
    """$AZ_BATCH_NODE_ROOT_DIR of a node of the bench pool, as a task sees it."""
    client.task.add(job_id, batchmodels.TaskAddParameter(
        id="where", command_line="/bin/sh -c 'echo $AZ_BATCH_NODE_ROOT_DIR'"))
    wait_until(lambda: client.task.get(job_id, "where").state == batchmodels.TaskState.completed, 30,
               what="the node-root task")
    out = b"".join(client.file.get_from_task(job_id, "where", "stdout.txt")).decode().strip()
    if not out.startswith("/"):
        raise RuntimeError(f"unexpected AZ_BATCH_NODE_ROOT_DIR: {out!r}")
    return out


def filesystem_type(path):
    """The type of the filesystem holding `path` (from /proc/mounts), e.g. ext4, tmpfs."""
    best, kind = "", "?"
    path = os.path.realpath(path)
    with open("/proc/mounts") as f:
        for line in f:
            fields = line.split()
            mnt = fields[1]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                best, kind = mnt, fields[2]
    return kind


def e2e_round(client, job_id, n, wire_url=None):
    client.job.add(batchmodels.JobAddParameter(id=job_id, pool_info=batchmodels.PoolInformation(pool_id="bench")))
    return end_to_end(client, job_id, n, wire_url)


def emit_markdown(lines, path=None):
    """Prints the markdown report and, with `path`, writes it there too."""
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if path:
        with open(path, "w") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--raw-spawn", required=True)
    ap.add_argument("--tasks", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=10,
                    help="end-to-end rounds, alternately added through the SDK and pre-serialized")
    ap.add_argument("--wire-tasks", type=int, default=20000)
    ap.add_argument("--idle-tasks", type=int, default=50)
    ap.add_argument("--durable", action="store_true", help="kiln serve with its data on disk (fsync'd)")
    ap.add_argument("--markdown")
    ap.add_argument("--command", default="bench/tasks/run.sh")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="kiln-tasks-bench.")
    kiln = None
    try:
        kiln = Kiln(args.kiln, work, in_memory=not args.durable)
        client = azure.batch.BatchServiceClient(SharedKeyCredentials(ACCOUNT, KEY), batch_url=kiln.batch_url)
        make_pool(client, "bench", 2)
        make_pool(client, "nodeless", 0)

        log(f"add rate ({args.tasks} tasks via the SDK, {args.wire_tasks} pre-serialized)...")
        client.job.add(batchmodels.JobAddParameter(id="adds", pool_info=batchmodels.PoolInformation(pool_id="nodeless")))
        sdk_rate = sdk_add_rate(client, "adds", args.tasks)
        wire_rate = wire_add_rate(kiln.batch_url, "adds", args.wire_tasks)
        client.job.delete("adds")

        log("idle add→start latency...")
        client.job.add(batchmodels.JobAddParameter(id="idle", pool_info=batchmodels.PoolInformation(pool_id="bench")))
        idle = idle_latencies(client, "idle", args.idle_tasks)
        # The raw spawns make their directories beside the nodes' (same filesystem,
        # same neighbourhood): where inodes are allocated matters on ext4.
        raw_dir = os.path.join(os.path.dirname(node_root_dir(client, "idle")), "raw-spawn")
        os.makedirs(raw_dir, exist_ok=True)

        # The ceiling and Kiln alternate (raw, kiln, raw, ..., kiln, raw) while
        # the server stays up (idle during the raw phases): each Kiln round is
        # compared with the mean of the raw runs either side of it, so a noisy
        # neighbour moves both sides of a ratio, and the median ratio decides.
        log(f"end-to-end: {args.rounds} rounds of {args.tasks} tasks on 2 nodes x 2 slots, "
            f"each between two raw-spawn runs ({args.tasks} x /bin/true, {SLOTS} at a time)...")
        raws = [raw_spawn(args.raw_spawn, args.tasks, SLOTS, raw_dir)]
        rounds = []
        loaded = []
        for r in range(args.rounds):
            kind = "sdk" if r % 2 == 0 else "wire"
            rate, _, lat = e2e_round(client, f"e2e{r}", args.tasks, kiln.batch_url if kind == "wire" else None)
            loaded += lat
            raws.append(raw_spawn(args.raw_spawn, args.tasks, SLOTS, raw_dir))
            ceiling = (raws[-2] + raws[-1]) / 2
            rounds.append((raws[-2], rate, raws[-1], rate / ceiling, kind))
            log(f"  round {r + 1} ({kind}): raw {raws[-2]:,.0f}/s, kiln {rate:,.0f}/s, raw {raws[-1]:,.0f}/s "
                f"-> {rate / ceiling:.2f} x raw")
    finally:
        if kiln:
            kiln.stop()
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("add collection, SDK add_collection(threads=4)", f"{sdk_rate:,.0f} tasks/s", ""),
        ("add collection, pre-serialized, 4 connections", f"{wire_rate:,.0f} tasks/s", ""),
    ]
    for i, (before, rate, after, ratio, kind) in enumerate(rounds):
        rows.append((f"round {i + 1} ({kind}): raw before / end-to-end / raw after",
                     f"{before:,.0f} / {rate:,.0f} / {after:,.0f} /s", f"{ratio:.2f} × raw"))
    for kind, label in (("sdk", "tasks added through the SDK"), ("wire", "tasks added pre-serialized")):
        mine = [r for r in rounds if r[4] == kind]
        if not mine:
            continue
        ratios = [r[3] for r in mine]
        rows.append((f"end-to-end, {label}, median of {len(mine)} rounds (ratio min–max)",
                     f"{statistics.median(r[1] for r in mine):,.0f} tasks/s",
                     f"{statistics.median(ratios):.2f} × raw ({min(ratios):.2f}–{max(ratios):.2f})"))
    rows += [
        ("add→start under that load, p50 / p99",
         f"{percentile(loaded, 50):.1f} / {percentile(loaded, 99):.1f} ms", ""),
        ("add→start on an idle pool, p50 / p99",
         f"{percentile(idle, 50):.1f} / {percentile(idle, 99):.1f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:>26}  {ratio}")
    md = [f"Latest run (`{args.command}`; {args.rounds} rounds of {args.tasks} tasks, "
          f"{args.wire_tasks} pre-serialized, {args.idle_tasks} idle-pool tasks, "
          f"{'durable' if args.durable else 'in-memory'} server, task directories on "
          f"{filesystem_type(raw_dir)}; "
          f"{datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}):",
          "", "| measure | value | ratio |", "|---|---|---|"]
    md += [f"| {n} | {v} | {r} |" for n, v, r in rows]
    emit_markdown(md, args.markdown)


if __name__ == "__main__":
    main()
