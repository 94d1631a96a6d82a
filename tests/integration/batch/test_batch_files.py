"""The files API: task and node files, ranges, properties, delete, path escapes."""
import pytest
import azure.batch.models as bm
from azure.batch.models import BatchErrorException

from batch_helpers import error_code, wait_task


def test_task_files(client, job):
    client.task.add(job, bm.TaskAddParameter(id="files", command_line="/bin/sh -c 'printf 0123456789; printf x > out.txt'"))
    task = wait_task(client, job, "files")
    names = {f.name: f for f in client.file.list_from_task(job, "files")}
    assert {"stdout.txt", "stderr.txt"} <= set(names)
    assert names["stdout.txt"].properties.content_length == 10 and not names["stdout.txt"].is_directory
    recursive = [f.name for f in client.file.list_from_task(job, "files", recursive=True)]
    assert "wd/out.txt" in recursive
    assert b"".join(client.file.get_from_task(job, "files", "stdout.txt")) == b"0123456789"
    part = b"".join(client.file.get_from_task(job, "files", "stdout.txt",
                                               bm.FileGetFromTaskOptions(ocp_range="bytes=2-4")))
    assert part == b"234"
    props = client.file.get_properties_from_task(job, "files", "wd/out.txt", raw=True)
    assert props.headers["Content-Length"] == 1 and props.headers["ocp-batch-file-isdirectory"] is False
    client.file.delete_from_task(job, "files", "wd/out.txt")
    with pytest.raises(BatchErrorException) as e:
        client.file.get_properties_from_task(job, "files", "wd/out.txt")
    assert e.value.response.status_code == 404
    with pytest.raises(BatchErrorException) as e:
        b"".join(client.file.get_from_task(job, "files", "../../../../../etc/passwd"))
    assert error_code(e) == "FileNotFound"

    node_id = task.node_info.node_id
    pool_id = task.node_info.pool_id
    node_files = [f.name for f in client.file.list_from_compute_node(pool_id, node_id, recursive=True)]
    assert any(n.endswith("files/stdout.txt") and n.startswith("workitems/") for n in node_files)
    data = b"".join(client.file.get_from_compute_node(pool_id, node_id, f"{task.node_info.task_root_directory}/stdout.txt"))
    assert data == b"0123456789"
