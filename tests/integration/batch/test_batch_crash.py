"""kill -9 of the server while tasks run: every entity comes back, every task ends once."""
import azure.batch.models as bm

from batch_helpers import add_pool, make_client, wait_all_completed, wait_for, wait_nodes


def test_kill9_requeues_running_tasks(kiln_factory):
    server = kiln_factory()
    client = make_client(server)
    add_pool(client, "crashpool", nodes=1, slots=2,
             start_task=bm.StartTask(command_line="/bin/true", wait_for_success=True))
    node = wait_nodes(client, "crashpool", 1)[0]
    client.job.add(bm.JobAddParameter(id="crashjob", pool_info=bm.PoolInformation(pool_id="crashpool"),
                                      metadata=[bm.MetadataItem(name="m", value="1")]))
    client.task.add_collection("crashjob", [bm.TaskAddParameter(id=f"t{i}", command_line="/bin/sleep 1")
                                            for i in range(4)])
    running = wait_for(lambda: [t.id for t in client.task.list("crashjob") if t.state == "running"] or None,
                       what="a running task")

    server.kill9()
    server.start()
    client = make_client(server)

    assert client.pool.get("crashpool").vm_size == "standard_a1_v2"
    assert [n.id for n in wait_nodes(client, "crashpool", 1)] == [node.id]
    assert client.job.get("crashjob").metadata[0].value == "1"
    assert sorted(t.id for t in client.task.list("crashjob")) == ["t0", "t1", "t2", "t3"]
    wait_all_completed(client, "crashjob", 4)
    tasks = {t.id: t for t in client.task.list("crashjob")}
    assert all(t.execution_info.result == "success" for t in tasks.values())
    for task_id in running:
        assert tasks[task_id].execution_info.requeue_count >= 1
    counts = client.job.get_task_counts("crashjob").task_counts
    assert (counts.completed, counts.succeeded, counts.active, counts.running) == (4, 4, 0, 0)


def test_restart_keeps_completed_state(kiln_factory):
    server = kiln_factory()
    client = make_client(server)
    add_pool(client, "keep", nodes=1)
    wait_nodes(client, "keep", 1)
    client.job.add(bm.JobAddParameter(id="keepjob", pool_info=bm.PoolInformation(pool_id="keep")))
    client.task.add("keepjob", bm.TaskAddParameter(id="once", command_line="/bin/sh -c 'echo ran'"))
    wait_all_completed(client, "keepjob", 1)
    before = client.task.get("keepjob", "once")
    server.restart()
    client = make_client(server)
    after = client.task.get("keepjob", "once")
    assert after.state == "completed" and after.e_tag == before.e_tag
    assert after.execution_info.requeue_count == 0
    wait_nodes(client, "keep", 1)
    assert b"".join(client.file.get_from_task("keepjob", "once", "stdout.txt")).strip() == b"ran"
