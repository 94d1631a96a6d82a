"""Blob index tags: Set/Get Blob Tags, x-ms-tags on writes, tag counts, List Blobs
include=tags, Find Blobs by Tags, x-ms-if-tags and the SAS permissions t and f."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceModifiedError
from blob_helpers import container, service  # noqa: F401 (fixtures)
from azure.storage.blob import (AccountSasPermissions, BlobClient, BlobSasPermissions, ContainerClient,
                                ContainerSasPermissions, ResourceTypes, generate_account_sas,
                                generate_blob_sas, generate_container_sas)

HOUR = timedelta(hours=1)


def tag_account_sas(kiln):
    """An account SAS for raw requests on tags (t) and tag queries (f)."""
    return generate_account_sas(kiln.account, kiln.key, resource_types=ResourceTypes(service=True, object=True),
                                permission=AccountSasPermissions(tag=True, filter_by_tags=True),
                                expiry=datetime.now(timezone.utc) + HOUR)


def test_tags_are_set_read_and_counted_without_touching_the_blob(container):
    b = container.get_blob_client("tagged")
    b.upload_blob(b"data", tags={"project": "kiln", "path": "a/b:c=d e+f"})
    assert b.get_blob_tags() == {"project": "kiln", "path": "a/b:c=d e+f"}
    props = b.get_blob_properties()
    assert props.tag_count == 2
    b.set_blob_tags({"Project": "Kiln", "project": ""})  # keys are case-sensitive; a value may be empty
    assert b.get_blob_tags() == {"Project": "Kiln", "project": ""}
    after = b.get_blob_properties()
    assert after.etag == props.etag and after.last_modified == props.last_modified  # tags are not content
    b.set_blob_tags({})
    assert b.get_blob_tags() == {}
    assert b.get_blob_properties().tag_count is None  # no x-ms-tag-count without tags
    b.set_blob_tags({"k": "v"})
    b.upload_blob(b"new", overwrite=True)  # an overwrite without x-ms-tags has none
    assert b.get_blob_tags() == {}


def test_every_write_that_creates_a_blob_takes_its_tags(container):
    blk = container.get_blob_client("from-blocks")
    blk.stage_block("YQ==", b"abc")
    blk.commit_block_list(["YQ=="], tags={"via": "blocklist"})
    assert blk.get_blob_tags() == {"via": "blocklist"}
    copy = container.get_blob_client("copied")
    copy.start_copy_from_url(blk.url, tags={"via": "copy"}, requires_sync=True)
    assert copy.get_blob_tags() == {"via": "copy"}  # the source's tags are not copied
    copy.create_snapshot()
    blk.set_blob_metadata({"m": "1"})
    assert blk.get_blob_tags() == {"via": "blocklist"}  # other writes keep them


def test_bad_tags_get_azures_errors_and_change_nothing(kiln, container):
    b = container.get_blob_client("bad")
    b.upload_blob(b"x", tags={"keep": "me"})
    cases = [({f"k{i}": "v" for i in range(11)}, "TagsTooLarge"), ({"k" * 129: "v"}, "TagsTooLarge"),
             ({"k": "v" * 257}, "TagsTooLarge"), ({"bad!": "v"}, "InvalidTag"), ({"k": "caf\u00e9"}, "InvalidTag")]
    for tags, code in cases:
        with pytest.raises(HttpResponseError) as e:
            b.set_blob_tags(tags)
        assert e.value.status_code == 400 and e.value.error_code == code, tags
    with pytest.raises(HttpResponseError) as e:
        container.get_blob_client("never").upload_blob(b"x", tags={"bad!": "v"})
    assert e.value.error_code == "InvalidTag"
    assert not container.get_blob_client("never").exists()
    url = f"{b.url}?comp=tags&{tag_account_sas(kiln)}"
    r = requests.put(url, data=b"<Tags><TagSet><Tag><Key>a</Key>", headers={"x-ms-version": "2021-12-02"})
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "InvalidXmlDocument"
    dup = ("<Tags><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
           "<Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tags>")
    r = requests.put(url, data=dup, headers={"x-ms-version": "2021-12-02"})
    assert r.status_code == 400 and r.headers["x-ms-error-code"] == "DuplicateTagNames"
    assert b.get_blob_tags() == {"keep": "me"}


def test_if_tags_conditions(container):
    b = container.get_blob_client("conditional")
    b.upload_blob(b"x", tags={"state": "ready", "n": "5"})
    ok, bad = "\"state\" = 'ready' AND \"n\" >= '3'", "\"state\" = 'done' OR \"n\" < '3'"
    assert b.get_blob_tags(if_tags_match_condition=ok) == {"state": "ready", "n": "5"}
    assert b.download_blob(if_tags_match_condition=ok).readall() == b"x"
    for call in (lambda: b.get_blob_tags(if_tags_match_condition=bad),
                 lambda: b.download_blob(if_tags_match_condition=bad),
                 lambda: b.set_blob_tags({"state": "done"}, if_tags_match_condition=bad),
                 lambda: b.upload_blob(b"y", overwrite=True, if_tags_match_condition=bad),
                 lambda: b.delete_blob(if_tags_match_condition=bad),
                 lambda: b.set_blob_metadata({"m": "1"}, if_tags_match_condition=bad),
                 lambda: b.get_blob_properties(if_tags_match_condition=bad),
                 lambda: b.create_snapshot(if_tags_match_condition=bad),
                 lambda: b.acquire_lease(if_tags_match_condition=bad)):
        with pytest.raises(ResourceModifiedError) as e:
            call()
        assert e.value.status_code == 412 and e.value.error_code == "ConditionNotMet"
    b.set_blob_tags({"state": "done"}, if_tags_match_condition=ok)
    assert b.get_blob_tags() == {"state": "done"}
    with pytest.raises(HttpResponseError) as e:
        b.get_blob_tags(if_tags_match_condition="\"state\" 'ready'")  # no operator
    assert e.value.status_code == 400


def test_copies_check_the_sources_tags(container):
    src = container.get_blob_client("tagged-source")
    src.upload_blob(b"x", tags={"stage": "final"})
    dst = container.get_blob_client("tagged-copy")
    with pytest.raises(HttpResponseError) as e:
        dst.start_copy_from_url(src.url, source_if_tags_match_condition="\"stage\" = 'draft'")
    assert e.value.status_code == 412 and e.value.error_code == "SourceConditionNotMet"
    assert not dst.exists()
    dst.start_copy_from_url(src.url, source_if_tags_match_condition="\"stage\" = 'final'")
    assert dst.download_blob().readall() == b"x"


def test_a_leased_blobs_tags_need_its_lease(container):
    b = container.get_blob_client("leased")
    b.upload_blob(b"x")
    lease = b.acquire_lease(lease_duration=15)
    with pytest.raises(HttpResponseError) as e:
        b.set_blob_tags({"a": "1"})
    assert e.value.error_code == "LeaseIdMissing"
    b.set_blob_tags({"a": "1"}, lease=lease)
    assert b.get_blob_tags() == {"a": "1"}
    lease.release()


def test_list_blobs_reports_tags(container):
    container.get_blob_client("a").upload_blob(b"x", tags={"k": "v", "n": "1"})
    container.get_blob_client("b").upload_blob(b"x")
    listed = {b.name: b for b in container.list_blobs(include=["tags"])}
    assert listed["a"].tags == {"k": "v", "n": "1"} and listed["a"].tag_count == 2
    assert not listed["b"].tags and listed["b"].tag_count is None
    plain = {b.name: b for b in container.list_blobs()}
    assert plain["a"].tag_count == 2 and not plain["a"].tags


def test_find_blobs_by_tags(service):
    tag = uuid.uuid4().hex[:12]  # other tests' blobs never match
    first, second = service.create_container("f" + tag), service.create_container("g" + tag)
    try:
        for c, name, tags in [(first, "b1", {"run": tag, "rank": "10", "extra": "x"}),
                              (first, "b2", {"run": tag, "rank": "20"}),
                              (second, "b3", {"run": tag, "rank": "30"}),
                              (second, "b4", {"run": "other", "rank": "40"})]:
            c.get_blob_client(name).upload_blob(b"x", tags=tags)
        found = list(service.find_blobs_by_tags(f"\"run\" = '{tag}'"))
        assert sorted((f.container_name, f.name) for f in found) == [
            (first.container_name, "b1"), (first.container_name, "b2"), (second.container_name, "b3")]
        b1 = next(f for f in found if f.name == "b1")
        assert b1.tags == {"run": tag}  # only the tags the expression names
        ranked = service.find_blobs_by_tags(f"\"run\" = '{tag}' AND \"rank\" >= '20' AND \"rank\" < '30'")
        assert [(f.name, f.tags) for f in ranked] == [("b2", {"run": tag, "rank": "20"})]
        in_second = service.find_blobs_by_tags(f"@container = '{second.container_name}' AND \"rank\" > '0'")
        assert sorted(f.name for f in in_second) == ["b3", "b4"]
        assert [f.name for f in second.find_blobs_by_tags(f"\"run\" = '{tag}'")] == ["b3"]
        pages = service.find_blobs_by_tags(f"\"run\" = '{tag}'", results_per_page=2).by_page()
        sizes = [len(list(p)) for p in pages]
        assert sizes == [2, 1]
        for bad in ("\"run\" = 'x' OR \"rank\" = '1'", "run = ", "\"run\" <> 'x'"):
            with pytest.raises(HttpResponseError) as e:
                list(service.find_blobs_by_tags(bad))
            assert e.value.status_code == 400 and e.value.error_code == "InvalidQueryParameterValue", bad
        with pytest.raises(HttpResponseError) as e:
            list(first.find_blobs_by_tags(f"@container = '{first.container_name}'"))
        assert e.value.error_code == "InvalidQueryParameterValue"
    finally:
        first.delete_container()
        second.delete_container()


def test_tag_sas_permissions(kiln, container):
    b = container.get_blob_client("sas")
    b.upload_blob(b"x", tags={"k": "v"})
    expiry = datetime.now(timezone.utc) + HOUR

    def blob_as(**perms):
        sas = generate_blob_sas(kiln.account, container.container_name, "sas", account_key=kiln.key,
                                permission=BlobSasPermissions(**perms), expiry=expiry)
        return BlobClient.from_blob_url(f"{b.url}?{sas}")

    assert blob_as(tag=True).get_blob_tags() == {"k": "v"}
    blob_as(tag=True).set_blob_tags({"k": "w"})
    for call in (lambda c: c.get_blob_tags(), lambda c: c.set_blob_tags({"k": "x"})):
        with pytest.raises(HttpResponseError) as e:
            call(blob_as(read=True, write=True))
        assert e.value.status_code == 403 and e.value.error_code == "AuthorizationPermissionMismatch"
    container_sas = generate_container_sas(kiln.account, container.container_name, account_key=kiln.key,
                                           permission=ContainerSasPermissions(read=True, list=True, filter_by_tags=True),
                                           expiry=expiry)
    scoped = ContainerClient.from_container_url(f"{container.url}?{container_sas}")
    assert [f.name for f in scoped.find_blobs_by_tags("\"k\" = 'w'")] == ["sas"]
    no_filter = generate_container_sas(kiln.account, container.container_name, account_key=kiln.key,
                                       permission=ContainerSasPermissions(read=True, list=True), expiry=expiry)
    with pytest.raises(HttpResponseError) as e:
        list(ContainerClient.from_container_url(f"{container.url}?{no_filter}").find_blobs_by_tags("\"k\" = 'w'"))
    assert e.value.error_code == "AuthorizationPermissionMismatch"
    r = requests.get(f"{kiln.blob_url}?comp=blobs&where=%22k%22%3D%27w%27&{tag_account_sas(kiln)}",
                     headers={"x-ms-version": "2021-12-02"})
    assert r.status_code == 200 and "<Name>sas</Name>" in r.text
