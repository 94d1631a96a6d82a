"""Page blobs through the SDK: create, Put Page (update and clear), Get Page
Ranges (also paged and as a diff against a snapshot), resize, sequence numbers,
snapshots, copies, leases, a kill -9 in the middle of page writes, and the
errors Azure gives for bad pages."""
import os
import threading
import time

import pytest
import requests
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceModifiedError
from azure.storage.blob import BlobServiceClient, BlobType, SequenceNumberAction
from blob_helpers import container, full_account_sas, service  # noqa: F401 (fixtures)

MiB = 1 << 20


def ranges(blob, **kw):
    pages, clears = blob.get_page_ranges(**kw)
    return [(p["start"], p["end"]) for p in pages], [(c["start"], c["end"]) for c in clears]


def expect_error(status, code, fn, *args, **kw):
    with pytest.raises(HttpResponseError) as e:
        fn(*args, **kw)
    assert (e.value.status_code, e.value.error_code) == (status, code), e.value.message
    return e.value


def test_a_new_page_blob_reads_as_zeros_until_pages_are_written(container):
    b = container.get_blob_client("disk")
    b.create_page_blob(size=3 * MiB, metadata={"k": "v"}, sequence_number=5)
    props = b.get_blob_properties()
    assert (props.blob_type, props.size, props.page_blob_sequence_number) == (BlobType.PageBlob, 3 * MiB, 5)
    assert props.metadata == {"k": "v"}
    assert b.download_blob().readall() == bytes(3 * MiB)
    assert ranges(b) == ([], [])
    [listed] = list(container.list_blobs())
    assert (listed.blob_type, listed.size) == (BlobType.PageBlob, 3 * MiB)
    assert listed.page_blob_sequence_number == 5


def test_pages_written_and_cleared_across_chunks(container):
    b = container.get_blob_client("pages")
    b.create_page_blob(size=6 * MiB)
    model = bytearray(6 * MiB)

    def put(offset, data):
        r = b.upload_page(data, offset=offset, length=len(data))
        model[offset:offset + len(data)] = data
        return r

    put(0, b"a" * 512)
    put(MiB - 512, b"b" * 1024)                    # straddles the first chunk boundary
    big = os.urandom(4 * MiB)
    r = put(MiB + 512, big)                        # 4 MiB, not chunk aligned: five chunks, spooled body
    assert r["etag"] and r["blob_sequence_number"] == 0
    assert b.download_blob().readall() == bytes(model)
    assert ranges(b) == ([(0, 511), (MiB - 512, 5 * MiB + 511)], [])
    b.clear_page(offset=2 * MiB, length=MiB)      # a whole chunk becomes a hole
    b.clear_page(offset=MiB, length=1024)          # part of a chunk
    model[2 * MiB:3 * MiB] = bytes(MiB)
    model[MiB:MiB + 1024] = bytes(1024)
    assert b.download_blob().readall() == bytes(model)
    assert b.download_blob(offset=MiB - 1000, length=3000).readall() == bytes(model[MiB - 1000:MiB + 2000])
    assert ranges(b) == ([(0, 511), (MiB - 512, MiB - 1), (MiB + 1024, 2 * MiB - 1), (3 * MiB, 5 * MiB + 511)], [])
    assert ranges(b, offset=MiB, length=2 * MiB) == ([(MiB + 1024, 2 * MiB - 1)], [])
    assert ranges(b, offset=3 * MiB) == ([(3 * MiB, 5 * MiB + 511)], [])  # "bytes=3145728-"
    b.clear_page(offset=0, length=6 * MiB)         # everything
    assert ranges(b) == ([], [])
    assert b.download_blob().readall() == bytes(6 * MiB)


