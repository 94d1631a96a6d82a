"""Pools, compute nodes, account operations and authentication."""
import pytest
import azure.batch.models as bm
from azure.batch.models import BatchErrorException

from batch_helpers import raw_request, add_pool, error_code, image_config, make_client, uid, wait_for, wait_nodes, wait_task


def test_supported_images_are_verified_linux(client):
    images = list(client.account.list_supported_images())
    skus = {i.node_agent_sku_id for i in images}
    assert {"batch.node.ubuntu 20.04", "batch.node.ubuntu 22.04", "batch.node.debian 12"} <= skus
    assert all(i.os_type == "linux" and i.verification_type == "verified" for i in images)
    filtered = list(client.account.list_supported_images(
        bm.AccountListSupportedImagesOptions(filter="nodeAgentSKUId eq 'batch.node.debian 12'")))
    assert [i.image_reference.offer for i in filtered] == ["debian-12"]


def test_pool_lifecycle(client):
    pool_id = uid("pool")
    client.pool.add(bm.PoolAddParameter(
        id=pool_id, vm_size="Standard_D2s_v3", virtual_machine_configuration=image_config(),
        target_dedicated_nodes=1, task_slots_per_node=4,
        metadata=[bm.MetadataItem(name="owner", value="kiln")]))
    assert client.pool.exists(pool_id)
    assert not client.pool.exists(uid("missing"))
    pool = client.pool.get(pool_id)
    assert pool.vm_size == "standard_d2s_v3" and pool.task_slots_per_node == 4
    assert pool.state == "active" and pool.target_dedicated_nodes == 1
    assert pool.task_scheduling_policy.node_fill_type == "spread"
    nodes = wait_nodes(client, pool_id, 1)
    assert nodes[0].is_dedicated and nodes[0].vm_size == "standard_d2s_v3"
    assert client.pool.get(pool_id).allocation_state == "steady"
    assert client.pool.get(pool_id).current_dedicated_nodes == 1
    assert pool_id in [p.id for p in client.pool.list()]
    listed = list(client.pool.list(bm.PoolListOptions(filter=f"id eq '{pool_id}'", select="id,state")))
    assert [(p.id, p.state, p.vm_size) for p in listed] == [(pool_id, "active", None)]

    with pytest.raises(BatchErrorException) as e:
        add_pool(client, pool_id)
    assert error_code(e) == "PoolExists" and e.value.response.status_code == 409

    client.pool.patch(pool_id, bm.PoolPatchParameter(metadata=[bm.MetadataItem(name="a", value="b")]))
    assert [(m.name, m.value) for m in client.pool.get(pool_id).metadata] == [("a", "b")]
    client.pool.update_properties(pool_id, bm.PoolUpdatePropertiesParameter(
        certificate_references=[], application_package_references=[], metadata=[]))
    assert not client.pool.get(pool_id).metadata

    counts = {c.pool_id: c for c in client.account.list_pool_node_counts()}
    assert counts[pool_id].dedicated.idle == 1 and counts[pool_id].dedicated.total == 1

    client.pool.delete(pool_id)
    wait_for(lambda: not client.pool.exists(pool_id), what="pool deleted")
    with pytest.raises(BatchErrorException) as e:
        client.pool.get(pool_id)
    assert error_code(e) == "PoolNotFound" and e.value.response.status_code == 404


def test_resize_remove_nodes_and_stop_resize(client):
    pool_id = uid("resize")
    add_pool(client, pool_id, nodes=1)
    wait_nodes(client, pool_id, 1)
    client.pool.resize(pool_id, bm.PoolResizeParameter(target_dedicated_nodes=3))
    nodes = wait_nodes(client, pool_id, 3)
    client.pool.remove_nodes(pool_id, bm.NodeRemoveParameter(node_list=[nodes[0].id]))
    wait_nodes(client, pool_id, 2)
    assert client.pool.get(pool_id).target_dedicated_nodes == 2
    client.pool.resize(pool_id, bm.PoolResizeParameter(target_dedicated_nodes=1))
    wait_nodes(client, pool_id, 1)
    client.pool.stop_resize(pool_id)
    assert client.pool.get(pool_id).allocation_state == "steady"
    with pytest.raises(BatchErrorException) as e:
        client.pool.remove_nodes(pool_id, bm.NodeRemoveParameter(node_list=["tvmps_nope_d"]))
    assert error_code(e) == "NodeNotFound"
    with pytest.raises(BatchErrorException) as e:
        client.pool.disable_auto_scale(pool_id)
    assert error_code(e) == "AutoScaleNotEnabled"
    client.pool.delete(pool_id)


