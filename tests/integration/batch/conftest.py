"""Fixtures of the Batch integration tests (helpers live in batch_helpers.py)."""
import pytest
import azure.batch.models as bm

from batch_helpers import add_pool, make_client, uid, wait_nodes


@pytest.fixture(scope="module")
def client(kiln):
    return make_client(kiln)


@pytest.fixture(scope="module")
def pool(client):
    """A shared pool of 2 nodes x 2 slots, ready for tasks."""
    pool_id = uid("shared")
    add_pool(client, pool_id, nodes=2, slots=2)
    wait_nodes(client, pool_id, 2)
    yield pool_id
    client.pool.delete(pool_id)


@pytest.fixture
def job(client, pool):
    job_id = uid("job")
    client.job.add(bm.JobAddParameter(id=job_id, pool_info=bm.PoolInformation(pool_id=pool)))
    yield job_id
    try:
        client.job.delete(job_id)
    except Exception:
        pass
