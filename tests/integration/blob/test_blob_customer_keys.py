"""Customer-provided keys (x-ms-encryption-key; the SDKs send them over HTTPS
only): a blob written with a key is read, and its metadata and bytes written
again, with that key only — Azure's rules and errors."""
import base64
import hashlib
import os

from azure.storage.blob import BlobServiceClient, CustomerProvidedEncryptionKey

from blob_helpers import error_of, tls_ca


def new_key():
    raw = os.urandom(32)
    return CustomerProvidedEncryptionKey(base64.b64encode(raw).decode(),
                                         base64.b64encode(hashlib.sha256(raw).digest()).decode())


def test_a_blob_written_with_a_key_needs_that_key(kiln_factory):
    server = kiln_factory(in_memory=True, extra_args=["--tls"])
    svc = BlobServiceClient(server.blob_url, credential={"account_name": server.account, "account_key": server.key},
                            connection_verify=tls_ca(server), retry_total=0)
    box = svc.create_container("keys")
    key, other = new_key(), new_key()
    blob = box.get_blob_client("secret")
    assert blob.upload_blob(b"payload", cpk=key)["encryption_key_sha256"] == key.key_hash
    assert blob.download_blob(cpk=key).readall() == b"payload"
    assert blob.get_blob_properties(cpk=key).encryption_key_sha256 == key.key_hash
    assert error_of(lambda: blob.download_blob()) == (409, "BlobUsesCustomerSpecifiedEncryption")
    assert error_of(lambda: blob.download_blob(cpk=other)) == (409, "BlobCustomerSpecifiedEncryptionMismatch")
    assert error_of(lambda: blob.set_blob_metadata({"k": "v"})) == (409, "BlobUsesCustomerSpecifiedEncryption")
    blob.set_blob_metadata({"k": "v"}, cpk=key)
    assert blob.create_snapshot(cpk=key)["snapshot"]
    assert blob.exists()  # the SDK reads the 409 as "it exists"
    assert [b.name for b in box.list_blobs()] == ["secret"]  # listing needs no key
    # A blob without a key refuses one; an overwrite without a key makes a plain blob again.
    plain = box.get_blob_client("plain")
    plain.upload_blob(b"open")
    assert error_of(lambda: plain.download_blob(cpk=key)) == (409, "BlobDoesNotUseCustomerSpecifiedEncryption")
    blob.upload_blob(b"replaced", overwrite=True)
    assert blob.download_blob().readall() == b"replaced"
    # Appends keep to the blob's key; staged blocks and their list take one.
    log = box.get_blob_client("log")
    log.create_append_blob(cpk=key)
    log.append_block(b"one", cpk=key)
    assert error_of(lambda: log.append_block(b"two")) == (409, "BlobUsesCustomerSpecifiedEncryption")
    staged = box.get_blob_client("staged")
    staged.stage_block("YQ==", b"block", cpk=key)
    assert error_of(lambda: staged.stage_block("Yg==", b"other", cpk=other)) == \
        (409, "BlobCustomerSpecifiedEncryptionMismatch")  # a blob's staged blocks share one key
    assert error_of(lambda: staged.stage_block("Yg==", b"other")) == (409, "BlobUsesCustomerSpecifiedEncryption")
    assert error_of(lambda: staged.commit_block_list(["YQ=="])) == (409, "BlobUsesCustomerSpecifiedEncryption")
    staged.commit_block_list(["YQ=="], cpk=key)
    assert staged.download_blob(cpk=key).readall() == b"block"
    keyless = box.get_blob_client("keyless")
    keyless.stage_block("YQ==", b"block")
    assert error_of(lambda: keyless.commit_block_list(["YQ=="], cpk=key)) == \
        (409, "BlobDoesNotUseCustomerSpecifiedEncryption")
    # A key whose SHA-256 is not its own is refused before anything is written.
    forged = CustomerProvidedEncryptionKey(key.key_value, other.key_hash)
    assert error_of(lambda: box.get_blob_client("x").upload_blob(b"x", cpk=forged)) == (400, "InvalidHeaderValue")
    assert not box.get_blob_client("x").exists()
