"""Large request bodies stream to disk as they arrive: a single Put Blob far
bigger than any buffer keeps the server's memory flat, and a body that fails
its checks leaves nothing behind."""
import base64
import hashlib
import os
import socket

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobClient, ContainerClient

from blob_helpers import container, data_files, full_account_sas, service  # noqa: F401 (fixtures)

MiB = 1024 * 1024


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def raw_put(kiln, path_and_query, headers, body):
    """One raw HTTP PUT; returns (status line, headers+body bytes)."""
    head = f"PUT {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", kiln.blob_port), timeout=30) as s:
        s.sendall(head.encode() + body)
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
    return reply.split(b"\r\n", 1)[0], reply


def test_single_put_blob_of_300_mib_streams_through_flat_memory(kiln_factory):
    server = kiln_factory()
    data = os.urandom(300 * MiB)
    ContainerClient.from_connection_string(server.connection_string, "big").create_container()
    blob = BlobClient.from_connection_string(server.connection_string, "big", "one-shot",
                                             max_single_put_size=512 * MiB)
    result = blob.upload_blob(data)  # one Put Blob: the SDK splits only above max_single_put_size
    assert result["content_md5"] == hashlib.md5(data).digest()
    props = blob.get_blob_properties()
    assert props.size == len(data)
    assert props.content_settings.content_md5 == hashlib.md5(data).digest()
    assert blob.download_blob().readall() == data
    # The body went to a file as it arrived: far less than the blob in memory.
    assert peak_rss_mib(server.proc.pid) < 128


@pytest.mark.parametrize("header,value,code", [
    ("Content-MD5", base64.b64encode(b"\0" * 16).decode(), "Md5Mismatch"),
    ("x-ms-content-crc64", base64.b64encode(b"\0" * 8).decode(), "Crc64Mismatch"),
])
def test_a_spooled_block_that_fails_its_check_leaves_no_file(kiln, container, header, value, code):
    before = data_files(kiln)
    body = os.urandom(MiB)  # above the inline limit: spooled to a data file
    block = base64.b64encode(b"block-0").decode()
    path = f"/{kiln.account}/{container.container_name}/b?comp=block&blockid={block}&{full_account_sas(kiln)}"
    status, reply = raw_put(kiln, path, {"x-ms-version": "2021-12-02", header: value}, body)
    assert b" 400 " in status
    assert f"x-ms-error-code: {code}".encode() in reply
    assert data_files(kiln) == before
    with pytest.raises(ResourceNotFoundError):  # no block was staged
        container.get_blob_client("b").get_block_list("all")


def test_a_spooled_put_blob_with_the_right_crc64_is_stored(kiln, container):
    body = os.urandom(MiB + 17)
    crc = _crc64(body)
    path = f"/{kiln.account}/{container.container_name}/c?{full_account_sas(kiln)}"
    status, reply = raw_put(kiln, path, {"x-ms-version": "2021-12-02", "x-ms-blob-type": "BlockBlob",
                                         "x-ms-content-crc64": base64.b64encode(crc).decode()}, body)
    assert b" 201 " in status, reply[:500]
    assert b"x-ms-content-crc64: " + base64.b64encode(crc) in reply
    assert container.get_blob_client("c").download_blob().readall() == body


def _crc64(data):
    """Azure Storage's CRC-64 (reflected 0x9A6C9329AC4BC9B5, complemented), little-endian bytes."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x9A6C9329AC4BC9B5 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFFFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return (crc ^ 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def test_an_unadmitted_large_body_is_refused_before_it_is_sent(kiln, container):
    """Only authenticated requests may stream to the data disk: a bad signature
    with `Expect: 100-continue` gets its final error, not a 100 Continue."""
    path = f"/{kiln.account}/{container.container_name}/nope?{full_account_sas(kiln)}".replace("sig=", "sig=x")
    with socket.create_connection(("127.0.0.1", kiln.blob_port), timeout=10) as s:
        s.sendall((f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-ms-blob-type: BlockBlob\r\n"
                   f"x-ms-version: 2021-12-02\r\nContent-Length: {300 * MiB}\r\n"
                   "Expect: 100-continue\r\n\r\n").encode())
        reply = s.recv(65536)
    status = reply.split(b"\r\n", 1)[0]
    assert b" 403 " in status, reply[:300]
    assert b"x-ms-error-code: AuthenticationFailed" in reply


def test_an_unadmitted_body_is_dropped_as_it_arrives(kiln_factory):
    """A client that sends its body without asking first gets Azure's 403 once the body is
    in; the body is never held (memory stays flat) and the connection goes on serving."""
    server = kiln_factory()
    ContainerClient.from_connection_string(server.connection_string, "drop").create_container()
    good = full_account_sas(server)
    bad = good.replace("sig=", "sig=x")
    size = 300 * MiB
    chunk = os.urandom(4 * MiB)
    with socket.create_connection(("127.0.0.1", server.blob_port), timeout=30) as s:
        s.sendall((f"PUT /{server.account}/drop/nope?{bad} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"x-ms-blob-type: BlockBlob\r\nx-ms-version: 2021-12-02\r\nContent-Length: {size}\r\n\r\n").encode())
        for _ in range(size // len(chunk)):
            s.sendall(chunk)
        f = s.makefile("rb")
        status = f.readline()
        assert b" 403 " in status, status
        length = 0
        while (line := f.readline()) != b"\r\n":
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            assert b"connection: close" not in line.lower()
        assert b"AuthenticationFailed" in f.read(length)
        # The same connection serves the next request.
        s.sendall((f"PUT /{server.account}/drop/yes?{good} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "x-ms-blob-type: BlockBlob\r\nx-ms-version: 2021-12-02\r\nContent-Length: 2\r\n\r\nok").encode())
        assert b" 201 " in f.readline()
    assert peak_rss_mib(server.proc.pid) < 128
    assert BlobClient.from_connection_string(server.connection_string, "drop", "yes").download_blob().readall() == b"ok"
    assert not BlobClient.from_connection_string(server.connection_string, "drop", "nope").exists()
