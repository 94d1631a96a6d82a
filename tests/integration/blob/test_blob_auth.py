"""Authentication: Shared Key (Lite), service SAS (blob, container, stored policy), account SAS,
anonymous public access, the -secondary read-only endpoint and host-style URLs."""
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure.storage.blob import (AccessPolicy, AccountSasPermissions, BlobClient, BlobSasPermissions,
                                BlobServiceClient, ContainerClient, ContainerSasPermissions, PublicAccess,
                                ResourceTypes, generate_account_sas, generate_blob_sas, generate_container_sas)

from blob_helpers import container, full_account_sas, service  # noqa: F401 (fixtures)


def soon(hours=1):
    return datetime.now(timezone.utc) + timedelta(hours=hours)


def test_blob_sas_permissions_and_expiry(kiln, container):
    container.get_blob_client("s.txt").upload_blob(b"secret")
    name = container.container_name
    read = generate_blob_sas(kiln.account, name, "s.txt", account_key=kiln.key,
                             permission=BlobSasPermissions(read=True), expiry=soon())
    url = f"{kiln.blob_url}/{name}/s.txt"
    assert BlobClient.from_blob_url(f"{url}?{read}").download_blob().readall() == b"secret"
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{url}?{read}").upload_blob(b"x", overwrite=True)
    assert e.value.status_code == 403 and e.value.error_code == "AuthorizationPermissionMismatch"
    # The SAS names one blob: another blob's signature does not match.
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{kiln.blob_url}/{name}/other?{read}").download_blob()
    assert e.value.status_code == 403 and e.value.error_code == "AuthenticationFailed"
    expired = generate_blob_sas(kiln.account, name, "s.txt", account_key=kiln.key,
                                permission=BlobSasPermissions(read=True), expiry=soon(-1))
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{url}?{expired}").download_blob()
    assert e.value.error_code == "AuthenticationFailed"
    future = generate_blob_sas(kiln.account, name, "s.txt", account_key=kiln.key,
                               permission=BlobSasPermissions(read=True), start=soon(1), expiry=soon(2))
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{url}?{future}").download_blob()
    assert e.value.error_code == "AuthenticationFailed"
    tampered = read.replace("sp=r", "sp=rw")
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{url}?{tampered}").upload_blob(b"x", overwrite=True)
    assert e.value.error_code == "AuthenticationFailed"


def test_blob_sas_response_header_overrides(kiln, container):
    container.get_blob_client("o.bin").upload_blob(b"data")
    sas = generate_blob_sas(kiln.account, container.container_name, "o.bin", account_key=kiln.key, permission="r",
                            expiry=soon(), content_type="text/csv", content_disposition="attachment; filename=x.csv")
    r = requests.get(f"{kiln.blob_url}/{container.container_name}/o.bin?{sas}")
    assert r.status_code == 200 and r.content == b"data"
    assert r.headers["Content-Type"] == "text/csv"
    assert r.headers["Content-Disposition"] == "attachment; filename=x.csv"


def test_blob_sas_ip_and_protocol(kiln, container):
    container.get_blob_client("ip").upload_blob(b"x")
    name = container.container_name
    url = f"{kiln.blob_url}/{name}/ip"
    ok = generate_blob_sas(kiln.account, name, "ip", account_key=kiln.key, permission="r", expiry=soon(),
                           ip="127.0.0.0-127.0.0.255")
    assert BlobClient.from_blob_url(f"{url}?{ok}").download_blob().readall() == b"x"
    other = generate_blob_sas(kiln.account, name, "ip", account_key=kiln.key, permission="r", expiry=soon(),
                              ip="10.1.2.3")
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{url}?{other}").download_blob()
    assert e.value.error_code == "AuthorizationSourceIPMismatch"
    https_only = generate_blob_sas(kiln.account, name, "ip", account_key=kiln.key, permission="r", expiry=soon(),
                                   protocol="https")
    r = requests.get(f"{url}?{https_only}")
    assert r.status_code == 403 and r.headers["x-ms-error-code"] == "AuthorizationProtocolMismatch"


