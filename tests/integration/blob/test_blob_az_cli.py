"""A second, independent client: the `az storage blob` CLI (Debian azure-cli)."""
import os
import shutil
import subprocess

import pytest

from blob_helpers import container, service  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("az") is None, reason="azure-cli (az) not installed")


def az(kiln, tmp_path, *args):
    env = dict(os.environ, AZURE_CONFIG_DIR=str(tmp_path / "az"), AZURE_CORE_COLLECT_TELEMETRY="false",
               AZURE_CORE_NO_COLOR="true", AZURE_CORE_ONLY_SHOW_ERRORS="true")
    out = subprocess.run(["az", "storage", *args, "--connection-string", kiln.connection_string],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_az_upload_download(kiln, container, tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"uploaded by az\n" * 1000)
    az(kiln, tmp_path, "blob", "upload", "--container-name", container.container_name, "--name", "az/in.txt",
       "--file", str(src))
    assert container.get_blob_client("az/in.txt").download_blob().readall() == src.read_bytes()
    dst = tmp_path / "out.txt"
    az(kiln, tmp_path, "blob", "download", "--container-name", container.container_name, "--name", "az/in.txt",
       "--file", str(dst))
    assert dst.read_bytes() == src.read_bytes()


def test_az_page_blob_upload(kiln, container, tmp_path):
    src = tmp_path / "disk.vhd"
    src.write_bytes(os.urandom(512 * 1024) + bytes(5 << 20) + os.urandom(4096))  # pages of 512 bytes
    az(kiln, tmp_path, "blob", "upload", "--container-name", container.container_name, "--name", "disk.vhd",
       "--file", str(src), "--type", "page")
    blob = container.get_blob_client("disk.vhd")
    assert blob.get_blob_properties().blob_type == "PageBlob"
    assert blob.download_blob().readall() == src.read_bytes()


def test_az_copy_by_container_and_blob_name(kiln, container, tmp_path):
    # az names the source https://<account>.blob.core.windows.net/... whatever its
    # connection string says: for an account of this Kiln that is this service.
    container.get_blob_client("src.txt").upload_blob(b"copied by name")
    az(kiln, tmp_path, "blob", "copy", "start", "--destination-container", container.container_name,
       "--destination-blob", "dst.txt", "--source-container", container.container_name, "--source-blob", "src.txt")
    assert container.get_blob_client("dst.txt").download_blob().readall() == b"copied by name"
    # An account this Kiln does not have is somewhere else: not reachable from here.
    out = subprocess.run(["az", "storage", "blob", "copy", "start", "--destination-container",
                          container.container_name, "--destination-blob", "other.txt", "--source-uri",
                          "https://someoneelse.blob.core.windows.net/c/b.txt", "--connection-string",
                          kiln.connection_string],
                         env=dict(os.environ, AZURE_CONFIG_DIR=str(tmp_path / "az"),
                                  AZURE_CORE_COLLECT_TELEMETRY="false"),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "CannotVerifyCopySource" in out.stderr


def test_az_batch_commands(kiln, container, tmp_path):
    src = tmp_path / "up"
    (src / "logs").mkdir(parents=True)
    for i in range(3):
        (src / f"f{i}.txt").write_text(f"file {i}\n")
        (src / "logs" / f"l{i}.log").write_text(f"log {i}\n")
    name = container.container_name
    az(kiln, tmp_path, "blob", "upload-batch", "--destination", name, "--source", str(src))
    listed = az(kiln, tmp_path, "blob", "list", "--container-name", name, "--delimiter", "/", "--query", "[].name",
                "--output", "tsv").split()
    assert listed == ["logs/", "f0.txt", "f1.txt", "f2.txt"]
    dst = tmp_path / "down"
    dst.mkdir()
    az(kiln, tmp_path, "blob", "download-batch", "--destination", str(dst), "--source", name, "--pattern", "logs/*")
    assert sorted(p.name for p in (dst / "logs").iterdir()) == ["l0.log", "l1.log", "l2.log"]
    assert (dst / "logs" / "l1.log").read_text() == "log 1\n"
    az(kiln, tmp_path, "blob", "delete-batch", "--source", name, "--pattern", "logs/*")
    assert sorted(b.name for b in container.list_blobs()) == ["f0.txt", "f1.txt", "f2.txt"]
