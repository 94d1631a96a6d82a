"""Container soft delete (kiln serve --container-soft-delete-days): deleted
containers are kept with their blobs, listed with include=deleted, and brought
back by Restore Container (the SDK's undelete_container)."""
import os
import shutil
import subprocess
import time

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from blob_helpers import error_of


def client(server):
    return BlobServiceClient.from_connection_string(server.connection_string)


def deleted_versions(svc, name):
    return [c.version for c in svc.list_containers(include_deleted=True) if c.deleted and c.name == name]


def test_deleted_containers_are_kept_and_restored(kiln_factory):
    svc = client(kiln_factory(extra_args=["--container-soft-delete-days", "3"]))
    box = svc.create_container("box", metadata={"k": "v"})
    box.get_blob_client("small").upload_blob(b"tiny")
    box.get_blob_client("dir/big").upload_blob(b"b" * 300_000)
    box.get_blob_client("staged").stage_block("YQ==", b"staged")
    svc.delete_container("box")
    with pytest.raises(ResourceNotFoundError):
        box.get_container_properties()
    assert [c.name for c in svc.list_containers()] == []
    listed = [c for c in svc.list_containers(include_deleted=True)]
    assert [(c.name, c.deleted) for c in listed] == [("box", True)] and len(listed[0].version) == 16
    # The name is free meanwhile; deleting that one keeps a second version.
    svc.create_container("box").get_blob_client("other").upload_blob(b"second")
    svc.delete_container("box")
    first, second = deleted_versions(svc, "box")
    assert first == listed[0].version
    restored = svc.undelete_container("box", first)
    assert sorted(b.name for b in restored.list_blobs()) == ["dir/big", "small"]
    assert restored.get_blob_client("dir/big").download_blob().readall() == b"b" * 300_000
    assert restored.get_container_properties().metadata == {"k": "v"}
    assert [x.id for x in restored.get_blob_client("staged").get_block_list("uncommitted")[1]] == ["YQ=="]
    assert error_of(lambda: svc.undelete_container("box", second)) == (409, "ContainerAlreadyExists")
    assert error_of(lambda: svc.undelete_container("box", "0" * 16)) == (404, "ContainerNotFound")
    assert deleted_versions(svc, "box") == [second]
    # Paged one at a time: the live container, then its deleted version.
    paged = [(c.name, bool(c.deleted)) for c in svc.list_containers(include_deleted=True, results_per_page=1)]
    assert paged == [("box", False), ("box", True)]


def test_a_restart_keeps_them_and_their_days_end_them(kiln_factory):
    server = kiln_factory(extra_args=["--container-soft-delete-days", "1"],
                          env={"KILN_BLOB_RETENTION_DAY_SECONDS": "3", "KILN_BLOB_SWEEP_INTERVAL_SECONDS": "1"})
    svc = client(server)
    svc.create_container("gone").get_blob_client("b").upload_blob(b"x" * 100_000)
    svc.delete_container("gone")
    server.kill9()
    server.start()
    svc = client(server)
    assert len(deleted_versions(svc, "gone")) == 1  # durable like everything else
    deadline = time.monotonic() + 30
    while deleted_versions(svc, "gone") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert deleted_versions(svc, "gone") == []  # purged by the sweep once its (3 s) day passed


def test_without_the_option_deletes_are_final(kiln):
    svc = client(kiln)
    svc.create_container("final-one")
    svc.delete_container("final-one")
    assert deleted_versions(svc, "final-one") == []


@pytest.mark.skipif(shutil.which("az") is None, reason="azure-cli (az) not installed")
def test_az_lists_and_restores_deleted_containers(kiln_factory, tmp_path):
    server = kiln_factory(in_memory=True, extra_args=["--container-soft-delete-days", "2"])
    env = dict(os.environ, AZURE_CONFIG_DIR=str(tmp_path / "az"), AZURE_CORE_COLLECT_TELEMETRY="false",
               AZURE_CORE_ONLY_SHOW_ERRORS="true")

    def az(*args):
        out = subprocess.run(["az", "storage", "container", *args, "--connection-string", server.connection_string],
                             env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()
    az("create", "--name", "by-az")
    az("delete", "--name", "by-az")
    version = az("list", "--include-deleted", "--query", "[?deleted].version | [0]", "--output", "tsv")
    assert len(version) == 16
    az("restore", "--name", "by-az", "--deleted-version", version)
    assert az("list", "--query", "[].name", "--output", "tsv") == "by-az"
