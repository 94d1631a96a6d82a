#!/usr/bin/env python3
"""The Batch tutorial's client ("Get started with the Batch SDK for Python"),
for azure-batch 13 and azure-storage-blob 12, runnable against Kiln or Azure.

Configuration (environment variables; defaults reach a local `kiln serve`):
  KILN_BATCH_ENDPOINT  Batch account URL          (http://127.0.0.1:10100)
  KILN_BLOB_ENDPOINT   Blob service URL           (http://127.0.0.1:10000/devstoreaccount1)
  KILN_ACCOUNT_NAME    Batch account              (devstoreaccount1)
  KILN_ACCOUNT_KEY     its key                    (the development key)
  KILN_STORAGE_ACCOUNT_NAME / KILN_STORAGE_ACCOUNT_KEY  the storage account, if another one
  KILN_DOWNLOAD_DIR    where outputs are saved    (current directory)
  KILN_PYTHON          Python on the nodes        (/usr/bin/python3)
  KILN_CA_FILE         extra CA to trust for HTTPS (a local Kiln's dev certificate; Kiln's nodes trust it already)
Pass --yes to answer the deletion prompts.
"""
import datetime
import io
import os
import sys
import time

import azure.batch.models as batchmodels
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials
from azure.storage.blob import (BlobSasPermissions, BlobServiceClient, ContainerSasPermissions,
                                generate_blob_sas, generate_container_sas)

DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

_BATCH_ACCOUNT_URL = os.environ.get('KILN_BATCH_ENDPOINT', 'http://127.0.0.1:10100')
_BLOB_ENDPOINT = os.environ.get('KILN_BLOB_ENDPOINT', 'http://127.0.0.1:10000/devstoreaccount1').rstrip('/')
_ACCOUNT_NAME = os.environ.get('KILN_ACCOUNT_NAME', 'devstoreaccount1')
_ACCOUNT_KEY = os.environ.get('KILN_ACCOUNT_KEY', DEV_KEY)
# In Azure the storage account is a different account with its own key.
_STORAGE_ACCOUNT_NAME = os.environ.get('KILN_STORAGE_ACCOUNT_NAME', _ACCOUNT_NAME)
_STORAGE_ACCOUNT_KEY = os.environ.get('KILN_STORAGE_ACCOUNT_KEY', _ACCOUNT_KEY)
_DOWNLOAD_DIR = os.environ.get('KILN_DOWNLOAD_DIR', '.')
_NODE_PYTHON = os.environ.get('KILN_PYTHON', '/usr/bin/python3')
_CA_FILE = os.environ.get('KILN_CA_FILE')

_POOL_ID = 'PythonTutorialPool'
_POOL_NODE_COUNT = 2
_POOL_VM_SIZE = 'STANDARD_A1_v2'
_JOB_ID = 'PythonTutorialJob'
_NUMWORDS = 3
_TIMEOUT = datetime.timedelta(minutes=20)

_HERE = os.path.dirname(os.path.abspath(__file__))
_TASK_SCRIPT = os.path.join(_HERE, 'python_tutorial_task.py')
_INPUT_FILES = [os.path.join(_HERE, '..', 'tutorial', 'data', 'taskdata{}.txt'.format(i)) for i in (1, 2, 3)]

_ASSUME_YES = '--yes' in sys.argv[1:]


def query_yes_no(question):
    if _ASSUME_YES:
        print('{} [Y/n] y (--yes)'.format(question))
        return True
    answer = input('{} [Y/n] '.format(question)).strip().lower()
    return answer in ('', 'y', 'yes')


def sas_expiry():
    return datetime.datetime.utcnow() + datetime.timedelta(hours=2)