def test_container_sas_write_and_list(kiln, container):
    name = container.container_name
    sas = generate_container_sas(kiln.account, name, account_key=kiln.key,
                                 permission=ContainerSasPermissions(write=True, create=True), expiry=soon())
    client = ContainerClient.from_container_url(f"{kiln.blob_url}/{name}?{sas}")
    client.get_blob_client("out.txt").upload_blob(b"result")
    assert container.get_blob_client("out.txt").download_blob().readall() == b"result"
    with pytest.raises(HttpResponseError) as e:
        list(client.list_blobs())
    assert e.value.error_code == "AuthorizationPermissionMismatch"
    lister = generate_container_sas(kiln.account, name, account_key=kiln.key, permission="rl", expiry=soon())
    listed = ContainerClient.from_container_url(f"{kiln.blob_url}/{name}?{lister}")
    assert [b.name for b in listed.list_blobs()] == ["out.txt"]


def test_stored_access_policy(kiln, container):
    name = container.container_name
    container.get_blob_client("p").upload_blob(b"policy")
    container.set_container_access_policy(signed_identifiers={
        "readers": AccessPolicy(permission=ContainerSasPermissions(read=True), expiry=soon())})
    ids = container.get_container_access_policy()["signed_identifiers"]
    assert [i.id for i in ids] == ["readers"] and ids[0].access_policy.permission == "r"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", ids[0].access_policy.expiry)  # Azure's form
    sas = generate_blob_sas(kiln.account, name, "p", account_key=kiln.key, policy_id="readers")
    assert BlobClient.from_blob_url(f"{kiln.blob_url}/{name}/p?{sas}").download_blob().readall() == b"policy"
    missing = generate_blob_sas(kiln.account, name, "p", account_key=kiln.key, policy_id="nobody")
    with pytest.raises(HttpResponseError) as e:
        BlobClient.from_blob_url(f"{kiln.blob_url}/{name}/p?{missing}").download_blob()
    assert e.value.error_code == "AuthenticationFailed"
    # Revoking the policy revokes the SAS.
    container.set_container_access_policy(signed_identifiers={})
    with pytest.raises(HttpResponseError):
        BlobClient.from_blob_url(f"{kiln.blob_url}/{name}/p?{sas}").download_blob()


def test_account_sas(kiln, container):
    container.get_blob_client("a").upload_blob(b"acct")
    objects_only = generate_account_sas(kiln.account, kiln.key, resource_types=ResourceTypes(object=True),
                                        permission=AccountSasPermissions(read=True, list=True), expiry=soon())
    svc = BlobServiceClient(kiln.blob_url, credential=objects_only)
    assert svc.get_blob_client(container.container_name, "a").download_blob().readall() == b"acct"
    with pytest.raises(HttpResponseError) as e:
        list(svc.list_containers())
    assert e.value.error_code == "AuthorizationResourceTypeMismatch"
    with pytest.raises(HttpResponseError) as e:
        svc.get_blob_client(container.container_name, "a").upload_blob(b"x", overwrite=True)
    assert e.value.error_code == "AuthorizationPermissionMismatch"
    full = BlobServiceClient(kiln.blob_url, credential=full_account_sas(kiln))
    assert container.container_name in [c.name for c in full.list_containers()]


def test_anonymous_public_access(kiln, container):
    name = container.container_name
    container.get_blob_client("pub").upload_blob(b"public")
    url = f"{kiln.blob_url}/{name}/pub"
    r = requests.get(url)
    assert r.status_code == 404 and r.headers["x-ms-error-code"] == "ResourceNotFound"
    container.set_container_access_policy(signed_identifiers={}, public_access=PublicAccess.Blob)
    assert BlobClient.from_blob_url(url).download_blob().readall() == b"public"
    r = requests.get(f"{kiln.blob_url}/{name}?restype=container&comp=list")
    assert r.status_code == 404
    container.set_container_access_policy(signed_identifiers={}, public_access=PublicAccess.Container)
    assert [b.name for b in ContainerClient.from_container_url(f"{kiln.blob_url}/{name}").list_blobs()] == ["pub"]
    r = requests.put(url, data=b"x", headers={"x-ms-blob-type": "BlockBlob"})
    assert r.status_code == 404


