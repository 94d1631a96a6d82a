"""Jobs: add/get/list/patch/update/disable/enable/terminate/delete, task counts, errors."""
import pytest
import azure.batch.models as bm
from azure.batch.models import BatchErrorException

from batch_helpers import raw_request, error_code, uid, wait_all_completed, wait_for, wait_task


def test_job_lifecycle(client, pool):
    job_id = uid("job")
    client.job.add(bm.JobAddParameter(
        id=job_id, pool_info=bm.PoolInformation(pool_id=pool), priority=10,
        constraints=bm.JobConstraints(max_task_retry_count=2),
        common_environment_settings=[bm.EnvironmentSetting(name="GREETING", value="hello")],
        metadata=[bm.MetadataItem(name="k", value="v")]))
    job = client.job.get(job_id)
    assert job.state == "active" and job.priority == 10 and job.pool_info.pool_id == pool
    assert job.constraints.max_task_retry_count == 2 and job.on_all_tasks_complete == "noaction"
    assert job.execution_info.pool_id == pool
    assert job_id in [j.id for j in client.job.list(bm.JobListOptions(filter="state eq 'active'"))]

    with pytest.raises(BatchErrorException) as e:
        client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool)))
    assert error_code(e) == "JobExists" and e.value.response.status_code == 409

    client.job.patch(job_id, bm.JobPatchParameter(priority=100))
    assert client.job.get(job_id).priority == 100
    client.job.update(job_id, bm.JobUpdateParameter(pool_info=bm.PoolInformation(pool_id=pool)))
    job = client.job.get(job_id)
    assert job.priority == 0 and not job.metadata

    client.task.add(job_id, bm.TaskAddParameter(id="env", command_line="/bin/sh -c 'echo $GREETING'"))
    wait_task(client, job_id, "env")
    out = b"".join(client.file.get_from_task(job_id, "env", "stdout.txt")).decode()
    assert out.strip() == "hello"

    client.job.disable(job_id, "wait")
    assert client.job.get(job_id).state == "disabled"
    client.task.add(job_id, bm.TaskAddParameter(id="held", command_line="/bin/true"))
    assert client.task.get(job_id, "held").state == "active"
    client.job.enable(job_id)
    wait_task(client, job_id, "held")

    counts = client.job.get_task_counts(job_id)
    assert counts.task_counts.completed == 2 and counts.task_counts.succeeded == 2
    assert counts.task_slot_counts.completed == 2

    client.job.terminate(job_id, terminate_reason="done here")
    job = wait_for(lambda: (j := client.job.get(job_id)).state == "completed" and j)
    assert job.execution_info.terminate_reason == "done here"
    with pytest.raises(BatchErrorException) as e:
        client.job.terminate(job_id)
    assert error_code(e) == "JobCompleted"
    client.job.delete(job_id)
    wait_for(lambda: job_id not in [j.id for j in client.job.list()], what="job deleted")
    with pytest.raises(BatchErrorException) as e:
        client.job.get(job_id)
    assert error_code(e) == "JobNotFound"


def test_job_terminates_when_all_tasks_complete(client, pool):
    job_id = uid("autoend")
    client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool)))
    client.task.add_collection(job_id, [bm.TaskAddParameter(id=f"t{i}", command_line="/bin/true") for i in range(3)])
    client.job.patch(job_id, bm.JobPatchParameter(on_all_tasks_complete="terminatejob"))
    job = wait_for(lambda: (j := client.job.get(job_id)).state == "completed" and j)
    assert job.execution_info.terminate_reason == "AllTasksComplete"
    client.job.delete(job_id)


def test_job_errors(kiln, client, pool):
    with pytest.raises(BatchErrorException) as e:
        client.job.get(uid("missing"))
    assert error_code(e) == "JobNotFound" and e.value.response.status_code == 404
    with pytest.raises(BatchErrorException) as e:
        client.job.add(bm.JobAddParameter(id=uid("j"), pool_info=bm.PoolInformation(pool_id=pool), priority=5000))
    assert error_code(e) == "InvalidPropertyValue"
    response = raw_request(kiln, "POST", "/jobs", '{"id": "x"}')
    assert response.status_code == 400 and response.json()["code"] == "MissingRequiredProperty"
    assert response.json()["values"] == [{"key": "PropertyName", "value": "poolInfo"}]


def test_job_max_wall_clock_time_terminates_job(client, pool):
    job_id = uid("wall")
    client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool),
                                      constraints=bm.JobConstraints(max_wall_clock_time="PT2S")))
    client.task.add(job_id, bm.TaskAddParameter(id="sleeper", command_line="/bin/sleep 30"))
    job = wait_for(lambda: (j := client.job.get(job_id)).state == "completed" and j)
    assert job.execution_info.terminate_reason == "MaxWallClockTimeExpiry"
    task = client.task.get(job_id, "sleeper")
    assert task.state == "completed" and task.execution_info.failure_info.code == "TaskEnded"
    client.job.delete(job_id)
