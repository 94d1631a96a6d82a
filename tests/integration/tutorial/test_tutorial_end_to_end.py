"""The Batch tutorial end to end against Kiln: the C++ client (`kiln tutorial`)
and the Python client (azure-batch 13 / azure-storage-blob 12), each checked
word for word against counts computed here."""
import os
import re
import subprocess

import pytest

from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials
from azure.storage.blob import BlobServiceClient

from tutorial_expected import REPO, check_outputs

TIMEOUT_S = 180


def client_env(kiln, **extra):
    env = dict(os.environ)
    for k in ("KILN_BATCH_ENDPOINT", "KILN_BLOB_ENDPOINT", "KILN_CONNECTION_STRING",
              "AZURE_STORAGE_CONNECTION_STRING"):
        env.pop(k, None)
    env.update(extra)
    return env


def assert_cleaned_up(kiln, pool_id, job_id):
    blobs = BlobServiceClient(kiln.blob_url, credential={"account_name": kiln.account, "account_key": kiln.key})
    names = {c.name for c in blobs.list_containers()}
    assert not names & {"application", "input", "output"}, names
    batch = BatchServiceClient(SharedKeyCredentials(kiln.account, kiln.key), batch_url=kiln.batch_url)
    # Deletion is asynchronous in Batch: the job/pool is gone or in state 'deleting'.
    for job in batch.job.list():
        assert job.id != job_id or job.state == "deleting", job.state
    for pool in batch.pool.list():
        assert pool.id != pool_id or pool.state == "deleting", pool.state


def test_cpp_tutorial_against_running_server(kiln, tmp_path):
    out = subprocess.run(
        [kiln.bin, "tutorial", "--yes", "--batch-endpoint", kiln.batch_url, "--blob-endpoint", kiln.blob_url,
         "--download-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=TIMEOUT_S, env=client_env(kiln))
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    for line in ["Sample start: ", "to container [application]...", "Creating pool [KilnTutorialPool]...",
                 "Creating job [KilnTutorialJob]...", "Adding 3 tasks to job [KilnTutorialJob]...",
                 "Monitoring all tasks for 'Completed' state, timeout in 0:20:00...",
                 "Downloading all output files from container [output]...",
                 "Downloaded blob [taskdata1_OUTPUT.txt] from container [output]", "Sample end: ", "Elapsed time: "]:
        assert line in text, f"missing {line!r} in:\n{text}"
    check_outputs(str(tmp_path), "KilnTutorialJob", "KilnTutorialPool")
    assert_cleaned_up(kiln, "KilnTutorialPool", "KilnTutorialJob")


def test_python_tutorial_with_azure_sdks(kiln, tmp_path):
    script = os.path.join(REPO, "examples", "python", "python_tutorial_client.py")
    env = client_env(kiln, KILN_BATCH_ENDPOINT=kiln.batch_url, KILN_BLOB_ENDPOINT=kiln.blob_url,
                     KILN_ACCOUNT_NAME=kiln.account, KILN_ACCOUNT_KEY=kiln.key, KILN_DOWNLOAD_DIR=str(tmp_path))
    out = subprocess.run(["/usr/bin/python3", script, "--yes"], capture_output=True, text=True,
                         timeout=TIMEOUT_S, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Downloaded blob [taskdata3_OUTPUT.txt]" in out.stdout, out.stdout
    check_outputs(str(tmp_path), "PythonTutorialJob", "PythonTutorialPool")
    assert_cleaned_up(kiln, "PythonTutorialPool", "PythonTutorialJob")


def test_embedded_tutorial_needs_no_server(kiln, tmp_path):
    """`kiln tutorial` with no endpoints starts its own in-memory Kiln (what `make demo` runs)."""
    out = subprocess.run([kiln.bin, "tutorial", "--yes", "--download-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=TIMEOUT_S, env=client_env(kiln))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Started an embedded Kiln" in out.stdout
    check_outputs(str(tmp_path), "KilnTutorialJob", "KilnTutorialPool")


def test_cpp_tutorial_over_https_with_host_style_blob_url(kiln_factory, tmp_path):
    """`kiln serve --tls`: the client, the nodes' resource-file downloads and the task's
    upload all use https://devstoreaccount1.blob.core.localhost:<port> and trust Kiln's CA."""
    server = kiln_factory(in_memory=True, extra_args=["--tls"])
    ca = re.search(r"TLS certificate \(trust it in clients\): (\S+)", server.log()).group(1)
    blob = f"https://{server.account}.blob.core.localhost:{server.blob_port}"
    out = subprocess.run(
        [server.bin, "tutorial", "--yes", "--batch-endpoint", server.batch_url, "--blob-endpoint", blob,
         "--ca-file", ca, "--download-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=TIMEOUT_S, env=client_env(server))
    assert out.returncode == 0, out.stdout + out.stderr
    check_outputs(str(tmp_path), "KilnTutorialJob", "KilnTutorialPool")


def test_python_tutorial_over_https_tasks_trust_kilns_certificate(kiln_factory, tmp_path):
    """The Python tutorial, unchanged, over `kiln serve --tls`: only the client is told
    about Kiln's CA; the tasks' own SDK uploads trust it because Kiln's nodes do. (Path-style
    URL: Python's resolver, unlike Kiln's clients, does not map *.localhost to loopback.)"""
    server = kiln_factory(in_memory=True, extra_args=["--tls"])
    ca = re.search(r"TLS certificate \(trust it in clients\): (\S+)", server.log()).group(1)
    blob = server.blob_url
    script = os.path.join(REPO, "examples", "python", "python_tutorial_client.py")
    env = client_env(server, KILN_BATCH_ENDPOINT=server.batch_url, KILN_BLOB_ENDPOINT=blob,
                     KILN_ACCOUNT_NAME=server.account, KILN_ACCOUNT_KEY=server.key, KILN_CA_FILE=ca,
                     KILN_DOWNLOAD_DIR=str(tmp_path))
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("SSL_CERT_FILE", None)
    out = subprocess.run(["/usr/bin/python3", script, "--yes"], capture_output=True, text=True,
                         timeout=TIMEOUT_S, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    check_outputs(str(tmp_path), "PythonTutorialJob", "PythonTutorialPool")


def test_cpp_client_quickstart(kiln):
    """examples/quickstart.cc: the library's one-page example keeps working."""
    build_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(kiln.bin))))
    program = os.environ.get("KILN_QUICKSTART_BIN", os.path.join(build_dir, "examples", "kiln_client_quickstart"))
    if not os.path.exists(program):
        pytest.skip(f"{program} is not built")
    out = subprocess.run([program], capture_output=True, text=True, timeout=TIMEOUT_S,
                         env=client_env(kiln, KILN_BATCH_ENDPOINT=kiln.batch_url, KILN_BLOB_ENDPOINT=kiln.blob_url))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == "t1 exit code 0, stdout: hello from blob storage\n"


def test_embedded_tutorial_over_https(kiln, tmp_path):
    out = subprocess.run([kiln.bin, "tutorial", "--tls", "--yes", "--download-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=TIMEOUT_S, env=client_env(kiln))
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"host-style blob endpoint https://devstoreaccount1\.blob\.core\.localhost:\d+", out.stdout)
    check_outputs(str(tmp_path), "KilnTutorialJob", "KilnTutorialPool")