def test_secondary_is_read_only(kiln, container):
    container.get_blob_client("sec").upload_blob(b"replica")
    sec = BlobServiceClient(f"http://127.0.0.1:{kiln.blob_port}/{kiln.account}-secondary",
                            credential={"account_name": kiln.account, "account_key": kiln.key})
    blob = sec.get_blob_client(container.container_name, "sec")
    assert blob.download_blob().readall() == b"replica"
    with pytest.raises(HttpResponseError) as e:
        blob.upload_blob(b"x", overwrite=True)
    assert e.value.status_code == 403 and e.value.error_code == "WriteOperationNotSupportedOnSecondary"
    r = requests.get(f"http://127.0.0.1:{kiln.blob_port}/{kiln.account}-secondary?restype=service&comp=stats&"
                     + full_account_sas(kiln))
    assert r.status_code == 200 and "<Status>live</Status>" in r.text


def test_host_style_url(kiln, container):
    # *.blob.localhost does not resolve for Python here, so address 127.0.0.1 with the Host header.
    container.get_blob_client("host").upload_blob(b"hosted")
    sas = full_account_sas(kiln)
    host = {"Host": f"{kiln.account}.blob.localhost:{kiln.blob_port}"}
    r = requests.get(f"http://127.0.0.1:{kiln.blob_port}/{container.container_name}/host?{sas}", headers=host)
    assert r.status_code == 200 and r.content == b"hosted"
    r = requests.get(f"http://127.0.0.1:{kiln.blob_port}/?comp=list&prefix={container.container_name}&{sas}",
                     headers={"Host": f"{kiln.account}.blob.core.localhost:{kiln.blob_port}"})
    assert r.status_code == 200
    assert f"<Name>{container.container_name}</Name>" in r.text
    assert f'ServiceEndpoint="http://{kiln.account}.blob.core.localhost:{kiln.blob_port}/"' in r.text


def test_shared_key_lite_and_missing_auth(kiln):
    r = requests.get(f"{kiln.blob_url}?comp=list")
    assert r.status_code in (401, 403)
    assert r.headers["x-ms-error-code"] in ("NoAuthenticationInformation", "AuthenticationFailed")
    import base64, hashlib, hmac
    from email.utils import formatdate
    date = formatdate(usegmt=True)
    sts = f"GET\n\n\n\nx-ms-date:{date}\nx-ms-version:2021-12-02\n/{kiln.account}/{kiln.account}?comp=list"
    sig = base64.b64encode(hmac.new(base64.b64decode(kiln.key), sts.encode(), hashlib.sha256).digest()).decode()
    r = requests.get(f"{kiln.blob_url}?comp=list", headers={
        "x-ms-date": date, "x-ms-version": "2021-12-02", "Authorization": f"SharedKeyLite {kiln.account}:{sig}"})
    assert r.status_code == 200, r.text
    assert "<EnumerationResults" in r.text


def manual_account_sas(kiln, ss="b", srt="sco", sp="rl", sv="2021-12-02"):
    """An account SAS signed here (not by the SDK), so odd services and versions can be tried."""
    import base64, hashlib, hmac
    from urllib.parse import quote
    se = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sts = f"{kiln.account}\n{sp}\n{ss}\n{srt}\n\n{se}\n\n\n{sv}\n" + ("\n" if sv >= "2020-12-06" else "")
    sig = base64.b64encode(hmac.new(base64.b64decode(kiln.key), sts.encode(), hashlib.sha256).digest()).decode()
    return f"sv={sv}&ss={ss}&srt={srt}&sp={sp}&se={quote(se)}&sig={quote(sig, safe='')}"


def test_account_sas_service_and_version_checks(kiln, container):
    url = f"{kiln.blob_url}/{container.container_name}?restype=container&comp=list&"
    assert requests.get(url + manual_account_sas(kiln)).status_code == 200
    assert requests.get(url + manual_account_sas(kiln, sv="2019-02-02")).status_code == 200
    r = requests.get(url + manual_account_sas(kiln, ss="q"))
    assert r.status_code == 403 and r.headers["x-ms-error-code"] == "AuthorizationServiceMismatch"
    r = requests.get(url + manual_account_sas(kiln, sv="2013-08-15"))
    assert r.status_code == 403 and r.headers["x-ms-error-code"] == "AuthenticationFailed"
    r = requests.get(url + manual_account_sas(kiln, srt="o"))
    assert r.status_code == 403 and r.headers["x-ms-error-code"] == "AuthorizationResourceTypeMismatch"
