"""Block blobs: put/get, ranges, properties, metadata, integrity checks, staged uploads, delete."""
import base64
import hashlib
import os

import pytest
import requests
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobBlock, BlobServiceClient, ContentSettings

from blob_helpers import container, full_account_sas, service  # noqa: F401 (fixtures)


def test_put_get_roundtrip_and_properties(container):
    b = container.get_blob_client("dir/hello.txt")
    data = b"hello, kiln\n" * 100
    r = b.upload_blob(data, content_settings=ContentSettings(content_type="text/plain", cache_control="no-cache"),
                      metadata={"Kind": "greeting"})
    assert r["etag"].startswith('"0x')
    assert b.download_blob().readall() == data
    p = b.get_blob_properties()
    assert p.size == len(data)
    assert p.blob_type == "BlockBlob"
    assert p.content_settings.content_type == "text/plain"
    assert p.content_settings.cache_control == "no-cache"
    assert p.content_settings.content_md5 == bytearray(hashlib.md5(data).digest())
    assert p.metadata == {"Kind": "greeting"}
    assert p.lease.state == "available"
    assert p.creation_time is not None and p.last_modified is not None
    with pytest.raises(ResourceExistsError) as e:
        b.upload_blob(b"again")
    assert e.value.error_code == "BlobAlreadyExists"
    b.upload_blob(b"replaced", overwrite=True)
    assert b.download_blob().readall() == b"replaced"


def client_with(kiln, container, name, **config):
    """A BlobClient with transfer settings (they are client configuration, not per call)."""
    return BlobServiceClient.from_connection_string(kiln.connection_string, **config).get_blob_client(
        container.container_name, name)


def test_empty_and_large_single_put(kiln, container):
    empty = container.get_blob_client("empty")
    empty.upload_blob(b"")
    assert empty.download_blob().readall() == b""
    big = os.urandom(3 * 1024 * 1024 + 17)  # above the inline limit: stored as a file
    b = client_with(kiln, container, "big", max_single_put_size=8 * 1024 * 1024)
    b.upload_blob(big)
    assert b.download_blob().readall() == big
    assert b.download_blob(offset=1024 * 1024, length=100).readall() == big[1024 * 1024:1024 * 1024 + 100]


def test_ranges_and_invalid_range(container):
    data = bytes(range(256)) * 10
    b = container.get_blob_client("r")
    b.upload_blob(data)
    assert b.download_blob(offset=10, length=5).readall() == data[10:15]
    assert b.download_blob(offset=2500).readall() == data[2500:]
    with pytest.raises(HttpResponseError) as e:
        b.download_blob(offset=len(data), length=10)
    assert e.value.status_code == 416
    assert e.value.error_code == "InvalidRange"
    s = b.download_blob(offset=0, length=100, validate_content=True)
    assert s.readall() == data[:100]