def test_upload_blob_as_a_page_blob_skips_empty_pages(container):
    b = container.get_blob_client("uploaded")
    data = os.urandom(4 * MiB) + bytes(4 * MiB) + os.urandom(MiB)  # the SDK sends 4 MiB pages
    b.upload_blob(data, blob_type=BlobType.PageBlob, max_concurrency=4)
    assert b.download_blob(max_concurrency=3).readall() == data
    pages, _ = ranges(b)
    assert pages[0][0] == 0 and pages[-1][1] == len(data) - 1
    assert sum(e - s + 1 for s, e in pages) < len(data)  # the zero 4 MiB were never sent


def test_paged_page_range_listing(container):
    b = container.get_blob_client("paged")
    b.create_page_blob(size=64 * 512)
    for i in range(0, 64, 2):
        b.upload_page(b"x" * 512, offset=i * 512, length=512)
    listed = [(r.start, r.end, r.cleared) for r in b.list_page_ranges(results_per_page=5)]
    assert listed == [(i * 512, i * 512 + 511, False) for i in range(0, 64, 2)]
    pages = list(b.list_page_ranges(results_per_page=5).by_page())
    assert len(pages) == 7


def test_resize_keeps_pages_below_the_new_size_and_zeros_above(container):
    b = container.get_blob_client("resized")
    b.create_page_blob(size=2 * MiB)
    b.upload_page(b"z" * (2 * MiB - 1024), offset=512, length=2 * MiB - 1024)
    b.resize_blob(MiB + 1024)                      # ends inside the second chunk
    assert b.get_blob_properties().size == MiB + 1024
    assert ranges(b) == ([(512, MiB + 1023)], [])
    b.resize_blob(3 * MiB)
    got = b.download_blob().readall()
    assert got == bytes(512) + b"z" * (MiB + 512) + bytes(2 * MiB - 1024)
    assert ranges(b) == ([(512, MiB + 1023)], [])
    expect_error(400, "InvalidHeaderValue", b.resize_blob, 1000)


def test_sequence_numbers_and_their_conditions(container):
    b = container.get_blob_client("seq")
    b.create_page_blob(size=4096)
    assert b.set_sequence_number(SequenceNumberAction.Update, 7)["blob_sequence_number"] == 7
    assert b.set_sequence_number(SequenceNumberAction.Max, 5)["blob_sequence_number"] == 7
    assert b.set_sequence_number(SequenceNumberAction.Increment)["blob_sequence_number"] == 8
    assert b.get_blob_properties().page_blob_sequence_number == 8
    b.upload_page(b"p" * 512, offset=0, length=512, if_sequence_number_lte=8)
    b.upload_page(b"p" * 512, offset=512, length=512, if_sequence_number_eq=8)
    expect_error(412, "SequenceNumberConditionNotMet", b.upload_page, b"p" * 512, offset=0, length=512,
                 if_sequence_number_lt=8)
    expect_error(412, "SequenceNumberConditionNotMet", b.clear_page, offset=0, length=512, if_sequence_number_eq=1)
    assert ranges(b) == ([(0, 1023)], [])
    etag = b.get_blob_properties().etag
    with pytest.raises(ResourceModifiedError):
        b.upload_page(b"q" * 512, offset=0, length=512, etag='"0x1"', match_condition=MatchConditions.IfNotModified)
    assert b.get_blob_properties().etag == etag


def test_snapshots_keep_their_pages_and_diff_against_the_blob(container):
    b = container.get_blob_client("snapped")
    b.create_page_blob(size=4 * MiB)
    b.upload_page(b"1" * MiB, offset=0, length=MiB)
    b.upload_page(b"2" * MiB, offset=2 * MiB, length=MiB)
    snap = b.create_snapshot()["snapshot"]
    b.upload_page(b"3" * 512, offset=2 * MiB, length=512)   # changes chunk 2
    b.clear_page(offset=0, length=MiB)                       # clears chunk 0
    b.upload_page(b"4" * 512, offset=3 * MiB, length=512)   # a new page in chunk 3
    old = container.get_blob_client("snapped", snapshot=snap)
    assert old.download_blob().readall() == b"1" * MiB + bytes(MiB) + b"2" * MiB + bytes(MiB)
    assert ranges(old) == ([(0, MiB - 1), (2 * MiB, 3 * MiB - 1)], [])
    pages, clears = ranges(b, previous_snapshot_diff=snap)
    assert clears == [(0, MiB - 1)]
    assert pages == [(2 * MiB, 3 * MiB + 511)]  # chunks 2 and 3 changed; their pages, merged
    expect_error(409, "PreviousSnapshotNotFound", b.get_page_ranges,
                 previous_snapshot_diff="2001-01-01T00:00:00.0000000Z")


