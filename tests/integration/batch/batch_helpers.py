"""Helpers for the Batch integration tests: SDK clients, unique ids, pools, polling, raw requests."""
import time
import uuid

from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials
import azure.batch.models as bm

WAIT_S = 60


def make_client(server, key=None):
    return BatchServiceClient(SharedKeyCredentials(server.account, key or server.key), batch_url=server.batch_url)


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(predicate, timeout=WAIT_S, what="condition"):
    """Polls predicate() until it returns a truthy value; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def image_config():
    return bm.VirtualMachineConfiguration(
        image_reference=bm.ImageReference(publisher="canonical", offer="0001-com-ubuntu-server-jammy",
                                          sku="22_04-lts", version="latest"),
        node_agent_sku_id="batch.node.ubuntu 22.04")


def add_pool(client, pool_id, nodes=1, slots=1, start_task=None, vm_size="standard_a1_v2", policy=None):
    client.pool.add(bm.PoolAddParameter(
        id=pool_id, vm_size=vm_size, virtual_machine_configuration=image_config(),
        target_dedicated_nodes=nodes, task_slots_per_node=slots, start_task=start_task,
        task_scheduling_policy=bm.TaskSchedulingPolicy(node_fill_type=policy) if policy else None))


def wait_nodes(client, pool_id, count, states=("idle",)):
    def ready():
        nodes = list(client.compute_node.list(pool_id))
        return nodes if len(nodes) == count and all(n.state in states for n in nodes) else None
    return wait_for(ready, what=f"{count} nodes of {pool_id} in {states}")


def wait_task(client, job_id, task_id, state="completed"):
    def done():
        t = client.task.get(job_id, task_id)
        return t if t.state == state else None
    return wait_for(done, what=f"task {task_id} {state}")


def wait_all_completed(client, job_id, count):
    def done():
        c = client.job.get_task_counts(job_id).task_counts
        return c if c.completed == count else None
    return wait_for(done, what=f"{count} tasks of {job_id} completed")


def error_code(excinfo):
    return excinfo.value.error.code


def raw_request(server, method, path, body=None, headers=None):
    """Sends a request signed as the SDK signs it, with a body sent byte for byte."""
    import requests
    from azure.batch.batch_auth import SharedKeyAuth
    hdrs = {"Content-Type": "application/json; odata=minimalmetadata; charset=utf-8"}
    hdrs.update(headers or {})
    return requests.request(method, server.batch_url + path, params={"api-version": "2022-10-01.16.0"},
                            data=body.encode() if isinstance(body, str) else body, headers=hdrs,
                            auth=SharedKeyAuth("Authorization", server.account, server.key), timeout=30)
