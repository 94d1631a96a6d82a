#!/usr/bin/env python3
"""Times the Batch tutorial end to end (all nine steps: containers, uploads,
pool with start task, job, tasks, wait, download, deletions) over several runs
and reports the median of each scenario, side by side in one run:

  embedded   `kiln tutorial --yes`: starts an in-memory Kiln, runs the C++ client
  served     `kiln tutorial --yes` against a running, durable `kiln serve` (on disk)
  python     examples/python/python_tutorial_client.py (azure-batch 13 /
             azure-storage-blob 12) against the same `kiln serve`

The cloud figure to compare with is the tutorial's own: 5-7 minutes.
Usage: bench_tutorial.py --kiln PATH [--runs 7] [--no-python] [--markdown FILE]
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOUD_SECONDS = 5 * 60  # the low end of the tutorial's "5-7 minutes"


def clean_env():
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("KILN_") or k.endswith("CONNECTION_STRING"):
            del env[k]
    return env


def timed(args, env, download_dir):
    shutil.rmtree(download_dir, ignore_errors=True)
    os.makedirs(download_dir)
    start = time.monotonic()
    out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.monotonic() - start
    outputs = sorted(f for f in os.listdir(download_dir) if f.endswith("_OUTPUT.txt"))
    if out.returncode != 0 or len(outputs) != 3:
        sys.exit(f"run failed ({out.returncode}, outputs {outputs}):\n{out.stdout}\n{out.stderr}")
    return elapsed


def start_server(kiln, data_dir):
    log = open(os.path.join(data_dir, "serve.log"), "w")
    proc = subprocess.Popen([kiln, "serve", "--blob-port", "0", "--batch-port", "0", "--data-dir",
                             os.path.join(data_dir, "data")], stdout=log, stderr=subprocess.STDOUT,
                            env=clean_env(), start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = open(log.name).read()
        blob = re.search(r"Blob service:\s+(\S+)", text)
        batch = re.search(r"Batch service:\s+(\S+)", text)
        if blob and batch:
            return proc, blob.group(1), batch.group(1)
        if proc.poll() is not None:
            sys.exit("kiln serve exited:\n" + text)
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    sys.exit("kiln serve did not become ready")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-python", action="store_true")
    ap.add_argument("--markdown")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="kiln-bench-tutorial-")
    downloads = os.path.join(work, "downloads")
    results = {}
    try:
        env = clean_env()
        results["embedded: `kiln tutorial --yes` (in-memory server started by the command)"] = [
            timed([a.kiln, "tutorial", "--yes", "--download-dir", downloads], env, downloads) for _ in range(a.runs)]
        proc, blob, batch = start_server(a.kiln, work)
        try:
            results["served: `kiln tutorial --yes` against `kiln serve` (durable, on disk)"] = [
                timed([a.kiln, "tutorial", "--yes", "--download-dir", downloads, "--batch-endpoint", batch,
                       "--blob-endpoint", blob], env, downloads) for _ in range(a.runs)]
            if not a.no_python:
                py_env = dict(env, KILN_BATCH_ENDPOINT=batch, KILN_BLOB_ENDPOINT=blob, KILN_DOWNLOAD_DIR=downloads)
                script = os.path.join(REPO, "examples", "python", "python_tutorial_client.py")
                results["python: azure-batch 13 / azure-storage-blob 12 tutorial client against `kiln serve`"] = [
                    timed(["/usr/bin/python3", script, "--yes"], py_env, downloads) for _ in range(a.runs)]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(20)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"| scenario ({a.runs} runs each) | median | min | max | cloud (5 min) / median |", "|---|---|---|---|---|"]
    for name, times in results.items():
        med = statistics.median(times)
        lines.append(f"| {name} | {med:.3f} s | {min(times):.3f} s | {max(times):.3f} s | {CLOUD_SECONDS / med:,.0f}x |")
    table = "\n".join(lines)
    print(table)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
