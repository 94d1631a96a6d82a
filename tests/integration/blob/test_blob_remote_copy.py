"""Copy Blob, Put Block From URL and Append Block From URL from URLs outside
Kiln: a small HTTP server in the test serves the source (with and without
Range support, and with errors)."""
import hashlib
import http.server
import os
import threading

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from blob_helpers import container, service  # noqa: F401 (fixtures)

DATA = os.urandom(300_000)


class Source(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/missing"):
            self.send_error(404)
            return
        if self.path.startswith("/private") and self.headers.get("Authorization") != "Bearer secret":
            self.send_error(403)
            return
        body, status = DATA, 200
        ranged = self.headers.get("Range")
        if ranged and not self.path.startswith("/norange"):
            start, end = (int(x) for x in ranged.split("=")[1].split("-"))
            body, status = DATA[start:end + 1], 206
        self.send_response(status)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Language", "en")
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a reader that had its range stops reading


@pytest.fixture(scope="module")
def source_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Source)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_copy_blob_from_a_url_elsewhere(container, source_url):
    b = container.get_blob_client("copied")
    props = b.start_copy_from_url(f"{source_url}/data.csv")
    assert props["copy_status"] == "success"
    assert b.download_blob().readall() == DATA
    p = b.get_blob_properties()
    assert p.content_settings.content_type == "text/csv" and p.content_settings.content_language == "en"
    assert p.content_settings.content_md5 == hashlib.md5(DATA).digest()
    assert p.copy.source == f"{source_url}/data.csv"
    with pytest.raises(HttpResponseError) as e:
        b.start_copy_from_url(f"{source_url}/data.csv", source_etag='"v2"',
                              source_match_condition=MatchConditions.IfNotModified)
    assert e.value.error_code == "SourceConditionNotMet"
    assert b.download_blob().readall() == DATA


def test_sources_that_refuse_or_are_unreachable(container, source_url):
    b = container.get_blob_client("refused")
    for url, status in [(f"{source_url}/missing", 404), (f"{source_url}/private", 403), ("http://127.0.0.1:9/x", 404)]:
        with pytest.raises(HttpResponseError) as e:
            b.start_copy_from_url(url)
        assert e.value.status_code == status and e.value.error_code == "CannotVerifyCopySource", url
    assert not b.exists()
    # x-ms-copy-source-authorization reaches the source as its Authorization.
    b.start_copy_from_url(f"{source_url}/private", source_authorization="Bearer secret", requires_sync=True)
    assert b.download_blob().readall() == DATA


@pytest.mark.parametrize("path", ["/ranged", "/norange"])  # a source that ignores Range is cut here
def test_blocks_and_appends_from_ranges_of_a_url_elsewhere(container, source_url, path):
    url = f"{source_url}{path}"
    blocks = container.get_blob_client("blocks" + path.strip("/"))
    blocks.stage_block_from_url("YQ==", url, source_offset=1000, source_length=5000,
                                source_content_md5=hashlib.md5(DATA[1000:6000]).digest())
    blocks.stage_block_from_url("Yg==", url, source_offset=290_000, source_length=10_000)
    blocks.commit_block_list(["Yg==", "YQ=="])
    assert blocks.download_blob().readall() == DATA[290_000:] + DATA[1000:6000]
    with pytest.raises(HttpResponseError) as e:
        blocks.stage_block_from_url("Yw==", url, source_offset=0, source_length=10,
                                    source_content_md5=hashlib.md5(b"other").digest())
    assert e.value.error_code == "Md5Mismatch"
    appended = container.get_blob_client("appended" + path.strip("/"))
    appended.create_append_blob()
    appended.append_block_from_url(url, source_offset=10, source_length=100_000)
    appended.append_block_from_url(url, source_offset=0, source_length=10)
    assert appended.download_blob().readall() == DATA[10:100_010] + DATA[:10]
    with pytest.raises(HttpResponseError) as e:  # past the source's end
        appended.append_block_from_url(url, source_offset=299_990, source_length=100)
    assert e.value.status_code in (400, 416)
    assert appended.get_blob_properties().size == 100_010
