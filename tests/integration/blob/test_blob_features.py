"""Leases, snapshots, copy, append blobs, service properties with CORS, account info."""
import base64
import hashlib
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from blob_helpers import container, full_account_sas, service  # noqa: F401 (fixtures)
from azure.storage.blob import (BlobClient, BlobSasPermissions, CorsRule, RetentionPolicy, StaticWebsite,
                                generate_blob_sas)


def test_blob_lease_lifecycle(container):
    b = container.get_blob_client("leased")
    b.upload_blob(b"x")
    lease = b.acquire_lease(lease_duration=15)
    assert b.get_blob_properties().lease.state == "leased"
    with pytest.raises(HttpResponseError) as e:
        b.upload_blob(b"y", overwrite=True)
    assert e.value.status_code == 412 and e.value.error_code == "LeaseIdMissing"
    b.upload_blob(b"y", overwrite=True, lease=lease)
    with pytest.raises(HttpResponseError) as e:
        b.acquire_lease(lease_duration=15)
    assert e.value.error_code == "LeaseAlreadyPresent"
    lease.renew()
    new_id = str(uuid.uuid4())
    lease.change(new_id)
    assert lease.id == new_id
    with pytest.raises(HttpResponseError) as e:
        b.delete_blob()
    assert e.value.error_code == "LeaseIdMissing"
    lease.break_lease(lease_break_period=0)
    assert b.get_blob_properties().lease.state == "broken"
    b.delete_blob()


def test_container_lease(container):
    lease = container.acquire_lease(lease_duration=-1)
    with pytest.raises(HttpResponseError) as e:
        container.delete_container()
    assert e.value.error_code == "LeaseIdMissing"
    assert container.get_container_properties().lease.state == "leased"
    lease.release()
    assert container.get_container_properties().lease.state == "available"


def test_snapshots_and_delete_snapshots(container):
    b = container.get_blob_client("s")
    b.upload_blob(b"one")
    s1 = b.create_snapshot()
    b.upload_blob(b"two", overwrite=True)
    assert container.get_blob_client("s", snapshot=s1["snapshot"]).download_blob().readall() == b"one"
    with pytest.raises(HttpResponseError) as e:
        b.delete_blob()
    assert e.value.status_code == 409 and e.value.error_code == "SnapshotsPresent"
    b.delete_blob(delete_snapshots="only")
    assert b.download_blob().readall() == b"two"
    assert [x.snapshot for x in container.list_blobs(include=["snapshots"])] == [None]
    b.create_snapshot()
    b.delete_blob(delete_snapshots="include")
    assert list(container.list_blobs(include=["snapshots"])) == []


