"""Containers: create, delete, list (prefix, paging, metadata), properties, metadata, errors."""
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from blob_helpers import container, service  # noqa: F401 (fixtures)


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