def test_copies_of_page_blobs(container):
    src = container.get_blob_client("src")
    src.create_page_blob(size=2 * MiB)
    src.upload_page(b"c" * 1024, offset=MiB, length=1024)
    dst = container.get_blob_client("dst")
    dst.start_copy_from_url(src.url)
    props = dst.get_blob_properties()
    assert (props.blob_type, props.copy.status) == (BlobType.PageBlob, "success")
    assert dst.download_blob().readall() == bytes(MiB) + b"c" * 1024 + bytes(MiB - 1024)
    assert ranges(dst) == ([(MiB, MiB + 1023)], [])
    src.clear_page(offset=MiB, length=1024)  # the copy has its own chunks
    assert dst.download_blob(offset=MiB, length=4).readall() == b"cccc"


def test_leases_guard_page_writes(container):
    b = container.get_blob_client("leased")
    b.create_page_blob(size=1024)
    lease = b.acquire_lease()
    expect_error(412, "LeaseIdMissing", b.upload_page, b"l" * 512, offset=0, length=512)
    b.upload_page(b"l" * 512, offset=0, length=512, lease=lease)
    expect_error(412, "LeaseIdMissing", b.resize_blob, 2048)
    b.resize_blob(2048, lease=lease)
    lease.release()


def test_concurrent_writes_to_one_chunk_all_land(container):
    b = container.get_blob_client("busy")
    b.create_page_blob(size=MiB)
    errors = []

    def write(i):
        try:
            b.upload_page(bytes([65 + i]) * 512, offset=i * 4096, length=512)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = b.download_blob().readall()
    assert all(got[i * 4096:i * 4096 + 512] == bytes([65 + i]) * 512 for i in range(16))
    assert len(ranges(b)[0]) == 16


def test_bad_pages_get_azures_errors(kiln, container):
    b = container.get_blob_client("bad")
    b.create_page_blob(size=MiB)
    block = container.get_blob_client("block")
    block.upload_blob(b"x")
    expect_error(409, "InvalidBlobType", block.upload_page, b"x" * 512, offset=0, length=512)
    expect_error(409, "InvalidBlobType", block.get_page_ranges)
    expect_error(416, "InvalidPageRange", b.upload_page, b"x" * 512, offset=MiB, length=512)
    expect_error(400, "InvalidHeaderValue", container.get_blob_client("odd").create_page_blob, size=1000)
    sas = full_account_sas(kiln)
    url = f"{b.url}?comp=page&{sas}"
    h = {"x-ms-version": "2021-12-02", "x-ms-page-write": "update"}
    r = requests.put(url, data=b"x" * 512, headers={**h, "x-ms-range": "bytes=100-611"})
    assert (r.status_code, r.headers["x-ms-error-code"]) == (400, "InvalidHeaderValue")
    r = requests.put(url, data=b"x" * 512, headers={**h, "x-ms-range": "bytes=0-1023"})
    assert (r.status_code, r.headers["x-ms-error-code"]) == (416, "InvalidPageRange")
    r = requests.put(url, data=b"x" * 512, headers={**h, "x-ms-range": "bytes=0-511", "Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="})
    assert (r.status_code, r.headers["x-ms-error-code"]) == (400, "Md5Mismatch")
    r = requests.put(url, data=b"x" * 512, headers={**h})
    assert (r.status_code, r.headers["x-ms-error-code"]) == (400, "MissingRequiredHeader")
    r = requests.put(url, data=b"x" * (4 * MiB + 512), headers={**h, "x-ms-range": f"bytes=0-{4 * MiB + 511}"})
    assert (r.status_code, r.headers["x-ms-error-code"]) == (413, "RequestBodyTooLarge")
    r = requests.put(url, data=b"", headers={**h, "x-ms-page-write": "erase", "x-ms-range": "bytes=0-511"})
    assert (r.status_code, r.headers["x-ms-error-code"]) == (400, "InvalidHeaderValue")
    r = requests.put(f"{b.url}?{sas}", data=b"x", headers={"x-ms-version": "2021-12-02", "x-ms-blob-type": "PageBlob",
                                                            "x-ms-blob-content-length": "512"})
    assert (r.status_code, r.headers["x-ms-error-code"]) == (400, "InvalidHeaderValue")
    assert ranges(b) == ([], [])  # nothing written by any of them


