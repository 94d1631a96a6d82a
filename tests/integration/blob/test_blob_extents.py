"""A block blob committed from staged blocks references the blocks' files as extents
(no copy): reads, ranges, snapshots, copies, re-commits and crashes must all see exact bytes."""
import base64
import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from azure.storage.blob import BlobBlock, BlobServiceClient

from blob_helpers import container, data_files, full_account_sas, service  # noqa: F401


def bid(i):
    return f"blk{i:05d}"


def stage_all(blob, blocks, workers=6):
    order = list(range(len(blocks)))
    order.reverse()  # out of order on purpose
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda i: blob.stage_block(bid(i), blocks[i]), order))


def test_parallel_out_of_order_blocks_read_back_exact(kiln, container):
    blocks = [os.urandom(70_000 + 1_013 * i) for i in range(24)]
    data = b"".join(blocks)
    b = container.get_blob_client("parallel")
    stage_all(b, blocks)
    b.commit_block_list([BlobBlock(bid(i)) for i in range(len(blocks))])
    assert b.download_blob().readall() == data
    # Ranges inside one block, across one boundary, across many, to the end.
    b0 = len(blocks[0])
    for off, n in [(5, 100), (b0 - 10, 20), (b0 - 1, 300_000), (len(data) - 7, 7), (0, len(data))]:
        assert b.download_blob(offset=off, length=n).readall() == data[off:off + n], (off, n)
    url = f"{kiln.blob_url}/{container.container_name}/parallel?{full_account_sas(kiln)}"
    r = requests.get(url, headers={"x-ms-range": f"bytes={b0 - 50}-{b0 + 49}", "x-ms-range-get-content-md5": "true",
                                   "x-ms-version": "2021-12-02"})
    assert r.status_code == 206 and r.content == data[b0 - 50:b0 + 50]
    assert r.headers["Content-MD5"] == base64.b64encode(hashlib.md5(data[b0 - 50:b0 + 50]).digest()).decode()
    r = requests.get(url, headers={"x-ms-range": f"bytes={len(data)}-", "x-ms-version": "2021-12-02"})
    assert r.status_code == 416 and r.headers["x-ms-error-code"] == "InvalidRange"
    r = requests.get(url, headers={"x-ms-range": "bytes=9-3", "x-ms-version": "2021-12-02"})
    assert r.status_code == 416 and r.headers["x-ms-error-code"] == "InvalidRange"
    r = requests.get(url, headers={"Range": f"bytes={len(data) - 3}-{len(data) + 100}"})
    assert r.status_code == 206 and r.content == data[-3:]


def test_recommit_reorders_repeats_and_mixes_committed_and_new_blocks(container):
    blocks = [os.urandom(100_000) for _ in range(3)]
    b = container.get_blob_client("recommit")
    stage_all(b, blocks)
    b.commit_block_list([BlobBlock(bid(0)), BlobBlock(bid(1)), BlobBlock(bid(2))])
    new = os.urandom(90_000)
    b.stage_block(bid(3), new)
    # Committed blocks reused out of order and twice, plus a new one listed twice.
    b.commit_block_list([BlobBlock(bid(2)), BlobBlock(bid(3)), BlobBlock(bid(0)), BlobBlock(bid(3)),
                         BlobBlock(bid(2))])
    assert b.download_blob().readall() == blocks[2] + new + blocks[0] + new + blocks[2]
    committed, uncommitted = b.get_block_list("all")
    assert [x.id for x in committed] == [bid(2), bid(3), bid(0), bid(3), bid(2)] and uncommitted == []
    b.commit_block_list([BlobBlock(bid(0))])
    assert b.download_blob().readall() == blocks[0]


def test_snapshot_and_copy_keep_their_bytes_after_overwrite_and_delete(container):
    blocks = [os.urandom(80_000) for _ in range(4)]
    b = container.get_blob_client("snap")
    stage_all(b, blocks)
    b.commit_block_list([BlobBlock(bid(i)) for i in range(4)])
    snap = b.create_snapshot()
    copy = container.get_blob_client("snap-copy")
    copy.start_copy_from_url(b.url)
    b.stage_block(bid(9), b"new" * 40_000)
    b.commit_block_list([BlobBlock(bid(9))])
    assert b.download_blob().readall() == b"new" * 40_000
    old = b"".join(blocks)
    s = container.get_blob_client("snap", snapshot=snap["snapshot"])
    assert s.download_blob().readall() == old
    assert s.download_blob(offset=79_990, length=20).readall() == old[79_990:80_010]
    b.delete_blob(delete_snapshots="include")
    assert copy.download_blob().readall() == old


def test_kill9_during_put_block_list_leaves_old_or_new_version(kiln_factory):
    server = kiln_factory()
    svc = BlobServiceClient.from_connection_string(server.connection_string, retry_total=0,
                                                   connection_timeout=5, read_timeout=10)
    c = svc.create_container("crashpbl")
    b = c.get_blob_client("v")
    versions = {}
    first = [os.urandom(64 * 1024) for _ in range(8)]
    stage_all(b, first)
    b.commit_block_list([BlobBlock(bid(i)) for i in range(8)])
    versions[hashlib.sha256(b"".join(first)).hexdigest()] = True
    stop = threading.Event()
    commits = [0]

    def writer():
        cl = BlobServiceClient.from_connection_string(server.connection_string, retry_total=0,
                                                      connection_timeout=5, read_timeout=10)
        blob = cl.get_blob_client("crashpbl", "v")
        n = 0
        while not stop.is_set():
            n += 1
            parts = [os.urandom(64 * 1024) for _ in range(8)]
            versions[hashlib.sha256(b"".join(parts)).hexdigest()] = True
            try:
                for i, p in enumerate(parts):
                    blob.stage_block(bid(i), p)
                blob.commit_block_list([BlobBlock(bid(i)) for i in range(8)])
                commits[0] += 1
            except Exception:
                return

    t = threading.Thread(target=writer)
    t.start()
    while commits[0] < 5 and t.is_alive():
        threading.Event().wait(0.01)
    server.kill9()
    stop.set()
    t.join(timeout=30)
    server.start()
    got = BlobServiceClient.from_connection_string(server.connection_string).get_blob_client("crashpbl", "v")
    data = got.download_blob().readall()
    assert len(data) == 8 * 64 * 1024
    assert hashlib.sha256(data).hexdigest() in versions  # one whole version, never a mix
    # Files of versions replaced before the crash and never-committed links were swept.
    committed, uncommitted = got.get_block_list("all")
    files = data_files(server)
    assert len(files) == len(committed) + len(uncommitted)
