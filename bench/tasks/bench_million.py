#!/usr/bin/python3
"""bench/tasks --million — a job of N (default 1,000,000) tasks: server memory and task.list pages.

Starts a durable `kiln serve` (SQLite on disk, as users run it) on free ports and:

  add             N tasks through Add Task Collection (pre-serialized 100-task bodies on 4
                  keep-alive connections) into a job whose pool has 0 target nodes, so every
                  task stays queued (active) in the server; the server's VmRSS is sampled
                  every 0.2 s meanwhile
  memory          VmRSS after the adds and VmHWM (peak) of the server process, /proc/<pid>/status
  list pages      GET /jobs/<job>/tasks?maxresults=1000, following odata.nextLink through the
                  whole job (or --pages pages): wall time per page as a client sees it (request,
                  server, 1,000 tasks of JSON on the wire; not the SDK's deserialization), p50/p99

Usage: bench_million.py --kiln PATH [--tasks N] [--pages N] [--markdown FILE]
"""
import argparse
import datetime
import os
import shutil
import sys
import tempfile
import threading
import time

import requests
import azure.batch
import azure.batch.models as batchmodels
from azure.batch.batch_auth import SharedKeyAuth, SharedKeyCredentials

from bench_tasks import (ACCOUNT, API_VERSION, KEY, Kiln, emit_markdown, log, make_pool, percentile,
                         wire_add_rate)


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    """Samples the server's VmRSS until stopped; keeps the largest value."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.stopping = pid, 0, threading.Event()

    def run(self):
        while not self.stopping.wait(0.2):
            self.peak_kib = max(self.peak_kib, status_kib(self.pid, "VmRSS"))


def page_times(batch_url, job_id, max_pages):
    session = requests.Session()
    session.auth = SharedKeyAuth("Authorization", ACCOUNT, KEY)
    url = f"{batch_url}/jobs/{job_id}/tasks"
    params = {"api-version": API_VERSION, "maxresults": "1000"}
    times, listed = [], 0
    while url and len(times) < max_pages:
        t0 = time.monotonic()
        r = session.get(url, params=params)
        body = r.content
        times.append((time.monotonic() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"list failed: {r.status_code} {body[:300]!r}")
        page = r.json()  # parsed outside the timed section
        listed += len(page["value"])
        url, params = page.get("odata.nextLink"), None  # the link carries every parameter
    return times, listed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--pages", type=int, default=1_000_000, help="at most this many list pages")
    ap.add_argument("--markdown")
    ap.add_argument("--command", default="bench/tasks/run.sh --million")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="kiln-million-bench.")
    kiln = None
    try:
        kiln = Kiln(args.kiln, work, in_memory=False)
        pid = kiln.proc.pid
        client = azure.batch.BatchServiceClient(SharedKeyCredentials(ACCOUNT, KEY), batch_url=kiln.batch_url)
        make_pool(client, "nodeless", 0)
        client.job.add(batchmodels.JobAddParameter(id="million",
                                                   pool_info=batchmodels.PoolInformation(pool_id="nodeless")))
        rss_idle = status_kib(pid, "VmRSS")
        sampler = RssSampler(pid)
        sampler.start()
        log(f"adding {args.tasks:,} tasks (pre-serialized add collection, 4 connections)...")
        add_rate = wire_add_rate(kiln.batch_url, "million", args.tasks)
        counts = client.job.get_task_counts("million").task_counts
        if counts.active != args.tasks:
            raise RuntimeError(f"{counts.active} active tasks, expected {args.tasks}")
        rss_after_add = status_kib(pid, "VmRSS")
        log("listing pages of 1,000...")
        times, listed = page_times(kiln.batch_url, "million", args.pages)
        sampler.stopping.set()
        sampler.join()
        rss_after_list = status_kib(pid, "VmRSS")
        hwm = status_kib(pid, "VmHWM")
        db_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(work) for f in fs
                       if ".db" in f)
    finally:
        if kiln:
            kiln.stop()
        shutil.rmtree(work, ignore_errors=True)

    mib = lambda kib: f"{kib / 1024:,.0f} MiB"
    rows = [
        (f"add {args.tasks:,} tasks, pre-serialized, 4 connections", f"{add_rate:,.0f} tasks/s"),
        ("server VmRSS: idle / after the adds / after listing", f"{mib(rss_idle)} / {mib(rss_after_add)} / {mib(rss_after_list)}"),
        ("server peak memory (VmHWM; sampled VmRSS max)", f"{mib(hwm)} ({mib(max(sampler.peak_kib, rss_after_list))})"),
        ("SQLite database + WAL on disk", f"{db_bytes / 2**20:,.0f} MiB"),
        (f"task.list pages of 1,000: {len(times):,} pages, {listed:,} tasks, p50 / p99 / max",
         f"{percentile(times, 50):.1f} / {percentile(times, 99):.1f} / {max(times):.1f} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    md = [f"Latest run (`{args.command}`; {datetime.date.today().isoformat()}, {os.cpu_count()} cores):",
          "", "| measure | value |", "|---|---|"]
    md += [f"| {n} | {v} |" for n, v in rows]
    emit_markdown(md, args.markdown)


if __name__ == "__main__":
    main()
