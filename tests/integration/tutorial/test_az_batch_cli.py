"""Debian's `az` CLI as an independent client of Kiln: `az batch` creates a
pool, a job and a task and sees it complete; `az storage blob upload` stores a
blob that the kiln CLI then downloads intact."""
import json
import os
import shutil
import subprocess
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("az") is None, reason="azure-cli is not installed")

AZ_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def az_env(tmp_path_factory):
    env = dict(os.environ)
    env["AZURE_CONFIG_DIR"] = str(tmp_path_factory.mktemp("azconfig"))  # never touch ~/.azure
    env["AZURE_CORE_COLLECT_TELEMETRY"] = "no"
    env["AZURE_CORE_ONLY_SHOW_ERRORS"] = "true"
    return env


def az(env, *args):
    out = subprocess.run(["az", *args], capture_output=True, text=True, timeout=AZ_TIMEOUT_S, env=env)
    assert out.returncode == 0, f"az {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return json.loads(out.stdout) if out.stdout.strip() else None


def test_az_batch_runs_a_task_to_completion(kiln, az_env):
    account = ["--account-name", kiln.account, "--account-key", kiln.key, "--account-endpoint", kiln.batch_url]
    az(az_env, "batch", "pool", "create", "--id", "az-pool", "--vm-size", "standard_a1_v2",
       "--image", "canonical:0001-com-ubuntu-server-focal:20_04-lts",
       "--node-agent-sku-id", "batch.node.ubuntu 20.04", "--target-dedicated-nodes", "1", *account)
    az(az_env, "batch", "job", "create", "--id", "az-job", "--pool-id", "az-pool", *account)
    az(az_env, "batch", "task", "create", "--job-id", "az-job", "--task-id", "az-task",
       "--command-line", "/bin/bash -c 'echo hello from az'", *account)
    deadline = time.monotonic() + 60
    task = az(az_env, "batch", "task", "show", "--job-id", "az-job", "--task-id", "az-task", *account)
    while task["state"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.2)
        task = az(az_env, "batch", "task", "show", "--job-id", "az-job", "--task-id", "az-task", *account)
    assert task["state"] == "completed", task
    assert task["executionInfo"]["exitCode"] == 0, task["executionInfo"]
    assert task["executionInfo"]["result"] == "success"
    # stdout.txt through the kiln CLI: a second client of the same files API.
    logs = subprocess.run([kiln.bin, "task", "logs", "--job-id", "az-job", "--task-id", "az-task",
                           "--batch-endpoint", kiln.batch_url], capture_output=True, text=True, timeout=30)
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout == "hello from az\n"
    az(az_env, "batch", "job", "delete", "--job-id", "az-job", "--yes", *account)
    az(az_env, "batch", "pool", "delete", "--pool-id", "az-pool", "--yes", *account)


def test_az_storage_blob_upload_then_kiln_download(kiln, az_env, tmp_path):
    src = tmp_path / "from-az.bin"
    src.write_bytes(os.urandom(300_000))
    cs = ["--connection-string", kiln.connection_string]
    az(az_env, "storage", "container", "create", "--name", "azcli", *cs)
    az(az_env, "storage", "blob", "upload", "--container-name", "azcli", "--name", "dir/from-az.bin",
       "--file", str(src), *cs)
    dest = tmp_path / "downloaded.bin"
    out = subprocess.run([kiln.bin, "blob", "download", "-c", "azcli", "-n", "dir/from-az.bin", "-f", str(dest),
                          "--connection-string", kiln.connection_string],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert dest.read_bytes() == src.read_bytes()
    listed = az(az_env, "storage", "blob", "list", "--container-name", "azcli", *cs)
    assert [b["name"] for b in listed] == ["dir/from-az.bin"]
    az(az_env, "storage", "container", "delete", "--name", "azcli", *cs)
