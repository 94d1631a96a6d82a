"""Version-level immutability (kiln serve --blob-immutability): time-based
retention policies and legal holds on blob versions, and what they forbid."""
import time
from datetime import datetime, timedelta, timezone

from azure.storage.blob import (BlobClient, BlobImmutabilityPolicyMode, BlobSasPermissions, BlobServiceClient,
                                ImmutabilityPolicy, generate_blob_sas)

from blob_helpers import error_of


def worm_container(kiln_factory):
    server = kiln_factory(extra_args=["--blob-immutability"])
    return server, BlobServiceClient.from_connection_string(server.connection_string).create_container("worm")


def policy(seconds, mode=BlobImmutabilityPolicyMode.Unlocked):
    return ImmutabilityPolicy(expiry_time=datetime.now(timezone.utc) + timedelta(seconds=seconds), policy_mode=mode)


def test_a_legal_hold_keeps_a_version_but_overwrites_make_new_ones(kiln_factory):
    _, box = worm_container(kiln_factory)
    assert box.get_container_properties().immutable_storage_with_versioning_enabled
    blob = box.get_blob_client("held")
    v1 = blob.upload_blob(b"evidence", legal_hold=True)["version_id"]
    assert blob.get_blob_properties().has_legal_hold
    assert error_of(blob.delete_blob) == (409, "BlobImmutableDueToLegalHold")
    assert error_of(lambda: blob.set_blob_metadata({"k": "v"})) == (409, "BlobImmutableDueToLegalHold")
    # An overwrite is a new version; the held one stays, held, as a previous version.
    v2 = blob.upload_blob(b"newer", overwrite=True)["version_id"]
    assert not blob.get_blob_properties().has_legal_hold
    assert blob.get_blob_properties(version_id=v1).has_legal_hold
    assert blob.download_blob(version_id=v1).readall() == b"evidence"
    assert error_of(lambda: blob.delete_blob(version_id=v1)) == (409, "BlobImmutableDueToLegalHold")
    listed = {b.version_id: b.has_legal_hold for b in box.list_blobs(include=["versions", "legalhold"])}
    assert listed == {v1: True, v2: None}
    assert blob.set_legal_hold(False)["legal_hold"] is False
    # A snapshot starts without a hold of its own, and can get one.
    snap = box.get_blob_client("held", snapshot=blob.create_snapshot()["snapshot"])
    assert not snap.get_blob_properties().has_legal_hold
    snap.set_legal_hold(True)
    assert error_of(snap.delete_blob) == (409, "BlobImmutableDueToLegalHold")
    snap.set_legal_hold(False)
    snap.delete_blob()
    blob.delete_blob()  # the current version (v2) was never held
    # A container with version-level immutability support is deleted only once empty.
    assert error_of(box.delete_container) == (409, "ContainerImmutableStorageWithVersioningEnabled")


def test_retention_policies_unlocked_locked_and_expired(kiln_factory):
    _, box = worm_container(kiln_factory)
    blob = box.get_blob_client("kept")
    blob.upload_blob(b"record")
    etag = blob.get_blob_properties().etag
    answer = blob.set_immutability_policy(policy(3600))
    assert answer["immutability_policy_mode"] == "unlocked"
    props = blob.get_blob_properties()
    assert props.immutability_policy.policy_mode == "unlocked" and props.etag == etag
    assert abs((props.immutability_policy.expiry_time - datetime.now(timezone.utc)).total_seconds() - 3600) < 60
    assert error_of(blob.delete_blob) == (409, "BlobImmutableDueToPolicy")
    assert error_of(lambda: blob.set_blob_metadata({"k": "v"})) == (409, "BlobImmutableDueToPolicy")
    listed = [b.immutability_policy.policy_mode for b in box.list_blobs(include=["immutabilitypolicy"])]
    assert listed == ["unlocked"]
    # Unlocked: shortened, removed, set again; locked: only extended, never removed.
    blob.set_immutability_policy(policy(60))
    blob.delete_immutability_policy()
    assert blob.get_blob_properties().immutability_policy.expiry_time is None
    blob.set_immutability_policy(policy(3600, BlobImmutabilityPolicyMode.Locked))
    assert error_of(blob.delete_immutability_policy) == (409, "ImmutabilityPolicyDeleteOnLockedPolicy")
    assert error_of(lambda: blob.set_immutability_policy(policy(60, BlobImmutabilityPolicyMode.Locked)))[0] == 400
    assert error_of(lambda: blob.set_immutability_policy(policy(7200)))[0] == 400  # back to unlocked
    blob.set_immutability_policy(policy(7200, BlobImmutabilityPolicyMode.Locked))
    assert error_of(lambda: blob.set_immutability_policy(policy(-60))) == (400, "InvalidHeaderValue")
    # An expired policy lets the version be deleted, never rewritten.
    other = box.get_blob_client("briefly")
    other.upload_blob(b"x", immutability_policy=policy(2))
    time.sleep(2.5)
    assert error_of(lambda: other.set_blob_metadata({"k": "v"})) == (409, "BlobImmutableDueToPolicy")
    other.delete_blob()


def test_permissions_and_a_service_without_immutability(kiln_factory):
    server, box = worm_container(kiln_factory)
    box.get_blob_client("b").upload_blob(b"x")
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)

    def with_sas(**permission):
        sas = generate_blob_sas(server.account, "worm", "b", account_key=server.key,
                                permission=BlobSasPermissions(**permission), expiry=expiry)
        return BlobClient.from_blob_url(f"{box.url}/b?{sas}")

    assert error_of(lambda: with_sas(write=True).set_legal_hold(True)) == (403, "AuthorizationPermissionMismatch")
    assert with_sas(set_immutability_policy=True).set_legal_hold(True)["legal_hold"] is True

    plain = BlobServiceClient.from_connection_string(kiln_factory().connection_string).create_container("plain")
    blob = plain.get_blob_client("b")
    blob.upload_blob(b"x")
    assert not plain.get_container_properties().immutable_storage_with_versioning_enabled
    assert error_of(lambda: blob.set_legal_hold(True)) == (409, "FeatureNotSupported")
    assert error_of(lambda: blob.upload_blob(b"y", overwrite=True, legal_hold=True)) == (409, "FeatureNotSupported")
    assert blob.download_blob().readall() == b"x"