def test_put_page_from_url(container):
    src = container.get_blob_client("from")
    data = os.urandom(3 * 512)
    src.upload_blob(data)
    b = container.get_blob_client("to")
    b.create_page_blob(size=4096)
    r = b.upload_pages_from_url(src.url, offset=1024, length=1024, source_offset=512)
    assert r["etag"] == b.get_blob_properties().etag
    assert b.download_blob().readall() == bytes(1024) + data[512:] + bytes(2048)
    assert ranges(b) == ([(1024, 2047)], [])
    expect_error(416, "InvalidRange", b.upload_pages_from_url, src.url, offset=0, length=1024, source_offset=1024)


def test_a_large_sparse_page_blob(container):
    GiB = 1 << 30
    b = container.get_blob_client("sparse")
    b.create_page_blob(size=3 * GiB)
    b.upload_page(b"s" * 512, offset=2 * GiB + 512, length=512)
    assert b.download_blob(offset=GiB - 10, length=20).readall() == bytes(20)  # across two pieces of zeros
    assert b.download_blob(offset=2 * GiB, length=1536).readall() == bytes(512) + b"s" * 512 + bytes(512)
    assert ranges(b) == ([(2 * GiB + 512, 2 * GiB + 1023)], [])


def incremental_copy(kiln, dst, source_url):
    """Incremental Copy Blob over REST: azure-storage-blob 12.15's
    start_copy_from_url(incremental_copy=True) passes arguments its generated
    client refuses (TypeError before any request is sent). Returns the response."""
    return requests.put(f"{dst.url}?comp=incrementalcopy&{full_account_sas(kiln)}",
                        headers={"x-ms-version": "2021-12-02", "x-ms-copy-source": source_url})


def incremental_copy_error(kiln, dst, source_url):
    r = incremental_copy(kiln, dst, source_url)
    return r.status_code, r.headers.get("x-ms-error-code")


def test_incremental_copies_of_page_blob_snapshots(kiln, container):
    src = container.get_blob_client("vm-disk")
    src.create_page_blob(size=2 * MiB)
    src.upload_page(b"1" * 512, offset=0, length=512)
    s1 = src.create_snapshot()["snapshot"]
    dst = container.get_blob_client("backup")
    sas = full_account_sas(kiln)
    r = incremental_copy(kiln, dst, f"{src.url}?snapshot={s1}&{sas}")
    assert (r.status_code, r.headers["x-ms-copy-status"]) == (202, "success")
    props = dst.get_blob_properties()
    assert props.blob_type == BlobType.PageBlob and props.copy.incremental_copy
    copied1 = props.copy.destination_snapshot
    assert copied1
    src.upload_page(b"2" * 512, offset=MiB, length=512)
    s2 = src.create_snapshot()["snapshot"]
    assert incremental_copy(kiln, dst, f"{src.url}?snapshot={s2}&{sas}").status_code == 202
    copied2 = dst.get_blob_properties().copy.destination_snapshot
    assert copied2 > copied1
    first = container.get_blob_client("backup", snapshot=copied1)
    second = container.get_blob_client("backup", snapshot=copied2)
    assert first.download_blob().readall() == b"1" * 512 + bytes(2 * MiB - 512)
    assert ranges(second) == ([(0, 511), (MiB, MiB + 511)], [])
    assert second.download_blob(offset=MiB, length=512).readall() == b"2" * 512
    assert incremental_copy_error(kiln, dst, f"{src.url}?snapshot={s1}&{sas}") == (
        409, "IncrementalCopyOfEarlierSnapshotNotAllowed")
    assert incremental_copy_error(kiln, dst, f"{src.url}?{sas}") == (409, "IncrementalCopySourceMustBeSnapshot")
    expect_error(409, "OperationNotAllowedOnIncrementalCopyBlob", dst.upload_page, b"x" * 512, offset=0, length=512)
    other = container.get_blob_client("other-disk")
    other.create_page_blob(size=512)
    s3 = other.create_snapshot()["snapshot"]
    assert incremental_copy_error(kiln, dst, f"{other.url}?snapshot={s3}&{sas}") == (409, "IncrementalCopyBlobMismatch")
    dst.delete_blob(delete_snapshots="include")


