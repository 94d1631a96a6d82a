"""List Blobs: flat and hierarchical, prefix, delimiter, paging markers, include options."""
import base64

from blob_helpers import container, service  # noqa: F401 (fixtures)


def names(items):
    return [i.name for i in items]


def test_flat_and_paged(container):
    all_names = sorted([f"f{i:03d}" for i in range(12)] + ["a/b/c", "a/d", "z"])
    for n in all_names:
        container.get_blob_client(n).upload_blob(n.encode(), metadata={"n": "1"})
    assert names(container.list_blobs()) == all_names
    assert names(container.list_blobs(name_starts_with="f00")) == [f"f00{i}" for i in range(10)]
    pages = list(container.list_blobs(results_per_page=4).by_page())
    flat = [n for p in pages for n in names(p)]
    assert flat == all_names
    assert len(pages) == 4
    withmeta = list(container.list_blobs(name_starts_with="z", include=["metadata"]))
    assert withmeta[0].metadata == {"n": "1"}
    assert withmeta[0].size == 1


def test_hierarchical(container):
    for n in ["a/1", "a/2", "a/b/3", "b/4", "c", "d/"]:
        container.get_blob_client(n).upload_blob(b"x")
    top = list(container.walk_blobs(delimiter="/"))
    assert names(top) == ["a/", "b/", "d/", "c"]  # the SDK puts a page's prefixes before its blobs
    inner = list(container.walk_blobs(name_starts_with="a/", delimiter="/"))
    assert names(inner) == ["a/b/", "a/1", "a/2"]
    pages = list(container.walk_blobs(delimiter="/", results_per_page=1).by_page())
    assert [n for p in pages for n in names(p)] == ["a/", "b/", "c", "d/"]


def test_snapshots_and_uncommitted(container):
    b = container.get_blob_client("snap")
    b.upload_blob(b"v1")
    snap = b.create_snapshot()
    b.upload_blob(b"v2", overwrite=True)
    container.get_blob_client("staged").stage_block(base64.b64encode(b"1").decode(), b"x")
    items = list(container.list_blobs(include=["snapshots"]))
    assert [(i.name, i.snapshot) for i in items] == [("snap", snap["snapshot"]), ("snap", None)]
    items = list(container.list_blobs(include=["uncommittedblobs"]))
    assert names(items) == ["snap", "staged"]
    assert container.get_blob_client("snap", snapshot=snap["snapshot"]).download_blob().readall() == b"v1"