def upload_file_to_container(blob_service_client, container_name, file_path):
    blob_name = os.path.basename(file_path)
    print('Uploading file {} to container [{}]...'.format(file_path, container_name))
    with open(file_path, 'rb') as data:
        blob_service_client.get_blob_client(container_name, blob_name).upload_blob(data, overwrite=True)
    sas_token = generate_blob_sas(_STORAGE_ACCOUNT_NAME, container_name, blob_name, account_key=_STORAGE_ACCOUNT_KEY,
                                  permission=BlobSasPermissions(read=True), expiry=sas_expiry())
    url = '{}/{}/{}?{}'.format(_BLOB_ENDPOINT, container_name, blob_name, sas_token)
    return batchmodels.ResourceFile(http_url=url, file_path=blob_name)


def select_image(batch_client):
    """A Linux image the SDK way: from the images the account lists, Ubuntu preferred."""
    images = [i for i in batch_client.account.list_supported_images() if i.os_type == 'linux']
    images.sort(key=lambda i: 'ubuntu' not in i.node_agent_sku_id)
    if not images:
        raise RuntimeError('the Batch account lists no Linux image')
    return images[0]


def create_pool(batch_client, pool_id, task_script):
    print('Creating pool [{}]...'.format(pool_id))
    image = select_image(batch_client)
    # The tutorial's start task also installs Python and the SDK with apt/pip; the
    # nodes here already have them, so it only copies the task script.
    command = '/bin/bash -c "cp -p {0} $AZ_BATCH_NODE_SHARED_DIR"'.format(task_script.file_path)
    pool = batchmodels.PoolAddParameter(
        id=pool_id,
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=image.image_reference, node_agent_sku_id=image.node_agent_sku_id),
        vm_size=_POOL_VM_SIZE,
        target_dedicated_nodes=_POOL_NODE_COUNT,
        start_task=batchmodels.StartTask(
            command_line=command,
            user_identity=batchmodels.UserIdentity(auto_user=batchmodels.AutoUserSpecification(
                scope=batchmodels.AutoUserScope.pool, elevation_level=batchmodels.ElevationLevel.admin)),
            wait_for_success=True,
            resource_files=[task_script]))
    batch_client.pool.add(pool)


def create_job(batch_client, job_id, pool_id):
    print('Creating job [{}]...'.format(job_id))
    batch_client.job.add(batchmodels.JobAddParameter(id=job_id, pool_info=batchmodels.PoolInformation(pool_id=pool_id)))


def add_tasks(batch_client, job_id, input_files, output_container_sas_token):
    print('Adding {} tasks to job [{}]...'.format(len(input_files), job_id))
    tasks = []
    for idx, input_file in enumerate(input_files):
        command = ('/bin/bash -c "{} $AZ_BATCH_NODE_SHARED_DIR/python_tutorial_task.py --filepath {} '
                   "--numwords {} --storageaccount {} --storagecontainer output --sastoken '{}' "
                   '--blobendpoint {}"').format(_NODE_PYTHON, input_file.file_path, _NUMWORDS, _STORAGE_ACCOUNT_NAME,
                                               output_container_sas_token, _BLOB_ENDPOINT)
        # Kiln's nodes trust its own HTTPS certificate, so tasks need no CA setting.
        tasks.append(batchmodels.TaskAddParameter(id='Task{}'.format(idx), command_line=command,
                                                  resource_files=[input_file]))
    batch_client.task.add_collection(job_id, tasks)


def wait_for_tasks_to_complete(batch_client, job_id, timeout):
    timeout_expiration = datetime.datetime.now() + timeout
    print("Monitoring all tasks for 'Completed' state, timeout in {}...".format(timeout), end='')
    interval = 0.025  # often at first (tiny tasks finish fast), then back off
    fast_until = datetime.datetime.now() + datetime.timedelta(seconds=5)
    last_dot = time.monotonic()
    while datetime.datetime.now() < timeout_expiration:
        if time.monotonic() - last_dot >= 1:
            print('.', end='')
            sys.stdout.flush()
            last_dot = time.monotonic()
        tasks = batch_client.task.list(job_id)
        incomplete = [t for t in tasks if t.state != batchmodels.TaskState.completed]
        if not incomplete:
            print()
            return True
        time.sleep(interval)
        if datetime.datetime.now() > fast_until:
            interval = min(interval * 2, 1.0)
    print()
    raise RuntimeError("ERROR: Tasks did not reach 'Completed' state within timeout period of " + str(timeout))


