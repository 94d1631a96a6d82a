"""Blob Batch: delete_blobs and set_standard_blob_tier_blobs through the SDK
(Shared Key and SAS), partial failures, and the batches Azure refuses whole."""
from datetime import datetime, timedelta, timezone

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import ContainerClient, ContainerSasPermissions, generate_container_sas
from azure.storage.blob._shared.response_handlers import PartialBatchErrorException
from blob_helpers import container, full_account_sas, service  # noqa: F401 (fixtures)


def names(container):
    return sorted(b.name for b in container.list_blobs())


def test_delete_and_tier_blobs_in_one_batch(container):
    for name in ("a", "b", "dir/c", "d"):
        container.get_blob_client(name).upload_blob(b"x")
    snapped = container.get_blob_client("d")
    snapped.create_snapshot()
    tiers = list(container.set_standard_blob_tier_blobs("Cool", "a", "dir/c"))
    assert [r.status_code for r in tiers] == [200, 200]
    assert container.get_blob_client("dir/c").get_blob_properties().blob_tier == "Cool"
    deleted = list(container.delete_blobs("a", "dir/c", "d", delete_snapshots="include"))
    assert [r.status_code for r in deleted] == [202, 202, 202]
    assert names(container) == ["b"]
    assert not list(container.list_blobs(include=["snapshots"], name_starts_with="d"))
    # Each sub-request stands alone: a missing blob fails its part only.
    with pytest.raises(PartialBatchErrorException) as e:
        container.delete_blobs("b", "missing")
    assert [p.status_code for p in e.value.parts] == [202, 404]
    assert names(container) == []


def test_a_batch_under_a_sas_authorizes_each_sub_request(kiln, container):
    for name in ("a", "b"):
        container.get_blob_client(name).upload_blob(b"x")
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)

    def client(**perms):
        sas = generate_container_sas(kiln.account, container.container_name, account_key=kiln.key,
                                     permission=ContainerSasPermissions(**perms), expiry=expiry)
        return ContainerClient.from_container_url(f"{container.url}?{sas}")

    with pytest.raises(HttpResponseError) as e:
        client(read=True).delete_blobs("a")
    assert e.value.status_code == 403
    assert [r.status_code for r in client(delete=True).delete_blobs("a")] == [202]
    assert names(container) == ["b"]


def raw_batch(kiln, container, parts, boundary="batch_1234"):
    body = "".join(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {i}\r\n"
                   f"Content-Transfer-Encoding: binary\r\n\r\n{p}\r\n" for i, p in enumerate(parts))
    body += f"--{boundary}--\r\n"
    return requests.post(f"{kiln.blob_url}/{container.container_name}?restype=container&comp=batch&"
                         f"{full_account_sas(kiln)}", data=body.encode(),
                         headers={"x-ms-version": "2021-12-02",
                                  "Content-Type": f"multipart/mixed; boundary={boundary}"})


def test_batches_azure_refuses_whole_change_nothing(kiln, container):
    container.get_blob_client("keep").upload_blob(b"x")
    c = container.container_name
    delete = f"DELETE /{c}/keep HTTP/1.1\r\nx-ms-date: now\r\nContent-Length: 0\r\n\r\n"
    tier = f"PUT /{c}/keep?comp=tier HTTP/1.1\r\nx-ms-access-tier: Cool\r\nContent-Length: 0\r\n\r\n"
    get = f"GET /{c}/keep HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
    other = f"DELETE /elsewhere/keep HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
    for parts, code in [([delete, tier], "AllBatchSubRequestsShouldBeSameApi"), ([get], "InvalidInput"),
                        ([other], "InvalidInput"), ([delete] * 257, "ExceedsMaxBatchRequestCount"),
                        (["not an http request"], "InvalidInput")]:
        r = raw_batch(kiln, container, parts)
        assert r.status_code == 400 and r.headers["x-ms-error-code"] == code, (code, r.text)
    r = requests.post(f"{kiln.blob_url}/{c}?restype=container&comp=batch&{full_account_sas(kiln)}", data=b"x",
                      headers={"x-ms-version": "2021-12-02", "Content-Type": "text/plain"})
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidHeaderValue"
    # An unsigned sub-request is anonymous and refused alone (as Azure answers an
    # anonymous request to a private container), inside a batch that was accepted.
    r = raw_batch(kiln, container, [delete])
    assert r.status_code == 202 and r.headers["Content-Type"].startswith("multipart/mixed; boundary=batchresponse_")
    assert "Content-ID: 0\r\n\r\nHTTP/1.1 404 Not Found\r\n" in r.text and "ResourceNotFound" in r.text
    assert names(container) == ["keep"]
