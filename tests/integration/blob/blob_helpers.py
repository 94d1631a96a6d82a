"""Fixtures and helpers the Blob integration tests import explicitly.

(Kept out of a conftest.py on purpose: other test directories import names from
their own `conftest` module, and a second conftest here would shadow theirs.)
The `kiln` fixture itself comes from tests/integration/conftest.py.
"""
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from azure.storage.blob import (AccountSasPermissions, BlobServiceClient, ResourceTypes,
                                generate_account_sas)


@pytest.fixture
def service(kiln):
    return BlobServiceClient.from_connection_string(kiln.connection_string)


@pytest.fixture
def container(service):
    name = "t" + uuid.uuid4().hex[:20]
    client = service.create_container(name)
    yield client
    try:
        client.delete_container()
    except Exception:
        pass


def full_account_sas(kiln, **kw):
    """An account SAS with every permission, for raw HTTP requests."""
    return generate_account_sas(
        kiln.account, kiln.key, resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True, create=True),
        expiry=datetime.now(timezone.utc) + timedelta(hours=1), **kw)


def data_files(server):
    """The blob data files of a server's data directory, without the sparse
    file of zeros that page blob holes read from (always there)."""
    return {f for f in os.listdir(os.path.join(server.data_dir, "blob", "data")) if f != "zeros"}


def tls_ca(server):
    """The development CA a `kiln serve --tls` printed, for clients to trust."""
    import re
    return re.search(r"TLS certificate \(trust it in clients\): (\S+)", server.log()).group(1)


def error_of(call):
    """(HTTP status, Azure error code) of a call that must fail."""
    from azure.core.exceptions import HttpResponseError
    with pytest.raises(HttpResponseError) as e:
        call()
    # Some SDK calls raise azure-core's own errors, without error_code: the header has it.
    code = getattr(e.value, "error_code", None) or e.value.response.headers.get("x-ms-error-code")
    return e.value.status_code, code
