"""Blob soft delete: with the service's DeleteRetentionPolicy on, deleted blobs
and snapshots are kept (listed with include=deleted) until Undelete Blob."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import RetentionPolicy
from blob_helpers import container, service  # noqa: F401 (fixtures)


@pytest.fixture
def retention(service):
    service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=True, days=2))
    yield
    service.set_service_properties(delete_retention_policy=RetentionPolicy(enabled=False))


def test_deleted_blobs_are_kept_listed_and_restored(retention, container):
    small, big = container.get_blob_client("small"), container.get_blob_client("big")
    small.upload_blob(b"tiny", metadata={"k": "v"})
    big.stage_block("YQ==", b"a" * 100_000)
    big.commit_block_list(["YQ=="])
    snap = big.create_snapshot()["snapshot"]
    small.delete_blob()
    big.delete_blob(delete_snapshots="include")
    for b in (small, big):
        with pytest.raises(ResourceNotFoundError):
            b.get_blob_properties()
    assert [b.name for b in container.list_blobs(include=["snapshots"])] == []
    listed = list(container.list_blobs(include=["deleted", "snapshots"]))
    assert sorted((b.name, b.deleted, b.snapshot or "") for b in listed) == [
        ("big", True, ""), ("big", True, snap), ("small", True, "")]
    assert all(b.deleted_time and b.remaining_retention_days == 2 for b in listed)
    small.undelete_blob()
    big.undelete_blob()
    assert small.download_blob().readall() == b"tiny" and small.get_blob_properties().metadata == {"k": "v"}
    assert big.download_blob().readall() == b"a" * 100_000
    assert [x.id for x in big.get_block_list("committed")[0]] == ["YQ=="]
    assert container.get_blob_client("big", snapshot=snap).download_blob().readall() == b"a" * 100_000
    assert not [b for b in container.list_blobs(include=["deleted"]) if b.deleted]


def test_a_name_taken_again_keeps_its_deleted_version_deleted(retention, container):
    b = container.get_blob_client("reused")
    b.upload_blob(b"first")
    b.delete_blob()
    b.upload_blob(b"second")
    b.undelete_blob()  # the base is taken: nothing to restore over it
    assert b.download_blob().readall() == b"second"
    assert [x.deleted for x in container.list_blobs(include=["deleted"])].count(True) == 1
    with pytest.raises(ResourceNotFoundError):
        container.get_blob_client("never-was").undelete_blob()


def test_an_overwrite_keeps_the_version_it_replaces_as_a_deleted_snapshot(retention, container):
    b = container.get_blob_client("over")
    b.upload_blob(b"v1")
    b.upload_blob(b"v2", overwrite=True)
    b.stage_block("YQ==", b"v3")
    b.commit_block_list(["YQ=="])
    deleted = [x for x in container.list_blobs(include=["deleted", "snapshots"]) if x.deleted]
    assert len(deleted) == 2 and all(x.snapshot for x in deleted)
    assert [x.snapshot for x in container.list_blobs(include=["snapshots"]) if x.snapshot] == []
    b.undelete_blob()  # the versions come back as snapshots; the blob stays v3
    assert b.download_blob().readall() == b"v3"
    snaps = sorted(x.snapshot for x in container.list_blobs(include=["snapshots"]) if x.snapshot)
    assert [container.get_blob_client("over", snapshot=s).download_blob().readall() for s in snaps] == [b"v1", b"v2"]


def test_without_a_policy_deletes_are_permanent(container):
    b = container.get_blob_client("gone")
    b.upload_blob(b"x")
    b.delete_blob()
    assert not list(container.list_blobs(include=["deleted"]))
    with pytest.raises(ResourceNotFoundError):
        b.undelete_blob()
