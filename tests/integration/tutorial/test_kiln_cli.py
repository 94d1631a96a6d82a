"""The `kiln` client verbs against a running server: results, output formats,
and the exit codes and messages of failures."""
import json
import os
import subprocess

import pytest


@pytest.fixture
def kiln_cli(kiln):
    def run(*args, expect=0):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KILN_") and "CONNECTION_STRING" not in k}
        env["KILN_BATCH_ENDPOINT"] = kiln.batch_url
        env["KILN_BLOB_ENDPOINT"] = kiln.blob_url
        out = subprocess.run([kiln.bin, *args], capture_output=True, text=True, timeout=60, env=env)
        assert out.returncode == expect, f"kiln {' '.join(args)} -> {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out
    return run


def test_blob_verbs_round_trip(kiln_cli, tmp_path):
    src = tmp_path / "data.bin"
    src.write_bytes(os.urandom(9 << 20))  # above the single-put threshold: staged blocks
    kiln_cli("blob", "upload", "-c", "cli-blobs", "-f", str(src), "-n", "big.bin", "--create-container")
    # Without --overwrite an existing blob is kept, and the error names Azure's code.
    again = kiln_cli("blob", "upload", "-c", "cli-blobs", "-f", str(src), "-n", "big.bin", expect=1)
    assert "BlobAlreadyExists" in again.stderr
    listed = json.loads(kiln_cli("blob", "list", "-c", "cli-blobs", "-o", "json").stdout)
    assert [(b["name"], b["contentLength"]) for b in listed] == [("big.bin", 9 << 20)]
    dest = tmp_path / "back.bin"
    kiln_cli("blob", "download", "-c", "cli-blobs", "-n", "big.bin", "-f", str(dest))
    assert dest.read_bytes() == src.read_bytes()
    kiln_cli("blob", "delete", "-c", "cli-blobs", "-n", "big.bin")
    missing = kiln_cli("blob", "download", "-c", "cli-blobs", "-n", "big.bin", "-f", str(dest), expect=3)
    assert "BlobNotFound" in missing.stderr


def test_pool_job_task_verbs(kiln_cli):
    kiln_cli("pool", "create", "--id", "cli-pool", "--target-dedicated-nodes", "1")
    table = kiln_cli("pool", "list").stdout
    assert "cli-pool" in table and "ID" in table.splitlines()[0]
    assert json.loads(kiln_cli("pool", "show", "--id", "cli-pool", "-o", "json").stdout)["id"] == "cli-pool"
    kiln_cli("job", "create", "--id", "cli-job", "--pool-id", "cli-pool")
    kiln_cli("task", "add", "--job-id", "cli-job", "--task-id", "ok", "--command-line", "/bin/echo counted")
    kiln_cli("task", "add", "--job-id", "cli-job", "--task-id", "bad", "--command-line", "/bin/false")
    # `task wait` fails when a task failed, and names it.
    waited = kiln_cli("task", "wait", "--job-id", "cli-job", "--timeout", "60", expect=1)
    assert "Task [bad] failed" in waited.stderr
    assert kiln_cli("task", "logs", "--job-id", "cli-job", "--task-id", "ok").stdout == "counted\n"
    tasks = json.loads(kiln_cli("task", "list", "--job-id", "cli-job", "-o", "json").stdout)
    assert {t["id"]: t["executionInfo"]["exitCode"] for t in tasks} == {"ok": 0, "bad": 1}
    nodes = json.loads(kiln_cli("node", "list", "--pool-id", "cli-pool", "-o", "json").stdout)
    assert len(nodes) == 1
    kiln_cli("node", "show", "--pool-id", "cli-pool", "--node-id", nodes[0]["id"])
    kiln_cli("task", "delete", "--job-id", "cli-job", "--task-id", "bad")
    kiln_cli("job", "terminate", "--id", "cli-job")
    kiln_cli("job", "delete", "--id", "cli-job")
    kiln_cli("pool", "delete", "--id", "cli-pool")


def test_failures_say_what_went_wrong(kiln_cli):
    missing = kiln_cli("pool", "show", "--id", "no-such-pool", expect=3)
    assert "PoolNotFound" in missing.stderr and "hint:" in missing.stderr
    unreachable = kiln_cli("job", "list", "--batch-endpoint", "http://127.0.0.1:1", expect=4)
    assert "kiln serve" in unreachable.stderr
    bad_key = kiln_cli("pool", "list", "--account-key", "AAAA" * 11, expect=5)
    assert "AuthenticationFailed" in bad_key.stderr
