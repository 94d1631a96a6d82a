"""`kiln serve --tls --oauth`: Azure AD bearer tokens (checked by their claims,
not their signature) and the user delegation keys and SAS they lead to, through
the Python SDK with a TokenCredential of its own."""
import base64
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.blob import (BlobClient, BlobSasPermissions, BlobServiceClient, ContainerClient,
                                ContainerSasPermissions, generate_blob_sas, generate_container_sas)

from blob_helpers import tls_ca


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeAzureAdCredential:
    """A TokenCredential handing out unsigned JWTs with the claims Azure AD puts in storage tokens."""

    def __init__(self, **claims):
        now = int(time.time())
        self.claims = {"aud": "https://storage.azure.com", "iss": "https://sts.windows.net/tenant-1/",
                       "oid": "object-1", "tid": "tenant-1", "nbf": now - 60, "exp": now + 3600, **claims}

    def get_token(self, *scopes, **kwargs):
        jwt = ".".join([b64url(b'{"alg":"RS256","typ":"JWT"}'), b64url(json.dumps(self.claims).encode()),
                        b64url(b"not-checked")])
        return AccessToken(jwt, self.claims["exp"])


@pytest.fixture
def oauth_server(kiln_factory):
    return kiln_factory(in_memory=True, extra_args=["--tls", "--oauth"])


def bearer_client(server, **claims):
    return BlobServiceClient(server.blob_url, credential=FakeAzureAdCredential(**claims),
                             connection_verify=tls_ca(server), retry_total=0)


def test_bearer_tokens_reach_every_operation(oauth_server):
    svc = bearer_client(oauth_server)
    c = svc.create_container("aad")
    c.upload_blob("b", b"by token")
    assert c.download_blob("b").readall() == b"by token"
    assert [b.name for b in c.list_blobs()] == ["b"]
    c.delete_container()


def test_user_delegation_sas(oauth_server):
    svc = bearer_client(oauth_server)
    c = svc.create_container("delegated")
    c.upload_blob("b", b"shared by delegation")
    now = datetime.now(timezone.utc)
    key = svc.get_user_delegation_key(now - timedelta(minutes=5), now + timedelta(hours=1))
    assert (key.signed_oid, key.signed_tid, key.signed_service) == ("object-1", "tenant-1", "b")
    ca = tls_ca(oauth_server)
    sas = generate_blob_sas(oauth_server.account, "delegated", "b", user_delegation_key=key,
                            permission=BlobSasPermissions(read=True), expiry=now + timedelta(minutes=30))
    reader = BlobClient.from_blob_url(f"{c.url}/b?{sas}", connection_verify=ca)
    assert reader.download_blob().readall() == b"shared by delegation"
    with pytest.raises(HttpResponseError) as e:
        reader.upload_blob(b"x", overwrite=True)
    assert e.value.error_code == "AuthorizationPermissionMismatch"
    lister = ContainerClient.from_container_url(f"{c.url}?" + generate_container_sas(
        oauth_server.account, "delegated", user_delegation_key=key, permission=ContainerSasPermissions(list=True),
        expiry=now + timedelta(minutes=30)), connection_verify=ca)
    assert [b.name for b in lister.list_blobs()] == ["b"]
    # A key Kiln did not give out (another value) signs nothing it accepts.
    key.value = base64.b64encode(b"k" * 32).decode()
    forged = generate_blob_sas(oauth_server.account, "delegated", "b", user_delegation_key=key,
                               permission=BlobSasPermissions(read=True), expiry=now + timedelta(minutes=30))
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{c.url}/b?{forged}", connection_verify=ca).download_blob()
    assert e.value.error_code == "AuthenticationFailed"
    # Keys last at most 7 days; only bearer callers get them.
    with pytest.raises(HttpResponseError) as e:
        svc.get_user_delegation_key(now, now + timedelta(days=8))
    assert e.value.error_code == "InvalidXmlNodeValue"
    shared_key = BlobServiceClient(oauth_server.blob_url, credential={"account_name": oauth_server.account,
                                                                      "account_key": oauth_server.key},
                                   connection_verify=ca)
    with pytest.raises(HttpResponseError) as e:
        shared_key.get_user_delegation_key(now, now + timedelta(hours=1))
    assert e.value.status_code == 403 and e.value.error_code == "AuthenticationFailed"


def test_tokens_for_other_audiences_or_expired_are_refused(oauth_server):
    for claims in ({"aud": "https://management.azure.com/"}, {"exp": int(time.time()) - 3600}):
        with pytest.raises(ClientAuthenticationError) as e:
            bearer_client(oauth_server, **claims).create_container("nope")
        assert e.value.status_code == 401 and e.value.error_code == "InvalidAuthenticationInfo"


def test_without_oauth_bearer_tokens_are_refused(kiln_factory):
    server = kiln_factory(in_memory=True, extra_args=["--tls"])
    with pytest.raises(HttpResponseError) as e:
        bearer_client(server).create_container("nope")
    assert e.value.status_code == 403 and e.value.error_code == "AuthenticationFailed"
