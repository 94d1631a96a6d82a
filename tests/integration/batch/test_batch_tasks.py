"""Tasks: add, add collection, get/list/filter/paging, failures, retries, wall clock,
terminate, reactivate, update, delete, requiredSlots, user identity."""
import os

import pytest
import azure.batch.models as bm
from azure.batch.models import BatchErrorException

from batch_helpers import (add_pool, error_code, make_client, raw_request, uid, wait_all_completed, wait_for, wait_nodes,
                           wait_task)


def test_task_states_and_execution_info(client, job, pool):
    client.task.add(job, bm.TaskAddParameter(id="hello", command_line="/bin/sh -c 'echo hi; echo err >&2'"))
    task = wait_task(client, job, "hello")
    ex = task.execution_info
    assert ex.exit_code == 0 and ex.result == "success" and ex.retry_count == 0 and ex.requeue_count == 0
    assert ex.start_time <= ex.end_time and task.previous_state in ("running", "preparing")
    assert task.node_info.pool_id == pool and task.node_info.node_id.startswith("tvmps_")
    assert task.constraints.retention_time.days == 7
    with pytest.raises(BatchErrorException) as e:
        client.task.add(job, bm.TaskAddParameter(id="hello", command_line="/bin/true"))
    assert error_code(e) == "TaskExists" and e.value.response.status_code == 409
    with pytest.raises(BatchErrorException) as e:
        client.task.get(job, "nope")
    assert error_code(e) == "TaskNotFound"
    with pytest.raises(BatchErrorException) as e:
        client.task.add(uid("nojob"), bm.TaskAddParameter(id="x", command_line="/bin/true"))
    assert error_code(e) == "JobNotFound"


def test_task_failure_and_retries(client, job):
    client.task.add(job, bm.TaskAddParameter(id="fails", command_line="/bin/sh -c 'exit 7'",
                                             constraints=bm.TaskConstraints(max_task_retry_count=2)))
    task = wait_task(client, job, "fails")
    ex = task.execution_info
    assert ex.exit_code == 7 and ex.result == "failure" and ex.retry_count == 2
    assert ex.failure_info.category == "usererror" and ex.failure_info.code == "FailureExitCode"
    assert ex.last_retry_time is not None

    client.task.reactivate(job, "fails")
    assert client.task.get(job, "fails").state in ("active", "preparing", "running", "completed")
    task = wait_for(lambda: (t := client.task.get(job, "fails")).state == "completed" and t.execution_info.retry_count == 2 and t)
    client.task.add(job, bm.TaskAddParameter(id="ok", command_line="/bin/true"))
    wait_task(client, job, "ok")
    with pytest.raises(BatchErrorException) as e:
        client.task.reactivate(job, "ok")
    assert error_code(e) == "TaskSucceeded" and e.value.response.status_code == 409
    client.task.add(job, bm.TaskAddParameter(id="busy", command_line="/bin/sleep 30"))
    wait_task(client, job, "busy", state="running")
    with pytest.raises(BatchErrorException) as e:
        client.task.reactivate(job, "busy")
    assert error_code(e) == "TaskNotCompleted" and e.value.response.status_code == 409
    client.task.terminate(job, "busy")


def test_wall_clock_and_terminate(client, job):
    client.task.add(job, bm.TaskAddParameter(
        id="slow", command_line="/bin/sleep 30",
        constraints=bm.TaskConstraints(max_wall_clock_time="PT1S")))
    task = wait_task(client, job, "slow")
    assert task.execution_info.result == "failure"
    assert task.execution_info.failure_info.code == "TaskEnded"
    assert task.execution_info.failure_info.category == "servererror"  # as Azure's error-handling guide says

    client.task.add(job, bm.TaskAddParameter(id="forever", command_line="/bin/sleep 60"))
    wait_task(client, job, "forever", state="running")
    client.task.terminate(job, "forever")
    task = wait_task(client, job, "forever")
    assert task.execution_info.failure_info.code == "TaskEnded"
    with pytest.raises(BatchErrorException) as e:
        client.task.terminate(job, "forever")
    assert error_code(e) == "TaskCompleted"


def test_update_and_delete(client, job):
    client.task.add(job, bm.TaskAddParameter(id="upd", command_line="/bin/true"))
    client.task.update(job, "upd", constraints=bm.TaskConstraints(max_task_retry_count=3))
    assert client.task.get(job, "upd").constraints.max_task_retry_count == 3
    wait_task(client, job, "upd")
    client.task.delete(job, "upd")
    with pytest.raises(BatchErrorException) as e:
        client.task.get(job, "upd")
    assert error_code(e) == "TaskNotFound"


