"""Access tiers through the SDK: Hot/Cool/Cold recorded, Archive offline, and
rehydration back online (Kiln finishes it in seconds, not hours: access_tier.h)."""
import time

from azure.storage.blob import RehydratePriority, StandardBlobTier

from blob_helpers import container, error_of, service  # noqa: F401 (fixtures)


def wait_online(blob, timeout_s=15):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        p = blob.get_blob_properties()
        if p.archive_status is None:
            return p
        time.sleep(0.2)
    raise AssertionError("still rehydrating")


def test_online_tiers_are_recorded(container):
    b = container.get_blob_client("tiered")
    b.upload_blob(b"x")
    p = b.get_blob_properties()
    assert p.blob_tier == "Hot" and p.blob_tier_inferred is True and p.blob_tier_change_time is None
    b.set_standard_blob_tier(StandardBlobTier.Cool)
    p = b.get_blob_properties()
    assert p.blob_tier == "Cool" and not p.blob_tier_inferred and p.blob_tier_change_time is not None
    assert [x.blob_tier for x in container.list_blobs()] == ["Cool"]
    c2 = container.get_blob_client("cold-on-upload")
    c2.upload_blob(b"y", standard_blob_tier=StandardBlobTier.Cold)
    assert c2.get_blob_properties().blob_tier == "Cold"
    assert error_of(lambda: b.set_standard_blob_tier("P10")) == (400, "InvalidHeaderValue")


def test_an_archived_blob_is_offline_but_its_properties_are_not(container):
    b = container.get_blob_client("cold-storage")
    etag = b.upload_blob(b"archived bytes", metadata={"k": "v"}, tags={"t": "1"})["etag"]
    b.set_standard_blob_tier(StandardBlobTier.Archive)
    p = b.get_blob_properties()
    assert p.blob_tier == "Archive" and p.archive_status is None and p.etag == etag  # a tier change keeps the ETag
    assert p.metadata == {"k": "v"} and b.get_blob_tags() == {"t": "1"}
    assert [x.blob_tier for x in container.list_blobs()] == ["Archive"]
    assert error_of(lambda: b.download_blob()) == (409, "BlobArchived")
    assert error_of(lambda: b.set_blob_metadata({"k": "w"})) == (409, "BlobArchived")
    assert error_of(lambda: b.set_http_headers()) == (409, "BlobArchived")
    assert error_of(lambda: b.create_snapshot()) == (409, "BlobArchived")
    other = container.get_blob_client("sync-copy")
    assert error_of(lambda: other.upload_blob_from_url(b.url)) == (409, "BlobArchived")
    b.set_blob_tags({"t": "2"})  # tags stay writable
    assert b.get_blob_tags() == {"t": "2"}
    # An overwrite makes a new, online blob.
    b.upload_blob(b"new bytes", overwrite=True)
    p = b.get_blob_properties()
    assert p.blob_tier == "Hot" and p.blob_tier_inferred
    assert b.download_blob().readall() == b"new bytes"


def test_uploading_straight_to_archive(container):
    b = container.get_blob_client("archived-on-upload")
    b.upload_blob(b"z" * 10, standard_blob_tier=StandardBlobTier.Archive)
    assert b.get_blob_properties().blob_tier == "Archive"
    staged = container.get_blob_client("archived-block-list")
    staged.stage_block("YQ==", b"abc")
    staged.commit_block_list(["YQ=="], standard_blob_tier=StandardBlobTier.Archive)
    assert error_of(lambda: staged.download_blob()) == (409, "BlobArchived")
    # A new block list may not reuse an archived blob's blocks (that reads them) ...
    assert error_of(lambda: staged.commit_block_list(["YQ=="])) == (409, "BlobArchived")
    # ... but may replace it with newly staged ones.
    staged.stage_block("Yg==", b"new")
    staged.commit_block_list(["Yg=="])
    assert staged.download_blob().readall() == b"new"


def test_rehydration_by_set_blob_tier(container):
    b = container.get_blob_client("to-rehydrate")
    b.upload_blob(b"back online", standard_blob_tier=StandardBlobTier.Archive)
    b.set_standard_blob_tier(StandardBlobTier.Cool, rehydrate_priority=RehydratePriority.standard)
    p = b.get_blob_properties()
    assert p.blob_tier == "Archive" and p.archive_status == "rehydrate-pending-to-cool"
    assert p.rehydrate_priority == "Standard"
    listed = next(iter(container.list_blobs()))
    assert listed.archive_status == "rehydrate-pending-to-cool" and listed.rehydrate_priority == "Standard"
    assert error_of(lambda: b.download_blob()) == (409, "BlobArchived")
    assert error_of(lambda: b.set_standard_blob_tier(StandardBlobTier.Hot)) == (409, "BlobBeingRehydrated")
    assert error_of(lambda: b.set_standard_blob_tier(StandardBlobTier.Archive)) == (409, "BlobBeingRehydrated")
    b.set_standard_blob_tier(StandardBlobTier.Cool, rehydrate_priority=RehydratePriority.high)  # may speed up
    assert b.get_blob_properties().rehydrate_priority == "High"
    p = wait_online(b)
    assert p.blob_tier == "Cool" and p.rehydrate_priority is None
    assert b.download_blob().readall() == b"back online"
    assert next(iter(container.list_blobs())).blob_tier == "Cool"


