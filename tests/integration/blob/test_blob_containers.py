"""Containers: create, delete, rename, list (prefix, paging, metadata), properties, metadata, errors."""
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from blob_helpers import container, error_of, service  # noqa: F401 (fixtures)


def test_create_get_properties_and_delete(service):
    name = "c" + uuid.uuid4().hex[:12]
    c = service.create_container(name, metadata={"Owner": "kiln"})
    props = c.get_container_properties()
    assert props.name == name
    assert props.metadata == {"Owner": "kiln"}
    assert props.etag.startswith('"0x')
    assert props.lease.state == "available"
    with pytest.raises(ResourceExistsError) as e:
        service.create_container(name)
    assert e.value.error_code == "ContainerAlreadyExists"
    c.delete_container()
    with pytest.raises(ResourceNotFoundError) as e:
        c.get_container_properties()
    assert e.value.error_code == "ContainerNotFound"
    with pytest.raises(ResourceNotFoundError) as e:
        c.delete_container()
    assert e.value.error_code == "ContainerNotFound"


def test_set_metadata_changes_etag(container):
    before = container.get_container_properties()
    container.set_container_metadata({"a": "1", "B": "two"})
    after = container.get_container_properties()
    assert after.metadata == {"a": "1", "B": "two"}
    assert after.etag != before.etag


def test_list_with_prefix_paging_and_metadata(service):
    prefix = "lst" + uuid.uuid4().hex[:8]
    names = [f"{prefix}-{i:02d}" for i in range(7)]
    for n in names:
        service.create_container(n, metadata={"idx": n[-2:]})
    try:
        listed = list(service.list_containers(name_starts_with=prefix, include_metadata=True))
        assert [c.name for c in listed] == names
        assert listed[3].metadata == {"idx": "03"}
        pages = service.list_containers(name_starts_with=prefix, results_per_page=3).by_page()
        sizes = [len(list(p)) for p in pages]
        assert sizes == [3, 3, 1]
    finally:
        for n in names:
            service.delete_container(n)


@pytest.mark.parametrize("bad,code", [("ab", "OutOfRangeInput"), ("Upper", "InvalidResourceName"),
                                       ("a--b", "InvalidResourceName"), ("x" * 64, "OutOfRangeInput")])
def test_invalid_container_names(service, bad, code):
    with pytest.raises(HttpResponseError) as e:
        service.create_container(bad)
    assert e.value.status_code == 400
    assert e.value.error_code == code


def test_bad_key_is_authentication_failed(kiln):
    wrong = BlobServiceClient(kiln.blob_url, credential={"account_name": kiln.account,
                                                         "account_key": "AAAA" + kiln.key[4:]})
    with pytest.raises(HttpResponseError) as e:
        list(wrong.list_containers())
    assert e.value.status_code == 403
    assert e.value.error_code == "AuthenticationFailed"


def test_rename_moves_the_container_with_its_blobs_and_blocks(service):
    src = service.create_container("rename-src-" + uuid.uuid4().hex[:8], metadata={"k": "v"})
    src.get_blob_client("a/b").upload_blob(b"bytes")
    src.get_blob_client("staged").stage_block("YQ==", b"block")
    new_name = "rename-dst-" + uuid.uuid4().hex[:8]
    renamed = service._rename_container(src.container_name, new_name)  # the SDK keeps it private
    assert renamed.get_blob_client("a/b").download_blob().readall() == b"bytes"
    assert renamed.get_container_properties().metadata == {"k": "v"}
    assert [b.id for b in renamed.get_blob_client("staged").get_block_list("uncommitted")[1]] == ["YQ=="]
    assert error_of(src.get_container_properties) == (404, "ContainerNotFound")
    assert error_of(lambda: service._rename_container(src.container_name, "rename-x")) == (404, "ContainerNotFound")
    other = service.create_container("rename-other-" + uuid.uuid4().hex[:8])
    assert error_of(lambda: service._rename_container(new_name, other.container_name)) == \
        (409, "ContainerAlreadyExists")
    # A leased source moves only with its lease id.
    lease = renamed.acquire_lease()
    assert error_of(lambda: service._rename_container(new_name, "rename-y")) == (412, "LeaseIdMissing")
    assert error_of(lambda: service._rename_container(new_name, "rename-y", lease=str(uuid.uuid4()))) == \
        (412, "LeaseIdMismatchWithContainerOperation")
    final = service._rename_container(new_name, src.container_name, lease=lease)
    assert [b.name for b in final.list_blobs()] == ["a/b"]
    final.delete_container(lease=lease)  # the lease moved with it
    other.delete_container()
