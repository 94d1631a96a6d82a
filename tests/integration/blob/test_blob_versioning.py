"""Blob versioning (kiln serve --blob-versioning): overwrites, metadata changes
and deletes keep the version they replace; ?versionid= reads, tiers and
deletes a version; listings show versions with include=versions."""
from datetime import datetime, timedelta, timezone

import requests
from azure.storage.blob import (BlobClient, BlobSasPermissions, BlobServiceClient, RetentionPolicy,
                                generate_blob_sas)

from blob_helpers import error_of, full_account_sas


def versioned(kiln_factory):
    svc = BlobServiceClient.from_connection_string(
        kiln_factory(extra_args=["--blob-versioning"]).connection_string)
    return svc.create_container("box")


def versions_of(box, name):
    return [(b.version_id, bool(b.is_current_version)) for b in box.list_blobs(name_starts_with=name, include=["versions"])
            if b.name == name]


def test_writes_keep_what_they_replace_as_versions(kiln_factory):
    box = versioned(kiln_factory)
    blob = box.get_blob_client("doc")
    big = b"B" * 300_000  # kept in a data file, not inline
    v1 = blob.upload_blob(b"first")["version_id"]
    v2 = blob.upload_blob(big, overwrite=True)["version_id"]
    assert v1 and v2 > v1
    v3 = blob.set_blob_metadata({"k": "v"})["version_id"]
    blob.stage_block("YQ==", b"block")
    v4 = blob.commit_block_list(["YQ=="])["version_id"]
    assert v1 < v2 < v3 < v4
    assert versions_of(box, "doc") == [(v1, False), (v2, False), (v3, False), (v4, True)]
    paged = [b.version_id for b in box.list_blobs(include=["versions"], results_per_page=1)]
    assert paged == [v1, v2, v3, v4]
    assert [(b.name, b.version_id, b.is_current_version) for b in box.list_blobs()] == [("doc", v4, True)]

    def read(version):
        return blob.download_blob(version_id=version).readall()

    assert read(v1) == b"first"
    assert read(v2) == big
    assert read(v3) == big  # the metadata change kept the bytes
    assert blob.get_blob_properties(version_id=v2).metadata == {}
    assert blob.get_blob_properties(version_id=v3).metadata == {"k": "v"}
    assert blob.download_blob().readall() == b"block"
    props = blob.get_blob_properties(version_id=v1)
    assert props.version_id == v1 and not props.is_current_version
    current = blob.get_blob_properties()
    assert current.version_id == v4 and current.is_current_version
    # The current version is also readable by its id; a version is tiered by its own.
    assert read(v4) == b"block"
    blob.set_standard_blob_tier("Cool", version_id=v2)
    assert blob.get_blob_properties(version_id=v2).blob_tier == "Cool"
    assert blob.get_blob_properties().blob_tier == "Hot"
    blob.set_blob_tags({"kept": "yes"}, version_id=v1)
    assert blob.get_blob_tags(version_id=v1) == {"kept": "yes"} and blob.get_blob_tags() == {}
    assert error_of(lambda: read("2001-01-01T00:00:00.0000000Z")) == (404, "BlobNotFound")


def test_delete_keeps_the_blob_as_a_version_and_a_copy_restores_it(kiln_factory):
    box = versioned(kiln_factory)
    blob = box.get_blob_client("gone")
    v1 = blob.upload_blob(b"one")["version_id"]
    v2 = blob.upload_blob(b"two" * 40_000, overwrite=True)["version_id"]
    blob.create_snapshot()
    assert error_of(lambda: blob.delete_blob()) == (409, "SnapshotsPresent")
    blob.delete_blob(delete_snapshots="include")
    assert error_of(blob.get_blob_properties) == (404, "BlobNotFound")
    assert list(box.list_blobs()) == []
    assert versions_of(box, "gone") == [(v1, False), (v2, False)]
    only = list(box.list_blobs(include=["deletedwithversions"]))
    assert [(b.name, b.has_versions_only) for b in only] == [("gone", True)]
    # Restoring is a copy of a version over the blob (Undelete Blob does not, as on Azure).
    blob.start_copy_from_url(f"{blob.url}?versionid={v2}")
    assert blob.download_blob().readall() == b"two" * 40_000
    assert [c for _, c in versions_of(box, "gone")] == [False, False, True]
    assert [(b.name, b.has_versions_only) for b in box.list_blobs(include=["deletedwithversions"])] == [("gone", None)]
    # A previous version is deleted by its id; the current one may not be.
    blob.delete_blob(version_id=v1)
    assert error_of(lambda: blob.download_blob(version_id=v1)) == (404, "BlobNotFound")
    assert [v for v, _ in versions_of(box, "gone")][0] == v2
    current = blob.get_blob_properties().version_id
    assert error_of(lambda: blob.delete_blob(version_id=current)) == (403, "OperationNotAllowedOnRootBlob")
    # Blob Batch deletes versions too; deletedwithversions pages past a blob's versions.
    blob.upload_blob(b"three", overwrite=True)
    doomed = [v for v, current in versions_of(box, "gone") if not current]
    assert len(doomed) == 2
    assert [r.status_code for r in box.delete_blobs(*[{"name": "gone", "version_id": v} for v in doomed])] == [202, 202]
    assert [c for _, c in versions_of(box, "gone")] == [True]
    for name in ("a", "b"):
        box.get_blob_client(name).upload_blob(b"x")
        box.get_blob_client(name).upload_blob(b"y", overwrite=True)
    box.delete_blob("a")
    listed = [(b.name, bool(b.has_versions_only)) for b in box.list_blobs(include=["deletedwithversions"], results_per_page=1)]
    assert listed == [("a", True), ("b", False), ("gone", False)]