def test_set_blob_tier_answers_202_when_it_starts_a_rehydration(kiln, container):
    import requests
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas
    from datetime import datetime, timedelta, timezone
    b = container.get_blob_client("status-codes")
    b.upload_blob(b"x")
    sas = generate_blob_sas(kiln.account, container.container_name, "status-codes", account_key=kiln.key,
                            permission=BlobSasPermissions(write=True, set_immutability_policy=False),
                            expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    url = f"{b.url}?comp=tier&{sas}"
    headers = {"x-ms-version": "2021-12-02"}
    assert requests.put(url, headers={**headers, "x-ms-access-tier": "Archive"}).status_code == 200
    r = requests.put(url, headers={**headers, "x-ms-access-tier": "Hot", "x-ms-rehydrate-priority": "Urgent"})
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidHeaderValue"
    assert requests.put(url, headers={**headers, "x-ms-access-tier": "Hot"}).status_code == 202


def test_copy_rehydrates_an_archived_source_into_its_destination(container):
    src = container.get_blob_client("archived-src")
    src.upload_blob(b"copied out of the archive", standard_blob_tier=StandardBlobTier.Archive)
    dst = container.get_blob_client("rehydrated-copy")
    r = dst.start_copy_from_url(src.url, standard_blob_tier=StandardBlobTier.Cool,
                                rehydrate_priority=RehydratePriority.high)
    assert r["copy_status"] == "success"
    assert dst.download_blob().readall() == b"copied out of the archive"
    assert dst.get_blob_properties().blob_tier == "Cool"
    default_tier = container.get_blob_client("rehydrated-default")
    default_tier.start_copy_from_url(src.url)
    p = default_tier.get_blob_properties()
    assert p.blob_tier == "Hot" and p.blob_tier_inferred
    assert src.get_blob_properties().blob_tier == "Archive"  # the source stays archived
    # The synchronous copy cannot read an archived source.
    sync = container.get_blob_client("sync-copy")
    assert error_of(lambda: sync.start_copy_from_url(src.url, requires_sync=True)) == (409, "BlobArchived")
    # A copy of an online blob keeps its tier unless told otherwise.
    cool = container.get_blob_client("cool-src")
    cool.upload_blob(b"c", standard_blob_tier=StandardBlobTier.Cool)
    same = container.get_blob_client("cool-copy")
    same.start_copy_from_url(cool.url)
    assert same.get_blob_properties().blob_tier == "Cool"


def test_blob_batch_archives_and_rehydrates(container):
    for name in ("a", "b"):
        container.get_blob_client(name).upload_blob(b"batch")
    assert [r.status_code for r in container.set_standard_blob_tier_blobs("Archive", "a", "b")] == [200, 200]
    assert [r.status_code for r in container.set_standard_blob_tier_blobs("Hot", "a", "b")] == [202, 202]
    assert wait_online(container.get_blob_client("b")).blob_tier == "Hot"


def test_tiers_of_snapshots(container):
    b = container.get_blob_client("with-snapshots")
    b.upload_blob(b"version one")
    snap = b.create_snapshot()["snapshot"]
    old = container.get_blob_client("with-snapshots", snapshot=snap)
    old.set_standard_blob_tier(StandardBlobTier.Cool)
    assert old.get_blob_properties().blob_tier == "Cool"
    assert b.get_blob_properties().blob_tier == "Hot"  # the base blob keeps its own
    old.set_standard_blob_tier(StandardBlobTier.Archive)
    assert error_of(lambda: old.download_blob()) == (409, "BlobArchived")
    # An archived snapshot does not come back online; a copy of it does.
    assert error_of(lambda: old.set_standard_blob_tier(StandardBlobTier.Hot)) == (409, "BlobArchived")
    out = container.get_blob_client("out-of-the-archive")
    out.start_copy_from_url(old.url, standard_blob_tier=StandardBlobTier.Hot)
    assert out.download_blob().readall() == b"version one"
    assert b.download_blob().readall() == b"version one"