def test_copy_within_service_and_from_sas_url(kiln, container):
    src = container.get_blob_client("src")
    src.upload_blob(b"copy me" * 10000, metadata={"m": "1"})
    dst = container.get_blob_client("dst")
    r = dst.start_copy_from_url(src.url)
    assert r["copy_status"] == "success"
    assert dst.download_blob().readall() == b"copy me" * 10000
    p = dst.get_blob_properties()
    assert p.copy.status == "success" and p.metadata == {"m": "1"}
    sas = generate_blob_sas(kiln.account, container.container_name, "src", account_key=kiln.key,
                            permission=BlobSasPermissions(read=True),
                            expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    dst2 = container.get_blob_client("dst2")
    assert dst2.start_copy_from_url(f"{src.url}?{sas}")["copy_status"] == "success"
    assert dst2.download_blob().readall() == b"copy me" * 10000
    src.upload_blob(b"changed", overwrite=True)  # copies do not share later changes
    assert dst.download_blob().readall() == b"copy me" * 10000
    with pytest.raises(HttpResponseError) as e:
        dst.start_copy_from_url(f"{container.url}/missing")
    assert e.value.status_code == 404


def test_append_blob(container):
    b = container.get_blob_client("log")
    b.create_append_blob()
    r1 = b.append_block(b"line1\n")
    assert r1["blob_append_offset"] == "0"
    b.append_block(b"line2\n", appendpos_condition=6)
    with pytest.raises(HttpResponseError) as e:
        b.append_block(b"x", appendpos_condition=1)
    assert e.value.status_code == 412 and e.value.error_code == "AppendPositionConditionNotMet"
    with pytest.raises(HttpResponseError) as e:
        b.append_block(b"x", maxsize_condition=12)
    assert e.value.error_code == "MaxBlobSizeConditionNotMet"
    snap = b.create_snapshot()
    b.append_block(b"line3\n")
    assert b.download_blob().readall() == b"line1\nline2\nline3\n"
    assert container.get_blob_client("log", snapshot=snap["snapshot"]).download_blob().readall() == b"line1\nline2\n"
    p = b.get_blob_properties()
    assert p.blob_type == "AppendBlob" and p.append_blob_committed_block_count == 3
    container.get_blob_client("blocky").upload_blob(b"x")
    with pytest.raises(HttpResponseError) as e:
        container.get_blob_client("blocky").append_block(b"y")
    assert e.value.error_code == "InvalidBlobType"


def test_large_append_blocks_follow_the_version_limit(kiln, container):
    """Append Block takes 4 MiB per block before x-ms-version 2022-11-02 and 100 MiB from it
    (Azure's limits); bodies over 64 KiB are spooled to disk, the first one too."""
    b = container.get_blob_client("big-log")
    b.create_append_blob()
    url = f"{kiln.blob_url}/{container.container_name}/big-log?comp=appendblock&{full_account_sas(kiln)}"

    def append(data, version, **headers):
        return requests.put(url, data=data, headers={"x-ms-version": version, **headers})

    first = os.urandom(5 << 20)
    r = append(first, "2022-11-02")
    assert r.status_code == 201, r.text
    assert r.headers["x-ms-blob-append-offset"] == "0"
    assert r.headers["Content-MD5"] == base64.b64encode(hashlib.md5(first).digest()).decode()
    second = os.urandom(70_000)
    r = append(second, "2021-12-02", **{"x-ms-blob-condition-appendpos": str(len(first))})
    assert r.status_code == 201, r.text
    # Over the older version's 4 MiB, and a wrong MD5 on a spooled body: refused, nothing appended.
    r = append(os.urandom((4 << 20) + 1), "2021-12-02")
    assert r.status_code == 413 and r.headers["x-ms-error-code"] == "RequestBodyTooLarge"
    r = append(os.urandom(100_000), "2022-11-02", **{"Content-MD5": base64.b64encode(b"0" * 16).decode()})
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "Md5Mismatch"
    third = os.urandom(3 << 20)
    r = append(third, "2022-11-02", **{"x-ms-blob-condition-maxsize": str(len(first) + len(second) + len(third))})
    assert r.status_code == 201, r.text
    assert b.download_blob().readall() == first + second + third
    assert b.get_blob_properties().append_blob_committed_block_count == 3


def test_append_block_from_url(kiln, container):
    source = container.get_blob_client("append-source")
    data = os.urandom(300_000)  # a data file, not an inline blob
    source.upload_blob(data)
    small = container.get_blob_client("append-small-source")
    small.upload_blob(b"0123456789")
    sas = full_account_sas(kiln)
    b = container.get_blob_client("from-url")
    b.create_append_blob()
    r = b.append_block_from_url(f"{source.url}?{sas}", source_offset=1000, source_length=200_000)
    assert r["blob_append_offset"] == "0"
    b.append_block_from_url(f"{small.url}?{sas}", source_offset=2, source_length=3, appendpos_condition=200_000,
                            source_content_md5=hashlib.md5(b"234").digest())
    # Refused: a wrong source MD5, a range past the source, the wrong append position; nothing appended.
    with pytest.raises(HttpResponseError) as e:
        b.append_block_from_url(f"{small.url}?{sas}", source_content_md5=hashlib.md5(b"nope").digest())
    assert e.value.status_code == 400 and e.value.error_code == "Md5Mismatch"
    with pytest.raises(HttpResponseError) as e:
        b.append_block_from_url(f"{small.url}?{sas}", source_offset=8, source_length=5)
    assert e.value.status_code == 416
    with pytest.raises(HttpResponseError) as e:
        b.append_block_from_url(f"{small.url}?{sas}", appendpos_condition=1)
    assert e.value.error_code == "AppendPositionConditionNotMet"
    assert b.download_blob().readall() == data[1000:201_000] + b"234"
    assert b.get_blob_properties().append_blob_committed_block_count == 2
    # A block blob committed from two staged blocks: a range across both (read from
    # both files, MD5 checked), then a range of the append blob itself.
    staged = container.get_blob_client("append-staged-source")
    parts = [os.urandom(100_000), os.urandom(100_000)]
    for i, part in enumerate(parts):
        staged.stage_block(f"b{i}", part)
    staged.commit_block_list(["b0", "b1"])
    across = (parts[0] + parts[1])[90_000:110_000]
    b.append_block_from_url(f"{staged.url}?{sas}", source_offset=90_000, source_length=20_000,
                            source_content_md5=hashlib.md5(across).digest())
    b.append_block_from_url(f"{b.url}?{sas}", source_offset=0, source_length=1000)
    expected = data[1000:201_000] + b"234" + across
    assert b.download_blob().readall() == expected + expected[:1000]


def test_seal_append_blob(container):
    b = container.get_blob_client("sealed")
    b.create_append_blob()
    b.append_block(b"abc")
    with pytest.raises(HttpResponseError) as e:
        b.seal_append_blob(appendpos_condition=1)
    assert e.value.error_code == "AppendPositionConditionNotMet"
    r = b.seal_append_blob(appendpos_condition=3)
    assert r["blob_sealed"] is True
    p = b.get_blob_properties()
    assert p.is_append_blob_sealed is True and p.size == 3
    with pytest.raises(HttpResponseError) as e:
        b.append_block(b"more")
    assert e.value.status_code == 409 and e.value.error_code == "BlobIsSealed"
    assert b.download_blob().readall() == b"abc"
    listed = next(x for x in container.list_blobs() if x.name == "sealed")
    assert listed.is_append_blob_sealed is True
    copy = container.get_blob_client("sealed-copy")
    copy.start_copy_from_url(b.url)
    assert not copy.get_blob_properties().is_append_blob_sealed  # a copy is open unless asked otherwise
    copy.append_block(b"d")
    b.create_append_blob()  # a new blob under the name: open again
    b.append_block(b"x")
    block = container.get_blob_client("not-append")
    block.upload_blob(b"x")
    with pytest.raises(HttpResponseError) as e:
        block.seal_append_blob()
    assert e.value.error_code == "InvalidBlobType"


def test_service_properties_and_cors_preflight(kiln, service):
    rule = CorsRule(["http://example.com"], ["GET", "PUT"], allowed_headers=["x-ms-meta-*", "content-type"],
                    exposed_headers=["x-ms-request-id"], max_age_in_seconds=300)
    service.set_service_properties(cors=[rule], static_website=StaticWebsite(enabled=True, index_document="index.html"),
                                   delete_retention_policy=RetentionPolicy(enabled=True, days=3))
    props = service.get_service_properties()
    assert props["cors"][0].allowed_origins == "http://example.com"
    assert props["static_website"].index_document == "index.html"
    assert props["delete_retention_policy"].days == 3
    assert props["analytics_logging"].read is False
    ok = requests.options(f"{kiln.blob_url}/anything/blob", headers={
        "Origin": "http://example.com", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "x-ms-meta-a,content-type"})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == "http://example.com"
    assert ok.headers["Access-Control-Max-Age"] == "300"
    bad = requests.options(f"{kiln.blob_url}/anything/blob", headers={
        "Origin": "http://evil.com", "Access-Control-Request-Method": "PUT"})
    assert bad.status_code == 403 and bad.headers["x-ms-error-code"] == "CorsPreflightFailure"
    r = requests.get(f"{kiln.blob_url}?comp=list&{full_account_sas(kiln)}", headers={"Origin": "http://example.com"})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == "http://example.com"
    # A small Put Blob is answered from the store's thread once durable: with
    # the same CORS and common headers as any other answer.
    service.create_container("corsput")
    r = requests.put(f"{kiln.blob_url}/corsput/b?{full_account_sas(kiln)}", data=b"hello",
                     headers={"Origin": "http://example.com", "x-ms-blob-type": "BlockBlob",
                              "x-ms-version": "2021-12-02", "x-ms-client-request-id": "put-1"})
    assert r.status_code == 201, r.text
    assert r.headers.get("Access-Control-Allow-Origin") == "http://example.com"
    assert r.headers["x-ms-version"] == "2021-12-02" and r.headers["x-ms-client-request-id"] == "put-1"
    assert r.headers["x-ms-request-id"] and r.headers["ETag"] and r.headers["Content-MD5"] == "XUFAKrxLKna5cZ2REBfFkg=="
    service.delete_container("corsput")
    # Back to Azure's defaults: the retention policy would make every later delete soft.
    service.set_service_properties(cors=[], delete_retention_policy=RetentionPolicy(enabled=False))


def test_account_information(service):
    info = service.get_account_information()
    assert info["sku_name"] == "Standard_RAGRS"
    assert info["account_kind"] == "StorageV2"


def test_copy_source_conditions(container):
    src = container.get_blob_client("csrc")
    etag = src.upload_blob(b"abc")["etag"]
    dst = container.get_blob_client("cdst")
    from azure.core import MatchConditions
    with pytest.raises(HttpResponseError) as e:
        dst.start_copy_from_url(src.url, source_etag='"0x1"', source_match_condition=MatchConditions.IfNotModified)
    assert e.value.status_code == 412 and e.value.error_code == "SourceConditionNotMet"
    assert dst.start_copy_from_url(src.url, source_etag=etag,
                                   source_match_condition=MatchConditions.IfNotModified)["copy_status"] == "success"


def test_put_blob_from_url(kiln, container):
    from azure.storage.blob import ContentSettings, StandardBlobTier
    src = container.get_blob_client("pfu-src")
    src.upload_blob(b"hello", metadata={"a": "1"}, tags={"t": "1"},
                    content_settings=ContentSettings(content_type="text/plain", content_language="en"))
    dst = container.get_blob_client("pfu-dst")
    dst.stage_block("YQ==", b"staged")
    r = dst.upload_blob_from_url(src.url)  # Put Blob From URL: 201, no copy state
    assert r["content_md5"] == hashlib.md5(b"hello").digest()
    p = dst.get_blob_properties()
    assert dst.download_blob().readall() == b"hello"
    assert p.copy.status is None and p.metadata == {} and dst.get_blob_tags() == {}
    assert p.content_settings.content_type == "text/plain" and p.content_settings.content_language == "en"
    assert dst.get_block_list("uncommitted")[1] == []  # staged blocks go, as with Put Blob
    with pytest.raises(ResourceExistsError):
        dst.upload_blob_from_url(src.url)  # overwrite=False
    dst.upload_blob_from_url(src.url, overwrite=True, content_settings=ContentSettings(content_type="x/y"),
                             standard_blob_tier=StandardBlobTier.Cool)
    p = dst.get_blob_properties()
    assert p.content_settings.content_type == "x/y" and p.blob_tier == "Cool"
    with pytest.raises(HttpResponseError) as e:
        dst.upload_blob_from_url(src.url, overwrite=True, source_content_md5=hashlib.md5(b"other").digest())
    assert e.value.error_code == "Md5Mismatch"
    assert dst.download_blob().readall() == b"hello"


def test_put_block_from_url(kiln, container):
    src = container.get_blob_client("pbsrc")
    src.upload_blob(b"0123456789" * 1000)
    sas = generate_blob_sas(kiln.account, container.container_name, "pbsrc", account_key=kiln.key, permission="r",
                            expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    dst = container.get_blob_client("pbdst")
    dst.stage_block_from_url("blk1", f"{src.url}?{sas}", source_offset=10, source_length=20)
    dst.stage_block_from_url("blk2", f"{src.url}?{sas}")
    dst.commit_block_list(["blk1", "blk2"])
    assert dst.download_blob().readall() == b"0123456789" * 2 + b"0123456789" * 1000
    with pytest.raises(HttpResponseError) as e:
        dst.stage_block_from_url("blk3", f"{src.url}?{sas}", source_offset=20000, source_length=5)
    assert e.value.status_code == 416


def test_put_block_from_url_of_a_file_backed_range_checks_its_md5(kiln, container):
    data = os.urandom(3 * 1024 * 1024)  # above the inline limit: the source lives in a data file
    src = container.get_blob_client("pbbig")
    src.upload_blob(data)
    sas = generate_blob_sas(kiln.account, container.container_name, "pbbig", account_key=kiln.key, permission="r",
                            expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    dst = container.get_blob_client("pbbigdst")
    part = data[100:2 * 1024 * 1024]
    dst.stage_block_from_url("a", f"{src.url}?{sas}", source_offset=100, source_length=len(part),
                             source_content_md5=hashlib.md5(part).digest())
    with pytest.raises(HttpResponseError) as e:
        dst.stage_block_from_url("b", f"{src.url}?{sas}", source_offset=0, source_length=len(part),
                                 source_content_md5=hashlib.md5(part).digest())
    assert e.value.status_code == 400 and e.value.error_code == "Md5Mismatch"
    dst.commit_block_list(["a"])
    assert dst.download_blob().readall() == part