def test_kill9_during_page_writes_leaves_each_write_whole(kiln_factory):
    """Writers rewrite their own 512-byte pages (several share each 1 MiB chunk)
    with numbered versions until the server is killed; after a restart every
    page holds the version last acknowledged or the one in flight, whole."""
    server = kiln_factory()

    def blob_client():
        return BlobServiceClient.from_connection_string(server.connection_string, retry_total=0, connection_timeout=5,
                                                        read_timeout=10).get_blob_client("crash", "disk")

    svc = BlobServiceClient.from_connection_string(server.connection_string)
    svc.create_container("crash")
    blob_client().create_page_blob(size=2 * MiB)
    acked = {}
    stop = threading.Event()

    def page(worker, version):
        return (f"w{worker}v{version:06d}|".encode() * 64)[:512]

    def writer(worker):
        b = blob_client()
        offset = (worker % 2) * MiB + (worker // 2) * 8192  # 4 writers per chunk
        version = 0
        while not stop.is_set():
            version += 1
            try:
                b.upload_page(page(worker, version), offset=offset, length=512)
            except Exception:
                return
            acked[worker] = version

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while sum(acked.values()) < 100 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill9()
    stop.set()
    for t in threads:
        t.join()
    server.restart()
    got = blob_client().download_blob().readall()
    for worker in range(8):
        offset = (worker % 2) * MiB + (worker // 2) * 8192
        v = acked.get(worker, 0)
        allowed = {page(worker, v), page(worker, v + 1)} if v else {bytes(512), page(worker, 1)}
        assert got[offset:offset + 512] in allowed, f"writer {worker}: acked v{v}, found {got[offset:offset + 40]!r}"


def test_one_get_of_more_chunks_than_the_soft_open_file_limit(kiln_factory):
    """Kiln raises its open-file limit to the hard limit: a GET holds a descriptor per
    chunk it sends, and 1024 (a common soft limit) is few for a page blob of GiBs."""
    server = kiln_factory(in_memory=True, open_files=128)
    svc = BlobServiceClient.from_connection_string(server.connection_string)
    b = svc.create_container("many").get_blob_client("chunks")
    b.create_page_blob(size=200 * MiB)
    for i in range(200):  # one page in each 1 MiB chunk: 200 chunk files
        b.upload_page(bytes([i % 251 + 1]) * 512, offset=i * MiB, length=512)
    r = requests.get(f"{b.url}?{full_account_sas(server)}", headers={"x-ms-version": "2021-12-02"}, stream=True)
    assert r.status_code == 200, r.text[:300]
    got, offset = 0, 0
    for part in r.iter_content(1 << 20):
        for i in range((offset + MiB - 1) // MiB, (offset + len(part) + MiB - 1) // MiB):
            at = i * MiB - offset
            if at < len(part):
                assert part[at] == i % 251 + 1
        offset += len(part)
        got += len(part)
    assert got == 200 * MiB
