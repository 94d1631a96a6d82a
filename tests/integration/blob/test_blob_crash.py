"""Durability: kill -9 during concurrent uploads; every acknowledged blob survives byte-exact and
nothing half-written is ever visible. Also the expiry sweep of uncommitted blocks."""
import hashlib
import os
import threading
import time

from azure.storage.blob import BlobServiceClient
from blob_helpers import data_files


def payload(name):
    """Deterministic content per blob name, of varied sizes (inline, file, staged)."""
    n = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)
    size = [100, 4096, 70 * 1024, 300 * 1024, 1500 * 1024][n % 5]
    seed = hashlib.sha256(name.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def client(server):
    # Blobs over 1 MiB go up as staged blocks + a block list.
    return BlobServiceClient.from_connection_string(server.connection_string, retry_total=0,
                                                    connection_timeout=5, read_timeout=10,
                                                    max_single_put_size=1024 * 1024, max_block_size=512 * 1024)


def kill9_while_running(server, worker, workers, acked, stop):
    """Runs `worker(i)` on threads until about 60 writes are acknowledged (in `acked`),
    kills the server with SIGKILL mid-flight, stops the workers and starts the server again."""
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acked) >= 20, "too few writes completed before the kill"
    server.start()


def test_kill9_during_concurrent_uploads(kiln_factory):
    server = kiln_factory()
    svc = client(server)
    svc.create_container("crash")
    acked, attempted = {}, set()
    lock = threading.Lock()
    stop = threading.Event()

    def uploader(worker):
        c = client(server).get_container_client("crash")
        i = 0
        while not stop.is_set():
            name = f"w{worker}/blob{i:05d}"
            i += 1
            data = payload(name)
            with lock:
                attempted.add(name)
            try:
                c.get_blob_client(name).upload_blob(data)
            except Exception:
                if stop.is_set():
                    return
                continue
            with lock:
                acked[name] = hashlib.sha256(data).hexdigest()

    kill9_while_running(server, uploader, 8, acked, stop)
    c = client(server).get_container_client("crash")
    listed = {b.name: b.size for b in c.list_blobs()}
    for name, digest in acked.items():
        assert name in listed, f"acknowledged blob {name} lost"
        got = c.get_blob_client(name).download_blob().readall()
        assert hashlib.sha256(got).hexdigest() == digest, f"acknowledged blob {name} corrupted"
    for name, size in listed.items():
        assert name in attempted, f"unknown blob {name} appeared"
        if name not in acked:  # committed but its response was lost: must still be whole
            got = c.get_blob_client(name).download_blob().readall()
            assert got == payload(name), f"half-written blob {name} visible"
    # Files of uploads that never committed were swept at startup: every data file is referenced.
    files = data_files(server)
    assert len(files) <= len(listed) + 64  # staged blocks of interrupted uploads may remain until expiry


def test_uncommitted_blocks_expire(kiln_factory):
    server = kiln_factory(env={"KILN_BLOB_BLOCK_EXPIRY_SECONDS": "1", "KILN_BLOB_SWEEP_INTERVAL_SECONDS": "1"})
    svc = client(server)
    c = svc.create_container("expiry")
    b = c.get_blob_client("staged")
    b.stage_block("YmxvY2sx", b"x" * 100000)
    assert len(b.get_block_list("uncommitted")[1]) == 1
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and data_files(server):
        time.sleep(0.1)
    assert data_files(server) == set()
    names = [x.name for x in c.list_blobs(include=["uncommittedblobs"])]
    assert names == []


def test_soft_deleted_blobs_go_for_good_after_their_retention(kiln_factory):
    from azure.storage.blob import RetentionPolicy
    server = kiln_factory(env={"KILN_BLOB_RETENTION_DAY_SECONDS": "1", "KILN_BLOB_SWEEP_INTERVAL_SECONDS": "1"})
    svc = client(server)
    svc.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=2))
    c = svc.create_container("retained")
    c.get_blob_client("big").upload_blob(b"x" * 200000)  # its bytes live in a data file
    c.get_blob_client("big").delete_blob()
    assert len(data_files(server)) == 1  # kept while soft-deleted
    assert [b.deleted for b in c.list_blobs(include=["deleted"])] == [True]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and data_files(server):
        time.sleep(0.1)
    assert data_files(server) == set()
    assert list(c.list_blobs(include=["deleted"])) == []


def test_in_memory_mode_leaves_nothing(kiln_factory, tmp_path):
    server = kiln_factory(in_memory=True, env={"TMPDIR": str(tmp_path)})
    svc = client(server)
    svc.create_container("mem").get_blob_client("b").upload_blob(b"x" * 200000)
    assert svc.get_blob_client("mem", "b").download_blob().readall() == b"x" * 200000
    server.stop()
    assert [p for p in os.listdir(tmp_path) if p.startswith("kiln-blob-")] == []


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_large_download_streams_with_flat_memory(kiln_factory):
    server = kiln_factory()
    svc = BlobServiceClient.from_connection_string(server.connection_string, max_single_put_size=4 * 1024 * 1024,
                                                   max_block_size=4 * 1024 * 1024, max_single_get_size=128 * 1024 * 1024)
    blob = svc.create_container("stream").get_blob_client("big")
    chunk = os.urandom(1024 * 1024)
    blob.upload_blob(chunk * 128, max_concurrency=2)  # 128 MiB
    pid = server.proc.pid
    baseline = rss_kib(pid)
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.01)

    t = threading.Thread(target=sample)
    t.start()
    digest = hashlib.sha256()
    # One GET for the whole 128 MiB blob: the server streams it from the file.
    for part in blob.download_blob().chunks():
        digest.update(part)
    done.set()
    t.join()
    assert digest.hexdigest() == hashlib.sha256(chunk * 128).hexdigest()
    assert peak[0] - baseline < 32 * 1024, f"server RSS grew by {(peak[0] - baseline) // 1024} MiB"


def test_kill9_during_versioned_overwrites(kiln_factory):
    """With versioning, every acknowledged write's version survives a kill -9 with its bytes
    (overwrites of inline, file and staged sizes, and metadata changes that share a version's files)."""
    server = kiln_factory(extra_args=["--blob-versioning"])
    client(server).create_container("crash")
    acked = {}  # (blob, version id) -> sha256 of its bytes
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker):
        blob = client(server).get_container_client("crash").get_blob_client(f"w{worker}")
        last = None
        i = 0
        while not stop.is_set():
            i += 1
            try:
                if last and i % 3 == 0:
                    vid = blob.set_blob_metadata({"i": str(i)})["version_id"]  # the bytes of `last`
                else:
                    data = payload(f"w{worker}/{i}")
                    vid = blob.upload_blob(data, overwrite=True)["version_id"]
                    last = hashlib.sha256(data).hexdigest()
            except Exception:
                if stop.is_set():
                    return
                continue
            with lock:
                acked[(f"w{worker}", vid)] = last  # ids are unique per blob only

    kill9_while_running(server, writer, 6, acked, stop)
    c = client(server).get_container_client("crash")
    listed = {(b.name, b.version_id) for b in c.list_blobs(include=["versions"])}
    for (name, vid), digest in acked.items():
        assert (name, vid) in listed, f"acknowledged version {vid} of {name} lost"
        got = c.get_blob_client(name).download_blob(version_id=vid).readall()
        assert hashlib.sha256(got).hexdigest() == digest, f"version {vid} of {name} corrupted"
