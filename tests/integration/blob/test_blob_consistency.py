"""Readers see the old or the new version of a blob, never a mix, while writers replace it."""
import threading
import time

from azure.storage.blob import BlobServiceClient

from blob_helpers import container, service  # noqa: F401 (fixtures)


def test_readers_never_see_a_mix(kiln, container):
    size = 2 * 1024 * 1024
    versions = [bytes([c]) * size for c in b"abc"]
    # Small single-put limit: some versions are committed from staged blocks.
    svc = BlobServiceClient.from_connection_string(kiln.connection_string, max_single_put_size=1024 * 1024,
                                                   max_block_size=512 * 1024)
    blob = svc.get_blob_client(container.container_name, "hot")
    blob.upload_blob(versions[0])
    stop = threading.Event()
    errors, reads = [], [0]

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            blob.upload_blob(versions[i % 3], overwrite=True)

    def reader():
        r = svc.get_blob_client(container.container_name, "hot")
        while not stop.is_set():
            data = r.download_blob().readall()
            if len(data) != size or data.count(data[:1]) != size:
                errors.append(f"mixed read: {len(data)} bytes starting {data[:1]!r}")
            reads[0] += 1

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not errors:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors[:3]
    assert reads[0] > 0