def test_version_sas_and_bad_version_parameters(kiln_factory):
    server = kiln_factory(extra_args=["--blob-versioning"])
    box = BlobServiceClient.from_connection_string(server.connection_string).create_container("box")
    blob = box.get_blob_client("b")
    v1 = blob.upload_blob(b"old")["version_id"]
    blob.upload_blob(b"new", overwrite=True)
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)

    def with_sas(**permission):
        sas = generate_blob_sas(server.account, "box", "b", account_key=server.key, version_id=v1,
                                permission=BlobSasPermissions(**permission), expiry=expiry)
        return BlobClient.from_blob_url(f"{blob.url}?{sas}")

    assert with_sas(read=True).download_blob(version_id=v1).readall() == b"old"  # sr=bv signs the version id
    assert error_of(lambda: with_sas(delete=True).delete_blob(version_id=v1)) == (403, "AuthorizationPermissionMismatch")
    with_sas(delete_previous_version=True).delete_blob(version_id=v1)
    assert len(versions_of(box, "b")) == 1

    sas = full_account_sas(server)

    def raw(method, query, **kw):
        r = requests.request(method, f"{blob.url}?{query}&{sas}", **kw)
        return r.status_code, r.headers.get("x-ms-error-code")

    assert raw("GET", "versionid=yesterday") == (400, "InvalidQueryParameterValue")
    assert raw("GET", "snapshot=v2020") == (400, "InvalidQueryParameterValue")
    assert raw("GET", f"versionid={v1}&snapshot={v1}") == (400, "InvalidQueryParameterValue")
    assert raw("PUT", f"versionid={v1}", data=b"x", headers={"x-ms-blob-type": "BlockBlob"}) == \
        (400, "InvalidQueryParameterValue")
    assert error_of(lambda: blob.delete_blob(version_id=v1)) == (404, "BlobNotFound")  # deleted above


def test_without_versioning_nothing_is_kept_and_old_blobs_get_an_id_later(kiln_factory):
    server = kiln_factory()
    box = BlobServiceClient.from_connection_string(server.connection_string).create_container("box")
    blob = box.get_blob_client("plain")
    assert blob.upload_blob(b"one").get("version_id") is None
    modified = blob.upload_blob(b"two", overwrite=True)["last_modified"]
    assert versions_of(box, "plain") == [(None, False)]
    assert error_of(lambda: blob.download_blob(version_id="2001-01-01T00:00:00Z")) == (404, "BlobNotFound")
    # Versioning switched on later: the blob written before it becomes a
    # version named by its Last-Modified time when it is first replaced.
    server.extra_args.append("--blob-versioning")
    server.restart()
    v = blob.upload_blob(b"three", overwrite=True)["version_id"]
    (old, old_current), (new, new_current) = versions_of(box, "plain")
    assert (new, new_current, old_current) == (v, True, False)
    assert old.startswith(modified.strftime("%Y-%m-%dT%H:%M:%S"))
    assert blob.download_blob(version_id=old).readall() == b"two"



def test_soft_deleted_versions_come_back_with_undelete(kiln_factory):
    svc = BlobServiceClient.from_connection_string(kiln_factory(extra_args=["--blob-versioning"]).connection_string)
    svc.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=2))
    box = svc.create_container("box")
    blob = box.get_blob_client("b")
    v1 = blob.upload_blob(b"one")["version_id"]
    blob.upload_blob(b"two", overwrite=True)
    blob.delete_blob(version_id=v1)
    assert [v for v, _ in versions_of(box, "b")] != [v1] and v1 not in [v for v, _ in versions_of(box, "b")]
    deleted = [(b.version_id, b.deleted) for b in box.list_blobs(include=["versions", "deleted"]) if b.deleted]
    assert deleted == [(v1, True)]
    blob.undelete_blob()
    assert blob.download_blob(version_id=v1).readall() == b"one"
    assert blob.download_blob().readall() == b"two"
