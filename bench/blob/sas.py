#!/usr/bin/python3
"""Prepares a Blob endpoint for bench/blob/run.sh: creates the given containers
(Shared Key, with the development account) and prints one line per container,
`<container> <SAS token>`, a container SAS with read/add/create/write/delete/list
permissions valid for three hours. The load generator puts the token in every
URL, so no request pays for signing and Kiln and Azurite are asked the same way.

Usage: sas.py BLOB_ENDPOINT CONTAINER...
"""
import datetime
import sys

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def main() -> int:
    endpoint, containers = sys.argv[1], sys.argv[2:]
    service = BlobServiceClient(account_url=endpoint, credential={"account_name": ACCOUNT, "account_key": KEY})
    now = datetime.datetime.now(datetime.timezone.utc)
    permission = ContainerSasPermissions(read=True, add=True, create=True, write=True, delete=True, list=True)
    for name in containers:
        try:
            service.create_container(name)
        except ResourceExistsError:
            pass
        token = generate_container_sas(ACCOUNT, name, account_key=KEY, permission=permission,
                                       start=now - datetime.timedelta(minutes=5),
                                       expiry=now + datetime.timedelta(hours=3))
        print(name, token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
