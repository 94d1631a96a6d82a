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
