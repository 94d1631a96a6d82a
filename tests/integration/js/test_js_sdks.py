"""The JavaScript Azure SDKs (@azure/storage-blob, @azure/batch from the npm
registry, pinned by package-lock.json and installed by scripts/install-deps.sh)
drive Kiln: a second, independent client of both services."""
import os
import re
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def run_node(kiln, script, **extra_env):
    env = dict(os.environ, KILN_ACCOUNT=kiln.account, KILN_KEY=kiln.key, KILN_BLOB_URL=kiln.blob_url,
               KILN_BATCH_URL=kiln.batch_url, **extra_env)
    out = subprocess.run(["node", script], cwd=HERE, env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all steps passed" in out.stdout


def test_storage_blob_sdk(kiln):
    run_node(kiln, "blob.mjs")


def test_batch_sdk(kiln):
    run_node(kiln, "batch.mjs")


def test_storage_blob_sdk_with_azure_ad(kiln_factory):
    server = kiln_factory(in_memory=True, extra_args=["--tls", "--oauth"])
    ca = re.search(r"TLS certificate \(trust it in clients\): (\S+)", server.log()).group(1)
    run_node(server, "oauth.mjs", NODE_EXTRA_CA_CERTS=ca)
