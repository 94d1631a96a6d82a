"""Resource statistics ($expand=stats on jobs, tasks and pools; account lifetime statistics)
and retention deadlines that survive a restart."""
import datetime
import time

import azure.batch.models as bm
from azure.batch.models import BatchErrorException

from batch_helpers import add_pool, make_client, wait_all_completed, wait_for, wait_nodes, wait_task

ZERO = datetime.timedelta(0)
# A shell loop: a fraction of a second of user CPU time, and a 64 KiB write.
BURN = "/bin/sh -c 'i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; head -c 65536 /dev/zero > out.bin'"


def task_stats(client, job, task):
    return client.task.get(job, task, task_get_options=bm.TaskGetOptions(expand="stats")).stats


def job_stats(client, job):
    return client.job.get(job, job_get_options=bm.JobGetOptions(expand="stats")).stats


def test_task_and_job_stats_measure_the_processes(client, job):
    client.task.add_collection(job, [
        bm.TaskAddParameter(id="burn", command_line=BURN),
        bm.TaskAddParameter(id="fail", command_line="/bin/sh -c 'exit 3'",
                            constraints=bm.TaskConstraints(max_task_retry_count=1)),
    ])
    wait_all_completed(client, job, 2)

    assert client.task.get(job, "burn").stats is None  # only with $expand=stats, as Azure
    burn = task_stats(client, job, "burn")
    assert burn.user_cpu_time + burn.kernel_cpu_time > ZERO
    assert burn.user_cpu_time >= datetime.timedelta(milliseconds=10)
    assert burn.write_io_gi_b >= 65536 / 2**30 and burn.write_iops > 0
    task = client.task.get(job, "burn")
    run_time = task.execution_info.end_time - task.execution_info.start_time
    assert ZERO < burn.wall_clock_time <= run_time + datetime.timedelta(milliseconds=1)
    assert ZERO <= burn.wait_time <= task.execution_info.start_time - task.creation_time + datetime.timedelta(milliseconds=1)
    assert burn.url.endswith(f"/jobs/{job}/tasks/burn")

    listed = list(client.task.list(job, task_list_options=bm.TaskListOptions(expand="stats")))
    assert {t.id: t.stats.user_cpu_time for t in listed}["burn"] == burn.user_cpu_time
    assert all(t.stats is None for t in client.task.list(job))

    stats = job_stats(client, job)
    assert (stats.num_succeeded_tasks, stats.num_failed_tasks, stats.num_task_retries) == (1, 1, 1)
    assert stats.user_cpu_time >= burn.user_cpu_time
    assert stats.wall_clock_time >= burn.wall_clock_time
    assert stats.write_iops >= burn.write_iops and stats.read_iops >= 0
    assert client.job.get(job).stats is None
    listed = {j.id: j.stats for j in client.job.list(job_list_options=bm.JobListOptions(expand="stats"))}
    assert listed[job].num_succeeded_tasks == 1

    lifetime = client.job.get_all_lifetime_statistics()
    assert lifetime.num_succeeded_tasks >= 1 and lifetime.num_failed_tasks >= 1
    assert lifetime.user_cpu_time >= burn.user_cpu_time
    assert lifetime.url.endswith("/lifetimejobstats")


def test_terminated_task_counts_as_failed(client, job):
    client.task.add(job, bm.TaskAddParameter(id="stopped", command_line="/bin/sleep 30"))
    wait_task(client, job, "stopped", state="running")
    client.task.terminate(job, "stopped")
    wait_task(client, job, "stopped")
    assert job_stats(client, job).num_failed_tasks == 1


def test_pool_stats_report_core_time_and_task_io(client, pool, job):
    client.task.add(job, bm.TaskAddParameter(id="io", command_line=BURN))
    wait_task(client, job, "io")
    stats = client.pool.get(pool, pool_get_options=bm.PoolGetOptions(expand="stats")).stats
    assert stats.usage_stats.dedicated_core_time > ZERO
    assert stats.resource_stats.disk_write_gi_b >= 65536 / 2**30
    assert 0 < stats.resource_stats.avg_cpu_percentage <= 100
    assert stats.resource_stats.peak_memory_gi_b > 0
    assert client.pool.get(pool).stats is None
    listed = {p.id: p.stats for p in client.pool.list(pool_list_options=bm.PoolListOptions(expand="stats"))}
    assert listed[pool].usage_stats.dedicated_core_time > ZERO
    lifetime = client.pool.get_all_lifetime_statistics()
    assert lifetime.usage_stats.dedicated_core_time >= stats.usage_stats.dedicated_core_time
    assert lifetime.resource_stats.disk_write_gi_b >= stats.resource_stats.disk_write_gi_b


def test_stats_and_retention_deadline_survive_a_restart(kiln_factory):
    server = kiln_factory()
    client = make_client(server)
    add_pool(client, "keep", nodes=1)
    wait_nodes(client, "keep", 1)
    client.job.add(bm.JobAddParameter(id="keepjob", pool_info=bm.PoolInformation(pool_id="keep")))
    client.task.add("keepjob", bm.TaskAddParameter(id="brief", command_line=BURN,
                                                   constraints=bm.TaskConstraints(retention_time="PT4S")))
    task = wait_task(client, "keepjob", "brief")
    assert [f.name for f in client.file.list_from_task("keepjob", "brief") if f.name == "stdout.txt"]
    before_task, before_job = task_stats(client, "keepjob", "brief"), job_stats(client, "keepjob")
    # The deadline must still be ahead when the server stops, or this would prove nothing.
    ends_at = task.execution_info.end_time.timestamp() + 4
    assert time.time() < ends_at - 1

    server.restart()
    client = make_client(server)
    after_task, after_job = task_stats(client, "keepjob", "brief"), job_stats(client, "keepjob")
    assert (after_task.user_cpu_time, after_task.wall_clock_time, after_task.write_iops) == \
        (before_task.user_cpu_time, before_task.wall_clock_time, before_task.write_iops)
    assert (after_job.user_cpu_time, after_job.num_succeeded_tasks) == (before_job.user_cpu_time, 1)
    assert client.job.get_all_lifetime_statistics().num_succeeded_tasks == 1

    def cleaned_up():
        try:
            list(client.file.list_from_task("keepjob", "brief"))
            return False
        except BatchErrorException as e:
            assert e.error.code == "TaskFilesCleanedup" and e.response.status_code == 409
            return True
    wait_for(cleaned_up, what="task directory removed after its retention time, across a restart")
    assert time.time() >= ends_at - 0.5
    assert client.task.get("keepjob", "brief").state == "completed"
