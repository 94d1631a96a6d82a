"""Page blob workloads through the Python SDK against one Blob endpoint; prints
one JSON object. Used by bench/blob/pages.sh, which runs it against Kiln and
Azurite in turn. The client is the same for both, so ratios compare servers,
though the absolute rates are partly the client's (Python, one machine)."""
import json
import os
import random
import sys
import threading
import time

from azure.storage.blob import BlobServiceClient, BlobType

endpoint, upload_mib, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
conn = f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};BlobEndpoint={endpoint};"


def client():
    return BlobServiceClient.from_connection_string(conn, max_block_size=4 << 20, max_single_put_size=4 << 20)


container = client().get_container_client("pages" + str(random.randrange(1 << 30)))
container.create_container()
out = {}
data = os.urandom(upload_mib << 20)
blob = container.get_blob_client("upload")
t = time.monotonic()
blob.upload_blob(data, blob_type=BlobType.PageBlob, max_concurrency=4)  # 4 MiB pages
out["upload_mib_s"] = upload_mib / (time.monotonic() - t)
t = time.monotonic()
assert blob.download_blob(max_concurrency=4).readall() == data
out["download_mib_s"] = upload_mib / (time.monotonic() - t)

disk = container.get_blob_client("disk")
disk.create_page_blob(size=256 << 20)
page = os.urandom(4096)


def random_writes(clients):
    stop = time.monotonic() + seconds
    counts = []

    def writer(seed):
        b = client().get_blob_client(container.container_name, "disk")
        r, n = random.Random(seed), 0
        while time.monotonic() < stop:
            b.upload_page(page, offset=r.randrange(65536) * 4096, length=4096)
            n += 1
        counts.append(n)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(counts) / seconds


out["random_put_page_1"] = random_writes(1)
out["random_put_page_8"] = random_writes(8)
container.delete_container()
print(json.dumps(out))
