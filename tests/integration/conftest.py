"""Fixtures that run the real `kiln serve` binary for integration tests.

`kiln`          a session-wide server shared by tests that do not restart it.
`kiln_factory`  private servers a test may kill -9 and restart (crash tests).
The binary comes from $KILN_BIN (default: build/src/cli/kiln in this checkout).
"""
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
READY_TIMEOUT_S = 30


def kiln_bin():
    return os.environ.get("KILN_BIN", os.path.join(REPO, "build", "src", "cli", "kiln"))


class KilnProcess:
    """One `kiln serve` process with its own data directory and log file."""

    def __init__(self, data_dir, env=None, in_memory=False, extra_args=(), open_files=None):
        self.bin = kiln_bin()
        self.open_files = open_files  # a soft RLIMIT_NOFILE to start the server with
        self.data_dir = data_dir
        self.env = dict(os.environ, **(env or {}))
        self.in_memory = in_memory
        self.extra_args = list(extra_args)
        self.account = DEV_ACCOUNT
        self.key = DEV_KEY
        self.blob_port = 0
        self.batch_port = 0
        self.proc = None
        self.log_path = os.path.join(os.path.dirname(data_dir), os.path.basename(data_dir) + ".log")

    # URLs -----------------------------------------------------------------
    @property
    def blob_url(self):
        return f"{self.scheme}://127.0.0.1:{self.blob_port}/{self.account}"

    @property
    def batch_url(self):
        return f"{self.scheme}://127.0.0.1:{self.batch_port}"

    @property
    def scheme(self):
        return "https" if "--tls" in self.extra_args else "http"

    @property
    def connection_string(self):
        return (f"DefaultEndpointsProtocol={self.scheme};AccountName={self.account};"
                f"AccountKey={self.key};BlobEndpoint={self.blob_url};")

    # Lifecycle ------------------------------------------------------------
    def start(self):
        """Starts the server (on the same ports after a restart) and waits until it is ready."""
        args = [self.bin, "serve", "--blob-port", str(self.blob_port),
                "--batch-port", str(self.batch_port), "--data-dir", self.data_dir]
        if self.in_memory:
            args.append("--in-memory")
        args += self.extra_args
        log = open(self.log_path, "ab")
        log.write(b"=== start ===\n")
        log.flush()
        start_offset = log.tell()
        limit = self.open_files

        def lower_open_files():  # in the child, before exec
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True, preexec_fn=lower_open_files if limit else None)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as f:
                f.seek(start_offset)
                text = f.read().decode(errors="replace")
            blob = re.search(r"Blob service:\s+\S+://[^:]+:(\d+)/", text)
            batch = re.search(r"Batch service:\s+\S+://[^:]+:(\d+)", text)
            if blob and batch and "Data directory:" in text:
                self.blob_port, self.batch_port = int(blob.group(1)), int(batch.group(1))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"kiln serve exited with {self.proc.returncode}:\n{text}")
            time.sleep(0.02)
        self.kill9()
        raise RuntimeError(f"kiln serve not ready within {READY_TIMEOUT_S}s; log: {self.log_path}")

    def stop(self, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.proc = None

    def kill9(self):
        """Kills the server at once (its process group: tasks it ran die with it)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


@pytest.fixture(scope="session")
def kiln(tmp_path_factory):
    server = KilnProcess(str(tmp_path_factory.mktemp("kiln") / "data"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kiln_factory(tmp_path):
    servers = []

    def make(env=None, in_memory=False, extra_args=(), open_files=None):
        server = KilnProcess(str(tmp_path / f"data{len(servers)}"), env=env, in_memory=in_memory,
                             extra_args=extra_args, open_files=open_files)
        servers.append(server)
        return server.start()

    yield make
    for s in servers:
        s.stop()