def download_blobs_from_container(blob_service_client, container_name, directory_path):
    print('Downloading all output files from container [{}]...'.format(container_name))
    container_client = blob_service_client.get_container_client(container_name)
    for blob in container_client.list_blobs():
        destination = os.path.join(directory_path, blob.name)
        with open(destination, 'wb') as f:
            f.write(container_client.download_blob(blob.name).readall())
        print('  Downloaded blob [{}] from container [{}] to {}'.format(blob.name, container_name, destination))
    print('  Download complete!')


def main():
    start_time = datetime.datetime.now().replace(microsecond=0)
    print('Sample start: {}'.format(start_time))
    print()

    tls = {'connection_verify': _CA_FILE} if _CA_FILE else {}
    blob_service_client = BlobServiceClient(account_url=_BLOB_ENDPOINT,
                                            credential={'account_name': _STORAGE_ACCOUNT_NAME,
                                                        'account_key': _STORAGE_ACCOUNT_KEY},
                                            **tls)
    containers = ['application', 'input', 'output']
    for name in containers:
        try:
            blob_service_client.create_container(name)
        except Exception as e:  # ResourceExistsError: reuse it, as the tutorial does
            if 'ContainerAlreadyExists' not in str(e):
                raise
        print('Container [{}] created.'.format(name))
    print()

    application_file = upload_file_to_container(blob_service_client, 'application', _TASK_SCRIPT)
    input_files = [upload_file_to_container(blob_service_client, 'input', path) for path in _INPUT_FILES]
    output_sas = generate_container_sas(_STORAGE_ACCOUNT_NAME, 'output', account_key=_STORAGE_ACCOUNT_KEY,
                                        permission=ContainerSasPermissions(write=True), expiry=sas_expiry())

    batch_client = BatchServiceClient(SharedKeyCredentials(_ACCOUNT_NAME, _ACCOUNT_KEY), batch_url=_BATCH_ACCOUNT_URL)
    if _CA_FILE:
        batch_client.config.connection.verify = _CA_FILE
    try:
        print()
        create_pool(batch_client, _POOL_ID, application_file)
        create_job(batch_client, _JOB_ID, _POOL_ID)
        add_tasks(batch_client, _JOB_ID, input_files, output_sas)
        wait_for_tasks_to_complete(batch_client, _JOB_ID, _TIMEOUT)
        print("  Success! All tasks reached the 'Completed' state within the specified timeout period.")
        failed = [t for t in batch_client.task.list(_JOB_ID) if t.execution_info.result != 'success']
        for t in failed:
            print('Task [{}] failed with exit code {}'.format(t.id, t.execution_info.exit_code))
            stderr = batch_client.file.get_from_task(_JOB_ID, t.id, 'stderr.txt')
            print(b''.join(stderr).decode(errors='replace'))
        if failed:
            return 1
        os.makedirs(_DOWNLOAD_DIR, exist_ok=True)
        download_blobs_from_container(blob_service_client, 'output', _DOWNLOAD_DIR)
    except batchmodels.BatchErrorException as err:
        print('Batch error: {} {}'.format(err.error.code, err.error.message.value if err.error.message else ''))
        raise
    finally:
        if query_yes_no('Delete containers?'):
            for name in containers:
                blob_service_client.delete_container(name)
        end_time = datetime.datetime.now().replace(microsecond=0)
        print()
        print('Sample end: {}'.format(end_time))
        print('Elapsed time: {}'.format(end_time - start_time))
        print()
        if query_yes_no('Delete job?'):
            batch_client.job.delete(_JOB_ID)
        if query_yes_no('Delete pool?'):
            batch_client.pool.delete(_POOL_ID)
    return 0


if __name__ == '__main__':
    sys.exit(main())
