"""The Azure Batch Python tutorial, end to end, with the real SDKs against Kiln."""
import datetime

import azure.batch.models as bm
from azure.storage.blob import (BlobServiceClient, BlobSasPermissions, ContainerSasPermissions,
                                generate_blob_sas, generate_container_sas)

from batch_helpers import add_pool, uid, wait_all_completed, wait_nodes

TASK_PROGRAM = r'''
import collections, sys, urllib.request, os
path, top, sas = sys.argv[1], int(sys.argv[2]), sys.argv[3]
words = open(path).read().lower().split()
lines = ["%s %d" % (w, n) for w, n in collections.Counter(words).most_common(top)]
name = os.path.splitext(os.path.basename(path))[0] + "_OUTPUT.txt"
base, query = sas.split("?", 1)
req = urllib.request.Request(base + "/" + name + "?" + query, data="\n".join(lines).encode(), method="PUT",
                             headers={"x-ms-blob-type": "BlockBlob"})
urllib.request.urlopen(req).read()
print("\n".join(lines))
'''

INPUTS = {
    "taskdata0.txt": "the quick brown fox jumps over the lazy dog the end",
    "taskdata1.txt": "a b a c a b",
    "taskdata2.txt": "kiln kiln batch",
}


def test_tutorial_workflow(kiln, client):
    blob = BlobServiceClient(account_url=kiln.blob_url, credential={"account_name": kiln.account,
                                                                     "account_key": kiln.key})
    suffix = uid("t")
    names = {c: f"{c}-{suffix}" for c in ("application", "input", "output")}
    for name in names.values():
        blob.create_container(name)
    expiry = datetime.datetime.utcnow() + datetime.timedelta(hours=2)

    def blob_sas_url(container, name):
        sas = generate_blob_sas(kiln.account, container, name, account_key=kiln.key,
                                permission=BlobSasPermissions(read=True), expiry=expiry)
        return f"{kiln.blob_url}/{container}/{name}?{sas}"

    blob.get_blob_client(names["application"], "count.py").upload_blob(TASK_PROGRAM.encode())
    for name, text in INPUTS.items():
        blob.get_blob_client(names["input"], name).upload_blob(text.encode())
    output_sas = generate_container_sas(kiln.account, names["output"], account_key=kiln.key,
                                        permission=ContainerSasPermissions(write=True), expiry=expiry)
    output_url = f"{kiln.blob_url}/{names['output']}?{output_sas}"

    # Pick the latest verified Ubuntu image the SDK way.
    images = [i for i in client.account.list_supported_images()
              if i.verification_type == "verified" and i.image_reference.publisher == "canonical"
              and i.node_agent_sku_id.startswith("batch.node.ubuntu")]
    image = sorted(images, key=lambda i: i.image_reference.sku)[-1]

    pool_id, job_id = uid("tutorial-pool"), uid("tutorial-job")
    start = bm.StartTask(
        command_line='/bin/bash -c "cp -p count.py $AZ_BATCH_NODE_SHARED_DIR"',
        resource_files=[bm.ResourceFile(http_url=blob_sas_url(names["application"], "count.py"),
                                        file_path="count.py")],
        wait_for_success=True)
    client.pool.add(bm.PoolAddParameter(
        id=pool_id, vm_size="STANDARD_A1_v2",
        virtual_machine_configuration=bm.VirtualMachineConfiguration(
            image_reference=image.image_reference, node_agent_sku_id=image.node_agent_sku_id),
        target_dedicated_nodes=2, start_task=start))
    nodes = wait_nodes(client, pool_id, 2)
    assert all(n.start_task_info.state == "completed" and n.start_task_info.exit_code == 0 for n in nodes)

    client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool_id)))
    tasks = [bm.TaskAddParameter(
        id=f"Task{i}",
        command_line=f'/bin/bash -c "python3 $AZ_BATCH_NODE_SHARED_DIR/count.py {name} 3 \'{output_url}\'"',
        resource_files=[bm.ResourceFile(http_url=blob_sas_url(names["input"], name), file_path=name)])
        for i, name in enumerate(INPUTS)]
    result = client.task.add_collection(job_id, tasks)
    assert [r.status for r in result.value] == ["success"] * 3
    wait_all_completed(client, job_id, 3)

    for task in client.task.list(job_id):
        if task.execution_info.exit_code != 0:
            err = b"".join(client.file.get_from_task(job_id, task.id, "stderr.txt")).decode()
            raise AssertionError(f"{task.id} exited {task.execution_info.exit_code}: {err}")
        assert task.execution_info.result == "success"
        assert task.node_info.pool_id == pool_id
        stdout = b"".join(client.file.get_from_task(job_id, task.id, "stdout.txt")).decode()
        assert stdout.strip()
    out = blob.get_container_client(names["output"])
    outputs = sorted(b.name for b in out.list_blobs())
    assert outputs == ["taskdata0_OUTPUT.txt", "taskdata1_OUTPUT.txt", "taskdata2_OUTPUT.txt"]
    assert out.download_blob("taskdata1_OUTPUT.txt").readall().decode().splitlines()[0] == "a 3"

    for name in names.values():
        blob.delete_container(name)
    client.job.delete(job_id)
    client.pool.delete(pool_id)