def test_resize_and_remove_nodes_need_a_steady_pool(client):
    pool_id, job_id = uid("draining"), uid("drainjob")
    add_pool(client, pool_id, nodes=1)
    wait_nodes(client, pool_id, 1)
    client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool_id)))
    client.task.add(job_id, bm.TaskAddParameter(id="long", command_line="/bin/sleep 30"))
    wait_task(client, job_id, "long", state="running")
    # The node drains until its task completes: the pool stays resizing meanwhile.
    client.pool.resize(pool_id, bm.PoolResizeParameter(target_dedicated_nodes=0,
                                                       node_deallocation_option="taskcompletion"))
    assert client.pool.get(pool_id).allocation_state == "resizing"
    node_id = next(iter(client.compute_node.list(pool_id))).id
    for attempt in (lambda: client.pool.resize(pool_id, bm.PoolResizeParameter(target_dedicated_nodes=2)),
                    lambda: client.pool.remove_nodes(pool_id, bm.NodeRemoveParameter(node_list=[node_id]))):
        with pytest.raises(BatchErrorException) as e:
            attempt()
        assert error_code(e) == "PoolBeingResized" and e.value.response.status_code == 409
    client.task.terminate(job_id, "long")
    wait_for(lambda: client.pool.get(pool_id).allocation_state == "steady", what="pool steady after draining")
    assert list(client.compute_node.list(pool_id)) == []
    client.job.delete(job_id)
    client.pool.delete(pool_id)


def test_resize_beyond_core_quota_reports_resize_error(client):
    pool_id = uid("quota")
    add_pool(client, pool_id, nodes=2, vm_size="standard_d64s_v3")  # 128 cores > quota of 64
    wait_nodes(client, pool_id, 1)
    pool = wait_for(lambda: (p := client.pool.get(pool_id)).allocation_state == "steady" and p)
    assert pool.current_dedicated_nodes == 1
    assert pool.resize_errors[0].code == "AccountCoreQuotaReached"
    client.pool.delete(pool_id)


def test_start_task_failure_marks_node(client):
    pool_id = uid("stfail")
    add_pool(client, pool_id, start_task=bm.StartTask(command_line="/bin/sh -c 'exit 3'", wait_for_success=True,
                                                      max_task_retry_count=1))
    nodes = wait_nodes(client, pool_id, 1, states=("starttaskfailed",))
    info = nodes[0].start_task_info
    assert info.exit_code == 3 and info.result == "failure" and info.retry_count == 1
    assert info.failure_info.code == "FailureExitCode" and info.failure_info.category == "usererror"
    client.pool.delete(pool_id)


def test_node_reboot_disable_enable_scheduling(client):
    pool_id = uid("nodeops")
    add_pool(client, pool_id, start_task=bm.StartTask(command_line="/bin/true", wait_for_success=True))
    node = wait_nodes(client, pool_id, 1)[0]
    client.compute_node.disable_scheduling(pool_id, node.id)
    assert client.compute_node.get(pool_id, node.id).scheduling_state == "disabled"
    assert client.compute_node.get(pool_id, node.id).state == "offline"
    client.compute_node.enable_scheduling(pool_id, node.id)
    assert client.compute_node.get(pool_id, node.id).state == "idle"
    client.compute_node.reboot(pool_id, node.id)
    wait_nodes(client, pool_id, 1)
    files = [f.name for f in client.file.list_from_compute_node(pool_id, node.id, recursive=True)]
    assert "startup/stdout.txt" in files
    with pytest.raises(BatchErrorException) as e:
        client.compute_node.get(pool_id, "tvmps_missing_d")
    assert error_code(e) == "NodeNotFound"
    client.pool.delete(pool_id)