def test_range_md5_header_raw(kiln, container):
    data = os.urandom(5000)
    container.get_blob_client("m").upload_blob(data)
    url = f"{kiln.blob_url}/{container.container_name}/m?{full_account_sas(kiln)}"
    r = requests.get(url, headers={"x-ms-range": "bytes=100-199", "x-ms-range-get-content-md5": "true",
                                   "x-ms-version": "2021-12-02"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == "bytes 100-199/5000"
    assert r.headers["Content-MD5"] == base64.b64encode(hashlib.md5(data[100:200]).digest()).decode()
    r = requests.get(url, headers={"Range": "bytes=5000-"})
    assert r.status_code == 416 and r.headers["x-ms-error-code"] == "InvalidRange"


def test_md5_and_crc64_verification(kiln, container):
    url = f"{kiln.blob_url}/{container.container_name}/chk?{full_account_sas(kiln)}"
    h = {"x-ms-blob-type": "BlockBlob", "x-ms-version": "2021-12-02"}
    good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    r = requests.put(url, data=b"abc", headers=dict(h, **{"Content-MD5": good}))
    assert r.status_code == 201 and r.headers["Content-MD5"] == good
    bad = base64.b64encode(hashlib.md5(b"abd").digest()).decode()
    r = requests.put(url, data=b"abc", headers=dict(h, **{"Content-MD5": bad}))
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "Md5Mismatch"
    r = requests.put(url, data=b"abc", headers=dict(h, **{"x-ms-content-crc64": "AAAAAAAAAAA="}))
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "Crc64Mismatch"
    # The SDK computes and sends x-ms-content-crc64 itself with validate_content on staged blocks.
    b = container.get_blob_client("crc")
    b.stage_block("YmxrMQ==", b"x" * 1000, validate_content=True)
    b.commit_block_list(["YmxrMQ=="])
    assert b.download_blob().readall() == b"x" * 1000


def test_put_block_returns_content_md5_only_when_sent(kiln, container):
    # Kiln skips hashing blocks nobody asked to verify (docs/compatibility.md).
    url = f"{kiln.blob_url}/{container.container_name}/pbmd5?comp=block&blockid=YmxrMQ%3D%3D&{full_account_sas(kiln)}"
    h = {"x-ms-version": "2021-12-02"}
    r = requests.put(url, data=b"abc", headers=h)
    assert r.status_code == 201 and "Content-MD5" not in r.headers
    good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()
    r = requests.put(url, data=b"abc", headers=dict(h, **{"Content-MD5": good}))
    assert r.status_code == 201 and r.headers["Content-MD5"] == good
    bad = base64.b64encode(hashlib.md5(b"abd").digest()).decode()
    r = requests.put(url, data=b"abc", headers=dict(h, **{"Content-MD5": bad}))
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "Md5Mismatch"
    b = container.get_blob_client("pbmd5")
    b.stage_block("blk2", b"y" * 100, validate_content=True)  # the SDK base64-encodes ids
    b.commit_block_list(["blk1", "blk2"])
    assert b.download_blob().readall() == b"abc" + b"y" * 100


def test_metadata_and_properties_updates(container):
    b = container.get_blob_client("meta")
    b.upload_blob(b"x", metadata={"one": "1"})
    b.set_blob_metadata({"two": "2", "Three": "3"})
    assert b.get_blob_properties().metadata == {"two": "2", "Three": "3"}
    b.set_http_headers(ContentSettings(content_type="application/json", content_language="en"))
    p = b.get_blob_properties()
    assert p.content_settings.content_type == "application/json"
    assert p.content_settings.content_language == "en"
    with pytest.raises(HttpResponseError) as e:
        b.set_blob_metadata({"bad-name": "x"})
    assert e.value.error_code == "InvalidMetadata"


def test_blocks_commit_and_block_list(container):
    b = container.get_blob_client("blocks")
    ids = [base64.b64encode(f"block-{i:03d}".encode()).decode() for i in range(3)]
    for i, bid in enumerate(ids):
        b.stage_block(bid, bytes([65 + i]) * 1000)
    committed, uncommitted = b.get_block_list("all")
    assert committed == [] and [x.id for x in uncommitted] == ids
    b.commit_block_list([BlobBlock(ids[2]), BlobBlock(ids[0])])
    assert b.download_blob().readall() == b"C" * 1000 + b"A" * 1000
    committed, uncommitted = b.get_block_list("all")
    assert [x.id for x in committed] == [ids[2], ids[0]]
    assert [x.size for x in committed] == [1000, 1000]
    assert uncommitted == []  # staged blocks go away on commit
    # Re-commit an already committed block plus a new one.
    new = base64.b64encode(b"block-999").decode()
    b.stage_block(new, b"Z" * 10)
    b.commit_block_list([BlobBlock(ids[0]), BlobBlock(new)])
    assert b.download_blob().readall() == b"A" * 1000 + b"Z" * 10
    # Writes that rewrite the blob's record keep its committed block list (a
    # client appending blocks recommits the committed ones), and a snapshot has it too.
    b.set_blob_metadata({"k": "v"})
    b.set_http_headers(ContentSettings(content_type="text/plain"))
    b.set_standard_blob_tier("Cool")
    snap = b.create_snapshot()
    for client in (b, container.get_blob_client("blocks", snapshot=snap["snapshot"])):
        committed, _ = client.get_block_list("committed")
        assert [x.id for x in committed] == [ids[0], new]
    b.commit_block_list([BlobBlock(ids[0]), BlobBlock(new), BlobBlock(new)])
    assert b.download_blob().readall() == b"A" * 1000 + b"Z" * 20
    with pytest.raises(HttpResponseError) as e:
        b.commit_block_list([BlobBlock(base64.b64encode(b"block-404").decode())])
    assert e.value.error_code == "InvalidBlockList"
    # The SDK base64-encodes block ids itself; ids of another length are refused.
    with pytest.raises(HttpResponseError) as e:
        b.stage_block("short", b"x")
    assert e.value.error_code == "InvalidBlobOrBlock"


def test_invalid_block_id_and_xml_raw(kiln, container):
    url = f"{kiln.blob_url}/{container.container_name}/raw"
    sas = full_account_sas(kiln)
    r = requests.put(f"{url}?comp=block&blockid=not%20base64!&{sas}", data=b"x")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidQueryParameterValue"
    r = requests.put(f"{url}?comp=block&{sas}", data=b"x")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "MissingRequiredQueryParameter"
    r = requests.put(f"{url}?comp=blocklist&{sas}", data=b"<BlockList><Latest>AAAA</Latest>")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidXmlDocument"
    assert "<Code>InvalidXmlDocument</Code>" in r.text and "RequestId:" in r.text
    r = requests.put(f"{url}?comp=bogus&{sas}", data=b"x")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidQueryParameterValue"
    r = requests.put(f"{url}?{sas}", data=b"x")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "MissingRequiredHeader"
    r = requests.get(f"{kiln.blob_url}/{container.container_name}/{'x' * 1025}?{sas}")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "OutOfRangeInput"
    r = requests.put(f"{kiln.blob_url}/{container.container_name}?restype=container&comp=acl&{sas}",
                     data=b"<SignedIdentifiers><Oops>")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidXmlDocument"
    r = requests.put(f"{kiln.blob_url}?restype=service&comp=properties&{sas}", data=b"not xml")
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidXmlDocument"


def test_large_staged_upload_64mib(kiln, container):
    data = os.urandom(64 * 1024 * 1024)
    b = client_with(kiln, container, "large.bin", max_block_size=4 * 1024 * 1024,
                    max_single_put_size=4 * 1024 * 1024)
    b.upload_blob(data, max_concurrency=4)
    committed, _ = b.get_block_list("committed")
    assert len(committed) == 16
    got = b.download_blob(max_concurrency=4).readall()
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_conditional_requests(container):
    b = container.get_blob_client("cond")
    etag = b.upload_blob(b"v1")["etag"]
    props = b.get_blob_properties()
    with pytest.raises(HttpResponseError) as e:
        b.upload_blob(b"v2", overwrite=True, etag='"0x8D000000000000"', match_condition=MatchConditions.IfNotModified)
    assert e.value.status_code == 412 and e.value.error_code == "ConditionNotMet"
    b.upload_blob(b"v2", overwrite=True, etag=etag, match_condition=MatchConditions.IfNotModified)
    with pytest.raises(HttpResponseError) as e:
        b.set_blob_metadata({"a": "b"}, if_unmodified_since=props.last_modified.replace(year=2000))
    assert e.value.status_code == 412
    new_etag = b.get_blob_properties().etag
    with pytest.raises(HttpResponseError) as e:  # If-None-Match on a read: 304
        b.download_blob(etag=new_etag, match_condition=MatchConditions.IfModified).readall()
    assert e.value.status_code == 304
    assert b.download_blob(etag='"0x1"', match_condition=MatchConditions.IfModified).readall() == b"v2"


def test_delete_blob_and_not_found(container):
    b = container.get_blob_client("gone")
    b.upload_blob(b"x")
    b.delete_blob()
    with pytest.raises(ResourceNotFoundError) as e:
        b.download_blob()
    assert e.value.error_code == "BlobNotFound"
    with pytest.raises(ResourceNotFoundError) as e:
        b.delete_blob()
    assert e.value.error_code == "BlobNotFound"


def test_oversize_body_is_request_body_too_large(kiln, container):
    """Bodies over Azure's largest Put Blob (5000 MiB) are refused before they are read."""
    import socket
    path = f"/{kiln.account}/{container.container_name}/huge?{full_account_sas(kiln)}"
    with socket.create_connection(("127.0.0.1", kiln.blob_port), timeout=10) as s:
        s.sendall((f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-blob-type: BlockBlob\r\n"
                   f"Content-Length: {5000 * 1024 * 1024 + 1}\r\nExpect: 100-continue\r\n\r\n").encode())
        reply = b""
        while b"</Error>" not in reply:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    head = reply.split(b"\r\n", 1)[0]
    assert b" 413 " in head
    assert b"x-ms-error-code: RequestBodyTooLarge" in reply