def test_add_collection_limits_and_per_task_errors(kiln, client, job):
    body = '{"value": [' + ",".join('{"id": "c%d", "commandLine": "/bin/true"}' % i for i in range(101)) + "]}"
    response = raw_request(kiln, "POST", f"/jobs/{job}/addtaskcollection", body)
    assert response.status_code == 413 and response.json()["code"] == "RequestBodyTooLarge"

    client.task.add(job, bm.TaskAddParameter(id="dup", command_line="/bin/true"))
    body = '{"value": [{"id": "fresh", "commandLine": "/bin/true"}, {"id": "dup", "commandLine": "/bin/true"}, {"id": "bad!", "commandLine": "x"}, {"id": "nocmd"}]}'
    results = raw_request(kiln, "POST", f"/jobs/{job}/addtaskcollection", body).json()["value"]
    assert [(r["taskId"], r["status"]) for r in results] == [
        ("fresh", "success"), ("dup", "clienterror"), ("bad!", "clienterror"), ("nocmd", "clienterror")]
    assert [r.get("error", {}).get("code") for r in results] == [
        None, "TaskExists", "InvalidPropertyValue", "MissingRequiredProperty"]


def test_filter_select_and_paging_over_1000_tasks(client, job):
    tasks = [bm.TaskAddParameter(id=f"p{i:05d}", command_line="/bin/true") for i in range(1200)]
    result = client.task.add_collection(job, tasks, threads=4)
    assert all(r.status == "success" for r in result.value)
    ids = [t.id for t in client.task.list(job, bm.TaskListOptions(select="id,state"))]
    assert len(ids) == 1200 and ids == sorted(ids)
    page = client.task.list(job, bm.TaskListOptions(max_results=100))
    first = page.advance_page()
    assert len(first) == 100 and page.next_link
    wait_all_completed(client, job, 1200)
    done = list(client.task.list(job, bm.TaskListOptions(filter="state eq 'completed' and executionInfo/exitCode eq 0", select="id")))
    assert len(done) == 1200
    assert list(client.task.list(job, bm.TaskListOptions(filter="state eq 'active'"))) == []
    some = list(client.task.list(job, bm.TaskListOptions(filter="startswith(id, 'p0001')")))
    assert len(some) == 10
    with pytest.raises(BatchErrorException) as e:
        list(client.task.list(job, bm.TaskListOptions(filter="state eq")))
    assert error_code(e) == "InvalidQueryParameterValue"


def test_required_slots_and_user_identity(client, job):
    client.task.add(job, bm.TaskAddParameter(id="wide", command_line="/bin/sh -c 'id -u'", required_slots=2))
    client.task.add(job, bm.TaskAddParameter(
        id="admin", command_line="/bin/sh -c 'id -u'",
        user_identity=bm.UserIdentity(auto_user=bm.AutoUserSpecification(elevation_level="admin", scope="task"))))
    wide = wait_task(client, job, "wide")
    admin = wait_task(client, job, "admin")
    assert wide.required_slots == 2 and wide.execution_info.exit_code == 0
    assert admin.user_identity.auto_user.elevation_level == "admin"
    if os.geteuid() == 0:
        out = b"".join(client.file.get_from_task(job, "admin", "stdout.txt")).decode().strip()
        assert out == "0"
        out = b"".join(client.file.get_from_task(job, "wide", "stdout.txt")).decode().strip()
        assert out != "0"


def test_retention_time_removes_task_directory(client, job):
    client.task.add(job, bm.TaskAddParameter(id="short", command_line="/bin/sh -c 'echo kept'",
                                             constraints=bm.TaskConstraints(retention_time="PT1S")))
    wait_task(client, job, "short")

    def gone():
        try:
            b"".join(client.file.get_from_task(job, "short", "stdout.txt"))
            return False
        except BatchErrorException as e:
            return e.error.code == "TaskFilesCleanedup"
    wait_for(gone, what="task directory removed after its retention time")
    assert client.task.get(job, "short").state == "completed"


def test_disable_job_requeues_running_tasks(client, job):
    client.task.add(job, bm.TaskAddParameter(id="long", command_line="/bin/sleep 2"))
    wait_task(client, job, "long", state="running")
    client.job.disable(job, "requeue")
    task = client.task.get(job, "long")
    assert task.state == "active" and task.execution_info.requeue_count == 1
    client.job.enable(job)
    task = wait_task(client, job, "long")
    assert task.execution_info.result == "success" and task.execution_info.requeue_count == 1


def test_tasks_get_the_open_file_limit_the_server_was_given(kiln_factory):
    """Kiln raises its own open-file limit (a server needs many descriptors); the
    tasks it starts get back the soft limit it was started with."""
    server = kiln_factory(in_memory=True, open_files=300)
    with open(f"/proc/{server.proc.pid}/limits") as f:
        line = next(l for l in f if l.startswith("Max open files"))
    assert line.split()[3] != "300", line  # the server's own soft limit was raised
    client = make_client(server)
    pool_id, job_id = uid("nofile"), uid("nofile")
    add_pool(client, pool_id)
    wait_nodes(client, pool_id, 1)
    client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool_id)))
    client.task.add(job_id, bm.TaskAddParameter(id="limit", command_line="/bin/sh -c 'ulimit -n'"))
    assert wait_task(client, job_id, "limit").execution_info.exit_code == 0
    assert b"".join(client.file.get_from_task(job_id, "limit", "stdout.txt")).decode().strip() == "300"
