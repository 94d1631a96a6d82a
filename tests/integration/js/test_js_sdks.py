"""The JavaScript Azure SDKs (@azure/storage-blob, @azure/batch from the npm
registry, pinned by package-lock.json and installed by scripts/install-deps.sh)
drive Kiln: a second, independent client of both services."""
import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def node_major():
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError):
        return 0


# The SDK versions pinned in package-lock.json need Node.js 20 (Debian 12's own is 18;
# machines with NodeSource's, like CI's, run these tests).
pytestmark = pytest.mark.skipif(node_major() < 20, reason="the pinned JavaScript SDKs need Node.js 20 or later")


def run_node(kiln, script, **extra_env):
    env = dict(os.environ, KILN_ACCOUNT=kiln.account, KILN_KEY=kiln.key, KILN_BLOB_URL=kiln.blob_url,
               KILN_BATCH_URL=kiln.batch_url, **extra_env)
    out = subprocess.run(["node", script], cwd=HERE, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all steps passed" in out.stdout


def test_storage_blob_sdk(kiln):
    run_node(kiln, "blob.mjs")


def test_storage_blob_sdk_with_versions_and_immutability(kiln_factory):
    run_node(kiln_factory(in_memory=True, extra_args=["--blob-immutability"]), "blob_versions.mjs")


def test_batch_sdk(kiln):
    run_node(kiln, "batch.mjs")


def test_storage_blob_sdk_with_azure_ad(kiln_factory):
    server = kiln_factory(in_memory=True, extra_args=["--tls", "--oauth"])
    ca = re.search(r"TLS certificate \(trust it in clients\): (\S+)", server.log()).group(1)
    run_node(server, "oauth.mjs", NODE_EXTRA_CA_CERTS=ca)