@pytest.mark.parametrize("body_change,code", [
    ({"vm_size": "standard_nope"}, "InvalidPropertyValue"),
    ({"id": "bad id!"}, "InvalidPropertyValue"),
    ({"virtual_machine_configuration": None}, "MissingRequiredProperty"),
    ({"task_slots_per_node": 0}, "InvalidPropertyValue"),
])
def test_pool_add_validation(client, body_change, code):
    params = dict(id=uid("bad"), vm_size="standard_a1_v2", virtual_machine_configuration=image_config(),
                  target_dedicated_nodes=0)
    params.update(body_change)
    with pytest.raises(BatchErrorException) as e:
        client.pool.add(bm.PoolAddParameter(**params))
    assert error_code(e) == code and e.value.response.status_code == 400


def test_malformed_json_is_invalid_request_body(kiln, client):
    response = raw_request(kiln, "POST", "/pools", "{not json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidRequestBody"
    assert body["odata.metadata"].endswith("Container.errors/@Element")
    assert "RequestId:" in body["message"]["value"] and response.headers["request-id"]


def test_wrong_key_is_authentication_failed(kiln):
    bad = make_client(kiln, key="QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=")
    with pytest.raises(BatchErrorException) as e:
        list(bad.pool.list())
    assert error_code(e) == "AuthenticationFailed" and e.value.response.status_code == 403


def test_client_request_id_echo_and_etag_conditions(client, pool):
    pool_obj = client.pool.get(pool)
    resp = client.pool.get(pool, bm.PoolGetOptions(return_client_request_id=True, client_request_id="0f0f0f0f-1111-2222-3333-444444444444"), raw=True)
    assert resp.response.headers["client-request-id"] == "0f0f0f0f-1111-2222-3333-444444444444"
    assert resp.response.headers["ETag"] == pool_obj.e_tag
    with pytest.raises(BatchErrorException) as e:
        client.pool.patch(pool, bm.PoolPatchParameter(metadata=[]), bm.PoolPatchOptions(if_match="0xDEADBEEF"))
    assert error_code(e) == "ConditionNotMet" and e.value.response.status_code == 412
    client.pool.patch(pool, bm.PoolPatchParameter(metadata=[]), bm.PoolPatchOptions(if_match=pool_obj.e_tag))


@pytest.mark.parametrize("policy", ["pack", "spread"])
def test_node_fill_type_places_tasks(client, policy):
    pool_id, job_id = uid(policy), uid("fill")
    add_pool(client, pool_id, nodes=2, slots=2, policy=policy)
    wait_nodes(client, pool_id, 2)
    client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool_id)))
    client.task.add_collection(job_id, [bm.TaskAddParameter(id=f"s{i}", command_line="/bin/sleep 2") for i in range(2)])
    tasks = wait_for(lambda: (ts := list(client.task.list(job_id))) and all(t.state == "running" for t in ts) and ts,
                     what="both tasks running")
    nodes = {t.node_info.node_id for t in tasks}
    assert len(nodes) == (1 if policy == "pack" else 2)
    busy = [n for n in client.compute_node.list(pool_id) if n.running_tasks_count]
    assert sum(n.running_task_slots_count for n in busy) == 2
    client.job.delete(job_id)
    client.pool.delete(pool_id)


def test_low_priority_nodes(client):
    pool_id = uid("lowpri")
    client.pool.add(bm.PoolAddParameter(id=pool_id, vm_size="standard_a1_v2",
                                        virtual_machine_configuration=image_config(),
                                        target_dedicated_nodes=0, target_low_priority_nodes=1))
    node = wait_nodes(client, pool_id, 1)[0]
    assert node.is_dedicated is False
    pool = client.pool.get(pool_id)
    assert (pool.current_dedicated_nodes, pool.current_low_priority_nodes) == (0, 1)
    counts = {c.pool_id: c for c in client.account.list_pool_node_counts()}
    assert counts[pool_id].low_priority.idle == 1 and counts[pool_id].dedicated.total == 0
    client.pool.delete(pool_id)
